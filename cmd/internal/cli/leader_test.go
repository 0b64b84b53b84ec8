package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// TestLeaseHealthLogsRateLimited feeds Lease results on a fake clock: the
// first failure of a kind is logged, repeats within 30 s are counted but
// not logged (the next line says how many were left out), every failure is
// in errors_total, another kind is logged at once, and an answer makes the
// Lease reachable again.
func TestLeaseHealthLogsRateLimited(t *testing.T) {
	var log syncBuffer
	m := newMetrics(nil, false)
	h := newLeaseHealth(newLogger(&log, "json"), m, 10*time.Second)
	now := time.Unix(1000, 0)
	h.now = func() time.Time { return now }
	forbidden := &engine.Error{Kind: engine.ErrForbidden, Msg: "leader election: forbidden: user x cannot get leases"}
	unavailable := &engine.Error{Kind: engine.ErrUnavailable, Msg: "leader election: unavailable"}

	steps := []struct {
		after   time.Duration
		err     error
		lines   int // log lines so far
		counted float64
		ok      bool
	}{
		{0, nil, 0, 0, true},
		{2 * time.Second, forbidden, 1, 1, false},
		{2 * time.Second, forbidden, 1, 2, false},
		{2 * time.Second, forbidden, 1, 3, false},
		{2 * time.Second, unavailable, 2, 4, false},
		{30 * time.Second, forbidden, 3, 5, false}, // logged again, "suppressed":2
		{2 * time.Second, nil, 4, 5, true},         // "reachable again"
		{11 * time.Second, nil, 4, 5, true},
	}
	for i, st := range steps {
		now = now.Add(st.after)
		h.observe(st.err)
		if n := strings.Count(log.String(), "\n"); n != st.lines {
			t.Fatalf("step %d: %d log lines, want %d:\n%s", i, n, st.lines, log.String())
		}
		if got := counterValue(t, m, leaderErrorKind); got != st.counted {
			t.Errorf("step %d: errors_total{kind=leader_election} = %v, want %v", i, got, st.counted)
		}
		if h.reachable() != st.ok {
			t.Errorf("step %d: reachable = %v, want %v", i, !st.ok, st.ok)
		}
	}
	if !strings.Contains(log.String(), `"suppressed":2`) || !strings.Contains(log.String(), `"kind":"forbidden"`) {
		t.Errorf("the log does not say what was left out:\n%s", log.String())
	}
	now = now.Add(11 * time.Second) // no answer for longer than maxAge
	if h.reachable() {
		t.Errorf("reachable with the last answer 11s old and maxAge 10s")
	}
}

// counterValue reads errors_total{kind} from the registry.
func counterValue(t *testing.T, m *metrics, kind string) float64 {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "yeetscale_errors_total" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					return mt.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestStandbyWithForbiddenLeaseIsNotReady wires leader election on a fake
// clientset whose every Lease request is forbidden to leaseHealth and the
// metrics server, as runAuto does: the failure is logged, counted in
// errors_total, and /readyz answers 503 (200 once the Lease answers).
func TestStandbyWithForbiddenLeaseIsNotReady(t *testing.T) {
	var log syncBuffer
	logger := newLogger(&log, "text")
	m := newMetrics(nil, false)
	srv, err := m.serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	readyz := func() (int, string) {
		resp, err := http.Get("http://" + srv.Addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	for _, forbid := range []bool{true, false} {
		t.Run(fmt.Sprintf("forbidden=%v", forbid), func(t *testing.T) {
			client := fake.NewClientset()
			if forbid {
				client.PrependReactor("*", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
					return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, "l",
						errors.New(`User "system:serviceaccount:yeeter:yeetscale" cannot get resource "leases"`))
				})
			}
			lc := kube.LeaderConfig{Client: client, Namespace: "yeeter", Name: "l", Identity: "me",
				LeaseDuration: 300 * time.Millisecond, RenewDeadline: 200 * time.Millisecond, RetryPeriod: 50 * time.Millisecond}
			lease := newLeaseHealth(logger, m, lc.LeaseDuration+3*lc.RetryPeriod)
			lc.OnLeaseResult = lease.observe
			m.setLeaseCheck(lease.reachable)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			// The run blocks like a leader's controller would; this instance
			// stays a standby only while the Lease is refused.
			go func() { done <- kube.RunWithLeaderElection(ctx, lc, func(ctx context.Context) { <-ctx.Done() }) }()
			defer func() { cancel(); <-done }()
			time.Sleep(500 * time.Millisecond)
			code, body := readyz()
			if forbid {
				if code != http.StatusServiceUnavailable || !strings.Contains(body, "Lease") {
					t.Errorf("/readyz = %d %q, want 503 naming the Lease", code, body)
				}
				if !strings.Contains(log.String(), "leader election failed") || !strings.Contains(log.String(), "forbidden") {
					t.Errorf("no failure logged:\n%s", log.String())
				}
				if counterValue(t, m, leaderErrorKind) < 1 {
					t.Errorf("errors_total{kind=leader_election} not counted")
				}
				return
			}
			if code != http.StatusOK {
				t.Errorf("/readyz = %d %q with a working Lease, want 200", code, body)
			}
		})
	}
}
