package engine

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MaxUpdateTimeout caps how long an update (SetScale, with its annotation
// and Event) may take once started. A stop does not cut an update short,
// so this is also the longest a stop waits for one: well within the 60 s
// grace period of the manifests' Deployment.
const MaxUpdateTimeout = 10 * time.Second

// readCtx bounds a read (GetScale, Stats, LoadMemory): it ends with ctx, so
// that a stop never waits for a broker or an apiserver that hangs.
func (c *Controller) readCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

// updateCtx bounds a write (SetScale, SaveMemory): it is not cancelled with
// ctx, since a change stopped half way (scaled, but no annotation or Event)
// is worse than a stop that waits for it, but it has its own deadline of at
// most MaxUpdateTimeout.
func (c *Controller) updateCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), min(c.timeout, MaxUpdateTimeout))
}

// change is the outcome of applying a decision.
type change struct {
	// scale is the deployment the change was based on (read again after a
	// conflict) and d the decision applied (decided again then).
	scale Scale
	d     Decision
	// applied is spec.replicas afterwards: d.Desired, or scale.Desired when
	// nothing changed.
	applied int32
	err     error
}

// apply asks the scaler for d.Desired replicas, from the deployment as read
// in from. On a conflict (somebody changed the deployment since it was
// read), when redecide is set, it reads the deployment again and applies
// redecide's decision for it rather than overwrite their change. It is the
// one path of every change (polls, their conflict retries, approvals);
// record then puts the outcome in the history. c.op must be held and c.mu
// must not.
func (c *Controller) apply(ctx context.Context, from Scale, d Decision, by string, redecide func(Scale) Decision) change {
	ch := c.setScale(ctx, from, d, by)
	if ch.err == nil || redecide == nil || !errors.Is(ch.err, ErrConflict) {
		return ch
	}
	cctx, cancel := c.readCtx(ctx)
	again, err := c.scaler.GetScale(cctx)
	cancel()
	if err != nil {
		ch.err = errors.Join(ch.err, err)
		return ch
	}
	d = redecide(again)
	if d.Desired == again.Desired {
		return change{scale: again, d: d, applied: again.Desired}
	}
	return c.setScale(ctx, again, d, by)
}

// setScale makes one SetScale call and logs its outcome.
func (c *Controller) setScale(ctx context.Context, from Scale, d Decision, by string) change {
	after, note := c.choosePods(ctx, from.Desired, d.Desired, by)
	if note != "" {
		d.Reason += "; " + note
	}
	cctx, cancel := c.updateCtx(ctx)
	err := c.scaler.SetScale(cctx, ScaleRequest{From: from, Replicas: d.Desired, Reason: d.Reason, By: by})
	cancel()
	after(err == nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.eventLocked(EventError, by, "scale %d -> %d failed: %v", from.Desired, d.Desired, err)
		c.errCount[ErrorKind(err)]++
		return change{scale: from, d: d, applied: from.Desired, err: err}
	}
	c.events.add(Event{At: c.clock.Now(), Kind: EventScale, By: by, From: from.Desired, To: d.Desired,
		Message: fmt.Sprintf("scaled %d -> %d: %s", from.Desired, d.Desired, d.Reason)})
	return change{scale: from, d: d, applied: d.Desired}
}

// recordLocked puts an observation in the history: every poll's, and every
// approval's that changed the deployment (Applied is then the new size), so
// that the policies see manual changes as they see their own. It keeps the
// count of failed applies in a row that Run backs off on: tried says an
// apply was attempted; one that failed counts, anything else (a change
// made, or nothing to apply) resets the count. c.mu must be held.
func (c *Controller) recordLocked(o Observation, tried bool, err error) {
	c.hist.Push(o)
	if tried && err != nil {
		c.applyErrors++
	} else {
		c.applyErrors = 0
	}
}
