package engine_test

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/yeeter/yeetscale/engine"
)

func obsAt(sec int) engine.Observation {
	return engine.Observation{At: t0.Add(time.Duration(sec) * time.Second), OK: true, Applied: int32(sec)}
}

func TestRing(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		pushes   int
		wantCap  int
		// wantFirst is the Applied of the oldest observation kept.
		wantFirst int32
	}{
		{"empty", 3, 0, 3, 0},
		{"partly filled", 3, 2, 3, 0},
		{"exactly full", 3, 3, 3, 0},
		{"wrapped once", 3, 4, 3, 1},
		{"wrapped many times", 3, 11, 3, 8},
		{"capacity below 1 becomes 1", 0, 5, 1, 4},
		{"capacity 1 wrapped", 1, 9, 1, 8},
		{"growing, not full", 600, 300, 600, 0},
		{"moved to a new array many times", 600, 5000, 600, 4400},
		{"moved at the last push", 16, 16 + 16/8 + 1, 16, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := engine.NewRing(tt.capacity)
			for i := 0; i < tt.pushes; i++ {
				r.Push(obsAt(i))
			}
			if r.Cap() != tt.wantCap {
				t.Errorf("Cap() = %d, want %d", r.Cap(), tt.wantCap)
			}
			wantLen := min(tt.pushes, tt.wantCap)
			if r.Len() != wantLen {
				t.Fatalf("Len() = %d, want %d", r.Len(), wantLen)
			}
			s := r.Slice()
			if len(s) != wantLen {
				t.Fatalf("len(Slice()) = %d, want %d", len(s), wantLen)
			}
			for i, o := range s {
				if want := tt.wantFirst + int32(i); o.Applied != want || r.At(i).Applied != want {
					t.Errorf("Slice()[%d].Applied = %d, At(%d).Applied = %d, want %d (oldest first)", i, o.Applied, i, r.At(i).Applied, want)
				}
			}
			if last, ok := r.Last(); ok != (wantLen > 0) || (ok && last.Applied != int32(tt.pushes-1)) {
				t.Errorf("Last() = %d, %v, want %d, %v", last.Applied, ok, tt.pushes-1, wantLen > 0)
			}
			if v := r.View(); len(v) != wantLen || cap(v) != wantLen || (wantLen > 0 && v[0].Applied != tt.wantFirst) {
				t.Errorf("View() has len %d, cap %d, want both %d, oldest first", len(v), cap(v), wantLen)
			}
			if len(s) > 0 {
				s[0].Applied = -99 // a copy: the ring must not change
				if r.At(0).Applied == -99 {
					t.Error("Slice() shares memory with the ring")
				}
			}
		})
	}
}

// TestRingViewsNeverChange checks that a view stays what it was while the
// ring goes on (a policy reads it without a lock while others push), and
// that taking one copies nothing.
func TestRingViewsNeverChange(t *testing.T) {
	for _, capacity := range []int{1, 2, 3, 16, 200} {
		r := engine.NewRing(capacity)
		type held struct{ view, copy []engine.Observation }
		var views []held
		for i := range 5 * capacity {
			r.Push(obsAt(i))
			views = append(views, held{r.View(), r.Slice()})
		}
		for i, h := range views {
			for j := range h.copy {
				if h.view[j] != h.copy[j] {
					t.Fatalf("capacity %d: the view taken after push %d changed at %d: Applied %d, was %d", capacity, i+1, j, h.view[j].Applied, h.copy[j].Applied)
				}
			}
		}
		if n := testing.AllocsPerRun(100, func() { _ = r.View() }); n != 0 {
			t.Errorf("capacity %d: View() allocates %v times", capacity, n)
		}
	}
}

// TestRingKeepsOneCopyOfARepeatedReason checks that observations whose
// reason (or version) repeats the previous one's share its string, and
// that the others keep their own.
func TestRingKeepsOneCopyOfARepeatedReason(t *testing.T) {
	r := engine.NewRing(10)
	for i, reason := range []string{"holding at 2", "holding at 2", "holding at 2", "17 messages", "holding at 2"} {
		o := obsAt(i)
		o.Decision.Reason = strings.Clone(reason)  // a new string every poll, as fmt.Sprintf makes
		o.Scale.Version = strconv.Itoa(1000 + i/3) // a new string too
		r.Push(o)
	}
	v := r.View()
	same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
	for _, tt := range []struct {
		i, j int
		want bool
	}{{0, 1, true}, {1, 2, true}, {2, 3, false}, {3, 4, false}} {
		if got := same(v[tt.i].Decision.Reason, v[tt.j].Decision.Reason); got != tt.want {
			t.Errorf("reasons %d and %d (%q, %q) share a string: %v, want %v", tt.i, tt.j, v[tt.i].Decision.Reason, v[tt.j].Decision.Reason, got, tt.want)
		}
		if got, want := same(v[tt.i].Scale.Version, v[tt.j].Scale.Version), tt.j != 3; got != want {
			t.Errorf("versions %d and %d share a string: %v, want %v", tt.i, tt.j, got, want)
		}
	}
	if v[4].Decision.Reason != "holding at 2" || v[3].Decision.Reason != "17 messages" || v[3].Scale.Version != "1001" {
		t.Errorf("the values changed: %+v", v)
	}
}

// TestRingGrowsAsItFills checks that a ring takes memory for what it holds,
// not for its capacity: a fleet starts a thousand of them.
func TestRingGrowsAsItFills(t *testing.T) {
	const rings = 100
	one := uint64(unsafe.Sizeof(engine.Observation{}))
	for _, pushes := range []int{0, 1, 10, 200, engine.DefaultHistorySize} {
		var before, after runtime.MemStats
		keep := make([]*engine.Ring, rings)
		runtime.ReadMemStats(&before)
		for i := range keep {
			keep[i] = engine.NewRing(engine.DefaultHistorySize)
			for j := range pushes {
				keep[i].Push(obsAt(j))
			}
		}
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(keep)
		// The array doubles as it fills, from 8: all the arrays together
		// hold at most 4 times what the ring does.
		limit := 64 + 4*one*uint64(max(pushes, 8))
		if got := (after.TotalAlloc - before.TotalAlloc) / rings; got > limit {
			t.Errorf("a ring of %d after %d pushes allocated %d bytes, want at most %d (observations of %d bytes)",
				engine.DefaultHistorySize, pushes, got, limit, one)
		}
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestRingBoundedOverAWeek pushes one observation a second for a simulated
// week (each with its own reason string, as the controller does) and checks
// that the ring never grows and the heap does not either.
func TestRingBoundedOverAWeek(t *testing.T) {
	const week = 7 * 24 * 3600
	r := engine.NewRing(engine.DefaultHistorySize)
	var afterHour uint64
	for i := 0; i < week; i++ {
		o := obsAt(i)
		o.Decision.Reason = string(make([]byte, 64))
		r.Push(o)
		if r.Len() > r.Cap() || r.Cap() != engine.DefaultHistorySize {
			t.Fatalf("after %d pushes Len() = %d, Cap() = %d, want <= %d", i+1, r.Len(), r.Cap(), engine.DefaultHistorySize)
		}
		if i == 3600 {
			afterHour = heapInUse()
		}
	}
	afterWeek := heapInUse()
	if afterWeek > 2*afterHour+1<<20 {
		t.Errorf("heap in use %d bytes after a week, %d after an hour: want < 2x + 1 MB", afterWeek, afterHour)
	}
	if last := r.At(r.Len() - 1); last.Applied != int32(week-1) {
		t.Errorf("the newest Applied = %d, want %d", last.Applied, week-1)
	}
}

// TestControllerHistoryBounded drives a real controller polling every second
// (in virtual time) and checks that the history, the event log and the heap
// stay bounded. The controller copies its history on every poll, so the run
// is shorter than a week; the ring itself is tested over a week above.
func TestControllerHistoryBounded(t *testing.T) {
	const hours = 2
	cfg := engine.DefaultConfig()
	cfg.PollInterval = time.Second
	cfg.MaxReplicas = 40
	cfg.HistorySize = 300
	cfg.Policy = "seed" // changes size whenever ceil(messages / target) does
	clock := engine.NewManualClock(t0)
	src := &fakeQueue{}
	sc := newFakeScaler(1)
	ctl := mustNew(t, engine.Options{Config: cfg, Source: src, Scaler: sc, Clock: clock, Mode: engine.ModeAuto})
	ctx := context.Background()
	var afterHour uint64
	for i := 0; i < hours*3600; i++ {
		// A sawtooth load makes the controller scale (and log) all the time.
		src.set(engine.QueueStats{Messages: int64(i%600) * 3, Ready: int64(i%600) * 3})
		s := ctl.Poll(ctx)
		if len(s.History) > cfg.HistorySize {
			t.Fatalf("poll %d: len(History) = %d, want <= %d", i, len(s.History), cfg.HistorySize)
		}
		if len(s.Events) > 200 {
			t.Fatalf("poll %d: len(Events) = %d, want a bounded log", i, len(s.Events))
		}
		clock.Advance(time.Second)
		if i == 3600 {
			afterHour = heapInUse()
		}
	}
	if n := sc.setCount(); n < 100 {
		t.Fatalf("only %d scale changes: the load did not exercise the controller", n)
	}
	s := ctl.Snapshot()
	if len(s.History) != cfg.HistorySize {
		t.Errorf("len(History) = %d, want full at %d", len(s.History), cfg.HistorySize)
	}
	after := heapInUse()
	if after > 2*afterHour+1<<20 {
		t.Errorf("heap in use %d bytes after %d h, %d after 1 h: want < 2x + 1 MB", after, hours, afterHour)
	}
}
