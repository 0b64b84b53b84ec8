package sim

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"
)

// TestDefaultPolicyGoalsPerScenario guards the default policy's goal on the
// shared scenarios (../shared/scenarios/README.md, issue 7), for the files'
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
	lat := def.WaitP95S / keda.WaitP95S
	if def.BurstDrainS != nil {
		lat = math.Max(lat, *def.BurstDrainS / *keda.BurstDrainS)
	}
	pods := def.PodSeconds / keda.PodSeconds
	if lat > 1 || pods > 1.02 || def.Reversals > keda.Reversals || def.Unprocessed != 0 {
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
