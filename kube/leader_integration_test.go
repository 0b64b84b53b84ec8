package kube_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// TestLeaderElection runs two electors on one Lease: only one runs at a
// time, and when the leader's context is cancelled it releases the Lease
// and the other takes over well within the lease duration.
func TestLeaderElection(t *testing.T) {
	cp := kubetest.Shared(t)
	ns := cp.Namespace(t)
	ctx := testCtx(t)
	const lease = 3 * time.Second

	var running, maxRunning atomic.Int32
	started := make(chan string, 2)
	stopped := make(chan string, 2)
	run := func(id string) func(context.Context) {
		return func(ctx context.Context) {
			n := running.Add(1)
			for {
				m := maxRunning.Load()
				if n <= m || maxRunning.CompareAndSwap(m, n) {
					break
				}
			}
			started <- id
			<-ctx.Done()
			running.Add(-1)
			stopped <- id
		}
	}
	cfg := func(id string) kube.LeaderConfig {
		return kube.LeaderConfig{Client: cp.Client, Namespace: ns, Name: kube.LeaseName(kube.DefaultDeployment),
			Identity: id, LeaseDuration: lease, RenewDeadline: 2 * time.Second, RetryPeriod: 200 * time.Millisecond}
	}

	ctxs := map[string]context.CancelFunc{}
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for _, id := range []string{"a", "b"} {
		c, cancel := context.WithCancel(ctx)
		ctxs[id] = cancel
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- kube.RunWithLeaderElection(c, cfg(id), run(id))
		}()
	}
	t.Cleanup(func() {
		for _, cancel := range ctxs {
			cancel()
		}
		wg.Wait()
	})

	first := <-started
	second := map[string]string{"a": "b", "b": "a"}[first]
	l, err := cp.Client.CoordinationV1().Leases(ns).Get(ctx, kube.LeaseName(kube.DefaultDeployment), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := *l.Spec.HolderIdentity; got != first {
		t.Fatalf("lease holder %q, want the running %q", got, first)
	}

	cancelled := time.Now()
	ctxs[first]()
	if id := <-stopped; id != first {
		t.Fatalf("%s stopped, want %s", id, first)
	}
	if err := <-errs; err != nil {
		t.Fatalf("RunWithLeaderElection(%s) after cancel: %v", first, err)
	}
	select {
	case id := <-started:
		if id != second {
			t.Fatalf("%s started, want %s", id, second)
		}
	case <-time.After(2 * lease):
		t.Fatalf("%s did not take over within %s", second, 2*lease)
	}
	t.Logf("%s took over %s after %s was cancelled (lease %s)", second, time.Since(cancelled).Round(time.Millisecond), first, lease)
	if m := maxRunning.Load(); m != 1 {
		t.Fatalf("%d electors ran at once", m)
	}
}

// TestLeaderElectionAfterStopNeverRuns checks the contract that an elector
// told to stop before it won the Lease never starts run, even when the Lease
// is free and would be won at once. (The race it guards, a stop landing
// between winning the Lease and starting run, is closed by one lock in
// RunWithLeaderElection; this test did not catch it in 60 tries without
// that lock, so it guards the contract rather than reproducing the race.)
func TestLeaderElectionAfterStopNeverRuns(t *testing.T) {
	cp := kubetest.Shared(t)
	ns := cp.Namespace(t)
	for i := range 20 {
		ctx, cancel := context.WithCancel(testCtx(t))
		cancel()
		var ran atomic.Bool
		err := kube.RunWithLeaderElection(ctx, kube.LeaderConfig{Client: cp.Client, Namespace: ns, Name: kube.LeaseName(kube.DefaultDeployment),
			Identity: "late", LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 200 * time.Millisecond},
			func(context.Context) { ran.Store(true) })
		if err != nil {
			t.Fatalf("attempt %d: RunWithLeaderElection = %v, want nil after a stop", i, err)
		}
		if ran.Load() {
			t.Fatalf("attempt %d: run started after the stop", i)
		}
	}
}
