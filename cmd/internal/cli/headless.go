package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// rootOptions are the root command's own flags: which face to run.
type rootOptions struct {
	live        *liveOptions
	once        bool
	auto        bool
	dryRun      bool
	readOnly    bool
	noColor     bool
	output      string
	logFormat   string
	metricsAddr string
	fleet       fleetOptions
	// flags are the root command's, to tell the flags given.
	flags *pflag.FlagSet
}

func (a *app) setupRoot(root *cobra.Command) {
	o := &rootOptions{live: newLiveOptions()}
	root.Example = fmt.Sprintf(`  # the operations console on the configured broker and cluster
  %[1]s
  # try it with nothing installed: a simulated broker and cluster
  %[1]s demo
  # one evaluation, nothing applied (for cron or a script)
  %[1]s --once --dry-run --output json
  # the continuous controller (systemd, or in the cluster with leader election)
  %[1]s --auto --min-replicas 2 --max-replicas 40 --target-messages 250`, a.name)
	fs := root.Flags()
	fs.BoolVar(&o.once, "once", false, "evaluate once: print the decision, apply it unless --dry-run, and exit")
	fs.BoolVar(&o.auto, "auto", false, "run the controller continuously, applying decisions (headless)")
	fs.BoolVar(&o.dryRun, "dry-run", false, "compute and report decisions, never apply them")
	fs.BoolVar(&o.readOnly, "read-only", false, "console: disable every action (implies --dry-run)")
	fs.BoolVar(&o.noColor, "no-color", os.Getenv("NO_COLOR") != "", "console: no colours (also when NO_COLOR is set)")
	fs.StringVarP(&o.output, "output", "o", "text", "--once output: text or json")
	fs.StringVar(&o.logFormat, "log-format", "text", "--auto log format: text or json")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "--auto: serve Prometheus /metrics, /healthz and /readyz on this address (e.g. :9090)")
	bindPolicyFlags(fs, &a.cfg)
	o.live.addFlags(fs)
	o.fleet.addFlags(fs)
	o.flags = fs
	// An argument is refused before RunE, as an unknown command (usageArgs).
	root.RunE = func(c *cobra.Command, _ []string) error { return a.runRoot(c.Context(), o) }
}

// validate checks the combination of mode flags.
func (o *rootOptions) validate() error {
	switch {
	case o.once && o.auto:
		return usage(errors.New("--once and --auto exclude each other: --once evaluates one time, --auto runs continuously"))
	case o.output != "text" && o.output != "json":
		return usage(fmt.Errorf(`invalid --output %q: must be "text" or "json"`, o.output))
	case o.logFormat != "text" && o.logFormat != "json":
		return usage(fmt.Errorf(`invalid --log-format %q: must be "text" or "json"`, o.logFormat))
	case o.metricsAddr != "" && !o.auto:
		return usage(errors.New("--metrics-addr needs --auto"))
	case o.live.leader.Enabled && !o.auto:
		return usage(errors.New("--leader-elect needs --auto"))
	}
	return nil
}

// headlessMode is the engine mode of --once and --auto: auto, or dry-run.
func (o *rootOptions) headlessMode() engine.Mode {
	if o.dryRun {
		return engine.ModeDryRun
	}
	return engine.ModeAuto
}

func (a *app) runRoot(ctx context.Context, o *rootOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := o.validate(); err != nil {
		return err
	}
	if err := a.cfg.Validate(); err != nil {
		return err
	}
	if !o.once && !o.auto && !isTerminal(a.Out) {
		return usage(fmt.Errorf("no terminal for the console: run '%[1]s --once' for one evaluation, '%[1]s --auto' for the continuous controller, or '%[1]s demo' on a terminal", a.name))
	}
	if o.flags != nil && o.fleet.enabled(o.flags) {
		return a.runFleet(ctx, o, o.flags)
	}
	ctx, stop := notifyContext(ctx)
	defer stop()

	logger := newLogger(a.Err, o.logFormat)
	if o.once || o.auto {
		klogTo(logger)
		kubeWarningsTo(logger)
	}
	cfg := a.cfg
	lv, err := o.live.connect(&cfg, func(err error) { logger.Warn("kubernetes", "error", engine.Printable(err.Error())) })
	if err != nil {
		return err
	}
	o.dryRun = shadowImported(o.dryRun, lv.imported, logger)
	switch {
	case o.once:
		return a.runOnce(ctx, o, cfg, lv)
	case o.auto:
		return a.runAuto(ctx, o, cfg, lv, logger)
	}
	return a.runConsole(ctx, o, cfg, lv)
}

// onceResult is the --once output.
type onceResult struct {
	Queue      onceQueue      `json:"queue"`
	Deployment onceDeployment `json:"deployment"`
	Policy     string         `json:"policy"`
	Desired    *int32         `json:"desired"` // null when the poll failed
	Reason     string         `json:"reason"`
	Applied    bool           `json:"applied"`
	DryRun     bool           `json:"dry_run"`
	Error      string         `json:"error,omitempty"`
	ErrorKind  string         `json:"error_kind,omitempty"`
}

type onceQueue struct {
	Name        string   `json:"name"`
	VHost       string   `json:"vhost"`
	Messages    *int64   `json:"messages"` // counts are null when the queue was not read
	Ready       *int64   `json:"ready"`
	Unacked     *int64   `json:"unacked"`
	Consumers   *int     `json:"consumers"`
	PublishRate *float64 `json:"publish_rate"`
	DeliverRate *float64 `json:"deliver_rate"`
	AckRate     *float64 `json:"ack_rate"`
}

type onceDeployment struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Context   string `json:"context"`
	Replicas  *int32 `json:"replicas"` // null when the deployment was not read
	Ready     *int32 `json:"ready"`
}

func ratePtr(r engine.Rate) *float64 {
	if !r.Known {
		return nil
	}
	v := r.PerSecond
	return &v
}

// runOnce evaluates one time and prints the decision.
func (a *app) runOnce(ctx context.Context, o *rootOptions, cfg engine.Config, lv *live) error {
	ctl, err := lv.controller(cfg, o.headlessMode(), true)
	if err != nil {
		return err
	}
	before := ctl.Snapshot()
	if o.headlessMode() == engine.ModeAuto { // a dry run writes nothing
		lv.tidyPods(ctx)
	}
	s := ctl.PollAs(ctx, "once")
	defer lv.settlePods() // after the output
	res := onceResultFrom(cfg, lv.target.Context, before, s, o.dryRun)
	err = s.Err
	if err != nil && ctx.Err() != nil {
		// Stopped by a signal: the failure is the stop, not the broker
		// or the cluster (whose read it cut short).
		err = stopCause(ctx)
		res.Error, res.ErrorKind = err.Error(), "interrupted"
	} else if err != nil {
		res.Error, res.ErrorKind = err.Error(), engine.ErrorKind(err)
	}
	if o.output == "json" {
		if err := json.NewEncoder(jsonSafe{a.Out}).Encode(res); err != nil {
			return err
		}
	} else if s.ConsecutiveErrors == 0 {
		writeOnceText(a.Out, res)
	}
	return err
}

// onceResultFrom is the --once result of the poll that published s, on a
// controller whose snapshot before it was before; cfg names the queue and
// the Deployment, kctx is the kubeconfig context.
func onceResultFrom(cfg engine.Config, kctx string, before, s engine.Snapshot, dryRun bool) onceResult {
	applied := false
	for _, e := range s.Events {
		if e.Kind == engine.EventScale && (len(before.Events) == 0 || e.ID > before.Events[0].ID) {
			applied = true
		}
	}
	// The scale read before any change: the history holds it.
	var scaleBefore engine.Scale
	if n := len(s.History); n > 0 {
		scaleBefore = s.History[n-1].Scale
	}
	res := onceResult{
		Queue:      onceQueue{Name: cfg.Queue, VHost: cfg.VHost},
		Deployment: onceDeployment{Namespace: cfg.Namespace, Name: cfg.Deployment, Context: kctx},
		Policy:     cfg.Policy, Reason: s.Decision.Reason, Applied: applied, DryRun: dryRun,
	}
	if s.Polls > 0 && s.ConsecutiveErrors == 0 {
		// The poll read both sides: the numbers are real. After a failed
		// poll they stay null, so that no script takes a zero for a fact.
		st := s.Stats
		res.Queue.Messages, res.Queue.Ready, res.Queue.Unacked, res.Queue.Consumers = &st.Messages, &st.Ready, &st.Unacked, &st.Consumers
		res.Queue.PublishRate, res.Queue.DeliverRate, res.Queue.AckRate = ratePtr(st.PublishRate), ratePtr(st.DeliverRate), ratePtr(st.AckRate)
		res.Deployment.Replicas, res.Deployment.Ready = &scaleBefore.Desired, &scaleBefore.Ready
		res.Desired = &s.Decision.Desired
	}
	return res
}

func writeOnceText(w io.Writer, r onceResult) {
	rate := func(p *float64) string {
		if p == nil {
			return "n/a"
		}
		return fmt.Sprintf("%.1f/s", *p)
	}
	// Every name and the reason come from outside (flags, kubeconfig,
	// broker): escaped, so that none can drive the terminal or fake a line.
	p := engine.Printable
	q, d := r.Queue, r.Deployment
	fmt.Fprintf(w, "queue       %s (vhost %s): %s messages (%s ready, %s unacked), %d consumers; publish %s, deliver %s, ack %s\n",
		p(q.Name), p(q.VHost), engine.Thousands(*q.Messages), engine.Thousands(*q.Ready), engine.Thousands(*q.Unacked), *q.Consumers,
		rate(q.PublishRate), rate(q.DeliverRate), rate(q.AckRate))
	fmt.Fprintf(w, "deployment  %s/%s (context %s): %d replicas, %d ready\n", p(d.Namespace), p(d.Name), p(d.Context), *d.Replicas, *d.Ready)
	fmt.Fprintf(w, "decision    %d replicas (policy %s): %s\n", *r.Desired, p(r.Policy), p(r.Reason))
	switch {
	case r.Applied:
		fmt.Fprintf(w, "applied     %d -> %d\n", *d.Replicas, *r.Desired)
	case r.DryRun && *r.Desired != *d.Replicas:
		fmt.Fprintln(w, "applied     no (--dry-run)")
	case *r.Desired == *d.Replicas:
		fmt.Fprintln(w, "applied     nothing to change")
	default:
		fmt.Fprintln(w, "applied     no")
	}
}

// runAuto runs the continuous controller with structured logs, optional
// metrics and optional leader election, until SIGINT or SIGTERM.
func (a *app) runAuto(ctx context.Context, o *rootOptions, cfg engine.Config, lv *live, logger *slog.Logger) error {
	mode := o.headlessMode()
	ctl, err := lv.controller(cfg, mode, true)
	if err != nil {
		return err
	}
	shadow := startShadow(ctl, lv.imported, mode == engine.ModeDryRun, cfg, logger)
	p := engine.Printable // the names come from flags and the kubeconfig
	logger.Info("starting", "mode", mode.String(), "policy", p(cfg.Policy), "queue", p(cfg.Queue), "vhost", p(cfg.VHost), "broker", p(lv.source.URL()),
		"namespace", p(cfg.Namespace), "deployment", p(cfg.Deployment), "context", p(lv.target.Context),
		"min_replicas", cfg.MinReplicas, "max_replicas", cfg.MaxReplicas, "target_messages", cfg.TargetMessages, "poll_interval", cfg.PollInterval.String())

	var m *metrics
	if o.metricsAddr != "" {
		m = newMetrics(ctl, !o.live.leader.Enabled)
		srv, err := m.serve(o.metricsAddr)
		if err != nil {
			return usage(fmt.Errorf("--metrics-addr %s: %w", o.metricsAddr, err))
		}
		defer srv.Close()
		logger.Info("serving metrics", "addr", srv.Addr)
	}
	snaps, unsubscribe := ctl.Subscribe()
	defer unsubscribe()
	// The logger outlives the controller: it stops only after the last
	// snapshot, so the final decisions and changes are logged too.
	logCtx, stopLog := context.WithCancel(context.Background())
	defer stopLog()
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		logSnapshots(logCtx, logger, snaps, m)
	}()

	run := func(ctx context.Context) {
		if err := ctl.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("controller stopped", "error", err.Error())
		}
	}
	if o.live.leader.Enabled {
		err = runElected(ctx, o.live.leader.Config(lv.scaler.Client(), cfg.Namespace, cfg.Deployment), logger, m, run)
	} else {
		run(ctx)
	}
	stopLog()
	<-logDone
	shadow.stop()
	logger.Info("stopped")
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return clusterErr(err)
}

// runElected runs run while this instance holds lc's Lease, logging each
// new leader and the Lease's health, and telling the metrics.
func runElected(ctx context.Context, lc kube.LeaderConfig, logger *slog.Logger, m *metrics, run func(context.Context)) error {
	// Set here, not left to RunWithLeaderElection's default, so that
	// OnNewLeader can tell this instance from another.
	lc.Identity = kube.DefaultIdentity()
	lc.OnNewLeader = func(id string) {
		logger.Info("leader", "identity", id)
		if m != nil {
			m.setLeader(id == lc.Identity)
		}
	}
	lease := newLeaseHealth(logger, m, lc.LeaseDuration+3*lc.RetryPeriod)
	lc.OnLeaseResult = lease.observe
	if m != nil {
		m.setLeaseCheck(lease.reachable)
	}
	return kube.RunWithLeaderElection(ctx, lc, run)
}

// logSnapshots writes one line per poll (its decision and reason, or its
// error: one line per backoff step) and one per new event, until ctx ends;
// then it logs the newest snapshot not yet seen, if any, and returns.
func logSnapshots(ctx context.Context, logger *slog.Logger, snaps <-chan engine.Snapshot, m *metrics) {
	p := engine.Printable // messages and reasons may quote text from outside
	var polls int
	var lastEvent uint64
	for done := false; !done; {
		var s engine.Snapshot
		select {
		case s = <-snaps:
		case <-ctx.Done():
			select {
			case s = <-snaps:
				done = true
			default:
				return
			}
		}
		if m != nil {
			m.observe(s)
		}
		for i := len(s.Events) - 1; i >= 0; i-- {
			e := s.Events[i]
			if e.ID <= lastEvent {
				continue
			}
			lastEvent = e.ID
			switch e.Kind {
			case engine.EventScale:
				logger.Info("scaled", "from", e.From, "to", e.To, "by", p(e.By), "reason", p(e.Message))
			case engine.EventConfig:
				logger.Info("config", "change", p(e.Message), "by", p(e.By))
			case engine.EventInfo:
				if e.By == engine.OutsideBy {
					logger.Info("scaled outside yeetscale", "from", e.From, "to", e.To)
				}
			}
		}
		if s.Polls == polls {
			continue
		}
		polls = s.Polls
		if s.ConsecutiveErrors > 0 {
			logger.Error("poll failed", "error", p(s.Err.Error()), "kind", engine.ErrorKind(s.Err), "consecutive", s.ConsecutiveErrors,
				"holding", s.Scale.Desired, "retry_in", s.RetryIn().String())
			continue
		}
		attrs := pollAttrs(s)
		if s.Err != nil {
			attrs = append(attrs, "error", p(s.Err.Error()), "kind", engine.ErrorKind(s.Err))
			logger.Warn("decision not applied", attrs...)
			continue
		}
		logger.Info("decision", attrs...)
	}
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(jsonSafe{w}, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
