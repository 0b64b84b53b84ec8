package engine

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Adaptive is yeetscale's default policy. It keeps the guide's meaning of
// --target-messages for adding replicas (about that many queued messages per
// replica adds replicas, at once and without rate limits), but it removes
// replicas only when they would go idle: it learns the per-worker
// throughput from the broker's ack rate while workers are saturated (checked
// against Little's law while they are not) and the arrival rate from the
// publish rate, and keeps every worker that the backlog and the arrivals
// will keep busy until the next poll. While rates are unknown it behaves
// like Proportional.
type Adaptive struct{}

// Constants of the adaptive policy: one set for every load pattern.
const (
	// adaptiveSamples is how many recent samples the estimates use (the
	// median, so that one burst or one stale sample does not swing them).
	adaptiveSamples = 16
	// adaptiveEvidence is how many consumer-intervals of saturated work
	// make the throughput estimate trusted.
	adaptiveEvidence = 6
	// littleSamples is how many unsaturated samples the Little's-law check
	// of the throughput estimate pools, and littleFactor how far the two
	// may disagree before the check wins.
	littleSamples = 12
	littleFactor  = 2.0
	// littleTrustBelow is the evidence (consumer-intervals of saturated
	// work) from which the saturated estimate is trusted over the check: a
	// consumer prefetch above its concurrency inflates the check's slots.
	littleTrustBelow = 4 * adaptiveEvidence
	// adaptiveMemory is how far back throughput samples are remembered.
	adaptiveMemory = 30 * time.Minute
	// adaptiveHeadroom is the spare capacity kept above the arrival rate.
	adaptiveHeadroom = 0.10
	// adaptiveUpHeadroom is the spare capacity a scale-up sizes for.
	adaptiveUpHeadroom = 0.20
	// maxPlausibleRate bounds a per-second rate; beyond it a sample is
	// taken for a counter reset or garbage.
	maxPlausibleRate = 1e7
)

// Name implements Policy.
func (Adaptive) Name() string { return "adaptive" }

// Describe implements Policy.
func (Adaptive) Describe() string {
	return "adds replicas at once when messages exceed the target per replica; removes them only when they would go idle (learned throughput)"
}

// Estimates are what the adaptive policy learned from the broker's
// statistics.
type Estimates struct {
	// Arrival is the publish rate (messages/s), the median of the last
	// three samples, so that one burst does not count as a rate;
	// ArrivalKnown is false before the broker reports one.
	Arrival      float64
	ArrivalKnown bool
	// PerWorker is the throughput of one consumer while saturated
	// (messages/s); PerWorkerKnown is false until workers were seen busy.
	PerWorker      float64
	PerWorkerKnown bool
}

// Estimate learns the arrival rate and the per-worker throughput from the
// input's history and current statistics. Samples with unknown, negative,
// NaN or absurd rates are ignored (a counter reset shows up as one).
//
// Throughput is pooled (acks and deliveries / consumers, summed: both count
// the work done while every worker is busy) over recent samples taken while
// the workers were saturated (at least as many ready messages as consumers,
// plus a second of arrivals) at that sample and the one before, with the
// same number of consumers (so that pods that just started do not dilute
// it). It is known once samples cover adaptiveEvidence consumer-intervals.
//
// A few saturated samples from one or two workers can be far off (a slow
// message or two), and once the workers are no longer saturated nothing
// would correct them. So the estimate is checked against Little's law on the
// unsaturated samples: a worker holds about slots messages while saturated
// (unacked / consumers then), and a message stays unacked for unacked / acks
// seconds, so a worker completes slots * acks / unacked messages a second.
// When that disagrees with the saturated estimate by more than
// littleFactor, on littleSamples samples with at least one message in flight
// each on average (fewer are too noisy to judge by), it replaces it; but
// only while the saturated estimate rests on little evidence (under
// littleTrustBelow consumer-intervals). Slots are what a consumer holds,
// which is its prefetch: with a prefetch above the worker's concurrency the
// check overstates throughput, so plenty of saturated evidence wins.
func Estimate(in Input) Estimates {
	var arrivals, acks, consumers, slots []float64 // saturated samples
	var idleAcks, idleUnacked []float64            // stable, unsaturated samples
	var prev *QueueStats
	consider := func(s QueueStats) {
		// Saturated: more ready than one per consumer plus a second of
		// arrivals (messages that just arrived and were not yet picked up
		// prove nothing).
		saturated := func(s *QueueStats) bool {
			if s == nil || s.Consumers <= 0 {
				return false
			}
			fresh := 0.0
			if plausible(s.PublishRate) {
				fresh = s.PublishRate.PerSecond
			}
			return float64(s.Ready) >= float64(s.Consumers)+fresh
		}
		if plausible(s.PublishRate) {
			arrivals = append(arrivals, s.PublishRate.PerSecond)
		}
		stable := prev != nil && prev.Consumers == s.Consumers && s.Consumers > 0 && plausible(s.AckRate)
		switch {
		case stable && saturated(&s) && saturated(prev):
			acks = append(acks, s.AckRate.PerSecond)
			consumers = append(consumers, float64(s.Consumers))
			if plausible(s.DeliverRate) {
				acks = append(acks, s.DeliverRate.PerSecond)
				consumers = append(consumers, float64(s.Consumers))
			}
			if s.Unacked > 0 {
				slots = append(slots, float64(s.Unacked)/float64(s.Consumers))
			}
		case stable && s.Unacked >= 0:
			idleAcks = append(idleAcks, s.AckRate.PerSecond)
			idleUnacked = append(idleUnacked, float64(s.Unacked))
		}
		prev = &s
	}
	for _, o := range in.History {
		if !o.OK || in.Now.Sub(o.At) > adaptiveMemory {
			prev = nil
			continue
		}
		consider(o.Stats)
	}
	consider(in.Stats)
	var e Estimates
	if len(arrivals) > 0 {
		e.Arrival, e.ArrivalKnown = median(lastN(arrivals, 3)), true
	}
	a, c := sum(lastN(acks, adaptiveSamples)), sum(lastN(consumers, adaptiveSamples))
	if c < adaptiveEvidence || a <= 0 {
		return e
	}
	e.PerWorker, e.PerWorkerKnown = a/c, true
	if len(idleAcks) >= littleSamples && len(slots) > 0 && c < littleTrustBelow {
		la, lu := sum(lastN(idleAcks, littleSamples)), sum(lastN(idleUnacked, littleSamples))
		if la > 0 && lu >= littleSamples { // at least one in flight a sample
			little := median(lastN(slots, adaptiveSamples)) * la / lu
			if little > littleFactor*e.PerWorker || little < e.PerWorker/littleFactor {
				e.PerWorker = little
			}
		}
	}
	return e
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

func plausible(r Rate) bool {
	return r.Known && r.PerSecond >= 0 && r.PerSecond < maxPlausibleRate && !math.IsNaN(r.PerSecond)
}

func lastN(xs []float64, n int) []float64 {
	if len(xs) > n {
		return xs[len(xs)-n:]
	}
	return xs
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Decide implements Policy. It sizes first and clamps after (clampAfter).
func (a Adaptive) Decide(in Input) Decision {
	depth := in.Config.Depth(in.Stats)
	base := fmt.Sprintf("%s / %s per replica = %s", messages(depth), Thousands(in.Config.TargetMessages), replicas(ceilDiv(depth, in.Config.TargetMessages)))
	return clampAfter(in, a.size(in, base), base)
}

// size is the adaptive decision from the current size, before the clamp;
// base is the reason's opening (messages / target = replicas).
func (Adaptive) size(in Input, base string) Decision {
	c := in.Config
	cur := in.Current
	depth := c.Depth(in.Stats)
	up := ceilDiv(depth, c.TargetMessages)
	e := Estimate(in)
	known := e.ArrivalKnown && e.PerWorkerKnown && e.PerWorker > 0
	// keepUp is the replicas that serve the arrivals with headroom: when
	// the target says to add replicas, add at least that many, with more
	// headroom, since arrivals outgrew the workers.
	keepUp := int32(0)
	if known {
		keepUp = ceilF(e.Arrival * (1 + adaptiveUpHeadroom) / e.PerWorker)
	}

	// Drain-within: size for the arrivals plus clearing the backlog in time.
	if c.DrainWithin > 0 && known {
		need := ceilF((e.Arrival*(1+adaptiveHeadroom) + float64(depth)/c.DrainWithin.Seconds()) / e.PerWorker)
		if need > cur {
			return capUp(c, cur, need, fmt.Sprintf("%s; to drain them within %s at %s per worker with %s arriving needs %s",
				messages(depth), c.DrainWithin, rate(e.PerWorker, 2), rate(e.Arrival, 1), replicas(need)))
		}
	}

	// Adding replicas: the guide's trigger, sized at least for the arrivals.
	if up > cur {
		if !withinTolerance(depth, c.TargetMessages, cur, c.Tolerance) {
			want := max(up, keepUp)
			why := base + "; scaling up"
			if want > up {
				why = fmt.Sprintf("%s; scaling up to %s to keep up with %s arriving", base, replicas(want), rate(e.Arrival, 1))
			}
			return capUp(c, cur, want, why)
		}
		return Decision{Desired: cur, Recommendation: cur,
			Reason: fmt.Sprintf("%s; within %s tolerance of %s", base, percent(c.Tolerance), replicas(cur))}
	}
	if !known {
		// Nothing learned yet: the proportional rule with its window.
		return stepTowards(in, up, base+" (throughput not learned yet)")
	}

	// Removing replicas: keep every worker that the waiting messages and the
	// arrivals keep busy until the next poll.
	waiting := float64(in.Stats.Ready)
	horizon := c.PollInterval.Seconds()
	busy := ceilF((e.Arrival*(1+adaptiveHeadroom) + waiting/horizon) / e.PerWorker)
	want := c.Clamp(max(busy, up))
	if want >= cur && max(busy, up) < cur {
		return Decision{Desired: cur, Recommendation: want,
			Reason: fmt.Sprintf("%s; at --min-replicas %s: %s waiting and %s arriving need no more",
				base, replicas(c.MinReplicas), Thousands(in.Stats.Ready), rate(e.Arrival, 1))}
	}
	if want >= cur {
		why := fmt.Sprintf("%s waiting and %s arriving keep %s workers busy at %s each", Thousands(in.Stats.Ready), rate(e.Arrival, 1), replicas(busy), rate(e.PerWorker, 2))
		if busy > cur {
			why = fmt.Sprintf("%s waiting and %s arriving keep all of them busy past the next poll at %s each", Thousands(in.Stats.Ready), rate(e.Arrival, 1), rate(e.PerWorker, 2))
		}
		return Decision{Desired: cur, Recommendation: want, Reason: fmt.Sprintf("%s; holding %s: %s", base, replicas(cur), why)}
	}
	if hold, peak := burstHold(in); hold && peak > want {
		// The load comes in bursts: keep what the last burst needed through
		// the scale-down window rather than flap between bursts.
		keep := min(peak, cur)
		return Decision{Desired: keep, Recommendation: want, Bursty: true,
			Reason: fmt.Sprintf("%s; holding %s: the load comes in bursts (one within %s needed %s)",
				base, replicas(keep), c.ScaleDownWindow, replicas(peak))}
	}
	if c.MaxStepDown > 0 && want < cur-c.MaxStepDown {
		want = cur - c.MaxStepDown
	}
	return Decision{Desired: want, Recommendation: want,
		Reason: fmt.Sprintf("%s; scaling down to %s: %s waiting and %s arriving keep only %s workers busy at %s each",
			base, replicas(want), Thousands(in.Stats.Ready), rate(e.Arrival, 1), replicas(busy), rate(e.PerWorker, 2))}
}

// capUp applies the step cap and the clamp to a scale-up.
func capUp(c Config, cur, want int32, why string) Decision {
	raw := want
	if c.MaxStepUp > 0 && want > cur+c.MaxStepUp {
		want = cur + c.MaxStepUp
		why += fmt.Sprintf("; capped at +%s per step", replicas(c.MaxStepUp))
	}
	clamped := c.Clamp(want)
	return Decision{Desired: clamped, Recommendation: raw, Reason: why + clampNote(c, want, clamped)}
}

func ceilF(f float64) int32 {
	if math.IsNaN(f) || f <= 0 {
		return 0
	}
	if f >= math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(math.Ceil(f - 1e-9))
}

// replicas formats a replica count with thousands separators.
func replicas(n int32) string { return Thousands(int64(n)) }

// rate formats a per-second rate with the given decimals and thousands
// separators: 12345.67 -> "12,345.7/s".
func rate(f float64, decimals int) string {
	s := strconv.FormatFloat(math.Abs(f), 'f', decimals, 64)
	whole, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return s + "/s"
	}
	out := Thousands(n)
	if frac != "" {
		out += "." + frac
	}
	if f < 0 {
		out = "-" + out
	}
	return out + "/s"
}

// burstHold reports whether the load comes in bursts, and the most replicas
// the target asked for within the scale-down window (the peak to hold).
//
// Load counts as bursty once the latest scale-up brought back workers that
// were removed within the window before it (a bounce: at least half of what
// it added had been removed, in the last three windows), and it stays
// bursty while a decision within the window was bursty and a burst (the
// target asking for at least the replicas there were) happened within the
// window. A single burst never makes load bursty,
// so it is drained without holding idle workers.
func burstHold(in Input) (bool, int32) {
	w := in.Config.ScaleDownWindow
	if w <= 0 || len(in.History) == 0 {
		return false, 0
	}
	var peak int32
	burst, wasBursty := false, false
	// The latest scale-up (at lastUp, adding added replicas) and the
	// replicas removed within the window before it.
	var lastUp time.Time
	var added, removed int32
	for i := len(in.History) - 1; i >= 0; i-- {
		o := in.History[i]
		age := in.Now.Sub(o.At)
		if age > 3*w {
			break
		}
		if age <= w && o.Decision.Bursty {
			wasBursty = true
		}
		if o.OK && age <= w {
			up := in.Config.Clamp(ceilDiv(in.Config.Depth(o.Stats), in.Config.TargetMessages))
			peak = max(peak, up)
			if up >= o.Scale.Desired && up > in.Config.MinReplicas {
				burst = true
			}
		}
		switch {
		case o.Applied > o.Scale.Desired && lastUp.IsZero():
			lastUp, added = o.At, o.Applied-o.Scale.Desired
		case o.Applied < o.Scale.Desired && !lastUp.IsZero() && lastUp.Sub(o.At) <= w:
			removed += o.Scale.Desired - o.Applied
		}
	}
	// A bounce: at least half of what the scale-up added had been removed
	// within the window before it. A replica trimmed late before a big
	// burst is not a burst pattern.
	bounce := removed > 1 && 2*removed >= added
	return bounce || (wasBursty && burst), peak
}
