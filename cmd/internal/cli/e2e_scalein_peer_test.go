package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/yeeter/yeetscale/cmd/internal/labworld"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// loopbackNode creates a kwok-managed Node whose pods get IPs from a /24 of
// 127.0.0.0/8 (kwok v0.8 takes pod IPs from the node's spec.podCIDR before
// its --cidr): on Linux every such address is a local one that a worker
// can connect from. It returns the node's name and its CIDR's prefix.
func loopbackNode(t *testing.T, w *world) (string, string) {
	t.Helper()
	prefix := fmt.Sprintf("127.%d.%d.", 100+rand.IntN(150), rand.IntN(256))
	tmpl := kubetest.WorkloadDeployment(w.ns, w.name, 0).Spec.Template.Spec
	fake, err := w.cp.Client.CoreV1().Nodes().Get(context.Background(), tmpl.NodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "kwok-lo-" + w.ns, Annotations: fake.Annotations, Labels: map[string]string{"type": "kwok"}},
		Spec:       corev1.NodeSpec{Taints: fake.Spec.Taints, PodCIDR: prefix + "0/24"},
	}
	ctx := context.Background()
	if _, err := w.cp.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = w.cp.Client.CoreV1().Nodes().Delete(context.Background(), node.Name, metav1.DeleteOptions{})
	})
	if !poll(60*time.Second, 200*time.Millisecond, func() bool {
		n, err := w.cp.Client.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		for _, c := range n.Status.Conditions {
			if err == nil && c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("kwok never made node %s Ready", node.Name)
	}
	return node.Name, prefix
}

// TestScaleInByPeerAddress (issue #15): workers that give no connection
// name are mapped to their pods by peer address. The pods run on a node
// whose pod IPs are loopback addresses, and each worker connects from its
// pod's IP; 6 pods, 3 busy, scaled to 3: the 3 busy pods stay and nothing
// is redelivered.
func TestScaleInByPeerAddress(t *testing.T) {
	t.Parallel()
	w := newScaleInWorldWith(t, 0, (*labworld.PodWorkers).FromPodIPs)
	node, prefix := loopbackNode(t, w.world)
	patch, _ := json.Marshal(map[string]any{"spec": map[string]any{"replicas": 6, "template": map[string]any{"spec": map[string]any{"nodeName": node}}}})
	if _, err := w.cp.Client.AppsV1().Deployments(w.ns).Patch(context.Background(), w.name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	w.waitPods(6)
	pods, err := w.cp.Client.CoreV1().Pods(w.ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if !strings.HasPrefix(p.Status.PodIP, prefix) {
			t.Fatalf("pod %s has IP %q, want one in %s0/24", p.Name, p.Status.PodIP, prefix)
		}
	}
	w.waitMessages(30*time.Second, "the queue's statistics", func(n int64) bool { return n == 0 })
	w.publishLong(3, 40*time.Second)
	busy := w.waitBusy(3)
	cs, err := consumersClient(t, w.world).Consumers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.ConnectionName != "" || !strings.HasPrefix(c.PeerHost, prefix) {
			t.Fatalf("consumer %+v: want no connection name and a peer host in %s0/24", c, prefix)
		}
	}
	before := w.redeliveries()
	code, out, errOut := once(t, w.args("--once", "--min-replicas", "3", "--max-replicas", "3", "--target-messages", "1"))
	if code != 0 || !strings.Contains(out, "chooses its pods: 3 idle, 3 busy") {
		t.Fatalf("--once: exit %d, want 0 and a choice by peer address:\n%s\n%s", code, out, errOut)
	}
	w.waitPods(3)
	if got := w.livePods(); strings.Join(got, ",") != strings.Join(busy, ",") {
		t.Errorf("survivors %v, want the busy pods %v", got, busy)
	}
	time.Sleep(3 * time.Second) // a statistics interval or two
	if n := w.redeliveries() - before; n != 0 || w.workers.KilledBusy() != 0 {
		t.Errorf("%d redelivered, %d busy workers killed; want none", n, w.workers.KilledBusy())
	}
}
