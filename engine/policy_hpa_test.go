package engine_test

import (
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestHPAKedaDefaultPolicy covers the legacy path of an HPA without
// spec.behavior (kube-controller-manager v1.37 horizontal.go:
// stabilizeRecommendation, convertDesiredReplicasWithRules): the highest
// recommendation of the last 300 s wins in both directions, then the step
// is at most max(2 x current, 4).
func TestHPAKedaDefaultPolicy(t *testing.T) {
	base := engine.DefaultConfig()
	base.MinReplicas, base.MaxReplicas, base.TargetMessages = 2, 40, 250
	base.Tolerance, base.ScaleDownWindow = 0.5, time.Hour // the HPA's own rules apply
	runPolicyCases(t, "hpa-keda-default", base, []policyCase{
		{name: "doubles", cur: 2, stats: msgs(10000), want: 4, wantRec: rec(40), reason: []string{"scale-up limited to 4 this sync"}},
		{name: "doubles from 16", cur: 16, stats: msgs(10000), want: 32},
		{name: "up to the recommendation", cur: 10, stats: msgs(4000), want: 16, reason: []string{"scaling up"}, noReason: []string{"limited", "highest"}},
		// The real HPA went 16 -> 32 -> 40 on the bench's burst after the
		// queue had drained: the burst's recommendation of 40 was still in
		// the window.
		{name: "queue drained, the window's 40 still pulls up", cur: 16, stats: msgs(0),
			hist: []engine.Observation{ago(45, 40), ago(30, 36), ago(15, 27)}, want: 32, wantRec: rec(0),
			reason: []string{"scale-up limited to 32 this sync (towards 40, the highest recommendation of the last 5m0s)"}},
		{name: "queue drained, 32 -> 40", cur: 32, stats: msgs(0), hist: []engine.Observation{ago(60, 40), ago(15, 9)}, want: 40},
		{name: "a recommendation older than 300 s no longer counts", cur: 16, stats: msgs(0), hist: []engine.Observation{ago(300, 40)}, want: 2},
		{name: "scale-down stabilized by the window", cur: 20, stats: msgs(250), hist: []engine.Observation{ago(299, 15)}, want: 15},
		{name: "within tolerance holds", cur: 10, stats: msgs(2700), want: 10, wantRec: rec(10)},
		{name: "holds between syncs", cur: 5, stats: msgs(10000), hist: []engine.Observation{ago(5, 40)}, want: 5, wantRec: rec(-1)},
	})
}
