package engine

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"
)

// PodState is one worker pod of the Deployment as the queue's consumers
// show it.
type PodState struct {
	// Name is the pod's name as the apiserver gave it (escape it with
	// Printable before showing it).
	Name string
	// Mapped is true when some consumer of the queue maps to the pod.
	Mapped bool
	// Unacked sums its consumers' unacknowledged messages.
	Unacked int
}

// Idle reports whether the pod is known to hold no message.
func (p PodState) Idle() bool { return p.Mapped && p.Unacked == 0 }

// MaxRankedUnacked is the most unacknowledged messages that still tell two
// busy pods apart in the removal order: above it, they rank alike.
const MaxRankedUnacked = 1000000

// removalRank is p's place in the order a scale-down removes pods: idle
// first, then those no consumer maps to, then the busy ones, least busy
// first.
func (p PodState) removalRank() int {
	switch {
	case !p.Mapped:
		return 0
	case p.Unacked == 0:
		return -1
	}
	return min(p.Unacked, MaxRankedUnacked)
}

// SortForRemoval sorts xs stably in the order a scale-down removes pods
// (idle first, then those no consumer maps to, then the busy ones, least
// busy first), by the PodState that state returns for each.
func SortForRemoval[T any](xs []T, state func(T) PodState) {
	slices.SortStableFunc(xs, func(a, b T) int { return cmp.Compare(state(a).removalRank(), state(b).removalRank()) })
}

// PodObserver is a PodChooser that can also read the pods' states without
// changing anything (the console's pod view, --scale-in-wait-idle).
type PodObserver interface {
	// ObservePods returns the Deployment's pods in the order a scale-down
	// would remove them (idle first, busiest last). Errors are those of
	// PodChooser.PrepareScaleDown.
	ObservePods(ctx context.Context) ([]PodState, error)
}

// PodView is what one poll saw of the worker pods.
type PodView struct {
	At time.Time
	// Pods are in the order a scale-down would remove them.
	Pods []PodState
	// Err says, in one line, why the pods could not be seen or mapped (""
	// when they were).
	Err string
	// Down is the size the poll's policy proposed scaling down to (before
	// any --scale-in-wait-idle hold); -1 when it proposed no scale-down.
	Down int32
}

// Idle counts the idle pods.
func (v *PodView) Idle() int {
	n := 0
	for _, p := range v.Pods {
		if p.Idle() {
			n++
		}
	}
	return n
}

// WatchPods makes every poll observe the worker pods (once a poll) and
// publish them in Snapshot.Pods, for a console that shows them; off, polls
// observe them only when --scale-in-wait-idle needs to.
func (c *Controller) WatchPods(on bool) {
	c.pods.mu.Lock()
	defer c.pods.mu.Unlock()
	c.pods.watch = on
}

// podsFor observes the pods for a poll that read cur replicas and decided
// d (see observePods), noting d's scale-down in the view.
func (c *Controller) podsFor(ctx context.Context, at time.Time, cfg Config, mode Mode, cur int32, d Decision, by string) *PodView {
	v := c.observePods(ctx, at, needsPods(cfg, mode, cur, d), by)
	if v != nil && d.Desired < cur {
		v.Down = d.Desired
	}
	return v
}

// observePods asks the chooser, if it observes, for the pods' states when
// the console watches them or need is set. It returns nil when nothing was
// asked. A chooser that may not see pods is dropped, as by choosePods.
// c.op must be held and c.mu must not.
func (c *Controller) observePods(ctx context.Context, at time.Time, need bool, by string) *PodView {
	pc := &c.pods
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if !pc.watch && !need {
		return nil
	}
	obs, ok := pc.chooser.(PodObserver)
	if !ok {
		why := "pod choice is off (--pod-choice=false, or no pod rights)"
		if pc.chooser != nil {
			why = "this pod chooser cannot observe pods"
		}
		return &PodView{At: at, Err: why, Down: -1}
	}
	cctx, cancel := c.readCtx(ctx)
	pods, err := obs.ObservePods(cctx)
	cancel()
	if err == nil {
		return &PodView{At: at, Pods: pods, Down: -1}
	}
	if errors.Is(err, ErrPodChoiceOff) {
		pc.chooser = nil
		c.mu.Lock()
		c.eventLocked(EventError, by, "scale-in without pod choice from now on: %v", err)
		c.mu.Unlock()
	}
	return &PodView{At: at, Err: Printable(err.Error()), Down: -1}
}
