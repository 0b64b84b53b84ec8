package rabbit

import (
	"strconv"
	"sync"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// Counter rates. The broker's *_details.rate is the change of a counter over
// its last statistics sample (5 s by default); it reads 0 on brokers whose
// samples and emission intervals disagree, and spikes when a channel's
// statistics arrive late (kedacore/keda#4507). The cumulative counters
// (message_stats.publish, deliver_get, ack) do not have that problem: the
// rate between two moments is their difference over the time between them.
//
// The counters change only when the broker refreshes its statistics, so two
// polls 1 s apart usually see identical counters: that means "not refreshed",
// not "no traffic". A sample is therefore taken only on a poll where the
// counters changed (a refresh happened), at the time of that poll; polls in
// between carry the last counter rate forward, until the counters have
// stood still for more than two default refreshes (see current). The rate
// is taken between the newest sample and the newest earlier one at least
// minSpan older (two default refreshes, which smooths the phases of many
// channels' statistics), never over more than maxSpan; an idle run before
// a burst is skipped rather than averaged in (see update and compute).
//
// Which rate is reported, per field:
//   - no counter rate yet (first polls, a counter reset): the broker's;
//   - the broker's rate missing, or zero while the counters moved: the
//     counters';
//   - the two differ by more than a factor of spikeFactor (and by more than
//     noiseFloor msg/s, so that 0.2 against 0.5 at an idle queue is not a
//     spike): the counters' (the broker's one-sample rate is spiky);
//   - otherwise the broker's.
//
// QueueStats.RatesFrom is RatesFromCounters when any field came from the
// counters.
const (
	minSpan     = 10 * time.Second
	maxSpan     = 60 * time.Second
	refreshStep = 5 * time.Second // RabbitMQ's default statistics interval
	spikeFactor = 2.0
	noiseFloor  = 1.0
	maxSamples  = 32
)

// The tracker's bound. A fleet lists every queue of a vhost each poll, so
// the tracker must hold thousands of queues without letting a broker with
// 100,000 of them grow it without end:
//   - a queue is remembered only once one of its counters is known (an
//     idle queue without message_stats has nothing to remember, and its
//     stats come out the same either way);
//   - a queue not polled for staleAfter is forgotten (its samples are older
//     than maxSpan and would be dropped anyway);
//   - when maxTracked queues are remembered, a new one is not tracked (its
//     rates are the broker's) until stale ones are forgotten. Unlike an LRU,
//     this keeps the queues already tracked when every poll sweeps more
//     queues than the bound, instead of evicting them all in turn.
//
// One remembered queue costs at most about 2.5 KB (maxSamples samples), so
// the bound is about 40 MB at worst, and a few MB for a fleet of 1,000
// queues.
const (
	maxTracked = 16384
	staleAfter = 2 * maxSpan
)

// rateTracker remembers, per queue, the counters of recent statistics
// refreshes. It is safe for concurrent use.
type rateTracker struct {
	mu       sync.Mutex
	queues   map[string]*queueRates
	prunedAt time.Time // the last time stale queues were looked for
}

// queueRates is one queue's memory.
type queueRates struct {
	lastPoll time.Time
	sig      [nCounters]counter // what the last poll saw
	samples  []sample           // oldest first
	stillAt  time.Time          // the last poll that saw the last sample's counters unchanged
	rates    [nCounters]engine.Rate
	ratesAt  time.Time // the sample the rates end at
}

// sample is the counters as first seen after a refresh.
type sample struct {
	at time.Time
	c  [nCounters]counter
}

func newRateTracker() *rateTracker { return &rateTracker{queues: map[string]*queueRates{}} }

// rateKey is the tracker's key of queue name in vhost; the length prefix
// keeps any two (vhost, name) pairs apart, whatever bytes they hold.
func rateKey(vhost, name string) string {
	return strconv.Itoa(len(vhost)) + ":" + vhost + "/" + name
}

// observe records obs, polled at now, for queue key and returns its stats
// with the rates chosen as the package comment says.
func (t *rateTracker) observe(key string, now time.Time, obs observation) engine.QueueStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	q := t.queues[key]
	if q == nil {
		if !anyKnown(obs.counters) || !t.room(now) {
			return choose(obs.stats, [nCounters]engine.Rate{}, [nCounters]bool{})
		}
		q = &queueRates{}
		t.queues[key] = q
	}
	q.update(now, obs)
	return choose(obs.stats, q.current(now), q.moving())
}

// moving reports, per counter, whether it changed between the samples
// remembered: traffic flowed, whatever the broker's rate says.
func (q *queueRates) moving() [nCounters]bool {
	var m [nCounters]bool
	if n := len(q.samples); n > 1 {
		first, last := q.samples[0].c, q.samples[n-1].c
		for i := range m {
			m[i] = first[i].known && last[i].known && last[i].v != first[i].v
		}
	}
	return m
}

// room reports whether a new queue may be remembered, forgetting the queues
// not polled for staleAfter when the tracker is full (at most once per
// refreshStep, so that a sweep over many untracked queues stays cheap).
func (t *rateTracker) room(now time.Time) bool {
	if len(t.queues) < maxTracked {
		return true
	}
	if !t.prunedAt.IsZero() && now.Sub(t.prunedAt) < refreshStep && !now.Before(t.prunedAt) {
		return false
	}
	t.prunedAt = now
	for k, q := range t.queues {
		if d := now.Sub(q.lastPoll); d > staleAfter || d < 0 {
			delete(t.queues, k)
		}
	}
	return len(t.queues) < maxTracked
}

// anyKnown reports whether the broker reported any of the counters.
func anyKnown(c [nCounters]counter) bool {
	for _, x := range c {
		if x.known {
			return true
		}
	}
	return false
}

// update takes a sample when the broker refreshed the counters.
func (q *queueRates) update(now time.Time, obs observation) {
	sig := obs.counters
	first := q.lastPoll.IsZero()
	if !first && !now.After(q.lastPoll) {
		*q = queueRates{} // the clock went back: start over
		first = true
	}
	refreshed := first || sig != q.sig
	q.lastPoll, q.sig = now, sig
	if !refreshed {
		q.stillAt = now
		return
	}
	if n := len(q.samples); n > 0 && reset(q.samples[n-1].c, obs.counters) {
		q.samples, q.rates = nil, [nCounters]engine.Rate{}
	}
	if n := len(q.samples); n > 0 && q.stillAt.Add(-refreshStep).After(q.samples[n-1].at) {
		// A poll saw the counters standing still: they held their old
		// values at least until the refresh before that poll. Without this
		// sample the first rate after an idle spell would average the idle
		// time in (an underestimate just when a burst starts).
		q.samples = append(q.samples, sample{at: q.stillAt.Add(-refreshStep), c: q.samples[n-1].c})
	}
	q.stillAt = time.Time{}
	q.samples = append(q.samples, sample{at: now, c: obs.counters})
	for len(q.samples) > maxSamples || (len(q.samples) > 1 && now.Sub(q.samples[0].at) > maxSpan) {
		q.samples = q.samples[1:]
	}
	q.rates, q.ratesAt = q.compute(q.samples[len(q.samples)-1]), now
}

// reset reports whether a counter went down or disappeared: the queue was
// re-declared or the broker restarted, and no difference means anything.
func reset(old, cur [nCounters]counter) bool {
	for i := range old {
		if old[i].known && (!cur[i].known || cur[i].v < old[i].v) {
			return true
		}
	}
	return false
}

// compute returns the counter rates between end and the newest sample at
// least minSpan older.
func (q *queueRates) compute(end sample) [nCounters]engine.Rate {
	var r [nCounters]engine.Rate
	for i := len(q.samples) - 1; i >= 0; i-- {
		start := q.samples[i]
		span := end.at.Sub(start.at)
		if span < minSpan {
			continue
		}
		if span > maxSpan || span <= 0 {
			return r
		}
		// Counters that stood still after start (an idle spell) held their
		// values until the last sample of that run: start there, if that
		// still spans a refresh, rather than average the idle time in.
		for i+1 < len(q.samples) && q.samples[i+1].c == start.c && end.at.Sub(q.samples[i+1].at) >= refreshStep {
			i++
			start = q.samples[i]
			span = end.at.Sub(start.at)
		}
		for k := range r {
			if start.c[k].known && end.c[k].known && end.c[k].v >= start.c[k].v {
				r[k] = engine.KnownRate(float64(end.c[k].v-start.c[k].v) / span.Seconds())
			}
		}
		return r
	}
	return r
}

// current returns the counter rates to use at now: the last ones computed.
// When the counters have stood still for more than two default refreshes,
// the traffic has stopped or slowed: the rates then run to the refresh
// before now, with the counters unchanged, and fall as an average does.
func (q *queueRates) current(now time.Time) [nCounters]engine.Rate {
	n := len(q.samples)
	if q.ratesAt.IsZero() || n == 0 {
		return [nCounters]engine.Rate{}
	}
	if last := q.samples[n-1]; now.Sub(last.at) > 2*refreshStep {
		return q.compute(sample{at: now.Add(-refreshStep), c: last.c})
	}
	return q.rates
}

// choose puts the chosen rates into s and says where they came from. A
// broker rate of 0 while that counter moved, before the counters span
// enough time for a rate of their own, is unknown rather than 0: a policy
// would otherwise learn a throughput far too low from it.
func choose(s engine.QueueStats, c [nCounters]engine.Rate, moving [nCounters]bool) engine.QueueStats {
	fromCounters := false
	for i, p := range []*engine.Rate{&s.PublishRate, &s.DeliverRate, &s.AckRate} {
		switch {
		case useCounter(*p, c[i]):
			*p, fromCounters = c[i], true
		case !c[i].Known && moving[i] && p.Known && p.PerSecond == 0:
			*p = engine.Rate{}
		}
	}
	switch {
	case fromCounters:
		s.RatesFrom = engine.RatesFromCounters
	case s.PublishRate.Known || s.DeliverRate.Known || s.AckRate.Known:
		s.RatesFrom = engine.RatesFromBroker
	default:
		s.RatesFrom = ""
	}
	return s
}

// useCounter applies the rule of the package comment to one field.
func useCounter(broker, ctr engine.Rate) bool {
	switch {
	case !ctr.Known:
		return false
	case !broker.Known:
		return true
	case broker.PerSecond == 0:
		return ctr.PerSecond > 0
	}
	hi, lo := max(broker.PerSecond, ctr.PerSecond), min(broker.PerSecond, ctr.PerSecond)
	return hi > spikeFactor*lo && hi-lo > noiseFloor
}
