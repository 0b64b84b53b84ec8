package cli

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/yeeter/yeetscale/kube"
)

// TestE2ELeaderElectionForbiddenLease runs `--auto --leader-elect` on the
// real apiserver as a ServiceAccount with every right yeetscale needs but
// the Lease's: every Lease request is answered 403. The failure is logged
// (kind forbidden), counted in errors_total{kind="leader_election"},
// /readyz answers 503 and nothing is scaled.
func TestE2ELeaderElectionForbiddenLease(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const sa = "no-lease"
	svc := restrictedKubeconfig(t, w, sa, []rbacv1.PolicyRule{
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "patch"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments/scale"}, Verbs: []string{"get", "update"}},
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: []string{"list"}},
	})
	kubeconfig, token := svc.kubeconfig, svc.token
	s, err := kube.NewScaler(w.cp.ConfigForToken(token), kube.ScalerConfig{Namespace: w.ns, Deployment: w.name})
	if err != nil {
		t.Fatal(err)
	}
	if !poll(15*time.Second, 50*time.Millisecond, func() bool { _, err := s.GetScale(ctx); return err == nil }) {
		t.Fatalf("the ServiceAccount never got its rights")
	}
	if _, err := s.LoadMemory(ctx); err != nil {
		t.Fatalf("LoadMemory as %s: %v", sa, err)
	}

	r := startAuto(t, w.args("--auto", "--leader-elect", "--leader-elect-lease-duration", "3s", "--leader-elect-renew-deadline", "2s",
		"--leader-elect-retry-period", "200ms", "--poll-interval", "1s", "--log-format", "json", "--metrics-addr", "127.0.0.1:0",
		"--kubeconfig", kubeconfig))
	addr := metricsAddrOf(t, r)
	ls := r.waitLog(t, 20*time.Second, "a leader-election failure", func(ls []logLine) bool { return count(ls, "leader election failed") >= 1 })
	for _, l := range ls {
		if l.msg() == "leader election failed" && (l.str("kind") != "forbidden" || !strings.Contains(l.str("error"), "leases")) {
			t.Errorf("failure line %v, want kind forbidden naming leases", l)
		}
	}
	time.Sleep(time.Second) // several more refusals: counted, not all logged
	if n := count(lines(t, r.log.String()), "leader election failed"); n != 1 {
		t.Errorf("%d failure lines within a few seconds, want 1 (rate-limited)", n)
	}
	metricsText := get(t, "http://"+addr+"/metrics")
	if !strings.Contains(metricsText, `yeetscale_errors_total{kind="leader_election"}`) {
		t.Errorf("errors_total lacks kind leader_election:\n%s", grepLines(metricsText, "errors_total"))
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d, want 503", resp.StatusCode)
	}
	if n := count(lines(t, r.log.String()), "scaled"); n != 0 {
		t.Errorf("scaled %d times without the Lease", n)
	}
	if code := r.stop(t); code != 0 {
		t.Errorf("exit %d after stop; log:\n%s", code, r.log)
	}
}

// get returns the body of url.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
