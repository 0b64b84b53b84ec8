package kube

import (
	"context"
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	k8stesting "k8s.io/client-go/testing"

	"github.com/yeeter/yeetscale/engine"
)

// TestMemoryRoundTrip checks that SaveMemory and LoadMemory keep the text
// in the annotation with a patch of that annotation only, and that a
// Deployment without it has an empty memory.
func TestMemoryRoundTrip(t *testing.T) {
	f := newFakeCluster(t, 2, nil)
	s := f.scaler(t, false, nil)
	ctx := context.Background()
	if m, err := s.LoadMemory(ctx); err != nil || m != "" {
		t.Fatalf("LoadMemory before any save = %q, %v; want empty", m, err)
	}
	for _, want := range []string{`{"v":1,"recs":[3,4,5]}`, strings.Repeat("é", MaxMemory/2), ""} {
		if err := s.SaveMemory(ctx, want); err != nil {
			t.Fatalf("SaveMemory(%d bytes): %v", len(want), err)
		}
		if got, err := s.LoadMemory(ctx); err != nil || got != want {
			t.Fatalf("LoadMemory = %.40q, %v; want %.40q", got, err, want)
		}
	}
	var patches []k8stesting.PatchAction
	for _, a := range f.client.Actions() {
		if p, ok := a.(k8stesting.PatchAction); ok && a.GetResource().Resource == "deployments" {
			patches = append(patches, p)
		}
	}
	if len(patches) != 3 {
		t.Fatalf("%d deployment patches, want 3", len(patches))
	}
	for _, p := range patches {
		if p.GetPatchType() != types.MergePatchType || !strings.HasPrefix(string(p.GetPatch()), `{"metadata":{"annotations":{"`+AnnotationMemory+`":`) {
			t.Errorf("patch %s %.80s, want a merge patch of the annotation only", p.GetPatchType(), p.GetPatch())
		}
	}
}

// TestMemoryBounds checks that too large or invalid memories are refused
// on save (nothing is written) and on load (an error, not the text).
func TestMemoryBounds(t *testing.T) {
	ctx := context.Background()
	for _, bad := range []string{strings.Repeat("x", MaxMemory+1), "bad \xff utf-8"} {
		f := newFakeCluster(t, 2, nil)
		s := f.scaler(t, false, nil)
		if err := s.SaveMemory(ctx, bad); err == nil {
			t.Errorf("SaveMemory(%d bytes, %.10q) accepted", len(bad), bad)
		}
		for _, a := range f.client.Actions() {
			if a.GetVerb() == "patch" {
				t.Errorf("SaveMemory of a refused memory patched the deployment")
			}
		}
		// Somebody else wrote it.
		d, err := f.client.AppsV1().Deployments(testNS).Get(ctx, testDep, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d.Annotations = map[string]string{AnnotationMemory: bad}
		if _, err := f.client.AppsV1().Deployments(testNS).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		m, err := s.LoadMemory(ctx)
		if !errors.Is(err, engine.ErrBadResponse) || m != "" {
			t.Errorf("LoadMemory of %d bytes = %.10q, %v; want a bad_response error", len(bad), m, err)
		}
		if err != nil && strings.Contains(err.Error(), "\xff") {
			t.Errorf("the error repeats the invalid bytes: %q", err)
		}
	}
}
