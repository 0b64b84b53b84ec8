package engine

import (
	"fmt"
	"math"
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
// publish rate, adds replicas to keep up with the arrivals once the backlog
// nears the target, and keeps every worker that the backlog and the
// arrivals will keep busy until the next poll. While rates are unknown it
// behaves like Proportional.
type Adaptive struct{}

// Constants of the adaptive policy: one set for every load pattern.
const (
	// adaptiveSamples is how many recent saturated samples the throughput
	// estimate pools (an ack and a deliver rate each count as one). 16 (8
	// polls) read one worker's throughput within about 10% (one standard
	// deviation, over the simulator's patterns), and 10% is a replica in
	// ten: a replica removed or added on that noise was added or removed
	// again. 64 read it within 6-8%.
	adaptiveSamples = 64
	// arrivalSamples is how many recent publish-rate samples the arrival
	// estimate is the median of (five: one 5 s sample of a low rate is
	// noise, and two bursts within them still do not count as a rate).
	arrivalSamples = 5
	// arrivalCount is about how many messages the arrival samples of a
	// scale-down should hold (more samples at a low rate, up to
	// maxArrivalSamples), and rateSampleSeconds the time one rate sample
	// covers (RabbitMQ's default statistics interval).
	arrivalCount      = 50
	maxArrivalSamples = 12
	rateSampleSeconds = 5
	arrivalSpan       = time.Minute
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
	// Below it the estimate is thin: a scale-up sized from the learned
	// throughput then at most multiplies what the target (or the current
	// size) asks by thinGrowth, as the HPA at most doubles a step: a few
	// slow messages from one or two workers read as a third of the real
	// throughput, and sized a burst 3 -> 35 where 13 served it.
	littleTrustBelow = 4 * adaptiveEvidence
	thinGrowth       = 2
	// adaptiveMemory is how far back throughput samples are remembered.
	adaptiveMemory = 30 * time.Minute
	// drainHeadroom is the spare capacity over the arrivals that
	// --drain-within sizes for.
	drainHeadroom = 0.10
	// keepUpBacklog is the share of the target per replica from which
	// arrivals that outgrow busy workers add replicas (sized to the
	// arrivals, before the backlog reaches the target). Replicas are
	// removed down to what the arrivals and the waiting messages keep busy,
	// with no spare capacity: the target is the backlog the operator
	// accepts, so a little queue is not a reason to keep idle pods.
	keepUpBacklog = 0.7
	// keepUpStep and keepUpMinStep bound what one keep-up adds (below the
	// target's trigger): at most keepUpStep of the current replicas, and at
	// least keepUpMinStep. The backlog is still below the target, so the
	// next poll adds more if it keeps growing; sized at once from one noisy
	// arrival reading (the median of five 5 s samples), a keep-up added
	// replicas that the backlog then did not need, and removing them was
	// a reversal. The target's trigger still adds all it asks at once.
	keepUpStep    = 0.10
	keepUpMinStep = 2
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
	keepUp, thin := thinCap(e, keepUp, max(up, cur))

	// Drain-within: size for the arrivals plus clearing the backlog in time.
	if c.DrainWithin > 0 && known {
		need := ceilF((e.Arrival*(1+drainHeadroom) + float64(depth)/c.DrainWithin.Seconds()) / e.PerWorker)
		if need > cur {
			return capUp(c, cur, need, fmt.Sprintf("%s; to drain them within %s at %s per worker with %s arriving needs %s",
				messages(depth), c.DrainWithin, rate(e.PerWorker, 2), rate(e.Arrival, 1), replicas(need))+e.from())
		}
	}

	// Adding replicas: the guide's trigger, sized at least for the arrivals.
	if up > cur {
		if !withinTolerance(depth, c.TargetMessages, cur, c.Tolerance) {
			want := max(up, keepUp)
			why := base + "; scaling up"
			if want > up {
				why = fmt.Sprintf("%s; scaling up to %s to keep up with %s arriving%s%s", base, replicas(want), rate(e.Arrival, 1), thin, e.from())
			}
			return capUp(c, cur, want, why)
		}
		return Decision{Desired: cur, Recommendation: cur,
			Reason: fmt.Sprintf("%s; within %s tolerance of %s", base, percent(c.Tolerance), replicas(cur))}
	}
	if !known {
		return unlearned(in, base, up)
	}
	if d, ok := keepingUp(in, e, base); ok {
		return d
	}
	return scaleDown(in, e, base, up)
}

// unlearned is the decision at or below the target while the throughput
// is not learned: the proportional rule with its window. A fresh
// controller (no memory) has no scale-down window yet: it counts the size
// it found as its first recommendation, so that the window holds it, as if
// that size had been decided now.
func unlearned(in Input, base string, up int32) Decision {
	c, cur := in.Config, in.Current
	if len(in.History) == 0 && up < cur && c.ScaleDownWindow > 0 {
		return Decision{Desired: cur, Recommendation: cur,
			Reason: fmt.Sprintf("%s (throughput not learned yet); holding %s: a controller with no history counts the %s replicas it found as a recommendation for the %s scale-down window",
				base, replicas(cur), replicas(cur), c.ScaleDownWindow)}
	}
	return stepTowards(in, up, base+" (throughput not learned yet)")
}

// keepingUp adds replicas when the backlog nears the target and the
// arrivals outgrow the workers: it adds what serves the arrivals now
// rather than let the backlog reach the target (then the target's trigger
// adds more, with headroom). It reports false when there is no such need.
func keepingUp(in Input, e Estimates, base string) (Decision, bool) {
	c, cur := in.Config, in.Current
	keep, thin := thinCap(e, ceilF(e.Arrival/e.PerWorker), cur)
	if keep <= cur || float64(in.Stats.Ready) < keepUpBacklog*float64(c.TargetMessages)*float64(cur) {
		return Decision{}, false
	}
	step := ""
	if limit := keepUpLimit(cur); keep > limit {
		step = fmt.Sprintf(" (%s asked; a keep-up adds at most %s or %s replicas a poll, whichever is more)",
			replicas(keep), percent(keepUpStep), replicas(keepUpMinStep))
		keep = limit
	}
	return capUp(c, cur, keep, fmt.Sprintf("%s; scaling up to %s%s: %s waiting (at least %s of the target for %s replicas) and %s arriving outgrow them at %s each%s%s",
		base, replicas(keep), step, Thousands(in.Stats.Ready), percent(keepUpBacklog), replicas(cur), rate(e.Arrival, 1), rate(e.PerWorker, 2), thin, e.from())), true
}

// keepUpLimit is the most replicas a keep-up from cur may scale to
// (keepUpStep and keepUpMinStep).
func keepUpLimit(cur int32) int32 {
	return int32(min(int64(cur)+int64(max(keepUpMinStep, ceilF(keepUpStep*float64(cur)))), math.MaxInt32))
}

// scaleDown keeps every worker that the waiting messages and the arrivals
// keep busy until the next poll, and removes the rest. One waiting message
// per worker is each worker's next message, not a backlog that needs a
// worker of its own: counting it kept a worker or two more than the
// arrivals need under steady load.
func scaleDown(in Input, e Estimates, base string, up int32) Decision {
	c, cur := in.Config, in.Current
	waiting := float64(in.Stats.Ready)
	horizon := c.PollInterval.Seconds()
	next := min(waiting, float64(cur))
	arr, arriving := e.Arrival, rate(e.Arrival, 1)+" arriving"
	if e.ArrivalLong > arr {
		arr = e.ArrivalLong
		arriving = fmt.Sprintf("%s arriving (the median of %d samples: %d are too few at this rate or poll interval)", rate(arr, 1), e.ArrivalSamples, arrivalSamples)
	}
	need := (arr + (waiting-next)/horizon) / e.PerWorker
	busy := ceilF(need)
	carry, carries := backlogCarries(in, e, need)
	if carries {
		busy--
	}
	wait := Thousands(in.Stats.Ready)
	switch {
	case next > 0 && next == waiting:
		wait += " waiting (each a worker's next message)"
	case next > 0:
		wait = fmt.Sprintf("%s waiting (%s of them the workers' next messages)", wait, Thousands(int64(next)))
	default:
		wait += " waiting"
	}
	want := c.Clamp(max(busy, up))
	if want >= cur && max(busy, up) < cur {
		return Decision{Desired: cur, Recommendation: want,
			Reason: fmt.Sprintf("%s; at --min-replicas %s: %s waiting and %s arriving need no more%s",
				base, replicas(c.MinReplicas), Thousands(in.Stats.Ready), rate(e.Arrival, 1), e.from())}
	}
	if want >= cur {
		why := fmt.Sprintf("%s and %s keep %s workers busy at %s each", wait, arriving, replicas(busy), rate(e.PerWorker, 2))
		if busy > cur {
			why = fmt.Sprintf("%s and %s keep all of them busy past the next poll at %s each", wait, arriving, rate(e.PerWorker, 2))
		}
		return Decision{Desired: cur, Recommendation: want, Reason: fmt.Sprintf("%s; holding %s: %s%s", base, replicas(cur), why, e.from())}
	}
	hold, peak := burstHold(in)
	how := ""
	if !hold {
		if why, ok := recurring(in); ok {
			hold, how = true, ": "+why
		}
	}
	if hold && peak > want {
		// The load comes in bursts: keep what the last burst needed through
		// the scale-down window rather than flap between bursts.
		keep := min(peak, cur)
		return Decision{Desired: keep, Recommendation: want, Bursty: true,
			Reason: fmt.Sprintf("%s; holding %s: the load comes in bursts%s (one within %s needed %s)",
				base, replicas(keep), how, c.ScaleDownWindow, replicas(peak))}
	}
	if c.MaxStepDown > 0 && want < cur-c.MaxStepDown {
		want = cur - c.MaxStepDown
	}
	return Decision{Desired: want, Recommendation: want,
		Reason: fmt.Sprintf("%s; scaling down to %s: %s and %s keep only %s workers busy at %s each%s%s",
			base, replicas(want), wait, arriving, replicas(busy), rate(e.PerWorker, 2), carry, e.from())}
}

// thinCap bounds a scale-up to n replicas sized from the learned throughput
// while that rests on little evidence (under littleTrustBelow): at most
// thinGrowth times asked (what the target or the current size asks). It
// returns the bound size and, when it bound, the words for the reason.
func thinCap(e Estimates, n, asked int32) (int32, string) {
	limit := int32(min(int64(thinGrowth)*int64(asked), math.MaxInt32))
	if !e.PerWorkerKnown || e.Evidence >= littleTrustBelow || n <= limit {
		return n, ""
	}
	return limit, fmt.Sprintf(" (at most %d times %s replicas: the learned throughput rests on only %s consumer-intervals of saturated work, under %d)",
		thinGrowth, replicas(asked), strconv.FormatFloat(e.Evidence, 'f', -1, 64), littleTrustBelow)
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
