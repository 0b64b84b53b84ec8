package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// NoPodChoice is what the controller says, once, when a scale-down goes
// ahead without choosing its pods because the queue's consumers could not
// be mapped to the Deployment's pods.
const NoPodChoice = "scale-in without pod choice: consumers not mapped to pods"

// ErrNotMapped says that no consumer of the queue could be mapped to a pod
// of the Deployment (no client-provided connection names, peer addresses
// hidden by a proxy or a mesh): the scale-down goes ahead without choice.
var ErrNotMapped = errors.New("consumers not mapped to pods")

// ErrPodChoiceOff says that pod choice cannot work here (no permission to
// list or patch pods): the controller stops asking for it.
var ErrPodChoiceOff = errors.New("pod choice turned off")

// Consumer is one consumer of the queue as the broker reports it: its
// channel's unacknowledged messages and how its connection can be told
// apart (the client-provided name and the peer address).
type Consumer struct {
	Tag     string
	Channel string
	// ConnectionName is the client-provided connection name (a worker sets
	// it to its pod's name); "" when the client gave none.
	ConnectionName string
	PeerHost       string
	PeerPort       int
	// Unacked is the channel's messages_unacknowledged: > 0 means busy.
	Unacked int
}

// ConsumerLister lists the queue's consumers (rabbit.Client).
type ConsumerLister interface {
	Consumers(ctx context.Context) ([]Consumer, error)
}

// PodChoice is the outcome of PrepareScaleDown.
type PodChoice struct {
	// Idle and Busy count the pods marked cheap and dear to delete.
	Idle, Busy int
	// Remove names the pods the ReplicaSet controller should delete first.
	Remove []string
	// After, when set, is called once the scale was applied (applied true)
	// or not (false), so that the marks can be removed when they no
	// longer matter.
	After func(applied bool)
}

// ChoosePods is the choice of a scale-down of n pods among states, given in
// the order a scale-down removes them: the mapped pods counted as idle or
// busy, and the first n named in Remove (After is left to the chooser).
func ChoosePods(states []PodState, n int) PodChoice {
	var choice PodChoice
	for i, st := range states {
		switch {
		case !st.Mapped:
		case st.Unacked == 0:
			choice.Idle++
		default:
			choice.Busy++
		}
		if i < n {
			choice.Remove = append(choice.Remove, st.Name)
		}
	}
	return choice
}

// PodChooser marks the pods that a scale-down from -> to should remove
// (pod-deletion-cost) before the controller applies it.
type PodChooser interface {
	PrepareScaleDown(ctx context.Context, from, to int32) (PodChoice, error)
}

// podChoice is the controller's pod chooser and what it has said.
type podChoice struct {
	mu       sync.Mutex
	chooser  PodChooser
	unmapped bool // NoPodChoice said since the last mapped scale-down
	watch    bool // WatchPods: every poll observes the pods
}

// SetPodChooser makes every scale-down ask p to choose its pods first (nil
// turns it off).
func (c *Controller) SetPodChooser(p PodChooser) {
	c.pods.mu.Lock()
	defer c.pods.mu.Unlock()
	c.pods.chooser, c.pods.unmapped = p, false
}

// choosePods asks the chooser, if any, to prepare a scale-down from -> to
// and returns the function to call once it is applied (never nil) and a
// note for the scale's reason (the choice made, or NoPodChoice the first
// time). A failure never stops the scale-down: it is said once, and a
// chooser that cannot work here is dropped. c.op must be held and c.mu must
// not.
func (c *Controller) choosePods(ctx context.Context, from, to int32, by string) (func(applied bool), string) {
	none := func(bool) {}
	if to >= from {
		return none, ""
	}
	pc := &c.pods
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.chooser == nil {
		return none, ""
	}
	cctx, cancel := c.updateCtx(ctx)
	choice, err := pc.chooser.PrepareScaleDown(cctx, from, to)
	cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case errors.Is(err, ErrPodChoiceOff):
		pc.chooser = nil
		c.eventLocked(EventError, by, "scale-in without pod choice from now on: %v", err)
		return none, "scale-in without pod choice from now on (see the events)"
	case err != nil:
		note := ""
		if !pc.unmapped || !errors.Is(err, ErrNotMapped) {
			c.eventLocked(EventError, by, "%s (%v)", NoPodChoice, err)
			note = NoPodChoice
		}
		pc.unmapped = errors.Is(err, ErrNotMapped)
		return none, note
	}
	pc.unmapped = false
	note := fmt.Sprintf("chooses its pods: %d idle, %d busy; first to go: %s", choice.Idle, choice.Busy, Printable(joinNames(choice.Remove, 10)))
	c.eventLocked(EventInfo, by, "scale-in %d -> %d %s", from, to, note)
	if choice.After == nil {
		return none, note
	}
	return choice.After, note
}

// joinNames joins up to max names with ", " and says how many more.
func joinNames(names []string, max int) string {
	s := ""
	for i, n := range names {
		if i == max {
			return s + ", ..."
		}
		if i > 0 {
			s += ", "
		}
		s += n
	}
	if s == "" {
		return "none"
	}
	return s
}
