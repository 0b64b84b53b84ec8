package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/yeeter/yeetscale/cmd/internal/version"
	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/rabbit"
)

func init() { subcommands = append(subcommands, newManifestsCmd) }

func newManifestsCmd(a *app) *cobra.Command {
	var o kube.ManifestOptions
	var k kedaExport
	c := &cobra.Command{
		Use:   "manifests",
		Short: "Print the YAML that runs yeetscale --auto inside the cluster",
		Long: `Prints a ServiceAccount, a Role with only the rights yeetscale needs, a
RoleBinding and a Deployment running 'yeetscale --auto --leader-elect', with the
RabbitMQ credentials taken from a Secret (keys username and password).

With --fleet the Deployment runs in fleet mode: it scales every Deployment of
the namespace annotated with yeetscale.yeeter.io/queue (or queue-pattern), and
the Role lets it list and watch Deployments and update their scale without
naming them. With -A (all namespaces) those rights go in a ClusterRole and
ClusterRoleBinding instead; the Lease stays in a Role of yeetscale's namespace.

With --keda it prints instead a KEDA ScaledObject and TriggerAuthentication
equivalent to the settings given with --arg (see the comments in its output);
in fleet mode one ScaledObject per annotated Deployment of the cluster
(--kubeconfig, --context), from its yeetscale.yeeter.io/ annotations.
--from-keda goes the other way: a shell script of 'kubectl annotate'
commands that give the fleet mode the settings of the cluster's ScaledObjects.`,
		Example: fmt.Sprintf(`  kubectl -n yeeter create secret generic yeeter-secrets --from-literal=username=yeetscale --from-literal=password=...
  %[1]s manifests | kubectl apply -f -
  %[1]s manifests --namespace shop --deployment order-worker --queue orders --image registry.example/yeetscale:v1
  %[1]s manifests --fleet --namespace shop
  %[1]s manifests --fleet -A -l team=payments
  %[1]s manifests --keda --namespace shop --deployment order-worker --queue orders --arg=--max-replicas=40
  %[1]s manifests --keda --fleet --namespace shop
  %[1]s manifests --from-keda --namespace shop > to-fleet.sh`, a.name),
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			out, err := manifestsOutput(c, &o, &k, a.Err)
			if err != nil {
				return err
			}
			_, err = a.Out.Write(out)
			return err
		},
	}
	addManifestsFlags(c.Flags(), &o, &k)
	return c
}

// manifestsOutput returns what manifests prints: the script of --from-keda,
// the KEDA objects of --keda, or yeetscale's own manifests.
func manifestsOutput(c *cobra.Command, o *kube.ManifestOptions, k *kedaExport, errOut io.Writer) ([]byte, error) {
	if err := checkManifestsFlags(c.Flags(), *o, *k); err != nil {
		return nil, err
	}
	switch {
	case k.fromKEDA:
		return fromKEDAScript(c.Context(), *o, k.cluster, errOut)
	case k.on:
		return k.manifests(c.Context(), *o, errOut)
	}
	if o.Image == "" {
		img, ok := kube.ReleaseImage(version.Version)
		if !ok {
			return nil, usage(fmt.Errorf("manifests: this is a development build (version %s), for which no image is published: pass --image with an image you built and pushed, or use a release build (its manifests name %s:<its version>)",
				engine.Printable(version.Version), kube.ImageRepository))
		}
		o.Image = img
	}
	out, err := kube.Manifests(*o)
	if err != nil {
		return nil, usage(err)
	}
	return out, nil
}

// checkManifestsFlags refuses the flags that do not go together: a single
// target (--deployment, --queue) in fleet mode or with --from-keda, and
// --keda with --from-keda.
func checkManifestsFlags(fs *pflag.FlagSet, o kube.ManifestOptions, k kedaExport) error {
	fleet := o.Fleet || o.AllNamespaces || fs.Changed("selector")
	for _, f := range []string{"deployment", "queue"} {
		if fleet && fs.Changed(f) {
			return usage(fmt.Errorf("manifests: --%s names the one target of the single-target mode; in fleet mode (--fleet, -A, -l) the targets are the Deployments annotated with %s", f, engine.AnnotationQueue))
		}
	}
	if !k.fromKEDA {
		return nil
	}
	if k.on {
		return usage(errors.New("manifests: --keda prints ScaledObjects from yeetscale's settings, --from-keda the other way: give one"))
	}
	for _, f := range []string{"deployment", "queue"} {
		if fs.Changed(f) {
			return usage(fmt.Errorf("manifests --from-keda: --%s: the Deployments and queues come from the ScaledObjects", f))
		}
	}
	return nil
}

// addManifestsFlags registers manifests' flags on fs.
func addManifestsFlags(fs *pflag.FlagSet, o *kube.ManifestOptions, k *kedaExport) {
	fs.StringVarP(&o.Namespace, "namespace", "n", kube.DefaultNamespace, "namespace of the worker deployment (yeetscale runs there too)")
	fs.StringVar(&o.Deployment, "deployment", kube.DefaultDeployment, "worker deployment to scale")
	fs.StringVar(&o.Queue, "queue", kube.DefaultQueue, "RabbitMQ queue")
	fs.StringVar(&o.VHost, "vhost", "/", "RabbitMQ virtual host of the queue")
	fs.StringVar(&o.LeaseName, "lease-name", "", "leader-election Lease, in the Role and the arguments alike (default yeetscale-<deployment>; with --fleet yeetscale-fleet)")
	fs.StringVar(&o.RabbitURL, "mgmt-url", rabbit.DefaultMgmtURL, "RabbitMQ management API URL as seen from inside the cluster (no credentials: those come from --secret)")
	fs.StringVar(&o.Image, "image", "", "yeetscale container image (default: "+kube.ImageRepository+":<this release's version>; a development build has none and needs --image)")
	fs.StringVar(&o.Secret, "secret", kube.DefaultSecret, "Secret with the RabbitMQ username and password")
	fs.IntVar(&o.MetricsPort, "metrics-port", kube.DefaultMetricsPort, "port of /metrics, /healthz and /readyz")
	addKEDAFlags(fs, o, k)
	fs.BoolVar(&o.Fleet, "fleet", false, "fleet mode: scale every Deployment of the namespace annotated with "+engine.AnnotationQueue+" (list/watch/update any Deployment's scale there)")
	fs.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "fleet mode across all namespaces (implies --fleet): the rights go in a ClusterRole and ClusterRoleBinding")
	fs.StringVarP(&o.Selector, "selector", "l", "", "fleet mode only for the Deployments matching this label selector (implies --fleet)")
	fs.StringArrayVar(&o.ExtraArgs, "arg", nil, "extra argument for yeetscale --auto (repeatable), e.g. --arg=--max-replicas=40; credentials (--password, --username, --token, user info in --mgmt-url) are refused: they come from --secret")
}
