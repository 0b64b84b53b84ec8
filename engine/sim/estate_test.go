package sim

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// demoEstate is DemoEstate on a manual clock at Epoch, under the default
// settings.
func demoEstate(t *testing.T) (*Estate, *engine.ManualClock) {
	t.Helper()
	clock := engine.NewManualClock(Epoch)
	e, err := NewEstate(DemoEstate(), engine.DefaultConfig(), clock)
	if err != nil {
		t.Fatal(err)
	}
	return e, clock
}

// TestDemoEstateTargets: eight Deployments in three namespaces, each with
// the settings its annotations give (those of its scenario), the queues it
// names, a scaler and its pods; the one whose annotation is invalid carries
// the error kube would give, and no scaler.
func TestDemoEstateTargets(t *testing.T) {
	e, _ := demoEstate(t)
	type want struct {
		queues         string
		minR, maxR     int32
		target         int64
		poll           time.Duration
		combine        engine.Combine
		idleBeforeZero time.Duration
		errSubstr      string
	}
	wants := map[string]want{
		"billing/invoice-worker": {queues: "billing.invoices", minR: 2, maxR: 40, target: 100, poll: 15 * time.Second},
		"billing/ledger-sync":    {queues: "max(billing.ledger.eu,billing.ledger.us)", minR: 1, maxR: 40, target: 50, poll: 15 * time.Second, combine: engine.CombineMax},
		"billing/payouts":        {errSubstr: `invalid annotation yeetscale.yeeter.io/target-messages="lots"`},
		"billing/reports":        {queues: "billing.reports", minR: 0, maxR: 10, target: 100, poll: 15 * time.Second, idleBeforeZero: 2 * time.Minute},
		"shop/mailer":            {queues: "shop.mail", minR: 1, maxR: 30, target: 200, poll: 15 * time.Second},
		"shop/orders-worker":     {queues: "shop.orders", minR: 2, maxR: 40, target: 250, poll: 15 * time.Second},
		"shop/search-indexer":    {queues: "shop.search-index", minR: 1, maxR: 40, target: 50, poll: 15 * time.Second},
		"yeeter/yeeter-worker":   {queues: "yeeter.simulation.orders", minR: 2, maxR: 40, target: 250, poll: 15 * time.Second},
	}
	ts := e.Targets()
	var keys []string
	namespaces := map[string]bool{}
	for _, tg := range ts {
		keys = append(keys, tg.Key())
		namespaces[tg.Namespace] = true
		w, ok := wants[tg.Key()]
		if w.combine == "" {
			w.combine = engine.CombineSum
		}
		if !ok {
			t.Errorf("unexpected target %s", tg.Key())
			continue
		}
		if w.errSubstr != "" {
			var ae *engine.AnnotationError
			if tg.Err == nil || !strings.Contains(tg.Err.Error(), w.errSubstr) || !errors.As(tg.Err, &ae) || tg.Scaler != nil {
				t.Errorf("%s: err %v, scaler %v; want an *AnnotationError with %q and no scaler", tg.Key(), tg.Err, tg.Scaler, w.errSubstr)
			}
			if !strings.HasPrefix(tg.Err.Error(), "deployment "+tg.Key()+": ") {
				t.Errorf("%s: error %q does not name the deployment as kube does", tg.Key(), tg.Err)
			}
			continue
		}
		c := tg.Config
		if tg.Err != nil || tg.Scaler == nil || tg.Pods == nil {
			t.Errorf("%s: err %v, scaler %v, pods %v; want a runnable target", tg.Key(), tg.Err, tg.Scaler, tg.Pods)
		}
		if got := tg.Queues.String(); got != w.queues || c.Queue != w.queues || tg.Queues.Combine != w.combine {
			t.Errorf("%s: queues %q (config %q, combine %q), want %q (%q)", tg.Key(), got, c.Queue, tg.Queues.Combine, w.queues, w.combine)
		}
		if c.MinReplicas != w.minR || c.MaxReplicas != w.maxR || c.TargetMessages != w.target || c.PollInterval != w.poll {
			t.Errorf("%s: min %d max %d target %d poll %s, want %d %d %d %s", tg.Key(), c.MinReplicas, c.MaxReplicas, c.TargetMessages, c.PollInterval, w.minR, w.maxR, w.target, w.poll)
		}
		if w.idleBeforeZero != 0 && c.IdleBeforeZero != w.idleBeforeZero {
			t.Errorf("%s: idle-before-zero %s, want %s", tg.Key(), c.IdleBeforeZero, w.idleBeforeZero)
		}
		if c.Namespace != tg.Namespace || c.Deployment != tg.Deployment || c.VHost != "/" {
			t.Errorf("%s: config names %s/%s on vhost %q", tg.Key(), c.Namespace, c.Deployment, c.VHost)
		}
	}
	if len(keys) != len(wants) || !slices.IsSorted(keys) {
		t.Errorf("targets %q, want the %d of the table, sorted", keys, len(wants))
	}
	if len(namespaces) != 3 {
		t.Errorf("namespaces %v, want 3", namespaces)
	}
}

// TestDemoEstateAnnotationsMatchScenarios: a target's annotated settings are
// those its scenario was written for (so sim and demo --fleet agree).
func TestDemoEstateAnnotationsMatchScenarios(t *testing.T) {
	for _, d := range DemoEstate() {
		cfg, _, err := engine.ApplyAnnotations(engine.DefaultConfig(), d.Annotations)
		if err != nil {
			continue // the broken one, checked above
		}
		sc := d.Queues[0].Scenario.Config()
		if cfg.MinReplicas != sc.MinReplicas || cfg.MaxReplicas != sc.MaxReplicas || cfg.TargetMessages != sc.TargetMessages || cfg.PollInterval != sc.PollInterval {
			t.Errorf("%s/%s: annotated %d-%d target %d poll %s, scenario %s says %d-%d target %d poll %s", d.Namespace, d.Name,
				cfg.MinReplicas, cfg.MaxReplicas, cfg.TargetMessages, cfg.PollInterval, d.Queues[0].Scenario.Name,
				sc.MinReplicas, sc.MaxReplicas, sc.TargetMessages, sc.PollInterval)
		}
	}
}

// TestEstateListsEveryQueue: the lister returns every queue of the vhost,
// those of the broken target included, each at a different depth at the
// start (the worlds ran for different whiles); another vhost is an error.
func TestEstateListsEveryQueue(t *testing.T) {
	e, _ := demoEstate(t)
	ctx := context.Background()
	qs, err := e.ListQueues(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"billing.invoices", "billing.ledger.eu", "billing.ledger.us", "billing.payouts", "billing.reports",
		"shop.mail", "shop.orders", "shop.search-index", "yeeter.simulation.orders"}
	var got []string
	depths := map[int64][]string{}
	for name, s := range qs {
		got = append(got, name)
		depths[s.Messages] = append(depths[s.Messages], name)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) || !slices.Equal(e.QueueNames(), want) {
		t.Fatalf("queues %q (names %q), want %q", got, e.QueueNames(), want)
	}
	for d, names := range depths {
		if len(names) > 1 && !(d == 0 && len(names) == 2 && slices.Contains(names, "billing.reports")) {
			t.Errorf("queues %q all start at depth %d", names, d)
		}
	}
	if qs["yeeter.simulation.orders"].Messages < 9000 || qs["shop.orders"].Messages < 5000 {
		t.Errorf("the bursts are not waiting at the start: %+v", qs)
	}
	if _, err := e.ListQueues(ctx, "other"); !errors.Is(err, ErrNoVHost) {
		t.Errorf("another vhost: %v, want ErrNoVHost", err)
	}
}

// TestEstateWorldsFollowTheClock: every world advances to the shared
// clock when read; a scale reaches every world of a Deployment with two
// queues.
func TestEstateWorldsFollowTheClock(t *testing.T) {
	e, clock := demoEstate(t)
	ctx := context.Background()
	at := func(q string) int {
		w := e.queues[q]
		w.feed()
		return w.Second()
	}
	start := at("billing.reports") // warmed 5 s
	clock.Advance(90 * time.Second)
	if got := at("billing.reports"); got != start+90 {
		t.Fatalf("billing.reports at second %d after 90 s, want %d", got, start+90)
	}
	if got := at("shop.orders"); got != 50*60+90 {
		t.Fatalf("shop.orders at second %d, want its warm-up plus 90", got)
	}
	var ledger engine.Target
	for _, tg := range e.Targets() {
		if tg.Key() == "billing/ledger-sync" {
			ledger = tg
		}
	}
	s, err := ledger.Scaler.GetScale(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.Scaler.SetScale(ctx, engine.ScaleRequest{From: s, Replicas: 6}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"billing.ledger.eu", "billing.ledger.us"} {
		if got, _ := e.queues[q].GetScale(ctx); got.Desired != 6 {
			t.Errorf("%s has %d replicas after scaling ledger-sync to 6", q, got.Desired)
		}
	}
}

// TestEstateLoopsItsScenarios: a queue replays its scenario every period,
// far past its duration, holding at most two cycles' arrivals and
// compacting its messages.
func TestEstateLoopsItsScenarios(t *testing.T) {
	sc := sleeperScenario() // 600 messages at 60 s of every 900
	clock := engine.NewManualClock(Epoch)
	e, err := NewEstate([]EstateDeployment{estateDeployment("ns", "reports", 2, nil, EstateQueue{Name: "q", Scenario: sc})}, engine.DefaultConfig(), clock)
	if err != nil {
		t.Fatal(err)
	}
	w := e.queues["q"]
	depth := func(at int) int64 {
		clock.Set(Epoch.Add(time.Duration(at) * time.Second))
		s, err := w.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return s.Messages
	}
	for cycle := range 20 {
		start := cycle * sc.DurationS
		// Two pods drain 600 messages in 450 s; the statistics refresh
		// every 5 s (at 54 and 69).
		if before, after := depth(start+55), depth(start+70); before != 0 || after < 550 {
			t.Fatalf("cycle %d: %d messages before its burst and %d after, want 0 and about 600", cycle, before, after)
		}
		w.w.mu.Lock()
		n, msgs := len(w.w.sc.Arrivals), len(w.w.msgs)
		w.w.mu.Unlock()
		if n > 2 || msgs > 4096+2*600 {
			t.Fatalf("cycle %d: %d arrivals and %d messages kept, want at most two cycles' arrivals and compacted messages", cycle, n, msgs)
		}
	}
}
