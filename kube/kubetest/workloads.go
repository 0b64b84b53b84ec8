package kubetest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// FakeNode is the kwok-managed Node that workload pods are bound to.
const FakeNode = "kwok-node-0"

// kwok's node annotation and taint.
const (
	kwokNodeKey   = "kwok.x-k8s.io/node"
	kwokNodeValue = "fake"
)

// StartWorkloads starts kube-controller-manager (deployment, replicaset,
// namespace, garbage collector and service-account controllers) and kwok,
// and registers FakeNode, waiting until it is Ready. Afterwards a
// Deployment made by CreateWorkload gets Running and Ready pods without
// containers. It is idempotent; StartLab calls it when Options.Workloads
// is set.
func (cp *ControlPlane) StartWorkloads(ctx context.Context) error {
	cp.workOnce.Do(func() { cp.workErr = cp.startWorkloads(ctx) })
	return cp.workErr
}

// startWorkloads does the work of StartWorkloads, once.
func (cp *ControlPlane) startWorkloads(ctx context.Context) error {
	began := time.Now()
	tools, err := EnsureTools(ctx, KubeControllerManager, Kwok)
	if err != nil {
		return err
	}
	stages, err := KwokStages(ctx, tools)
	if err != nil {
		return err
	}
	kcm, err := cp.startControllerManager(tools)
	if err != nil {
		return err
	}
	cp.add(kcm)
	kwok := &kwokRun{cp: cp, bin: tools.Bin(Kwok), stages: stages}
	if err := kwok.start(); err != nil {
		return err
	}
	if err := cp.createFakeNode(ctx); err != nil {
		return err
	}
	err = cp.waitNodeReady(ctx, kcm, kwok)
	switch {
	case kwok.p == nil:
		return err
	case kcm.exited():
		return kcm.failure("exited")
	case kwok.p.exited():
		return kwok.p.failure("exited")
	case err != nil:
		return kwok.p.failure(fmt.Sprintf("did not make node %s Ready: %v", FakeNode, err))
	}
	cp.logf("kubetest: kube-controller-manager + kwok ready, node %s Ready in %s", FakeNode, time.Since(began).Round(time.Millisecond))
	return nil
}

// startControllerManager starts kube-controller-manager with the
// controllers the workloads need (and the HPA's with Options.HPA).
func (cp *ControlPlane) startControllerManager(tools Tools) (*process, error) {
	controllers := "deployment,replicaset,namespace,garbagecollector,serviceaccount,serviceaccount-token"
	var hpaFlags []string
	if cp.opts.HPA {
		controllers += ",horizontalpodautoscaling"
		if cp.opts.HPASyncPeriod > 0 {
			hpaFlags = append(hpaFlags, "--horizontal-pod-autoscaler-sync-period="+cp.opts.HPASyncPeriod.String())
		}
	}
	return startProcess(cp.Dir, "kube-controller-manager", tools.Bin(KubeControllerManager), append([]string{
		"--kubeconfig=" + cp.Kubeconfig, "--authentication-kubeconfig=" + cp.Kubeconfig,
		"--authorization-kubeconfig=" + cp.Kubeconfig,
		"--bind-address=127.0.0.1", "--secure-port=0", "--leader-elect=false",
		"--controllers=" + controllers,
		"--service-account-private-key-file=" + cp.pki.SAKeyFile, "--root-ca-file=" + cp.pki.CAFile,
		"--use-service-account-credentials=false",
		"--concurrent-deployment-syncs=5", "--concurrent-replicaset-syncs=5", "--v=1"}, hpaFlags...)...)
}

// kwokRun is kwok, started again when it crashes on its known start-up
// race.
type kwokRun struct {
	cp          *ControlPlane
	bin, stages string
	p           *process // the latest start (nil when it failed)
	attempts    int      // how many times kwok was started
}

// start starts kwok (again), managing only FakeNode.
func (k *kwokRun) start() error {
	k.attempts++
	name := "kwok"
	if k.attempts > 1 {
		name = fmt.Sprintf("kwok-attempt%d", k.attempts)
	}
	p, err := startProcess(k.cp.Dir, name, k.bin,
		"--kubeconfig="+k.cp.Kubeconfig, "--config="+k.stages,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector="+kwokNodeKey+"="+kwokNodeValue,
		"--cidr=10.0.0.1/24", "--node-ip=10.0.0.1", "--server-address=127.0.0.1:0")
	if err == nil {
		k.cp.add(p)
	}
	k.p = p
	return err
}

// restartAfterKnownRace starts kwok again when it exited on its known
// start-up race, up to kwokAttempts starts in all: kwok v0.8.0 sometimes
// dies at start-up on a data race in its CEL type registry (easycel:
// concurrent map writes); a fresh start gets past it.
func (k *kwokRun) restartAfterKnownRace() error {
	if !k.p.exited() || k.attempts >= kwokAttempts || !k.p.crashedOnKnownRace() {
		return nil
	}
	k.cp.logf("kubetest: kwok crashed on its known start-up race (see %s); starting it again (attempt %d of %d)", k.p.logPath, k.attempts+1, kwokAttempts)
	return k.start()
}

// createFakeNode registers FakeNode, for kwok to manage, unless it exists.
func (cp *ControlPlane) createFakeNode(ctx context.Context) error {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        FakeNode,
			Annotations: map[string]string{kwokNodeKey: kwokNodeValue, "node.alpha.kubernetes.io/ttl": "0"},
			Labels:      map[string]string{"type": "kwok", "kubernetes.io/hostname": FakeNode, "kubernetes.io/os": "linux"},
		},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: kwokNodeKey, Value: kwokNodeValue, Effect: corev1.TaintEffectNoSchedule}}},
	}
	if _, err := cp.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("kubetest: creating node %s: %w", FakeNode, err)
	}
	return nil
}

// waitNodeReady waits up to a minute until FakeNode is Ready, or until
// kube-controller-manager or kwok exits (kwok is started again after its
// known start-up race).
func (cp *ControlPlane) waitNodeReady(ctx context.Context, kcm *process, kwok *kwokRun) error {
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		if err := kwok.restartAfterKnownRace(); err != nil {
			return false, err
		}
		if kcm.exited() || kwok.p.exited() {
			return true, nil
		}
		n, err := cp.Client.CoreV1().Nodes().Get(ctx, FakeNode, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
}

// kwokAttempts is how many times kwok is started when it crashes on its
// known start-up race.
const kwokAttempts = 3

// crashedOnKnownRace reports whether the process's log ends in kwok's known
// start-up crash (a concurrent map write in easycel's type registry).
func (p *process) crashedOnKnownRace() bool {
	b, err := os.ReadFile(p.logPath)
	return err == nil && bytes.Contains(b, []byte("fatal error: concurrent map writes")) && bytes.Contains(b, []byte("easycel"))
}

// Deployment defaults for CreateWorkload / CreateYeeter.
const (
	YeeterNamespace  = "yeeter"
	YeeterDeployment = "yeeter-worker"
)

// CreateWorkload creates namespace ns (if missing) and a Deployment name
// with replicas pods, bound to FakeNode and tolerating its taint, so that
// with StartWorkloads its pods become Running and Ready. Without
// StartWorkloads the Deployment still exists and its scale subresource
// works, but its status never changes.
func (cp *ControlPlane) CreateWorkload(ctx context.Context, ns, name string, replicas int32) (*appsv1.Deployment, error) {
	if err := cp.EnsureNamespace(ctx, ns); err != nil {
		return nil, err
	}
	d := WorkloadDeployment(ns, name, replicas)
	created, err := cp.Client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("kubetest: creating deployment %s/%s: %w", ns, name, err)
	}
	return created, nil
}

// WorkloadDeployment is the Deployment CreateWorkload creates: pods bound
// to FakeNode and tolerating its taint, with no real container.
func WorkloadDeployment(ns, name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app.kubernetes.io/name": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					NodeName: FakeNode,
					Tolerations: []corev1.Toleration{{
						Key: kwokNodeKey, Operator: corev1.TolerationOpEqual, Value: kwokNodeValue, Effect: corev1.TaintEffectNoSchedule,
					}},
					Containers: []corev1.Container{{Name: "worker", Image: "registry.invalid/yeeter-worker:fake"}},
				},
			},
		},
	}
}

// CreateYeeter creates the yeeter namespace and the yeeter-worker
// Deployment (the defaults of yeetscale) with replicas pods.
func (cp *ControlPlane) CreateYeeter(ctx context.Context, replicas int32) (*appsv1.Deployment, error) {
	return cp.CreateWorkload(ctx, YeeterNamespace, YeeterDeployment, replicas)
}

// EnsureNamespace creates namespace ns unless it exists.
func (cp *ControlPlane) EnsureNamespace(ctx context.Context, ns string) error {
	_, err := cp.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("kubetest: creating namespace %s: %w", ns, err)
	}
	return nil
}

// WaitReady waits until Deployment ns/name reports readyReplicas == n
// (and observedGeneration is current), or ctx ends.
func (cp *ControlPlane) WaitReady(ctx context.Context, ns, name string, n int32) (*appsv1.Deployment, error) {
	var last *appsv1.Deployment
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		d, err := cp.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = d
		return d.Status.ObservedGeneration >= d.Generation && d.Status.ReadyReplicas == n && d.Status.Replicas == n, nil
	})
	if err != nil {
		got := "no deployment"
		if last != nil {
			got = fmt.Sprintf("ready %d, replicas %d, spec %d", last.Status.ReadyReplicas, last.Status.Replicas, *last.Spec.Replicas)
		}
		return last, fmt.Errorf("kubetest: deployment %s/%s not at %d ready replicas (%s): %w", ns, name, n, got, err)
	}
	return last, nil
}
