package sim

import (
	"context"
	"testing"
)

// TestSyncPhase checks that Options.SyncPhaseS moves an HPA model's
// decisions (the real HPA's phase relative to the load), and that unset it
// stays at 7, 22, 37, ...
func TestSyncPhase(t *testing.T) {
	sc, err := Parse([]byte(`{"name": "burst", "duration_s": 60, "service_time_s": 0.08, "pod_startup_s": 5, "initial_replicas": 2,
		"arrivals": [{"at_s": 0, "count": 10000}],
		"policy": {"min_replicas": 2, "max_replicas": 40, "target_messages": 250}}`))
	if err != nil {
		t.Fatal(err)
	}
	at := func(n int) *int { return &n }
	for _, tc := range []struct {
		name  string
		phase *int
		want  []int
	}{
		{"default", nil, []int{7, 22, 37, 52}},
		{"14", at(14), []int{14, 29, 44, 59}},
		{"29 is 14 on the grid", at(29), []int{14, 29, 44, 59}},
		{"0", at(0), []int{15, 30, 45}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := sc.Config()
			cfg.Policy = "hpa-keda-default"
			var got []int
			_, err := Run(context.Background(), sc, cfg, Options{SyncPhaseS: tc.phase, Changes: func(c Change) { got = append(got, c.T) }})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) < len(tc.want) {
				t.Fatalf("changes at %v, want them at %v", got, tc.want)
			}
			for i, w := range tc.want {
				if got[i] != w {
					t.Errorf("changes at %v, want them at %v", got, tc.want)
					break
				}
			}
		})
	}
}
