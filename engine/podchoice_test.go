package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// fakeChooser records its calls and how many SetScale calls the scaler had
// seen at each (so that a call after the scale is told apart).
type fakeChooser struct {
	sc      *fakeScaler
	errs    []error
	calls   [][2]int32
	setsAt  []int
	applied []bool
}

func (f *fakeChooser) PrepareScaleDown(_ context.Context, from, to int32) (engine.PodChoice, error) {
	f.calls = append(f.calls, [2]int32{from, to})
	f.setsAt = append(f.setsAt, f.sc.setCount())
	var err error
	if len(f.errs) > 0 {
		err, f.errs = f.errs[0], f.errs[1:]
	}
	if err != nil {
		return engine.PodChoice{}, err
	}
	return engine.PodChoice{Idle: 1, Busy: 1, Remove: []string{"w-1"}, After: func(ok bool) { f.applied = append(f.applied, ok) }}, nil
}

// TestScaleDownChoosesPodsFirst checks that every scale-down asks the
// chooser before SetScale, that a scale-up does not, that consumers not
// mapped are said once (NoPodChoice) while the scale goes ahead, and that a
// chooser without pod permissions is dropped after one warning.
func TestScaleDownChoosesPodsFirst(t *testing.T) {
	notMapped := fmt.Errorf("%w: no consumer named after a pod", engine.ErrNotMapped)
	off := fmt.Errorf("%w: pods is forbidden", engine.ErrPodChoiceOff)
	tests := []struct {
		name      string
		errs      []error
		wantCalls int // over three scale-downs
		wantSaid  int // events saying NoPodChoice
		wantOff   int // events saying the choice is off
		wantAfter int
	}{
		{"mapped", nil, 3, 0, 0, 3},
		{"not mapped, said once", []error{notMapped, notMapped, notMapped}, 3, 1, 0, 0},
		{"not mapped, then mapped, then not: said twice", []error{notMapped, nil, notMapped}, 3, 2, 0, 1},
		{"no permission: dropped", []error{off}, 1, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig("seed"), engine.ModeAuto) // 17 replicas wanted
			fc := &fakeChooser{sc: r.sc, errs: tt.errs}
			r.ctl.SetPodChooser(fc)
			ctx := context.Background()
			// A scale-up first (no choice), then three scale-downs to 17.
			for _, n := range []int32{5, 30, 25, 20} {
				r.sc.change(n)
				r.clock.Advance(10 * time.Minute)
				if s := r.ctl.Poll(ctx); s.Scale.Desired != 17 && s.Decision.Desired != 17 {
					t.Fatalf("from %d: decided %d (%s), want 17", n, s.Decision.Desired, s.Decision.Reason)
				}
			}
			if len(fc.calls) != tt.wantCalls {
				t.Fatalf("chooser called %d times (%v), want %d", len(fc.calls), fc.calls, tt.wantCalls)
			}
			for i, at := range fc.setsAt {
				if at != i+1 {
					t.Errorf("call %d came after %d SetScale calls, want %d (before its own scale)", i, at, i+1)
				}
			}
			if fc.calls[0] != [2]int32{30, 17} {
				t.Errorf("first call %v, want 30 -> 17", fc.calls[0])
			}
			// Each is said once as an event of its own and once in the
			// reason of the scale it concerns.
			said, offs, inScale := 0, 0, 0
			for _, e := range r.ctl.Snapshot().Events {
				if e.Kind == engine.EventScale {
					inScale += strings.Count(e.Message, engine.NoPodChoice) + strings.Count(e.Message, "without pod choice from now on")
					continue
				}
				said += strings.Count(e.Message, engine.NoPodChoice)
				offs += strings.Count(e.Message, "without pod choice from now on")
			}
			if inScale != said+offs {
				t.Errorf("scale reasons say it %d times, events %d", inScale, said+offs)
			}
			if said != tt.wantSaid || offs != tt.wantOff || len(fc.applied) != tt.wantAfter {
				t.Errorf("said %q %d times, off %d, after %d; want %d, %d, %d", engine.NoPodChoice, said, offs, len(fc.applied), tt.wantSaid, tt.wantOff, tt.wantAfter)
			}
			if d, _, _, _ := r.sc.state(); d != 17 {
				t.Errorf("replicas %d, want 17: a failed choice must not stop the scale", d)
			}
		})
	}
}

func TestChoosePods(t *testing.T) {
	idle := engine.PodState{Name: "idle", Mapped: true}
	unmapped := engine.PodState{Name: "starting"}
	busy := engine.PodState{Name: "busy", Mapped: true, Unacked: 3}
	states := []engine.PodState{idle, unmapped, busy}
	for _, tc := range []struct {
		n      int
		remove []string
	}{
		{0, nil},
		{1, []string{"idle"}},
		{2, []string{"idle", "starting"}},
		{5, []string{"idle", "starting", "busy"}},
	} {
		got := engine.ChoosePods(states, tc.n)
		if got.Idle != 1 || got.Busy != 1 || fmt.Sprint(got.Remove) != fmt.Sprint(tc.remove) {
			t.Errorf("ChoosePods(%d) = %+v, want 1 idle, 1 busy (the unmapped pod counted as neither), removing %v", tc.n, got, tc.remove)
		}
	}
}

func TestSortForRemoval(t *testing.T) {
	states := []engine.PodState{
		{Name: "busy3", Mapped: true, Unacked: 3}, {Name: "starting"}, {Name: "busy1", Mapped: true, Unacked: 1},
		{Name: "idle", Mapped: true}, {Name: "huge1", Mapped: true, Unacked: 5e6}, {Name: "huge2", Mapped: true, Unacked: 2e6},
	}
	engine.SortForRemoval(states, func(st engine.PodState) engine.PodState { return st })
	var got []string
	for _, st := range states {
		got = append(got, st.Name)
	}
	// Above MaxRankedUnacked busy pods rank alike and keep their order.
	if want := "[idle starting busy1 busy3 huge1 huge2]"; fmt.Sprint(got) != want {
		t.Errorf("order %v, want %s", got, want)
	}
}
