package engine_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestFleetFollowsTargets checks that targets that appear, disappear,
// change their settings or their queues, or stop or start being invalid,
// are followed: a settings change keeps the history and the mode, a queue
// change restarts the history, a removed target's controller is closed.
func TestFleetFollowsTargets(t *testing.T) {
	ta, tb, src, f := twoTargets(t, 500, 900)
	ctx := context.Background()
	f.PollOnce(ctx, "once")
	f.PollOnce(ctx, "once")
	first := f.Controller(ta.Key())
	first.SetMode(engine.ModeDryRun, "operator")

	// Appears.
	src.put(tb)
	s := f.PollOnce(ctx, "once")
	if len(s.Targets) != 2 || byKey(t, s, tb.Key()).Snapshot.Polls != 1 {
		t.Fatalf("new target not polled: %+v", s.Targets)
	}
	if f.Controller(ta.Key()) != first {
		t.Error("an unchanged target got a new controller")
	}

	// Settings change: same history, same mode, new settings.
	changed := ta
	changed.Config.TargetMessages, changed.Config.MaxReplicas = 50, 30
	src.put(changed)
	s = f.PollOnce(ctx, "once")
	second := f.Controller(ta.Key())
	snap := second.Snapshot()
	switch {
	case second == first:
		t.Fatal("settings changed but the controller is the same")
	case snap.Config.TargetMessages != 50 || snap.Config.MaxReplicas != 30:
		t.Errorf("config %+v not the new settings", snap.Config)
	case len(snap.History) != 4 || snap.Polls != 4:
		t.Errorf("history of %d, %d polls: want the 3 earlier polls kept and 1 new", len(snap.History), snap.Polls)
	case snap.Mode != engine.ModeDryRun:
		t.Errorf("mode %v, want the operator's dry-run kept", snap.Mode)
	case !hasEvent(snap, "settings max-replicas 40 -> 30, target-messages 100 -> 50"):
		t.Errorf("no event for the change: %+v", snap.Events)
	case snap.Proposed != 10:
		t.Errorf("proposal %d, want 10 (500 / 50)", snap.Proposed)
	}
	if err := first.Approve(ctx, "operator"); !errors.Is(err, engine.ErrRefused) {
		t.Errorf("the replaced controller approved: %v", err)
	}

	// Queue change: the history restarts.
	requeued := changed
	requeued.Queues = engine.QueueSet{Names: []string{"b"}, Combine: engine.CombineSum}
	src.put(requeued)
	s = f.PollOnce(ctx, "once")
	snap = f.Controller(ta.Key()).Snapshot()
	if len(snap.History) != 1 || snap.Stats.Messages != 900 || snap.Mode != engine.ModeDryRun || !hasEvent(snap, "history restarted") {
		t.Errorf("after a queue change: history %d, messages %d, mode %v, events %+v", len(snap.History), snap.Stats.Messages, snap.Mode, snap.Events)
	}

	// Becomes invalid, then valid again.
	invalid := requeued
	invalid.Err, invalid.Scaler = errors.New("invalid annotation"), nil
	src.put(invalid)
	s = f.PollOnce(ctx, "once")
	if ts := byKey(t, s, ta.Key()); ts.Status != engine.StatusError || f.Controller(ta.Key()) != nil {
		t.Errorf("invalid target: status %s", ts.Status)
	}
	src.put(ta)
	s = f.PollOnce(ctx, "once")
	if ts := byKey(t, s, ta.Key()); ts.Status != engine.StatusHolding || ts.Err != nil {
		t.Errorf("valid again: status %s, err %v", ts.Status, ts.Err)
	}

	// Disappears.
	last := f.Controller(tb.Key())
	src.remove(tb.Key())
	s = f.PollOnce(ctx, "once")
	if len(s.Targets) != 1 || f.Controller(tb.Key()) != nil {
		t.Errorf("removed target still there: %+v", s.Targets)
	}
	if err := last.Approve(ctx, "operator"); !errors.Is(err, engine.ErrRefused) {
		t.Errorf("the removed target's controller approved: %v", err)
	}
}

// twoTargets returns a manual fleet of target ns/a on queue a (of a
// messages), and target ns/b on queue b (of b messages) not yet in the
// source.
func twoTargets(t *testing.T, a, b int64) (ta, tb engine.Target, src *fakeTargets, f *engine.Fleet) {
	l := newFakeLister()
	l.set("/", "a", a)
	l.set("/", "b", b)
	ta, tb = fleetTarget("ns", "a", "a"), fleetTarget("ns", "b", "b")
	src = newFakeTargets(ta)
	f = newTestFleet(t, src, l, engine.NewManualClock(t0), engine.ModeManual)
	return ta, tb, src, f
}

func hasEvent(s engine.Snapshot, text string) bool {
	for _, e := range s.Events {
		if strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

// TestFleetModes checks SetMode on every target and on targets to come,
// and the statuses of the modes.
func TestFleetModes(t *testing.T) {
	ta, tb, src, f := twoTargets(t, 500, 100)
	ctx := context.Background()
	for _, tt := range []struct {
		mode   engine.Mode
		status string
		a      int32 // a's replicas after the round
	}{
		{engine.ModeManual, engine.StatusHolding, 2},
		{engine.ModeDryRun, engine.StatusDryRun, 2},
		{engine.ModePaused, engine.StatusPaused, 2},
		{engine.ModeAuto, engine.StatusOK, 5},
	} {
		f.SetMode(tt.mode, "operator")
		if s := f.Snapshot(); s.Mode != tt.mode || byKey(t, s, ta.Key()).Snapshot.Mode != tt.mode {
			t.Errorf("SetMode(%v): published fleet mode %v, target's %v", tt.mode, s.Mode, byKey(t, s, ta.Key()).Snapshot.Mode)
		}
		s := f.PollOnce(ctx, "once")
		if ts := byKey(t, s, ta.Key()); ts.Status != tt.status {
			t.Errorf("%v: status %s, want %s", tt.mode, ts.Status, tt.status)
		}
		if d, _, _, _ := scalerOf(ta).state(); d != tt.a {
			t.Errorf("%v: %d replicas, want %d", tt.mode, d, tt.a)
		}
	}
	src.put(tb)
	s := f.PollOnce(ctx, "once")
	if ts := byKey(t, s, tb.Key()); ts.Snapshot.Mode != engine.ModeAuto {
		t.Errorf("a new target starts in %v, want the fleet's auto", ts.Snapshot.Mode)
	}
}

// runFleet runs f.Run in a goroutine until the test ends; the channel
// receives Run's error.
func runFleet(t *testing.T, f *engine.Fleet) <-chan error {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(cancel)
	return done
}

// polls returns each target's number of polls in the latest snapshot.
func polls(f *engine.Fleet) map[string]int {
	out := map[string]int{}
	for _, ts := range f.Snapshot().Targets {
		out[ts.Deployment] = ts.Snapshot.Polls
	}
	return out
}

// TestFleetRun checks the schedule: every target at once, then each at its
// own poll interval, targets due together in one round (one list per
// vhost), a target that appears polled at once and then brought onto the
// others' round, PollNow, and Close.
func TestFleetRun(t *testing.T) {
	l := newFakeLister()
	for _, q := range []string{"a", "b", "c", "d"} {
		l.set("/", q, 100)
	}
	ta, tb, tc := fleetTarget("ns", "a", "a"), fleetTarget("ns", "b", "b"), fleetTarget("ns", "c", "c")
	tc.Config.PollInterval = 30 * time.Second
	src := newFakeTargets(ta, tb, tc)
	clock := engine.NewManualClock(t0)
	f := newTestFleet(t, src, l, clock, engine.ModeAuto)
	done := runFleet(t, f)
	// waiters counts the loop's After channels: a wake-up by a change or
	// PollNow leaves the earlier one pending.
	waiters := 1
	parked := func(what string, want map[string]int) {
		t.Helper()
		waitFor(t, what, func() bool { return clock.Waiters() == waiters && reflect.DeepEqual(polls(f), want) })
	}
	lists := func(what string, want int) {
		t.Helper()
		if got := l.counts()["/"]; got != want {
			t.Errorf("%s: %d lists, want %d", what, got, want)
		}
	}
	parked("the first round", map[string]int{"a": 1, "b": 1, "c": 1})
	lists("the first round", 1)
	clock.Advance(15 * time.Second)
	parked("the 15 s round", map[string]int{"a": 2, "b": 2, "c": 1})
	lists("the 15 s round", 1)
	clock.Advance(15 * time.Second)
	parked("the 30 s round", map[string]int{"a": 3, "b": 3, "c": 2})
	lists("the 30 s round", 1)

	// A target appears 5 s into an interval: polled at once, then with the
	// others.
	clock.Advance(5 * time.Second)
	src.put(fleetTarget("ns", "d", "d"))
	waiters = 2
	parked("the new target's poll", map[string]int{"a": 3, "b": 3, "c": 2, "d": 1})
	lists("the new target's poll", 1)
	clock.Advance(10 * time.Second)
	waiters = 1
	parked("the 45 s round", map[string]int{"a": 4, "b": 4, "c": 2, "d": 2})
	lists("the 45 s round", 1)

	f.PollNow()
	waiters = 2
	parked("PollNow", map[string]int{"a": 5, "b": 5, "c": 3, "d": 3})
	lists("PollNow", 1)

	f.Close()
	select {
	case err := <-done:
		if !errors.Is(err, engine.ErrRefused) {
			t.Errorf("Run returned %v after Close, want a refusal", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	if err := f.Controller(ta.Key()).Approve(context.Background(), "operator"); !errors.Is(err, engine.ErrRefused) {
		t.Errorf("a controller approved after Close: %v", err)
	}
}

// TestFleetConcurrentUse runs the loop while commands, target changes,
// subscribers and clock ticks come from other goroutines (for the race
// detector), and checks that subscribers see increasing sequence numbers
// and sorted targets.
func TestFleetConcurrentUse(t *testing.T) {
	l := newFakeLister()
	var targets []engine.Target
	for i := range 20 {
		tg := fleetTarget("ns", fmt.Sprintf("d%02d", i), fmt.Sprintf("q%d", i))
		tg.Config.VHost = fmt.Sprintf("v%d", i%3)
		l.set(tg.Config.VHost, tg.Queues.Names[0], int64(100*i))
		targets = append(targets, tg)
	}
	src := newFakeTargets(targets...)
	clock := engine.NewManualClock(t0)
	f := newTestFleet(t, src, l, clock, engine.ModeAuto)
	done := runFleet(t, f)
	ch, unsubscribe := f.Subscribe()
	defer unsubscribe()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	work := func(fn func(i int)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				fn(i)
				time.Sleep(100 * time.Microsecond)
			}
		}()
	}
	work(func(int) { clock.Advance(5 * time.Second) })
	work(func(i int) { f.SetMode([]engine.Mode{engine.ModeAuto, engine.ModeManual}[i%2], "operator") })
	work(func(i int) {
		if c := f.Controller(targets[i%len(targets)].Key()); c != nil {
			_ = c.Approve(ctx, "operator")
			_ = c.AdjustTarget(func(n int64) int64 { return n + 1 }, "operator")
		}
		f.Refresh()
	})
	work(func(i int) {
		tg := targets[i%len(targets)]
		if i%2 == 0 {
			tg.Config.TargetMessages = int64(50 + i%7)
			src.put(tg)
		} else {
			src.remove(tg.Key())
			src.put(tg)
		}
	})
	work(func(int) { f.PollNow() })
	var last uint64
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); {
		select {
		case s := <-ch:
			if s.Seq <= last {
				t.Fatalf("snapshot %d after %d", s.Seq, last)
			}
			last = s.Seq
			for i := 1; i < len(s.Targets); i++ {
				if s.Targets[i-1].Key() >= s.Targets[i].Key() {
					t.Fatalf("targets not sorted: %s before %s", s.Targets[i-1].Key(), s.Targets[i].Key())
				}
			}
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	wg.Wait()
	f.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	if last < 10 {
		t.Errorf("only %d snapshots seen", last)
	}
}

// TestFleetSubscribe checks that a subscriber gets the current snapshot
// at once and then only the newest one, and nothing after unsubscribing.
func TestFleetSubscribe(t *testing.T) {
	ta, _, _, f := twoTargets(t, 500, 100)
	ch, unsubscribe := f.Subscribe()
	if s := <-ch; len(s.Targets) != 1 || s.Targets[0].Status != engine.StatusStarting {
		t.Fatalf("first snapshot %+v, want the target, not polled yet", s)
	}
	f.PollOnce(context.Background(), "once")
	f.Refresh()
	f.SetMode(engine.ModeDryRun, "operator")
	s := <-ch
	if s.Seq != f.Snapshot().Seq || byKey(t, s, ta.Key()).Status != engine.StatusDryRun {
		t.Errorf("got snapshot %d (%s), want the newest %d", s.Seq, byKey(t, s, ta.Key()).Status, f.Snapshot().Seq)
	}
	select {
	case s := <-ch:
		t.Errorf("an older snapshot %d was queued", s.Seq)
	default:
	}
	unsubscribe()
	f.Refresh()
	select {
	case s := <-ch:
		t.Errorf("snapshot %d after unsubscribing", s.Seq)
	default:
	}
}

// TestFleetMemory checks that a target's memory store is its controller's:
// saved after a --once round, and loaded by the next process's first
// round.
func TestFleetMemory(t *testing.T) {
	l := newFakeLister()
	l.set("/", "a", 500)
	store := &memStore{}
	ta := fleetTarget("ns", "a", "a")
	ta.Memory = store
	first := newTestFleet(t, engine.FixedTargets{ta}, l, engine.NewManualClock(t0), engine.ModeManual)
	first.PollOnce(context.Background(), "once")
	if store.saves != 1 || store.text == "" {
		t.Fatalf("%d saves of %q, want the first round's", store.saves, store.text)
	}
	next := newTestFleet(t, engine.FixedTargets{ta}, l, engine.NewManualClock(t0.Add(time.Minute)), engine.ModeManual)
	next.PollOnce(context.Background(), "once")
	if s := next.Controller(ta.Key()).Snapshot(); len(s.History) != 2 {
		t.Errorf("the next process's history has %d observations, want the remembered one and its own", len(s.History))
	}
}
