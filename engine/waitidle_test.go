package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// fakeObserver is a chooser that also observes: its pods have idle[i] idle
// pods out of ten at its i-th observation (the last value repeats), or
// fail with err.
type fakeObserver struct {
	fakeChooser
	idle     []int
	err      error
	observed int
}

func (f *fakeObserver) ObservePods(context.Context) ([]engine.PodState, error) {
	f.observed++
	if f.err != nil {
		return nil, f.err
	}
	idle := f.idle[min(f.observed, len(f.idle))-1]
	var pods []engine.PodState
	for i := range 10 {
		p := engine.PodState{Name: fmt.Sprintf("w-%d", i), Mapped: true}
		if i >= idle {
			p.Unacked = i
		}
		pods = append(pods, p)
	}
	return pods, nil
}

// TestScaleInWaitIdle checks --scale-in-wait-idle on a fake clock: a
// scale-down of 10 -> 5 waits, poll after poll, until 5 pods are idle, for
// at most the setting since it was first proposed; a scale-up, a scale-down
// whose pods cannot be seen, and the setting off are never held.
func TestScaleInWaitIdle(t *testing.T) {
	type poll struct {
		want   int32  // replicas after the poll
		reason string // a fragment of the decision's reason
	}
	holding := func(idle int, left string) poll {
		return poll{10, fmt.Sprintf("holding scale-down 10 → 5: %d of 5 pods idle, up to %s more", idle, left)}
	}
	tests := []struct {
		name     string
		wait     time.Duration
		from     int32
		idle     []int
		err      error
		polls    []poll // 30 s apart
		observed int
	}{
		{"enough idle: at once", 2 * time.Minute, 10, []int{5}, nil, []poll{{5, "= 5"}}, 1},
		{"held until idle", 2 * time.Minute, 10, []int{3, 4, 5},
			nil, []poll{holding(3, "2m0s"), holding(4, "1m30s"), {5, "= 5"}}, 3},
		{"held to the limit, then anyway", 2 * time.Minute, 10, []int{3},
			nil, []poll{holding(3, "2m0s"), holding(3, "1m30s"), holding(3, "1m0s"), holding(3, "30s"),
				{5, "waited 2m0s for idle pods (3 of 5 idle): scaling anyway"}}, 5},
		{"never a scale-up", 2 * time.Minute, 2, []int{0}, nil, []poll{{5, "= 5"}}, 0},
		{"pods not mapped: not held", 2 * time.Minute, 10, []int{0},
			fmt.Errorf("%w: no names", engine.ErrNotMapped), []poll{{5, "= 5"}}, 1},
		{"off by default", 0, 10, []int{0}, nil, []poll{{5, "= 5"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig("seed")
			cfg.ScaleDownWindow, cfg.ScaleInWaitIdle = 0, tt.wait
			r := newRig(t, cfg, engine.ModeAuto)
			r.src.set(engine.QueueStats{Messages: 1250, Ready: 1250, Consumers: 10}) // 5 replicas wanted
			r.sc.change(tt.from)
			obs := &fakeObserver{fakeChooser: fakeChooser{sc: r.sc}, idle: tt.idle, err: tt.err}
			r.ctl.SetPodChooser(obs)
			for i, p := range tt.polls {
				s := r.ctl.Poll(context.Background())
				if s.Scale.Desired != p.want || !strings.Contains(s.Decision.Reason, p.reason) {
					t.Fatalf("poll %d: %d replicas (%q), want %d and %q", i, s.Scale.Desired, s.Decision.Reason, p.want, p.reason)
				}
				r.clock.Advance(30 * time.Second)
			}
			if obs.observed != tt.observed {
				t.Errorf("observed the pods %d times, want %d (once a poll, and only for a scale-down)", obs.observed, tt.observed)
			}
		})
	}
}

// TestScaleInWaitIdleAcrossOnce checks that successive --once runs (a new
// controller each, sharing a memory) hold a scale-down as one controller
// would: the second run counts from the first run's proposal, and a failed
// poll in between does not restart the count.
func TestScaleInWaitIdleAcrossOnce(t *testing.T) {
	cfg := testConfig("seed")
	cfg.ScaleDownWindow, cfg.ScaleInWaitIdle = 0, 2*time.Minute
	mem := &memStore{}
	clock := engine.NewManualClock(t0)
	sc := newFakeScaler(10)
	src := &fakeQueue{stats: engine.QueueStats{Messages: 1250, Ready: 1250, Consumers: 10}}
	wants := []string{"up to 2m0s more", "", "up to 1m0s more", "up to 30s more", "waited 2m0s"}
	for i, want := range wants {
		ctl := mustNew(t, engine.Options{Config: cfg, Source: src, Scaler: sc, Clock: clock, Mode: engine.ModeAuto, Memory: mem})
		ctl.SetPodChooser(&fakeObserver{fakeChooser: fakeChooser{sc: sc}, idle: []int{1}})
		src.setFail(nil)
		if want == "" {
			src.setFail(fmt.Errorf("%w: broker down", engine.ErrUnavailable))
		}
		s := ctl.PollAs(context.Background(), "once")
		if want != "" && !strings.Contains(s.Decision.Reason, want) {
			t.Fatalf("run %d: %q, want %q", i, s.Decision.Reason, want)
		}
		clock.Advance(30 * time.Second)
	}
	if d, _, _, _ := sc.state(); d != 5 {
		t.Errorf("replicas %d, want 5 once the wait is over", d)
	}
}
