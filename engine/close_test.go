package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestApprovalAfterCloseIsRefused checks that nothing starts once Close
// was called: an approval (the console's "a" right before its "q") is
// refused without touching the deployment, a poll does no I/O, and Run
// returns.
func TestApprovalAfterCloseIsRefused(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeManual)
	r.ctl.Poll(context.Background()) // 2 -> 17 pending
	r.ctl.Close()
	if err := r.ctl.Approve(context.Background(), "operator"); !errors.Is(err, engine.ErrRefused) {
		t.Errorf("Approve after Close = %v, want ErrRefused", err)
	}
	_, gets, sets, _ := r.sc.state()
	r.ctl.Poll(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.ctl.Run(ctx); !errors.Is(err, engine.ErrRefused) {
		t.Errorf("Run after Close = %v, want a refusal", err)
	}
	if _, gets2, sets2, _ := r.sc.state(); sets2 != sets || sets != 0 || gets2 != gets {
		t.Errorf("after Close: SetScale %d calls, GetScale %d -> %d; want no I/O", sets2, gets, gets2)
	}
}

// TestApprovalRacingClose calls Approve right after Close started, many
// times: either the approval is refused and changes nothing, or it
// completes (update, history, event) before Close returns. Never half.
func TestApprovalRacingClose(t *testing.T) {
	for i := range 200 {
		r := newRig(t, testConfig("seed"), engine.ModeManual)
		r.ctl.Poll(context.Background()) // 2 -> 17 pending
		var closeReturned, lateSet atomic.Bool
		r.sc.beforeSet = func(*fakeScaler) {
			if closeReturned.Load() {
				lateSet.Store(true)
			}
		}
		closeDone := make(chan struct{})
		approved := make(chan error, 1)
		go func() {
			r.ctl.Close()
			closeReturned.Store(true)
			close(closeDone)
		}()
		go func() { approved <- r.ctl.Approve(context.Background(), "operator") }()
		<-closeDone
		// What Close left behind must be whole: a change with its history
		// and its event, or nothing.
		s := r.ctl.Snapshot()
		desired, _, sets, _ := r.sc.state()
		changed := desired == 17 && sets == 1
		recorded := s.History[len(s.History)-1].Applied == 17 && countEvents(s, engine.EventScale) == 1
		if changed != recorded || (!changed && (desired != 2 || sets != 0)) {
			t.Fatalf("run %d: when Close returned the deployment was at %d after %d updates, history/event recorded: %v", i, desired, sets, recorded)
		}
		err := <-approved
		switch {
		case lateSet.Load():
			t.Fatalf("run %d: an update started after Close returned", i)
		case err == nil && !changed:
			t.Fatalf("run %d: Approve succeeded after Close returned", i)
		case err != nil && (!errors.Is(err, engine.ErrRefused) || changed):
			t.Fatalf("run %d: Approve = %v with the deployment changed: %v", i, err, changed)
		}
	}
}

// TestApprovalWithADoneContextIsRefused checks that approve honours its
// context before it starts: the console's "a" and "q" in one batch cancel
// the context the approval runs with.
func TestApprovalWithADoneContextIsRefused(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeManual)
	r.ctl.Poll(context.Background())
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("operator quit"))
	err := r.ctl.Approve(ctx, "operator")
	if !errors.Is(err, engine.ErrRefused) || !strings.Contains(err.Error(), "operator quit") {
		t.Errorf("Approve with a done context = %v, want a refusal giving the cause", err)
	}
	if _, gets, sets, _ := r.sc.state(); sets != 0 || gets != 1 {
		t.Errorf("GetScale %d, SetScale %d calls: want none after the poll's read", gets, sets)
	}
}
