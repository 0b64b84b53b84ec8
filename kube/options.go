package kube

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Defaults for the worker Deployment.
const (
	DefaultNamespace  = "yeeter"
	DefaultDeployment = "yeeter-worker"
)

// Where the namespace came from, in the order Complete tries them.
const (
	NamespaceFromFlag      = "flag"       // -n / --namespace
	NamespaceFromContext   = "context"    // the kubeconfig context's namespace
	NamespaceFromInCluster = "in-cluster" // the pod's own namespace
	NamespaceFromDefault   = "default"    // DefaultNamespace
)

// Options are the kubectl-style settings for reaching the worker
// Deployment: the genericclioptions.ConfigFlags every kubectl user knows
// (--kubeconfig, --context, -n/--namespace, --as, --server, ...) plus
// --deployment and --force. Use it as NewOptions, AddFlags, parse, Complete,
// Validate, NewScaler.
type Options struct {
	// ConfigFlags are client-go's kubeconfig flags; they fall back to the
	// in-cluster configuration when running in a pod without a kubeconfig.
	ConfigFlags *genericclioptions.ConfigFlags
	// Deployment is the worker Deployment's name (--deployment).
	Deployment string
	// Force applies changes even while an HPA or KEDA ScaledObject targets
	// the Deployment (--force).
	Force bool

	// Target is filled in by Complete.
	Target Target
	// RESTConfig is filled in by Complete.
	RESTConfig *rest.Config
}

// Target is the resolved destination, for display ("context kind-lab,
// namespace yeeter (from the context), deployment yeeter-worker").
type Target struct {
	// Context is the kubeconfig context in use, or "in-cluster".
	Context string
	// Namespace is the worker Deployment's namespace; NamespaceSource says
	// where it came from (NamespaceFromFlag, ...).
	Namespace       string
	NamespaceSource string
	// Deployment is the worker Deployment's name.
	Deployment string
	// Server is the API server URL (never with credentials).
	Server string
}

// ErrBadKubeconfig is a kubeconfig that cannot be read: a usage problem,
// not an unreachable cluster.
var ErrBadKubeconfig = errors.New("cannot read the kubeconfig")

var errNoConfig = errors.New("no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, " +
	"create ~/.kube/config, or run inside a cluster")

// NewOptions returns Options with the defaults (deployment yeeter-worker;
// namespace resolved by Complete).
func NewOptions() *Options {
	return &Options{
		ConfigFlags: genericclioptions.NewConfigFlags(true),
		Deployment:  DefaultDeployment,
	}
}

// AddFlags registers the kubeconfig flags, --deployment and --force on fs.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	o.ConfigFlags.AddFlags(fs)
	fs.StringVar(&o.Deployment, "deployment", o.Deployment, "name of the worker Deployment to scale")
	fs.BoolVar(&o.Force, "force", o.Force,
		"apply changes even while a HorizontalPodAutoscaler or KEDA ScaledObject targets the Deployment")
}

// Complete resolves the context, the namespace and the REST configuration.
// The namespace is, in order: -n/--namespace; the namespace of the
// kubeconfig context in use; the pod's namespace when running in-cluster
// without a kubeconfig; DefaultNamespace ("yeeter").
func (o *Options) Complete() error {
	loader := o.ConfigFlags.ToRawKubeConfigLoader()
	raw, err := loader.RawConfig()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %v: pass an existing file with --kubeconfig, set KUBECONFIG, or run in the cluster", ErrBadKubeconfig, err)
		}
		return fmt.Errorf("%w: %v: check the file, or pass another with --kubeconfig", ErrBadKubeconfig, err)
	}
	contextName := raw.CurrentContext
	if o.ConfigFlags.Context != nil && *o.ConfigFlags.Context != "" {
		contextName = *o.ConfigFlags.Context
	}
	var contextNS, inClusterNS string
	if c, ok := raw.Contexts[contextName]; ok && c != nil {
		contextNS = c.Namespace
	}
	inCluster := len(raw.Contexts) == 0 && os.Getenv("KUBERNETES_SERVICE_HOST") != ""
	if inCluster {
		contextName = "in-cluster"
		if ns, _, err := loader.Namespace(); err == nil {
			inClusterNS = ns
		}
	}
	// Without this check client-go would fall back to http://localhost:8080.
	serverFlag := o.ConfigFlags.APIServer != nil && *o.ConfigFlags.APIServer != ""
	if len(raw.Clusters) == 0 && !inCluster && !serverFlag {
		return errNoConfig
	}
	flagNS := ""
	if o.ConfigFlags.Namespace != nil {
		flagNS = *o.ConfigFlags.Namespace
	}
	ns, source := ResolveNamespace(flagNS, contextNS, inClusterNS)

	rc, err := o.ConfigFlags.ToRESTConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return errNoConfig
		}
		return fmt.Errorf("kubernetes client configuration: %w", err)
	}
	rc = rest.CopyConfig(rc)
	recordCredentials(rc) // for the clients built from RESTConfig outside this package
	if rc.UserAgent == "" || strings.HasPrefix(rc.UserAgent, "Go-http-client") {
		rc.UserAgent = Component
	}
	o.RESTConfig = rc
	o.Target = Target{
		Context:         contextName,
		Namespace:       ns,
		NamespaceSource: source,
		Deployment:      o.Deployment,
		Server:          redactURL(rc.Host),
	}
	return nil
}

// ResolveNamespace picks the namespace the way kubectl users expect: the
// flag wins, then the kubeconfig context's namespace, then the pod's own
// namespace in-cluster, then DefaultNamespace. It returns the namespace
// and its source (NamespaceFromFlag, ...).
func ResolveNamespace(flag, context, inCluster string) (namespace, source string) {
	switch {
	case flag != "":
		return flag, NamespaceFromFlag
	case context != "":
		return context, NamespaceFromContext
	case inCluster != "":
		return inCluster, NamespaceFromInCluster
	}
	return DefaultNamespace, NamespaceFromDefault
}

// Validate checks the deployment and namespace names (call after Complete).
func (o *Options) Validate() error {
	if msgs := validation.IsDNS1123Subdomain(o.Deployment); len(msgs) > 0 {
		return fmt.Errorf("invalid --deployment %q: %s", o.Deployment, strings.Join(msgs, "; "))
	}
	ns := o.Target.Namespace
	if ns == "" {
		return errors.New("namespace not resolved: call Complete before Validate")
	}
	if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
		return fmt.Errorf("invalid --namespace %q: %s", ns, strings.Join(msgs, "; "))
	}
	return nil
}

// NewScaler returns the Scaler for the completed options and the resolved
// target. warn receives non-fatal problems (see ScalerConfig.Warn); it may
// be nil.
func (o *Options) NewScaler(warn func(error)) (*Scaler, Target, error) {
	if o.RESTConfig == nil {
		return nil, Target{}, errors.New("kube: call Complete before NewScaler")
	}
	s, err := NewScaler(o.RESTConfig, ScalerConfig{
		Namespace:  o.Target.Namespace,
		Deployment: o.Deployment,
		Force:      o.Force,
		Warn:       warn,
	})
	if err != nil {
		return nil, Target{}, err
	}
	return s, o.Target, nil
}

// NewTargetInformer returns the fleet mode's TargetInformer on the
// completed options' cluster; --force applies to every target. t.Namespace
// is the namespace to follow ("" for all: -A), usually o.Target.Namespace.
func (o *Options) NewTargetInformer(t TargetInformerOptions) (*TargetInformer, error) {
	if o.RESTConfig == nil {
		return nil, errors.New("kube: call Complete before NewTargetInformer")
	}
	t.Force = t.Force || o.Force
	return NewTargetInformerForConfig(o.RESTConfig, t)
}
