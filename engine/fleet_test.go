package engine_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
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

// TestFixedTargets checks the fixed source: sorted copies, never a change.
func TestFixedTargets(t *testing.T) {
	src := engine.FixedTargets{fleetTarget("b", "x", "q"), fleetTarget("a", "y", "q")}
	got := src.Targets()
	if len(got) != 2 || got[0].Key() != "a/y" || got[1].Key() != "b/x" || src[0].Key() != "b/x" {
		t.Errorf("targets %v %v, want sorted copies", got[0].Key(), got[1].Key())
	}
	if src.Changed() != nil {
		t.Error("a fixed source signals changes")
	}
	l := newFakeLister()
	l.set("/", "q", 300)
	f := newTestFleet(t, src, l, engine.NewManualClock(t0), engine.ModeManual)
	if s := f.PollOnce(context.Background(), "once"); len(s.Targets) != 2 || s.Targets[0].Snapshot.Stats.Messages != 300 {
		t.Errorf("snapshot %+v", s.Targets)
	}
}
