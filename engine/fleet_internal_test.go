package engine

import (
	"errors"
	"testing"
	"time"
)

// TestDueAt checks that polls stay on a grid of the poll interval, so that
// targets polled at different times come back into one round.
func TestDueAt(t *testing.T) {
	grid := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const iv = 15 * time.Second
	for _, tt := range []struct {
		name     string
		at       time.Duration // after a grid point
		wait     time.Duration
		interval time.Duration
		want     time.Duration // after the same grid point
	}{
		{"on the grid", 0, iv, iv, iv},
		{"a round that took a while", 900 * time.Millisecond, iv, iv, iv},
		{"a third of an interval late", 5 * time.Second, iv, iv, iv},
		{"most of an interval late", 13 * time.Second, iv, iv, 2 * iv},
		{"a backoff", 0, 2 * iv, iv, 2 * iv},
		{"a longer interval", 0, 30 * time.Second, 30 * time.Second, 30 * time.Second},
		{"15s and 30s targets meet at 30s", 15 * time.Second, iv, iv, 30 * time.Second},
	} {
		got := dueAt(grid.Add(tt.at), tt.wait, tt.interval).Sub(grid)
		if got != tt.want {
			t.Errorf("%s: due %v after the grid point, want %v", tt.name, got, tt.want)
		}
	}
}

// TestTargetStatus checks the order in which a status is chosen.
func TestTargetStatus(t *testing.T) {
	polled := Snapshot{Polls: 1}
	refused := &Error{Kind: ErrRefused, Msg: "an HPA targets the deployment"}
	for _, tt := range []struct {
		name string
		err  error
		s    Snapshot
		want string
	}{
		{"invalid target", errors.New("bad"), Snapshot{}, StatusError},
		{"not polled", nil, Snapshot{}, StatusStarting},
		{"ok", nil, polled, StatusOK},
		{"paused, failing", nil, Snapshot{Polls: 1, Mode: ModePaused, Err: errors.New("x")}, StatusPaused},
		{"guard", nil, Snapshot{Polls: 1, Err: refused, ApplyErrors: 1}, StatusGuard},
		{"refused read", nil, Snapshot{Polls: 1, Err: refused}, StatusError},
		{"failed poll", nil, Snapshot{Polls: 1, Err: errors.New("x"), Stale: true}, StatusError},
		{"stale", nil, Snapshot{Polls: 1, Stale: true, Pending: true}, StatusStale},
		{"dry-run", nil, Snapshot{Polls: 1, Mode: ModeDryRun, Pending: true}, StatusDryRun},
		{"pending", nil, Snapshot{Polls: 1, Pending: true}, StatusHolding},
		{"held", nil, Snapshot{Polls: 1, Decision: Decision{Held: true}}, StatusHolding},
	} {
		if got := targetStatus(tt.err, tt.s); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}
