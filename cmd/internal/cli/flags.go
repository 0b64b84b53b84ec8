package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/yeeter/yeetscale/engine"
)

// policyFlag is one engine setting exposed as a flag: its name, how to bind
// it into a Config, and how to copy it from one Config to another (so that
// only the flags a user gave override a scenario's settings).
type policyFlag struct {
	name string
	bind func(fs *pflag.FlagSet, c *engine.Config)
	copy func(dst, src *engine.Config)
}

// policyFlags lists the scaling settings shared by the console, the headless
// modes, demo and sim.
var policyFlags = []policyFlag{
	{"min-replicas", func(fs *pflag.FlagSet, c *engine.Config) {
		fs.Int32Var(&c.MinReplicas, "min-replicas", c.MinReplicas, "never scale below this many replicas")
	}, func(d, s *engine.Config) { d.MinReplicas = s.MinReplicas }},
	{"max-replicas", func(fs *pflag.FlagSet, c *engine.Config) {
		fs.Int32Var(&c.MaxReplicas, "max-replicas", c.MaxReplicas, "never scale above this many replicas")
	}, func(d, s *engine.Config) { d.MaxReplicas = s.MaxReplicas }},
	{"target-messages", func(fs *pflag.FlagSet, c *engine.Config) {
		fs.Int64Var(&c.TargetMessages, "target-messages", c.TargetMessages, "queued messages per worker replica to aim for")
	}, func(d, s *engine.Config) { d.TargetMessages = s.TargetMessages }},
	{"poll-interval", func(fs *pflag.FlagSet, c *engine.Config) {
		fs.DurationVar(&c.PollInterval, "poll-interval", c.PollInterval, "how often to read the queue (at least 1s)")
	}, func(d, s *engine.Config) { d.PollInterval = s.PollInterval }},
	{"policy", func(fs *pflag.FlagSet, c *engine.Config) {
		fs.StringVar(&c.Policy, "policy", c.Policy, "scaling policy: "+strings.Join(engine.PolicyNames(), ", "))
	}, func(d, s *engine.Config) { d.Policy = s.Policy }},
	{"tolerance", func(fs *pflag.FlagSet, c *engine.Config) {
		fs.Float64Var(&c.Tolerance, "tolerance", c.Tolerance, "no change while depth is within this fraction of the target (0.1 = 10%)")
	}, func(d, s *engine.Config) { d.Tolerance = s.Tolerance }},
	{"scale-down-window", func(fs *pflag.FlagSet, c *engine.Config) {
		fs.DurationVar(&c.ScaleDownWindow, "scale-down-window", c.ScaleDownWindow, "scale-down stabilization: the highest recommendation within this window wins")
	}, func(d, s *engine.Config) { d.ScaleDownWindow = s.ScaleDownWindow }},
	{"max-step-up", func(fs *pflag.FlagSet, c *engine.Config) {
		fs.Int32Var(&c.MaxStepUp, "max-step-up", c.MaxStepUp, "most replicas one decision may add (0: no cap)")
	}, func(d, s *engine.Config) { d.MaxStepUp = s.MaxStepUp }},
	{"max-step-down", func(fs *pflag.FlagSet, c *engine.Config) {
		fs.Int32Var(&c.MaxStepDown, "max-step-down", c.MaxStepDown, "most replicas one decision may remove (0: no cap)")
	}, func(d, s *engine.Config) { d.MaxStepDown = s.MaxStepDown }},
	{"count", func(fs *pflag.FlagSet, c *engine.Config) {
		fs.Var((*countValue)(&c.Count), "count", `which messages count: "total" (ready + unacked) or "ready"`)
	}, func(d, s *engine.Config) { d.Count = s.Count }},
	{"drain-within", func(fs *pflag.FlagSet, c *engine.Config) {
		fs.DurationVar(&c.DrainWithin, "drain-within", c.DrainWithin, "size to clear the backlog within this time while keeping up with arrivals (0: off)")
	}, func(d, s *engine.Config) { d.DrainWithin = s.DrainWithin }},
}

// bindPolicyFlags adds every scaling flag to fs, bound to c (whose values are
// the defaults shown in help).
func bindPolicyFlags(fs *pflag.FlagSet, c *engine.Config) {
	for _, f := range policyFlags {
		f.bind(fs, c)
	}
}

// overrideChanged copies into dst the settings whose flags were given.
func overrideChanged(fs *pflag.FlagSet, dst, src *engine.Config) {
	for _, f := range policyFlags {
		if fs.Changed(f.name) {
			f.copy(dst, src)
		}
	}
}

type countValue engine.Count

func (v *countValue) String() string { return string(*v) }
func (v *countValue) Type() string   { return "total|ready" }
func (v *countValue) Set(s string) error {
	switch engine.Count(s) {
	case engine.CountTotal, engine.CountReady:
		*v = countValue(s)
		return nil
	}
	return fmt.Errorf(`must be "total" or "ready"`)
}

// durationSeconds formats d as seconds for tables.
func durationSeconds(d time.Duration) string { return fmt.Sprintf("%gs", d.Seconds()) }
