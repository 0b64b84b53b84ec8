package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Mode says what the controller does with a proposal.
type Mode int

// Modes of applying a decision.
const (
	// ModeManual shows the proposal; an operator approves it.
	ModeManual Mode = iota
	// ModeAuto applies every proposal.
	ModeAuto
	// ModeDryRun computes and reports proposals, never applies them.
	ModeDryRun
	// ModePaused keeps polling but proposes and applies nothing.
	ModePaused
)

func (m Mode) String() string {
	switch m {
	case ModeManual:
		return "manual"
	case ModeAuto:
		return "auto"
	case ModeDryRun:
		return "dry-run"
	case ModePaused:
		return "paused"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// Options configure a Controller.
type Options struct {
	Config Config
	Source QueueSource
	Scaler Scaler
	// Clock defaults to RealClock.
	Clock Clock
	// Mode is the starting mode (default manual).
	Mode Mode
	// RequestTimeout bounds each call to the source or the scaler
	// (default: the poll interval, at most 10 s).
	RequestTimeout time.Duration
}

// Snapshot is an immutable view of the controller, published after every
// poll and every command. Slices are copies owned by the receiver.
type Snapshot struct {
	// Seq increases with every published snapshot.
	Seq    uint64
	At     time.Time
	Config Config
	Mode   Mode
	// Stats and Scale are the last values read successfully.
	Stats QueueStats
	Scale Scale
	// Polls counts polls; LastPoll is when the latest one ran and
	// LastGoodPoll when the latest successful one ran (zero before any).
	Polls        int
	LastPoll     time.Time
	LastGoodPoll time.Time
	// Stale is true when no poll has succeeded for more than two poll
	// intervals (or none yet after a failure).
	Stale bool
	// Decision is the latest decision; Proposed its Desired.
	Decision Decision
	Proposed int32
	// Pending is true when the proposal differs from spec.replicas and has
	// not been applied (manual or dry-run mode, or an apply that failed).
	Pending bool
	History []Observation
	// Events is the event log, newest first.
	Events []Event
	// Err is the last poll's or command's error (nil after a clean poll);
	// ConsecutiveErrors counts failed polls in a row.
	Err               error
	ConsecutiveErrors int
	// Errors counts every failed poll and failed apply since start, by
	// ErrorKind (for metrics: exact even when a consumer skips snapshots).
	Errors map[string]int
	// NextPoll is when the loop polls next (zero outside Run).
	NextPoll time.Time
}

// Age returns how long ago the last good poll was, as of now.
func (s Snapshot) Age(now time.Time) time.Duration {
	if s.LastGoodPoll.IsZero() {
		return 0
	}
	return now.Sub(s.LastGoodPoll)
}

// Controller runs poll -> decide -> apply. Its methods are safe for
// concurrent use: commands may come from any goroutine.
type Controller struct {
	src     QueueSource
	scaler  Scaler
	clock   Clock
	timeout time.Duration

	op sync.Mutex // serializes polls and applies (the I/O)

	mu       sync.Mutex // guards everything below
	cfg      Config
	policy   Policy
	mode     Mode
	prevMode Mode
	snap     Snapshot
	hist     *Ring
	events   eventLog
	subs     map[chan Snapshot]struct{}
	errCount map[string]int
	pollNow  chan struct{}
}

// New returns a controller; the config must be valid.
func New(o Options) (*Controller, error) {
	if err := o.Config.Validate(); err != nil {
		return nil, err
	}
	if o.Source == nil || o.Scaler == nil {
		return nil, errors.New("engine: a queue source and a scaler are required")
	}
	p, _ := PolicyByName(o.Config.Policy)
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = min(o.Config.PollInterval, 10*time.Second)
	}
	size := o.Config.HistorySize
	if size == 0 {
		size = DefaultHistorySize
	}
	c := &Controller{
		src: o.Source, scaler: o.Scaler, clock: o.Clock, timeout: o.RequestTimeout,
		cfg: o.Config, policy: p, mode: o.Mode, prevMode: ModeManual,
		hist:     NewRing(size),
		events:   eventLog{max: 200},
		subs:     map[chan Snapshot]struct{}{},
		errCount: map[string]int{},
		pollNow:  make(chan struct{}, 1),
	}
	c.snap = Snapshot{Config: o.Config, Mode: o.Mode, Proposed: -1, Decision: Decision{Desired: -1, Recommendation: -1}}
	return c, nil
}

// Snapshot returns the latest snapshot, with its own copies of the slices.
func (c *Controller) Snapshot() Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.snap
	s.History = slices.Clone(s.History)
	s.Events = slices.Clone(s.Events)
	return s
}

// Subscribe returns a channel that always holds the newest snapshot not yet
// received (older ones are dropped, never queued), and a function that
// unsubscribes. The current snapshot is delivered at once.
func (c *Controller) Subscribe() (<-chan Snapshot, func()) {
	ch := make(chan Snapshot, 1)
	c.mu.Lock()
	c.subs[ch] = struct{}{}
	ch <- c.snap
	c.mu.Unlock()
	return ch, func() {
		c.mu.Lock()
		delete(c.subs, ch)
		c.mu.Unlock()
	}
}

// publishLocked builds a new snapshot from the state and hands it to every
// subscriber. c.mu must be held.
func (c *Controller) publishLocked(update func(*Snapshot)) Snapshot {
	s := c.snap
	if update != nil {
		update(&s)
	}
	s.Seq++
	s.At = c.clock.Now()
	s.Config = c.cfg
	s.Mode = c.mode
	s.History = c.hist.Slice()
	s.Events = c.events.newestFirst()
	s.Errors = maps.Clone(c.errCount)
	s.Stale = c.staleLocked(s, s.At)
	s.Pending = s.Proposed >= 0 && s.Polls > 0 && s.Proposed != s.Scale.Desired && c.mode != ModePaused
	c.snap = s
	for ch := range c.subs {
		select {
		case <-ch:
		default:
		}
		own := s
		own.History, own.Events = slices.Clone(s.History), slices.Clone(s.Events)
		ch <- own
	}
	return s
}

func (c *Controller) staleLocked(s Snapshot, now time.Time) bool {
	if s.LastGoodPoll.IsZero() {
		return s.Polls > 0
	}
	return now.Sub(s.LastGoodPoll) > 2*c.cfg.PollInterval
}

func (c *Controller) eventLocked(kind EventKind, by, format string, args ...any) {
	c.events.add(Event{At: c.clock.Now(), Kind: kind, By: by, Message: fmt.Sprintf(format, args...)})
}

func (c *Controller) call(ctx context.Context) (context.Context, context.CancelFunc) {
	// An update in flight is never cut short by a stop signal: it gets its
	// own deadline instead.
	return context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
}

// Poll runs one poll: read the deployment and the queue, decide, and in auto
// mode apply. It returns the snapshot it published.
func (c *Controller) Poll(ctx context.Context) Snapshot { return c.PollAs(ctx, "auto") }

// PollAs is Poll with the changes it applies recorded as made by by (for
// example "once").
func (c *Controller) PollAs(ctx context.Context, by string) Snapshot {
	c.op.Lock()
	defer c.op.Unlock()
	return c.pollLocked(ctx, by)
}

// Wait returns once no poll or approval is in flight: a process that is
// about to exit calls it so that it never stops in the middle of an update.
func (c *Controller) Wait() {
	c.op.Lock()
	defer c.op.Unlock()
}

func (c *Controller) pollLocked(ctx context.Context, by string) Snapshot {
	now := c.clock.Now()
	cctx, cancel := c.call(ctx)
	scale, serr := c.scaler.GetScale(cctx)
	cancel()
	var stats QueueStats
	var qerr error
	if serr == nil {
		cctx, cancel = c.call(ctx)
		stats, qerr = c.src.Stats(cctx)
		cancel()
	}
	err := errors.Join(serr, qerr)

	c.mu.Lock()
	cfg, policy, mode := c.cfg, c.policy, c.mode
	last := c.snap
	hist := c.hist.Slice()
	c.mu.Unlock()

	if err != nil {
		if serr == nil {
			// The deployment was read: keep that fresh read even though the
			// queue was not.
			last.Scale = scale
		}
		cur := last.Scale.Desired
		d := Decide(policy, Input{Config: cfg, Now: now, Current: cur, Err: err})
		if serr != nil && last.LastGoodPoll.IsZero() {
			// "holding at 0" would read as a fact: the size is unknown.
			d.Reason = fmt.Sprintf("holding: the deployment has not been read yet (%s)", ErrorKind(err))
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if last.ConsecutiveErrors == 0 || last.Err == nil || ErrorKind(last.Err) != ErrorKind(err) {
			c.eventLocked(EventError, by, "poll failed: %v", err)
		}
		c.hist.Push(Observation{At: now, OK: false, Stats: last.Stats, Scale: last.Scale, Decision: d, Applied: cur})
		return c.publishLocked(func(s *Snapshot) {
			s.Polls++
			s.LastPoll = now
			s.Scale = last.Scale
			s.Err = err
			s.ConsecutiveErrors++
			c.errCount[ErrorKind(err)]++
			s.Decision = d
			s.Proposed = d.Desired
		})
	}

	in := Input{Config: cfg, Now: now, Stats: stats, Current: scale.Desired, Ready: scale.Ready, History: hist}
	d := Decide(policy, in)
	if mode == ModePaused {
		d = Decision{Desired: scale.Desired, Recommendation: -1, Reason: fmt.Sprintf("paused at %d: %s", scale.Desired, d.Reason)}
	}
	applied := scale.Desired
	var aerr error
	if mode == ModeAuto && d.Desired != scale.Desired && ctx.Err() != nil {
		// Stopping (a signal, or the leader's lease lost): start no update;
		// the next instance or run decides again.
		d.Reason = fmt.Sprintf("stopping: %s not applied (%s)", d.Reason, context.Cause(ctx))
		d.Desired = scale.Desired
	}
	if mode == ModeAuto && d.Desired != scale.Desired {
		applied, aerr = c.applyLocked(ctx, scale, d, by)
		if errors.Is(aerr, ErrConflict) {
			// Somebody changed the deployment since we read it: read it again
			// and decide again rather than overwrite their change.
			cctx, cancel := c.call(ctx)
			scale2, err2 := c.scaler.GetScale(cctx)
			cancel()
			if err2 == nil {
				scale = scale2
				in.Current, in.Ready = scale.Desired, scale.Ready
				d = Decide(policy, in)
				applied, aerr = scale.Desired, nil
				if d.Desired != scale.Desired {
					applied, aerr = c.applyLocked(ctx, scale, d, by)
				}
			} else {
				aerr = errors.Join(aerr, err2)
			}
		}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	c.hist.Push(Observation{At: now, OK: true, Stats: stats, Scale: scale, Decision: d, Applied: applied})
	return c.publishLocked(func(s *Snapshot) {
		s.Polls++
		s.LastPoll = now
		s.LastGoodPoll = now
		s.Stats = stats
		s.Scale = scale
		s.Scale.Desired = applied
		s.Decision = d
		s.Proposed = d.Desired
		s.Err = aerr
		s.ConsecutiveErrors = 0
	})
}

// applyLocked asks the scaler for d.Desired replicas. c.op must be held and
// c.mu must not.
func (c *Controller) applyLocked(ctx context.Context, from Scale, d Decision, by string) (int32, error) {
	cctx, cancel := c.call(ctx)
	err := c.scaler.SetScale(cctx, ScaleRequest{From: from, Replicas: d.Desired, Reason: d.Reason, By: by})
	cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.eventLocked(EventError, by, "scale %d -> %d failed: %v", from.Desired, d.Desired, err)
		c.errCount[ErrorKind(err)]++
		return from.Desired, err
	}
	c.events.add(Event{At: c.clock.Now(), Kind: EventScale, By: by, From: from.Desired, To: d.Desired,
		Message: fmt.Sprintf("scaled %d -> %d: %s", from.Desired, d.Desired, d.Reason)})
	return d.Desired, nil
}

// Approve applies the pending proposal on behalf of by. It refuses (with an
// error wrapping ErrRefused) in dry-run or paused mode, on stale or failed
// data, when there is nothing to approve, or when the deployment changed
// since the proposal was made (it then polls again).
func (c *Controller) Approve(ctx context.Context, by string) error {
	return c.approve(ctx, by, nil)
}

// ApproveProposal is Approve for the proposal an operator was shown: it
// refuses, asking for a new look, when the proposal is no longer from -> to
// (a poll changed it while a confirmation was on screen).
func (c *Controller) ApproveProposal(ctx context.Context, by string, from, to int32) error {
	return c.approve(ctx, by, &[2]int32{from, to})
}

func (c *Controller) approve(ctx context.Context, by string, seen *[2]int32) error {
	c.op.Lock()
	defer c.op.Unlock()
	c.mu.Lock()
	s, mode := c.snap, c.mode
	stale := c.staleLocked(s, c.clock.Now())
	c.mu.Unlock()
	refuse := func(format string, args ...any) error {
		err := fmt.Errorf("%w: "+format, append([]any{ErrRefused}, args...)...)
		c.mu.Lock()
		c.eventLocked(EventInfo, by, "approve refused: %s", fmt.Sprintf(format, args...))
		c.publishLocked(nil)
		c.mu.Unlock()
		return err
	}
	switch {
	case mode == ModeDryRun:
		return refuse("dry-run mode applies nothing")
	case mode == ModePaused:
		return refuse("paused: resume first")
	case s.Polls == 0:
		return refuse("no poll yet")
	case s.Err != nil && s.ConsecutiveErrors > 0, stale, s.Decision.Held:
		return refuse("will not scale on stale or failed data")
	case !s.Pending:
		return refuse("nothing to approve: already at %d", s.Scale.Desired)
	case seen != nil && (seen[0] != s.Scale.Desired || seen[1] != s.Proposed):
		return refuse("the proposal changed from %d → %d to %d → %d: review it and approve again", seen[0], seen[1], s.Scale.Desired, s.Proposed)
	}
	cctx, cancel := c.call(ctx)
	now, err := c.scaler.GetScale(cctx)
	cancel()
	if err != nil {
		c.mu.Lock()
		c.eventLocked(EventError, by, "approve: reading the deployment failed: %v", err)
		c.publishLocked(func(s *Snapshot) { s.Err = err })
		c.mu.Unlock()
		return err
	}
	if now.Desired != s.Scale.Desired {
		c.kick()
		return refuse("the deployment changed from %d to %d since the proposal; polling again", s.Scale.Desired, now.Desired)
	}
	applied, err := c.applyLocked(ctx, now, s.Decision, by)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.publishLocked(func(s *Snapshot) {
		s.Err = err
		if err == nil {
			s.Scale = now
			s.Scale.Desired = applied
		}
	})
	return err
}

// SetMode switches mode.
func (c *Controller) SetMode(m Mode, by string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m == c.mode {
		return
	}
	c.prevMode, c.mode = c.mode, m
	c.eventLocked(EventConfig, by, "mode %s -> %s", c.prevMode, m)
	c.publishLocked(nil)
}

// Toggle switches into m, or back to the previous mode when already in m
// (dry-run and pause are toggles in the console).
func (c *Controller) Toggle(m Mode, by string) Mode {
	c.mu.Lock()
	next := m
	if c.mode == m {
		next = c.prevMode
		if next == m {
			next = ModeManual
		}
	}
	c.mu.Unlock()
	c.SetMode(next, by)
	return next
}

// SetClamp changes the replica range. The proposal is recomputed at once
// from the last observation (no I/O); it is applied, in auto mode, at the
// next poll.
func (c *Controller) SetClamp(minR, maxR int32, by string) error {
	return c.reconfigure(by, func(cfg *Config) string {
		old := fmt.Sprintf("[%d, %d]", cfg.MinReplicas, cfg.MaxReplicas)
		cfg.MinReplicas, cfg.MaxReplicas = minR, maxR
		return fmt.Sprintf("clamp %s -> [%d, %d]", old, minR, maxR)
	})
}

// SetTarget changes the target messages per replica.
func (c *Controller) SetTarget(n int64, by string) error {
	return c.reconfigure(by, func(cfg *Config) string {
		old := cfg.TargetMessages
		cfg.TargetMessages = n
		return fmt.Sprintf("target %s -> %s messages per replica", Thousands(old), Thousands(n))
	})
}

func (c *Controller) reconfigure(by string, change func(*Config) string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cfg := c.cfg
	msg := change(&cfg)
	if err := cfg.Validate(); err != nil {
		return err
	}
	c.cfg = cfg
	c.eventLocked(EventConfig, by, "%s", msg)
	c.publishLocked(func(s *Snapshot) {
		if s.Polls == 0 || s.Err != nil || s.LastGoodPoll.IsZero() {
			return
		}
		hist := c.hist.Slice()
		if len(hist) > 0 {
			hist = hist[:len(hist)-1]
		}
		// The statistics are the last good poll's: if that is too long ago,
		// the new proposal is a hold, not a decision on stale data.
		now := c.clock.Now()
		d := Decide(c.policy, Input{Config: cfg, Now: now, Stats: s.Stats,
			Current: s.Scale.Desired, Ready: s.Scale.Ready, History: hist, Stale: c.staleLocked(*s, now)})
		s.Decision, s.Proposed = d, d.Desired
	})
	return nil
}

// PollNow asks a running loop to poll at once.
func (c *Controller) PollNow() { c.kick() }

func (c *Controller) kick() {
	select {
	case c.pollNow <- struct{}{}:
	default:
	}
}

// Backoff returns the wait before the next poll after n consecutive failed
// polls: the poll interval doubled per failure, capped at the larger of the
// poll interval and the configured limit.
func Backoff(cfg Config, n int) time.Duration {
	d := cfg.PollInterval
	limit := max(cfg.BackoffLimit, cfg.PollInterval)
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Run polls until ctx is done: at once, then every poll interval (backing off
// after failures), or sooner when PollNow is called. It returns ctx's error
// cause, never in the middle of an update.
func (c *Controller) Run(ctx context.Context) error {
	for {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		s := c.Poll(ctx)
		c.mu.Lock()
		cfg := c.cfg
		c.mu.Unlock()
		wait := cfg.PollInterval
		if s.ConsecutiveErrors > 0 {
			wait = Backoff(cfg, s.ConsecutiveErrors)
		}
		next := c.clock.Now().Add(wait)
		c.mu.Lock()
		c.publishLocked(func(s *Snapshot) { s.NextPoll = next })
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-c.pollNow:
		case <-c.clock.After(wait):
		}
	}
}
