package cli

import (
	"log/slog"
	"sync"
	"time"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// shadowTally is the running comparison of a --from-scaledobject shadow
// run: replica-seconds of the live replicas (what KEDA's HPA ran) against
// replica-seconds of yeetscale's proposals, and the time the observed
// backlog was above the target per replica under each one's replica
// count. Each interval between two good polls is scored with the first
// poll's values; an interval longer than maxGap (failed polls) is skipped.
type shadowTally struct {
	target int64
	count  engine.Count
	maxGap time.Duration

	last    *shadowSample
	covered time.Duration
	// Replica-seconds: the live replicas' and the proposals'.
	hpaRS, proposedRS float64
	// Time the backlog per replica was above the target under each.
	hpaAbove, proposedAbove time.Duration
}

// shadowSample is one good poll.
type shadowSample struct {
	at             time.Time
	messages       int64
	live, proposed int32
	polls          int
}

func newShadowTally(cfg engine.Config) *shadowTally {
	return &shadowTally{target: cfg.TargetMessages, count: cfg.Count, maxGap: 3 * cfg.PollInterval}
}

// observe scores the interval since the previous good poll and keeps s
// when it is a new good poll.
func (t *shadowTally) observe(s engine.Snapshot) {
	if s.ConsecutiveErrors > 0 || s.LastGoodPoll.IsZero() || (t.last != nil && s.Polls == t.last.polls) {
		return
	}
	msgs := s.Stats.Messages
	if t.count == engine.CountReady {
		msgs = s.Stats.Ready
	}
	cur := &shadowSample{at: s.LastGoodPoll, messages: msgs, live: s.Scale.Desired, proposed: s.Decision.Desired, polls: s.Polls}
	if p := t.last; p != nil {
		if dt := cur.at.Sub(p.at); dt > 0 && dt <= t.maxGap {
			t.covered += dt
			t.hpaRS += float64(p.live) * dt.Seconds()
			t.proposedRS += float64(p.proposed) * dt.Seconds()
			if p.messages > t.target*int64(p.live) {
				t.hpaAbove += dt
			}
			if p.messages > t.target*int64(p.proposed) {
				t.proposedAbove += dt
			}
		}
	}
	t.last = cur
}

// attrs are the tally as log attributes.
func (t *shadowTally) attrs() []any {
	return []any{"covered", t.covered.Round(time.Second).String(),
		"hpa_replica_seconds", int64(t.hpaRS), "yeetscale_replica_seconds", int64(t.proposedRS),
		"hpa_backlog_above_target", t.hpaAbove.Round(time.Second).String(), "yeetscale_backlog_above_target", t.proposedAbove.Round(time.Second).String()}
}

// shadowLogEvery is how many scored polls pass between two tally lines.
const shadowLogEvery = 20

// shadowRun logs a shadowTally of a controller's snapshots: every
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
	t := newShadowTally(cfg)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n := 0
		for {
			select {
			case s := <-snaps:
				before := t.last
				t.observe(s)
				if t.last != before {
					if n++; n%shadowLogEvery == 0 {
						logger.Info("shadow tally", t.attrs()...)
					}
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
		logger.Info("shadow tally", t.attrs()...)
	}}
}
