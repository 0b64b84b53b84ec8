package engine_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// ago returns an observation made sec seconds before t0 whose policy
// recommended rec (-1: the policy did not evaluate).
func ago(sec float64, rec int32) engine.Observation {
	return engine.Observation{At: t0.Add(-time.Duration(sec * float64(time.Second))), OK: true,
		Decision: engine.Decision{Recommendation: rec}}
}

// changed returns an observation sec seconds before t0 that applied a change
// from -> to without the policy evaluating.
func changed(sec float64, from, to int32) engine.Observation {
	o := ago(sec, -1)
	o.Scale.Desired, o.Applied = from, to
	return o
}

// withStats returns o with its queue statistics set to s.
func withStats(o engine.Observation, s engine.QueueStats) engine.Observation {
	o.Stats = s
	return o
}

type policyCase struct {
	name     string
	cfg      func(*engine.Config) // applied to the policy's base config
	cur      int32
	stats    engine.QueueStats
	hist     []engine.Observation
	want     int32
	wantRec  *int32   // checked when set
	reason   []string // fragments the reason must contain
	noReason []string // fragments it must not contain
}

func msgs(n int64) engine.QueueStats { return engine.QueueStats{Messages: n, Ready: n} }

func rec(n int32) *int32 { return &n }

func runPolicyCases(t *testing.T, policy string, base engine.Config, cases []policyCase) {
	t.Helper()
	p, err := engine.PolicyByName(policy)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			cfg.Policy = policy
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("test config: %v", err)
			}
			d := engine.Decide(p, engine.Input{Config: cfg, Now: t0, Stats: tt.stats, Current: tt.cur, Ready: tt.cur, History: tt.hist})
			if d.Desired != tt.want {
				t.Errorf("Desired = %d, want %d (reason: %s)", d.Desired, tt.want, d.Reason)
			}
			if tt.wantRec != nil && d.Recommendation != *tt.wantRec {
				t.Errorf("Recommendation = %d, want %d", d.Recommendation, *tt.wantRec)
			}
			if d.Held {
				t.Errorf("Held on good data")
			}
			for _, f := range tt.reason {
				if !strings.Contains(d.Reason, f) {
					t.Errorf("reason %q does not contain %q", d.Reason, f)
				}
			}
			for _, f := range tt.noReason {
				if strings.Contains(d.Reason, f) {
					t.Errorf("reason %q contains %q", d.Reason, f)
				}
			}
		})
	}
}

func TestSeedPolicy(t *testing.T) {
	base := engine.DefaultConfig()
	base.MinReplicas, base.MaxReplicas, base.TargetMessages = 2, 40, 250
	runPolicyCases(t, "seed", base, []policyCase{
		{name: "ceil", cur: 2, stats: msgs(4250), want: 17, wantRec: rec(17), reason: []string{"4,250 messages / 250 per replica = 17"}},
		{name: "ceil rounds up one message", cur: 2, stats: msgs(751), want: 4, reason: []string{"751 messages / 250 per replica = 4"}},
		{name: "exact multiple", cur: 2, stats: msgs(750), want: 3},
		{name: "zero messages gives min", cur: 10, stats: msgs(0), want: 2, wantRec: rec(0), reason: []string{"0 messages", "kept at --min-replicas 2"}},
		{name: "one message", cur: 2, stats: msgs(1), want: 2, reason: []string{"1 message / 250 per replica = 1"}},
		{name: "clamped to max", cur: 2, stats: msgs(1_000_000), want: 40, wantRec: rec(4000), reason: []string{"1,000,000 messages / 250 per replica", "capped at --max-replicas 40"}},
		{name: "no tolerance", cur: 10, stats: msgs(2510), want: 11},
		{name: "no stabilization", cur: 30, stats: msgs(250), hist: []engine.Observation{ago(10, 30)}, want: 2},
		{name: "count total", cur: 2, stats: engine.QueueStats{Messages: 1000, Ready: 300, Unacked: 700}, want: 4},
		{name: "count ready", cfg: func(c *engine.Config) { c.Count = engine.CountReady }, cur: 2, stats: engine.QueueStats{Messages: 1000, Ready: 300, Unacked: 700}, want: 2, reason: []string{"300 messages"}},
		{name: "current outside range", cur: 60, stats: msgs(5000), want: 20},
	})
}

func TestProportionalPolicy(t *testing.T) {
	base := engine.DefaultConfig()
	base.MinReplicas, base.MaxReplicas, base.TargetMessages = 1, 40, 50
	base.Tolerance, base.ScaleDownWindow = 0.1, 5*time.Minute
	runPolicyCases(t, "proportional", base, []policyCase{
		{name: "tolerance holds above", cur: 10, stats: msgs(540), want: 10, wantRec: rec(10), reason: []string{"540 messages / 50 per replica = 11", "within 10% tolerance of 10"}},
		{name: "tolerance holds below", cur: 20, stats: msgs(920), want: 20, wantRec: rec(20), reason: []string{"920 messages / 50 per replica = 19", "within 10% tolerance of 20"}},
		{name: "below the target inside one replica", cur: 10, stats: msgs(460), want: 10, noReason: []string{"scaling"}},
		{name: "just above the band", cur: 10, stats: msgs(560), want: 12, wantRec: rec(12), reason: []string{"scaling up"}},
		{name: "just below the band", cur: 10, stats: msgs(440), want: 9, reason: []string{"scaling down"}},
		{name: "zero tolerance", cfg: func(c *engine.Config) { c.Tolerance = 0 }, cur: 10, stats: msgs(510), want: 11},
		{name: "wide tolerance", cfg: func(c *engine.Config) { c.Tolerance = 0.5 }, cur: 10, stats: msgs(740), want: 10, reason: []string{"within 50% tolerance"}},
		{name: "scale up at once", cfg: func(c *engine.Config) { c.TargetMessages = 250 }, cur: 2, stats: msgs(4250), want: 17, wantRec: rec(17), reason: []string{"4,250 messages / 250 per replica = 17; scaling up"}},
		{name: "scale up ignores the window", cur: 2, stats: msgs(1500), hist: []engine.Observation{ago(10, 1)}, want: 30},
		{name: "max step up", cfg: func(c *engine.Config) { c.MaxStepUp = 5 }, cur: 2, stats: msgs(1500), want: 7, wantRec: rec(30), reason: []string{"1,500 messages / 50 per replica = 30", "scale-up capped at +5 per step"}},
		{name: "max step up not reached", cfg: func(c *engine.Config) { c.MaxStepUp = 50 }, cur: 2, stats: msgs(1500), want: 30, noReason: []string{"capped"}},
		{name: "capped at max", cur: 10, stats: msgs(5000), want: 40, wantRec: rec(100), reason: []string{"5,000 messages / 50 per replica = 100", "capped at --max-replicas 40"}},
		{name: "scale down held by the window", cur: 10, stats: msgs(100), hist: []engine.Observation{ago(60, 10)}, want: 10, wantRec: rec(2), reason: []string{"100 messages / 50 per replica = 2", "held at 10 by the 5m0s scale-down window"}},
		{name: "window's highest recommendation", cur: 10, stats: msgs(100), hist: []engine.Observation{ago(120, 6), ago(30, 4)}, want: 6, wantRec: rec(2), reason: []string{"scaling down to the window's highest recommendation 6"}},
		{name: "window just inside", cur: 10, stats: msgs(100), hist: []engine.Observation{ago(299, 10)}, want: 10},
		{name: "window boundary excluded", cur: 10, stats: msgs(100), hist: []engine.Observation{ago(300, 10)}, want: 2, reason: []string{"scaling down"}, noReason: []string{"window"}},
		{name: "older than the window", cur: 10, stats: msgs(100), hist: []engine.Observation{ago(900, 40), ago(400, 10)}, want: 2},
		{name: "no window", cfg: func(c *engine.Config) { c.ScaleDownWindow = 0 }, cur: 10, stats: msgs(100), hist: []engine.Observation{ago(1, 10)}, want: 2},
		{name: "held polls do not count", cur: 10, stats: msgs(100), hist: []engine.Observation{ago(30, -1)}, want: 2},
		{name: "max step down", cfg: func(c *engine.Config) { c.MaxStepDown = 3 }, cur: 10, stats: msgs(100), want: 7, wantRec: rec(2), reason: []string{"scale-down capped at -3 per step"}},
		{name: "max step down with the window", cfg: func(c *engine.Config) { c.MaxStepDown = 3 }, cur: 10, stats: msgs(100), hist: []engine.Observation{ago(30, 8)}, want: 8},
		{name: "down to min", cfg: func(c *engine.Config) { c.MinReplicas = 2 }, cur: 5, stats: msgs(0), want: 2, reason: []string{"0 messages / 50 per replica = 0", "kept at --min-replicas 2"}},
		{name: "from zero replicas", cfg: func(c *engine.Config) { c.MinReplicas = 0 }, cur: 0, stats: msgs(120), want: 3},
		{name: "zero stays zero", cfg: func(c *engine.Config) { c.MinReplicas = 0 }, cur: 0, stats: msgs(0), want: 0},
		{name: "current above max, held by the window", cur: 50, stats: msgs(100), hist: []engine.Observation{ago(60, 50)}, want: 40, reason: []string{"100 messages / 50 per replica = 2; 50 replicas is outside [1, 40]: set to 40"}},
		{name: "current above max, sized first", cur: 50, stats: msgs(100), want: 2, reason: []string{"scaling down"}},
		{name: "current below min, sized first", cfg: func(c *engine.Config) { c.MinReplicas = 3 }, cur: 1, stats: msgs(5000), want: 40, reason: []string{"scaling up", "capped at --max-replicas 40"}},
		{name: "current below min, idle", cfg: func(c *engine.Config) { c.MinReplicas = 3 }, cur: 1, stats: msgs(0), want: 3, reason: []string{"1 replicas is outside [3, 40]: set to 3"}},
		{name: "count ready", cfg: func(c *engine.Config) { c.Count = engine.CountReady }, cur: 5, stats: engine.QueueStats{Messages: 1000, Ready: 100, Unacked: 900}, want: 2},
		{name: "count total", cur: 5, stats: engine.QueueStats{Messages: 1000, Ready: 100, Unacked: 900}, want: 20},
		{name: "one message", cur: 1, stats: msgs(1), want: 1, reason: []string{"1 message / 50 per replica = 1"}},
		{name: "millions", cfg: func(c *engine.Config) { c.MaxReplicas = 10000 }, cur: 1, stats: msgs(12_345_678), want: 10000, reason: []string{"12,345,678 messages / 50 per replica", "capped at --max-replicas 10000"}},
	})
}

func TestHPAKedaPolicy(t *testing.T) {
	base := engine.DefaultConfig()
	base.MinReplicas, base.MaxReplicas, base.TargetMessages = 2, 40, 250
	// The HPA's rules are fixed: the config's own tolerance and window must
	// not matter.
	base.Tolerance, base.ScaleDownWindow = 0.5, time.Hour
	runPolicyCases(t, "hpa-keda", base, []policyCase{
		{name: "current above max", cur: 50, stats: msgs(0), want: 40, wantRec: rec(40), reason: []string{"50 replicas is outside [2, 40]: set to 40"}},
		{name: "current below min", cur: 1, stats: msgs(10000), want: 2, reason: []string{"outside [2, 40]"}},
		{name: "min 0: KEDA activates to 1", cfg: func(c *engine.Config) { c.MinReplicas = 0 }, cur: 0, stats: msgs(10000), want: 1, reason: []string{"KEDA activates 0 -> 1"}},
		{name: "min 0: the HPA's own minimum is 1", cfg: func(c *engine.Config) { c.MinReplicas = 0 }, cur: 3, stats: msgs(0), hist: []engine.Observation{withStats(ago(60, -1), msgs(500))}, want: 1},
		{name: "within 10% above", cur: 10, stats: msgs(2700), want: 10, wantRec: rec(10), reason: []string{"2,700 messages / 250 per replica = 11", "within 10% tolerance"}},
		{name: "within 10% below", cur: 10, stats: msgs(2300), want: 10, wantRec: rec(10)},
		{name: "just outside 10% above", cur: 10, stats: msgs(2800), want: 12, wantRec: rec(12), reason: []string{"scaling up"}},
		{name: "just outside 10% below", cur: 10, stats: msgs(2200), want: 9, wantRec: rec(9), reason: []string{"scaling down"}},
		{name: "scale-up limit +4", cur: 2, stats: msgs(10000), want: 6, wantRec: rec(40), reason: []string{"10,000 messages / 250 per replica = 40", "scale-up limited to 6 this sync"}},
		{name: "scale-up limit x2", cur: 10, stats: msgs(10000), want: 20, reason: []string{"scale-up limited to 20"}},
		{name: "scale-up limit +4 beats x2 at 3", cur: 3, stats: msgs(10000), want: 7},
		{name: "scale-up within the limit", cur: 10, stats: msgs(4000), want: 16, reason: []string{"scaling up"}, noReason: []string{"limited"}},
		{name: "scale-up capped by max", cur: 30, stats: msgs(20000), want: 40},
		{name: "start counts changes in the last 15 s", cur: 6, stats: msgs(10000),
			hist: []engine.Observation{ago(20, 2), changed(10, 2, 6)}, want: 6, reason: []string{"limited to 6"}},
		{name: "a change exactly 15 s ago is not counted", cur: 6, stats: msgs(10000),
			hist: []engine.Observation{ago(30, 2), changed(15, 2, 6)}, want: 12},
		{name: "changes sum", cur: 10, stats: msgs(10000),
			hist: []engine.Observation{ago(20, 2), changed(12, 2, 6), changed(5, 6, 10)}, want: 10},
		{name: "scale-down stabilized by the 300 s window", cur: 20, stats: msgs(250), hist: []engine.Observation{ago(299, 15)}, want: 15, wantRec: rec(1), reason: []string{"scaling down"}},
		{name: "window boundary time > now - 300", cur: 20, stats: msgs(250), hist: []engine.Observation{ago(300, 15)}, want: 2},
		{name: "window's maximum wins", cur: 20, stats: msgs(250), hist: []engine.Observation{ago(250, 12), ago(200, 16), ago(100, 9)}, want: 16},
		{name: "held by the window", cur: 20, stats: msgs(250), hist: []engine.Observation{ago(60, 25)}, want: 20, reason: []string{"held by the 5m0s scale-down window"}},
		{name: "history never scales up", cur: 5, stats: msgs(1250), hist: []engine.Observation{ago(60, 20)}, want: 5},
		{name: "scale down straight to min", cur: 20, stats: msgs(0), want: 2, wantRec: rec(0)},
		{name: "scale down straight to the recommendation", cur: 30, stats: msgs(2500), want: 10},
		{name: "holds between syncs", cur: 5, stats: msgs(10000), hist: []engine.Observation{ago(5, 3)}, want: 5, wantRec: rec(-1), reason: []string{"holding at 5 until the next HPA sync"}},
		{name: "holds 14 s after a sync", cur: 5, stats: msgs(10000), hist: []engine.Observation{ago(14, 3)}, want: 5, wantRec: rec(-1)},
		{name: "syncs 15 s after a sync", cur: 5, stats: msgs(10000), hist: []engine.Observation{ago(15, 3)}, want: 10},
		{name: "non-sync polls between", cur: 5, stats: msgs(10000), hist: []engine.Observation{ago(15, 3), ago(10, -1), ago(5, -1)}, want: 10},
		{name: "count ready", cfg: func(c *engine.Config) { c.Count = engine.CountReady }, cur: 10, stats: engine.QueueStats{Messages: 10000, Ready: 500, Unacked: 9500}, want: 2},
	})
}

// TestHPAKedaPolledFaster replays a 5 s poll through the policy: it
// evaluates only every 15 s, like the HPA.
func TestHPAKedaPolledFaster(t *testing.T) {
	p, _ := engine.PolicyByName("hpa-keda")
	cfg := engine.DefaultConfig()
	cfg.MinReplicas, cfg.MaxReplicas, cfg.TargetMessages, cfg.PollInterval = 1, 100, 10, 5*time.Second
	var hist []engine.Observation
	cur := int32(1)
	evaluated := 0
	for i := 0; i < 12; i++ {
		now := t0.Add(time.Duration(i*5) * time.Second)
		d := engine.Decide(p, engine.Input{Config: cfg, Now: now, Stats: msgs(10000), Current: cur, History: hist})
		if (d.Recommendation >= 0) != (i%3 == 0) {
			t.Errorf("t=%ds: evaluated=%v, want evaluation every 15 s", i*5, d.Recommendation >= 0)
		}
		if d.Recommendation >= 0 {
			evaluated++
		} else if d.Desired != cur {
			t.Errorf("t=%ds: changed %d -> %d between syncs", i*5, cur, d.Desired)
		}
		hist = append(hist, engine.Observation{At: now, OK: true, Scale: engine.Scale{Desired: cur}, Decision: d, Applied: d.Desired})
		cur = d.Desired
	}
	// 1 -> 5 -> 10 -> 20 -> 40: +4 then doubling per sync.
	if evaluated != 4 || cur != 40 {
		t.Errorf("after %d syncs at %d replicas, want 4 syncs reaching 40", evaluated, cur)
	}
}

// countingPolicy records whether Decide reached it.
type countingPolicy struct {
	calls *int
	out   engine.Decision
}

func (countingPolicy) Name() string     { return "counting" }
func (countingPolicy) Describe() string { return "test" }
func (p countingPolicy) Decide(engine.Input) engine.Decision {
	*p.calls++
	return p.out
}

func TestDecideHoldsOnFailedOrStaleData(t *testing.T) {
	cfg := engine.DefaultConfig()
	cfg.MaxReplicas = 100
	hist := []engine.Observation{ago(60, 3), ago(30, 3)}
	tests := []struct {
		name   string
		err    error
		stale  bool
		reason []string
	}{
		{"failed poll", fmt.Errorf("GET /api/queues: %w", engine.ErrUnavailable), false, []string{"holding at 7", "failed", "unavailable"}},
		{"unauthorized", engine.ErrUnauthorized, false, []string{"holding at 7", "unauthorized"}},
		{"stale statistics", nil, true, []string{"holding at 7", "stale"}},
		{"failed and stale", engine.ErrNotFound, true, []string{"holding at 7", "failed"}},
	}
	for _, name := range engine.PolicyNames() {
		p, err := engine.PolicyByName(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				c := cfg
				c.Policy = name
				// 100,000 messages would make every policy scale up.
				d := engine.Decide(p, engine.Input{Config: c, Now: t0, Stats: msgs(100000), Current: 7, Ready: 7, History: hist, Err: tt.err, Stale: tt.stale})
				if d.Desired != 7 || !d.Held || d.Recommendation != -1 {
					t.Errorf("Decide = %+v, want a hold at 7 (Held, Recommendation -1)", d)
				}
				for _, f := range tt.reason {
					if !strings.Contains(d.Reason, f) {
						t.Errorf("reason %q does not contain %q", d.Reason, f)
					}
				}
			})
		}
	}
	calls := 0
	p := countingPolicy{calls: &calls, out: engine.Decision{Desired: 99}}
	engine.Decide(p, engine.Input{Config: cfg, Current: 7, Err: errors.New("x")})
	engine.Decide(p, engine.Input{Config: cfg, Current: 7, Stale: true})
	if calls != 0 {
		t.Errorf("the policy was asked %d times on bad data, want 0", calls)
	}
	if d := engine.Decide(p, engine.Input{Config: cfg, Current: 7}); calls != 1 || d.Desired != 99 {
		t.Errorf("on good data Decide = %+v after %d calls, want the policy's 99 after 1", d, calls)
	}
	p.out = engine.Decision{Desired: -1}
	if d := engine.Decide(p, engine.Input{Config: cfg, Current: 7}); d.Desired != 7 {
		t.Errorf("a negative Desired became %d, want the current 7", d.Desired)
	}
}

// TestEveryPolicyStaysInRange runs every registered policy over a grid of
// inputs: whatever it decides stays within [min, max] and says why.
func TestEveryPolicyStaysInRange(t *testing.T) {
	cfg := engine.DefaultConfig()
	cfg.MinReplicas, cfg.MaxReplicas, cfg.TargetMessages = 2, 25, 100
	for _, name := range engine.PolicyNames() {
		p, _ := engine.PolicyByName(name)
		c := cfg
		c.Policy = name
		for cur := c.MinReplicas; cur <= c.MaxReplicas; cur++ {
			for _, m := range []int64{0, 1, 99, 100, 101, 250, 1000, 2400, 2600, 10000, 1 << 40} {
				for _, hist := range [][]engine.Observation{nil, {ago(60, 25)}, {ago(20, 2), changed(5, 2, cur)}} {
					s := engine.QueueStats{Messages: m, Ready: m / 2, Unacked: m - m/2, PublishRate: engine.KnownRate(10), AckRate: engine.KnownRate(float64(cur))}
					d := engine.Decide(p, engine.Input{Config: c, Now: t0, Stats: s, Current: cur, Ready: cur, History: hist})
					if d.Desired < c.MinReplicas || d.Desired > c.MaxReplicas || d.Reason == "" || d.Held {
						t.Fatalf("%s: current %d, %d messages, history %d: Decide = %+v, want within [%d, %d] with a reason",
							name, cur, m, len(hist), d, c.MinReplicas, c.MaxReplicas)
					}
				}
			}
		}
	}
}

func TestPolicyRegistry(t *testing.T) {
	names := engine.PolicyNames()
	if !sort.StringsAreSorted(names) {
		t.Errorf("PolicyNames() = %v, not sorted", names)
	}
	for _, want := range []string{"seed", "hpa-keda", "proportional", engine.DefaultPolicyName} {
		if _, err := engine.PolicyByName(want); err != nil {
			t.Errorf("PolicyByName(%q) = %v", want, err)
		}
	}
	for _, n := range names {
		p, err := engine.PolicyByName(n)
		if err != nil || p.Name() != n || p.Describe() == "" {
			t.Errorf("PolicyByName(%q) = %v (Name %q), %v; want itself with a description", n, p, p.Name(), err)
		}
	}
	if p, err := engine.PolicyByName(""); err != nil || p.Name() != engine.DefaultPolicyName {
		t.Errorf("PolicyByName(\"\") = %v, %v; want the default %q", p, err, engine.DefaultPolicyName)
	}
	for _, bad := range []string{"nope", "Seed", "hpa"} {
		p, err := engine.PolicyByName(bad)
		if err == nil || p != nil {
			t.Errorf("PolicyByName(%q) = %v, %v; want an error", bad, p, err)
			continue
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) || !strings.Contains(err.Error(), "seed") {
			t.Errorf("PolicyByName(%q) error %q should name it and the known policies", bad, err)
		}
	}
}

// TestReasonFormatsLargeNumbers: every number of a reason sentence carries
// thousands separators, the result of the division included.
func TestReasonFormatsLargeNumbers(t *testing.T) {
	cfg := engine.DefaultConfig()
	cfg.MinReplicas, cfg.MaxReplicas, cfg.TargetMessages = 1, 10000, 50
	for _, name := range engine.PolicyNames() {
		p, _ := engine.PolicyByName(name)
		c := cfg
		c.Policy = name
		d := engine.Decide(p, engine.Input{Config: c, Now: t0, Stats: msgs(12_345_678), Current: 5000})
		if want := "12,345,678 messages / 50 per replica = 246,914"; !strings.Contains(d.Reason, want) {
			t.Errorf("%s: reason %q does not contain %q", name, d.Reason, want)
		}
	}
}

// TestReasonAtMinDoesNotSayScalingDown: an idle queue at --min-replicas is
// a steady state; the reason must not announce a scale-down that does not
// happen (the console would show "scaling down" at every poll).
func TestReasonAtMinDoesNotSayScalingDown(t *testing.T) {
	cfg := engine.DefaultConfig()
	for _, name := range engine.PolicyNames() {
		p, _ := engine.PolicyByName(name)
		c := cfg
		c.Policy = name
		d := engine.Decide(p, engine.Input{Config: c, Now: t0, Stats: msgs(0), Current: c.MinReplicas, Ready: c.MinReplicas})
		if d.Desired != c.MinReplicas || strings.Contains(d.Reason, "scaling down") {
			t.Errorf("%s: at min with an empty queue Decide = %+v, want a hold at %d that does not say scaling down", name, d, c.MinReplicas)
		}
	}
}

// TestSizeBeforeClamp checks that adaptive and proportional size first and
// clamp after: a deployment below --min-replicas in a burst goes straight to
// what the burst needs (1 -> 40, not 1 -> 2 and 2 -> 40 a poll later),
// while hpa-keda, a model of the HPA, clamps first as the HPA does.
func TestSizeBeforeClamp(t *testing.T) {
	cfg := engine.DefaultConfig()
	cfg.MinReplicas, cfg.MaxReplicas, cfg.TargetMessages = 2, 40, 250
	cases := []struct {
		policy string
		cur    int32
		depth  int64
		want   int32
		reason string
	}{
		{"adaptive", 1, 10_000, 40, "10,000 messages / 250 per replica = 40; scaling up"},
		{"proportional", 1, 10_000, 40, "10,000 messages / 250 per replica = 40; scaling up"},
		{"hpa-keda", 1, 10_000, 2, "1 replicas is outside [2, 40]: set to 2"},
		{"adaptive", 1, 0, 2, "1 replicas is outside [2, 40]: set to 2"},
		{"proportional", 1, 0, 2, "1 replicas is outside [2, 40]: set to 2"},
		{"adaptive", 60, 20_000, 40, "20,000 messages / 250 per replica = 80; 60 replicas is outside [2, 40]: set to 40"},
		{"proportional", 60, 20_000, 40, "60 replicas is outside [2, 40]: set to 40"},
		{"hpa-keda", 60, 20_000, 40, "60 replicas is outside [2, 40]: set to 40"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%d with %d", tc.policy, tc.cur, tc.depth), func(t *testing.T) {
			p, err := engine.PolicyByName(tc.policy)
			if err != nil {
				t.Fatal(err)
			}
			c := cfg
			c.Policy = tc.policy
			d := engine.Decide(p, engine.Input{Config: c, Now: t0, Current: tc.cur, Stats: msgs(tc.depth)})
			if d.Desired != tc.want || !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("%d -> %d (%q), want %d saying %q", tc.cur, d.Desired, d.Reason, tc.want, tc.reason)
			}
		})
	}
}
