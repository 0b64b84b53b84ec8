package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// fleetOnceResult is one line of --once --output json in fleet mode: the
// single-target object plus the target's key, its status and its queues.
type fleetOnceResult struct {
	// Target is "namespace/deployment".
	Target    string `json:"target"`
	Namespace string `json:"namespace"`
	onceResult
	Status string            `json:"status"`
	Queues []fleetQueueDepth `json:"queues"` // null when the round could not read them
}

// fleetQueueDepth is one queue of a target as the round read it (the name
// escaped, see engine.Printable).
type fleetQueueDepth struct {
	Name     string `json:"name"`
	Messages int64  `json:"messages"`
	Ready    int64  `json:"ready"`
	Unacked  int64  `json:"unacked"`
}

func queueDepths(ds []engine.QueueDepth) []fleetQueueDepth {
	if ds == nil {
		return nil
	}
	out := make([]fleetQueueDepth, len(ds))
	for i, d := range ds {
		out[i] = fleetQueueDepth(d)
	}
	return out
}

// runFleetOnce polls every target once (one request per vhost), applies
// the decisions unless --dry-run, and prints one result per target.
func (a *app) runFleetOnce(ctx context.Context, o *rootOptions, fl *fleetLive) error {
	defer fl.fleet.Close()
	before := map[string]engine.Snapshot{}
	for _, t := range fl.fleet.Snapshot().Targets {
		if c := fl.fleet.Controller(t.Key()); c != nil {
			before[t.Key()] = c.Snapshot()
		}
	}
	if o.headlessMode() == engine.ModeAuto { // a dry run writes nothing
		fl.tidyPods(ctx)
	}
	snap := fl.fleet.PollOnce(ctx, "once")
	defer fl.settlePods() // after the output, before the fleet closes
	if len(snap.Targets) == 0 {
		// Not an error (an estate may have none yet), but never silence.
		fmt.Fprintf(a.Err, "%s: no target: no Deployment %s carries the annotation %s or %s\n",
			a.name, fl.scope(o.fleet.selector), engine.AnnotationQueue, engine.AnnotationQueuePattern)
		return nil
	}
	var errs []error
	for i, t := range snap.Targets {
		res := fleetOnceResult{Target: t.Key(), Namespace: t.Namespace, Status: t.Status, Queues: queueDepths(t.Depths)}
		full := t.Snapshot
		if c := fl.fleet.Controller(t.Key()); c != nil {
			full = c.Snapshot()
		}
		cfg := full.Config
		if full.Seq == 0 {
			cfg.Namespace, cfg.Deployment, cfg.Queue = t.Namespace, t.Deployment, t.Queues.String()
		}
		res.onceResult = onceResultFrom(cfg, fl.kube.Target.Context, before[t.Key()], full, o.dryRun)
		err := t.Err
		if err != nil && ctx.Err() != nil {
			err = stopCause(ctx)
			res.Error, res.ErrorKind = err.Error(), "interrupted"
		} else if err != nil {
			res.Error, res.ErrorKind = err.Error(), engine.ErrorKind(err)
		}
		if err != nil {
			errs = append(errs, err)
		}
		if o.output == "json" {
			if err := json.NewEncoder(jsonSafe{a.Out}).Encode(res); err != nil {
				return err
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(a.Out)
		}
		writeFleetOnceText(a.Out, res)
	}
	return fleetOnceErr(ctx, len(snap.Targets), errs)
}

// writeFleetOnceText writes one target's block: its key and status, then
// today's lines, or its error.
func writeFleetOnceText(w io.Writer, r fleetOnceResult) {
	p := engine.Printable
	fmt.Fprintf(w, "target      %s (%s)\n", p(r.Target), p(r.Status))
	if r.Desired == nil {
		fmt.Fprintf(w, "queue       %s (vhost %s)\n", p(r.Queue.Name), p(r.Queue.VHost))
		fmt.Fprintf(w, "error       %s\n", p(r.Error))
		return
	}
	writeOnceText(w, r.onceResult)
	if r.Error != "" {
		fmt.Fprintf(w, "error       %s\n", p(r.Error))
	}
}

// fleetOnceErr is --once's outcome in fleet mode: nil when every target
// decided; else one error summing the failures up, whose exit code is the
// first that applies: interrupted, 3 when a broker read failed for any
// target (unreachable, forbidden vhost, missing queue), 4 when a cluster
// read or update failed, 5 when an update was refused (another autoscaler),
// 2 when a target has an invalid annotation.
func fleetOnceErr(ctx context.Context, n int, errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	if ctx.Err() != nil {
		return stopCause(ctx)
	}
	msg := fmt.Sprintf("%d of %d targets failed (first: %s)", len(errs), n, errs[0].Error())
	var ae *engine.AnnotationError
	var se sideError
	code := 0
	for _, err := range errs {
		c := ExitFailure
		switch {
		case errors.As(err, &se):
			c = se.code
		case errors.Is(err, engine.ErrRefused):
			c = ExitRefused
		case errors.As(err, &ae):
			c = ExitUsage
		case errors.Is(err, engine.ErrNotFound):
			c = ExitBroker // a missing queue: the round's own error
		}
		if code == 0 || fleetCodeRank(c) < fleetCodeRank(code) {
			code = c
		}
	}
	err := errors.New(msg)
	switch code {
	case ExitBroker:
		return brokerErr(err)
	case ExitCluster:
		return clusterErr(err)
	case ExitRefused:
		return fmt.Errorf("%s: %w", msg, engine.ErrRefused)
	case ExitUsage:
		return usage(err)
	}
	return err
}

// fleetCodeRank orders the exit codes of failed targets: the lowest wins.
func fleetCodeRank(code int) int {
	switch code {
	case ExitBroker:
		return 0
	case ExitCluster:
		return 1
	case ExitRefused:
		return 2
	case ExitUsage:
		return 3
	}
	return 4
}

// scope says which Deployments the fleet follows, escaped: "in namespace
// shop", "in any namespace", with " matching SELECTOR" when one is given.
func (fl *fleetLive) scope(selector string) string {
	s := "in any namespace"
	if fl.namespace != "" {
		s = "in namespace " + engine.Printable(fl.namespace)
	}
	if selector != "" {
		s += " matching " + engine.Printable(selector)
	}
	return s
}

// runFleetAuto runs the fleet continuously with structured logs (every
// line naming its target), optional metrics and one leader-election Lease
// for the instance, until SIGINT or SIGTERM.
func (a *app) runFleetAuto(ctx context.Context, o *rootOptions, fl *fleetLive, logger *slog.Logger) error {
	p := engine.Printable
	logger.Info("starting", "fleet", true, "mode", o.headlessMode().String(), "scope", fl.scope(o.fleet.selector),
		"vhost", p(o.live.rabbit.VHost), "broker", p(fl.lister.URL()), "context", p(fl.kube.Target.Context),
		"targets", len(fl.fleet.Snapshot().Targets))
	var m *metrics
	if o.metricsAddr != "" {
		m = newMetricsFor(nil, !o.live.leader.Enabled, []string{"namespace", "deployment"})
		m.fresh = fleetFresh(fl.fleet)
		srv, err := m.serve(o.metricsAddr)
		if err != nil {
			return usage(fmt.Errorf("--metrics-addr %s: %w", o.metricsAddr, err))
		}
		defer srv.Close()
		logger.Info("serving metrics", "addr", srv.Addr)
	}
	snaps, unsubscribe := fl.fleet.Subscribe()
	defer unsubscribe()
	logCtx, stopLog := context.WithCancel(context.Background())
	defer stopLog()
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		newFleetLog(logger, fl.fleet, m).follow(logCtx, snaps)
	}()
	run := func(ctx context.Context) {
		if err := fl.fleet.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("fleet stopped", "error", p(err.Error()))
		}
	}
	var err error
	if o.live.leader.Enabled {
		err = runFleetLeader(ctx, o, fl, logger, m, run)
	} else {
		run(ctx)
	}
	fl.fleet.Close()
	stopLog()
	<-logDone
	logger.Info("stopped")
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return clusterErr(err)
}

// FleetLeaseName is the default leader-election Lease of fleet mode, the
// one 'manifests --fleet' names: one Lease for the instance, whatever its
// targets.
const FleetLeaseName = kube.DefaultManifestName + "-fleet"

// runFleetLeader runs run while this instance holds the fleet's Lease (in
// the namespace followed, or the kubeconfig's with -A).
func runFleetLeader(ctx context.Context, o *rootOptions, fl *fleetLive, logger *slog.Logger, m *metrics, run func(context.Context)) error {
	client, err := kubernetes.NewForConfig(fl.kube.RESTConfig)
	if err != nil {
		return clusterErr(err)
	}
	lo := *o.live.leader
	if lo.LeaseName == "" {
		lo.LeaseName = FleetLeaseName
	}
	logger.Info("leader election", "lease", lo.LeaseName, "lease_namespace", fl.kube.Target.Namespace)
	return runElected(ctx, lo.Config(client, fl.kube.Target.Namespace, ""), logger, m, run)
}

// fleetFresh is /readyz's check in fleet mode: some target polled well
// recently (within three of its poll intervals and 10 s), or there is no
// target to poll.
func fleetFresh(fl *engine.Fleet) func() (bool, string) {
	return func() (bool, string) {
		s := fl.Snapshot()
		if len(s.Targets) == 0 {
			return true, ""
		}
		now := time.Now()
		for _, t := range s.Targets {
			g := t.Snapshot.LastGoodPoll
			if !g.IsZero() && now.Sub(g) <= 3*t.Snapshot.Config.PollInterval+10*time.Second {
				return true, ""
			}
		}
		return false, "no target polled successfully recently"
	}
}
