package engine

import (
	"math"
	"slices"
	"sort"
	"time"
)

// Estimates are what the adaptive policy learned from the broker's
// statistics.
type Estimates struct {
	// Arrival is the publish rate (messages/s), the median of the last
	// arrivalSamples samples, so that a burst or two does not count as a
	// rate;
	// ArrivalKnown is false before the broker reports one.
	Arrival      float64
	ArrivalKnown bool
	// ArrivalLong is the median of the last ArrivalSamples publish-rate
	// samples: arrivalSamples, or more at a low rate (arrivalWindow). A
	// scale-down keeps the workers the higher of Arrival and ArrivalLong
	// keeps busy.
	ArrivalLong    float64
	ArrivalSamples int
	// PerWorker is the throughput of one consumer while saturated
	// (messages/s); PerWorkerKnown is false until workers were seen busy.
	PerWorker      float64
	PerWorkerKnown bool
	// Evidence is how many consumer-intervals of saturated work PerWorker
	// rests on (each sample's consumers, counted once for the ack rate and
	// once for the deliver rate), up to adaptiveSamples samples.
	Evidence float64
	// ArrivalFromAcks is true when some of the arrival samples are the ack
	// rate, taken for the arrivals where no publish rate was known (see
	// Estimate).
	ArrivalFromAcks bool
	// RatesFrom says where the rates these estimates rest on came from:
	// "broker", "counters" (QueueStats.RatesFrom), "broker and counters"
	// when the samples mix both, or "" when no sample said.
	RatesFrom string
}

// ratesFrom names the sources in from: one, both, or "" when none is named.
func ratesFrom(from []string) string {
	var broker, counters bool
	for _, f := range from {
		broker = broker || f == RatesFromBroker
		counters = counters || f == RatesFromCounters
	}
	switch {
	case broker && counters:
		return "broker and counters"
	case broker:
		return "broker"
	case counters:
		return "counters"
	}
	return ""
}

// from is the note a reason adds after the rates it used: " (from
// counters)", " (from the broker)", " (from the broker and counters)", or
// nothing when no sample said; followed by arrivalNote when the arrivals
// are the ack rate.
func (e Estimates) from() string {
	var note string
	switch e.RatesFrom {
	case "":
	case "counters":
		note = " (from counters)"
	default:
		note = " (from the " + e.RatesFrom + ")"
	}
	if e.ArrivalFromAcks {
		note += arrivalNote
	}
	return note
}

// arrivalNote is what a reason adds when the arrivals are the ack rate.
const arrivalNote = " (arrivals are the ack rate: the broker reports no publish rate for the queue)"

// Estimate learns the arrival rate and the per-worker throughput from the
// input's history and current statistics. Samples with unknown, negative,
// NaN or absurd rates are ignored (a counter reset shows up as one).
//
// A sample with no publish rate but a plausible ack rate counts that as its
// arrivals. RabbitMQ counts a queue's publishes from the publishing
// channels' statistics, and loses what a channel counted since the last
// collection when it closes (rabbitmq/rabbitmq-management#353): a producer
// whose channel lives a few seconds (a script, a per-request publisher) can
// leave the queue with ack and deliver_get rates and no publish rate at
// all.
// Departures are the arrivals of a queue that neither grows nor drains;
// they overstate a draining queue's arrivals (a scale-down then keeps more
// workers, until the acks fall), and understate a growing one's (then the
// target's rule adds replicas, as without arrivals).
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
	var arrFrom, ackFrom, idleFrom []string        // where each sample's rates came from
	var arrAcks []bool                             // whether an arrival sample is the ack rate
	var arrAt []time.Time                          // when each arrival sample was read
	var prev *QueueStats
	consider := func(s QueueStats, at time.Time) {
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
		switch {
		case plausible(s.PublishRate):
			arrivals, arrAt = append(arrivals, s.PublishRate.PerSecond), append(arrAt, at)
			arrFrom, arrAcks = append(arrFrom, s.RatesFrom), append(arrAcks, false)
		case !s.PublishRate.Known && plausible(s.AckRate):
			arrivals, arrAt = append(arrivals, s.AckRate.PerSecond), append(arrAt, at)
			arrFrom, arrAcks = append(arrFrom, s.RatesFrom), append(arrAcks, true)
		}
		stable := prev != nil && prev.Consumers == s.Consumers && s.Consumers > 0 && plausible(s.AckRate)
		switch {
		case stable && saturated(&s) && saturated(prev):
			acks = append(acks, s.AckRate.PerSecond)
			consumers = append(consumers, float64(s.Consumers))
			ackFrom = append(ackFrom, s.RatesFrom)
			if plausible(s.DeliverRate) {
				acks = append(acks, s.DeliverRate.PerSecond)
				consumers = append(consumers, float64(s.Consumers))
				ackFrom = append(ackFrom, s.RatesFrom)
			}
			if s.Unacked > 0 {
				slots = append(slots, float64(s.Unacked)/float64(s.Consumers))
			}
		case stable && s.Unacked >= 0:
			idleAcks = append(idleAcks, s.AckRate.PerSecond)
			idleUnacked = append(idleUnacked, float64(s.Unacked))
			idleFrom = append(idleFrom, s.RatesFrom)
		}
		prev = &s
	}
	for _, o := range in.History {
		if !o.OK || in.Now.Sub(o.At) > adaptiveMemory {
			prev = nil
			continue
		}
		consider(o.Stats, o.At)
	}
	consider(in.Stats, in.Now)
	keep := distinctSamples(arrAt)
	arrivals, arrFrom, arrAcks = pick(arrivals, keep), pick(arrFrom, keep), pick(arrAcks, keep)
	var e Estimates
	if len(arrivals) > 0 {
		e.Arrival, e.ArrivalKnown = median(lastN(arrivals, arrivalSamples)), true
		e.ArrivalSamples = arrivalWindow(arrivals, max(in.Config.PollInterval, rateSampleSeconds*time.Second))
		e.ArrivalLong = median(lastN(arrivals, e.ArrivalSamples))
		e.RatesFrom = ratesFrom(lastN(arrFrom, e.ArrivalSamples))
		for _, a := range lastN(arrAcks, e.ArrivalSamples) {
			e.ArrivalFromAcks = e.ArrivalFromAcks || a
		}
	}
	a, c := sum(lastN(acks, adaptiveSamples)), sum(lastN(consumers, adaptiveSamples))
	if c < adaptiveEvidence || a <= 0 {
		return e
	}
	e.PerWorker, e.PerWorkerKnown, e.Evidence = a/c, true, c
	e.RatesFrom = ratesFrom(append(lastN(arrFrom, e.ArrivalSamples), lastN(ackFrom, adaptiveSamples)...))
	if len(idleAcks) >= littleSamples && len(slots) > 0 && c < littleTrustBelow {
		la, lu := sum(lastN(idleAcks, littleSamples)), sum(lastN(idleUnacked, littleSamples))
		if la > 0 && lu >= littleSamples { // at least one in flight a sample
			little := median(lastN(slots, adaptiveSamples)) * la / lu
			if little > littleFactor*e.PerWorker || little < e.PerWorker/littleFactor {
				e.PerWorker = little
				e.RatesFrom = ratesFrom(append(append(lastN(arrFrom, e.ArrivalSamples), lastN(ackFrom, adaptiveSamples)...), lastN(idleFrom, littleSamples)...))
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

func lastN[T any](xs []T, n int) []T {
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

// arrivalWindow is how many of the latest publish-rate samples the arrival
// estimate of a scale-down is the median of: arrivalSamples, or more at a
// low rate, so that the samples hold about arrivalCount messages, up to
// maxArrivalSamples. A 5 s sample of 1/s holds 5 messages, and the median of
// five such samples reads a third low often enough to remove a worker that
// the next polls add back.
func arrivalWindow(arrivals []float64, poll time.Duration) int {
	m := median(lastN(arrivals, arrivalSamples))
	k := maxArrivalSamples
	if m > 0 {
		k = int(math.Ceil(arrivalCount / (m * rateSampleSeconds)))
	}
	if poll > 0 {
		k = max(k, int(math.Ceil(arrivalSpan.Seconds()/poll.Seconds())))
	}
	return min(max(k, arrivalSamples), maxArrivalSamples)
}

// distinctSamples returns the indexes of the samples read at ats (oldest
// first) that are distinct rate samples: the newest, and each one read at
// least rateSampleSeconds before the last one kept. Polls closer together
// than the broker's statistics interval read the same rate sample again: at
// a 1 s poll, five polls were one 5 s sample of a 3,000-message spike,
// which the median of five then took for a sustained 600/s.
func distinctSamples(ats []time.Time) []int {
	var keep []int
	var last time.Time
	for i := len(ats) - 1; i >= 0; i-- {
		if len(keep) == 0 || last.Sub(ats[i]) >= rateSampleSeconds*time.Second {
			keep, last = append(keep, i), ats[i]
		}
	}
	slices.Reverse(keep)
	return keep
}

// pick returns the elements of s at the indexes keep, in their order.
func pick[T any](s []T, keep []int) []T {
	out := make([]T, 0, len(keep))
	for _, i := range keep {
		out = append(out, s[i])
	}
	return out
}
