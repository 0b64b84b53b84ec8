package engine

import (
	"fmt"
	"time"
)

// The hold of --scale-in-wait-idle (Config.ScaleInWaitIdle). A scale-down
// of N replicas waits, poll after poll, until N worker pods are idle (per
// the consumers' unacknowledged messages, mapped to pods by the chooser),
// for at most ScaleInWaitIdle since it was first proposed; then it goes
// ahead anyway. Its state is the history: each held poll's observation has
// IdleHold set, and the hold began at the first of the latest run of them
// at the same size (failed polls in between do not end it). The memory
// keeps the flag, so that successive --once runs hold as one controller
// would. A scale-up is never held, nor a scale-down whose pods cannot be
// seen (it goes ahead as it would without the setting, and pod choice says
// why).

// needsPods reports whether --scale-in-wait-idle must see the pods before
// d is applied to a Deployment at cur replicas.
func needsPods(cfg Config, mode Mode, cur int32, d Decision) bool {
	return cfg.ScaleInWaitIdle > 0 && mode != ModePaused && d.Desired < cur
}

// waitIdle returns d, or a hold at cur when d scales down by more pods than
// pods shows idle and the hold has lasted less than cfg.ScaleInWaitIdle;
// held says which. hist is the history before this poll.
func waitIdle(cfg Config, now time.Time, cur int32, d Decision, hist []Observation, pods *PodView) (out Decision, held bool) {
	if cfg.ScaleInWaitIdle <= 0 || d.Desired >= cur || pods == nil || pods.Err != "" {
		return d, false
	}
	n, idle := int(cur-d.Desired), pods.Idle()
	if idle >= n {
		return d, false
	}
	since := holdStart(hist, cur, now)
	left := cfg.ScaleInWaitIdle - now.Sub(since)
	if left <= 0 {
		d.Reason = fmt.Sprintf("%s; waited %s for idle pods (%d of %d idle): scaling anyway", d.Reason, cfg.ScaleInWaitIdle, idle, n)
		return d, false
	}
	return Decision{
		Desired: cur, Recommendation: d.Recommendation, Bursty: d.Bursty,
		Reason: fmt.Sprintf("holding scale-down %d → %d: %d of %d pods idle, up to %s more (%s)",
			cur, d.Desired, idle, n, left.Round(time.Second), d.Reason),
	}, true
}

// holdStart returns when the scale-down held at cur replicas began: the
// time of the first of the latest run of held observations at cur (failed
// polls skipped), or now when the latest good poll was not held.
func holdStart(hist []Observation, cur int32, now time.Time) time.Time {
	since := now
	for i := len(hist) - 1; i >= 0; i-- {
		o := hist[i]
		if !o.OK {
			continue
		}
		if !o.IdleHold || o.Scale.Desired != cur {
			break
		}
		since = o.At
	}
	return since
}
