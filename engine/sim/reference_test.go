package sim

import (
	"context"
	"math"
	"testing"
)

// scenarioDir holds the built-in scenarios' files (embedded in the binary).
const scenarioDir = "scenarios"

// load returns the built-in scenario called name, as the binary embeds it.
func load(t testing.TB, name string) Scenario {
	t.Helper()
	sc, ok := Builtin(name)
	if !ok {
		t.Fatalf("no built-in scenario %q (have %v)", name, BuiltinNames())
	}
	return sc
}

func run(t testing.TB, sc Scenario, policy string) Result {
	t.Helper()
	cfg := sc.Config()
	cfg.Policy = policy
	r, err := Run(context.Background(), sc, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReferenceBurstExact checks the deterministic burst-10k scenario against
// the reference figures of scenarios/README.md, to the letter.
func TestReferenceBurstExact(t *testing.T) {
	sc := load(t, "burst-10k")
	tests := []struct {
		policy                 string
		drain, burstDrain, p95 float64
		podSeconds             float64
		scaleEvents, reversals int
	}{
		{"seed", 1405.5, 1405.5, 1038.0, 20149.0, 35, 1},
		{"hpa-keda", 438.0, 438.0, 414.0, 26104.0, 27, 1},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			r := run(t, sc, tt.policy)
			if r.BurstDrainS == nil {
				t.Fatal("burst_drain_s is null on a scenario with a burst")
			}
			got := []float64{r.DrainS, *r.BurstDrainS, r.WaitP95S, r.PodSeconds, float64(r.ScaleEvents), float64(r.Reversals), float64(r.Unprocessed)}
			want := []float64{tt.drain, tt.burstDrain, tt.p95, tt.podSeconds, float64(tt.scaleEvents), float64(tt.reversals), 0}
			names := []string{"drain_s", "burst_drain_s", "wait_p95_s", "pod_seconds", "scale_events", "reversals", "unprocessed"}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s = %v, want %v", names[i], got[i], want[i])
				}
			}
		})
	}
}

// TestReferenceSteadyNoisyWithin3Percent checks the random scenario: another
// random number generator agrees only within a few percent.
func TestReferenceSteadyNoisyWithin3Percent(t *testing.T) {
	sc := load(t, "steady-noisy")
	tests := []struct {
		policy                 string
		drain, p95, podSeconds float64
	}{
		{"seed", 3786.0, 76.3, 33466.9},
		{"hpa-keda", 3676.3, 78.9, 35451.3},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			r := run(t, sc, tt.policy)
			if r.BurstDrainS != nil {
				t.Errorf("burst_drain_s = %v, want null without bursts", *r.BurstDrainS)
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"drain_s", r.DrainS, tt.drain}, {"wait_p95_s", r.WaitP95S, tt.p95}, {"pod_seconds", r.PodSeconds, tt.podSeconds}} {
				if d := math.Abs(c.got/c.want - 1); d > 0.03 {
					t.Errorf("%s = %v, want %v within 3%% (off by %.1f%%)", c.name, c.got, c.want, d*100)
				}
			}
			if r.Unprocessed != 0 {
				t.Errorf("unprocessed = %d, want 0", r.Unprocessed)
			}
		})
	}
}
