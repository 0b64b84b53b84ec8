package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

// TestWatchPods: a console that watches the pods gets them in every poll's
// snapshot (observed once a poll, with the proposed scale-down); not
// watched, polls do not observe them; without a chooser the view says why,
// naming every cause (a fleet target of a queue pattern has one now, so it
// is none).
func TestWatchPods(t *testing.T) {
	tests := []struct {
		name     string
		watch    bool
		chooser  bool
		observed int
		wantDown int32  // -2: no view
		wantErr  string // a part of the view's error; "": none
	}{
		{"watched", true, true, 2, 5, ""},
		{"not watched", false, true, 0, -2, ""},
		{"watched, no chooser", true, false, 0, 5, "pod choice is off (--pod-choice=false, or no pod rights)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig("seed"), engine.ModeManual)
			r.src.set(engine.QueueStats{Messages: 1250, Ready: 1250, Consumers: 10}) // 5 wanted
			r.sc.change(10)
			obs := &fakeObserver{fakeChooser: fakeChooser{sc: r.sc}, idle: []int{3}}
			if tt.chooser {
				r.ctl.SetPodChooser(obs)
			}
			r.ctl.WatchPods(tt.watch)
			var s engine.Snapshot
			for range 2 {
				s = r.ctl.Poll(context.Background())
			}
			if obs.observed != tt.observed {
				t.Errorf("observed %d times in 2 polls, want %d", obs.observed, tt.observed)
			}
			switch v := s.Pods; {
			case tt.wantDown == -2 && v != nil:
				t.Errorf("pods %+v, want none", v)
			case tt.wantDown == -2:
			case v == nil:
				t.Fatal("no pods in the snapshot")
			case v.Down != tt.wantDown || (v.Err == "") != (tt.wantErr == "") || !strings.Contains(v.Err, tt.wantErr) || tt.wantErr == "" && v.Idle() != 3:
				t.Errorf("pods %+v: want down %d, the error %q, 3 idle", v, tt.wantDown, tt.wantErr)
			}
		})
	}
}
