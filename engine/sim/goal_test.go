package sim

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"
)

// TestDefaultPolicyGoalsPerScenario guards the default policy's goal on the
// shared scenarios (scenarios/README.md, issue 7), for the files'
// seeds and two others: against hpa-keda in the same world, latency (burst
// drain when there are bursts, and p95 wait) no worse, pod-seconds at most
// 2% above, reversals no more, nothing unprocessed.
func TestDefaultPolicyGoalsPerScenario(t *testing.T) {
	for _, name := range []string{"burst-10k", "ramp", "spike-train", "steady-noisy", "trickle-after-burst"} {
		for _, seed := range []uint64{0, 11, 12} { // 0: the file's own seed
			t.Run(fmt.Sprintf("%s/seed-%d", name, seed), func(t *testing.T) {
				checkGoal(t, load(t, name), seed)
			})
		}
	}
}

// TestDefaultPolicyGoalsOnPatterns guards the same goal on the extra load
// patterns where it holds for (nearly) every seed of 1 to 20: sine misses
// on reversals on seed 17. The others (every5, fast, heavyburst, square and
// step) miss on reversals or by a few percent on some seeds; the issue notes
// say where. Among them: bursts of slow concurrent
// workers with one quiet worker in between, where a throughput check on too
// few messages in flight once made a burst drain 48% slower (seed 5).
func TestDefaultPolicyGoalsOnPatterns(t *testing.T) {
	for _, name := range []string{"capped", "conc2bursts", "doubleburst", "lateburst", "poll5", "sine", "slow", "slowpoll", "startup90", "target20"} {
		for _, seed := range []uint64{1, 5, 8} {
			t.Run(fmt.Sprintf("%s/seed-%d", name, seed), func(t *testing.T) {
				sc, err := Load(filepath.Join("testdata", "patterns", name+".json"))
				if err != nil {
					t.Fatal(err)
				}
				checkGoal(t, sc, seed)
			})
		}
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
// workers, a late burst and a fast 30/s load. The policy does not meet every
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
