package engine

import (
	"errors"
	"time"
)

// FleetSnapshot is the fleet as published after every round and every
// change of targets or modes. It is shared by every subscriber: treat it,
// its slices and the maps in it as read-only.
type FleetSnapshot struct {
	// Seq increases with every published snapshot.
	Seq uint64
	At  time.Time
	// Mode is the fleet's mode (SetMode); a target's own may differ.
	Mode Mode
	// Targets are sorted by key.
	Targets []TargetSnapshot
}

// TargetSnapshot is one target in a FleetSnapshot.
type TargetSnapshot struct {
	Namespace  string
	Deployment string
	Queues     QueueSet
	// Depths are the target's queues (name escaped, see Printable) as the
	// last round read them; nil when it could not read them.
	Depths []QueueDepth
	// Recent are the depths (under the target's count) of its latest
	// good polls (failed ones left out), oldest first, at most
	// FleetRecentDepths: the list's sparkline.
	Recent []int64
	// Snapshot is the target's controller's latest snapshot, without its
	// History and Events (nil: ask Fleet.Controller(key).Snapshot() for
	// them); zero, with Seq 0, when the target cannot run.
	Snapshot Snapshot
	// Err is why the target cannot run (an invalid annotation), or else its
	// last poll's error (a missing queue, a forbidden vhost, ...).
	Err error
	// Status is one of the Status constants.
	Status string
}

// Key is "namespace/deployment".
func (t TargetSnapshot) Key() string { return t.Namespace + "/" + t.Deployment }

// A target's status in a FleetSnapshot, the first that applies in this
// order.
const (
	// StatusError: the target cannot run (an invalid annotation), or its
	// last poll or update failed (a missing queue, a forbidden vhost).
	StatusError = "error"
	// StatusPaused: paused by an operator.
	StatusPaused = "paused"
	// StatusGuard: its last update was refused because another autoscaler
	// (an HPA, a KEDA ScaledObject) targets the Deployment.
	StatusGuard = "guard"
	// StatusStarting: not polled yet.
	StatusStarting = "starting"
	// StatusStale: no good poll for more than two poll intervals.
	StatusStale = "stale"
	// StatusDryRun: in dry-run mode (proposals are never applied).
	StatusDryRun = "dry-run"
	// StatusHolding: a proposal waits for approval (manual mode), or the
	// policy held on data it could not trust.
	StatusHolding = "holding"
	// StatusOK: polled, decided, nothing waiting.
	StatusOK = "ok"
)

// FleetRecentDepths is how many recent depths a TargetSnapshot carries.
const FleetRecentDepths = 60

// targetStatus returns the status of a target whose controller's snapshot
// is s (err is the target's own error).
func targetStatus(err error, s Snapshot) string {
	switch {
	case err != nil:
		return StatusError
	case s.Mode == ModePaused:
		return StatusPaused
	case s.Err != nil && s.ApplyErrors > 0 && errors.Is(s.Err, ErrRefused):
		return StatusGuard
	case s.Err != nil:
		return StatusError
	case s.Polls == 0:
		return StatusStarting
	case s.Stale:
		return StatusStale
	case s.Mode == ModeDryRun:
		return StatusDryRun
	case s.Decision.Held || s.Pending:
		return StatusHolding
	}
	return StatusOK
}

// view returns m's part of a snapshot as of now. f.mu must be held.
func (m *member) view(now time.Time) TargetSnapshot {
	t := TargetSnapshot{Namespace: m.target.Namespace, Deployment: m.target.Deployment, Queues: m.target.Queues, Err: m.err}
	if m.ctrl != nil {
		t.Snapshot, t.Recent = m.ctrl.fleetView(now)
		t.Depths = m.depths
		if t.Err == nil {
			t.Err = t.Snapshot.Err
		}
	}
	t.Status = targetStatus(m.err, t.Snapshot)
	return t
}

// fleetView returns c's snapshot without its history and events (whose
// staleness is as of now), and the recent depths its history read (its
// failed polls left out).
func (c *Controller) fleetView(now time.Time) (Snapshot, []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.snap // kept without History and Events
	s.Stale = c.staleLocked(s, now)
	hist := c.hist.View()
	hist = hist[len(hist)-min(len(hist), FleetRecentDepths):]
	recent := make([]int64, 0, len(hist))
	for _, o := range hist {
		if o.OK { // a failed poll holds the last good depth (or zero): not a reading
			recent = append(recent, c.cfg.Depth(o.Stats))
		}
	}
	return s, recent
}

// publishLocked builds a new snapshot and hands it to every subscriber.
// f.mu must be held.
func (f *Fleet) publishLocked() FleetSnapshot {
	now := f.clock.Now()
	s := FleetSnapshot{Seq: f.snap.Seq + 1, At: now, Mode: f.mode, Targets: make([]TargetSnapshot, len(f.keys))}
	for i, k := range f.keys {
		s.Targets[i] = f.members[k].view(now)
	}
	f.snap = s
	for ch := range f.subs {
		select {
		case <-ch:
		default:
		}
		ch <- s
	}
	return s
}

// Snapshot returns the latest published snapshot (read-only).
func (f *Fleet) Snapshot() FleetSnapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

// Subscribe returns a channel that always holds the newest snapshot not
// yet received (older ones are dropped, never queued), and a function that
// unsubscribes. The current snapshot is delivered at once.
func (f *Fleet) Subscribe() (<-chan FleetSnapshot, func()) {
	ch := make(chan FleetSnapshot, 1)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	ch <- f.snap
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}
}
