package sim

import (
	"path/filepath"
	"testing"
)

// TestDefaultPolicyFlapsLessOverSeeds guards the claim behind the
// goalExceptions whose extra reversals are noise: on those loads (a steady
// or slowly changing rate at the edge between two sizes) a worker removed
// on a low arrival reading and added back costs the default policy a
// reversal or two more than hpa-keda on a few seeds, but summed over seeds
// 1-20 it reverses far less than hpa-keda (measured 0.59-0.86 of its
// reversals). It fails when the sum exceeds the exception's flaps ratio:
// then the policy flaps more, not just on unlucky seeds.
func TestDefaultPolicyFlapsLessOverSeeds(t *testing.T) {
	checked := 0
	for name, ex := range goalExceptions {
		if ex.flaps == 0 {
			continue
		}
		checked++
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc, ok := Builtin(name)
			if !ok {
				var err error
				if sc, err = Load(filepath.Join("testdata", "patterns", name+".json")); err != nil {
					t.Fatal(err)
				}
			}
			var def, keda int
			for seed := uint64(1); seed <= 20; seed++ {
				sc.Seed = &seed
				def += run(t, sc, sc.Config().Policy).Reversals
				keda += run(t, sc, "hpa-keda").Reversals
			}
			if keda == 0 || float64(def) > ex.flaps*float64(keda) {
				t.Errorf("reversals over seeds 1-20: default policy %d, hpa-keda %d (ratio above %.2f): it flaps more than on a few unlucky seeds (%s)",
					def, keda, ex.flaps, ex.why)
			}
		})
	}
	if checked < 6 {
		t.Errorf("%d goalExceptions have a flaps ratio, want the 6 noise ones at least", checked)
	}
}
