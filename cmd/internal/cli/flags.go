package cli

import (
	"fmt"
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
// modes, demo and sim: every setting of engine.Settings that has a flag.
var policyFlags = func() []policyFlag {
	var out []policyFlag
	for _, s := range engine.Settings() {
		if s.Flag {
			out = append(out, policyFlag{name: s.Name, bind: func(fs *pflag.FlagSet, c *engine.Config) { bindSetting(fs, s, c) }, copy: s.Copy})
		}
	}
	return out
}()

// bindSetting adds s's flag to fs, bound to its field in c (whose value is
// the default shown in help).
func bindSetting(fs *pflag.FlagSet, s engine.Setting, c *engine.Config) {
	switch p := s.Ptr(c).(type) {
	case *int32:
		fs.Int32Var(p, s.Name, *p, s.Help)
	case *int64:
		fs.Int64Var(p, s.Name, *p, s.Help)
	case *float64:
		fs.Float64Var(p, s.Name, *p, s.Help)
	case *time.Duration:
		fs.DurationVar(p, s.Name, *p, s.Help)
	case *string:
		fs.StringVar(p, s.Name, *p, s.Help)
	case *engine.Count:
		fs.Var((*countValue)(p), s.Name, s.Help)
	default:
		panic(fmt.Sprintf("flag --%s: no binding for %T", s.Name, p))
	}
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
