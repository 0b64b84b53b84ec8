package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/yeeter/yeetscale/engine"
)

// TestScaleInFleet (issue #15 in fleet mode): a fleet --once run without
// pod rights warns once and scales nothing it should not; with them, a
// target at 6 pods, 3 busy, scaled to 3 keeps the 3 busy pods and nothing
// is redelivered; --once waits for its scale-down to settle and removes
// its costs, and removes those an earlier run left.
func TestScaleInFleet(t *testing.T) {
	t.Parallel()
	w := newReadyScaleInWorld(t, 6)
	annotate := func(kv ...string) {
		t.Helper()
		ann := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			ann[kv[i]] = kv[i+1]
		}
		body, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": ann}})
		patch := string(body)
		if _, err := w.cp.Client.AppsV1().Deployments(w.ns).Patch(context.Background(), w.name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pre := engine.AnnotationPrefix
	annotate(engine.AnnotationQueue, w.queue, pre+"min-replicas", "6", pre+"max-replicas", "6", pre+"target-messages", "1")
	args := func(extra ...string) []string {
		a := []string{"yeetscale", "--fleet", "--once", "--kubeconfig", w.cp.Kubeconfig, "-n", w.ns, "--mgmt-url", w.broker.MgmtURL,
			"--vhost", w.vhost, "--username", w.user, "--password", w.pass}
		return append(a, extra...)
	}

	noPods := []rbacv1.PolicyRule{
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch", "patch"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments/scale"}, Verbs: []string{"get", "update"}},
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: []string{"list"}},
	}
	code, out, errOut := once(t, append(args(), "--kubeconfig", restrictedKubeconfig(t, w.world, "fleet-no-pods", noPods).kubeconfig))
	if code != 0 || strings.Count(errOut, engine.ErrPodChoiceOff.Error()) != 1 || !strings.Contains(errOut, "may not list or patch pods") {
		t.Fatalf("without pod rights: exit %d, want 0 and one warning that pod choice is off:\n%s\n%s", code, out, errOut)
	}

	w.publishLong(3, 40*time.Second)
	busy := w.waitBusy(3)
	annotate(pre+"min-replicas", "3", pre+"max-replicas", "3")
	before := w.redeliveries()
	code, out, errOut = once(t, args())
	if code != 0 {
		t.Fatalf("fleet --once: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := w.marked(); n != 0 {
		t.Errorf("%d pods still carry yeetscale's cost after fleet --once exited, want 0 (it waits for its scale-downs to settle)", n)
	}
	w.waitPods(3)
	if got := w.livePods(); strings.Join(got, ",") != strings.Join(busy, ",") {
		t.Errorf("survivors %v, want the busy pods %v\n%s\n%s", got, busy, out, errOut)
	}
	time.Sleep(3 * time.Second) // a statistics interval or two
	if n := w.redeliveries() - before; n != 0 || w.workers.KilledBusy() != 0 {
		t.Errorf("%d redelivered, %d busy workers killed; want none", n, w.workers.KilledBusy())
	}

	// A run killed before its clean-up: costs left on the settled pods;
	// the next fleet --once (at 3 already: no change) removes them.
	w.markAll("-1000")
	if code, out, errOut = once(t, args()); code != 0 {
		t.Fatalf("second fleet --once: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := w.marked(); n != 0 {
		t.Errorf("%d pods still carry the costs an earlier run left, want 0 once the Deployment settled", n)
	}
}
