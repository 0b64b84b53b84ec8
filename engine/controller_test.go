package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

func TestNewRejects(t *testing.T) {
	bad := engine.DefaultConfig()
	bad.MaxReplicas = 0
	var ce *engine.ConfigError
	if _, err := engine.New(engine.Options{Config: bad, Source: &fakeQueue{}, Scaler: newFakeScaler(1)}); !errors.As(err, &ce) {
		t.Errorf("New with an invalid config = %v, want a *ConfigError", err)
	}
	if _, err := engine.New(engine.Options{Config: engine.DefaultConfig(), Scaler: newFakeScaler(1)}); err == nil {
		t.Error("New without a source succeeded")
	}
	if _, err := engine.New(engine.Options{Config: engine.DefaultConfig(), Source: &fakeQueue{}}); err == nil {
		t.Error("New without a scaler succeeded")
	}
}

func TestControllerModes(t *testing.T) {
	tests := []struct {
		mode         engine.Mode
		wantProposed int32
		wantPending  bool
		wantSpec     int32 // spec.replicas after the polls
		wantSets     int
		approveOK    bool
	}{
		{engine.ModeManual, 17, true, 2, 0, true},
		{engine.ModeAuto, 17, false, 17, 1, false},
		{engine.ModeDryRun, 17, true, 2, 0, false},
		{engine.ModePaused, 2, false, 2, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			r := newRig(t, testConfig("seed"), tt.mode)
			ctx := context.Background()
			for i := 0; i < 3; i++ {
				s := r.ctl.Poll(ctx)
				r.clock.Advance(15 * time.Second)
				if s.Mode != tt.mode || s.Proposed != tt.wantProposed || s.Pending != tt.wantPending || s.Scale.Desired != tt.wantSpec {
					t.Errorf("poll %d: Mode=%v Proposed=%d Pending=%v Scale.Desired=%d, want %v %d %v %d",
						i+1, s.Mode, s.Proposed, s.Pending, s.Scale.Desired, tt.mode, tt.wantProposed, tt.wantPending, tt.wantSpec)
				}
			}
			if n := r.src.callCount(); n != 3 {
				t.Errorf("queue read %d times in 3 polls, want 3 (polling continues in every mode)", n)
			}
			desired, _, sets, applied := r.sc.state()
			if sets != tt.wantSets || desired != tt.wantSpec {
				t.Fatalf("SetScale called %d times, deployment at %d; want %d and %d", sets, desired, tt.wantSets, tt.wantSpec)
			}
			s := r.ctl.Snapshot()
			switch tt.mode {
			case engine.ModeAuto:
				if applied[0].Replicas != 17 || applied[0].By != "auto" || applied[0].From.Desired != 2 || !strings.Contains(applied[0].Reason, "4,250 messages") {
					t.Errorf("SetScale request = %+v, want 2 -> 17 by auto with the reason", applied[0])
				}
				if countEvents(s, engine.EventScale) != 1 {
					t.Errorf("%d scale events, want 1: %+v", countEvents(s, engine.EventScale), s.Events)
				}
				var ev engine.Event
				for _, e := range s.Events {
					if e.Kind == engine.EventScale {
						ev = e
					}
				}
				if ev.By != "auto" || !strings.Contains(ev.Message, "2 -> 17") || !ev.At.Equal(t0) {
					t.Errorf("scale event = %+v, want 2 -> 17 by auto at %v", ev, t0)
				}
				if s.History[0].Applied != 17 || s.History[1].Applied != 17 || s.History[1].Scale.Desired != 17 {
					t.Errorf("history Applied = %d, %d, want 17, 17", s.History[0].Applied, s.History[1].Applied)
				}
			case engine.ModePaused:
				if s.Decision.Recommendation != 17 || s.History[2].Decision.Recommendation != 17 || !strings.HasPrefix(s.Decision.Reason, "paused at 2") {
					t.Errorf("paused decision = %+v, want a hold at 2 saying paused, with the policy's recommendation 17 kept", s.Decision)
				}
			default:
				if countEvents(s, engine.EventScale) != 0 {
					t.Errorf("scale events in %v mode: %+v", tt.mode, s.Events)
				}
			}
			err := r.ctl.Approve(ctx, "operator")
			if tt.approveOK {
				if err != nil {
					t.Fatalf("Approve = %v, want nil", err)
				}
				if d, _, _, _ := r.sc.state(); d != 17 {
					t.Errorf("after Approve the deployment is at %d, want 17", d)
				}
			} else {
				if !errors.Is(err, engine.ErrRefused) {
					t.Fatalf("Approve = %v, want ErrRefused", err)
				}
				if _, _, sets2, _ := r.sc.state(); sets2 != tt.wantSets {
					t.Errorf("a refused Approve called SetScale")
				}
			}
		})
	}
}

func TestPollNowWakesRun(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeManual)
	r.startRun(t)
	r.parked(t, 1, 1)
	r.ctl.PollNow()
	r.parked(t, 2, 2) // the first After never fired: 2 waiters
	if s := r.ctl.Snapshot(); !s.LastPoll.Equal(t0) {
		t.Errorf("LastPoll = %v, want %v: the clock did not move", s.LastPoll, t0)
	}
}

func TestRunReturnsPromptlyOnCancel(t *testing.T) {
	errStop := errors.New("shutting down")
	tests := []struct {
		name  string
		cause error
		want  error
	}{
		{"cancel", nil, context.Canceled},
		{"cancel with cause", errStop, errStop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig("seed"), engine.ModeManual)
			ctx, cancel := context.WithCancelCause(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.ctl.Run(ctx) }()
			r.parked(t, 1, 1)
			cancel(tt.cause)
			select {
			case err := <-done:
				if !errors.Is(err, tt.want) {
					t.Errorf("Run = %v, want %v", err, tt.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
			if p := r.ctl.Snapshot().Polls; p != 1 {
				t.Errorf("Polls = %d, want 1", p)
			}
		})
	}
}

// TestNoUpdateStartsAfterStop checks that a poll running when the process
// is told to stop (a signal, or a lost leader lease) starts no update, and
// that Run does not poll at all once stopped.
func TestNoUpdateStartsAfterStop(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeAuto)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("leader election: lost the lease"))
	s := r.ctl.Poll(ctx)
	if len(r.sc.applied) != 0 {
		t.Fatalf("applied %v after the stop", r.sc.applied)
	}
	if !strings.Contains(s.Decision.Reason, "stopping") || !strings.Contains(s.Decision.Reason, "lost the lease") {
		t.Errorf("reason = %q, want it to say it is stopping and why", s.Decision.Reason)
	}
	gets := r.sc.gets
	if err := r.ctl.Run(ctx); err == nil || !strings.Contains(err.Error(), "lost the lease") {
		t.Errorf("Run = %v, want the stop's cause", err)
	}
	if r.sc.gets != gets {
		t.Errorf("Run polled %d more times after the stop", r.sc.gets-gets)
	}
	r.ctl.Close() // returns: nothing in flight
}

// TestPollAsRecordsWho checks that a one-shot evaluation is recorded as
// such in the scale request and the event log.
func TestPollAsRecordsWho(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeAuto)
	s := r.ctl.PollAs(context.Background(), "once")
	if len(r.sc.applied) != 1 || r.sc.applied[0].By != "once" {
		t.Fatalf("applied = %+v, want one change by once", r.sc.applied)
	}
	if len(s.Events) == 0 || s.Events[0].By != "once" {
		t.Errorf("events = %+v, want the change by once", s.Events)
	}
}
