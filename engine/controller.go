package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

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
	// (default: the poll interval, at most 10 s). Reads also end when the
	// context of the call ends (a stop); an update, once started, does not,
	// and gets at most MaxUpdateTimeout.
	RequestTimeout time.Duration
	// Memory, when set, keeps the recent history between processes: the
	// controller loads it before its first poll and saves it after polls
	// and approvals (see saveMemory), so that successive --once runs
	// decide as one continuous controller would.
	Memory MemoryStore
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
	// applyErrors counts polls in a row whose apply failed.
	applyErrors int
	// scaleSeen is set once a poll has read the Deployment's scale (see
	// noteOutsideLocked).
	scaleSeen bool
	// closing is set by Close: nothing starts after it.
	closing bool

	memory    MemoryStore
	memLoaded bool      // guarded by op
	memSaved  time.Time // when the memory was last saved

	pods podChoice // SetPodChooser; its own lock
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
		memory:   o.Memory,
	}
	c.snap = Snapshot{Config: o.Config, Mode: o.Mode, Proposed: -1, Decision: Decision{Desired: -1, Recommendation: -1}}
	return c, nil
}

// errClosed is what Run returns, and why approvals are refused, once Close
// was called.
var errClosed = fmt.Errorf("%w: the controller is closed (quitting)", ErrRefused)

// Close stops the controller for good, so that a process can exit without
// cutting a change in half. From the moment it is called no poll or
// approval starts: Approve and ApproveProposal refuse with ErrRefused, Poll
// returns the last snapshot without I/O, and Run returns. Close returns
// once the poll or approval in flight, if any, has finished, its update,
// annotation and Event included (an update in flight has its own deadline,
// at most MaxUpdateTimeout). The console's quit path calls it after the
// console and Run have returned.
func (c *Controller) Close() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.kick()
	c.op.Lock()
	defer c.op.Unlock()
}

// closed reports whether Close was called.
func (c *Controller) closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// PollNow asks a running loop to poll at once.
func (c *Controller) PollNow() { c.kick() }

func (c *Controller) kick() {
	select {
	case c.pollNow <- struct{}{}:
	default:
	}
}

// Run polls until ctx is done: at once, then every poll interval (backing off
// after failed polls or failed updates, see Snapshot.RetryIn), or sooner
// when PollNow is called. It returns ctx's error cause once ctx is done
// (reads in flight are cancelled at once; an update in flight completes
// first, within MaxUpdateTimeout), or a refusal once Close was called.
func (c *Controller) Run(ctx context.Context) error {
	for {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if c.closed() {
			return errClosed
		}
		c.Poll(ctx)
		c.mu.Lock()
		wait := c.snap.RetryIn()
		next := c.clock.Now().Add(wait)
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
