package engine

import (
	"context"
	"fmt"
)

func (c *Controller) call(ctx context.Context) (context.Context, context.CancelFunc) {
	// An update in flight is never cut short by a stop signal: it gets its
	// own deadline instead.
	return context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
}

// applyLocked asks the scaler for d.Desired replicas. c.op must be held and
// c.mu must not.
func (c *Controller) applyLocked(ctx context.Context, from Scale, d Decision, by string) (int32, error) {
	cctx, cancel := c.call(ctx)
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
