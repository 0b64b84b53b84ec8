package engine_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// adNow is the time of the poll under test in the adaptive policy's tests.
var adNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// adConfig is the guide's defaults with room to scale and the adaptive policy.
func adConfig() engine.Config {
	c := engine.DefaultConfig()
	c.MinReplicas, c.MaxReplicas, c.TargetMessages = 1, 100, 50
	c.PollInterval = 15 * time.Second
	c.Policy = "adaptive"
	return c
}

// adStats is one broker observation: depth, ready, consumers and the
// publish and ack rates (NaN: unknown).
func adStats(messages, ready int64, consumers int, publish, ack float64) engine.QueueStats {
	rate := func(v float64) engine.Rate {
		if math.IsNaN(v) {
			return engine.Rate{}
		}
		return engine.KnownRate(v)
	}
	return engine.QueueStats{Messages: messages, Ready: ready, Unacked: messages - ready, Consumers: consumers,
		PublishRate: rate(publish), AckRate: rate(ack)}
}

var unknown = math.NaN()

// adHistory returns n good polls 15 s apart ending 15 s before adNow, each
// seeing s.
func adHistory(n int, s engine.QueueStats) []engine.Observation {
	h := make([]engine.Observation, n)
	for i := range h {
		h[i] = engine.Observation{At: adNow.Add(-time.Duration(15*(n-i)) * time.Second), OK: true, Stats: s,
			Decision: engine.Decision{Recommendation: -1}}
	}
	return h
}

// adSeq returns good polls 15 s apart ending 15 s before adNow, one per
// observation in ss.
func adSeq(ss ...engine.QueueStats) []engine.Observation {
	h := make([]engine.Observation, len(ss))
	for i, s := range ss {
		h[i] = engine.Observation{At: adNow.Add(-time.Duration(15*(len(ss)-i)) * time.Second), OK: true, Stats: s,
			Decision: engine.Decision{Recommendation: -1}}
	}
	return h
}

func repeat(n int, s engine.QueueStats) []engine.QueueStats {
	out := make([]engine.QueueStats, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// adLearned is a history in which 4 saturated workers acked 2/s (0.5/s
// each) while arrival messages/s were published: throughput is learned.
func adLearned(arrival float64) []engine.Observation {
	return adHistory(3, adStats(1000, 990, 4, arrival, 2))
}

func TestAdaptiveDecide(t *testing.T) {
	withCfg := func(f func(*engine.Config)) engine.Config { c := adConfig(); f(&c); return c }
	cases := []struct {
		name    string
		cfg     engine.Config
		in      engine.Input
		want    int32
		held    bool
		reasons []string
	}{
		{name: "failed poll holds", cfg: adConfig(),
			in:   engine.Input{Current: 7, Err: errors.Join(engine.ErrUnavailable)},
			want: 7, held: true, reasons: []string{"holding at 7", "last poll failed", "unavailable"}},
		{name: "stale statistics hold", cfg: adConfig(),
			in:   engine.Input{Current: 7, Stale: true, Stats: adStats(90_000, 90_000, 7, 5, 1)},
			want: 7, held: true, reasons: []string{"holding at 7", "stale"}},
		{name: "idle at the minimum says so", cfg: adConfig(),
			in:   engine.Input{Current: 1, Stats: adStats(0, 0, 1, 0, 0), History: adLearned(0)},
			want: 1, reasons: []string{"at --min-replicas 1", "need no more"}},
		{name: "above max is brought inside the bounds", cfg: adConfig(),
			in: engine.Input{Current: 120, Stats: adStats(3000, 3000, 120, unknown, unknown),
				History: []engine.Observation{{At: adNow.Add(-time.Minute), OK: true, Decision: engine.Decision{Recommendation: 120}}}},
			want: 100, reasons: []string{"3,000 messages / 50 per replica = 60; 120 replicas is outside [1, 100]: set to 100"}},
		{name: "above max and idle is sized first", cfg: adConfig(),
			in:   engine.Input{Current: 120, Stats: adStats(0, 0, 120, 0, 0), History: adHistory(25, adStats(0, 0, 120, 0, 0))},
			want: 1, reasons: []string{"scaling down"}},
		{name: "above max with no history: the clamp, then the window", cfg: adConfig(),
			in:   engine.Input{Current: 120, Stats: adStats(0, 0, 120, 0, 0)},
			want: 100, reasons: []string{"120 replicas is outside [1, 100]: set to 100"}},
		{name: "rates unknown: the guide's target adds replicas", cfg: adConfig(),
			in:   engine.Input{Current: 2, Stats: adStats(4250, 4250, 2, unknown, unknown)},
			want: 85, reasons: []string{"4,250 messages / 50 per replica = 85", "scaling up"}},
		{name: "scale-up capped at max replicas", cfg: adConfig(),
			in:   engine.Input{Current: 2, Stats: adStats(12_345, 12_345, 2, unknown, unknown)},
			want: 100, reasons: []string{"12,345 messages", "capped at --max-replicas 100"}},
		{name: "scale-up capped per step", cfg: withCfg(func(c *engine.Config) { c.MaxStepUp = 5 }),
			in:   engine.Input{Current: 2, Stats: adStats(4250, 4250, 2, unknown, unknown)},
			want: 7, reasons: []string{"capped at +5 per step"}},
		{name: "inside the tolerance band nothing is added", cfg: adConfig(),
			in:   engine.Input{Current: 10, Stats: adStats(530, 520, 10, 3, 5), History: adLearned(3)},
			want: 10, reasons: []string{"530 messages / 50 per replica = 11", "within 10% tolerance of 10"}},
		{name: "a triggered scale-up is sized for the arrivals", cfg: adConfig(),
			in: engine.Input{Current: 5, Stats: adStats(600, 595, 4, 10, 2), History: adLearned(10)},
			// 10/s arriving with 20% headroom at 0.5/s per worker = 24.
			want: 24, reasons: []string{"600 messages / 50 per replica = 12", "scaling up to 24 to keep up with 10.0/s arriving"}},
		{name: "large numbers have thousands separators", cfg: withCfg(func(c *engine.Config) { c.MaxReplicas = 5000 }),
			in:   engine.Input{Current: 1000, Stats: adStats(1_234_567, 1_234_000, 1000, 12_345.6, 500), History: adHistory(3, adStats(1_234_567, 1_234_000, 1000, 12_345.6, 500))},
			want: 5000, reasons: []string{"1,234,567 messages / 50 per replica = 24,692", "scaling up to 29,630 to keep up with 12,345.6/s arriving", "capped at --max-replicas 5000"}},
		{name: "no replicas are added while depth is below the target", cfg: adConfig(),
			in:   engine.Input{Current: 5, Stats: adStats(100, 95, 5, 10, 2.5), History: adLearned(10)},
			want: 5, reasons: []string{"holding 5", "95 waiting", "10.0/s arriving"}},
		{name: "idle workers are removed", cfg: adConfig(),
			in: engine.Input{Current: 20, Stats: adStats(10, 0, 20, 2, 2), History: adLearned(2)},
			// 2/s at 0.5/s = 4 workers busy: no spare capacity is kept.
			want: 4, reasons: []string{"scaling down to 4", "0 waiting and 2.0/s arriving keep only 4 workers busy at 0.50/s each"}},
		{name: "a waiting message per worker is its next one, not a backlog", cfg: adConfig(),
			in: engine.Input{Current: 20, Stats: adStats(35, 15, 20, 2, 2), History: adLearned(2)},
			// 2/s at 0.5/s = 4 workers; the 15 waiting are the next messages of
			// 15 of the 20 workers (counted as backlog: (2 + 15/15 s) / 0.5 = 6).
			want: 4, reasons: []string{"scaling down to 4", "15 waiting (each a worker's next message) and 2.0/s arriving keep only 4 workers busy"}},
		{name: "waiting messages beyond one per worker keep workers", cfg: adConfig(),
			in: engine.Input{Current: 20, Stats: adStats(110, 80, 20, 2, 2), History: adLearned(2)},
			// (2/s + (80 - 20) / 15 s) / 0.5/s = 12.
			want: 12, reasons: []string{"scaling down to 12", "80 waiting (20 of them the workers' next messages)"}},
		{name: "workers the backlog keeps busy are kept", cfg: withCfg(func(c *engine.Config) { c.TargetMessages = 250 }),
			in:   engine.Input{Current: 20, Stats: adStats(3000, 2980, 20, 2, 10), History: adLearned(2)},
			want: 20, reasons: []string{"3,000 messages / 250 per replica = 12", "holding 20", "2,980 waiting"}},
		{name: "scale-down capped per step", cfg: withCfg(func(c *engine.Config) { c.MaxStepDown = 3 }),
			in:   engine.Input{Current: 20, Stats: adStats(10, 0, 20, 2, 2), History: adLearned(2)},
			want: 17, reasons: []string{"scaling down to 17"}},
		{name: "scale-down stops at min replicas", cfg: withCfg(func(c *engine.Config) { c.MinReplicas = 8 }),
			in:   engine.Input{Current: 20, Stats: adStats(10, 0, 20, 2, 2), History: adLearned(2)},
			want: 8, reasons: []string{"scaling down to 8"}},
		{name: "throughput unknown: proportional scale-down", cfg: adConfig(),
			in: engine.Input{Current: 10, Stats: adStats(100, 90, 10, 2, 2),
				History: []engine.Observation{{At: adNow.Add(-6 * time.Minute), OK: true, Decision: engine.Decision{Recommendation: 10}}}},
			want: 2, reasons: []string{"100 messages / 50 per replica = 2 (throughput not learned yet)", "scaling down"}},
		{name: "a controller with no history holds the size it found", // the lab: 4 -> 3 with 702 waiting at target 250
			cfg:  withCfg(func(c *engine.Config) { c.TargetMessages, c.MinReplicas, c.MaxReplicas = 250, 2, 40 }),
			in:   engine.Input{Current: 4, Stats: adStats(702, 698, 4, unknown, unknown)},
			want: 4, reasons: []string{"702 messages / 250 per replica = 3 (throughput not learned yet); holding 4: a controller with no history counts the 4 replicas it found as a recommendation for the 5m0s scale-down window"}},
		{name: "a controller with no history still scales up", cfg: adConfig(),
			in:   engine.Input{Current: 4, Stats: adStats(702, 698, 4, unknown, unknown)},
			want: 15, reasons: []string{"scaling up"}},
		{name: "throughput unknown: the scale-down window still holds", cfg: adConfig(),
			in: engine.Input{Current: 10, Stats: adStats(100, 90, 10, 2, 2),
				History: []engine.Observation{{At: adNow.Add(-time.Minute), OK: true, Decision: engine.Decision{Recommendation: 10}}}},
			want: 10, reasons: []string{"held at 10 by the 5m0s scale-down window"}},
		{name: "zero consumers teach nothing", cfg: adConfig(),
			in:   engine.Input{Current: 10, Stats: adStats(100, 100, 0, 2, 0), History: adHistory(5, adStats(100, 100, 0, 2, 3))},
			want: 2, reasons: []string{"throughput not learned yet"}},
		{name: "missing rates teach nothing", cfg: adConfig(),
			in:   engine.Input{Current: 10, Stats: adStats(100, 90, 4, unknown, unknown), History: adHistory(5, adStats(1000, 990, 4, unknown, unknown))},
			want: 2, reasons: []string{"throughput not learned yet"}},
		{name: "a counter reset (negative rate) is ignored", cfg: adConfig(),
			in:   engine.Input{Current: 10, Stats: adStats(100, 90, 4, -500, -500), History: adHistory(5, adStats(1000, 990, 4, -3, -2))},
			want: 2, reasons: []string{"throughput not learned yet"}},
		{name: "huge and NaN rates are ignored", cfg: adConfig(),
			in:   engine.Input{Current: 10, Stats: adStats(100, 90, 4, 1e12, math.Inf(1)), History: adHistory(5, adStats(1000, 990, 4, 1e12, 1e12))},
			want: 2, reasons: []string{"throughput not learned yet"}},
		{name: "drain-within adds replicas below the target to clear the backlog in time",
			cfg: withCfg(func(c *engine.Config) { c.TargetMessages = 250; c.DrainWithin = 5 * time.Minute }),
			in:  engine.Input{Current: 15, Stats: adStats(3000, 2985, 4, 2, 2), History: adLearned(2)},
			// (2/s * 1.1 + 3,000 / 300 s) / 0.5/s = 24.4 -> 25.
			want: 25, reasons: []string{"3,000 messages; to drain them within 5m0s at 0.50/s per worker with 2.0/s arriving needs 25"}},
		{name: "drain-within with rates unknown falls back to the target",
			cfg:  withCfg(func(c *engine.Config) { c.TargetMessages = 250; c.DrainWithin = 5 * time.Minute }),
			in:   engine.Input{Current: 5, Stats: adStats(3000, 2985, 4, unknown, unknown)},
			want: 12, reasons: []string{"3,000 messages / 250 per replica = 12", "scaling up"}},
		{name: "a thin throughput estimate at most doubles what the target asks", cfg: adConfig(),
			in:   engine.Input{Current: 2, Stats: adStats(200, 195, 2, 20, 1), History: adLearned(20)},
			want: 8, reasons: []string{"scaling up to 8 to keep up with 20.0/s arriving (at most 2 times 4 replicas: the learned throughput rests on only 8 consumer-intervals of saturated work, under 24)"}},
		{name: "a learned throughput sizes for the arrivals", cfg: adConfig(),
			in:   engine.Input{Current: 2, Stats: adStats(200, 195, 2, 20, 1), History: adHistory(10, adStats(1000, 990, 4, 20, 2))},
			want: 48, reasons: []string{"scaling up to 48 to keep up with 20.0/s arriving"}},
		{name: "a thin throughput estimate at most doubles the replicas to keep up", cfg: adConfig(),
			in:   engine.Input{Current: 1, Stats: adStats(45, 40, 1, 20, 2), History: adLearned(20)},
			want: 2, reasons: []string{"scaling up to 2: 40 waiting (at least 70% of the target for 1 replicas)", "outgrow them at 0.50/s each (at most 2 times 1 replicas: the learned throughput rests on only 8 consumer-intervals"}},
		{name: "drain-within already met defers to the other rules",
			cfg:  withCfg(func(c *engine.Config) { c.DrainWithin = 5 * time.Minute }),
			in:   engine.Input{Current: 20, Stats: adStats(10, 0, 20, 2, 2), History: adLearned(2)},
			want: 4, reasons: []string{"scaling down to 4"}},
	}
	p, err := engine.PolicyByName("adaptive")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Config, in.Now = tc.cfg, adNow
			d := engine.Decide(p, in)
			if d.Desired != tc.want || d.Held != tc.held {
				t.Errorf("Desired %d Held %v, want %d %v (reason %q)", d.Desired, d.Held, tc.want, tc.held, d.Reason)
			}
			for _, r := range tc.reasons {
				if !strings.Contains(d.Reason, r) {
					t.Errorf("reason %q does not say %q", d.Reason, r)
				}
			}
		})
	}
}

func TestAdaptiveIsDefaultAndDescribed(t *testing.T) {
	p, err := engine.PolicyByName("")
	if err != nil || p.Name() != "adaptive" {
		t.Fatalf("default policy = %v, %v; want adaptive", p, err)
	}
	if !strings.Contains(p.Describe(), "target") {
		t.Errorf("Describe() = %q", p.Describe())
	}
}

func TestAdaptiveEstimate(t *testing.T) {
	sat := adStats(1000, 990, 4, 3, 2) // 4 busy workers ack 2/s: 0.5/s each
	at := func(sec int, s engine.QueueStats) engine.Observation {
		return engine.Observation{At: adNow.Add(time.Duration(sec) * time.Second), OK: true, Stats: s}
	}
	cases := []struct {
		name      string
		hist      []engine.Observation
		stats     engine.QueueStats
		arrival   float64 // NaN: unknown
		perWorker float64 // NaN: unknown
	}{
		{name: "nothing observed", stats: adStats(0, 0, 0, unknown, unknown), arrival: unknown, perWorker: unknown},
		{name: "saturated workers teach throughput", hist: adHistory(2, sat), stats: sat, arrival: 3, perWorker: 0.5},
		{name: "one saturated interval is not enough evidence", hist: adHistory(1, adStats(1000, 990, 2, 3, 1)),
			stats: adStats(1000, 990, 2, 3, 1), arrival: 3, perWorker: unknown},
		{name: "four consumer-intervals are not enough evidence",
			hist: adHistory(1, adStats(1000, 990, 4, 3, 2)), stats: adStats(1000, 990, 4, 3, 2), arrival: 3, perWorker: unknown},
		{name: "six consumer-intervals are",
			hist: adHistory(1, adStats(1000, 990, 6, 3, 3)), stats: adStats(1000, 990, 6, 3, 3), arrival: 3, perWorker: 0.5},
		{name: "pooled over different sizes: acks over consumers",
			hist:  []engine.Observation{at(-45, adStats(900, 900, 2, 3, 1)), at(-30, adStats(900, 900, 2, 3, 1.2)), at(-15, adStats(900, 900, 6, 3, 3))},
			stats: adStats(900, 900, 6, 3, 3.6), arrival: 3, perWorker: (1.2 + 3.6) / (2 + 6)},
		{name: "the deliver rate counts as throughput too while saturated",
			hist: adHistory(1, sat),
			stats: func() engine.QueueStats {
				s := adStats(1000, 990, 4, 3, 2)
				s.DeliverRate = engine.KnownRate(2.8)
				return s
			}(),
			arrival: 3, perWorker: (2 + 2.8) / (4 + 4)},
		{name: "a slow stretch of eight polls does not drag the estimate (it pools 64 samples)",
			// 24 polls at 0.5/s a worker, then 8 at 0.25/s (a few slow messages):
			// the last 16 samples alone said 0.375/s.
			hist:  adSeq(append(repeat(24, sat), repeat(7, adStats(1000, 990, 4, 3, 1))...)...),
			stats: adStats(1000, 990, 4, 3, 1), arrival: 3, perWorker: (23*2 + 8*1) / (31 * 4.0)},
		{name: "a change in consumers does not count (pods just started)",
			hist:  []engine.Observation{at(-30, adStats(900, 900, 2, 3, 1)), at(-15, adStats(900, 900, 8, 3, 1))},
			stats: adStats(900, 900, 16, 3, 2), arrival: 3, perWorker: unknown},
		{name: "idle workers' acks alone do not move the estimate (noisy, and only a lower bound)",
			hist:  append(adHistory(3, sat), at(-5, adStats(5, 0, 4, 3, 3))),
			stats: adStats(5, 0, 4, 3, 3.2), arrival: 3, perWorker: 0.5},
		{name: "Little's law corrects a throughput learned from too few messages",
			// Saturated: 4 workers, one message each, acked 0.1/s each (a few slow
			// messages). Then idle: 3 in flight, 1.5/s acked: 2 s a message, so
			// 0.5/s a worker, 5x the saturated figure.
			hist:  adSeq(append(repeat(3, adStats(1000, 996, 4, 1.5, 0.4)), repeat(12, adStats(3, 0, 4, 1.5, 1.5))...)...),
			stats: adStats(3, 0, 4, 1.5, 1.5), arrival: 1.5, perWorker: 0.5},
		{name: "Little's law counts the messages a worker holds at once (concurrency)",
			// Saturated: 16 unacked on 4 workers (4 each), 0.1/s each. Idle: 8 in
			// flight, 0.8/s acked: 10 s a message, 4 at once: 0.4/s a worker.
			hist:  adSeq(append(repeat(3, adStats(1016, 1000, 4, 0.8, 0.4)), repeat(12, adStats(8, 0, 4, 0.8, 0.8))...)...),
			stats: adStats(8, 0, 4, 0.8, 0.8), arrival: 0.8, perWorker: 0.4},
		{name: "Little's law within a factor of two of the saturated estimate changes nothing",
			hist:  adSeq(append(repeat(3, adStats(1000, 996, 4, 1.5, 2)), repeat(12, adStats(2, 0, 4, 1.5, 1.5))...)...),
			stats: adStats(2, 0, 4, 1.5, 1.5), arrival: 1.5, perWorker: 0.5},
		{name: "Little's law needs a message in flight per sample on average (fewer are noise)",
			// 12 idle samples, 6 messages seen in flight in all: 0.5 a sample.
			hist:  adSeq(append(append(repeat(3, adStats(1000, 996, 4, 0.4, 0.4)), repeat(11, adStats(0, 0, 4, 0.4, 0.4))...), adStats(6, 0, 4, 0.4, 0.4))...),
			stats: adStats(0, 0, 4, 0.4, 0.4), arrival: 0.4, perWorker: 0.1},
		{name: "plenty of saturated evidence wins over Little's law (a prefetch of 10 on one-at-a-time workers)",
			// Saturated: 40 unacked on 4 consumers (their prefetch), 0.5/s each,
			// over 7 intervals (28 consumer-intervals). Idle: 3 in flight, 1.5/s
			// acked: Little's law with 10 slots says 5/s a worker, 10x too many.
			hist:  adSeq(append(repeat(8, adStats(1040, 1000, 4, 1.5, 2)), repeat(12, adStats(3, 0, 4, 1.5, 1.5))...)...),
			stats: adStats(3, 0, 4, 1.5, 1.5), arrival: 1.5, perWorker: 0.5},
		{name: "ready messages within a second of arrivals are not saturation",
			// 30 ready, 20 consumers, 30/s arriving: what just arrived.
			hist:  adHistory(4, adStats(40, 30, 20, 30, 30)),
			stats: adStats(40, 30, 20, 30, 30), arrival: 30, perWorker: unknown},
		{name: "Little's law needs twelve idle samples",
			hist:  adSeq(append(repeat(3, adStats(1000, 996, 4, 1.5, 0.4)), repeat(10, adStats(3, 0, 4, 1.5, 1.5))...)...),
			stats: adStats(3, 0, 4, 1.5, 1.5), arrival: 1.5, perWorker: 0.1},
		{name: "a small ready count is not saturation",
			hist:  adHistory(4, adStats(6, 3, 4, 1, 1)),
			stats: adStats(6, 3, 4, 1, 1), arrival: 1, perWorker: unknown},
		{name: "samples older than 30 minutes are forgotten",
			hist:  []engine.Observation{at(-3600, sat), at(-3585, sat), at(-3570, sat)},
			stats: adStats(0, 0, 4, unknown, unknown), arrival: unknown, perWorker: unknown},
		{name: "a failed poll breaks the chain",
			hist:  []engine.Observation{at(-30, sat), {At: adNow.Add(-15 * time.Second), OK: false, Stats: sat}},
			stats: sat, arrival: 3, perWorker: unknown},
		{name: "arrivals: the median of the last five, so one or two bursts are not a rate",
			hist: []engine.Observation{at(-75, adStats(0, 0, 1, 9, 0)), at(-60, adStats(0, 0, 1, 4, 0)), at(-45, adStats(0, 0, 1, 2000, 0)),
				at(-30, adStats(0, 0, 1, 3, 0)), at(-15, adStats(0, 0, 1, 1500, 0))},
			stats: adStats(0, 0, 1, 3, 0), arrival: 4, perWorker: unknown},
		{name: "arrivals: the latest three count (history is oldest first)",
			hist:  adSeq(append(repeat(4, adStats(0, 0, 1, 9, 0)), repeat(2, adStats(0, 0, 1, 2, 0))...)...),
			stats: adStats(0, 0, 1, 2, 0), arrival: 2, perWorker: unknown},
		{name: "unknown, negative, NaN and huge rates are ignored",
			hist: []engine.Observation{at(-60, sat), at(-45, adStats(1000, 990, 4, -7, -2)),
				at(-30, adStats(1000, 990, 4, math.NaN(), math.NaN())), at(-15, adStats(1000, 990, 4, 5e9, 5e9))},
			stats: adStats(1000, 990, 4, unknown, unknown), arrival: 3, perWorker: unknown},
		{name: "ignored samples do not erase what was learned",
			hist:  []engine.Observation{at(-60, sat), at(-45, sat), at(-30, sat), at(-15, adStats(1000, 990, 4, -7, -2))},
			stats: adStats(1000, 990, 4, math.Inf(1), math.Inf(1)), arrival: 3, perWorker: 0.5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			oldestFirst(t, tc.hist)
			e := engine.Estimate(engine.Input{Config: adConfig(), Now: adNow, Stats: tc.stats, History: tc.hist})
			check := func(what string, got float64, known bool, want float64) {
				if math.IsNaN(want) {
					if known {
						t.Errorf("%s = %v, want unknown", what, got)
					}
					return
				}
				if !known || math.Abs(got-want) > 1e-9 {
					t.Errorf("%s = %v (known %v), want %v", what, got, known, want)
				}
			}
			check("Arrival", e.Arrival, e.ArrivalKnown, tc.arrival)
			check("PerWorker", e.PerWorker, e.PerWorkerKnown, tc.perWorker)
		})
	}
}

// TestAdaptiveBurstHold checks the hold between bursts: after a bounce (a
// scale-up bringing back workers removed within the window), idle workers are
// kept through the window; a single burst never holds them; the hold ends
// when bursts stop.
func TestAdaptiveBurstHold(t *testing.T) {
	cfg := adConfig()
	idle := adStats(0, 0, 10, 0.5, 0.5) // nothing waiting: 10 workers idle
	// obs is a poll at -ago seconds that saw messages and changed the size
	// from -> to (from == to: no change).
	obs := func(ago int, messages int64, from, to int32, bursty bool) engine.Observation {
		s := adStats(messages, messages, 10, 0.5, 0.5)
		return engine.Observation{At: adNow.Add(-time.Duration(ago) * time.Second), OK: true, Stats: s,
			Scale: engine.Scale{Desired: from}, Applied: to, Decision: engine.Decision{Recommendation: -1, Bursty: bursty}}
	}
	// learned is a throughput learned long ago, oldest first as History
	// documents: 0.5/s per worker.
	learned := adHistory(3, adStats(1000, 990, 4, 0.5, 2))
	for i := range learned {
		learned[i].At = adNow.Add(-time.Duration(1000+15*(len(learned)-1-i)) * time.Second)
	}
	cases := []struct {
		name     string
		history  []engine.Observation
		want     int32
		bursty   bool
		contains string
	}{
		{"a single burst: idle workers go", append(append([]engine.Observation{}, learned...),
			obs(120, 500, 1, 10, false)), 1, false, "scaling down"},
		{"a bounce: the burst came back after a scale-down, hold", append(append([]engine.Observation{}, learned...),
			obs(280, 500, 1, 10, false), obs(200, 0, 10, 1, false), obs(100, 500, 1, 10, false)), 10, true, "comes in bursts"},
		{"still bursty: bursts keep coming within the window", append(append([]engine.Observation{}, learned...),
			obs(250, 500, 10, 10, true), obs(60, 500, 10, 10, false)), 10, true, "comes in bursts"},
		{"a late trim before the next burst is not a bounce (the big scale-down was outside the window)", append(append([]engine.Observation{}, learned...),
			obs(450, 0, 20, 3, false), obs(300, 0, 3, 2, false), obs(100, 500, 2, 10, false)), 1, false, "scaling down"},
		{"bursts stopped: the hold ends", append(append([]engine.Observation{}, learned...),
			obs(400, 500, 10, 10, true), obs(310, 0, 10, 10, true)), 1, false, "scaling down"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			oldestFirst(t, tt.history)
			d := engine.Decide(engine.Adaptive{}, engine.Input{Config: cfg, Now: adNow, Stats: idle, Current: 10, Ready: 10, History: tt.history})
			if d.Desired != tt.want || d.Bursty != tt.bursty || !strings.Contains(d.Reason, tt.contains) {
				t.Errorf("Decide = %d (bursty %v) %q; want %d (bursty %v) containing %q", d.Desired, d.Bursty, d.Reason, tt.want, tt.bursty, tt.contains)
			}
		})
	}
}

// TestAdaptiveReasonsSayWhereRatesCameFrom checks that every reason that
// uses a rate says whether it came from the broker's rate fields or from
// the counters' differences (QueueStats.RatesFrom), and that mixed samples
// say both.
func TestAdaptiveReasonsSayWhereRatesCameFrom(t *testing.T) {
	from := func(s engine.QueueStats, f string) engine.QueueStats { s.RatesFrom = f; return s }
	learned := func(f string, arrival ...float64) []engine.Observation {
		h := adLearned(append(arrival, 2)[0])
		for i := range h {
			h[i].Stats.RatesFrom = f
		}
		return h
	}
	cases := []struct {
		name   string
		in     engine.Input
		reason string
	}{
		{"scale-down from counters", engine.Input{Current: 20, Stats: from(adStats(10, 0, 20, 2, 2), engine.RatesFromCounters), History: learned(engine.RatesFromCounters)},
			"keep only 4 workers busy at 0.50/s each (from counters)"},
		{"scale-down from the broker", engine.Input{Current: 20, Stats: from(adStats(10, 0, 20, 2, 2), engine.RatesFromBroker), History: learned(engine.RatesFromBroker)},
			"keep only 4 workers busy at 0.50/s each (from the broker)"},
		{"mixed samples say both", engine.Input{Current: 20, Stats: from(adStats(10, 0, 20, 2, 2), engine.RatesFromCounters), History: learned(engine.RatesFromBroker)},
			"(from the broker and counters)"},
		{"hold", engine.Input{Current: 5, Stats: from(adStats(100, 95, 5, 10, 2.5), engine.RatesFromCounters), History: learned(engine.RatesFromCounters, 10)},
			"10.0/s arriving keep all of them busy past the next poll at 0.50/s each (from counters)"},
		{"scale-up sized for arrivals", engine.Input{Current: 5, Stats: from(adStats(600, 595, 4, 10, 2), engine.RatesFromCounters), History: learned(engine.RatesFromCounters, 10)},
			"to keep up with 10.0/s arriving (from counters)"},
	}
	p, _ := engine.PolicyByName("adaptive")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Config, in.Now = adConfig(), adNow
			if d := engine.Decide(p, in); !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("reason %q does not say %q", d.Reason, tc.reason)
			}
		})
	}
}

// oldestFirst fails t unless hist is in the order Input.History documents:
// oldest first, and before adNow. A fixture in the wrong order would test
// something no controller produces.
func oldestFirst(t *testing.T, hist []engine.Observation) {
	t.Helper()
	for i, o := range hist {
		if !o.At.Before(adNow) || (i > 0 && !hist[i-1].At.Before(o.At)) {
			t.Fatalf("fixture history is not oldest first before now: observation %d at %s", i, o.At.Sub(adNow))
		}
	}
}

// TestAdaptiveKeepsUpBeforeTheTarget checks the keep-up rule: once the
// backlog reaches 70% of the target per replica and the arrivals outgrow the
// workers, replicas are added to serve the arrivals (no more), before the
// backlog reaches the target; below that backlog, or while the workers keep
// up, nothing is added.
func TestAdaptiveKeepsUpBeforeTheTarget(t *testing.T) {
	withMax := func(n int32) engine.Config { c := adConfig(); c.MaxReplicas = n; return c }
	cases := []struct {
		name    string
		cfg     engine.Config
		cur     int32
		stats   engine.QueueStats
		want    int32
		reasons []string
	}{
		// 8/s at 0.5/s per worker needs 16; 400 waiting >= 0.7 * 50 * 10.
		{"arrivals outgrow the workers near the target: two more a poll", adConfig(), 10, adStats(410, 400, 10, 8, 5), 12,
			[]string{"410 messages / 50 per replica = 9", "scaling up to 12 (16 asked; a keep-up adds at most 10% or 2 replicas a poll, whichever is more): " +
				"400 waiting (at least 70% of the target for 10 replicas) and 8.0/s arriving outgrow them at 0.50/s each"}},
		// 20/s needs 40; 1,100 waiting >= 0.7 * 50 * 30.
		{"from 30 replicas a tenth more", adConfig(), 30, adStats(1110, 1100, 30, 20, 15), 33,
			[]string{"scaling up to 33 (40 asked; a keep-up adds at most 10% or 2 replicas a poll"}},
		// 5.5/s needs 11: within the step, no note.
		{"what the arrivals ask within the step", adConfig(), 10, adStats(410, 400, 10, 5.5, 5), 11,
			[]string{"scaling up to 11: 400 waiting"}},
		{"below 70% of the target nothing is added yet", adConfig(), 10, adStats(310, 300, 10, 8, 5), 10,
			[]string{"holding 10"}},
		{"workers that keep up are not added to", adConfig(), 10, adStats(410, 400, 10, 4, 5), 10,
			[]string{"holding 10"}},
		{"capped at max replicas", withMax(11), 10, adStats(410, 400, 10, 8, 5), 11,
			[]string{"scaling up to 12", "capped at --max-replicas 11"}},
		// At the target the target's trigger adds all at once, with headroom:
		// 8/s * 1.2 / 0.5/s = 20.
		{"at the target everything at once", adConfig(), 10, adStats(560, 550, 10, 8, 5), 20,
			[]string{"scaling up to 20 to keep up with 8.0/s arriving"}},
	}
	p, _ := engine.PolicyByName("adaptive")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := engine.Input{Config: tc.cfg, Now: adNow, Current: tc.cur, Stats: tc.stats, History: adLearned(tc.stats.PublishRate.PerSecond)}
			d := engine.Decide(p, in)
			if d.Desired != tc.want {
				t.Errorf("Desired %d, want %d (reason %q)", d.Desired, tc.want, d.Reason)
			}
			for _, r := range tc.reasons {
				if !strings.Contains(d.Reason, r) {
					t.Errorf("reason %q does not say %q", d.Reason, r)
				}
			}
		})
	}
}

// TestAdaptiveScaleDownJudgesArrivalsOnEnoughSamples checks that a
// scale-down judges the arrivals by more samples than five when five are
// too few: at a low rate (five 5 s samples of about 1/s hold a few messages
// each, and their median reading 0.6/s removed a worker that the next polls
// added back: the step pattern's flapping between 1 and 2 workers), and at
// a fast poll (five samples 5 s apart span 25 s, and every poll is another
// chance to catch a low median: poll5's flapping around 7.5 workers).
func TestAdaptiveScaleDownJudgesArrivalsOnEnoughSamples(t *testing.T) {
	// 4 saturated workers ack 0.5/s each, then 3 idle ones see publish.
	sat := func(publish float64) engine.QueueStats { return adStats(1000, 990, 4, publish, 2) }
	idle := func(publish float64) engine.QueueStats { return adStats(1, 0, 3, publish, 1) }
	seq := func(first engine.QueueStats, publish ...float64) []engine.Observation {
		ss := repeat(3, first)
		for _, r := range publish {
			ss = append(ss, idle(r))
		}
		return adSeq(ss...)
	}
	p, _ := engine.PolicyByName("adaptive")
	tests := []struct {
		name      string
		poll      time.Duration
		hist      []engine.Observation
		cur, want int32
		now       float64 // this poll's publish rate
		reasons   []string
	}{
		// The last five samples' median is 0.6/s (2 workers at 0.5/s); all
		// twelve say 1.1/s (3 workers).
		{"low rate: twelve samples", 15 * time.Second, seq(sat(1.2), 1.4, 1.6, 1.0, 1.2, 1.0, 0.6, 0.4, 0.6), 3, 3, 0.4,
			[]string{"holding 3", "1.1/s arriving (the median of 12 samples: 5 are too few at this rate or poll interval)"}},
		// At 5/s and 15 s polls five samples will do: the last five say
		// 5.0/s (10 workers), twelve would say 6.0/s.
		{"15 s polls: five samples", 15 * time.Second, seq(sat(6), 6.4, 6.2, 6.6, 6.0, 6.2, 6.4, 5.0, 5.2, 5.0, 5.4), 14, 10, 5,
			[]string{"scaling down to 10", "0 waiting and 5.0/s arriving keep only 10"}},
		{"5 s polls: a minute of samples", 5 * time.Second, seq(sat(6), 6.4, 6.2, 6.6, 6.0, 6.2, 6.4, 5.0, 5.2, 5.0, 5.4), 14, 12, 5,
			[]string{"scaling down to 12", "6.0/s arriving (the median of 12 samples"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := adConfig()
			cfg.PollInterval = tt.poll
			// A target of 5 leaves the backlog no room to carry a worker
			// (TestAdaptiveBacklogCarriesAFractionOfAWorker).
			cfg.TargetMessages = 5
			d := engine.Decide(p, engine.Input{Config: cfg, Now: adNow, Current: tt.cur, Stats: idle(tt.now), History: tt.hist})
			if d.Desired != tt.want {
				t.Errorf("Desired %d, want %d (reason %q)", d.Desired, tt.want, d.Reason)
			}
			for _, r := range tt.reasons {
				if !strings.Contains(d.Reason, r) {
					t.Errorf("reason %q does not say %q", d.Reason, r)
				}
			}
		})
	}
}
