package engine

import (
	"context"
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

// applyLocked asks the scaler for d.Desired replicas. c.op must be held and
// c.mu must not.
func (c *Controller) applyLocked(ctx context.Context, from Scale, d Decision, by string) (int32, error) {
	cctx, cancel := c.updateCtx(ctx)
	err := c.scaler.SetScale(cctx, ScaleRequest{From: from, Replicas: d.Desired, Reason: d.Reason, By: by})
	cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.eventLocked(EventError, by, "scale %d -> %d failed: %v", from.Desired, d.Desired, err)
		c.errCount[ErrorKind(err)]++
		return from.Desired, err
	}
	c.events.add(Event{At: c.clock.Now(), Kind: EventScale, By: by, From: from.Desired, To: d.Desired,
		Message: fmt.Sprintf("scaled %d -> %d: %s", from.Desired, d.Desired, d.Reason)})
	return d.Desired, nil
}
