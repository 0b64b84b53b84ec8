package sim

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDefaultPolicyGoalsPerScenario guards the default policy's goal on the
// shared scenarios (scenarios/README.md, issue 7), for the files'
// seeds and two others: against hpa-keda in the same world, latency (burst
// drain when there are bursts, and p95 wait) no worse, pod-seconds at most
// 2% above, reversals no more, nothing unprocessed; where goalExceptions
// names a scenario, what is reached instead.
func TestDefaultPolicyGoalsPerScenario(t *testing.T) {
	for _, name := range []string{"burst-10k", "ramp", "spike-train", "steady-noisy", "trickle-after-burst"} {
		for _, seed := range []uint64{0, 11, 12} { // 0: the file's own seed
			t.Run(fmt.Sprintf("%s/seed-%d", name, seed), func(t *testing.T) {
				if ex, ok := goalExceptions[name]; ok {
					checkException(t, load(t, name), seed, ex)
					return
				}
				checkGoal(t, load(t, name), seed)
			})
		}
	}
}

// TestDefaultPolicyGoalsOnPatterns guards the same goal on EVERY load
// pattern under testdata/patterns (a pattern added there is checked without
// touching this test), at three seeds; the full sweep over seeds 1-20 is
// `make sweep-sim` (BenchmarkGoalSweep). Where the goal is out of reach
// (goalExceptions) the test checks what is reached instead, so that it still
// fails if that gets worse.
func TestDefaultPolicyGoalsOnPatterns(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "patterns", "*.json"))
	if err != nil || len(files) < 19 {
		t.Fatalf("patterns: %v, %d files", err, len(files))
	}
	for name := range goalExceptions {
		if _, builtin := Builtin(name); !builtin && !slices.Contains(files, filepath.Join("testdata", "patterns", name+".json")) {
			t.Errorf("goalExceptions names %q, which is no pattern and no shared scenario", name)
		}
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		for _, seed := range []uint64{1, 2, 3, 4, 5} {
			t.Run(fmt.Sprintf("%s/seed-%d", name, seed), func(t *testing.T) {
				sc, err := Load(f)
				if err != nil {
					t.Fatal(err)
				}
				if ex, ok := goalExceptions[name]; ok {
					checkException(t, sc, seed, ex)
					return
				}
				checkGoal(t, sc, seed)
			})
		}
	}
}

// goalException is what the default policy reaches on a pattern where the
// per-scenario goal is out of reach on some seeds of 1 to 20 (the worst
// figure measured there), and why: everything else of the goal must hold.
type goalException struct {
	extraReversals int     // reversals allowed above hpa-keda's
	latency, pods  float64 // highest latency and pod-seconds ratios allowed (0: the goal's 1 and 1.02)
	// flaps is, where the extra reversals are noise (a worker removed on a
	// low arrival reading and added back on some seeds), the highest ratio
	// of the default policy's reversals to hpa-keda's, summed over seeds
	// 1-20 (TestDefaultPolicyFlapsLessOverSeeds); 0 where the default
	// policy reverses more on every seed.
	flaps float64
	why   string
}

// goalExceptions are the patterns and shared scenarios where the goal is
// out of reach on some seeds, with the worst measured over seeds 1-20
// (`make sweep-sim`).
var goalExceptions = map[string]goalException{
	"every5": {extraReversals: 2, latency: 1.02, why: "bursts every 5 minutes: hpa-keda's 300 s window holds through every gap (1 reversal); " +
		"reaching 1 needs holding the first burst's pods until the second, before anything says the load recurs: " +
		"holding a burst's pods for one window from its start made every5 miss on 11 seeds (pod-seconds 1.04) and every4 on 16 (1.055), " +
		"and cost pod-seconds 0.817 -> 0.917 overall (spike-train missed on 17, steady-noisy on 3)"},
	"every4":       {extraReversals: 2, latency: 1.05, why: "bursts every 4 minutes: as every5"},
	"every3":       {extraReversals: 2, latency: 1.11, why: "bursts every 3 minutes: as every5 where the first scale-down comes in the first gap (8 of 20 seeds: 3 reversals against 1); where it comes later the queue shows the bursts recurring and the workers are held (seed 12: 1 reversal, latency 1.106)"},
	"steady5":      {pods: 1.03, why: "steady 5/s (7.5 workers busy): 0.992 on average, 1.027 on 1 of 20 seeds (seed 2)"},
	"steady-noisy": {extraReversals: 2, flaps: 0.70, why: "steady 6/s, exactly 9 workers busy: a worker removed on a low arrival reading and added back, 7 vs 5 reversals on 1 of 20 seeds (seed 11; none of seeds 21-40)"},
	"slow2":        {extraReversals: 2, flaps: 0.75, why: "6 s messages, 2 at a time, 2/s (exactly 6 pods busy): a worker removed on a low arrival reading, on 4 of 20 seeds (7 vs 5 reversals on seed 17)"},
	"poll10":       {extraReversals: 3, flaps: 0.75, why: "10 s poll on 4/s (exactly 6 workers busy): a worker flaps on 2 of 20 seeds (7 vs 4 on seed 12)"},
	"step":         {extraReversals: 1, flaps: 0.80, why: "rate steps down to 1/s: a worker flaps at the low step, on 3 of 20 seeds (7 vs 6)"},
	"step2":        {extraReversals: 1, flaps: 0.95, why: "rate steps between 1.5 and 6/s: a worker flaps, on 1 of 20 seeds (7 vs 6)"},
	"sine30":       {extraReversals: 1, flaps: 0.80, why: "a 30-minute sine of 1-8/s: 5 vs 4 reversals on 2 of 20 seeds"},
}

// checkException runs sc (with seed, unless 0) under the default policy and
// hpa-keda and fails t unless the goal holds with ex's allowance.
func checkException(t *testing.T, sc Scenario, seed uint64, ex goalException) {
	t.Helper()
	if seed != 0 {
		sc.Seed = &seed
	}
	def := run(t, sc, sc.Config().Policy)
	keda := run(t, sc, "hpa-keda")
	maxLat, maxPods := max(ex.latency, 1), max(ex.pods, 1.02)
	lat, pods, _ := Goal(def, keda)
	if lat > maxLat || pods > maxPods || def.Reversals > keda.Reversals+ex.extraReversals || def.Unprocessed != 0 {
		t.Errorf("%s vs hpa-keda, worse than the known shortfall (%s): latency ratio %.3f (<= %.2f), pod-seconds ratio %.3f (<= %.2f), reversals %d vs %d (+%d allowed), unprocessed %d",
			def.Policy, ex.why, lat, maxLat, pods, maxPods, def.Reversals, keda.Reversals, ex.extraReversals, def.Unprocessed)
	}
}

// checkGoal runs sc (with seed, unless 0) under the default policy and
// hpa-keda and fails t unless the per-scenario goal holds.
func checkGoal(t *testing.T, sc Scenario, seed uint64) {
	t.Helper()
	if seed != 0 {
		sc.Seed = &seed
	}
	def := run(t, sc, sc.Config().Policy)
	keda := run(t, sc, "hpa-keda")
	if lat, pods, ok := Goal(def, keda); !ok {
		t.Errorf("%s vs hpa-keda: latency ratio %.3f (<= 1), pod-seconds ratio %.3f (<= 1.02), reversals %d vs %d, unprocessed %d",
			def.Policy, lat, pods, def.Reversals, keda.Reversals, def.Unprocessed)
	}
}

// TestPatternsLoad keeps the extra load patterns valid. testdata/patterns
// holds shapes beyond the shared files, used to check that the default
// policy generalises (yeetscale sim --compare --seed N ...): bursts every
// five minutes, heavy steady load with a burst, slow workers with
// concurrency 4, a 30 s poll with 10 s statistics, a 90 s start-up, rate
// steps, a small target, a sine wave, a square wave, two bursts a minute
// apart, a burst capped by max replicas, a 5 s poll, bursts of concurrent
// workers, a late burst, a fast 30/s load, and shapes of the same kinds
// kept out of the policy's design and checked after it (bursts every 3
// and 6 minutes, heavy bursts of 3,000 and 8,000, a 100-minute cycle, a
// 30-minute sine, rate steps, a 10 s poll, slow 2-at-a-time workers and a
// steady 5/s). The policy does not meet every
// goal on all of them for every seed; the issue notes say where.
func TestPatternsLoad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "patterns", "*.json"))
	if err != nil || len(files) < 15 {
		t.Fatalf("patterns: %v, %d files", err, len(files))
	}
	for _, f := range files {
		sc, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if r := run(t, sc, sc.Config().Policy); r.Scenario != sc.Name {
			t.Errorf("%s: ran %q", f, r.Scenario)
		}
	}
}

// TestGoal checks the per-scenario goal's arithmetic on hand-made results.
func TestGoal(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	keda := Result{WaitP95S: 100, BurstDrainS: f(200), PodSeconds: 1000, Reversals: 2}
	tests := []struct {
		name      string
		r         Result
		lat, pods float64
		ok        bool
	}{
		{"better on all", Result{WaitP95S: 80, BurstDrainS: f(150), PodSeconds: 800, Reversals: 2}, 0.8, 0.8, true},
		{"burst drain is the worse latency", Result{WaitP95S: 80, BurstDrainS: f(190), PodSeconds: 800}, 0.95, 0.8, true},
		{"slower burst drain misses", Result{WaitP95S: 80, BurstDrainS: f(201), PodSeconds: 800}, 1.005, 0.8, false},
		{"slower p95 misses", Result{WaitP95S: 101, BurstDrainS: f(150), PodSeconds: 800}, 1.01, 0.8, false},
		{"2% more pod-seconds is allowed", Result{WaitP95S: 80, BurstDrainS: f(150), PodSeconds: 1020}, 0.8, 1.02, true},
		{"more than 2% misses", Result{WaitP95S: 80, BurstDrainS: f(150), PodSeconds: 1021}, 0.8, 1.021, false},
		{"more reversals miss", Result{WaitP95S: 80, BurstDrainS: f(150), PodSeconds: 800, Reversals: 3}, 0.8, 0.8, false},
		{"unprocessed messages miss", Result{WaitP95S: 80, BurstDrainS: f(150), PodSeconds: 800, Unprocessed: 1}, 0.8, 0.8, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lat, pods, ok := Goal(tt.r, keda)
			if math.Abs(lat-tt.lat) > 1e-9 || math.Abs(pods-tt.pods) > 1e-9 || ok != tt.ok {
				t.Errorf("Goal = %.4f, %.4f, %v; want %.4f, %.4f, %v", lat, pods, ok, tt.lat, tt.pods, tt.ok)
			}
		})
	}
	if lat, _, _ := Goal(Result{}, Result{}); lat != 1 {
		t.Errorf("0 against 0: latency ratio %v, want 1", lat)
	}
	if lat, _, ok := Goal(Result{WaitP95S: 1}, Result{}); !math.IsInf(lat, 1) || ok {
		t.Errorf("1 against 0: latency ratio %v ok %v, want +Inf, false", lat, ok)
	}
}
