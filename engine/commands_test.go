package engine_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

// TestConcurrentTogglesAllCount checks that Toggle is one step: n quick
// toggles of dry-run from many goroutines leave the mode as n's parity
// says, and log one mode change each.
func TestConcurrentTogglesAllCount(t *testing.T) {
	for _, n := range []int{1, 2, 63, 64, 501, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r := newRig(t, testConfig("seed"), engine.ModeManual)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					r.ctl.Toggle(engine.ModeDryRun, "operator")
				}()
			}
			close(start)
			wg.Wait()
			want := engine.ModeManual
			if n%2 == 1 {
				want = engine.ModeDryRun
			}
			s := r.ctl.Snapshot()
			if s.Mode != want {
				t.Errorf("after %d toggles the mode is %v, want %v", n, s.Mode, want)
			}
			if got := countEvents(s, engine.EventConfig); got != min(n, 200) {
				t.Errorf("%d mode-change events after %d toggles, want one each", got, n)
			}
		})
	}
}

// TestConcurrentAdjustmentsAllCount checks that relative clamp and target
// steps are computed under the lock: n concurrent "max +1" steps raise the
// maximum by n, whatever the order they run in.
func TestConcurrentAdjustmentsAllCount(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeManual) // [1, 40], target 250
	const n = 50
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			if err := r.ctl.AdjustClamp(0, 1, "operator"); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			<-start
			if err := r.ctl.AdjustTarget(func(cur int64) int64 { return cur + 10 }, "operator"); err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	c := r.ctl.Snapshot().Config
	if c.MaxReplicas != 40+n || c.MinReplicas != 1 || c.TargetMessages != 250+10*n {
		t.Errorf("clamp [%d, %d] target %d, want [1, %d] target %d", c.MinReplicas, c.MaxReplicas, c.TargetMessages, 40+n, 250+10*n)
	}
	if err := r.ctl.AdjustClamp(-2, 0, "operator"); err == nil {
		t.Error("AdjustClamp to a negative minimum was accepted")
	}
}

// TestSnapshotCopiesAreIndependent checks that every delivered snapshot,
// the first one of a subscription included, owns its History, Events and
// Errors: a consumer that changes them changes neither another
// subscriber's copy nor what Snapshot returns.
func TestSnapshotCopiesAreIndependent(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeManual)
	r.src.setFail(fmt.Errorf("broker down: %w", engine.ErrUnavailable))
	r.ctl.Poll(context.Background()) // one error counted, one event, one observation
	tests := []struct {
		name   string
		mutate func(s *engine.Snapshot)
		check  func(s engine.Snapshot) bool // true when s is intact
	}{
		{"Errors", func(s *engine.Snapshot) { s.Errors["unavailable"] = 99; s.Errors["other"] = 7 },
			func(s engine.Snapshot) bool { return s.Errors["unavailable"] == 1 && s.Errors["other"] == 0 }},
		{"History", func(s *engine.Snapshot) { s.History[0].Applied = -5 },
			func(s engine.Snapshot) bool { return s.History[0].Applied == 2 }},
		{"Events", func(s *engine.Snapshot) { s.Events[0].Message = "mutated" },
			func(s engine.Snapshot) bool { return s.Events[0].Message != "mutated" }},
	}
	for _, tt := range tests {
		t.Run(tt.name+" of the first delivery", func(t *testing.T) {
			a, stopA := r.ctl.Subscribe()
			defer stopA()
			b, stopB := r.ctl.Subscribe()
			defer stopB()
			sa := <-a
			tt.mutate(&sa)
			if !tt.check(<-b) || !tt.check(r.ctl.Snapshot()) {
				t.Errorf("changing the first delivery's %s changed another copy", tt.name)
			}
		})
		t.Run(tt.name+" of a published snapshot", func(t *testing.T) {
			a, stopA := r.ctl.Subscribe()
			defer stopA()
			b, stopB := r.ctl.Subscribe()
			defer stopB()
			<-a
			<-b
			r.ctl.SetMode(engine.ModeDryRun, "test")
			r.ctl.SetMode(engine.ModeManual, "test")
			sa := <-a
			tt.mutate(&sa)
			if !tt.check(<-b) || !tt.check(r.ctl.Snapshot()) {
				t.Errorf("changing a delivered snapshot's %s changed another copy", tt.name)
			}
			s := r.ctl.Snapshot()
			tt.mutate(&s)
			if !tt.check(r.ctl.Snapshot()) {
				t.Errorf("changing Snapshot()'s %s changed the controller's", tt.name)
			}
		})
	}
}
