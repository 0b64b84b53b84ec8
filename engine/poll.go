package engine

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Poll runs one poll: read the deployment and the queue, decide, and in auto
// mode apply. It returns the snapshot it published (or a newer one, when a
// command published one meanwhile), with its own copies of the slices.
func (c *Controller) Poll(ctx context.Context) Snapshot { return c.PollAs(ctx, "auto") }

// PollAs is Poll with the changes it applies recorded as made by by (for
// example "once").
func (c *Controller) PollAs(ctx context.Context, by string) Snapshot {
	c.op.Lock()
	defer c.op.Unlock()
	c.pollOp(ctx, by)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fullLocked(c.snap)
}

// pollKept is PollAs without the copies: it returns the snapshot as kept,
// without History and Events (all that a fleet's round needs).
func (c *Controller) pollKept(ctx context.Context, by string) Snapshot {
	c.op.Lock()
	defer c.op.Unlock()
	return c.pollOp(ctx, by)
}

// pollOp is pollKept with c.op held.
func (c *Controller) pollOp(ctx context.Context, by string) Snapshot {
	if c.closed() {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.snap
	}
	c.loadMemory(ctx)
	s := c.pollLocked(ctx, by)
	if c.memory == nil || s.ConsecutiveErrors > 0 {
		return s
	}
	c.mu.Lock()
	last, _ := c.hist.Last()
	c.mu.Unlock()
	c.saveMemory(ctx, last.Applied != last.Scale.Desired)
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snap
}

// reading is what one poll read: the deployment, then the queue.
type reading struct {
	at    time.Time
	scale Scale
	stats QueueStats
	// serr is the deployment's read error, qerr the queue's (not read when
	// the deployment could not be).
	serr, qerr error
}

func (r reading) err() error { return errors.Join(r.serr, r.qerr) }

func (c *Controller) read(ctx context.Context) reading {
	r := reading{at: c.clock.Now()}
	cctx, cancel := c.readCtx(ctx)
	r.scale, r.serr = c.scaler.GetScale(cctx)
	cancel()
	if r.serr == nil {
		cctx, cancel = c.readCtx(ctx)
		r.stats, r.qerr = c.src.Stats(cctx)
		cancel()
		if r.qerr == nil {
			// Garbage from the broker fails the poll: no decision is made
			// on numbers that cannot be true.
			r.qerr = CheckStats(r.stats)
		}
	}
	if ctx.Err() != nil {
		// Stopped while reading: say so rather than blame the broker or the
		// apiserver (a process interrupted is not a failed poll of theirs).
		r.serr, r.qerr = interrupted(ctx, r.serr), interrupted(ctx, r.qerr)
	}
	return r
}

// interrupted turns err, from a read cut short because ctx is done, into an
// error of kind canceled that gives the stop's cause.
func interrupted(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	cause := context.Cause(ctx)
	msg := "interrupted before the poll finished"
	if !errors.Is(cause, context.Canceled) {
		msg += " (" + Printable(cause.Error()) + ")"
	}
	return &Error{Kind: context.Canceled, Msg: msg, Err: cause}
}

func (c *Controller) pollLocked(ctx context.Context, by string) Snapshot {
	r := c.read(ctx)
	c.mu.Lock()
	cfg, policy, mode := c.cfg, c.policy, c.mode
	last := c.snap
	// The view is not copied: the ring never changes what it handed out,
	// and the policies only read it.
	hist := c.hist.View()
	c.mu.Unlock()
	if r.err() != nil {
		return c.failedPoll(r, cfg, policy, last, by)
	}

	in := Input{Config: cfg, Now: r.at, Stats: r.stats, Current: r.scale.Desired, Ready: r.scale.Ready, History: hist}
	d := Decide(policy, in)
	if mode == ModePaused {
		// Only the proposal is frozen: the policy's recommendation (and its
		// bursty flag) go into the history as usual, so that the scale-down
		// window still holds what it saw once the pause ends.
		d.Desired, d.Reason = r.scale.Desired, fmt.Sprintf("paused at %d: %s", r.scale.Desired, d.Reason)
	}
	pods := c.podsFor(ctx, r.at, cfg, mode, r.scale.Desired, d, by)
	d, held := waitIdle(cfg, r.at, r.scale.Desired, d, hist, pods)
	ch := change{scale: r.scale, d: d, applied: r.scale.Desired}
	tried := false
	if mode == ModeAuto && d.Desired != r.scale.Desired && ctx.Err() != nil {
		// Stopping (a signal, or the leader's lease lost): start no update;
		// the next instance or run decides again.
		ch.d.Reason = fmt.Sprintf("stopping: %s not applied (%s)", d.Reason, context.Cause(ctx))
		ch.d.Desired = r.scale.Desired
	}
	if mode == ModeAuto && ch.d.Desired != r.scale.Desired {
		tried = true
		ch = c.apply(ctx, r.scale, d, by, func(again Scale) Decision {
			in.Current, in.Ready = again.Desired, again.Ready
			d, _ := waitIdle(cfg, r.at, again.Desired, Decide(policy, in), hist, pods)
			return d
		})
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	c.noteOutsideLocked(last, r.scale, by)
	c.recordLocked(Observation{At: r.at, OK: true, Stats: r.stats, Scale: ch.scale, Decision: ch.d, Applied: ch.applied, IdleHold: held}, tried, ch.err)
	return c.publishLocked(func(s *Snapshot) {
		s.Polls++
		s.LastPoll = r.at
		s.LastGoodPoll = r.at
		s.ScaleRead = r.at
		s.Stats = r.stats
		s.Scale = ch.scale
		s.Scale.Desired = ch.applied
		s.Decision = ch.d
		s.Proposed = ch.d.Desired
		s.Err = ch.err
		s.ConsecutiveErrors = 0
		s.Pods = pods
	})
}

// failedPoll records a poll that could not read the deployment or the
// queue: a hold at the last known size.
func (c *Controller) failedPoll(r reading, cfg Config, policy Policy, last Snapshot, by string) Snapshot {
	err := r.err()
	if r.serr == nil {
		// The deployment was read: keep that fresh read even though the
		// queue was not.
		c.mu.Lock()
		c.noteOutsideLocked(last, r.scale, by)
		c.mu.Unlock()
		last.Scale = r.scale
	}
	cur := last.Scale.Desired
	d := Decide(policy, Input{Config: cfg, Now: r.at, Current: cur, Err: err})
	switch {
	case r.serr != nil && last.LastGoodPoll.IsZero():
		// "holding at 0" would read as a fact: the size is unknown.
		d.Reason = fmt.Sprintf("holding: the deployment has not been read yet (%s)", ErrorKind(err))
	case errors.Is(err, errImplausible):
		d.Reason = fmt.Sprintf("holding at %d: %v", cur, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if last.ConsecutiveErrors == 0 || last.Err == nil || ErrorKind(last.Err) != ErrorKind(err) {
		c.eventLocked(EventError, by, "poll failed: %v", err)
	}
	c.hist.Push(Observation{At: r.at, OK: false, Stats: last.Stats, Scale: last.Scale, Decision: d, Applied: cur})
	return c.publishLocked(func(s *Snapshot) {
		s.Polls++
		s.LastPoll = r.at
		s.Scale = last.Scale
		if r.serr == nil {
			s.ScaleRead = r.at
		}
		s.Err = err
		s.ConsecutiveErrors++
		if !errors.Is(err, context.Canceled) {
			// A stop is not a failure of the broker or the apiserver:
			// errors_total does not count it.
			c.errCount[ErrorKind(err)]++
		}
		s.Decision = d
		s.Proposed = d.Desired
	})
}

// OutsideBy is the Event.By of a change of the Deployment's size that this
// controller did not make.
const OutsideBy = "outside"

// noteOutsideLocked records an event when a poll reads a spec.replicas
// other than the one this controller last read or set (in last, the
// snapshot before the poll): another autoscaler, a kubectl scale or a
// rollout changed it. An update of this controller's that reported an error
// (a response lost on the way back) but took effect is said to have taken
// effect, by by, not taken for an outside change. The first read has
// nothing to compare with.
func (c *Controller) noteOutsideLocked(last Snapshot, now Scale, by string) {
	before := last.Scale.Desired
	switch {
	case !c.scaleSeen || now.Desired == before:
	case last.Err != nil && now.Desired == last.Proposed:
		c.eventLocked(EventInfo, by, "replicas %d → %d: the update that reported %q took effect after all", before, now.Desired, ErrorKind(last.Err))
	default:
		c.events.add(Event{At: c.clock.Now(), Kind: EventInfo, By: OutsideBy, From: before, To: now.Desired,
			Message: fmt.Sprintf("replicas %d → %d, not by yeetscale (another autoscaler, kubectl scale, a rollout)", before, now.Desired)})
	}
	c.scaleSeen = true
}
