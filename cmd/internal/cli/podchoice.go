package cli

import (
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

// withPodChoice gives ctl a pod chooser for the live Deployment, unless
// --pod-choice=false.
func (l *live) withPodChoice(ctl *engine.Controller, err error) (*engine.Controller, error) {
	if err != nil || !l.pods.enabled {
		return ctl, err
	}
	ctl.SetPodChooser(kube.NewPodChooser(l.scaler.Client(), l.target.Namespace, l.target.Deployment, l.source))
	return ctl, nil
}
