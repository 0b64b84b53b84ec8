package kube_test

import (
	"context"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/rest"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// testCtx returns a context that ends with the test (at most two minutes:
// a guard against hangs, not a timing assertion).
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// workload starts (or reuses) the shared control plane and creates a
// namespace of the test's own with a yeeter-worker Deployment of replicas.
func workload(t *testing.T, replicas int32) (*kubetest.ControlPlane, string) {
	t.Helper()
	cp := kubetest.Shared(t)
	ns := cp.Namespace(t)
	if _, err := cp.CreateWorkload(testCtx(t), ns, kube.DefaultDeployment, replicas); err != nil {
		t.Fatal(err)
	}
	return cp, ns
}

// newScaler returns a Scaler on cfg for the test namespace's yeeter-worker.
func newScaler(t *testing.T, cfg *rest.Config, ns string, force bool) *kube.Scaler {
	t.Helper()
	s, err := kube.NewScaler(cfg, kube.ScalerConfig{
		Namespace: ns, Deployment: kube.DefaultDeployment, Force: force, Identity: "test-" + t.Name(),
		Warn: func(err error) { t.Errorf("warning: %v", err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mustGetScale reads the scale or fails the test.
func mustGetScale(t *testing.T, s *kube.Scaler) engine.Scale {
	t.Helper()
	sc, err := s.GetScale(testCtx(t))
	if err != nil {
		t.Fatalf("GetScale: %v", err)
	}
	return sc
}

// deploymentEvents lists the Events about the deployment with reason.
func deploymentEvents(t *testing.T, cp *kubetest.ControlPlane, ns, reason string) []corev1.Event {
	t.Helper()
	sel := fields.Set{"involvedObject.kind": "Deployment", "involvedObject.name": kube.DefaultDeployment, "reason": reason}
	list, err := cp.Client.CoreV1().Events(ns).List(testCtx(t), metav1.ListOptions{FieldSelector: sel.String()})
	if err != nil {
		t.Fatalf("listing events: %v", err)
	}
	return list.Items
}

// createHPA creates an HPA named name on Deployment target.
func createHPA(t *testing.T, cp *kubetest.ControlPlane, ns, name, target string) {
	t.Helper()
	minR := int32(1)
	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: target},
			MinReplicas:    &minR, MaxReplicas: 10,
		},
	}
	if _, err := cp.Client.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(testCtx(t), hpa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
