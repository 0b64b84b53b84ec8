package cli

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/engine/sim"
	"github.com/yeeter/yeetscale/tui"
)

func init() { subcommands = append(subcommands, newDemoCmd) }

// demoOptions are the flags of 'yeetscale demo'.
type demoOptions struct {
	scenario string
	speed    float64
	mode     string
	readOnly bool
	noColor  bool
	shadow   bool
	fleet    bool
	cfg      engine.Config
}

// demoModes maps --mode to the engine's starting mode.
var demoModes = map[string]engine.Mode{"auto": engine.ModeAuto, "manual": engine.ModeManual, "dry-run": engine.ModeDryRun}

func newDemoCmd(a *app) *cobra.Command {
	return demoCommand(a, &demoOptions{cfg: engine.DefaultConfig()})
}

// demoCommand is 'yeetscale demo' with its flags bound to o.
func demoCommand(a *app, o *demoOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "demo",
		Short: "Open the console on a simulated broker and cluster (nothing to install)",
		Long: `Opens the operations console on a simulated RabbitMQ queue and worker
deployment running in accelerated time: background traffic with a 10,000
message burst at once and another burst every 20 simulated minutes. The real
controller and policy make the decisions. Auto-apply is on so the demo scales
by itself; press A to turn it off and approve proposals with a, or start with
--mode manual. With --shadow a model of KEDA's RabbitMQ scaler behind the HPA
(the simulator's hpa-keda) scales the simulated Deployment, and yeetscale only
proposes: the console's SHADOW line compares the two as the run goes.
With --fleet it opens the fleet console instead, on a simulated estate of
eight annotated Deployments in three namespaces, each with its own queue,
scenario and settings (one sleeps at zero, one has two queues, one has an
invalid annotation): enter opens a target, esc returns to the list.`,
		Example: fmt.Sprintf(`  %[1]s demo
  %[1]s demo --mode manual --speed 5
  %[1]s demo --scenario spike-train
  %[1]s demo --shadow
  %[1]s demo --fleet
  %[1]s demo --scenario ./my-scenario.json --max-replicas 20`, a.name),
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usage(fmt.Errorf("unexpected argument %q: demo takes flags only (see '%s demo --help')", args[0], a.name))
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error {
			return o.run(c.Context(), c, a)
		},
	}
	fs := c.Flags()
	fs.StringVar(&o.scenario, "scenario", "", "scenario to simulate instead of the burst demo: a built-in name ("+strings.Join(sim.BuiltinNames(), ", ")+") or a file (format of 'sim')")
	fs.Float64Var(&o.speed, "speed", 10, "simulated seconds per wall-clock second")
	fs.StringVar(&o.mode, "mode", "auto", "starting mode: auto, manual or dry-run")
	fs.BoolVar(&o.readOnly, "read-only", false, "disable every action (implies dry-run)")
	fs.BoolVar(&o.shadow, "shadow", false, "let a model of KEDA behind the HPA scale the simulated Deployment while yeetscale only proposes (read-only), and compare them")
	fs.BoolVar(&o.fleet, "fleet", false, "open the fleet console on a simulated estate of annotated Deployments in three namespaces (the scaling flags are the defaults their annotations override)")
	fs.BoolVar(&o.noColor, "no-color", os.Getenv("NO_COLOR") != "", "no colours (also when NO_COLOR is set)")
	bindPolicyFlags(fs, &o.cfg)
	return c
}

// startMode returns the engine's starting mode from --mode, --read-only
// and --shadow, once --speed is checked too.
func (o *demoOptions) startMode(c *cobra.Command) (engine.Mode, error) {
	mode, ok := demoModes[o.mode]
	switch {
	case !ok:
		return 0, usage(fmt.Errorf(`invalid --mode %q: must be "auto", "manual" or "dry-run"`, o.mode))
	case !(o.speed > 0) || o.speed > 1000 || math.IsInf(o.speed, 0):
		return 0, usage(fmt.Errorf("invalid --speed %g: must be more than 0 and at most 1000", o.speed))
	case o.shadow && c.Flags().Changed("mode"):
		return 0, usage(fmt.Errorf("--shadow: the simulated KEDA scales and yeetscale only proposes (read-only): drop --mode %s", o.mode))
	}
	if o.readOnly || o.shadow {
		mode = engine.ModeDryRun
	}
	return mode, nil
}

// config returns the scenario and engine configuration the flags ask for.
func (o *demoOptions) config(c *cobra.Command) (sim.Scenario, engine.Config, engine.Mode, error) {
	mode, err := o.startMode(c)
	if err != nil {
		return sim.Scenario{}, engine.Config{}, 0, err
	}
	sc := sim.Demo()
	if o.scenario != "" {
		scs, err := sim.Resolve(o.scenario)
		switch {
		case err != nil:
			return sim.Scenario{}, engine.Config{}, 0, usage(fmt.Errorf("--scenario: %w", err))
		case len(scs) != 1:
			return sim.Scenario{}, engine.Config{}, 0, usage(fmt.Errorf("--scenario %s: the demo runs one scenario; name one (%s) or a file", engine.Printable(o.scenario), strings.Join(sim.BuiltinNames(), ", ")))
		}
		sc = scs[0]
	}
	cfg := sc.Config()
	overrideChanged(c.Flags(), &cfg, &o.cfg)
	if err := cfg.Validate(); err != nil {
		return sim.Scenario{}, engine.Config{}, 0, usage(fmt.Errorf("scenario %s: %w", sc.Name, err))
	}
	return sc, cfg, mode, nil
}

func (o *demoOptions) run(ctx context.Context, c *cobra.Command, a *app) error {
	if o.fleet {
		return o.runFleet(ctx, c, a)
	}
	sc, cfg, mode, err := o.config(c)
	if err != nil {
		return err
	}
	if !isTerminal(a.Out) {
		return usage(fmt.Errorf("demo needs a terminal: it is an interactive console (try '%s sim burst-10k' for a report)", a.name))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := notifyContext(ctx)
	defer stop()

	clock := sim.NewScaledClock(o.speed)
	initial := int(cfg.MinReplicas)
	if sc.InitialReplicas != nil {
		initial = *sc.InitialReplicas
	}
	world := sim.NewLive(sc, initial, clock)
	world.SetPodPrefix(cfg.Deployment)
	ctl, err := engine.New(engine.Options{Config: cfg, Source: world, Scaler: world, Clock: clock, Mode: mode})
	if err != nil {
		return usage(err)
	}
	// The simulated pods show in the pod view (o), and scale-downs remove
	// idle ones first, as pod choice does on a cluster.
	ctl.SetPodChooser(world)
	opts := tui.Options{
		Context: "demo (simulated)", Namespace: cfg.Namespace, Deployment: cfg.Deployment,
		VHost: cfg.VHost, Queue: cfg.Queue, Hint: fmt.Sprintf("simulated %s at %g× speed", sc.Name, o.speed),
		// What A does follows the mode: "auto off" in auto, "auto on" after.
		AutoHint: true,
		ReadOnly: o.readOnly || o.shadow, NoColor: o.noColor, By: "operator",
		In: a.In, Out: a.Out, Now: clock.Now,
	}
	if !o.shadow {
		return runConsoleOn(ctx, ctl, opts)
	}
	keda, err := engine.New(engine.Options{Config: demoKEDAConfig(cfg), Source: world, Scaler: world, Clock: clock, Mode: engine.ModeAuto})
	if err != nil {
		return usage(err)
	}
	opts.Shadow = cfg.Deployment + " (simulated hpa-keda)"
	opts.Hint = fmt.Sprintf("simulated %s at %g× speed, scaled by a KEDA model", sc.Name, o.speed)
	return runConsoleLoop(ctx, keda, func(ctx context.Context) error { return runConsoleOn(ctx, ctl, opts) })
}

// demoKEDAConfig is the configuration of the demo's simulated KEDA: cfg's
// queue, target and clamp under the hpa-keda policy, which syncs every 15
// s like the HPA.
func demoKEDAConfig(cfg engine.Config) engine.Config {
	cfg.Policy = "hpa-keda"
	cfg.PollInterval = 15 * time.Second
	cfg.ScaleInWaitIdle = 0
	return cfg
}
