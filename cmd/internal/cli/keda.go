package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// kedaFlag is manifests' --keda. Bare (or =true) it prints a KEDA
// ScaledObject instead of yeetscale's manifests; =false keeps the meaning
// the flag had before the export existed, dropping the Role's rule to list
// ScaledObjects (now --keda-rule=false).
type kedaFlag struct {
	export *bool
	rule   *bool
}

func (f kedaFlag) String() string { return strconv.FormatBool(*f.export) }
func (f kedaFlag) Type() string   { return "" }
func (f kedaFlag) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("must be given bare (--keda) or as --keda=false (the former --keda-rule=false)")
	}
	if v {
		*f.export = true
	} else {
		*f.rule = false
	}
	return nil
}

// addKEDAFlags registers manifests' --keda (the export, see kedaFlag) and
// --keda-rule (o.KEDA) on fs.
func addKEDAFlags(fs *pflag.FlagSet, o *kube.ManifestOptions, export *bool) {
	fs.BoolVar(&o.KEDA, "keda-rule", true, "allow listing KEDA ScaledObjects, which yeetscale checks for where KEDA is installed (harmless elsewhere; --keda-rule=false drops the rule)")
	fs.Var(kedaFlag{export: export, rule: &o.KEDA}, "keda",
		"print a KEDA ScaledObject and TriggerAuthentication equivalent to these settings (the scaling settings come from --arg, e.g. --arg=--max-replicas=40) instead of yeetscale's manifests; --keda=false is the former --keda-rule=false")
	fs.Lookup("keda").NoOptDefVal = "true"
}

// kedaManifests renders `manifests --keda`: the scaling settings are the
// policy flags among o.ExtraArgs (what the Deployment of yeetscale's own
// manifests would run with), on top of the defaults.
func kedaManifests(o kube.ManifestOptions) ([]byte, error) {
	if o.Fleet || o.AllNamespaces || o.Selector != "" {
		return nil, usage(fmt.Errorf("manifests: --keda renders one ScaledObject for --deployment and --queue; fleet mode (--fleet, -A, -l) has no KEDA equivalent (one ScaledObject per Deployment)"))
	}
	c, err := configFromArgs(o.ExtraArgs)
	if err != nil {
		return nil, usage(err)
	}
	out, err := kube.KEDAManifests(o, c)
	if err != nil {
		return nil, usage(err)
	}
	return out, nil
}

// configFromArgs returns the defaults overridden by the policy flags
// among args (other arguments are left to yeetscale --auto).
func configFromArgs(args []string) (engine.Config, error) {
	c := engine.DefaultConfig()
	fs := pflag.NewFlagSet("arg", pflag.ContinueOnError)
	fs.ParseErrorsAllowlist.UnknownFlags = true
	fs.SetOutput(discard{})
	bindPolicyFlags(fs, &c)
	if err := fs.Parse(args); err != nil {
		return c, fmt.Errorf("manifests --keda: --arg: %w", err)
	}
	return c, nil
}

// discard is an io.Writer that drops everything.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
