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
	var es estimateSamples
	for _, o := range in.History {
		if !o.OK || in.Now.Sub(o.At) > adaptiveMemory {
			es.prev = nil
			continue
		}
		es.consider(o.Stats, o.At)
	}
	es.consider(in.Stats, in.Now)
	keep := distinctSamples(es.arrAt)
	es.arrivals, es.arrFrom, es.arrAcks = pick(es.arrivals, keep), pick(es.arrFrom, keep), pick(es.arrAcks, keep)
	e := es.arrivalEstimates(in.Config.PollInterval)
	es.throughput(&e)
	return e
}

// estimateSamples are the samples Estimate learns from, oldest first.
type estimateSamples struct {
	arrivals, acks, consumers, slots []float64   // arrivals; saturated samples
	idleAcks, idleUnacked            []float64   // stable, unsaturated samples
	arrFrom, ackFrom, idleFrom       []string    // where each sample's rates came from
	arrAcks                          []bool      // whether an arrival sample is the ack rate
	arrAt                            []time.Time // when each arrival sample was read
	prev                             *QueueStats // the sample before, nil after a gap
}

// saturated says whether s had more ready messages than one per consumer
// plus a second of arrivals (messages that just arrived and were not yet
// picked up prove nothing).
func saturated(s *QueueStats) bool {
	if s == nil || s.Consumers <= 0 {
		return false
	}
	fresh := 0.0
	if plausible(s.PublishRate) {
		fresh = s.PublishRate.PerSecond
	}
	return float64(s.Ready) >= float64(s.Consumers)+fresh
}

// consider adds the statistics s read at at: its arrivals, and its work
// when the consumers did not change since the sample before, as a
// saturated or an unsaturated sample.
func (es *estimateSamples) consider(s QueueStats, at time.Time) {
	switch {
	case plausible(s.PublishRate):
		es.arrivals, es.arrAt = append(es.arrivals, s.PublishRate.PerSecond), append(es.arrAt, at)
		es.arrFrom, es.arrAcks = append(es.arrFrom, s.RatesFrom), append(es.arrAcks, false)
	case !s.PublishRate.Known && plausible(s.AckRate):
		es.arrivals, es.arrAt = append(es.arrivals, s.AckRate.PerSecond), append(es.arrAt, at)
		es.arrFrom, es.arrAcks = append(es.arrFrom, s.RatesFrom), append(es.arrAcks, true)
	}
	stable := es.prev != nil && es.prev.Consumers == s.Consumers && s.Consumers > 0 && plausible(s.AckRate)
	switch {
	case stable && saturated(&s) && saturated(es.prev):
		es.acks = append(es.acks, s.AckRate.PerSecond)
		es.consumers = append(es.consumers, float64(s.Consumers))
		es.ackFrom = append(es.ackFrom, s.RatesFrom)
		if plausible(s.DeliverRate) {
			es.acks = append(es.acks, s.DeliverRate.PerSecond)
			es.consumers = append(es.consumers, float64(s.Consumers))
			es.ackFrom = append(es.ackFrom, s.RatesFrom)
		}
		if s.Unacked > 0 {
			es.slots = append(es.slots, float64(s.Unacked)/float64(s.Consumers))
		}
	case stable && s.Unacked >= 0:
		es.idleAcks = append(es.idleAcks, s.AckRate.PerSecond)
		es.idleUnacked = append(es.idleUnacked, float64(s.Unacked))
		es.idleFrom = append(es.idleFrom, s.RatesFrom)
	}
	es.prev = &s
}

// arrivalEstimates are the arrival half of the estimates, from the
// distinct arrival samples, at the poll interval poll.
func (es *estimateSamples) arrivalEstimates(poll time.Duration) Estimates {
	var e Estimates
	if len(es.arrivals) == 0 {
		return e
	}
	e.Arrival, e.ArrivalKnown = median(lastN(es.arrivals, arrivalSamples)), true
	e.ArrivalSamples = arrivalWindow(es.arrivals, max(poll, rateSampleSeconds*time.Second))
	e.ArrivalLong = median(lastN(es.arrivals, e.ArrivalSamples))
	e.RatesFrom = ratesFrom(lastN(es.arrFrom, e.ArrivalSamples))
	for _, a := range lastN(es.arrAcks, e.ArrivalSamples) {
		e.ArrivalFromAcks = e.ArrivalFromAcks || a
	}
	return e
}

// throughput adds the per-worker throughput to e once the saturated
// samples cover adaptiveEvidence consumer-intervals, checked against
// Little's law on the unsaturated ones (see Estimate).
func (es *estimateSamples) throughput(e *Estimates) {
	a, c := sum(lastN(es.acks, adaptiveSamples)), sum(lastN(es.consumers, adaptiveSamples))
	if c < adaptiveEvidence || a <= 0 {
		return
	}
	e.PerWorker, e.PerWorkerKnown, e.Evidence = a/c, true, c
	e.RatesFrom = ratesFrom(append(lastN(es.arrFrom, e.ArrivalSamples), lastN(es.ackFrom, adaptiveSamples)...))
	if len(es.idleAcks) < littleSamples || len(es.slots) == 0 || c >= littleTrustBelow {
		return
	}
	la, lu := sum(lastN(es.idleAcks, littleSamples)), sum(lastN(es.idleUnacked, littleSamples))
	if la <= 0 || lu < littleSamples { // at least one in flight a sample
		return
	}
	little := median(lastN(es.slots, adaptiveSamples)) * la / lu
	if little > littleFactor*e.PerWorker || little < e.PerWorker/littleFactor {
		e.PerWorker = little
		e.RatesFrom = ratesFrom(append(append(lastN(es.arrFrom, e.ArrivalSamples), lastN(es.ackFrom, adaptiveSamples)...), lastN(es.idleFrom, littleSamples)...))
	}
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
