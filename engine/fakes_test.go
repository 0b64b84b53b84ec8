package engine_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// fakeQueue is a scriptable engine.QueueSource.
type fakeQueue struct {
	mu    sync.Mutex
	stats engine.QueueStats
	errs  []error // returned one per call, first; nil entries succeed
	fail  error   // returned on every call once errs is used up, while set
	calls int
}

func (q *fakeQueue) Stats(ctx context.Context) (engine.QueueStats, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls++
	if len(q.errs) > 0 {
		err := q.errs[0]
		q.errs = q.errs[1:]
		if err != nil {
			return engine.QueueStats{}, err
		}
	} else if q.fail != nil {
		return engine.QueueStats{}, q.fail
	}
	return q.stats, nil
}

func (q *fakeQueue) set(s engine.QueueStats) {
	q.mu.Lock()
	q.stats = s
	q.mu.Unlock()
}

func (q *fakeQueue) setFail(err error) {
	q.mu.Lock()
	q.fail = err
	q.mu.Unlock()
}

func (q *fakeQueue) callCount() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.calls
}

// fakeScaler is a scriptable engine.Scaler with optimistic concurrency:
// SetScale fails with ErrConflict when From.Version is not the current one.
type fakeScaler struct {
	mu      sync.Mutex
	desired int32
	version int
	getErrs []error // returned one per GetScale call, first
	setErrs []error // returned one per SetScale call, first
	gets    int
	reqs    []engine.ScaleRequest // every SetScale call
	applied []engine.ScaleRequest // the ones that changed the size
	// beforeSet runs (with mu held) at the start of every SetScale, e.g. to
	// simulate somebody else scaling in the meantime.
	beforeSet func(s *fakeScaler)
	// entered and release, when set, make SetScale signal and block until
	// release is closed or its context ends (as a real client's call
	// would), returning the context's error then.
	entered chan context.Context
	release chan struct{}
}

func newFakeScaler(desired int32) *fakeScaler { return &fakeScaler{desired: desired, version: 1} }

func (s *fakeScaler) GetScale(ctx context.Context) (engine.Scale, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	if len(s.getErrs) > 0 {
		err := s.getErrs[0]
		s.getErrs = s.getErrs[1:]
		if err != nil {
			return engine.Scale{}, err
		}
	}
	return s.scaleLocked(), nil
}

func (s *fakeScaler) scaleLocked() engine.Scale {
	return engine.Scale{Desired: s.desired, Current: s.desired, Ready: s.desired, Version: strconv.Itoa(s.version)}
}

func (s *fakeScaler) SetScale(ctx context.Context, req engine.ScaleRequest) error {
	if s.entered != nil {
		s.entered <- ctx
		select {
		case <-s.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, req)
	if s.beforeSet != nil {
		s.beforeSet(s)
	}
	if len(s.setErrs) > 0 {
		err := s.setErrs[0]
		s.setErrs = s.setErrs[1:]
		if err != nil {
			return err
		}
	}
	if req.From.Version != strconv.Itoa(s.version) {
		return fmt.Errorf("deployment changed since version %s: %w", req.From.Version, engine.ErrConflict)
	}
	s.desired = req.Replicas
	s.version++
	s.applied = append(s.applied, req)
	return nil
}

// change simulates somebody else scaling the deployment.
func (s *fakeScaler) change(n int32) {
	s.mu.Lock()
	s.changeLocked(n)
	s.mu.Unlock()
}

func (s *fakeScaler) changeLocked(n int32) {
	s.desired = n
	s.version++
}

func (s *fakeScaler) state() (desired int32, gets, sets int, applied []engine.ScaleRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.desired, s.gets, len(s.reqs), append([]engine.ScaleRequest(nil), s.applied...)
}

func (s *fakeScaler) setCount() int {
	_, _, n, _ := s.state()
	return n
}

func mustNew(t testing.TB, o engine.Options) *engine.Controller {
	t.Helper()
	c, err := engine.New(o)
	if err != nil {
		t.Fatalf("engine.New: %v", err)
	}
	return c
}

// testConfig is a config whose numbers are easy to follow: 250 messages
// per replica in [1, 40], polled every 15 s, decided by the seed rule.
func testConfig(policy string) engine.Config {
	cfg := engine.DefaultConfig()
	cfg.MinReplicas, cfg.MaxReplicas, cfg.TargetMessages = 1, 40, 250
	cfg.Policy = policy
	return cfg
}

type rig struct {
	clock *engine.ManualClock
	src   *fakeQueue
	sc    *fakeScaler
	ctl   *engine.Controller
}

// newRig returns a controller over fakes: 2 replicas, 4,250 messages
// (ceil(4250/250) = 17 replicas wanted).
func newRig(t testing.TB, cfg engine.Config, mode engine.Mode) *rig {
	r := &rig{clock: engine.NewManualClock(t0), src: &fakeQueue{stats: engine.QueueStats{Messages: 4250, Ready: 4000, Unacked: 250, Consumers: 2}}, sc: newFakeScaler(2)}
	r.ctl = mustNew(t, engine.Options{Config: cfg, Source: r.src, Scaler: r.sc, Clock: r.clock, Mode: mode})
	return r
}

// waitFor polls cond until it holds; the deadline only guards against a
// hang, no test depends on timing.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// startRun runs ctl.Run in a goroutine; stop cancels it and returns Run's
// error.
func (r *rig) startRun(t testing.TB) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.ctl.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// parked waits until Run has done polls polls and sleeps on the clock with
// waiters pending After channels (a PollNow wake-up leaves the earlier one).
func (r *rig) parked(t testing.TB, polls, waiters int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("Run parked after %d polls", polls), func() bool {
		return r.clock.Waiters() == waiters && r.ctl.Snapshot().Polls == polls && !r.ctl.Snapshot().NextPoll.IsZero()
	})
}

func countEvents(s engine.Snapshot, kind engine.EventKind) int {
	n := 0
	for _, e := range s.Events {
		if e.Kind == kind {
			n++
		}
	}
	return n
}
