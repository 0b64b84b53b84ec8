package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

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

// kedaExport is manifests' --keda: whether it was given and, for fleet
// mode, the cluster whose annotated Deployments it reads.
type kedaExport struct {
	on bool
	// fromKEDA is --from-keda: the other way, ScaledObjects to fleet
	// annotations.
	fromKEDA bool
	// cluster has only --kubeconfig and --context: the namespace is
	// manifests' own -n.
	cluster *genericclioptions.ConfigFlags
	fs      *pflag.FlagSet
}

// addKEDAFlags registers manifests' --keda (the export, see kedaFlag),
// --keda-rule (o.KEDA), and --kubeconfig and --context for the export of
// a fleet, on fs.
func addKEDAFlags(fs *pflag.FlagSet, o *kube.ManifestOptions, k *kedaExport) {
	fs.BoolVar(&o.KEDA, "keda-rule", true, "allow listing KEDA ScaledObjects, which yeetscale checks for where KEDA is installed (harmless elsewhere; --keda-rule=false drops the rule)")
	fs.Var(kedaFlag{export: &k.on, rule: &o.KEDA}, "keda",
		"print KEDA ScaledObjects and TriggerAuthentications instead of yeetscale's manifests: for --deployment with the settings of --arg (e.g. --arg=--max-replicas=40), or in fleet mode (--fleet, -A, -l) one per annotated Deployment of the cluster, its annotations over --arg; --keda=false is the former --keda-rule=false")
	fs.Lookup("keda").NoOptDefVal = "true"
	k.cluster, k.fs = &genericclioptions.ConfigFlags{KubeConfig: new(string), Context: new(string)}, fs
	fs.BoolVar(&k.fromKEDA, "from-keda", false, "print a shell script of 'kubectl annotate' commands that give the fleet mode the settings of the KEDA ScaledObjects of -n (or all with -A; -l selects ScaledObjects), for review")
	fs.StringVar(k.cluster.KubeConfig, "kubeconfig", "", "--keda in fleet mode, --from-keda: the kubeconfig of the cluster that is read (default: KUBECONFIG, ~/.kube/config, or in-cluster)")
	fs.StringVar(k.cluster.Context, "context", "", "--keda in fleet mode, --from-keda: the kubeconfig context to use")
}

// kedaManifests renders `manifests --keda`: in fleet mode from the
// cluster's annotated Deployments (see kedaFleetManifests); otherwise for
// o's Deployment, the scaling settings being the policy flags among
// o.ExtraArgs (what the Deployment of yeetscale's own manifests would run
// with), on top of the defaults.
func (k *kedaExport) manifests(ctx context.Context, o kube.ManifestOptions, errOut io.Writer) ([]byte, error) {
	if o.Fleet || o.AllNamespaces || o.Selector != "" {
		return kedaFleetManifests(ctx, o, k.cluster, errOut)
	}
	for _, f := range []string{"kubeconfig", "context"} {
		if k.fs.Changed(f) {
			return nil, usage(fmt.Errorf("manifests --keda: --%s reads the cluster's annotated Deployments, in fleet mode only (--fleet, -A, -l); without it the settings come from the flags and --arg", f))
		}
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

// fleetExportTimeout bounds reading the fleet's Deployments.
const fleetExportTimeout = 30 * time.Second

// kedaFleetManifests renders `manifests --keda` in fleet mode: one
// ScaledObject per Deployment fleet mode would follow (-n, or all with -A,
// narrowed by -l), its yeetscale.yeeter.io/ annotations over the --arg
// settings, and a TriggerAuthentication per namespace. A Deployment whose
// annotations are invalid, or have no KEDA equivalent, is skipped with one
// line on errOut.
func kedaFleetManifests(ctx context.Context, o kube.ManifestOptions, cluster *genericclioptions.ConfigFlags, errOut io.Writer) ([]byte, error) {
	if err := o.ValidateKEDAFleet(); err != nil {
		return nil, usage(err)
	}
	defaults, err := configFromArgs(o.ExtraArgs)
	if err != nil {
		return nil, usage(err)
	}
	defaults.VHost = o.VHost
	if defaults.VHost == "" {
		defaults.VHost = "/"
	}
	rc, ns, err := fleetCluster(o, cluster)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, fleetExportTimeout)
	defer cancel()
	targets, err := kube.FleetTargets(ctx, rc, ns, o.Selector, defaults)
	if err != nil {
		return nil, clusterErr(fmt.Errorf("manifests --keda: %w", err))
	}
	out, skipped, err := kube.KEDAFleetManifests(o, targets)
	for _, s := range skipped {
		fmt.Fprintf(errOut, "manifests --keda: skipped %s\n", s)
	}
	if err != nil {
		return nil, usage(err)
	}
	return out, nil
}

// fleetCluster is the cluster that manifests reads in fleet mode
// (--kubeconfig, --context) and the namespace: -n, or "" (all) with -A. A
// kubeconfig that cannot be read is a usage error.
func fleetCluster(o kube.ManifestOptions, cluster *genericclioptions.ConfigFlags) (*rest.Config, string, error) {
	ko := &kube.Options{ConfigFlags: cluster}
	if err := ko.Complete(); err != nil {
		if errors.Is(err, kube.ErrBadKubeconfig) {
			return nil, "", usage(err)
		}
		return nil, "", clusterErr(err)
	}
	if o.AllNamespaces {
		return ko.RESTConfig, "", nil
	}
	return ko.RESTConfig, o.Namespace, nil
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
