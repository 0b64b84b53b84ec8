package cli

import (
	"log/slog"
	"sync"
	"time"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// shadowAttrs are a shadow tally's totals as log attributes.
func shadowAttrs(t engine.ShadowTotals) []any {
	return []any{"covered", t.Covered.Round(time.Second).String(),
		"hpa_replica_seconds", int64(t.LiveReplicaSeconds), "yeetscale_replica_seconds", int64(t.ProposedReplicaSeconds),
		"hpa_backlog_above_target", t.LiveAbove.Round(time.Second).String(), "yeetscale_backlog_above_target", t.ProposedAbove.Round(time.Second).String()}
}

// shadowName is the ScaledObject a console shadows: --from-scaledobject's
// when the console runs in dry-run, "" otherwise.
func shadowName(imp *kube.KEDAImport, dryRun bool) string {
	if imp == nil || !dryRun {
		return ""
	}
	return imp.Name
}

// shadowLogEvery is how many good polls pass between two tally lines.
const shadowLogEvery = 20

// shadowRun logs an engine.ShadowTally of a controller's snapshots: every
// shadowLogEvery polls and when stopped.
type shadowRun struct {
	stop func()
}

// startShadow starts the tally of --from-scaledobject in dry-run (a
// shadow); otherwise it does nothing. Call stop before logging "stopped".
func startShadow(ctl *engine.Controller, imp *kube.KEDAImport, dryRun bool, cfg engine.Config, logger *slog.Logger) shadowRun {
	if imp == nil || !dryRun {
		return shadowRun{stop: func() {}}
	}
	snaps, unsubscribe := ctl.Subscribe()
	t := engine.NewShadowTally(cfg)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n := 0
		for {
			select {
			case s := <-snaps:
				before := n
				n += t.Observe(s)
				if n/shadowLogEvery > before/shadowLogEvery {
					logger.Info("shadow tally", shadowAttrs(t.Totals())...)
				}
			case <-done:
				return
			}
		}
	}()
	return shadowRun{stop: func() {
		close(done)
		wg.Wait()
		unsubscribe()
		t.Observe(ctl.Snapshot()) // the polls since the last snapshot read
		logger.Info("shadow tally", shadowAttrs(t.Totals())...)
	}}
}
