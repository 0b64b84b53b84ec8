package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

func TestApproveFromManyGoroutinesAppliesOnce(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeManual)
	r.startRun(t)
	r.parked(t, 1, 1)
	if s := r.ctl.Snapshot(); !s.Pending || s.Proposed != 17 {
		t.Fatalf("after the first poll Pending=%v Proposed=%d, want a pending 17", s.Pending, s.Proposed)
	}
	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- r.ctl.Approve(context.Background(), "operator")
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, engine.ErrRefused):
			t.Errorf("Approve = %v, want nil or ErrRefused", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d Approves succeeded, want exactly 1", ok)
	}
	desired, _, _, applied := r.sc.state()
	if len(applied) != 1 || applied[0].Replicas != 17 || applied[0].By != "operator" || desired != 17 {
		t.Fatalf("applied %+v (deployment at %d), want one change to 17 by operator", applied, desired)
	}
	s := r.ctl.Snapshot()
	if s.Pending || s.Scale.Desired != 17 {
		t.Errorf("after Approve Pending=%v Scale.Desired=%d, want false, 17", s.Pending, s.Scale.Desired)
	}
	if s.Events[len(s.Events)-1].Kind != engine.EventScale {
		t.Errorf("events are not newest first (the apply came before the refusals): %+v", s.Events)
	}
	found := false
	for _, e := range s.Events {
		if e.Kind == engine.EventScale && e.By == "operator" && strings.Contains(e.Message, "2 -> 17") {
			found = true
		}
	}
	if !found {
		t.Errorf("no scale event by operator: %+v", s.Events)
	}
}

func TestApproveRefused(t *testing.T) {
	tests := []struct {
		name    string
		mode    engine.Mode
		setup   func(r *rig)
		message string // a fragment of the refusal
	}{
		{"before any poll", engine.ModeManual, func(r *rig) {}, "no poll yet"},
		{"nothing pending", engine.ModeManual, func(r *rig) {
			r.src.set(engine.QueueStats{Messages: 400, Ready: 400}) // ceil(400/250) = 2 = current
			r.ctl.Poll(context.Background())
		}, "nothing to approve: already at 2"},
		{"stale data", engine.ModeManual, func(r *rig) {
			r.ctl.Poll(context.Background())
			r.clock.Advance(31 * time.Second) // > 2 poll intervals
		}, "stale or failed"},
		{"failed poll", engine.ModeManual, func(r *rig) {
			r.ctl.Poll(context.Background())
			r.src.setFail(fmt.Errorf("management API: %w", engine.ErrUnavailable))
			r.clock.Advance(15 * time.Second)
			r.ctl.Poll(context.Background())
		}, "stale or failed"},
		{"deployment changed since the proposal", engine.ModeManual, func(r *rig) {
			r.ctl.Poll(context.Background())
			r.sc.change(5)
		}, "changed from 2 to 5"},
		{"dry-run", engine.ModeDryRun, func(r *rig) { r.ctl.Poll(context.Background()) }, "dry-run"},
		{"paused", engine.ModePaused, func(r *rig) { r.ctl.Poll(context.Background()) }, "paused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig("seed"), tt.mode)
			tt.setup(r)
			before := r.ctl.Snapshot().Seq
			err := r.ctl.Approve(context.Background(), "operator")
			if !errors.Is(err, engine.ErrRefused) || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("Approve = %v, want ErrRefused saying %q", err, tt.message)
			}
			if n := r.sc.setCount(); n != 0 {
				t.Errorf("a refused Approve called SetScale %d times", n)
			}
			s := r.ctl.Snapshot()
			if s.Seq <= before || len(s.Events) == 0 || s.Events[0].Kind != engine.EventInfo || !strings.Contains(s.Events[0].Message, "approve refused") || s.Events[0].By != "operator" {
				t.Errorf("refusal not published as an event: Seq %d -> %d, events %+v", before, s.Seq, s.Events)
			}
		})
	}
}

func TestApproveJustBeforeStale(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeManual)
	r.ctl.Poll(context.Background())
	r.clock.Advance(30 * time.Second) // exactly 2 poll intervals: not stale yet
	if err := r.ctl.Approve(context.Background(), "operator"); err != nil {
		t.Fatalf("Approve = %v, want nil", err)
	}
	if d, _, _, _ := r.sc.state(); d != 17 {
		t.Errorf("deployment at %d, want 17", d)
	}
}

func TestApproveAfterDeploymentChangedPollsAgain(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeManual)
	r.startRun(t)
	r.parked(t, 1, 1)
	r.sc.change(5)
	if err := r.ctl.Approve(context.Background(), "operator"); !errors.Is(err, engine.ErrRefused) {
		t.Fatalf("Approve = %v, want ErrRefused", err)
	}
	// No clock advance: only the refusal's kick can wake Run.
	r.parked(t, 2, 2)
	s := r.ctl.Snapshot()
	if s.Scale.Desired != 5 || s.Proposed != 17 || !s.Pending {
		t.Errorf("after the re-poll Scale.Desired=%d Proposed=%d Pending=%v, want 5, 17, true", s.Scale.Desired, s.Proposed, s.Pending)
	}
	if n := r.sc.setCount(); n != 0 {
		t.Errorf("SetScale called %d times, want 0", n)
	}
}

// TestApproveProposalOnlyWhatWasSeen checks what an approval confirmed on
// a screen applies when a poll changed the proposal meanwhile: the newer
// proposal when it goes the same way no further (it says so), nothing when
// it goes further, the other way or from another size.
func TestApproveProposalOnlyWhatWasSeen(t *testing.T) {
	for _, tt := range []struct {
		name          string
		start         int32 // the deployment's size
		seen, now     int64 // messages at the poll shown and at the next
		wantSeen, got int32 // the two proposals (checked, so the case is what it says)
		applied       int32 // 0: refused
	}{
		{name: "a scale-up that grew is refused", start: 2, seen: 4250, now: 9000, wantSeen: 17, got: 36},
		{name: "a scale-up that shrank applies the newer one", start: 2, seen: 9000, now: 4250, wantSeen: 36, got: 17, applied: 17},
		{name: "a scale-down that removes more is refused", start: 40, seen: 4250, now: 2000, wantSeen: 17, got: 8},
		{name: "a scale-down that removes fewer applies the newer one", start: 40, seen: 2000, now: 4250, wantSeen: 8, got: 17, applied: 17},
		{name: "a scale-up that became a scale-down is refused", start: 20, seen: 9000, now: 2000, wantSeen: 36, got: 8},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig("seed"), engine.ModeManual)
			r.sc.change(tt.start)
			ctx := context.Background()
			r.src.set(engine.QueueStats{Messages: tt.seen, Ready: tt.seen})
			seen := r.ctl.Poll(ctx)
			r.src.set(engine.QueueStats{Messages: tt.now, Ready: tt.now})
			r.clock.Advance(15 * time.Second)
			now := r.ctl.Poll(ctx)
			if seen.Proposed != tt.wantSeen || now.Proposed != tt.got || seen.Scale.Desired != tt.start || now.Scale.Desired != tt.start {
				t.Fatalf("proposals %d → %d then %d → %d, want %d → %d then %d", seen.Scale.Desired, seen.Proposed, now.Scale.Desired, now.Proposed, tt.start, tt.wantSeen, tt.got)
			}
			err := r.ctl.ApproveProposal(ctx, "operator", seen.Scale.Desired, seen.Proposed)
			if tt.applied == 0 {
				if !errors.Is(err, engine.ErrRefused) || !strings.Contains(err.Error(), "proposal changed") || len(r.sc.applied) != 0 {
					t.Fatalf("approving the old proposal: %v, applied %+v; want a refusal saying it changed", err, r.sc.applied)
				}
				return
			}
			if err != nil || len(r.sc.applied) != 1 || r.sc.applied[0].Replicas != tt.applied {
				t.Fatalf("approving: %v, applied %+v; want one change to %d", err, r.sc.applied, tt.applied)
			}
			if s := r.ctl.Snapshot(); !hasEvent(s, "applying the newer proposal") {
				t.Errorf("no event says the newer proposal was applied: %+v", s.Events)
			}
		})
	}
}
