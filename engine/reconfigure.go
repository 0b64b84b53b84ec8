package engine

import "fmt"

// SetClamp changes the replica range. The proposal is recomputed at once
// from the last observation (no I/O); it is applied, in auto mode, at the
// next poll.
func (c *Controller) SetClamp(minR, maxR int32, by string) error {
	return c.reconfigure(by, func(cfg *Config) string {
		old := fmt.Sprintf("[%d, %d]", cfg.MinReplicas, cfg.MaxReplicas)
		cfg.MinReplicas, cfg.MaxReplicas = minR, maxR
		return fmt.Sprintf("clamp %s -> [%d, %d]", old, minR, maxR)
	})
}

// AdjustClamp moves the replica range by dMin and dMax (the console's
// [ ] { } keys). The change is computed from the range in force when it is
// applied, not from a snapshot the caller saw, so quick presses add up in
// any order. It refuses, like SetClamp, a range that is not valid.
func (c *Controller) AdjustClamp(dMin, dMax int32, by string) error {
	return c.reconfigure(by, func(cfg *Config) string {
		old := fmt.Sprintf("[%d, %d]", cfg.MinReplicas, cfg.MaxReplicas)
		cfg.MinReplicas, cfg.MaxReplicas = cfg.MinReplicas+dMin, cfg.MaxReplicas+dMax
		return fmt.Sprintf("clamp %s -> [%d, %d]", old, cfg.MinReplicas, cfg.MaxReplicas)
	})
}

// AdjustTarget sets the target messages per replica to step(the target in
// force when it is applied), so that quick steps (the console's - and +
// keys) add up in any order. step runs with the controller's lock held: it
// must not call the controller.
func (c *Controller) AdjustTarget(step func(current int64) int64, by string) error {
	return c.reconfigure(by, func(cfg *Config) string {
		old := cfg.TargetMessages
		cfg.TargetMessages = step(old)
		return fmt.Sprintf("target %s -> %s messages per replica", Thousands(old), Thousands(cfg.TargetMessages))
	})
}

// SetTarget changes the target messages per replica.
func (c *Controller) SetTarget(n int64, by string) error {
	return c.reconfigure(by, func(cfg *Config) string {
		old := cfg.TargetMessages
		cfg.TargetMessages = n
		return fmt.Sprintf("target %s -> %s messages per replica", Thousands(old), Thousands(n))
	})
}

func (c *Controller) reconfigure(by string, change func(*Config) string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg := c.cfg
	msg := change(&cfg)
	if err := cfg.Validate(); err != nil {
		return err
	}
	c.cfg = cfg
	c.eventLocked(EventConfig, by, "%s", msg)
	c.publishLocked(func(s *Snapshot) {
		if s.Polls == 0 || s.Err != nil || s.LastGoodPoll.IsZero() {
			return
		}
		hist := c.hist.Slice()
		if len(hist) > 0 {
			hist = hist[:len(hist)-1]
		}
		// The statistics are the last good poll's: if that is too long ago,
		// the new proposal is a hold, not a decision on stale data.
		now := c.clock.Now()
		d := Decide(c.policy, Input{Config: cfg, Now: now, Stats: s.Stats,
			Current: s.Scale.Desired, Ready: s.Scale.Ready, History: hist, Stale: c.staleLocked(*s, now)})
		s.Decision, s.Proposed = d, d.Desired
	})
	return nil
}
