package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
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

func TestSetClampAndTarget(t *testing.T) {
	tests := []struct {
		name         string
		mode         engine.Mode
		poll         bool
		cmd          func(c *engine.Controller) error
		wantFlag     string // non-empty: the command must fail on this flag
		wantMin      int32
		wantMax      int32
		wantTarget   int64
		wantProposed int32
		wantEvent    string
	}{
		{"clamp lowers the proposal", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetClamp(2, 10, "operator") }, "", 2, 10, 250, 10, "clamp [1, 40] -> [2, 10]"},
		{"clamp raises the proposal", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetClamp(20, 30, "operator") }, "", 20, 30, 250, 20, "clamp [1, 40] -> [20, 30]"},
		{"target changes the proposal", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetTarget(500, "operator") }, "", 1, 40, 500, 9, "target 250 -> 500 messages per replica"},
		{"target with thousands", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetTarget(2000, "operator") }, "", 1, 40, 2000, 3, "target 250 -> 2,000"},
		{"auto mode waits for the next poll", engine.ModeAuto, true, func(c *engine.Controller) error { return c.SetClamp(1, 10, "operator") }, "", 1, 10, 250, 10, "clamp"},
		{"before any poll", engine.ModeManual, false, func(c *engine.Controller) error { return c.SetTarget(100, "operator") }, "", 1, 40, 100, -1, "target 250 -> 100"},
		{"min above max", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetClamp(5, 3, "operator") }, "min-replicas", 1, 40, 250, 17, ""},
		{"negative min", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetClamp(-1, 3, "operator") }, "min-replicas", 1, 40, 250, 17, ""},
		{"absurd max", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetClamp(1, 20000, "operator") }, "max-replicas", 1, 40, 250, 17, ""},
		{"zero target", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetTarget(0, "operator") }, "target-messages", 1, 40, 250, 17, ""},
		{"absurd target", engine.ModeManual, true, func(c *engine.Controller) error { return c.SetTarget(2e9, "operator") }, "target-messages", 1, 40, 250, 17, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig("seed"), tt.mode)
			if tt.poll {
				r.ctl.Poll(context.Background())
			}
			if tt.mode == engine.ModeAuto {
				if d, _, _, _ := r.sc.state(); d != 17 {
					t.Fatalf("auto poll left the deployment at %d, want 17", d)
				}
			}
			before := r.ctl.Snapshot()
			_, gets, sets, _ := r.sc.state()
			reads := r.src.callCount()
			err := tt.cmd(r.ctl)
			s := r.ctl.Snapshot()
			if tt.wantFlag != "" {
				var ce *engine.ConfigError
				if !errors.As(err, &ce) || ce.Flag != tt.wantFlag {
					t.Fatalf("command = %v, want a *ConfigError on --%s", err, tt.wantFlag)
				}
				if s.Seq != before.Seq {
					t.Errorf("a refused command published a snapshot")
				}
			} else if err != nil {
				t.Fatalf("command = %v", err)
			}
			if s.Config.MinReplicas != tt.wantMin || s.Config.MaxReplicas != tt.wantMax || s.Config.TargetMessages != tt.wantTarget {
				t.Errorf("Config [%d, %d] target %d, want [%d, %d] target %d", s.Config.MinReplicas, s.Config.MaxReplicas, s.Config.TargetMessages, tt.wantMin, tt.wantMax, tt.wantTarget)
			}
			if s.Proposed != tt.wantProposed {
				t.Errorf("Proposed = %d, want %d (%s)", s.Proposed, tt.wantProposed, s.Decision.Reason)
			}
			if tt.wantEvent != "" && (s.Events[0].Kind != engine.EventConfig || !strings.Contains(s.Events[0].Message, tt.wantEvent) || s.Events[0].By != "operator") {
				t.Errorf("newest event %+v, want a config event by operator saying %q", s.Events[0], tt.wantEvent)
			}
			_, gets2, sets2, _ := r.sc.state()
			if gets2 != gets || sets2 != sets || r.src.callCount() != reads {
				t.Errorf("the command did I/O: GetScale %d -> %d, SetScale %d -> %d, Stats %d -> %d", gets, gets2, sets, sets2, reads, r.src.callCount())
			}
			if tt.mode == engine.ModeAuto {
				if !s.Pending {
					t.Errorf("auto: the new proposal should be pending until the next poll")
				}
				r.clock.Advance(15 * time.Second)
				r.ctl.Poll(context.Background())
				if d, _, _, _ := r.sc.state(); d != tt.wantProposed {
					t.Errorf("auto: after the next poll the deployment is at %d, want %d", d, tt.wantProposed)
				}
			}
		})
	}
}

// TestSetClampOnStaleStatisticsHolds checks that a changed clamp is not
// re-decided on statistics more than two poll intervals old: the proposal
// becomes a hold that says so.
func TestSetClampOnStaleStatisticsHolds(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeManual)
	r.ctl.Poll(context.Background())
	r.clock.Advance(31 * time.Second) // just over 2 poll intervals, no poll since
	if err := r.ctl.SetClamp(2, 10, "operator"); err != nil {
		t.Fatal(err)
	}
	s := r.ctl.Snapshot()
	if !s.Decision.Held || s.Proposed != s.Scale.Desired || !strings.Contains(s.Decision.Reason, "stale") {
		t.Errorf("decision %+v (proposed %d, deployment %d), want a hold at the deployment's size saying stale", s.Decision, s.Proposed, s.Scale.Desired)
	}
}

func TestToggle(t *testing.T) {
	tests := []struct {
		name  string
		start engine.Mode
		steps []engine.Mode // Toggle arguments
		want  []engine.Mode // mode after each
	}{
		{"dry-run from manual and back", engine.ModeManual, []engine.Mode{engine.ModeDryRun, engine.ModeDryRun}, []engine.Mode{engine.ModeDryRun, engine.ModeManual}},
		{"pause from auto and back", engine.ModeAuto, []engine.Mode{engine.ModePaused, engine.ModePaused}, []engine.Mode{engine.ModePaused, engine.ModeAuto}},
		{"nested", engine.ModeAuto, []engine.Mode{engine.ModeDryRun, engine.ModePaused, engine.ModePaused, engine.ModeDryRun}, []engine.Mode{engine.ModeDryRun, engine.ModePaused, engine.ModeDryRun, engine.ModePaused}},
		{"auto toggles back to manual", engine.ModeManual, []engine.Mode{engine.ModeAuto, engine.ModeAuto}, []engine.Mode{engine.ModeAuto, engine.ModeManual}},
		{"manual stays manual", engine.ModeManual, []engine.Mode{engine.ModeManual}, []engine.Mode{engine.ModeManual}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, testConfig("seed"), tt.start)
			for i, m := range tt.steps {
				before := r.ctl.Snapshot()
				got := r.ctl.Toggle(m, "operator")
				s := r.ctl.Snapshot()
				if got != tt.want[i] || s.Mode != tt.want[i] {
					t.Fatalf("step %d: Toggle(%v) = %v, Snapshot.Mode = %v, want %v", i, m, got, s.Mode, tt.want[i])
				}
				if before.Mode != s.Mode {
					msg := fmt.Sprintf("mode %s -> %s", before.Mode, s.Mode)
					if s.Events[0].Kind != engine.EventConfig || s.Events[0].Message != msg {
						t.Errorf("step %d: newest event %+v, want %q", i, s.Events[0], msg)
					}
				} else if s.Seq != before.Seq {
					t.Errorf("step %d: an unchanged mode published a snapshot", i)
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
	r.ctl.Wait() // returns: nothing in flight
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

// TestApproveProposalOnlyWhatWasSeen checks that an approval confirmed on
// a screen applies nothing when a poll changed the proposal meanwhile.
func TestApproveProposalOnlyWhatWasSeen(t *testing.T) {
	r := newRig(t, testConfig("seed"), engine.ModeManual)
	ctx := context.Background()
	seen := r.ctl.Poll(ctx) // 4,250 messages: 2 -> 17
	r.src.set(engine.QueueStats{Messages: 9000, Ready: 9000})
	r.clock.Advance(15 * time.Second)
	now := r.ctl.Poll(ctx) // 2 -> 36
	if seen.Proposed == now.Proposed {
		t.Fatalf("the proposal did not change (%d): the test proves nothing", now.Proposed)
	}
	err := r.ctl.ApproveProposal(ctx, "operator", seen.Scale.Desired, seen.Proposed)
	if !errors.Is(err, engine.ErrRefused) || !strings.Contains(err.Error(), "proposal changed") {
		t.Fatalf("approving the old proposal: %v, want a refusal saying it changed", err)
	}
	if len(r.sc.applied) != 0 {
		t.Fatalf("applied %+v", r.sc.applied)
	}
	if err := r.ctl.ApproveProposal(ctx, "operator", now.Scale.Desired, now.Proposed); err != nil {
		t.Fatalf("approving the current proposal: %v", err)
	}
	if len(r.sc.applied) != 1 || r.sc.applied[0].Replicas != now.Proposed {
		t.Errorf("applied %+v, want one change to %d", r.sc.applied, now.Proposed)
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
