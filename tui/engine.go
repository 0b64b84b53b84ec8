package tui

import (
	"context"

	"github.com/yeeter/yeetscale/engine"
)

// Engine is what the console uses of an engine.Controller. Tests pass a real
// controller on a simulated world, or a small fake.
type Engine interface {
	// Subscribe returns a channel that always holds the newest snapshot and
	// a function that unsubscribes.
	Subscribe() (<-chan engine.Snapshot, func())
	// ApproveProposal applies the pending proposal if it is still from ->
	// to, the one the operator saw (does I/O).
	ApproveProposal(ctx context.Context, by string, from, to int32) error
	// Toggle switches into m, or back to the previous mode when already in m.
	Toggle(m engine.Mode, by string) engine.Mode
	// SetMode switches mode.
	SetMode(m engine.Mode, by string)
	// SetClamp changes the replica range.
	SetClamp(minR, maxR int32, by string) error
	// SetTarget changes the target messages per replica.
	SetTarget(n int64, by string) error
	// AdjustClamp moves the replica range by (dMin, dMax) from the range in
	// force when it runs, so that quick steps add up in any order.
	AdjustClamp(dMin, dMax int32, by string) error
	// AdjustTarget sets the target to step(the target in force).
	AdjustTarget(step func(current int64) int64, by string) error
	// PollNow asks the running loop to poll at once.
	PollNow()
}

var _ Engine = (*engine.Controller)(nil)
