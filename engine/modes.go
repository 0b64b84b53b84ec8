package engine

import "fmt"

// Mode says what the controller does with a proposal.
type Mode int

// Modes of applying a decision.
const (
	// ModeManual shows the proposal; an operator approves it.
	ModeManual Mode = iota
	// ModeAuto applies every proposal.
	ModeAuto
	// ModeDryRun computes and reports proposals, never applies them.
	ModeDryRun
	// ModePaused keeps polling and evaluating but proposes and applies
	// nothing.
	ModePaused
)

func (m Mode) String() string {
	switch m {
	case ModeManual:
		return "manual"
	case ModeAuto:
		return "auto"
	case ModeDryRun:
		return "dry-run"
	case ModePaused:
		return "paused"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// SetMode switches mode.
func (c *Controller) SetMode(m Mode, by string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setModeLocked(m, by)
}

func (c *Controller) setModeLocked(m Mode, by string) {
	if m == c.mode {
		return
	}
	c.prevMode, c.mode = c.mode, m
	c.eventLocked(EventConfig, by, "mode %s -> %s", c.prevMode, m)
	c.publishLocked(nil)
}

// Toggle switches into m, or back to the previous mode when already in m
// (dry-run and pause are toggles in the console). The check and the switch
// are one step: two quick toggles always make two switches.
func (c *Controller) Toggle(m Mode, by string) Mode {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := m
	if c.mode == m {
		next = c.prevMode
		if next == m {
			next = ModeManual
		}
	}
	c.setModeLocked(next, by)
	return next
}
