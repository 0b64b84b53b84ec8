package sim

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// sweepPolicies are the policies the sweep compares: the two references and
// the default.
func sweepPolicies() []string {
	ps := []string{"seed", "hpa-keda"}
	if engine.DefaultPolicyName != "seed" && engine.DefaultPolicyName != "hpa-keda" {
		ps = append(ps, engine.DefaultPolicyName)
	}
	return ps
}

func loadAll(tb testing.TB) []Scenario {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(scenarioDir, "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no shared scenarios in %s: %v", scenarioDir, err)
	}
	var scs []Scenario
	for _, f := range files {
		sc, err := Load(f)
		if err != nil {
			tb.Fatal(err)
		}
		scs = append(scs, sc)
	}
	return scs
}

// sweep simulates every scenario under every policy once.
func sweep(tb testing.TB, scs []Scenario) int {
	n := 0
	for _, sc := range scs {
		for _, p := range sweepPolicies() {
			cfg := sc.Config()
			cfg.Policy = p
			if _, err := Run(context.Background(), sc, cfg, Options{}); err != nil {
				tb.Fatalf("%s/%s: %v", sc.Name, p, err)
			}
			n++
		}
	}
	return n
}

// BenchmarkSimAllScenarios simulates every shared scenario under seed,
// hpa-keda and the default policy; one op is one full sweep (goal: < 1 s).
func BenchmarkSimAllScenarios(b *testing.B) {
	scs := loadAll(b)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	runs := 0
	for i := 0; i < b.N; i++ {
		runs = sweep(b, scs)
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/sweep")
	b.ReportMetric(float64(runs), "runs/sweep")
}

// TestSweepRuns keeps the benchmark's sweep working under go test.
func TestSweepRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("a full sweep")
	}
	scs := loadAll(t)
	if n := sweep(t, scs); n != len(scs)*len(sweepPolicies()) || len(sweepPolicies()) != 3 {
		t.Errorf("%d runs over %v, want %d scenarios x seed, hpa-keda and the default", n, sweepPolicies(), len(scs))
	}
}
