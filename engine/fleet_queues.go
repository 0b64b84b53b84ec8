package engine

import (
	"context"
	"fmt"
	"hash/maphash"
	"regexp"
	"sort"
	"sync"
)

// roundSource is the QueueSource of a target's controller in a fleet: it
// returns what the fleet's round read for the target (its queues'
// statistics combined, or the round's error) without any I/O.
type roundSource struct {
	mu    sync.Mutex
	stats QueueStats
	err   error
}

// Stats returns the round's combined statistics or error.
func (s *roundSource) Stats(context.Context) (QueueStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats, s.err
}

func (s *roundSource) set(stats QueueStats, err error) {
	s.mu.Lock()
	s.stats, s.err = stats, err
	s.mu.Unlock()
}

// queueMatcher finds a target's queues among a vhost's.
type queueMatcher struct {
	set QueueSet
	re  *regexp.Regexp // compiled Pattern, nil for a list
	// cache holds the names the pattern matched among the names of
	// cacheOf, so that a round whose vhost has the same queues as the last
	// one matches nothing again. Only the round polling the target uses it.
	cache *matchCache
}

type matchCache struct {
	of    nameSet
	names []string
}

// nameSet identifies the set of a vhost's queue names: their number and
// the sum of their hashes under the fleet's random seed.
type nameSet struct {
	n   int
	sum uint64
}

func namesOf(seed maphash.Seed, queues map[string]QueueStats) nameSet {
	s := nameSet{n: len(queues)}
	for name := range queues {
		s.sum += maphash.String(seed, name)
	}
	return s
}

func newQueueMatcher(qs QueueSet) (queueMatcher, error) {
	m := queueMatcher{set: qs}
	if qs.Pattern == "" {
		if len(qs.Names) == 0 {
			return m, fmt.Errorf("%w: the target names no queue", ErrRefused)
		}
		return m, nil
	}
	re, err := compileQueuePattern(qs.Pattern)
	if err != nil {
		return m, &Error{Kind: ErrRefused, Msg: fmt.Sprintf("queue pattern %s does not compile: %s", Printable(qs.Pattern), Printable(err.Error())), Err: err}
	}
	m.re, m.cache = re, &matchCache{of: nameSet{n: -1}}
	return m, nil
}

// combined is what a round read for one target.
type combined struct {
	stats  QueueStats
	depths []QueueDepth
	err    error
}

// combine picks the target's queues out of a vhost's and combines them:
// sum adds counts, consumers and known rates; max takes the statistics of
// the deepest queue (by cfg's count). A listed queue that is missing, a
// pattern that matches none, or a queue whose statistics cannot be true is
// the target's error: it holds rather than decide on part of its load.
func (m queueMatcher) combine(cfg Config, vhost string, queues map[string]QueueStats, set nameSet) combined {
	names := m.set.Names
	if m.re != nil {
		names = m.matches(queues, set)
		if len(names) == 0 {
			return combined{err: &Error{Kind: ErrNotFound, Msg: fmt.Sprintf("no queue on vhost %q matches /%s/", vhost, Printable(m.set.Pattern))}}
		}
	}
	out := combined{depths: make([]QueueDepth, 0, len(names))}
	deepest := int64(-1)
	for _, name := range names {
		s, ok := queues[name]
		if !ok {
			return combined{err: &Error{Kind: ErrNotFound, Msg: fmt.Sprintf("queue %q not found on vhost %q", name, vhost)}}
		}
		if err := CheckStats(s); err != nil {
			return combined{err: &Error{Kind: ErrBadResponse, Msg: fmt.Sprintf("queue %q: %v", name, err), Err: err}}
		}
		out.depths = append(out.depths, QueueDepth{Name: Printable(name), Messages: s.Messages, Ready: s.Ready, Unacked: s.Unacked})
		switch {
		case m.set.Combine == CombineMax:
			if d := cfg.Depth(s); d > deepest {
				deepest, out.stats = d, s
			}
		case len(out.depths) == 1:
			out.stats = s
		default:
			out.stats = sumStats(out.stats, s)
		}
	}
	return out
}

// matches returns the names of queues that the pattern matches, sorted:
// those of the last round when the vhost's names are the same.
func (m queueMatcher) matches(queues map[string]QueueStats, set nameSet) []string {
	if m.cache.of == set {
		return m.cache.names
	}
	var names []string
	for name := range queues {
		if m.re.MatchString(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	m.cache.of, m.cache.names = set, names
	return names
}

// sumStats adds b to a: counts, consumers and rates (a rate is known when
// either is; an unknown one adds nothing, as a queue with no traffic yet
// has none); the consumer utilisation is the lower known one (the queue
// that can least keep up).
func sumStats(a, b QueueStats) QueueStats {
	a.Messages += b.Messages
	a.Ready += b.Ready
	a.Unacked += b.Unacked
	a.Consumers += b.Consumers
	a.PublishRate = addRate(a.PublishRate, b.PublishRate)
	a.DeliverRate = addRate(a.DeliverRate, b.DeliverRate)
	a.AckRate = addRate(a.AckRate, b.AckRate)
	switch {
	case !a.ConsumerUtilisation.Known:
		a.ConsumerUtilisation = b.ConsumerUtilisation
	case b.ConsumerUtilisation.Known && b.ConsumerUtilisation.PerSecond < a.ConsumerUtilisation.PerSecond:
		a.ConsumerUtilisation = b.ConsumerUtilisation
	}
	switch {
	case a.RatesFrom == "":
		a.RatesFrom = b.RatesFrom
	case b.RatesFrom == RatesFromCounters:
		// The less direct measure: say so if any queue's rates used it.
		a.RatesFrom = RatesFromCounters
	}
	return a
}

func addRate(a, b Rate) Rate {
	switch {
	case !a.Known:
		return b
	case !b.Known:
		return a
	}
	return KnownRate(a.PerSecond + b.PerSecond)
}
