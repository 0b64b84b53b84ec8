package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/dynamic"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/rabbit"
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

// scaledObjectImport is --from-scaledobject: the ScaledObject whose
// settings yeetscale runs with.
type scaledObjectImport struct {
	name string
	// fs is the flag set, to let the flags given explicitly win.
	fs *pflag.FlagSet
}

func (s *scaledObjectImport) addFlags(fs *pflag.FlagSet) {
	s.fs = fs
	fs.StringVar(&s.name, "from-scaledobject", "", "take the queue, vhost, Deployment and limits from this KEDA ScaledObject of the namespace (its RabbitMQ trigger, QueueLength mode); flags given explicitly win; --dry-run is forced while the ScaledObject is not paused")
}

// importTimeout bounds reading the ScaledObject.
const importTimeout = 15 * time.Second

// importScaledObject reads --from-scaledobject (when given) into cfg and
// into the broker and cluster options: the ScaledObject's settings replace
// the defaults, the flags given explicitly win. Call it after Complete
// and Validate of the kube options; it validates again what it changed.
func (o *liveOptions) importScaledObject(cfg *engine.Config) (*kube.KEDAImport, error) {
	if o.from.name == "" {
		return nil, nil
	}
	dyn, err := dynamic.NewForConfig(o.kube.RESTConfig)
	if err != nil {
		return nil, clusterErr(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), importTimeout)
	defer cancel()
	imp, err := kube.ImportScaledObject(ctx, dyn, o.kube.Target.Namespace, o.from.name, *cfg)
	switch {
	case errors.Is(err, kube.ErrScaledObjectNotFound):
		return nil, usage(err)
	case apierrors.IsNotFound(err):
		return nil, usage(fmt.Errorf("--from-scaledobject: KEDA is not installed in this cluster (no scaledobjects.keda.sh): %w", err))
	case errors.Is(err, kube.ErrScaledObjectSettings):
		return nil, usage(fmt.Errorf("--from-scaledobject: %w", err))
	case err != nil:
		return nil, clusterErr(err)
	}
	given := *cfg
	*cfg = imp.Config
	overrideChanged(o.from.fs, cfg, &given)
	changed := func(f string) bool { return o.from.fs != nil && o.from.fs.Changed(f) }
	if !changed(rabbit.FlagQueue) {
		o.rabbit.Queue = imp.Config.Queue
	}
	if !changed(rabbit.FlagVHost) {
		o.rabbit.VHost = imp.Config.VHost
	}
	if !changed("deployment") {
		o.kube.Deployment, o.kube.Target.Deployment = imp.Config.Deployment, imp.Config.Deployment
	}
	if err := o.rabbit.Validate(); err != nil {
		return nil, usage(fmt.Errorf("--from-scaledobject: %w", err))
	}
	if err := o.kube.Validate(); err != nil {
		return nil, usage(fmt.Errorf("--from-scaledobject: %w", err))
	}
	imp.Config = *cfg
	return &imp, nil
}

// shadowImported logs what --from-scaledobject carried over and left out
// and returns the dry-run setting: forced on while the ScaledObject is not
// paused, since KEDA scales the Deployment and yeetscale may only shadow it.
func shadowImported(dryRun bool, imp *kube.KEDAImport, logger *slog.Logger) bool {
	if imp == nil {
		return dryRun
	}
	c := imp.Config
	logger.Info("from-scaledobject", "namespace", engine.Printable(c.Namespace), "deployment", engine.Printable(c.Deployment),
		"queue", engine.Printable(c.Queue), "vhost", engine.Printable(c.VHost), "target_messages", c.TargetMessages,
		"min_replicas", c.MinReplicas, "max_replicas", c.MaxReplicas, "poll_interval", c.PollInterval.String(),
		"scale_down_window", c.ScaleDownWindow.String(), "tolerance", c.Tolerance, "count", string(c.Count),
		"activation_messages", c.ActivationMessages, "idle_before_zero", c.IdleBeforeZero.String())
	for _, n := range imp.Notes {
		logger.Warn("from-scaledobject", "note", n)
	}
	if imp.Active && !dryRun {
		logger.Warn("from-scaledobject", "note", "--dry-run forced: KEDA scales the Deployment while the ScaledObject is not paused (annotation autoscaling.keda.sh/paused=true); yeetscale shadows it")
		return true
	}
	return dryRun
}
