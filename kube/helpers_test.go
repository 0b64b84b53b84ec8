package kube_test

import (
	"context"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

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

// dynClient is a dynamic client of cp, for objects without a typed client
// here (KEDA's).
func dynClient(t *testing.T, cp *kubetest.ControlPlane) dynamic.Interface {
	t.Helper()
	dyn, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	return dyn
}

// applyObjects applies objs with server-side apply, in order, and returns
// their kinds. Cluster-scoped objects are deleted when the test ends.
func applyObjects(t *testing.T, cp *kubetest.ControlPlane, objs []*unstructured.Unstructured) []string {
	t.Helper()
	ctx := testCtx(t)
	dyn := dynClient(t, cp)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cp.Client.Discovery()))
	var kinds []string
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("mapping %s: %v", gvk, err)
		}
		if _, err := dyn.Resource(m.Resource).Namespace(o.GetNamespace()).Apply(ctx, o.GetName(), o,
			metav1.ApplyOptions{FieldManager: "kube-test", Force: true}); err != nil {
			t.Fatalf("applying %s %s: %v", gvk.Kind, o.GetName(), err)
		}
		if o.GetNamespace() == "" {
			t.Cleanup(func() {
				_ = dyn.Resource(m.Resource).Delete(context.Background(), o.GetName(), metav1.DeleteOptions{})
			})
		}
		kinds = append(kinds, gvk.Kind)
	}
	return kinds
}

// access asks the API server whether user (in groups) may do attrs.
func access(t *testing.T, cp *kubetest.ControlPlane, user string, groups []string, attrs authorizationv1.ResourceAttributes) *authorizationv1.SubjectAccessReview {
	t.Helper()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: groups,
		ResourceAttributes: &attrs}}
	got, err := cp.Client.AuthorizationV1().SubjectAccessReviews().Create(testCtx(t), sar, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// checkAccess fails the test unless user's access to attrs is allowed.
func checkAccess(t *testing.T, cp *kubetest.ControlPlane, user string, groups []string, attrs authorizationv1.ResourceAttributes, allowed bool) {
	t.Helper()
	if got := access(t, cp, user, groups, attrs); got.Status.Allowed != allowed {
		t.Errorf("%s %s/%s %s %q in %q: allowed = %v, want %v (%s)", attrs.Verb, attrs.Group, attrs.Resource, attrs.Subresource,
			attrs.Name, attrs.Namespace, got.Status.Allowed, allowed, got.Status.Reason)
	}
}

// waitAllowed waits until user may do attrs: the RBAC authorizer learns of
// a new binding through its informer, a moment after the apply returns.
func waitAllowed(t *testing.T, cp *kubetest.ControlPlane, user string, groups []string, attrs authorizationv1.ResourceAttributes) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := access(t, cp, user, groups, attrs)
		if got.Status.Allowed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never got the right to %s %s: %s", user, attrs.Verb, attrs.Resource, got.Status.Reason)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
