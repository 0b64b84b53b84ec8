package kube_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// queueLister is an engine.QueueLister with fixed depths on vhost "/".
type queueLister struct {
	mu     sync.Mutex
	depths map[string]int64
	calls  int
}

func (l *queueLister) ListQueues(_ context.Context, vhost string) (map[string]engine.QueueStats, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	out := map[string]engine.QueueStats{}
	if vhost != "/" {
		return out, nil
	}
	for q, n := range l.depths {
		out[q] = engine.QueueStats{Messages: n, Ready: n, Consumers: 1}
	}
	return out, nil
}

func (l *queueLister) set(q string, n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.depths[q] = n
}

// TestFleetOnTheAPIServer runs engine.Fleet on a TargetInformer over real
// Deployments: one round decides every target (one list per vhost), scales
// the deep queue's Deployment, holds the others, shows the bad annotation
// and the missing queue as those targets' errors; an annotation changed
// afterwards is followed without a restart.
func TestFleetOnTheAPIServer(t *testing.T) {
	cp := kubetest.Shared(t)
	ns := cp.Namespace(t)
	createTarget(t, cp, ns, "orders", nil, queueAnn("orders", "target-messages", "10", "max-replicas", "8"))
	createTarget(t, cp, ns, "mail", nil, queueAnn("mail", "target-messages", "10"))
	createTarget(t, cp, ns, "broken", nil, queueAnn("x", "max-replicas", "lots"))
	createTarget(t, cp, ns, "lost", nil, queueAnn("does-not-exist"))
	createTarget(t, cp, ns, "plain", nil, nil)
	ti := startInformer(t, cp.Config, kube.TargetInformerOptions{Namespace: ns, Force: true})
	lister := &queueLister{depths: map[string]int64{"orders": 50, "mail": 5}}
	fleet, err := engine.NewFleet(engine.FleetOptions{Targets: ti, Lister: lister, Mode: engine.ModeAuto})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fleet.Close)
	ctx := testCtx(t)

	s := fleet.PollOnce(ctx, "once")
	if lister.calls != 1 {
		t.Errorf("%d queue lists for one round on one vhost, want 1", lister.calls)
	}
	want := map[string]struct {
		status   string
		err      string
		replicas int32
	}{
		"orders": {engine.StatusOK, "", 5}, // 50 messages / 10 a replica
		"mail":   {engine.StatusOK, "", 1},
		"broken": {engine.StatusError, "max-replicas", 1},
		"lost":   {engine.StatusError, `queue "does-not-exist" not found`, 1},
	}
	if len(s.Targets) != len(want) {
		t.Fatalf("%d targets, want %d", len(s.Targets), len(want))
	}
	for _, ts := range s.Targets {
		w := want[ts.Deployment]
		if ts.Status != w.status || (w.err == "") != (ts.Err == nil) || (ts.Err != nil && !strings.Contains(ts.Err.Error(), w.err)) {
			t.Errorf("%s: status %q, error %v; want %q, %q", ts.Deployment, ts.Status, ts.Err, w.status, w.err)
		}
		d, err := cp.Client.AppsV1().Deployments(ns).Get(ctx, ts.Deployment, metav1.GetOptions{})
		if err != nil || *d.Spec.Replicas != w.replicas {
			t.Errorf("%s: %v, spec.replicas %d, want %d", ts.Deployment, err, *d.Spec.Replicas, w.replicas)
		}
	}

	// Fix the bad annotation: the target is followed and scaled without a
	// restart.
	patch := `{"metadata":{"annotations":{"yeetscale.yeeter.io/max-replicas":"3","yeetscale.yeeter.io/target-messages":"10"}}}`
	if _, err := cp.Client.AppsV1().Deployments(ns).Patch(ctx, "broken", types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	lister.set("x", 100)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s = fleet.PollOnce(ctx, "once")
		d, err := cp.Client.AppsV1().Deployments(ns).Get(ctx, "broken", metav1.GetOptions{})
		if err == nil && *d.Spec.Replicas == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fixed target was not scaled to 3 within 10 s: %+v", s.Targets)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
