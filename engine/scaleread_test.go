package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestSnapshotSaysWhenTheDeploymentWasRead: a poll that reads the
// Deployment but fails on the queue keeps that read and says when it was
// (ScaleRead), so that a console shows its figures as current; a poll that
// cannot read the Deployment leaves ScaleRead at the last read.
func TestSnapshotSaysWhenTheDeploymentWasRead(t *testing.T) {
	clock := engine.NewManualClock(time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC))
	q, sc := &fakeQueue{}, newFakeScaler(3)
	q.setFail(errors.Join(engine.ErrUnavailable, errors.New("broker down")))
	ctl, err := engine.New(engine.Options{Config: engine.DefaultConfig(), Source: q, Scaler: sc, Clock: clock, Mode: engine.ModeManual})
	if err != nil {
		t.Fatal(err)
	}
	first := clock.Now()
	s := ctl.Poll(context.Background())
	if !s.LastGoodPoll.IsZero() || !s.ScaleRead.Equal(first) || s.Scale.Desired != 3 {
		t.Fatalf("queue down: LastGoodPoll %v, ScaleRead %v, replicas %d; want zero, %v, 3", s.LastGoodPoll, s.ScaleRead, s.Scale.Desired, first)
	}
	clock.Advance(15 * time.Second)
	sc.mu.Lock()
	sc.getErrs = []error{errors.Join(engine.ErrUnavailable, errors.New("apiserver down"))}
	sc.mu.Unlock()
	if s = ctl.Poll(context.Background()); !s.ScaleRead.Equal(first) || !s.LastPoll.After(first) {
		t.Errorf("both down: ScaleRead %v, LastPoll %v; want %v and later", s.ScaleRead, s.LastPoll, first)
	}
	clock.Advance(15 * time.Second)
	q.setFail(nil)
	if s = ctl.Poll(context.Background()); !s.ScaleRead.Equal(clock.Now()) || !s.LastGoodPoll.Equal(clock.Now()) {
		t.Errorf("a good poll: ScaleRead %v, LastGoodPoll %v; want both %v", s.ScaleRead, s.LastGoodPoll, clock.Now())
	}
}
