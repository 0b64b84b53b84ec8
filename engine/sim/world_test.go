package sim

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

func intp(n int) *int { return &n }

// expectedArrivals counts the arrivals of second t of a scenario without
// Poisson segments, by the formula of scenarios/README.md.
func expectedArrivals(sc Scenario, t int) int {
	n := 0
	for _, a := range sc.Arrivals {
		switch {
		case a.IsBurst():
			if *a.AtS == t {
				n += a.Count
			}
		case t >= *a.FromS && t < *a.ToS:
			k := float64(t - *a.FromS)
			n += int(math.Floor(a.RatePerS*(k+1)) - math.Floor(a.RatePerS*k))
		}
	}
	return n
}

// setTo scales w to n through the Scaler interface, as the controller does.
func setTo(t *testing.T, w *World, n int32) {
	t.Helper()
	s, _ := w.GetScale(context.Background())
	if err := w.SetScale(context.Background(), engine.ScaleRequest{From: s, Replicas: n}); err != nil {
		t.Fatalf("SetScale(%d): %v", n, err)
	}
}

// TestWorldLosesNoMessage steps worlds through scale-ups and scale-downs
// (to zero, and while pods are starting or busy) and recounts, after every
// second, every message from its own timestamps: acknowledged + unacked +
// ready equals what was published, and all of it is done by the end.
func TestWorldLosesNoMessage(t *testing.T) {
	// scale[t] is the size set during second t.
	plan := map[int]int32{10: 8, 12: 4, 25: 12, 40: 1, 41: 6, 60: 0, 80: 3, 100: 20, 130: 2, 200: 10}
	tests := []struct {
		name  string
		sc    Scenario
		exact bool // no randomness: published is checked against the formula
	}{
		{"fixed, bursts and a segment", Scenario{DurationS: 1500, ServiceTimeS: 1.5, ServiceJitter: "fixed", WorkerConcurrency: 1, PodStartupS: 7, StatsIntervalS: 5,
			Arrivals: []Arrival{{AtS: intp(0), Count: 1000}, {AtS: intp(41), Count: 500}, {FromS: intp(5), ToS: intp(300), RatePerS: 2.7}}}, true},
		{"exponential, poisson, concurrency 3", Scenario{DurationS: 1500, ServiceTimeS: 2, ServiceJitter: "exponential", WorkerConcurrency: 3, PodStartupS: 20, StatsIntervalS: 3,
			Arrivals: []Arrival{{AtS: intp(3), Count: 800}, {FromS: intp(0), ToS: intp(400), RatePerS: 4, Poisson: true}}}, false},
		{"slow service, no startup", Scenario{DurationS: 2500, ServiceTimeS: 13.3, ServiceJitter: "fixed", WorkerConcurrency: 2, PodStartupS: 0, StatsIntervalS: 1,
			Arrivals: []Arrival{{AtS: intp(0), Count: 900}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.sc.Validate(); err != nil {
				t.Fatal(err)
			}
			w := NewWorld(tt.sc, 2)
			published := 0
			for sec := 0; sec < tt.sc.DurationS; sec++ {
				w.Begin()
				if n, ok := plan[sec]; ok {
					setTo(t, w, n)
				}
				w.Work()
				if tt.exact {
					published += expectedArrivals(tt.sc, sec)
				} else {
					published = len(w.msgs)
				}
				var acked, unacked, ready int64
				for _, m := range w.msgs {
					switch {
					case m.start < 0:
						ready++
					case m.finish <= float64(sec):
						acked++
					default:
						unacked++
					}
				}
				if acked+unacked+ready != int64(published) || len(w.msgs) != published {
					t.Fatalf("t=%d: acked %d + unacked %d + ready %d != published %d (world holds %d)", sec, acked, unacked, ready, published, len(w.msgs))
				}
				if acked != w.acked || ready != int64(len(w.msgs)-w.next) || unacked != int64(w.next)-w.acked {
					t.Fatalf("t=%d: world counts acked %d ready %d unacked %d, recount %d %d %d", sec, w.acked, len(w.msgs)-w.next, int64(w.next)-w.acked, acked, ready, unacked)
				}
				if o := w.observed; o.Messages != o.Ready+o.Unacked || o.Ready < 0 || o.Unacked < 0 {
					t.Fatalf("t=%d: observed %+v", sec, o)
				}
			}
			if r := w.score(); r.Unprocessed != 0 {
				t.Errorf("unprocessed = %d at the end, want 0", r.Unprocessed)
			}
			// FIFO: messages start in arrival order.
			for i := 1; i < len(w.msgs); i++ {
				if w.msgs[i].start < w.msgs[i-1].start || w.msgs[i].arrival < w.msgs[i-1].arrival {
					t.Fatalf("message %d (arrived %v, started %v) is out of order with message %d (%v, %v)",
						i, w.msgs[i].arrival, w.msgs[i].start, i-1, w.msgs[i-1].arrival, w.msgs[i-1].start)
				}
			}
		})
	}
}

func TestWorldScaleDown(t *testing.T) {
	sc := Scenario{DurationS: 600, ServiceTimeS: 1.5, ServiceJitter: "fixed", WorkerConcurrency: 1, PodStartupS: 20, StatsIntervalS: 5,
		Arrivals: []Arrival{{AtS: intp(0), Count: 1000}}}
	w := NewWorld(sc, 3)
	step := func(to int, at map[int]func()) {
		for w.Now() < to {
			w.Begin()
			if f, ok := at[w.t]; ok {
				f()
			}
			w.Work()
		}
	}
	scale := func() engine.Scale { s, _ := w.GetScale(context.Background()); return s }

	step(100, map[int]func(){
		10: func() { setTo(t, w, 5) }, // pods 3 and 4 start, running at 30
		12: func() {
			setTo(t, w, 3) // the two starting pods vanish at once
			for _, i := range []int{3, 4} {
				if p := w.pods[i]; !p.terminating || p.end != 12 {
					t.Errorf("starting pod %d: terminating=%v end=%v, want gone at 12", i, p.terminating, p.end)
				}
			}
			for _, i := range []int{0, 1, 2} {
				if !w.pods[i].alive() {
					t.Errorf("running pod %d was removed instead of a starting one", i)
				}
			}
			if s := scale(); s.Desired != 3 || s.Current != 3 || s.Ready != 3 {
				t.Errorf("after removing starting pods: %+v, want 3/3/3", s)
			}
		},
		40: func() {
			setTo(t, w, 1) // the newest running pods (2, 1) finish their message
			for _, i := range []int{1, 2} {
				p := w.pods[i]
				if !p.terminating || p.end <= 40 || p.end > 41.5 {
					t.Errorf("busy pod %d: terminating=%v end=%v, want it to end with its in-flight message in (40, 41.5]", i, p.terminating, p.end)
				}
				inflight := false
				for _, m := range w.msgs[:w.next] {
					if m.finish == p.end {
						inflight = true
					}
				}
				if !inflight {
					t.Errorf("busy pod %d ends at %v, when no message finishes", i, p.end)
				}
			}
			if !w.pods[0].alive() {
				t.Error("the oldest pod was removed")
			}
			if s := scale(); s.Desired != 1 {
				t.Errorf("after scaling to 1: %+v", s)
			}
		},
	})
	// From 43 on one pod works: 1.5 s a message, 20 messages in 30 s.
	before := w.next
	step(130, nil)
	if got := w.next - before; got != 20 {
		t.Errorf("%d messages started in 30 s with one pod, want 20", got)
	}
	step(140, map[int]func(){135: func() { setTo(t, w, 2) }})
	if len(w.pods) != 6 || !w.pods[5].alive() || w.pods[5].created != 135 {
		t.Errorf("scale-up did not add a new pod at 135: %d pods", len(w.pods))
	}
	if w.scaleEvents != 4 || w.reversals != 2 || w.maxSeen != 5 {
		t.Errorf("scale events %d, reversals %d, max seen %d; want 4, 2, 5", w.scaleEvents, w.reversals, w.maxSeen)
	}
	step(sc.DurationS, nil)
	r := w.score()
	// Pod-seconds: 3 and 4 lived 2 s each; 1 and 2 until their last message.
	want := 600.0 + 2 + 2 + w.pods[1].end + w.pods[2].end + (600 - 135)
	if math.Abs(r.PodSeconds-want) > 0.01 {
		t.Errorf("pod_seconds = %v, want %v", r.PodSeconds, want)
	}
}

func TestWorldSetScaleConflict(t *testing.T) {
	sc := Scenario{DurationS: 60, ServiceTimeS: 1, ServiceJitter: "fixed", WorkerConcurrency: 1, StatsIntervalS: 5, Arrivals: []Arrival{{AtS: intp(0), Count: 1}}}
	w := NewWorld(sc, 2)
	ctx := context.Background()
	s0, _ := w.GetScale(ctx)
	if err := w.SetScale(ctx, engine.ScaleRequest{From: s0, Replicas: 4}); err != nil {
		t.Fatal(err)
	}
	s1, _ := w.GetScale(ctx)
	if s1.Version == s0.Version || s1.Desired != 4 {
		t.Fatalf("after a change: %+v (before %+v), want 4 and a new version", s1, s0)
	}
	if err := w.SetScale(ctx, engine.ScaleRequest{From: s0, Replicas: 1}); !errors.Is(err, engine.ErrConflict) {
		t.Errorf("SetScale from a stale version = %v, want ErrConflict", err)
	}
	if s, _ := w.GetScale(ctx); s.Desired != 4 {
		t.Errorf("a refused SetScale changed the size to %d", s.Desired)
	}
	if err := w.SetScale(ctx, engine.ScaleRequest{Replicas: 3}); err != nil {
		t.Errorf("SetScale without a version = %v, want it applied", err)
	}
	if s, _ := w.GetScale(ctx); s.Desired != 3 {
		t.Errorf("size %d, want 3", s.Desired)
	}
	if err := w.SetScale(ctx, engine.ScaleRequest{From: engine.Scale{Version: strconv.Itoa(w.version)}, Replicas: 3}); err != nil || w.scaleEvents != 2 {
		t.Errorf("a no-op SetScale = %v with %d scale events, want nil and 2", err, w.scaleEvents)
	}
}

func TestDeterminism(t *testing.T) {
	for _, name := range []string{"burst-10k", "steady-noisy"} {
		sc := load(t, name)
		for _, policy := range []string{"seed", "hpa-keda", engine.DefaultPolicyName} {
			a, b := run(t, sc, policy), run(t, sc, policy)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s/%s: two runs differ:\n%+v\n%+v", name, policy, a, b)
			}
		}
	}
	sc := load(t, "steady-noisy")
	other := sc
	seed := *sc.Seed + 1
	other.Seed = &seed
	for _, policy := range []string{"seed", "hpa-keda", engine.DefaultPolicyName} {
		if a, b := run(t, sc, policy), run(t, other, policy); reflect.DeepEqual(a, b) {
			t.Errorf("steady-noisy/%s: seeds %d and %d give the same result %+v", policy, *sc.Seed, seed, a)
		}
	}
}

func TestRunTimeline(t *testing.T) {
	sc := load(t, "burst-10k")
	var rows []TimelineRow
	r, err := Run(context.Background(), sc, sc.Config(), Options{Timeline: func(row TimelineRow) { rows = append(rows, row) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != sc.DurationS {
		t.Fatalf("%d timeline rows, want %d", len(rows), sc.DurationS)
	}
	arrived := 0
	for i, row := range rows {
		arrived += row.Arrivals
		if row.T != i || row.Ready < 0 || row.Unacked < 0 || row.Ready+row.Unacked > arrived || int(row.Replicas) != row.Starting+row.Running || row.Replicas > r.MaxReplicasSeen {
			t.Fatalf("row %d inconsistent: %+v (arrived %d)", i, row, arrived)
		}
	}
	if arrived != 10000 || rows[0].Replicas != 2 {
		t.Errorf("arrived %d, first row %+v; want 10000 arrivals and 2 initial replicas", arrived, rows[0])
	}
	cfg := sc.Config()
	cfg.PollInterval = 1500 * time.Millisecond
	if _, err := Run(context.Background(), sc, cfg, Options{}); err == nil {
		t.Error("Run with a fractional poll interval succeeded")
	}
	cfg.PollInterval = 0
	if _, err := Run(context.Background(), sc, cfg, Options{}); err == nil {
		t.Error("Run with an invalid config succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, sc, sc.Config(), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context = %v", err)
	}
}

func TestLiveAdvancesWholeSeconds(t *testing.T) {
	sc := Scenario{DurationS: 3600, ServiceTimeS: 1, ServiceJitter: "fixed", WorkerConcurrency: 1, PodStartupS: 0, StatsIntervalS: 5,
		Arrivals: []Arrival{{AtS: intp(0), Count: 100}}}
	clock := engine.NewManualClock(Epoch)
	l := NewLive(sc, 0, clock)
	ctx := context.Background()
	steps := []struct {
		advance  time.Duration
		second   int
		messages int64 // observed: the broker refreshes at t = 4, 9, ...
	}{
		{0, 0, 0},
		{2500 * time.Millisecond, 2, 0},
		{400 * time.Millisecond, 2, 0},
		{100 * time.Millisecond, 3, 0},
		{999 * time.Millisecond, 3, 0},
		{time.Millisecond, 4, 100},
	}
	for i, st := range steps {
		clock.Advance(st.advance)
		if got := l.Second(); got != st.second {
			t.Fatalf("step %d: Second() = %d, want %d", i, got, st.second)
		}
		s, _ := l.Stats(ctx)
		if s.Messages != st.messages {
			t.Errorf("step %d (t=%d): observed %d messages, want %d", i, st.second, s.Messages, st.messages)
		}
	}
	// A change lands before the work of the current second: a pod added at
	// t=4 with no startup takes its first message at 4.0.
	s, _ := l.GetScale(ctx)
	if err := l.SetScale(ctx, engine.ScaleRequest{From: s, Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Second)
	if l.Second() != 14 {
		t.Fatalf("Second() = %d, want 14", l.Second())
	}
	if l.w.msgs[0].start != 4 || l.w.next != 10 {
		t.Errorf("first message started at %v, %d started by t=14; want 4 and 10", l.w.msgs[0].start, l.w.next)
	}
	// The refresh at t=14 follows the acknowledgement of the message
	// started at 13 and precedes the work of second 14.
	if s, _ := l.Stats(ctx); s.Messages != 90 || s.Ready != 90 || s.Unacked != 0 || s.Consumers != 1 {
		t.Errorf("at t=14: %+v, want 90 messages, 0 unacked, 1 consumer", s)
	}
}

// TestLiveRunsLongWithBoundedMemory drives a Live world for a simulated day
// with a real controller and checks the broker's counts stay consistent
// while the world forgets finished messages.
func TestLiveRunsLongWithBoundedMemory(t *testing.T) {
	sc := Demo()
	clock := engine.NewManualClock(Epoch)
	l := NewLive(sc, 2, clock)
	cfg := sc.Config()
	ctl, err := engine.New(engine.Options{Config: cfg, Source: l, Scaler: l, Clock: clock, Mode: engine.ModeAuto})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	maxMsgs, maxSeen := 0, int32(0)
	for sec := 15; sec <= 6*3600; sec += 15 {
		clock.Set(Epoch.Add(time.Duration(sec) * time.Second))
		snap := ctl.Poll(ctx)
		if snap.Err != nil {
			t.Fatalf("t=%d: %v", sec, snap.Err)
		}
		st := snap.Stats
		if st.Ready < 0 || st.Unacked < 0 || st.Messages != st.Ready+st.Unacked || st.Unacked > int64(st.Consumers)*int64(sc.WorkerConcurrency) {
			t.Fatalf("t=%d: inconsistent broker stats %+v", sec, st)
		}
		maxMsgs = max(maxMsgs, len(l.w.msgs))
		maxSeen = max(maxSeen, snap.Scale.Desired)
	}
	if maxSeen <= sc.Config().MinReplicas {
		t.Errorf("the controller never scaled up (max %d)", maxSeen)
	}
	// 6 h at ~3/s plus bursts is ~130,000 messages; compaction keeps far
	// fewer than that.
	if maxMsgs > 40000 {
		t.Errorf("the live world held up to %d messages: finished ones are not forgotten", maxMsgs)
	}
}
