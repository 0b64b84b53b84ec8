package sim

import (
	"context"
	"fmt"
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

// TestHPAKedaDefaultDoublesPerSync checks the model of a plain ScaledObject
// (issue 17): its HPA takes the legacy path, at most max(2 x current, 4)
// per 15 s sync, so the guide's burst scales 2 -> 4 -> 8 -> 16 -> 32 -> 40,
// where hpa-keda (default behaviour) goes 2 -> 6 -> 12 -> 24 -> 40.
func TestHPAKedaDefaultDoublesPerSync(t *testing.T) {
	sc, err := Parse([]byte(`{"name": "burst-10k", "duration_s": 600, "service_time_s": 1.5, "pod_startup_s": 20, "initial_replicas": 2,
		"arrivals": [{"at_s": 0, "count": 10000}],
		"policy": {"min_replicas": 2, "max_replicas": 40, "target_messages": 250, "poll_interval_s": 10}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		policy string
		want   []Change
	}{
		{"hpa-keda-default", []Change{{T: 7, From: 2, To: 4}, {T: 22, From: 4, To: 8}, {T: 37, From: 8, To: 16}, {T: 52, From: 16, To: 32}, {T: 67, From: 32, To: 40}}},
		{"hpa-keda", []Change{{T: 7, From: 2, To: 6}, {T: 22, From: 6, To: 12}, {T: 37, From: 12, To: 24}, {T: 52, From: 24, To: 40}}},
	} {
		cfg := sc.Config()
		cfg.Policy = tc.policy
		var ups []Change
		if _, err := Run(context.Background(), sc, cfg, Options{Changes: func(c Change) {
			if c.To > c.From {
				c.Reason = ""
				ups = append(ups, c)
			}
		}}); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ups) != fmt.Sprint(tc.want) {
			t.Errorf("%s scaled up %v, want %v", tc.policy, ups, tc.want)
		}
	}
}
