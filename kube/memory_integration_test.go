package kube_test

import (
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// TestMemoryOnTheServer keeps a memory in the Deployment's annotation
// across Scalers (as successive --once processes would), leaves the other
// annotations alone, and refuses an oversized annotation written by
// somebody else.
func TestMemoryOnTheServer(t *testing.T) {
	cp, ns := workload(t, 2)
	ctx := testCtx(t)
	first := newScaler(t, cp.Config, ns, false)
	if m, err := first.LoadMemory(ctx); err != nil || m != "" {
		t.Fatalf("LoadMemory of a fresh Deployment = %q, %v", m, err)
	}
	from := mustGetScale(t, first)
	if err := first.SetScale(ctx, engine.ScaleRequest{From: from, Replicas: 3, Reason: "r", By: "once"}); err != nil {
		t.Fatal(err)
	}
	want := `{"v":1,"recs":[3,3,4]}`
	want += strings.Repeat(" ", kube.MaxMemory-len(want)) // exactly the limit
	if err := first.SaveMemory(ctx, want); err != nil {
		t.Fatalf("SaveMemory: %v", err)
	}
	second := newScaler(t, cp.Config, ns, false)
	if got, err := second.LoadMemory(ctx); err != nil || got != want {
		t.Fatalf("LoadMemory in a new Scaler = %.40q (%d bytes), %v", got, len(got), err)
	}
	d, err := cp.Client.AppsV1().Deployments(ns).Get(ctx, kube.DefaultDeployment, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := kube.ParseLastScale(d.Annotations); !ok || err != nil {
		t.Errorf("the memory's patch lost the last-scale annotation: %v %v", ok, err)
	}
	if err := second.SaveMemory(ctx, want+"x"); err == nil {
		t.Errorf("SaveMemory of more than %d bytes was accepted", kube.MaxMemory)
	}

	big := strings.Repeat("x", kube.MaxMemory+1)
	patch := []byte(`{"metadata":{"annotations":{"` + kube.AnnotationMemory + `":"` + big + `"}}}`)
	if _, err := cp.Client.AppsV1().Deployments(ns).Patch(ctx, kube.DefaultDeployment, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if m, err := second.LoadMemory(ctx); !errors.Is(err, engine.ErrBadResponse) || m != "" || !strings.Contains(err.Error(), "annotate deployment") {
		t.Errorf("LoadMemory of an oversized annotation = %d bytes, %v; want a bad_response error saying how to remove it", len(m), err)
	}
}
