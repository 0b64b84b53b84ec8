package engine_test

import (
	"context"
	"runtime"
	"testing"
	"unsafe"

	"github.com/yeeter/yeetscale/engine"
)

// allocatedPerRound returns the bytes a round of f allocates, on average
// over rounds rounds.
func allocatedPerRound(f *engine.Fleet, rounds int) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range rounds {
		f.PollOnce(context.Background(), "auto")
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(rounds)
}

// TestFleetRoundCostDoesNotGrowWithHistory checks that a round allocates
// about as much with every controller's history full as with one
// observation in it: no poll copies the history (the policies read it in
// place, and the snapshot a controller keeps has none).
func TestFleetRoundCostDoesNotGrowWithHistory(t *testing.T) {
	const n, size, rounds = 100, engine.DefaultFleetHistorySize, 30
	empty := allocatedPerRound(benchFleet(t, n, 1, size, false), rounds)
	full := allocatedPerRound(benchFleet(t, n, size, size, false), rounds)
	t.Logf("a round of %d targets allocates %d bytes with 1 observation held, %d with %d", n, empty, full, size)
	// The ring moves its observations to a new array every size/8 pushes
	// or so (a few observations a push); a copy of the history is size.
	history := uint64(size) * uint64(unsafe.Sizeof(engine.Observation{}))
	if extra := (full - min(full, empty)) / n; extra > history/4 {
		t.Errorf("a round allocates %d bytes a target more with full histories of %d than with one observation: want under a quarter of a history (%d bytes)",
			extra, size, history)
	}
}

// TestFleetHoldsOneCopyOfTheHistory checks that a fleet's live heap holds
// each controller's history once (a ring an eighth larger than the
// history, and the reasons of its decisions), not a second time in the
// snapshot each controller keeps.
func TestFleetHoldsOneCopyOfTheHistory(t *testing.T) {
	const n, size = 100, engine.DefaultFleetHistorySize
	floor := heapInUse()
	bare := benchFleet(t, n, 1, 1, false) // everything but a history
	withoutHistory := heapInUse() - floor
	bare.Close()
	runtime.KeepAlive(bare)

	floor = heapInUse()
	f := benchFleet(t, n, size, size, false)
	withHistory := heapInUse() - floor
	runtime.KeepAlive(f)

	s := f.Controller("ns/d0000").Snapshot()
	if len(s.History) != size {
		t.Fatalf("len(History) = %d, want full at %d", len(s.History), size)
	}
	one := uint64(unsafe.Sizeof(engine.Observation{})) + uint64(len(s.History[0].Decision.Reason))
	perTarget := (withHistory - min(withHistory, withoutHistory)) / n
	t.Logf("live heap a target: %d bytes without a history, %d more with %d observations of about %d bytes",
		withoutHistory/n, perTarget, size, one)
	if limit := one * size * 3 / 2; perTarget > limit {
		t.Errorf("a history of %d observations of about %d bytes takes %d bytes of live heap a target: want at most %d (one copy, not two)",
			size, one, perTarget, limit)
	}
}
