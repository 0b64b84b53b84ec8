package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/engine/sim"
	"github.com/yeeter/yeetscale/tui"
)

// fleetConfig returns the starting mode and the estate's defaults (the
// policy flags) of 'demo --fleet', refusing the flags that mean one
// simulated Deployment.
func (o *demoOptions) fleetConfig(c *cobra.Command) (engine.Mode, engine.Config, error) {
	fs := c.Flags()
	switch {
	case fs.Changed("scenario"):
		return 0, engine.Config{}, usage(fmt.Errorf("--fleet runs its own estate of scenarios: drop --scenario, or drop --fleet to watch %s alone", engine.Printable(o.scenario)))
	case o.shadow:
		return 0, engine.Config{}, usage(fmt.Errorf("--fleet and --shadow exclude each other: the shadow of KEDA is shown for one Deployment; run 'demo --shadow' for it"))
	}
	mode, err := o.startMode(c)
	if err != nil {
		return 0, engine.Config{}, err
	}
	cfg := o.cfg
	if err := cfg.Validate(); err != nil {
		return 0, engine.Config{}, usage(err)
	}
	return mode, cfg, nil
}

// runFleet is 'demo --fleet': the fleet console, with the real fleet and
// policies, on sim.DemoEstate in accelerated time.
func (o *demoOptions) runFleet(ctx context.Context, c *cobra.Command, a *app) error {
	mode, defaults, err := o.fleetConfig(c)
	if err != nil {
		return err
	}
	if !isTerminal(a.Out) {
		return usage(fmt.Errorf("demo --fleet needs a terminal: it is an interactive console (try '%s sim --compare all' for a report)", a.name))
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := notifyContext(ctx)
	defer stop()

	clock := sim.NewScaledClock(o.speed)
	estate, err := sim.NewEstate(sim.DemoEstate(), defaults, clock)
	if err != nil {
		return err
	}
	fl, err := engine.NewFleet(engine.FleetOptions{Targets: estate, Lister: estate, Clock: clock, Mode: mode})
	if err != nil {
		return err
	}
	opts := tui.FleetOptions{
		Options: tui.Options{
			// An opened target's header: what A does follows its mode.
			Context: "demo (simulated)", VHost: defaults.VHost, Hint: fmt.Sprintf("simulated estate at %g× speed", o.speed), AutoHint: true,
			ReadOnly: o.readOnly, NoColor: o.noColor, By: "operator",
			In: a.In, Out: a.Out, Now: clock.Now,
		},
		AllNamespaces: true,
	}
	return runFleetConsole(ctx, fl, opts)
}
