package engine

import (
	"fmt"
	"maps"
	"time"
)

// Snapshot is an immutable view of the controller, published after every
// poll and every command. Slices are copies owned by the receiver.
type Snapshot struct {
	// Seq increases with every published snapshot.
	Seq    uint64
	At     time.Time
	Config Config
	Mode   Mode
	// Stats and Scale are the last values read successfully.
	Stats QueueStats
	Scale Scale
	// Polls counts polls; LastPoll is when the latest one ran and
	// LastGoodPoll when the latest successful one ran (zero before any).
	Polls        int
	LastPoll     time.Time
	LastGoodPoll time.Time
	// ScaleRead is when the Deployment was last read (zero before any):
	// a poll that reads it but fails on the queue keeps that fresh read
	// (Scale) without being a good poll.
	ScaleRead time.Time
	// Stale is true when no poll has succeeded for more than two poll
	// intervals (or none yet after a failure).
	Stale bool
	// Decision is the latest decision; Proposed its Desired.
	Decision Decision
	Proposed int32
	// Pending is true when the proposal differs from spec.replicas and has
	// not been applied (manual or dry-run mode, or an apply that failed).
	Pending bool
	// History is the history the policies read, oldest first.
	History []Observation
	// Events is the event log, newest first.
	Events []Event
	// Err is the last poll's or command's error (nil after a clean poll);
	// ConsecutiveErrors counts failed polls in a row.
	Err               error
	ConsecutiveErrors int
	// ApplyErrors counts the polls in a row whose update failed (refused,
	// forbidden, ...): Run backs off on them as on failed polls.
	ApplyErrors int
	// Errors counts every failed poll and failed apply since start, by
	// ErrorKind (for metrics: exact even when a consumer skips snapshots).
	// A poll interrupted by a stop (kind canceled) is not counted.
	Errors map[string]int
	// NextPoll is when the loop polls next (zero outside Run).
	NextPoll time.Time
	// Pods is the latest poll's view of the worker pods (nil unless the
	// poll observed them: WatchPods, or --scale-in-wait-idle on a
	// scale-down). Its slice is shared and never changed.
	Pods *PodView
}

// Age returns how long ago the last good poll was, as of now.
func (s Snapshot) Age(now time.Time) time.Duration {
	if s.LastGoodPoll.IsZero() {
		return 0
	}
	return now.Sub(s.LastGoodPoll)
}

// Snapshot returns the latest snapshot, with its own copies of the slices
// and the map.
func (c *Controller) Snapshot() Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fullLocked(c.snap)
}

// fullLocked returns s, a snapshot as the controller keeps it (c.snap:
// without its History and Events, which would double the memory of a
// fleet and cost a copy of the history at every publish), with its own
// copies of the history, the events and the error counts. The history and
// the events are the controller's at the time of the call: those of s,
// since every change of them is published (within the poll or the command
// that makes it). c.mu must be held.
func (c *Controller) fullLocked(s Snapshot) Snapshot {
	s.History = c.hist.Slice()
	s.Events = c.events.newestFirst()
	s.Errors = maps.Clone(s.Errors)
	if s.Errors == nil {
		s.Errors = map[string]int{}
	}
	return s
}

// Subscribe returns a channel that always holds the newest snapshot not yet
// received (older ones are dropped, never queued), and a function that
// unsubscribes. The current snapshot is delivered at once. Every delivery
// has its own copies of the slices and the map.
func (c *Controller) Subscribe() (<-chan Snapshot, func()) {
	ch := make(chan Snapshot, 1)
	c.mu.Lock()
	c.subs[ch] = struct{}{}
	ch <- c.fullLocked(c.snap)
	c.mu.Unlock()
	return ch, func() {
		c.mu.Lock()
		delete(c.subs, ch)
		c.mu.Unlock()
	}
}

// publishLocked builds a new snapshot from the state, keeps it (without
// History and Events, see fullLocked) and hands every subscriber a full
// copy. It returns the snapshot as kept. c.mu must be held.
func (c *Controller) publishLocked(update func(*Snapshot)) Snapshot {
	// Built in place: a copy passed to update would escape to the heap,
	// one allocation of a whole Snapshot per publish.
	s := &c.snap
	if update != nil {
		update(s)
	}
	s.Seq++
	s.At = c.clock.Now()
	s.Config = c.cfg
	s.Mode = c.mode
	if !maps.Equal(s.Errors, c.errCount) {
		// The kept map is never changed: only copies of it leave (except
		// in the fleet's read-only snapshot).
		s.Errors = maps.Clone(c.errCount)
	}
	s.Stale = c.staleLocked(*s, s.At)
	s.ApplyErrors = c.applyErrors
	s.Pending = s.Proposed >= 0 && s.Polls > 0 && s.Proposed != s.Scale.Desired && c.mode != ModePaused
	for ch := range c.subs {
		select {
		case <-ch:
		default:
		}
		ch <- c.fullLocked(*s)
	}
	return *s
}

func (c *Controller) staleLocked(s Snapshot, now time.Time) bool {
	if s.LastGoodPoll.IsZero() {
		return s.Polls > 0
	}
	return now.Sub(s.LastGoodPoll) > 2*c.cfg.PollInterval
}

func (c *Controller) eventLocked(kind EventKind, by, format string, args ...any) {
	c.events.add(Event{At: c.clock.Now(), Kind: kind, By: by, Message: fmt.Sprintf(format, args...)})
}
