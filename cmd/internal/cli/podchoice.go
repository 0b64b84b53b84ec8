package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// FlagPodChoice turns the scale-in that spares busy workers on or off.
const FlagPodChoice = "pod-choice"

// podChoiceOptions are the flags of the scale-in that spares busy workers.
type podChoiceOptions struct {
	enabled bool
}

func (o *podChoiceOptions) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.enabled, FlagPodChoice, true,
		"before a scale-down, mark idle worker pods to go first and busy ones to stay (pod-deletion-cost; workers set connection_name to their pod name; needs list and patch on pods)")
}

// check refuses --scale-in-wait-idle without pod choice: the hold reads
// which pods are idle through the chooser.
func (o *podChoiceOptions) check(cfg engine.Config) error {
	if cfg.ScaleInWaitIdle > 0 && !o.enabled {
		return fmt.Errorf("--scale-in-wait-idle %s needs pod choice to see which pods are idle: drop --%s=false", cfg.ScaleInWaitIdle, FlagPodChoice)
	}
	return nil
}

// withPodChoice gives ctl a pod chooser for the live Deployment, unless
// --pod-choice=false.
func (l *live) withPodChoice(ctl *engine.Controller, err error) (*engine.Controller, error) {
	if err != nil || !l.pods.enabled {
		return ctl, err
	}
	l.chooser = kube.NewPodChooser(l.scaler.Client(), l.target.Namespace, l.target.Deployment, l.source)
	ctl.SetPodChooser(l.chooser)
	return ctl, nil
}

// onceSettleWait bounds how long --once waits, after a scale-down, for the
// Deployment to settle and its pods' costs to go: a cron job should not
// hang; what it leaves, the next run removes (tidyPods).
const onceSettleWait = 20 * time.Second

// tidyPods removes the pod costs that an earlier --once left, once the
// Deployment has settled, so that a plain kubectl scale between two runs
// does not go by stale costs. Failures are left to the poll to meet.
func (l *live) tidyPods(ctx context.Context) {
	if l.chooser != nil {
		cctx, cancel := context.WithTimeout(ctx, l.timeout)
		defer cancel()
		_ = l.chooser.Tidy(cctx)
	}
}

// settlePods waits, at most onceSettleWait, for this run's scale-down to
// settle and its pod costs to be removed.
func (l *live) settlePods() {
	if l.chooser != nil {
		l.chooser.WaitFor(onceSettleWait)
	}
}
