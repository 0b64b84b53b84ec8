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

// TestFleetOneListPerVHost checks that a round reads each vhost once,
// whatever the number of targets, and polls every target.
func TestFleetOneListPerVHost(t *testing.T) {
	for _, tt := range []struct {
		targets, vhosts int
	}{{1, 1}, {3, 1}, {50, 1}, {50, 3}, {200, 7}} {
		t.Run(fmt.Sprintf("%d targets on %d vhosts", tt.targets, tt.vhosts), func(t *testing.T) {
			l := newFakeLister()
			var targets []engine.Target
			for i := range tt.targets {
				tg := fleetTarget("ns", fmt.Sprintf("d%03d", i), fmt.Sprintf("q%d", i))
				tg.Config.VHost = fmt.Sprintf("v%d", i%tt.vhosts)
				l.set(tg.Config.VHost, tg.Queues.Names[0], int64(i*10))
				targets = append(targets, tg)
			}
			f := newTestFleet(t, newFakeTargets(targets...), l, engine.NewManualClock(t0), engine.ModeManual)
			for round := range 2 {
				s := f.PollOnce(context.Background(), "once")
				want := map[string]int{}
				for v := range tt.vhosts {
					want[fmt.Sprintf("v%d", v)] = 1
				}
				if got := l.counts(); !reflect.DeepEqual(got, want) {
					t.Errorf("round %d: list calls %v, want %v", round, got, want)
				}
				for i, tg := range targets {
					ts := byKey(t, s, tg.Key())
					if ts.Snapshot.Polls != round+1 || ts.Err != nil || ts.Snapshot.Stats.Messages != int64(i*10) {
						t.Fatalf("round %d: %s: polls %d, err %v, messages %d", round, tg.Key(), ts.Snapshot.Polls, ts.Err, ts.Snapshot.Stats.Messages)
					}
				}
			}
		})
	}
}

// TestFleetErrorsStayWithTheirTarget checks that an invalid target, a
// missing queue, a forbidden vhost and implausible statistics each hold
// their own target, with their error, while a good one scales.
func TestFleetErrorsStayWithTheirTarget(t *testing.T) {
	l := newFakeLister()
	good := fleetTarget("ns", "good", "orders")
	l.set("/", "orders", 1000)
	missing := fleetTarget("ns", "missing", "orders", "gone")
	nomatch := fleetTarget("ns", "nomatch", `~invoices\..*`)
	l.set("/", "invoices", 5000) // not matched: the pattern is anchored
	bad := fleetTarget("ns", "bad", "orders")
	bad.Err, bad.Scaler = errors.New(`invalid annotation yeetscale.yeeter.io/min-replicas="two": must be a whole number`), nil
	locked := fleetTarget("ns", "locked", "orders")
	locked.Config.VHost = "locked"
	l.fail("locked", &engine.Error{Kind: engine.ErrForbidden, Msg: `vhost "locked": forbidden: grant the user access`})
	garbage := fleetTarget("ns", "garbage", "orders", "weird")
	l.setStats("/", "weird", engine.QueueStats{Messages: -5})
	targets := []engine.Target{good, missing, nomatch, bad, locked, garbage}
	f := newTestFleet(t, newFakeTargets(targets...), l, engine.NewManualClock(t0), engine.ModeAuto)

	s := f.PollOnce(context.Background(), "once")
	for _, tt := range []struct {
		target engine.Target
		status string
		kind   error
		msg    string
		sets   int
	}{
		{good, engine.StatusOK, nil, "", 1},
		{missing, engine.StatusError, engine.ErrNotFound, `queue "gone" not found on vhost "/"`, 0},
		{nomatch, engine.StatusError, engine.ErrNotFound, `no queue on vhost "/" matches /invoices\..*/`, 0},
		{bad, engine.StatusError, nil, `min-replicas="two"`, 0},
		{locked, engine.StatusError, engine.ErrForbidden, `vhost "locked": forbidden`, 0},
		{garbage, engine.StatusError, engine.ErrBadResponse, `queue "weird": implausible queue statistics: messages -5 is negative`, 0},
	} {
		ts := byKey(t, s, tt.target.Key())
		if ts.Status != tt.status {
			t.Errorf("%s: status %q, want %q (err %v)", tt.target.Key(), ts.Status, tt.status, ts.Err)
		}
		switch {
		case tt.msg == "" && ts.Err != nil:
			t.Errorf("%s: error %v", tt.target.Key(), ts.Err)
		case tt.msg != "" && (ts.Err == nil || !strings.Contains(ts.Err.Error(), tt.msg)):
			t.Errorf("%s: error %v, want one saying %s", tt.target.Key(), ts.Err, tt.msg)
		case tt.kind != nil && !errors.Is(ts.Err, tt.kind):
			t.Errorf("%s: error %v is not %v", tt.target.Key(), ts.Err, tt.kind)
		}
		if tt.target.Scaler != nil {
			if n := scalerOf(tt.target).setCount(); n != tt.sets {
				t.Errorf("%s: %d updates, want %d", tt.target.Key(), n, tt.sets)
			}
		}
	}
	if d, _, _, applied := scalerOf(good).state(); d != 10 || applied[0].By != "once" {
		t.Errorf("good target at %d replicas by %q, want 10 (1,000 messages / 100) by once", d, applied[0].By)
	}
	if f.Controller(bad.Key()) != nil || f.Controller(good.Key()) == nil || f.Controller("ns/nope") != nil {
		t.Error("Controller: want one for the good target only")
	}
	if got := l.counts(); !reflect.DeepEqual(got, map[string]int{"/": 1, "locked": 1}) {
		t.Errorf("list calls %v", got)
	}
}

// TestFleetCombine checks how several queues make one depth: sum adds
// counts, consumers and known rates; max takes the deepest queue's
// statistics; a pattern matches whole names only.
func TestFleetCombine(t *testing.T) {
	l := newFakeLister()
	l.setStats("/", "orders.eu", engine.QueueStats{Messages: 300, Ready: 200, Unacked: 100, Consumers: 2,
		PublishRate: engine.KnownRate(5), ConsumerUtilisation: engine.KnownRate(0.9), RatesFrom: engine.RatesFromBroker})
	l.setStats("/", "orders.us", engine.QueueStats{Messages: 500, Ready: 500, Consumers: 1,
		PublishRate: engine.KnownRate(7), DeliverRate: engine.KnownRate(3), ConsumerUtilisation: engine.KnownRate(0.5), RatesFrom: engine.RatesFromCounters})
	l.setStats("/", "orders.idle", engine.QueueStats{})
	l.setStats("/", "xorders.eu", engine.QueueStats{Messages: 9000, Ready: 9000})
	l.setStats("/", "orders", engine.QueueStats{Messages: 1, Ready: 1})
	for _, tt := range []struct {
		name   string
		queues engine.QueueSet
		count  engine.Count
		want   engine.QueueStats
		depths []string
	}{
		{"sum of a list", engine.QueueSet{Names: []string{"orders.us", "orders.eu"}, Combine: engine.CombineSum}, engine.CountTotal,
			engine.QueueStats{Messages: 800, Ready: 700, Unacked: 100, Consumers: 3, PublishRate: engine.KnownRate(12),
				DeliverRate: engine.KnownRate(3), ConsumerUtilisation: engine.KnownRate(0.5), RatesFrom: engine.RatesFromCounters},
			[]string{"orders.us", "orders.eu"}},
		{"max of a list", engine.QueueSet{Names: []string{"orders.eu", "orders.us"}, Combine: engine.CombineMax}, engine.CountTotal,
			engine.QueueStats{Messages: 500, Ready: 500, Consumers: 1, PublishRate: engine.KnownRate(7), DeliverRate: engine.KnownRate(3),
				ConsumerUtilisation: engine.KnownRate(0.5), RatesFrom: engine.RatesFromCounters},
			[]string{"orders.eu", "orders.us"}},
		{"sum of a pattern, anchored", engine.QueueSet{Pattern: `orders\..*`, Combine: engine.CombineSum}, engine.CountTotal,
			engine.QueueStats{Messages: 800, Ready: 700, Unacked: 100, Consumers: 3, PublishRate: engine.KnownRate(12),
				DeliverRate: engine.KnownRate(3), ConsumerUtilisation: engine.KnownRate(0.5), RatesFrom: engine.RatesFromCounters},
			[]string{"orders.eu", "orders.idle", "orders.us"}},
		{"max of a pattern", engine.QueueSet{Pattern: `orders\.(eu|idle)`, Combine: engine.CombineMax}, engine.CountTotal,
			engine.QueueStats{Messages: 300, Ready: 200, Unacked: 100, Consumers: 2, PublishRate: engine.KnownRate(5),
				ConsumerUtilisation: engine.KnownRate(0.9), RatesFrom: engine.RatesFromBroker},
			[]string{"orders.eu", "orders.idle"}},
		{"an alternation is anchored as a whole", engine.QueueSet{Pattern: `orders|orders\.eu`, Combine: engine.CombineMax}, engine.CountTotal,
			engine.QueueStats{Messages: 300, Ready: 200, Unacked: 100, Consumers: 2, PublishRate: engine.KnownRate(5),
				ConsumerUtilisation: engine.KnownRate(0.9), RatesFrom: engine.RatesFromBroker},
			[]string{"orders", "orders.eu"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tg := fleetTarget("ns", "d", "x")
			tg.Queues, tg.Config.Count = tt.queues, tt.count
			f := newTestFleet(t, newFakeTargets(tg), l, engine.NewManualClock(t0), engine.ModeManual)
			ts := byKey(t, f.PollOnce(context.Background(), "once"), tg.Key())
			if ts.Err != nil {
				t.Fatal(ts.Err)
			}
			if !reflect.DeepEqual(ts.Snapshot.Stats, tt.want) {
				t.Errorf("stats\n got %+v\nwant %+v", ts.Snapshot.Stats, tt.want)
			}
			var names []string
			for _, d := range ts.Depths {
				names = append(names, d.Name)
			}
			if !reflect.DeepEqual(names, tt.depths) {
				t.Errorf("depths of %v, want %v", names, tt.depths)
			}
		})
	}
}

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

// TestFleetListsAreBounded checks that a broker that does not answer
// holds a round for at most the request timeout, that its targets then
// show the error, and that at most four vhosts are listed at once.
func TestFleetListsAreBounded(t *testing.T) {
	l := newFakeLister()
	l.block = make(chan struct{}) // never answers
	var targets []engine.Target
	for i := range 10 {
		tg := fleetTarget("ns", fmt.Sprintf("d%d", i), "q")
		tg.Config.VHost = fmt.Sprintf("v%d", i)
		targets = append(targets, tg)
	}
	f, err := engine.NewFleet(engine.FleetOptions{Targets: newFakeTargets(targets...), Lister: l, RequestTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	s := f.PollOnce(context.Background(), "once")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a round took %v with a 20 ms timeout", took)
	}
	for _, ts := range s.Targets {
		if ts.Status != engine.StatusError || engine.ErrorKind(ts.Err) != "unavailable" {
			t.Errorf("%s: status %s, error %v (%s), want an unavailable error", ts.Key(), ts.Status, ts.Err, engine.ErrorKind(ts.Err))
		}
	}
	if l.maxInFlight > 4 || l.maxInFlight < 1 {
		t.Errorf("%d lists at once, want at most 4", l.maxInFlight)
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

// TestFleetEscapesQueueNames checks that queue names from the broker are
// shown escaped.
func TestFleetEscapesQueueNames(t *testing.T) {
	l := newFakeLister()
	l.set("/", "jobs.\x1b[2J\u009b", 10)
	tg := fleetTarget("ns", "d", `~jobs\..*`)
	f := newTestFleet(t, newFakeTargets(tg), l, engine.NewManualClock(t0), engine.ModeManual)
	ts := byKey(t, f.PollOnce(context.Background(), "once"), tg.Key())
	if len(ts.Depths) != 1 || ts.Depths[0].Name != `jobs.\x1b[2J\u009b` || ts.Depths[0].Messages != 10 {
		t.Errorf("depths %+v, want the name escaped", ts.Depths)
	}
}

// TestFleetPatternFollowsQueues checks that a pattern's queues are matched
// again when the vhost's queues change (created, deleted, or as many
// replaced by others), and that their depths are fresh every round.
func TestFleetPatternFollowsQueues(t *testing.T) {
	l := newFakeLister()
	l.set("/", "orders.eu", 10)
	l.set("/", "other", 1)
	tg := fleetTarget("ns", "d", `~orders\..*`)
	f := newTestFleet(t, newFakeTargets(tg), l, engine.NewManualClock(t0), engine.ModeManual)
	for _, step := range []struct {
		change func()
		want   []engine.QueueDepth
	}{
		{func() {}, []engine.QueueDepth{{Name: "orders.eu", Messages: 10, Ready: 10}}},
		{func() { l.set("/", "orders.eu", 20) }, []engine.QueueDepth{{Name: "orders.eu", Messages: 20, Ready: 20}}},
		{func() { l.set("/", "orders.us", 5) }, []engine.QueueDepth{{Name: "orders.eu", Messages: 20, Ready: 20}, {Name: "orders.us", Messages: 5, Ready: 5}}},
		{func() { l.remove("/", "orders.eu") }, []engine.QueueDepth{{Name: "orders.us", Messages: 5, Ready: 5}}},
		{func() { l.remove("/", "other"); l.set("/", "orders.ap", 7) }, []engine.QueueDepth{{Name: "orders.ap", Messages: 7, Ready: 7}, {Name: "orders.us", Messages: 5, Ready: 5}}},
	} {
		step.change()
		ts := byKey(t, f.PollOnce(context.Background(), "once"), tg.Key())
		if !reflect.DeepEqual(ts.Depths, step.want) {
			t.Errorf("depths %+v, want %+v", ts.Depths, step.want)
		}
	}
}
