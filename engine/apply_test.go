package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestApprovalIsInTheHistory checks that an approved change reaches the
// history as a poll's change does (issue #12 item 13), so that policies that
// look at changes see it: hpa-keda limits a scale-up to +4 or x2 per 15 s
// counted from the size before the changes of the last 15 s, the operator's
// included.
func TestApprovalIsInTheHistory(t *testing.T) {
	cfg := testConfig("hpa-keda")
	r := newRig(t, cfg, engine.ModeManual) // 2 replicas, 4,250 messages: 17 wanted
	ctx := context.Background()
	s := r.ctl.Poll(ctx)
	if s.Proposed != 6 {
		t.Fatalf("first proposal %d, want 6 (2 + 4 in one HPA sync): %s", s.Proposed, s.Decision.Reason)
	}
	r.clock.Advance(14 * time.Second)
	if err := r.ctl.Approve(ctx, "operator"); err != nil {
		t.Fatal(err)
	}
	s = r.ctl.Snapshot()
	last := s.History[len(s.History)-1]
	if len(s.History) != 2 || !last.At.Equal(t0.Add(14*time.Second)) || last.Scale.Desired != 2 || last.Applied != 6 || !last.OK {
		t.Errorf("history after the approval: %+v, want a last observation at +14 s recording 2 -> 6", s.History)
	}
	if last.Decision.Recommendation != -1 {
		t.Errorf("the approval's observation has recommendation %d, want -1 (no new evaluation)", last.Decision.Recommendation)
	}
	// The next HPA sync, 15 s after the first and 1 s after the approval:
	// the change of the last 15 s started from 2, so at most 2 x 2 = 4 or
	// 2 + 4 = 6 replicas: no more than the 6 there are. Without the
	// approval in the history it would count from 6 and propose 12.
	r.clock.Advance(time.Second)
	s = r.ctl.Poll(ctx)
	if s.Proposed != 6 || !strings.Contains(s.Decision.Reason, "limited to 6") {
		t.Errorf("after the approval hpa-keda proposes %d (%s), want a hold at 6, its scale-up limit this sync", s.Proposed, s.Decision.Reason)
	}
}

// TestRunBacksOffAfterFailedApplies checks that an update refused at every
// poll (forbidden) is retried after 1, 2, 4, 8 ... poll intervals, as a
// failed read is, not at every poll, and that a change made resets it.
func TestRunBacksOffAfterFailedApplies(t *testing.T) {
	cfg := testConfig("seed")
	cfg.BackoffLimit = 8 * time.Minute
	r := newRig(t, cfg, engine.ModeAuto)
	forbidden := fmt.Errorf("%w: cannot update deployments/scale", engine.ErrForbidden)
	r.sc.mu.Lock()
	for range 7 {
		r.sc.setErrs = append(r.sc.setErrs, forbidden)
	}
	r.sc.mu.Unlock()
	r.startRun(t)
	r.parked(t, 1, 1)
	waits := []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 8 * time.Minute}
	for i, w := range waits {
		s := r.ctl.Snapshot()
		if s.ApplyErrors != i+1 || s.ConsecutiveErrors != 0 || r.sc.setCount() != i+1 {
			t.Fatalf("poll %d: ApplyErrors %d ConsecutiveErrors %d SetScale calls %d, want %d, 0, %d", i+1, s.ApplyErrors, s.ConsecutiveErrors, r.sc.setCount(), i+1, i+1)
		}
		if want := r.clock.Now().Add(w); !s.NextPoll.Equal(want) {
			t.Fatalf("after %d refused updates the next poll is in %v, want %v", i+1, s.NextPoll.Sub(r.clock.Now()), w)
		}
		r.clock.Advance(w - time.Second)
		if n := r.sc.setCount(); n != i+1 {
			t.Fatalf("SetScale called %d times %v into a %v backoff, want %d", n, w-time.Second, w, i+1)
		}
		r.clock.Advance(time.Second)
		r.parked(t, i+2, 1)
	}
	s := r.ctl.Snapshot()
	if d, _, _, _ := r.sc.state(); d != 17 || s.ApplyErrors != 0 || !s.NextPoll.Equal(r.clock.Now().Add(15*time.Second)) {
		t.Errorf("after the update went through: deployment %d, ApplyErrors %d, next poll in %v; want 17, 0, 15s", d, s.ApplyErrors, s.NextPoll.Sub(r.clock.Now()))
	}
}
