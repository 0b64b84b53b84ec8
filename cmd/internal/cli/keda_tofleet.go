package cli

import (
	"context"
	"fmt"
	"io"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/dynamic"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// fromKEDAScript renders `manifests --from-keda`: a shell script of
// `kubectl annotate` commands that give the fleet mode the settings of the
// cluster's KEDA ScaledObjects (in -n, or every namespace with -A; -l
// selects ScaledObjects by label). A ScaledObject that cannot be turned
// into annotations is skipped with one line on errOut.
func fromKEDAScript(ctx context.Context, o kube.ManifestOptions, cluster *genericclioptions.ConfigFlags, errOut io.Writer) ([]byte, error) {
	if err := o.ValidateKEDAFleet(); err != nil {
		return nil, usage(err)
	}
	rc, ns, err := fleetCluster(o, cluster)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, clusterErr(fmt.Errorf("manifests --from-keda: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, fleetExportTimeout)
	defer cancel()
	fs, skipped, err := kube.ListFleetFromKEDA(ctx, dyn, ns, o.Selector, engine.DefaultConfig())
	if err != nil {
		return nil, clusterErr(fmt.Errorf("manifests --from-keda: %w", err))
	}
	for _, s := range skipped {
		fmt.Fprintf(errOut, "manifests --from-keda: skipped %s\n", s)
	}
	out, err := kube.FleetFromKEDAScript(fs)
	if err != nil {
		where := "namespace " + engine.Printable(ns)
		if ns == "" {
			where = "any namespace"
		}
		return nil, fmt.Errorf("manifests --from-keda: %w in %s (%d skipped)", err, where, len(skipped))
	}
	return out, nil
}
