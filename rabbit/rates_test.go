package rabbit

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// poll is one canned observation: at seconds, the publish and ack counters
// (deliver_get follows ack; -1 is absent) and the broker's rates of them
// (-1 is absent).
type poll struct {
	at         float64
	pub, ack   int64
	bPub, bAck float64
}

func (p poll) observation() observation {
	var o observation
	for i, v := range []int64{p.pub, p.ack, p.ack} {
		if v >= 0 {
			o.counters[[]int{cPublish, cDeliverGet, cAck}[i]] = counter{v: v, known: true}
		}
	}
	rate := func(v float64) engine.Rate {
		if v < 0 {
			return engine.Rate{}
		}
		return engine.KnownRate(v)
	}
	o.stats.PublishRate, o.stats.DeliverRate, o.stats.AckRate = rate(p.bPub), rate(p.bAck), rate(p.bAck)
	return o
}

// every returns polls each step seconds from from to to (inclusive) of
// counters that rise by perRefresh every 5 s from base, refreshed at
// multiples of 5 s, with the broker's rates b.
func every(from, to, step float64, base, perRefresh int64, since float64, b float64) []poll {
	var ps []poll
	for t := from; t <= to+1e-9; t += step {
		v := base
		if t >= since {
			v += perRefresh * int64(math.Floor((t-since)/5+1e-9))
		}
		ps = append(ps, poll{at: t, pub: v, ack: v, bPub: b, bAck: b})
	}
	return ps
}

func concat(pss ...[]poll) []poll {
	var out []poll
	for _, ps := range pss {
		out = append(out, ps...)
	}
	return out
}

func TestCounterRates(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		polls    []poll
		pub, ack float64 // want; -1 unknown
		from     string
	}{
		{"broker rate zero while the counters move (1 s statistics interval)",
			every(0, 15, 5, 0, 100, 0, 0), 20, 20, engine.RatesFromCounters},
		{"broker rate missing: counters",
			every(0, 15, 5, 0, 100, 0, -1), 20, 20, engine.RatesFromCounters},
		{"polls 1 s apart between refreshes are not a zero rate",
			every(0, 18, 1, 0, 100, 0, -1), 20, 20, engine.RatesFromCounters},
		{"polls 2 s apart against 5 s refreshes",
			every(0, 40, 2, 0, 100, 0, -1), 20, 20, engine.RatesFromCounters},
		{"15 s polls (the default)",
			every(0, 45, 15, 0, 100, 0, -1), 20, 20, engine.RatesFromCounters},
		{"broker agrees (within 2x): broker",
			every(0, 15, 5, 0, 100, 0, 25), 25, 25, engine.RatesFromBroker},
		{"broker spikes (4x the counters): counters",
			every(0, 15, 5, 0, 100, 0, 80), 20, 20, engine.RatesFromCounters},
		{"tiny rates differing 2.5x are noise: broker",
			every(0, 15, 5, 0, 2, 0, 1), 1, 1, engine.RatesFromBroker},
		{"one sample only: broker",
			every(0, 0, 5, 0, 100, 0, 7), 7, 7, engine.RatesFromBroker},
		{"span under 10 s: broker",
			every(0, 5, 5, 0, 100, 0, 7), 7, 7, engine.RatesFromBroker},
		{"span under 10 s, the broker says 0 while the counters move: unknown, not 0",
			every(0, 5, 5, 0, 100, 0, 0), -1, -1, ""},
		{"one sample, the broker says 0: 0 (nothing says it moved)",
			every(0, 0, 5, 0, 100, 0, 0), 0, 0, engine.RatesFromBroker},
		{"counter reset (queue re-declared): no counter rate that poll",
			append(every(0, 15, 5, 1000, 100, 0, 0), poll{at: 20, pub: 50, ack: 50, bPub: 9, bAck: 9}), 9, 9, engine.RatesFromBroker},
		{"counter reset with the broker's rates missing: unknown",
			append(every(0, 15, 5, 1000, 100, 0, -1), poll{at: 20, pub: 50, ack: 50, bPub: -1, bAck: -1}), -1, -1, ""},
		{"counters disappear: reset",
			append(every(0, 15, 5, 1000, 100, 0, -1), poll{at: 20, pub: -1, ack: -1, bPub: -1, bAck: -1}), -1, -1, ""},
		{"clock goes back: no counter rate",
			append(every(0, 15, 5, 0, 100, 0, -1), poll{at: 14, pub: 400, ack: 400, bPub: -1, bAck: -1}), -1, -1, ""},
		{"same instant twice: no counter rate",
			append(every(0, 15, 5, 0, 100, 0, -1), poll{at: 15, pub: 400, ack: 400, bPub: -1, bAck: -1}), -1, -1, ""},
		{"a burst after 30 s idle is not averaged with the idle time (first refresh)",
			every(0, 40, 1, 1000, 100, 31, -1), 16.7, 16.7, engine.RatesFromCounters},
		{"a burst after 30 s idle is not averaged with the idle time (second refresh)",
			every(0, 41, 1, 1000, 100, 31, -1), 18.2, 18.2, engine.RatesFromCounters},
		{"a burst after 30 s idle is not averaged with the idle time (third refresh)",
			every(0, 46, 1, 1000, 100, 31, -1), 20, 20, engine.RatesFromCounters},
		{"traffic stops: the counter rate falls",
			concat(every(0, 20, 1, 0, 100, 0, -1), every(21, 40, 1, 400, 0, 0, -1)), 0, 0, engine.RatesFromCounters},
		{"traffic stops, broker says 0: 0",
			concat(every(0, 20, 1, 0, 100, 0, 20), every(21, 40, 1, 400, 0, 0, 0)), 0, 0, engine.RatesFromBroker},
		{"only publish counted yet",
			[]poll{{0, 0, -1, -1, -1}, {5, 100, -1, -1, -1}, {10, 200, -1, -1, -1}}, 20, -1, engine.RatesFromCounters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newRateTracker()
			var s engine.QueueStats
			for _, p := range tt.polls {
				s = tr.observe("q", t0.Add(time.Duration(p.at*float64(time.Second))), p.observation())
			}
			for _, r := range []struct {
				name string
				got  engine.Rate
				want float64
			}{{"publish", s.PublishRate, tt.pub}, {"ack", s.AckRate, tt.ack}, {"deliver", s.DeliverRate, tt.ack}} {
				if ((r.want >= 0) != r.got.Known) || (r.got.Known && math.Abs(r.got.PerSecond-r.want) > 0.01*r.want+0.01) {
					t.Errorf("%s rate = %+v, want %v", r.name, r.got, r.want)
				}
			}
			if s.RatesFrom != tt.from {
				t.Errorf("RatesFrom = %q, want %q", s.RatesFrom, tt.from)
			}
		})
	}
}

// TestRateTrackerConcurrentAndBounded: many goroutines and many queues,
// with the race detector, and the memory stays bounded.
func TestRateTrackerConcurrentAndBounded(t *testing.T) {
	tr := newRateTracker()
	t0 := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 400; i++ {
				tr.observe(fmt.Sprint(g, "/", i), t0.Add(time.Duration(i)*time.Second), poll{pub: int64(i), ack: int64(i)}.observation())
			}
		}(g)
	}
	wg.Wait()
	if n := len(tr.queues); n > maxTracked {
		t.Fatalf("%d queues remembered, cap %d", n, maxTracked)
	}
}

// TestStatsUsesCounterRates: end to end through Stats, a broker whose rates
// read 0 while its counters move gets counter rates.
func TestStatsUsesCounterRates(t *testing.T) {
	var n int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"consumers":2,"messages":5,"messages_ready":3,"messages_unacknowledged":2,"message_stats":{"publish":%d,"publish_details":{"rate":0.0},"deliver_get":%d,"deliver_get_details":{"rate":0.0},"ack":%d,"ack_details":{"rate":0.0}}}`, n*150, n*140, n*140)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, "bob", testSecret, "/", "q", nil)
	now := time.Now()
	c.now = func() time.Time { return now }
	var s engine.QueueStats
	for n = 0; n < 4; n++ {
		var err error
		if s, err = c.Stats(context.Background()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(5 * time.Second)
	}
	if s.RatesFrom != engine.RatesFromCounters || s.PublishRate != engine.KnownRate(30) || s.AckRate != engine.KnownRate(28) || s.DeliverRate != engine.KnownRate(28) {
		t.Fatalf("stats %+v; want counter rates publish 30, deliver and ack 28", s)
	}
}

// TestRateTrackerFleetBound: a sweep over more queues than the bound keeps
// the queues already tracked (their counter rates survive every sweep) and
// tracks no more than maxTracked; idle queues without counters take no
// memory; queues not polled for staleAfter make room for new ones.
func TestRateTrackerFleetBound(t *testing.T) {
	tr := newRateTracker()
	t0 := time.Now()
	const n = maxTracked + 4000
	var last engine.QueueStats
	for round := 0; round < 4; round++ {
		at := t0.Add(time.Duration(round) * 5 * time.Second)
		for i := 0; i < n; i++ {
			s := tr.observe(rateKey("v", fmt.Sprint(i)), at, poll{pub: int64(round * 50), ack: int64(round * 50)}.observation())
			if i == 0 {
				last = s
			}
		}
		tr.observe(rateKey("v", "idle"), at, observation{})
	}
	if got := len(tr.queues); got != maxTracked {
		t.Errorf("%d queues remembered, want the bound %d", got, maxTracked)
	}
	if last.RatesFrom != engine.RatesFromCounters || last.PublishRate != engine.KnownRate(10) {
		t.Errorf("first queue after 4 sweeps: %+v; want a counter rate of 10/s", last)
	}
	if _, ok := tr.queues[rateKey("v", "idle")]; ok {
		t.Error("an idle queue without counters is remembered")
	}
	later := t0.Add(15*time.Second + staleAfter + time.Second)
	tr.observe(rateKey("v", "new"), later, poll{pub: 1}.observation())
	if _, ok := tr.queues[rateKey("v", "new")]; !ok || len(tr.queues) != 1 {
		t.Errorf("after staleAfter: %d queues remembered, new one tracked %v; want only the new one", len(tr.queues), ok)
	}
	if rateKey("a\x00b", "c") == rateKey("a", "b\x00c") || rateKey("a/b", "c") == rateKey("a", "b/c") {
		t.Error("rateKey mixes vhost and name")
	}
}
