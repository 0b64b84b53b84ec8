package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// hangingQueue is a broker that never answers: Stats returns only when its
// context ends, or after 30 s.
type hangingQueue struct{ entered chan struct{} }

func (q hangingQueue) Stats(ctx context.Context) (engine.QueueStats, error) {
	q.entered <- struct{}{}
	select {
	case <-ctx.Done():
		return engine.QueueStats{}, ctx.Err()
	case <-time.After(30 * time.Second):
		return engine.QueueStats{}, errors.New("the broker answered after 30 s")
	}
}

// hangingScaler is an apiserver whose GetScale never answers.
type hangingScaler struct {
	*fakeScaler
	entered chan struct{}
}

func (s hangingScaler) GetScale(ctx context.Context) (engine.Scale, error) {
	s.entered <- struct{}{}
	select {
	case <-ctx.Done():
		return engine.Scale{}, ctx.Err()
	case <-time.After(30 * time.Second):
		return engine.Scale{}, errors.New("the apiserver answered after 30 s")
	}
}

// TestRunStopsReadsInFlight checks that a stop cancels a read in flight:
// with a 30 s request timeout against a broker (or an apiserver) that
// hangs, Run returns within a second of the cancel, and the poll's error
// says it was interrupted (kind canceled), not that the broker failed.
func TestRunStopsReadsInFlight(t *testing.T) {
	tests := []struct {
		name string
		hang func(r *rig, entered chan struct{}) (engine.QueueSource, engine.Scaler)
	}{
		{"queue read", func(r *rig, entered chan struct{}) (engine.QueueSource, engine.Scaler) {
			return hangingQueue{entered}, r.sc
		}},
		{"deployment read", func(r *rig, entered chan struct{}) (engine.QueueSource, engine.Scaler) {
			return r.src, hangingScaler{r.sc, entered}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig("seed"), engine.ModeAuto)
			entered := make(chan struct{}, 1)
			src, sc := tt.hang(r, entered)
			ctl := mustNew(t, engine.Options{Config: testConfig("seed"), Source: src, Scaler: sc, Clock: r.clock,
				Mode: engine.ModeAuto, RequestTimeout: 30 * time.Second})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- ctl.Run(ctx) }()
			<-entered
			start := time.Now()
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return within 5 s of the cancel: the read in flight was not cancelled")
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("Run returned %v after the cancel, want within 1 s", took)
			}
			s := ctl.Snapshot()
			if engine.ErrorKind(s.Err) != "canceled" || s.Errors["canceled"] != 0 || s.Errors["unavailable"] != 0 {
				t.Errorf("Err = %v (kind %q), Errors = %v: want kind canceled, counted as no failure", s.Err, engine.ErrorKind(s.Err), s.Errors)
			}
			if n := r.sc.setCount(); n != 0 {
				t.Errorf("SetScale called %d times after an interrupted read", n)
			}
		})
	}
}

// TestRunFinishesAnUpdateInFlight cancels Run while SetScale is running.
// The fake SetScale returns as soon as its context ends, as a real client
// does: if the update shared Run's context, it would stop half way and Run
// would return at once. It must instead keep a context of its own, with a
// deadline of at most MaxUpdateTimeout, and complete before Run returns.
func TestRunFinishesAnUpdateInFlight(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeAuto)
	r.ctl = mustNew(t, engine.Options{Config: testConfig("seed"), Source: r.src, Scaler: r.sc, Clock: r.clock,
		Mode: engine.ModeAuto, RequestTimeout: time.Minute})
	r.sc.entered = make(chan context.Context)
	r.sc.release = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.ctl.Run(ctx) }()
	var setCtx context.Context
	select {
	case setCtx = <-r.sc.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("SetScale was not called")
	}
	cancel()
	if dl, ok := setCtx.Deadline(); !ok || time.Until(dl) > engine.MaxUpdateTimeout {
		t.Errorf("the update's deadline is %v away (set: %v), want at most %v", time.Until(dl), ok, engine.MaxUpdateTimeout)
	}
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) in the middle of an update", err)
	case <-time.After(100 * time.Millisecond):
	}
	if setCtx.Err() != nil {
		t.Errorf("the update's context was cancelled with Run's: %v", setCtx.Err())
	}
	close(r.sc.release)
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the update finished")
	}
	if d, _, _, _ := r.sc.state(); d != 17 {
		t.Errorf("deployment at %d, want the update to 17 completed", d)
	}
}
