package kube_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installKEDACRD installs a minimal keda.sh ScaledObject CRD (schema-less)
// and removes it when the test ends, waiting until discovery no longer
// serves it, so that later tests see a cluster without KEDA again.
func installKEDACRD(t *testing.T, cp *kubetest.ControlPlane, dyn dynamic.Interface) {
	t.Helper()
	ctx := testCtx(t)
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   map[string]any{"name": "scaledobjects.keda.sh"},
		"spec": map[string]any{
			"group": "keda.sh",
			"scope": "Namespaced",
			"names": map[string]any{"plural": "scaledobjects", "singular": "scaledobject", "kind": "ScaledObject", "listKind": "ScaledObjectList"},
			"versions": []any{map[string]any{
				"name": "v1alpha1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type": "object", "x-kubernetes-preserve-unknown-fields": true,
				}},
			}},
		},
	}}
	if _, err := dyn.Resource(crdResource).Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the KEDA CRD: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = dyn.Resource(crdResource).Delete(ctx, "scaledobjects.keda.sh", metav1.DeleteOptions{})
		_ = wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			has, err := kube.HasKEDA(ctx, cp.Client.Discovery())
			return err == nil && !has, nil
		})
	})
	err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		has, err := kube.HasKEDA(ctx, cp.Client.Discovery())
		return err == nil && has, nil
	})
	if err != nil {
		t.Fatalf("the KEDA CRD was never served: %v", err)
	}
}

// TestRefusesWhileKEDAScaledObjectTargetsDeployment: without KEDA nothing
// is refused; with the CRD installed, a ScaledObject on the Deployment
// makes SetScale refuse, naming it.
func TestRefusesWhileKEDAScaledObjectTargetsDeployment(t *testing.T) {
	cp, ns := workload(t, 2)
	ctx := testCtx(t)
	dyn := dynClient(t, cp)
	s := newScaler(t, cp.Config, ns, false)
	if has, err := kube.HasKEDA(ctx, cp.Client.Discovery()); err != nil || has {
		t.Fatalf("HasKEDA before installing = %v, %v; want false", has, err)
	}
	if as, err := s.Autoscalers(ctx); err != nil || len(as) != 0 {
		t.Fatalf("Autoscalers without KEDA = %v, %v", as, err)
	}

	installKEDACRD(t, cp, dyn)
	// A ScaledObject without a spec (the CRD here has no schema) targets
	// nothing and must not break the check.
	bare := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "keda.sh/v1alpha1",
		"kind":       "ScaledObject",
		"metadata":   map[string]any{"name": "bare-so", "namespace": ns},
	}}
	if _, err := dyn.Resource(kube.ScaledObjectResource).Namespace(ns).Create(ctx, bare, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if as, err := s.Autoscalers(ctx); err != nil || len(as) != 0 {
		t.Fatalf("Autoscalers with a spec-less ScaledObject = %v, %v; want none", as, err)
	}
	so := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "keda.sh/v1alpha1",
		"kind":       "ScaledObject",
		"metadata":   map[string]any{"name": "worker-so", "namespace": ns},
		"spec":       map[string]any{"scaleTargetRef": map[string]any{"name": kube.DefaultDeployment}},
	}}
	if _, err := dyn.Resource(kube.ScaledObjectResource).Namespace(ns).Create(ctx, so, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := s.SetScale(ctx, engine.ScaleRequest{From: mustGetScale(t, s), Replicas: 5, Reason: "r", By: "auto"})
	if !errors.Is(err, engine.ErrRefused) || !strings.Contains(err.Error(), `ScaledObject "worker-so"`) {
		t.Fatalf("SetScale with a ScaledObject: %v; want ErrRefused naming worker-so", err)
	}
	if got := mustGetScale(t, s); got.Desired != 2 {
		t.Fatalf("Desired = %d after a refusal, want 2", got.Desired)
	}
}
