package kube_test

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// podNames lists the live pods of the test's Deployment, sorted.
func podNames(t *testing.T, cp *kubetest.ControlPlane, ns string) []string {
	t.Helper()
	list, err := cp.Client.CoreV1().Pods(ns).List(testCtx(t), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
			out = append(out, p.Name)
		}
	}
	sort.Strings(out)
	return out
}

// deletingConsumers lists a consumer per pod (busy ones with a message in
// hand) and, when first asked, deletes the pod gone: a pod that vanishes
// after the chooser listed the pods, before it marks them.
type deletingConsumers struct {
	t          *testing.T
	cp         *kubetest.ControlPlane
	ns, gone   string
	idle, busy []string
	deleted    bool
}

func (d *deletingConsumers) Consumers(ctx context.Context) ([]engine.Consumer, error) {
	if !d.deleted {
		d.deleted = true
		zero := int64(0)
		if err := d.cp.Client.CoreV1().Pods(d.ns).Delete(ctx, d.gone, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
			d.t.Errorf("deleting pod %s: %v", d.gone, err)
		}
	}
	var out []engine.Consumer
	for _, p := range d.idle {
		out = append(out, engine.Consumer{ConnectionName: p})
	}
	for _, p := range d.busy {
		out = append(out, engine.Consumer{ConnectionName: p, Unacked: 1})
	}
	return out, nil
}

// TestPodChoiceVanishingPods (issue #15, on the real apiserver and
// ReplicaSet controller): of 4 pods, 2 idle and 2 busy, one idle pod
// vanishes after the chooser listed the pods (its mark is skipped, the
// choice goes on) and the other between the choice and the scale; the
// ReplicaSet replaces both with unmarked pods; the scale to 2 still
// removes everything but the 2 busy pods, and the marks go afterwards.
func TestPodChoiceVanishingPods(t *testing.T) {
	cp := kubetest.SharedWorkloads(t)
	ns := cp.Namespace(t)
	ctx := testCtx(t)
	if _, err := cp.CreateWorkload(ctx, ns, kube.DefaultDeployment, 4); err != nil {
		t.Fatal(err)
	}
	var pods []string
	if !pollUntil(60*time.Second, func() bool { pods = podNames(t, cp, ns); return len(pods) == 4 }) {
		t.Fatalf("never 4 running pods (%v)", pods)
	}
	cs := &deletingConsumers{t: t, cp: cp, ns: ns, gone: pods[1], idle: pods[:2], busy: pods[2:]}
	p := kube.NewPodChooser(cp.Client, ns, kube.DefaultDeployment, cs)
	p.Poll = 100 * time.Millisecond
	choice, err := p.PrepareScaleDown(ctx, 4, 2)
	if err != nil {
		t.Fatalf("PrepareScaleDown with a pod gone: %v", err)
	}
	if !slices.Equal(choice.Remove, pods[:2]) {
		t.Errorf("chose %v, want the idle pods %v", choice.Remove, pods[:2])
	}
	zero := int64(0)
	if err := cp.Client.CoreV1().Pods(ns).Delete(ctx, pods[0], metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	s := newScaler(t, cp.Config, ns, false)
	err = s.SetScale(ctx, engine.ScaleRequest{From: mustGetScale(t, s), Replicas: 2, Reason: "test", By: "test"})
	choice.After(err == nil)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	if !pollUntil(60*time.Second, func() bool { left = podNames(t, cp, ns); return slices.Equal(left, pods[2:]) }) {
		t.Errorf("pods left %v, want the busy ones %v", left, pods[2:])
	}
	p.Wait()
	list, err := cp.Client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, pod := range list.Items {
		if _, ok := pod.Annotations[kube.AnnotationCostSet]; ok && pod.DeletionTimestamp == nil {
			t.Errorf("pod %s still marked after the Deployment settled", pod.Name)
		}
	}
}

// pollUntil checks cond every 100 ms until it holds or timeout passes.
func pollUntil(timeout time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}
