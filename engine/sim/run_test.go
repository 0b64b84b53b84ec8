package sim

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestHPAKedaKeepsItsOwnClock checks that hpa-keda decides every 15 s on
// its own grid (t % 15 == 7) whatever the scenario's poll interval, as the
// HPA's sync period does not follow KEDA's polling: the decision times are
// exactly that grid, and the run is the same at every poll interval (the
// broker refreshes every 5 s; the HPA reads its latest refresh). At a 10 s
// poll the old model decided every 20 s (burst drain 231.5 s, p95 216 s,
// 24,780 pod-seconds, 12 scale events on this scenario).
func TestHPAKedaKeepsItsOwnClock(t *testing.T) {
	sc, err := Load(filepath.Join("testdata", "patterns", "twoburst10.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := Result{BurstDrainS: ptr(230), WaitP95S: 215, PodSeconds: 24885, ScaleEvents: 15, Reversals: 1}
	for _, poll := range []int{5, 10, 15, 30} {
		cfg := sc.Config()
		cfg.Policy = "hpa-keda"
		cfg.PollInterval = time.Duration(poll) * time.Second
		var at []int
		r, err := Run(context.Background(), sc, cfg, Options{Decisions: func(t int, _ engine.Decision) { at = append(at, t) }})
		if err != nil {
			t.Fatal(err)
		}
		if n := (sc.DurationS - 7 + 14) / 15; len(at) != n {
			t.Errorf("poll %d s: %d decisions, want %d (every 15 s)", poll, len(at), n)
		}
		for i, s := range at {
			if s != 7+15*i {
				t.Errorf("poll %d s: decision %d at t=%d, want t=%d (t %% 15 == 7)", poll, i, s, 7+15*i)
				break
			}
		}
		if *r.BurstDrainS != *want.BurstDrainS || r.WaitP95S != want.WaitP95S || r.PodSeconds != want.PodSeconds ||
			r.ScaleEvents != want.ScaleEvents || r.Reversals != want.Reversals || r.Unprocessed != 0 {
			t.Errorf("poll %d s: burst drain %v, p95 %v, pod-seconds %v, %d scale events, %d reversals, %d unprocessed; want %v, %v, %v, %d, %d, 0",
				poll, *r.BurstDrainS, r.WaitP95S, r.PodSeconds, r.ScaleEvents, r.Reversals, r.Unprocessed,
				*want.BurstDrainS, want.WaitP95S, want.PodSeconds, want.ScaleEvents, want.Reversals)
		}
	}
}

func ptr(f float64) *float64 { return &f }
