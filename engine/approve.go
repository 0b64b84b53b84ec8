package engine

import (
	"context"
	"fmt"
)

// Approve applies the pending proposal on behalf of by. It refuses (with an
// error wrapping ErrRefused) in dry-run or paused mode, on stale or failed
// data, when there is nothing to approve, or when the deployment changed
// since the proposal was made (it then polls again). It also refuses once
// ctx is done or Close was called: an approval either starts and completes
// (its update has its own bounded context), or changes nothing.
func (c *Controller) Approve(ctx context.Context, by string) error {
	return c.approve(ctx, by, nil)
}

// ApproveProposal is Approve for the proposal an operator was shown, from
// -> to. When a poll changed the proposal meanwhile (a confirmation was on
// screen), it applies the newer one only if it goes the same way from the
// same size and no further than what was approved (a scale-down that
// removes fewer replicas, a scale-up that adds fewer), and says so;
// otherwise it refuses, asking for a new look.
func (c *Controller) ApproveProposal(ctx context.Context, by string, from, to int32) error {
	return c.approve(ctx, by, &[2]int32{from, to})
}

func (c *Controller) approve(ctx context.Context, by string, seen *[2]int32) error {
	c.op.Lock()
	defer c.op.Unlock()
	c.mu.Lock()
	s, mode, closing := c.snap, c.mode, c.closing
	stale := c.staleLocked(s, c.clock.Now())
	c.mu.Unlock()
	refuse := func(format string, args ...any) error {
		err := fmt.Errorf("%w: "+format, append([]any{ErrRefused}, args...)...)
		c.mu.Lock()
		c.eventLocked(EventInfo, by, "approve refused: %s", fmt.Sprintf(format, args...))
		c.publishLocked(nil)
		c.mu.Unlock()
		return err
	}
	switch {
	case closing:
		return refuse("the controller is closed (quitting)")
	case ctx.Err() != nil:
		return refuse("stopping (%v)", context.Cause(ctx))
	case mode == ModeDryRun:
		return refuse("dry-run mode applies nothing")
	case mode == ModePaused:
		return refuse("paused: resume first")
	case s.Polls == 0:
		return refuse("no poll yet")
	case s.Err != nil && s.ConsecutiveErrors > 0, stale, s.Decision.Held:
		return refuse("will not scale on stale or failed data")
	case !s.Pending:
		return refuse("nothing to approve: already at %d", s.Scale.Desired)
	case seen != nil && !withinApproval(*seen, s.Scale.Desired, s.Proposed):
		return refuse("the proposal changed from %d → %d to %d → %d: review it and approve again", seen[0], seen[1], s.Scale.Desired, s.Proposed)
	}
	if seen != nil && seen[1] != s.Proposed {
		fewer := "removes fewer"
		if s.Proposed > s.Scale.Desired {
			fewer = "adds fewer"
		}
		c.mu.Lock()
		c.eventLocked(EventInfo, by, "approved %d → %d; applying the newer proposal %d → %d, which %s replicas",
			seen[0], seen[1], s.Scale.Desired, s.Proposed, fewer)
		c.mu.Unlock()
	}
	cctx, cancel := c.readCtx(ctx)
	now, err := c.scaler.GetScale(cctx)
	cancel()
	if err != nil {
		c.mu.Lock()
		c.eventLocked(EventError, by, "approve: reading the deployment failed: %v", err)
		c.publishLocked(func(s *Snapshot) { s.Err = err })
		c.mu.Unlock()
		return err
	}
	if now.Desired != s.Scale.Desired {
		c.kick()
		return refuse("the deployment changed from %d to %d since the proposal; polling again", s.Scale.Desired, now.Desired)
	}
	ch := c.apply(ctx, now, s.Decision, by, nil)
	if ch.err == nil {
		defer c.saveMemory(ctx, true) // after c.mu is released
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch.err == nil {
		// The change goes into the history like a poll's, at the time it
		// was made; its recommendation is the poll's, already there.
		d := ch.d
		d.Recommendation, d.Bursty = -1, false
		c.recordLocked(Observation{At: c.clock.Now(), OK: true, Stats: s.Stats, Scale: now, Decision: d, Applied: ch.applied}, true, nil)
	}
	c.publishLocked(func(s *Snapshot) {
		s.Err = ch.err
		if ch.err == nil {
			s.Scale = now
			s.Scale.Desired = ch.applied
		}
	})
	return ch.err
}

// withinApproval reports whether the proposal from -> to is within what an
// operator approved as seen[0] -> seen[1]: the same starting size, the same
// direction, and a target between the two (no further than approved).
func withinApproval(seen [2]int32, from, to int32) bool {
	if seen[0] != from {
		return false
	}
	lo, hi := min(from, seen[1]), max(from, seen[1])
	return to != from && lo <= to && to <= hi
}
