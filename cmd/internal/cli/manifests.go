package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/yeeter/yeetscale/cmd/internal/version"
	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/rabbit"
)

func init() { subcommands = append(subcommands, newManifestsCmd) }

func newManifestsCmd(a *app) *cobra.Command {
	var o kube.ManifestOptions
	c := &cobra.Command{
		Use:   "manifests",
		Short: "Print the YAML that runs yeetscale --auto inside the cluster",
		Long: `Prints a ServiceAccount, a Role with only the rights yeetscale needs, a
RoleBinding and a Deployment running 'yeetscale --auto --leader-elect', with the
RabbitMQ credentials taken from a Secret (keys username and password).`,
		Example: fmt.Sprintf(`  kubectl -n yeeter create secret generic yeeter-secrets --from-literal=username=yeetscale --from-literal=password=...
  %[1]s manifests | kubectl apply -f -
  %[1]s manifests --namespace shop --deployment order-worker --queue orders --image registry.example/yeetscale:v1`, a.name),
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if o.Image == "" {
				img, ok := kube.ReleaseImage(version.Version)
				if !ok {
					return usage(fmt.Errorf("manifests: this is a development build (version %s), for which no image is published: pass --image with an image you built and pushed, or use a release build (its manifests name %s:<its version>)",
						engine.Printable(version.Version), kube.ImageRepository))
				}
				o.Image = img
			}
			out, err := kube.Manifests(o)
			if err != nil {
				return usage(err)
			}
			_, err = a.Out.Write(out)
			return err
		},
	}
	fs := c.Flags()
	fs.StringVarP(&o.Namespace, "namespace", "n", kube.DefaultNamespace, "namespace of the worker deployment (yeetscale runs there too)")
	fs.StringVar(&o.Deployment, "deployment", kube.DefaultDeployment, "worker deployment to scale")
	fs.StringVar(&o.Queue, "queue", kube.DefaultQueue, "RabbitMQ queue")
	fs.StringVar(&o.VHost, "vhost", "/", "RabbitMQ virtual host of the queue")
	fs.StringVar(&o.LeaseName, "lease-name", "", "leader-election Lease, in the Role and the arguments alike (default yeetscale-<deployment>)")
	fs.StringVar(&o.RabbitURL, "mgmt-url", rabbit.DefaultMgmtURL, "RabbitMQ management API URL as seen from inside the cluster (no credentials: those come from --secret)")
	fs.StringVar(&o.Image, "image", "", "yeetscale container image (default: "+kube.ImageRepository+":<this release's version>; a development build has none and needs --image)")
	fs.StringVar(&o.Secret, "secret", kube.DefaultSecret, "Secret with the RabbitMQ username and password")
	fs.IntVar(&o.MetricsPort, "metrics-port", kube.DefaultMetricsPort, "port of /metrics, /healthz and /readyz")
	fs.BoolVar(&o.KEDA, "keda", true, "allow listing KEDA ScaledObjects, which yeetscale checks for where KEDA is installed (harmless elsewhere; --keda=false drops the rule)")
	fs.StringArrayVar(&o.ExtraArgs, "arg", nil, "extra argument for yeetscale --auto (repeatable), e.g. --arg=--max-replicas=40; credentials (--password, --username, --token, user info in --mgmt-url) are refused: they come from --secret")
	return c
}
