package engine

import (
	"fmt"
	"time"
)

// Constants of the adaptive policy's backlog rule (backlogCarries).
const (
	// carryFill is how long, in scale-down windows, the backlog must take
	// to grow to the keep-up point (keepUpBacklog of the target per
	// replica) without the last fractional worker before that worker is
	// removed: any sooner and the keep-up adds it back within a window,
	// a reversal for a few pod-seconds.
	carryFill = 1
	// carryAfterUp is how long, in scale-down windows, after a scale-up
	// the rule waits before removing a fractional worker again: the worker
	// it removes is the one a keep-up adds back, and the HPA's window
	// would keep it that long too.
	carryAfterUp = 3
	// carryMaxFraction is the most of a worker the backlog carries: a
	// worker that the load keeps more than half busy is not removed on a
	// fill time, since the estimates it rests on are within 6-10%.
	carryMaxFraction = 0.5
)

// backlogCarries reports whether the backlog the operator accepts (the
// target per replica) can carry the last, fractional worker of need, the
// workers the arrivals and the waiting messages keep busy: the load keeps
// that worker at most carryMaxFraction busy; without it the queue grows at
// the fraction's rate and takes at least carryFill scale-down windows to
// reach the keep-up point; and no scale-up happened within carryAfterUp
// windows. Under steady or slowly changing load that fraction of a worker
// is otherwise an idle pod. It returns the words for the reason when it
// does.
func backlogCarries(in Input, e Estimates, need float64) (string, bool) {
	c := in.Config
	w := c.ScaleDownWindow
	busy := ceilF(need)
	if w <= 0 || busy < 2 {
		return "", false
	}
	fewer := float64(busy - 1)
	grows := (need - fewer) * e.PerWorker // messages a second the queue grows by without the fraction
	room := keepUpBacklog*float64(c.TargetMessages)*fewer - float64(in.Stats.Ready)
	if grows <= 0 || room <= 0 || need-fewer > carryMaxFraction {
		return "", false
	}
	// In seconds, compared as floats: a tiny growth rate would overflow a
	// Duration.
	fill := room / grows
	if fill < (carryFill*w).Seconds() || scaledUpWithin(in, carryAfterUp*w) {
		return "", false
	}
	return fmt.Sprintf("; the backlog carries the last %.1f of a worker: growing by %s without it, the queue takes %s to reach %s of the target (at least %s)",
		need-fewer, rate(grows, 2), fillText(fill), percent(keepUpBacklog), carryFill*w), true
}

// fillText formats a fill time in seconds, "over 1000h" beyond that.
func fillText(sec float64) string {
	if sec > 1000*3600 {
		return "over 1000h"
	}
	return time.Duration(sec * float64(time.Second)).Round(time.Second).String()
}

// scaledUpWithin reports whether a scale-up was applied within w before
// the decision.
func scaledUpWithin(in Input, w time.Duration) bool {
	for i := len(in.History) - 1; i >= 0; i-- {
		o := in.History[i]
		if in.Now.Sub(o.At) > w {
			return false
		}
		if o.Applied > o.Scale.Desired {
			return true
		}
	}
	return false
}
