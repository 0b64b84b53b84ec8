package cli

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/yeeter/yeetscale/kube"
)

// marked counts the Deployment's pods that carry yeetscale's cost mark.
func (w *scaleInWorld) marked() int {
	w.t.Helper()
	list, err := w.cp.Client.CoreV1().Pods(w.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + w.name})
	if err != nil {
		w.t.Fatal(err)
	}
	n := 0
	for _, p := range list.Items {
		if _, ok := p.Annotations[kube.AnnotationCostSet]; ok && p.DeletionTimestamp == nil {
			n++
		}
	}
	return n
}

// markAll puts yeetscale's cost (and its mark) on every live pod, as a
// run killed before its clean-up leaves them.
func (w *scaleInWorld) markAll(cost string) {
	w.t.Helper()
	for _, name := range w.livePods() {
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{
			kube.AnnotationDeletionCost: cost, kube.AnnotationCostSet: cost}}})
		if _, err := w.cp.Client.CoreV1().Pods(w.ns).Patch(context.Background(), name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			w.t.Fatal(err)
		}
	}
}

// TestScaleInOnceLeavesNoCosts (issue #15): a --once scale-down does not
// leave its pod costs behind for a plain kubectl scale to go by: it waits
// (bounded) for the ReplicaSet to settle and removes them before it exits;
// and costs an earlier run left (one killed before it could) are removed
// by the next run once the Deployment has settled.
func TestScaleInOnceLeavesNoCosts(t *testing.T) {
	t.Parallel()
	w := newReadyScaleInWorld(t, 4)
	w.publishLong(2, 30*time.Second)
	w.waitBusy(2)
	flags := []string{"--once", "--min-replicas", "2", "--max-replicas", "2", "--target-messages", "1"}
	code, out, errOut := once(t, w.args(flags...))
	if code != 0 {
		t.Fatalf("--once exit %d\n%s\n%s", code, out, errOut)
	}
	if n := w.marked(); n != 0 {
		t.Errorf("%d pods still carry yeetscale's cost after --once exited, want 0", n)
	}

	// A run killed before its clean-up: costs left on the settled pods.
	w.waitPods(2)
	w.markAll("-1000")
	code, out, errOut = once(t, w.args(flags...)) // at 2 already: no change
	if code != 0 {
		t.Fatalf("second --once exit %d\n%s\n%s", code, out, errOut)
	}
	if n := w.marked(); n != 0 {
		t.Errorf("%d pods still carry the costs an earlier run left, want 0 once the Deployment settled", n)
	}
}
