package sim

import "math"

// Goal compares a policy's result with hpa-keda's on one scenario (the goal
// of issue 7 and scenarios/README.md): the latency ratio (burst drain when
// there are bursts, and p95 wait: the worse of the two), the pod-seconds
// ratio, and whether the per-scenario goal holds (latency no worse,
// pod-seconds at most 2% above, reversals no more, nothing unprocessed).
func Goal(r, keda Result) (lat, pods float64, ok bool) {
	lat = ratio(r.WaitP95S, keda.WaitP95S)
	if r.BurstDrainS != nil && keda.BurstDrainS != nil {
		lat = math.Max(lat, ratio(*r.BurstDrainS, *keda.BurstDrainS))
	}
	pods = ratio(r.PodSeconds, keda.PodSeconds)
	ok = lat <= 1 && pods <= 1.02 && r.Reversals <= keda.Reversals && r.Unprocessed == 0
	return lat, pods, ok
}

// ratio is a/b, with 0/0 = 1 and a/0 = +Inf.
func ratio(a, b float64) float64 {
	if b == 0 {
		if a == 0 {
			return 1
		}
		return math.Inf(1)
	}
	return a / b
}
