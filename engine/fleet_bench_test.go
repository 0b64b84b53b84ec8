package engine_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

// benchLister returns the same queues every time, without I/O.
type benchLister map[string]engine.QueueStats

func (l benchLister) ListQueues(context.Context, string) (map[string]engine.QueueStats, error) {
	return l, nil
}

// benchFleet returns a fleet of n targets, each on its own queue of one
// vhost, in auto mode at the size their depth asks for (so that a round
// reads and decides but changes nothing), after rounds rounds, with
// FleetOptions.HistorySize history. With patterns, each target names its
// queue by a regular expression matched against all n queues.
func benchFleet(tb testing.TB, n, rounds, history int, patterns bool) *engine.Fleet {
	queues := benchLister{}
	var targets []engine.Target
	for i := range n {
		tg := fleetTarget("ns", fmt.Sprintf("d%04d", i), fmt.Sprintf("q%04d", i))
		messages := int64(100 * (1 + i%20))
		queues[tg.Queues.Names[0]] = engine.QueueStats{Messages: messages, Ready: messages, Consumers: 1}
		tg.Scaler = newFakeScaler(int32(1 + i%20))
		if patterns {
			tg.Queues = engine.QueueSet{Pattern: fmt.Sprintf(`q%04d(\..+)?`, i), Combine: engine.CombineSum}
		}
		targets = append(targets, tg)
	}
	f, err := engine.NewFleet(engine.FleetOptions{Targets: newFakeTargets(targets...), Lister: queues,
		Clock: engine.NewManualClock(t0), Mode: engine.ModeAuto, HistorySize: history})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(f.Close)
	for range rounds {
		f.PollOnce(context.Background(), "auto")
	}
	return f
}

// BenchmarkFleetRound measures one round over 1,000 targets (one vhost
// list, 1,000 controller polls, one FleetSnapshot), with an empty history
// and with each controller's history full: the fleet's default size, and a
// single controller's (each poll copies it twice).
func BenchmarkFleetRound(b *testing.B) {
	for _, size := range []int{engine.DefaultFleetHistorySize, engine.DefaultHistorySize} {
		for _, rounds := range []int{1, size} {
			b.Run(fmt.Sprintf("size=%d/held=%d", size, rounds), func(b *testing.B) {
				f := benchFleet(b, 1000, rounds, size, false)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					s := f.PollOnce(context.Background(), "auto")
					if s.Targets[999].Err != nil {
						b.Fatal(s.Targets[999].Err)
					}
				}
				reportLive(b)
			})
		}
	}
}

// BenchmarkFleetPublish measures publishing a FleetSnapshot of 1,000
// targets (Refresh: no I/O, one subscriber), with full histories.
func BenchmarkFleetPublish(b *testing.B) {
	f := benchFleet(b, 1000, engine.DefaultFleetHistorySize, 0, false)
	ch, unsubscribe := f.Subscribe()
	defer unsubscribe()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f.Refresh()
		<-ch
	}
}

// BenchmarkFleetRoundPatterns is BenchmarkFleetRound with every target's
// queue named by a pattern, each matched against the vhost's 1,000 queues.
func BenchmarkFleetRoundPatterns(b *testing.B) {
	f := benchFleet(b, 1000, 1, 0, true)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if s := f.PollOnce(context.Background(), "auto"); s.Targets[999].Err != nil {
			b.Fatal(s.Targets[999].Err)
		}
	}
}

// reportLive reports the heap that is live after a collection, in MB (the
// fleet's resident floor).
func reportLive(b *testing.B) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapAlloc)/(1<<20), "live-MB")
}
