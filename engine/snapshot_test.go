package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

func TestSnapshotContents(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeManual)
	ctx := context.Background()
	s0 := r.ctl.Snapshot()
	if s0.Polls != 0 || s0.Proposed != -1 || s0.Pending || s0.Stale || !s0.LastGoodPoll.IsZero() || s0.Config.MaxReplicas != 40 {
		t.Errorf("initial snapshot %+v", s0)
	}
	seq := s0.Seq
	next := func(what string, s engine.Snapshot) {
		t.Helper()
		if s.Seq <= seq {
			t.Errorf("%s: Seq %d did not increase from %d", what, s.Seq, seq)
		}
		if !s.At.Equal(r.clock.Now()) {
			t.Errorf("%s: At = %v, want %v", what, s.At, r.clock.Now())
		}
		seq = s.Seq
	}

	s := r.ctl.Poll(ctx)
	next("first poll", s)
	want := engine.QueueStats{Messages: 4250, Ready: 4000, Unacked: 250, Consumers: 2}
	if s.Stats != want || s.Scale.Desired != 2 || s.Scale.Version != "1" || s.Decision.Desired != 17 ||
		!strings.Contains(s.Decision.Reason, "4,250 messages / 250 per replica = 17") || s.Polls != 1 ||
		!s.LastPoll.Equal(t0) || !s.LastGoodPoll.Equal(t0) || s.Err != nil || s.ConsecutiveErrors != 0 || s.Stale {
		t.Errorf("after a good poll: %+v", s)
	}
	if len(s.History) != 1 || !s.History[0].OK || s.History[0].Stats != want || s.History[0].Decision.Desired != 17 || s.History[0].Applied != 2 {
		t.Errorf("history after a good poll: %+v", s.History)
	}

	// A failed poll keeps the last good values and holds.
	r.clock.Advance(15 * time.Second)
	r.src.setFail(fmt.Errorf("boom: %w", engine.ErrUnavailable))
	s = r.ctl.Poll(ctx)
	next("failed poll", s)
	if s.Stats != want || s.Scale.Desired != 2 || !s.Decision.Held || s.Decision.Desired != 2 || s.Proposed != 2 || s.Pending ||
		s.ConsecutiveErrors != 1 || !errors.Is(s.Err, engine.ErrUnavailable) || !s.LastGoodPoll.Equal(t0) ||
		!s.LastPoll.Equal(t0.Add(15*time.Second)) || s.Stale {
		t.Errorf("after a failed poll: %+v", s)
	}
	if !strings.Contains(s.Decision.Reason, "holding at 2") || !strings.Contains(s.Decision.Reason, "unavailable") {
		t.Errorf("held reason %q should say it holds at 2 because the poll failed (unavailable)", s.Decision.Reason)
	}
	if len(s.History) != 2 || s.History[1].OK || s.History[1].Stats != want || s.History[1].Applied != 2 {
		t.Errorf("history after a failed poll: %+v", s.History[1])
	}
	if s.Age(r.clock.Now()) != 15*time.Second {
		t.Errorf("Age = %v, want 15s", s.Age(r.clock.Now()))
	}

	// Stale once no poll succeeded for more than two intervals.
	r.clock.Advance(16 * time.Second)
	s = r.ctl.Poll(ctx)
	next("second failed poll", s)
	if !s.Stale || s.ConsecutiveErrors != 2 {
		t.Errorf("31 s after the last good poll: Stale=%v ConsecutiveErrors=%d, want true, 2", s.Stale, s.ConsecutiveErrors)
	}

	// Commands publish too.
	s = func() engine.Snapshot { r.ctl.SetMode(engine.ModeDryRun, "operator"); return r.ctl.Snapshot() }()
	next("SetMode", s)
	if s.Mode != engine.ModeDryRun {
		t.Errorf("Mode = %v, want dry-run", s.Mode)
	}

	// Recovery.
	r.src.setFail(nil)
	r.clock.Advance(15 * time.Second)
	s = r.ctl.Poll(ctx)
	next("recovered poll", s)
	if s.Stale || s.Err != nil || s.ConsecutiveErrors != 0 || !s.LastGoodPoll.Equal(r.clock.Now()) || s.Polls != 4 || len(s.History) != 4 || s.Proposed != 17 || !s.Pending {
		t.Errorf("after recovery: %+v", s)
	}
	// Snapshots are immutable: later polls do not change an earlier one.
	r.clock.Advance(15 * time.Second)
	r.src.set(engine.QueueStats{Messages: 9, Ready: 9})
	r.ctl.Poll(ctx)
	if len(s.History) != 4 || s.History[3].Stats != want || s.Stats != want {
		t.Errorf("a later poll changed an earlier snapshot: %+v", s.History)
	}
}

// TestSnapshotSlicesAreOwnedByTheReceiver checks the Snapshot doc comment:
// "Slices are copies owned by the receiver". A consumer that sorts or edits
// the History it received must not change what another consumer sees.
func TestSnapshotSlicesAreOwnedByTheReceiver(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeAuto)
	ch, unsubscribe := r.ctl.Subscribe()
	defer unsubscribe()
	<-ch
	r.ctl.Poll(context.Background())
	fromPoll := <-ch
	fromPoll.History[0].Applied = -5
	fromPoll.Events[0].Message = "mutated"
	s := r.ctl.Snapshot()
	if s.History[0].Applied == -5 {
		t.Error("Snapshot().History shares its array with the snapshot a subscriber received")
	}
	if s.Events[0].Message == "mutated" {
		t.Error("Snapshot().Events shares its array with the snapshot a subscriber received")
	}
}

func TestFirstPollFailingIsStale(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeAuto)
	r.sc.getErrs = []error{fmt.Errorf("403: %w", engine.ErrForbidden)}
	s := r.ctl.Poll(context.Background())
	if !s.Stale || !s.Decision.Held || !errors.Is(s.Err, engine.ErrForbidden) || r.src.callCount() != 0 {
		t.Errorf("first poll failing on the deployment: Stale=%v Held=%v Err=%v queue reads=%d", s.Stale, s.Decision.Held, s.Err, r.src.callCount())
	}
	if n := r.sc.setCount(); n != 0 {
		t.Errorf("SetScale called %d times after a failed read", n)
	}
}

func TestSubscribe(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeManual)
	ch, unsubscribe := r.ctl.Subscribe()
	first := <-ch
	if first.Seq != r.ctl.Snapshot().Seq {
		t.Errorf("the first delivery has Seq %d, want the current %d", first.Seq, r.ctl.Snapshot().Seq)
	}
	// Nobody reads: the controller must not block.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 50; i++ {
			r.ctl.Poll(context.Background())
			r.clock.Advance(15 * time.Second)
			r.ctl.SetMode(engine.Mode(i%2), "test")
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the controller blocked on a subscriber that does not read")
	}
	latest := r.ctl.Snapshot()
	select {
	case s := <-ch:
		if s.Seq != latest.Seq || s.Polls != 50 {
			t.Errorf("delivered Seq %d (Polls %d), want the newest %d (Polls 50)", s.Seq, s.Polls, latest.Seq)
		}
	default:
		t.Fatal("nothing delivered")
	}
	select {
	case s := <-ch:
		t.Errorf("a second, older snapshot was queued: Seq %d", s.Seq)
	default:
	}
	unsubscribe()
	r.ctl.Poll(context.Background())
	select {
	case s := <-ch:
		t.Errorf("delivered Seq %d after unsubscribing", s.Seq)
	default:
	}
}
