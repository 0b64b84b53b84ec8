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

func TestConflictRereadsAndDecidesAgain(t *testing.T) {
	tests := []struct {
		name string
		// meddle runs inside the first SetScale.
		meddle      func(s *fakeScaler)
		getErrAfter bool // the re-read fails too
		wantSpec    int32
		wantSets    int
		wantErr     error
	}{
		{"conflict once, nothing else changed", func(s *fakeScaler) { s.setErrs = []error{engine.ErrConflict} }, false, 17, 2, nil},
		{"somebody scaled to 18: within tolerance, kept", func(s *fakeScaler) { s.changeLocked(18) }, false, 18, 1, nil},
		{"somebody scaled to 3: decided again from 3", func(s *fakeScaler) { s.changeLocked(3) }, false, 17, 2, nil},
		{"somebody scaled to 30: decided again, scale down", func(s *fakeScaler) { s.changeLocked(30) }, false, 17, 2, nil},
		{"re-read fails", func(s *fakeScaler) { s.changeLocked(9); s.getErrs = []error{engine.ErrUnavailable} }, true, 9, 1, engine.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig("proportional"), engine.ModeAuto)
			first := true
			r.sc.beforeSet = func(s *fakeScaler) {
				if first {
					first = false
					tt.meddle(s)
				}
			}
			s := r.ctl.Poll(context.Background())
			desired, gets, sets, applied := r.sc.state()
			if desired != tt.wantSpec || sets != tt.wantSets {
				t.Fatalf("deployment at %d after %d SetScale calls, want %d after %d", desired, sets, tt.wantSpec, tt.wantSets)
			}
			if gets != 2 {
				t.Errorf("GetScale called %d times, want 2 (a re-read after the conflict)", gets)
			}
			if sets == 2 && len(applied) != 1 {
				t.Errorf("applied %+v, want exactly the re-decided change", applied)
			}
			if tt.wantErr == nil {
				if s.Scale.Desired != tt.wantSpec || s.Err != nil || s.Proposed != tt.wantSpec || s.Pending {
					t.Errorf("Scale.Desired=%d Err=%v Proposed=%d Pending=%v, want %d, nil, %d, false", s.Scale.Desired, s.Err, s.Proposed, s.Pending, tt.wantSpec, tt.wantSpec)
				}
			} else if !errors.Is(s.Err, tt.wantErr) {
				t.Errorf("Err = %v, want %v", s.Err, tt.wantErr)
			}
			if countEvents(s, engine.EventError) != 1 {
				t.Errorf("want one error event for the conflict, got %+v", s.Events)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	cfg := engine.DefaultConfig() // 15 s, limit 1 m
	long := cfg
	long.PollInterval = 2 * time.Minute
	none := cfg
	none.BackoffLimit = 0
	odd := cfg
	odd.PollInterval, odd.BackoffLimit = 10*time.Second, 45*time.Second
	tests := []struct {
		name string
		cfg  engine.Config
		n    int
		want time.Duration
	}{
		{"no error", cfg, 0, 15 * time.Second},
		{"first error", cfg, 1, 15 * time.Second},
		{"second", cfg, 2, 30 * time.Second},
		{"third hits the limit", cfg, 3, time.Minute},
		{"capped", cfg, 4, time.Minute},
		{"capped for long", cfg, 1000, time.Minute},
		{"limit below the interval", long, 5, 2 * time.Minute},
		{"no limit", none, 5, 15 * time.Second},
		{"limit not a power of two", odd, 3, 40 * time.Second},
		{"capped at an odd limit", odd, 4, 45 * time.Second},
	}
	for _, tt := range tests {
		if got := engine.Backoff(tt.cfg, tt.n); got != tt.want {
			t.Errorf("%s: Backoff(%v poll, %v limit, %d) = %v, want %v", tt.name, tt.cfg.PollInterval, tt.cfg.BackoffLimit, tt.n, got, tt.want)
		}
	}
}

func TestRunBacksOffAfterErrors(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeAuto)
	r.src.setFail(fmt.Errorf("management API: %w", engine.ErrUnavailable))
	r.startRun(t)
	r.parked(t, 1, 1)
	waits := []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, time.Minute, time.Minute}
	polls := 1
	for i, w := range waits {
		s := r.ctl.Snapshot()
		if s.ConsecutiveErrors != polls || !errors.Is(s.Err, engine.ErrUnavailable) || !s.Decision.Held {
			t.Fatalf("poll %d: ConsecutiveErrors=%d Err=%v Held=%v", polls, s.ConsecutiveErrors, s.Err, s.Decision.Held)
		}
		if want := r.clock.Now().Add(w); !s.NextPoll.Equal(want) {
			t.Errorf("wait %d: NextPoll = %v, want %v", i, s.NextPoll, want)
		}
		if i == len(waits)-1 {
			r.src.setFail(nil) // the broker comes back
		}
		r.clock.Advance(w - time.Second)
		if got := r.ctl.Snapshot().Polls; got != polls {
			t.Fatalf("wait %d: polled %d times %v into a %v backoff, want %d", i, got, w-time.Second, w, polls)
		}
		r.clock.Advance(time.Second)
		polls++
		r.parked(t, polls, 1)
	}
	s := r.ctl.Snapshot()
	if s.ConsecutiveErrors != 0 || s.Err != nil {
		t.Fatalf("after recovery ConsecutiveErrors=%d Err=%v", s.ConsecutiveErrors, s.Err)
	}
	if want := r.clock.Now().Add(15 * time.Second); !s.NextPoll.Equal(want) {
		t.Errorf("after recovery NextPoll = %v, want the plain interval (%v)", s.NextPoll, want)
	}
	if countEvents(s, engine.EventError) != 1 {
		t.Errorf("error events = %d over one streak, want 1", countEvents(s, engine.EventError))
	}
	if d, _, _, _ := r.sc.state(); d != 17 {
		t.Errorf("after recovery the deployment is at %d, want 17", d)
	}
}

func TestErrorEventOncePerKindStreak(t *testing.T) {
	unavailable := fmt.Errorf("dial: %w", engine.ErrUnavailable)
	unauthorized := fmt.Errorf("401: %w", engine.ErrUnauthorized)
	steps := []struct {
		err        error
		wantEvents int
		wantConsec int
	}{
		{unavailable, 1, 1},
		{unavailable, 1, 2},
		{unavailable, 1, 3},
		{unauthorized, 2, 4},
		{unauthorized, 2, 5},
		{nil, 2, 0},
		{unavailable, 3, 1},
		{unavailable, 3, 2},
	}
	r := newRig(t, testConfig("seed"), engine.ModeManual)
	for i, st := range steps {
		r.src.setFail(st.err)
		s := r.ctl.Poll(context.Background())
		r.clock.Advance(15 * time.Second)
		if got := countEvents(s, engine.EventError); got != st.wantEvents {
			t.Errorf("poll %d (%v): %d error events, want %d", i+1, st.err, got, st.wantEvents)
		}
		if s.ConsecutiveErrors != st.wantConsec {
			t.Errorf("poll %d: ConsecutiveErrors = %d, want %d", i+1, s.ConsecutiveErrors, st.wantConsec)
		}
		if (s.Err == nil) != (st.err == nil) {
			t.Errorf("poll %d: Err = %v, want %v", i+1, s.Err, st.err)
		}
	}
}

// TestRepeatedApplyErrorIsOneEvent checks that an apply refused poll after
// poll (an HPA in the way) stays one event line with a repeat count, so the
// log keeps its history.
func TestRepeatedApplyErrorIsOneEvent(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeAuto)
	refused := fmt.Errorf("%w: HorizontalPodAutoscaler %q manages the deployment", engine.ErrRefused, "worker-hpa")
	r.sc.mu.Lock()
	r.sc.setErrs = []error{refused, refused, refused, refused, refused}
	r.sc.mu.Unlock()
	for range 5 {
		r.ctl.Poll(context.Background())
		r.clock.Advance(15 * time.Second)
	}
	s := r.ctl.Snapshot()
	var errs []engine.Event
	for _, e := range s.Events {
		if e.Kind == engine.EventError {
			errs = append(errs, e)
		}
	}
	if len(errs) != 1 || errs[0].Repeats != 4 || !strings.Contains(errs[0].Message, "worker-hpa") {
		t.Fatalf("error events = %+v, want one with 4 repeats naming the HPA", errs)
	}
	if !errs[0].At.Equal(t0.Add(60 * time.Second)) {
		t.Errorf("the repeated event's time = %v, want the latest (%v)", errs[0].At, t0.Add(60*time.Second))
	}
	if r.sc.desired != 2 {
		t.Errorf("replicas = %d, want 2: nothing applied while refused", r.sc.desired)
	}
}

// TestSnapshotCountsErrorsByKind checks the running error counts that
// metrics export.
func TestSnapshotCountsErrorsByKind(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeAuto)
	r.src.setFail(fmt.Errorf("broker down: %w", engine.ErrUnavailable))
	r.ctl.Poll(context.Background())
	r.ctl.Poll(context.Background())
	r.src.setFail(nil)
	r.sc.mu.Lock()
	r.sc.setErrs = []error{fmt.Errorf("%w: nope", engine.ErrForbidden)}
	r.sc.mu.Unlock()
	s := r.ctl.Poll(context.Background())
	if s.Errors["unavailable"] != 2 || s.Errors["forbidden"] != 1 {
		t.Errorf("Errors = %v, want 2 unavailable and 1 forbidden", s.Errors)
	}
}
