package kube_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// decodeYAML splits multi-document YAML into objects.
func decodeYAML(t *testing.T, y []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(y), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("decoding: %v\n%s", err, y)
		}
		if len(m) > 0 {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
}

// kedaResource maps a keda.sh kind to its resource.
func kedaResource(kind string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "keda.sh", Version: "v1alpha1", Resource: strings.ToLower(kind) + "s"}
}

// dryRunApply applies obj with a server-side apply dry run and strict
// field validation: an unknown or duplicate field is an error, not a
// warning, and the CRD's structural schema checks every type.
func dryRunApply(ctx context.Context, dyn dynamic.Interface, obj *unstructured.Unstructured) error {
	j, err := json.Marshal(obj.Object)
	if err != nil {
		return err
	}
	force := true
	_, err = dyn.Resource(kedaResource(obj.GetKind())).Namespace(obj.GetNamespace()).Patch(ctx, obj.GetName(), types.ApplyPatchType, j,
		metav1.PatchOptions{FieldManager: "yeetscale-test", Force: &force, DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"})
	return err
}

// TestKEDAManifestsAcceptedByKEDACRDs installs KEDA v2.21.0's own CRDs
// and dry-run applies `manifests --keda` output for several settings;
// then it breaks one field name or type at a time and expects the
// apiserver to refuse each (so the dry run really validates).
func TestKEDAManifestsAcceptedByKEDACRDs(t *testing.T) {
	cp := kubetest.WithKEDA(t)
	ns := cp.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dyn := dynClient(t, cp)
	ready := engine.DefaultConfig()
	ready.Count, ready.MaxStepUp, ready.MaxStepDown, ready.PollInterval, ready.Tolerance = engine.CountReady, 4, 1, 1500*time.Millisecond, 0.05
	zero := engine.DefaultConfig()
	zero.MinReplicas, zero.ScaleDownWindow, zero.Tolerance = 0, 0, 0
	var last []*unstructured.Unstructured
	for name, c := range map[string]engine.Config{"defaults": engine.DefaultConfig(), "ready-steps": ready, "min0-nowindow": zero} {
		y, err := kube.KEDAManifests(kube.ManifestOptions{Namespace: ns, Queue: "orders", VHost: "shop"}, c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		objs := decodeYAML(t, y)
		if len(objs) != 2 {
			t.Fatalf("%s: %d objects, want TriggerAuthentication and ScaledObject", name, len(objs))
		}
		for _, obj := range objs {
			if err := dryRunApply(ctx, dyn, obj); err != nil {
				t.Errorf("%s: %s refused by KEDA's CRD: %v\n%s", name, obj.GetKind(), err, y)
			}
		}
		last = objs
	}

	so := last[1]
	breakages := []struct {
		name   string
		obj    *unstructured.Unstructured
		mutate func(m map[string]any)
	}{
		{"misspelt pollingInterval", so, func(m map[string]any) { spec(m)["pollingIntervall"] = int64(15) }},
		{"minReplicaCount as a string", so, func(m map[string]any) { spec(m)["minReplicaCount"] = "one" }},
		{"tolerance outside behavior's rules", so, func(m map[string]any) {
			unstructured.SetNestedField(m, "0.1", "spec", "advanced", "horizontalPodAutoscalerConfig", "tolerance")
		}},
		{"no triggers", so, func(m map[string]any) { spec(m)["triggers"] = []any{} }},
		{"secretTargetRef without key", last[0], func(m map[string]any) {
			refs := spec(m)["secretTargetRef"].([]any)
			delete(refs[0].(map[string]any), "key")
		}},
	}
	for _, b := range breakages {
		obj := b.obj.DeepCopy()
		b.mutate(obj.Object)
		if err := dryRunApply(ctx, dyn, obj); err == nil {
			t.Errorf("%s: the dry run accepted it; it does not validate", b.name)
		} else {
			t.Logf("%s: refused: %v", b.name, err)
		}
	}
}

func spec(m map[string]any) map[string]any { return m["spec"].(map[string]any) }
