package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/rabbit"
	"github.com/yeeter/yeetscale/tui"
)

// fleetOptions are the flags of fleet mode: every annotated Deployment of
// a namespace (or of all namespaces), rather than the one of --deployment.
type fleetOptions struct {
	fleet         bool
	allNamespaces bool
	selector      string
}

func (f *fleetOptions) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&f.fleet, "fleet", false, "fleet mode: scale every Deployment of the namespace annotated with "+engine.AnnotationQueue+
		" (or "+engine.AnnotationQueuePattern+"); the scaling flags are the defaults its annotations override")
	fs.BoolVarP(&f.allNamespaces, "all-namespaces", "A", false, "fleet mode across all namespaces (implies --fleet)")
	fs.StringVarP(&f.selector, "selector", "l", "", "fleet mode only for the Deployments matching this label selector, e.g. team=payments (implies --fleet)")
}

// enabled reports whether fleet mode is on: --fleet, -A or -l.
func (f *fleetOptions) enabled(fs *pflag.FlagSet) bool {
	return f.fleet || f.allNamespaces || fs.Changed("selector")
}

// validate refuses the single target's flags in fleet mode.
func (f *fleetOptions) validate(fs *pflag.FlagSet) error {
	for _, name := range []string{"deployment", rabbit.FlagQueue} {
		if fs.Changed(name) {
			return usage(fmt.Errorf("--%s names the one target of the single-target mode; in fleet mode (--fleet, -A, -l) the targets are the Deployments annotated with %s", name, engine.AnnotationQueue))
		}
	}
	if f.allNamespaces && fs.Changed("namespace") {
		return usage(errors.New("-A/--all-namespaces and -n/--namespace exclude each other: -A follows every namespace"))
	}
	return nil
}

// The fleet's client-side rate limit on the API server (kubectl's QPS).
const (
	fleetQPS   = 200
	fleetBurst = 400
)

// fleetLive is the wired real world of fleet mode.
type fleetLive struct {
	lister   *rabbit.Client
	informer *kube.TargetInformer
	fleet    *engine.Fleet
	kube     *kube.Options
	// namespace is the one followed ("" with -A).
	namespace string
	// pods gives the targets their pod choosers; nil when pod choice is
	// off.
	pods *podTargets
	// warning is the start-up warning the console shows: pod choice
	// turned off ("" when none).
	warning string
}

// connectFleet completes the options, starts the informer on the annotated
// Deployments (waiting for its first list) and makes the fleet in mode.
// The informer runs until ctx ends.
func (a *app) connectFleet(ctx context.Context, o *rootOptions, mode engine.Mode, warn func(error)) (*fleetLive, error) {
	lo := o.live
	if err := lo.complete(); err != nil {
		return nil, err
	}
	client, err := rabbit.New(lo.rabbit)
	if err != nil {
		return nil, usage(err)
	}
	defaults := a.cfg
	defaults.VHost, defaults.Queue = lo.rabbit.VHost, ""
	ns := lo.kube.Target.Namespace
	if o.fleet.allNamespaces {
		ns = ""
	}
	if rc := lo.kube.RESTConfig; rc.QPS == 0 && rc.Burst == 0 {
		// client-go's default (5 a second, bursts of 10) is one target's:
		// a fleet loads each target's memory on its first poll and saves
		// it once a minute, all in the same round (1,000 requests for
		// 1,000 targets: 20 s at kubectl's 50 a second, which made that
		// round miss its interval in make bench-fleet). The fleet's
		// workers (engine.DefaultFleetWorkers) bound the requests in flight.
		rc.QPS, rc.Burst = fleetQPS, fleetBurst
	}
	inf, err := lo.kube.NewTargetInformer(kube.TargetInformerOptions{Namespace: ns, Selector: o.fleet.selector, Defaults: defaults, Warn: warn})
	if err != nil {
		return nil, usage(err)
	}
	inf.Start(ctx)
	if err := inf.WaitForSync(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, stopCause(ctx)
		}
		return nil, clusterErr(err)
	}
	timeout := max(lo.rabbit.Timeout+time.Second, 10*time.Second)
	var podWarning string // the console shows it (its warn drops them)
	targets := fleetPodChoice(ctx, lo, client, clusterTargets{inf}, ns, func(err error) {
		podWarning = err.Error()
		warn(err)
	})
	fl, err := engine.NewFleet(engine.FleetOptions{Targets: targets, Lister: brokerLister{client}, Mode: mode, RequestTimeout: timeout})
	if err != nil {
		return nil, err
	}
	pods, _ := targets.(*podTargets)
	return &fleetLive{lister: client, informer: inf, fleet: fl, kube: lo.kube, namespace: ns, pods: pods, warning: podWarning}, nil
}

// brokerLister tags the broker's errors (exit code 3).
type brokerLister struct{ engine.QueueLister }

func (l brokerLister) ListQueues(ctx context.Context, vhost string) (map[string]engine.QueueStats, error) {
	qs, err := l.QueueLister.ListQueues(ctx, vhost)
	return qs, brokerErr(err)
}

// clusterTargets tags each target's cluster errors (exit code 4). The
// wrapper keeps a Scaler's identity: the same Scaler gives an equal
// clusterScaler.
type clusterTargets struct{ engine.TargetSource }

func (s clusterTargets) Targets() []engine.Target {
	ts := s.TargetSource.Targets()
	for i := range ts {
		if ts[i].Scaler != nil {
			ts[i].Scaler = clusterScaler{ts[i].Scaler}
		}
	}
	return ts
}

// runFleet is the root command in fleet mode: --once, --auto or the
// console, on every annotated Deployment.
func (a *app) runFleet(ctx context.Context, o *rootOptions, fs *pflag.FlagSet) error {
	if err := o.fleet.validate(fs); err != nil {
		return err
	}
	ctx, stop := notifyContext(ctx)
	defer stop()
	logger := newLogger(a.Err, o.logFormat)
	mode := o.headlessMode()
	if !o.once && !o.auto {
		mode = engine.ModeManual
		if o.dryRun || o.readOnly {
			mode = engine.ModeDryRun
		}
		quietKlog()
	} else {
		klogTo(logger)
		kubeWarningsTo(logger)
	}
	warn := func(err error) { logger.Warn("kubernetes", "error", engine.Printable(err.Error())) }
	if !o.once && !o.auto {
		warn = func(error) {}
	}
	// The informer lives as long as the command.
	infCtx, stopInformer := context.WithCancel(ctx)
	defer stopInformer()
	fl, err := a.connectFleet(infCtx, o, mode, warn)
	if err != nil {
		return err
	}
	defer func() { stopInformer(); fl.informer.Shutdown() }()
	switch {
	case o.once:
		return a.runFleetOnce(ctx, o, fl)
	case o.auto:
		return a.runFleetAuto(ctx, o, fl, logger)
	}
	in, _ := a.In.(*os.File)
	opts := tui.FleetOptions{
		Options: tui.Options{
			Context: fl.kube.Target.Context, Namespace: fl.namespace, VHost: o.live.rabbit.VHost,
			ReadOnly: o.readOnly, NoColor: o.noColor, Out: a.Out,
		},
		AllNamespaces: o.fleet.allNamespaces, Selector: o.fleet.selector, Warning: engine.Printable(fl.warning),
	}
	if in != nil {
		opts.In = in
	}
	return runFleetConsole(ctx, fl.fleet, opts)
}

// runFleetConsole runs the fleet's loop and the fleet console (see
// runConsoleLoop).
func runFleetConsole(ctx context.Context, fl *engine.Fleet, opts tui.FleetOptions) error {
	return runConsoleLoop(ctx, fl, func(ctx context.Context) error { return tui.RunFleet(ctx, fl, opts) })
}
