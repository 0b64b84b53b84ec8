package kube

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// Leader-election defaults, the same as kube-controller-manager's.
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
)

// ErrLeadershipLost is returned by RunWithLeaderElection when this instance
// was leading and could not renew the Lease before it expired; the process
// should exit (and be restarted) rather than keep scaling.
var ErrLeadershipLost = errors.New("leader election: lost the lease")

// LeaderConfig configures RunWithLeaderElection.
type LeaderConfig struct {
	// Client talks to the API server (e.g. Scaler.Client()).
	Client kubernetes.Interface
	// Namespace holds the Lease (normally the Deployment's namespace).
	Namespace string
	// Name is the Lease's name (default LeaseName(deployment) is up to the
	// caller; must not be empty).
	Name string
	// Identity is this instance's holder identity (default DefaultIdentity()).
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod default to 15s, 10s, 2s.
	LeaseDuration time.Duration
	RenewDeadline time.Duration
	RetryPeriod   time.Duration
	// Logger receives client-go's leader-election log lines ("attempting
	// to acquire leader lease", "failed to renew lease", ...); the zero
	// Logger discards them (pass klog.Background() to see them).
	Logger logr.Logger
	// OnNewLeader, when set, is told the identity of each new leader
	// (including this instance).
	OnNewLeader func(identity string)
	// OnLeaseResult, when set, is told the outcome of every request for the
	// Lease (read, create, renew): nil when the API server answered (a
	// Lease held by another instance, or none yet, is an answer), else the
	// error, classified like the Scaler's (errors.Is engine.ErrForbidden,
	// ...). client-go's elector only logs these failures; this is how a
	// standby that cannot reach its Lease becomes visible.
	OnLeaseResult func(err error)
}

// LeaseName returns the default Lease name for a deployment:
// "yeetscale-<deployment>".
func LeaseName(deployment string) string { return "yeetscale-" + deployment }

// LeaderOptions are the command-line settings for leader election.
type LeaderOptions struct {
	// Enabled turns leader election on (--leader-elect).
	Enabled bool
	// LeaseName overrides LeaseName(deployment) (--leader-elect-lease-name).
	LeaseName     string
	LeaseDuration time.Duration // --leader-elect-lease-duration
	RenewDeadline time.Duration // --leader-elect-renew-deadline
	RetryPeriod   time.Duration // --leader-elect-retry-period
}

// NewLeaderOptions returns LeaderOptions with the default durations.
func NewLeaderOptions() *LeaderOptions {
	return &LeaderOptions{LeaseDuration: DefaultLeaseDuration, RenewDeadline: DefaultRenewDeadline, RetryPeriod: DefaultRetryPeriod}
}

// AddFlags registers --leader-elect and its durations on fs.
func (o *LeaderOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Enabled, "leader-elect", o.Enabled,
		"hold a coordination.k8s.io Lease while scaling, so that only one running instance scales")
	fs.StringVar(&o.LeaseName, "leader-elect-lease-name", o.LeaseName, "Lease name (default yeetscale-<deployment>)")
	fs.DurationVar(&o.LeaseDuration, "leader-elect-lease-duration", o.LeaseDuration,
		"how long others wait before taking over a Lease that is not renewed")
	fs.DurationVar(&o.RenewDeadline, "leader-elect-renew-deadline", o.RenewDeadline,
		"how long the leader keeps trying to renew before it gives up leading")
	fs.DurationVar(&o.RetryPeriod, "leader-elect-retry-period", o.RetryPeriod, "how often to try to acquire or renew the Lease")
}

// Validate checks the durations the way client-go will.
func (o *LeaderOptions) Validate() error {
	switch {
	case o.RetryPeriod <= 0:
		return fmt.Errorf("invalid --leader-elect-retry-period %s: must be positive", o.RetryPeriod)
	case o.RenewDeadline <= time.Duration(leaderelection.JitterFactor*float64(o.RetryPeriod)):
		return fmt.Errorf("invalid --leader-elect-renew-deadline %s: must exceed 1.2 x --leader-elect-retry-period (%s)",
			o.RenewDeadline, o.RetryPeriod)
	case o.LeaseDuration <= o.RenewDeadline:
		return fmt.Errorf("invalid --leader-elect-lease-duration %s: must exceed --leader-elect-renew-deadline (%s)",
			o.LeaseDuration, o.RenewDeadline)
	}
	return nil
}

// Config returns the LeaderConfig for client, namespace and deployment.
func (o *LeaderOptions) Config(client kubernetes.Interface, namespace, deployment string) LeaderConfig {
	name := o.LeaseName
	if name == "" {
		name = LeaseName(deployment)
	}
	return LeaderConfig{Client: client, Namespace: namespace, Name: name,
		LeaseDuration: o.LeaseDuration, RenewDeadline: o.RenewDeadline, RetryPeriod: o.RetryPeriod}
}

// RunWithLeaderElection waits until this instance holds the Lease, then calls
// run with a context that is cancelled when ctx is or when the Lease is
// lost. When run returns, the Lease is released (only after run has
// returned, so two instances never scale at once). It returns nil when ctx
// was cancelled or run returned by itself, ErrLeadershipLost when the Lease
// could not be renewed, or a configuration error.
func RunWithLeaderElection(ctx context.Context, cfg LeaderConfig, run func(ctx context.Context)) error {
	if cfg.Client == nil || cfg.Namespace == "" || cfg.Name == "" {
		return errors.New("leader election: client, namespace and lease name must be set")
	}
	cfg = cfg.withDefaults()
	lock := cfg.lock()

	// The elector runs on its own context, cancelled only after run has
	// returned: releasing the Lease while run is still scaling would let
	// another instance start too early.
	electCtx, stopElect := context.WithCancel(context.WithoutCancel(ctx))
	defer stopElect()
	r := &leaderRun{ctx: ctx, electCtx: electCtx, stopElect: stopElect, run: run, runDone: make(chan struct{})}
	go r.stopOnCancel()

	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   cfg.LeaseDuration,
		RenewDeadline:   cfg.RenewDeadline,
		RetryPeriod:     cfg.RetryPeriod,
		ReleaseOnCancel: true,
		Name:            cfg.Namespace + "/" + cfg.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: r.lead,
			OnStoppedLeading: func() {},
			OnNewLeader: func(identity string) {
				if cfg.OnNewLeader != nil {
					cfg.OnNewLeader(identity)
				}
			},
		},
	})
	if err != nil {
		return fmt.Errorf("leader election: %w", err)
	}
	le.Run(klog.NewContext(electCtx, cfg.Logger))
	return r.result(cfg)
}

// withDefaults returns cfg with DefaultIdentity() and the default durations
// where they are not set.
func (cfg LeaderConfig) withDefaults() LeaderConfig {
	if cfg.Identity == "" {
		cfg.Identity = DefaultIdentity()
	}
	if cfg.LeaseDuration == 0 {
		cfg.LeaseDuration = DefaultLeaseDuration
	}
	if cfg.RenewDeadline == 0 {
		cfg.RenewDeadline = DefaultRenewDeadline
	}
	if cfg.RetryPeriod == 0 {
		cfg.RetryPeriod = DefaultRetryPeriod
	}
	return cfg
}

// lock returns the Lease lock for cfg, reporting every request's outcome
// to cfg.OnLeaseResult when it is set.
func (cfg LeaderConfig) lock() resourcelock.Interface {
	var lock resourcelock.Interface = &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: cfg.Namespace, Name: cfg.Name},
		Client:     cfg.Client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: cfg.Identity},
	}
	if cfg.OnLeaseResult != nil {
		lock = &observedLock{Interface: lock, namespace: cfg.Namespace, name: cfg.Name, report: cfg.OnLeaseResult}
	}
	return lock
}

// leaderRun is one RunWithLeaderElection: it starts run when the Lease is
// acquired, and stops the elector only after run has returned.
type leaderRun struct {
	ctx       context.Context    // the caller's context
	electCtx  context.Context    // the elector's context
	stopElect context.CancelFunc // cancels electCtx, releasing the Lease
	run       func(ctx context.Context)
	runDone   chan struct{} // closed when run has returned

	mu       sync.Mutex
	leading  bool // run was started
	stopping bool // ctx was cancelled: run must not start any more
	selfDone bool // run returned while still leading and not cancelled
}

// started says whether run was started.
func (r *leaderRun) started() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.leading }

// stopOnCancel stops the elector when ctx is cancelled, after run has
// returned if it was started; it returns when the elector stops first.
func (r *leaderRun) stopOnCancel() {
	select {
	case <-r.ctx.Done():
	case <-r.electCtx.Done():
		return
	}
	// Either run started before this (wait for it to finish before the
	// Lease is released) or it never will: the same lock decides both.
	r.mu.Lock()
	r.stopping = true
	l := r.leading
	r.mu.Unlock()
	if l {
		<-r.runDone
	}
	r.stopElect()
}

// lead is the elector's OnStartedLeading: it calls run with a context
// cancelled when ctx is or when the Lease (leaseCtx) is lost, then stops
// the elector.
func (r *leaderRun) lead(leaseCtx context.Context) {
	r.mu.Lock()
	if r.stopping || r.ctx.Err() != nil {
		r.mu.Unlock()
		return // the Lease came just as we were told to stop
	}
	r.leading = true
	r.mu.Unlock()
	defer r.stopElect()
	defer close(r.runDone)
	runCtx, cancel := context.WithCancel(leaseCtx)
	defer cancel()
	stop := context.AfterFunc(r.ctx, cancel)
	defer stop()
	r.run(runCtx)
	if leaseCtx.Err() == nil && r.ctx.Err() == nil {
		r.mu.Lock()
		r.selfDone = true
		r.mu.Unlock()
	}
}

// result waits for run to return, if it was started, and returns
// RunWithLeaderElection's result: nil, or ErrLeadershipLost.
func (r *leaderRun) result(cfg LeaderConfig) error {
	if r.started() {
		<-r.runDone
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.ctx.Err() != nil, r.selfDone, !r.leading:
		return nil
	}
	return fmt.Errorf("%w %s/%s (identity %s)", ErrLeadershipLost, cfg.Namespace, cfg.Name, cfg.Identity)
}

// observedLock is a resourcelock.Interface that reports the outcome of
// every request to the API server.
type observedLock struct {
	resourcelock.Interface
	namespace, name string
	report          func(error)
}

// Get reads the Lease; NotFound (no Lease yet) is an answer, not a failure.
func (l *observedLock) Get(ctx context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	rec, raw, err := l.Interface.Get(ctx)
	if apierrors.IsNotFound(err) {
		l.report(nil)
	} else {
		l.result(ctx, "get", err)
	}
	return rec, raw, err
}

// Create creates the Lease.
func (l *observedLock) Create(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	err := l.Interface.Create(ctx, ler)
	l.result(ctx, "create", err)
	return err
}

// Update renews or takes over the Lease. A conflict (another instance
// wrote it first) is an answer too.
func (l *observedLock) Update(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	err := l.Interface.Update(ctx, ler)
	if apierrors.IsConflict(err) {
		l.report(nil)
	} else {
		l.result(ctx, "update", err)
	}
	return err
}

// result reports err classified, or nil; a request cut short because the
// elector is stopping is not reported.
func (l *observedLock) result(ctx context.Context, verb string, err error) {
	if err != nil && ctx.Err() != nil {
		return
	}
	if err != nil {
		err = fmt.Errorf("leader election: %w", classify(err, op{Verb: verb, Resource: "leases", Namespace: l.namespace, Name: l.name, Kind: "lease"}))
	}
	l.report(err)
}
