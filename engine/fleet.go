package engine

import (
	"context"
	"errors"
	"hash/maphash"
	"slices"
	"strings"
	"sync"
	"time"
)

// Fleet polls many targets. Each round reads every queue of each vhost in
// play with one QueueLister.ListQueues call, then hands every due target
// its share through its own Controller (the single-target brain,
// unchanged), so that the broker sees one request per vhost per round
// whatever the number of targets. A target's error (an invalid annotation,
// a missing queue, a forbidden vhost) holds that target only. Its methods
// are safe for concurrent use.
type Fleet struct {
	src     TargetSource
	lister  QueueLister
	clock   Clock
	timeout time.Duration
	workers int
	history int
	seed    maphash.Seed // of the vhosts' name sets (see nameSet)

	op sync.Mutex // serializes rounds and target changes

	mu      sync.Mutex // guards everything below
	mode    Mode
	members map[string]*member
	keys    []string // sorted
	subs    map[chan FleetSnapshot]struct{}
	snap    FleetSnapshot
	pollNow chan struct{}
	closing bool
}

// member is one target of the fleet and what runs it.
type member struct {
	target Target
	// ctrl is nil when the target cannot run (err says why).
	ctrl   *Controller
	err    error
	source *roundSource
	match  queueMatcher
	// next is when the target is due (zero: at once).
	next time.Time
	// depths are the queues' depths of its last round.
	depths []QueueDepth
}

// FleetOptions configure a Fleet.
type FleetOptions struct {
	Targets TargetSource
	Lister  QueueLister
	// Clock defaults to RealClock.
	Clock Clock
	// Mode is every new target's starting mode (default manual).
	Mode Mode
	// RequestTimeout bounds each ListQueues call and each controller's
	// calls (see Options.RequestTimeout; default: the shortest poll
	// interval, at most 10 s).
	RequestTimeout time.Duration
	// Workers bounds the targets polled at once (default 16): a target's
	// poll reads and may update its Deployment.
	Workers int
	// HistorySize is each target's Config.HistorySize in the fleet
	// (default DefaultFleetHistorySize; negative: the target's own).
	HistorySize int
}

// Limits of a fleet's concurrency.
const (
	// DefaultFleetWorkers is FleetOptions.Workers' default.
	DefaultFleetWorkers = 16
	// DefaultFleetHistorySize is FleetOptions.HistorySize's default: what
	// the policies read (a --once run's memory holds as much), a third of
	// a single controller's default, since a fleet holds a thousand
	// histories (about 50 kB each at this size; see BenchmarkFleetRound).
	DefaultFleetHistorySize = MaxMemoryEntries
	// fleetListers bounds the vhosts listed at once.
	fleetListers = 4
)

// NewFleet returns a fleet of the source's current targets (none is polled
// yet). Both a TargetSource and a QueueLister are required.
func NewFleet(o FleetOptions) (*Fleet, error) {
	if o.Targets == nil || o.Lister == nil {
		return nil, errors.New("engine: a fleet needs a target source and a queue lister")
	}
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.Workers <= 0 {
		o.Workers = DefaultFleetWorkers
	}
	if o.HistorySize == 0 {
		o.HistorySize = DefaultFleetHistorySize
	}
	f := &Fleet{
		src: o.Targets, lister: o.Lister, clock: o.Clock, timeout: o.RequestTimeout, workers: o.Workers, history: o.HistorySize, seed: maphash.MakeSeed(),
		mode: o.Mode, members: map[string]*member{}, subs: map[chan FleetSnapshot]struct{}{},
		pollNow: make(chan struct{}, 1),
	}
	f.sync("start")
	return f, nil
}

// Run polls until ctx is done: every target at once, then each at its own
// poll interval (backing off after its failures, see Snapshot.RetryIn),
// targets that are due together in one round; at once on PollNow; and it
// follows the source's changes (TargetSource.Changed). It returns ctx's
// error cause once ctx is done, or a refusal once Close was called.
func (f *Fleet) Run(ctx context.Context) error {
	for {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if f.closed() {
			return errClosed
		}
		f.round(ctx, "auto", false)
		var timer <-chan time.Time
		if wait, ok := f.nextWait(); ok {
			timer = f.clock.After(wait)
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-f.pollNow:
			f.markDue()
		case <-f.src.Changed():
			f.sync("targets")
		case <-timer:
		}
	}
}

// PollOnce follows the source's current targets and runs one round over
// every target (--once), with the changes it applies recorded as made by
// by. It returns the snapshot it published.
func (f *Fleet) PollOnce(ctx context.Context, by string) FleetSnapshot {
	f.sync("targets")
	return f.round(ctx, by, true)
}

// PollNow asks a running loop to poll every target at once.
func (f *Fleet) PollNow() { f.kick() }

func (f *Fleet) kick() {
	select {
	case f.pollNow <- struct{}{}:
	default:
	}
}

// Controller returns the controller of the target with this key
// ("namespace/deployment"), for the console's single-target view and its
// commands; nil when there is no such target or it cannot run. A target
// whose settings or queues change gets a new controller: look it up again
// after each snapshot rather than keep it.
func (f *Fleet) Controller(key string) *Controller {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m := f.members[key]; m != nil {
		return m.ctrl
	}
	return nil
}

// SetMode switches every target (and every target to come) into m.
func (f *Fleet) SetMode(m Mode, by string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode = m
	for _, k := range f.keys {
		if c := f.members[k].ctrl; c != nil {
			c.SetMode(m, by)
		}
	}
	f.publishLocked()
}

// Refresh publishes a new snapshot from the controllers' current state,
// without I/O: the console calls it after a command on one target
// (approve, a mode, a clamp) so that the list shows it at once.
func (f *Fleet) Refresh() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.publishLocked()
}

// Close stops the fleet for good: no round starts after it, Run returns,
// and every controller is closed (see Controller.Close). It returns once
// the round in flight, if any, has finished.
func (f *Fleet) Close() {
	f.mu.Lock()
	f.closing = true
	f.mu.Unlock()
	f.kick()
	f.op.Lock()
	defer f.op.Unlock()
	f.mu.Lock()
	ctrls := make([]*Controller, 0, len(f.members))
	for _, m := range f.members {
		if m.ctrl != nil {
			ctrls = append(ctrls, m.ctrl)
		}
	}
	f.mu.Unlock()
	for _, c := range ctrls {
		c.Close()
	}
}

func (f *Fleet) closed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closing
}

// markDue makes every target due at once.
func (f *Fleet) markDue() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.members {
		m.next = time.Time{}
	}
}

// nextWait returns how long until the next target is due (false when no
// target can run).
func (f *Fleet) nextWait() (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var next time.Time
	found := false
	for _, m := range f.members {
		if m.ctrl != nil && (!found || m.next.Before(next)) {
			next, found = m.next, true
		}
	}
	if !found {
		return 0, false
	}
	return max(next.Sub(f.clock.Now()), 0), true
}

// dueAt returns when a target polled at `at` is next due, wait (its poll
// interval, or a backoff) after it, on a grid of its poll interval: targets
// with the same interval stay in the same round (one list per vhost for
// all of them) even when one was first polled off the grid (it appeared
// later, or PollNow), at the cost of one interval between half and one and
// a half of its length.
func dueAt(at time.Time, wait, interval time.Duration) time.Time {
	t := at.Add(wait - interval/2)
	g := t.Truncate(interval)
	if g.Before(t) {
		g = g.Add(interval)
	}
	return g
}

// FixedTargets is a TargetSource whose targets never change (the command
// line's one target, a test's).
type FixedTargets []Target

// Targets returns a copy of the targets, sorted by key.
func (t FixedTargets) Targets() []Target {
	out := slices.Clone([]Target(t))
	slices.SortStableFunc(out, func(a, b Target) int { return strings.Compare(a.Key(), b.Key()) })
	return out
}

// Changed returns nil: nothing ever changes.
func (FixedTargets) Changed() <-chan struct{} { return nil }
