package kubetest

import (
	"context"
	"fmt"
	"io"
)

// LabOptions configure RunLab.
type LabOptions struct {
	// Options are passed to StartLab; RunLab always starts the workloads
	// (controller manager and kwok).
	Options
	// Replicas is the initial size of yeeter/yeeter-worker (default 1).
	Replicas int32
	// Out receives the instructions (kubeconfig path, commands to try).
	Out io.Writer
}

// RunLab is the body of a `make lab` command: it starts a control plane
// with workloads, creates the yeeter namespace and the yeeter-worker
// Deployment, prints how to use them, and keeps everything running until
// ctx is cancelled (e.g. by Ctrl-C via signal.NotifyContext), then stops
// and cleans up.
func RunLab(ctx context.Context, opts LabOptions) error {
	opts.Workloads = true
	if opts.Replicas == 0 {
		opts.Replicas = 1
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if _, err := EnsureTools(ctx, Kubectl); err != nil {
		return err
	}
	cp, err := StartLab(ctx, opts.Options)
	if err != nil {
		return err
	}
	defer cp.Stop()
	if _, err := cp.CreateYeeter(ctx, opts.Replicas); err != nil {
		return err
	}
	fmt.Fprintf(opts.Out, `kube-apiserver %s ready at %s (started in %s); logs in %s
deployment %s/%s created with %d replica(s) on the kwok node %s.

  export KUBECONFIG=%s
  %s get deploy,pods -n %s
  yeetscale --namespace %s --deployment %s

Ctrl-C stops everything.
`, KubeVersion, cp.URL, cp.StartTime.Round(1e6), cp.Dir, YeeterNamespace, YeeterDeployment, opts.Replicas, FakeNode,
		cp.Kubeconfig, cp.Tools.Bin(Kubectl), YeeterNamespace, YeeterNamespace, YeeterDeployment)
	<-ctx.Done()
	return nil
}
