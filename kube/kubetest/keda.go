package kubetest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// KEDAModule and KEDAVersion name the Go module whose config/crd/bases
// holds the KEDA CRDs that WithKEDA installs.
const (
	KEDAModule  = "github.com/kedacore/keda/v2"
	KEDAVersion = "v2.21.0"
)

// KEDACRDs are the CRD files WithKEDA takes from the module, by the
// names of the CRDs they define.
var KEDACRDs = map[string]string{
	"scaledobjects.keda.sh":                 "keda.sh_scaledobjects.yaml",
	"scaledjobs.keda.sh":                    "keda.sh_scaledjobs.yaml",
	"triggerauthentications.keda.sh":        "keda.sh_triggerauthentications.yaml",
	"clustertriggerauthentications.keda.sh": "keda.sh_clustertriggerauthentications.yaml",
}

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// KEDACRDDir returns a directory holding KEDA's CRDs (the KEDACRDs files
// of config/crd/bases in KEDAModule@KEDAVersion): a copy cached beside the
// tools (keda-<version> next to ToolsDir, under ~/.cache/yeetscale by
// default), made on first use from `go mod download` run outside any
// go.mod: yeetscale's own module does not depend on KEDA.
func KEDACRDDir(ctx context.Context) (string, error) {
	tools, err := ToolsDir()
	if err != nil {
		return "", err
	}
	cache := filepath.Join(filepath.Dir(tools), "keda-"+KEDAVersion)
	if haveAll(cache) {
		return cache, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", fmt.Errorf("kubetest: %w", err)
	}
	out, err := goOutput(ctx, cache, "mod", "download", "-json", KEDAModule+"@"+KEDAVersion)
	if err != nil {
		return "", err
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal([]byte(out), &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("kubetest: go mod download %s@%s gave no directory (%v %s)", KEDAModule, KEDAVersion, err, mod.Error)
	}
	for _, file := range KEDACRDs {
		b, err := os.ReadFile(filepath.Join(mod.Dir, "config", "crd", "bases", file))
		if err != nil {
			return "", fmt.Errorf("kubetest: KEDA CRD: %w", err)
		}
		// Through a temporary file, so a half-written copy never counts.
		if err := os.WriteFile(filepath.Join(cache, file+".tmp"), b, 0o644); err != nil {
			return "", fmt.Errorf("kubetest: %w", err)
		}
		if err := os.Rename(filepath.Join(cache, file+".tmp"), filepath.Join(cache, file)); err != nil {
			return "", fmt.Errorf("kubetest: %w", err)
		}
	}
	return cache, nil
}

// haveAll reports whether dir holds every file of KEDACRDs.
func haveAll(dir string) bool {
	for _, file := range KEDACRDs {
		if fi, err := os.Stat(filepath.Join(dir, file)); err != nil || fi.Size() == 0 {
			return false
		}
	}
	return true
}

// installKEDA installs KEDA's CRDs (ScaledObject, ScaledJob,
// TriggerAuthentication, ClusterTriggerAuthentication) from
// KEDAModule@KEDAVersion with server-side apply, waits until they are
// established and keda.sh/v1alpha1 is served.
func (cp *ControlPlane) installKEDA(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dyn, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	dir, err := KEDACRDDir(ctx)
	if err != nil {
		t.Fatalf("kubetest: KEDA CRDs: %v", err)
	}
	for name, file := range KEDACRDs {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatalf("kubetest: KEDA CRD: %v", err)
		}
		j, err := yaml.YAMLToJSON(b)
		if err != nil {
			t.Fatalf("kubetest: KEDA CRD %s: %v", file, err)
		}
		force := true
		if _, err := dyn.Resource(crdGVR).Patch(ctx, name, types.ApplyPatchType, j,
			metav1.PatchOptions{FieldManager: "kubetest", Force: &force}); err != nil {
			t.Fatalf("kubetest: applying the KEDA CRD %s: %v", file, err)
		}
	}
	for name := range KEDACRDs {
		err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			crd, err := dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
			return err == nil && established(crd), nil
		})
		if err != nil {
			t.Fatalf("kubetest: the KEDA CRD %s was never established: %v", name, err)
		}
	}
	// Established is not yet served by discovery everywhere; wait for it.
	err = wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := cp.Client.Discovery().ServerResourcesForGroupVersion("keda.sh/v1alpha1")
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("kubetest: keda.sh/v1alpha1 never served: %v", err)
	}
}

// WithKEDA starts a control plane of the test's own with KEDA's CRDs
// installed, and stops it when the test ends. The shared control plane is
// not used for them: other tests expect a cluster without KEDA, and taking
// the CRDs out again (the apiserver first deletes every custom resource)
// took over two minutes once on a loaded machine.
func WithKEDA(t testing.TB) *ControlPlane {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cp, err := StartLab(ctx, Options{Logf: verboseLogf})
	if err != nil {
		t.Fatalf("kubetest: control plane: %v", err)
	}
	t.Cleanup(cp.Stop)
	cp.installKEDA(t)
	return cp
}

// established reports whether a CRD has condition Established=True.
func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}
