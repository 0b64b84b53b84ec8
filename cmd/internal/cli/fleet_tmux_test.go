package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// TestFleetConsoleInTmux runs the real binary's fleet console in a real
// terminal on the real broker and apiserver: the list shows every target
// (the invalid and the missing queue with their errors), '/' filters it,
// enter opens a target's own view, esc returns to the list and q quits.
func TestFleetConsoleInTmux(t *testing.T) {
	t.Parallel()
	w := newFleetWorld(t, 3)
	bin := buildBinary(t)
	argv := append([]string{bin}, w.args("--poll-interval", "2s")[1:]...)
	s := startTmux(t, 160, 40, argv...)
	// The namespace is long: the rows show the queues and the
	// deployments' names whole, the namespace cut; the missing queue's
	// depth says so, and the invalid target's queues are "—".
	name := kubetest.FleetDeploymentName
	s.waitFor("the list of the five targets", containsAll("NAMESPACE/DEPLOYMENT", "5 targets", "3 ok · 2 error",
		"fleet.a ", "fleet.b ", "fleet.c ", `queue "fleet.missing" not found`, "…/"+name(0)+" ", "…/"+name(3)+" — ",
		"fleet.missing            missing", "invalid annotation"))

	// '/' filters by queue; enter keeps the filter.
	// Each key waits for the screen to show the one before: keys that
	// reach the program in one read arrive as one message ("/fleet.b"
	// is no filter key), which happened on a loaded machine.
	s.run("send-keys", "-t", "demo", "/")
	s.waitFor("the filter prompt", containsAll("/namespace, deployment or queue"))
	s.run("send-keys", "-t", "demo", "-l", "fleet.b")
	s.waitFor("the filter typed", containsAll("/fleet.b"))
	s.run("send-keys", "-t", "demo", "Enter")
	s.waitFor("the filtered list", func(p string) bool {
		return strings.Contains(p, "fleet.b ") && !strings.Contains(p, "fleet.a ") && !strings.Contains(p, "fleet.c ") && !strings.Contains(p, "fleet.missing")
	})

	// enter opens the target's own console; esc comes back to the list.
	s.run("send-keys", "-t", "demo", "Enter")
	s.waitFor("the target's own console", containsAll(w.ns+"/"+name(1), "fleet.b", "QUEUE", "esc list"))
	s.run("send-keys", "-t", "demo", "Escape")
	s.waitFor("the list again", func(p string) bool {
		return strings.Contains(p, "NAMESPACE/DEPLOYMENT") && strings.Contains(p, "fleet.b ") && !strings.Contains(p, "fleet.a ")
	})

	// esc on the list clears the filter: every target again.
	s.run("send-keys", "-t", "demo", "Escape")
	s.waitFor("the whole list", containsAll("fleet.a ", "fleet.b ", "fleet.c ", "fleet.missing"))

	s.run("send-keys", "-t", "demo", "q")
	if st := s.exitStatus(); st != "0" {
		t.Fatalf("the console exited with status %s; pane:\n%s", st, s.pane())
	}
}

// TestFleetConsoleSaysPodChoiceOff: without rights on pods the fleet
// console says once, on the list's message line, that pod choice is off
// (its log warnings are dropped: they would tear the screen), until the
// first key.
func TestFleetConsoleSaysPodChoiceOff(t *testing.T) {
	w := newScaleInWorld(t, 1)
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, engine.AnnotationQueue, w.queue)
	if _, err := w.cp.Client.AppsV1().Deployments(w.ns).Patch(context.Background(), w.name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	noPods := []rbacv1.PolicyRule{
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch", "patch"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments/scale"}, Verbs: []string{"get", "update"}},
	}
	kc := restrictedKubeconfig(t, w.world, "fleet-console-no-pods", noPods).kubeconfig
	s := startTmux(t, 160, 30, buildBinary(t), "--fleet", "--kubeconfig", kc, "-n", w.ns, "--mgmt-url", w.broker.MgmtURL,
		"--vhost", w.vhost, "--username", w.user, "--password", w.pass)
	s.waitFor("the warning on the list", containsAll("1 target", "⚠ pod choice turned off", "may not list or patch pods"))
	s.run("send-keys", "-t", "demo", "j")
	s.waitFor("the warning gone after a key", func(p string) bool {
		return strings.Contains(p, "1 target") && !strings.Contains(p, "pod choice turned off")
	})
	s.run("send-keys", "-t", "demo", "q")
	if st := s.exitStatus(); st != "0" {
		t.Fatalf("the console exited with status %s; pane:\n%s", st, s.pane())
	}
}
