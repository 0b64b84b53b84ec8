package tui

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/engine/sim"
)

// flakyWorld is the demo world behind two switches: while scaleDown, reading
// the Deployment fails, and while queueDown, reading the queue fails, as
// with an unreachable apiserver or broker.
type flakyWorld struct {
	*sim.Live
	scaleDown, queueDown bool
}

func refused(what string) error {
	return fmt.Errorf("%s: %w", what, errors.Join(engine.ErrUnavailable, errors.New("dial tcp 127.0.0.1:1: connect: connection refused")))
}

func (w *flakyWorld) GetScale(ctx context.Context) (engine.Scale, error) {
	if w.scaleDown {
		return engine.Scale{}, refused("get deployments/scale")
	}
	return w.Live.GetScale(ctx)
}

func (w *flakyWorld) Stats(ctx context.Context) (engine.QueueStats, error) {
	if w.queueDown {
		return engine.QueueStats{}, refused("rabbit: GET /api/queues/%2F/orders")
	}
	return w.Live.Stats(ctx)
}

// outage is the demo world polled good times, then failed times with the
// Deployment (scaleDown) and the queue (queueDown) unreadable, one poll
// interval apart, in manual mode.
type outage struct {
	good, failed         int
	scaleDown, queueDown bool
}

// console is the 100x30 console after the outage's polls, cut into the
// header's freshness line, the queue panel, the replicas panel (side by
// side on the screen) and the NEXT line.
func (o outage) console(t *testing.T) (fresh, queue, reps, next string) {
	t.Helper()
	clock := engine.NewManualClock(t0)
	sc := sim.Demo()
	cfg := sc.Config()
	world := &flakyWorld{Live: sim.NewLive(sc, 2, clock)}
	ctl, err := engine.New(engine.Options{Config: cfg, Source: world, Scaler: world, Clock: clock, Mode: engine.ModeManual})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < o.good+o.failed; i++ {
		if i > 0 {
			clock.Advance(cfg.PollInterval)
		}
		if i == o.good {
			world.scaleDown, world.queueDown = o.scaleDown, o.queueDown
		}
		ctl.Poll(context.Background())
	}
	m := New(context.Background(), ctl, testOptions(clock))
	defer m.Close()
	sized(m, 100, 30)
	var q, r []string
	lines := strings.Split(m.View(), "\n")
	fresh = lines[1]
	for _, l := range lines {
		switch {
		case strings.Contains(l, "││"):
			left, right, _ := strings.Cut(l, "││")
			q, r = append(q, left), append(r, right)
		case strings.HasPrefix(l, "NEXT"):
			next = l
		}
	}
	return fresh, strings.Join(q, "\n"), strings.Join(r, "\n"), next
}

// TestConsoleNeverShowsMadeUpNumbers: before any poll has read the
// Deployment and the queue, the panels show "—" for every figure (never a
// zero that reads as a fact), no chart, and NEXT says that no decision is
// possible; after a good poll, when later polls fail, the figures are the
// last good ones and say as of when, with no trend projected from them,
// and the header warns from the first failed poll on (not "● polled").
func TestConsoleNeverShowsMadeUpNumbers(t *testing.T) {
	digit := regexp.MustCompile(`[0-9]`)
	tests := []struct {
		name                     string
		o                        outage
		fresh, queue, reps, next []string // shown
		noFresh, noQueue, noReps []string // not shown
		noNext                   []string
		figuresNeverRead         bool // the queue's figures and the replicas' are unknown
	}{
		{
			name: "every poll failed", o: outage{failed: 3, scaleDown: true, queueDown: true},
			queue: []string{"QUEUE  — messages", "ready — · unacked — · consumers —", "publish — · deliver — · ack —"},
			reps:  []string{"REPLICAS  —", "spec — · ready — · pods —"},
			next:  []string{"no decision possible"}, noNext: []string{"holding at 0", "0 replicas"},
			noQueue: []string{"┤", "┼"}, noReps: []string{"┤", "┼"}, figuresNeverRead: true,
		},
		{
			// The Deployment is read: its figures are current, the queue's
			// unknown.
			name: "the queue never read", o: outage{failed: 3, queueDown: true},
			queue: []string{"QUEUE  — messages", "ready — · unacked — · consumers —"},
			reps:  []string{"REPLICAS  2", "spec 2 · ready 2 · pods 2"},
			next:  []string{"no decision possible"}, noNext: []string{"holding at"},
			noQueue: []string{"┤", "┼"}, noReps: []string{"—", "as of", "steady"},
		},
		{
			name: "the Deployment never read", o: outage{failed: 3, scaleDown: true},
			queue: []string{"QUEUE  — messages", "ready — · unacked — · consumers —"},
			reps:  []string{"REPLICAS  —", "spec — · ready — · pods —"},
			next:  []string{"no decision possible"}, noNext: []string{"holding at"},
			noQueue: []string{"┤", "┼"}, noReps: []string{"┤", "┼"}, figuresNeverRead: true,
		},
		{
			name: "stale", o: outage{good: 6, failed: 3, scaleDown: true, queueDown: true},
			fresh: []string{"⚠ STALE: last good poll 45s ago (3 failed polls since)"},
			queue: []string{"as of 03:01:15", "ready "}, reps: []string{"as of 03:01:15", "spec 2 · ready 2 · pods 2"},
			noQueue: []string{"/min", "empty in", "steady"}, noReps: []string{"steady"},
			next: []string{"holding at 2 replicas"},
		},
		{
			name: "one failed poll", o: outage{good: 6, failed: 1, queueDown: true},
			fresh: []string{"⚠ last good poll 15s ago (1 failed poll since)"}, noFresh: []string{"●", "STALE"},
			queue: []string{"as of 03:01:15"}, reps: []string{"spec 2 · ready 2 · pods 2"},
			noQueue: []string{"/min", "empty in"}, noReps: []string{"steady", "as of"},
			next: []string{"holding at 2 replicas"},
		},
		{
			name: "the Deployment unread since", o: outage{good: 6, failed: 1, scaleDown: true},
			reps: []string{"as of 03:01:15", "spec 2 · ready 2 · pods 2"}, noReps: []string{"steady"},
			next: []string{"holding at 2 replicas"},
		},
		{
			name: "fresh", o: outage{good: 6},
			fresh: []string{"● polled 0s ago"}, noFresh: []string{"⚠"},
			queue: []string{"/min"}, noQueue: []string{"as of", "—  messages"}, noReps: []string{"as of", "not read"},
			noNext: []string{"no decision"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fresh, queue, reps, next := tt.o.console(t)
			check := func(what, got string, want, not []string) {
				for _, s := range want {
					if !strings.Contains(got, s) {
						t.Errorf("%s: no %q in:\n%s", what, s, got)
					}
				}
				for _, s := range not {
					if strings.Contains(got, s) {
						t.Errorf("%s: %q in:\n%s", what, s, got)
					}
				}
			}
			check("header", fresh, tt.fresh, tt.noFresh)
			check("queue panel", queue, tt.queue, tt.noQueue)
			check("replicas panel", reps, tt.reps, tt.noReps)
			check("NEXT", next, tt.next, tt.noNext)
			if !tt.figuresNeverRead {
				return
			}
			// No figure of the queue, and none of the replicas but the
			// clamp and target (the configuration, known).
			q := strings.Split(queue, "\n")
			r := strings.Split(reps, "\n")
			for i, l := range append(q[0:3], r[0:2]...) {
				if digit.MatchString(l) {
					t.Errorf("line %d of the panels shows a number never read: %q", i, l)
				}
			}
			if digit.MatchString(next) {
				t.Errorf("NEXT shows a number never read: %q", next)
			}
		})
	}
}
