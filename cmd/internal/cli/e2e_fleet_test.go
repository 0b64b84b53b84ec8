package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube/kubetest"
	"github.com/yeeter/yeetscale/rabbit"
	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// fleetWorld is a fleet on the real broker and apiserver: three annotated
// Deployments driven by their own queues (worker-0000..0002), one with an
// invalid annotation (worker-0003) and one whose queue does not exist
// (worker-0004), in the test's namespace, plus a Deployment without
// annotations that is no target (worker-0005).
type fleetWorld struct {
	t          *testing.T
	broker     *rabbittest.Broker
	cp         *kubetest.ControlPlane
	proxy      *rabbittest.RecordingProxy
	vhost, ns  string
	user, pass string
	queues     []string
}

const fleetTargets = 5

func newFleetWorld(t *testing.T, maxReplicas int) *fleetWorld {
	t.Helper()
	b := rabbittest.Start(t)
	cp := kubetest.SharedWorkloads(t)
	w := &fleetWorld{t: t, broker: b, cp: cp}
	w.vhost = b.NewVHost(t)
	w.user, w.pass = b.NewUser(t, "monitoring", w.vhost)
	w.ns = cp.Namespace(t)
	w.queues = []string{"fleet.a", "fleet.b", "fleet.c"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := b.DeclareQueues(ctx, w.vhost, w.queues); err != nil {
		t.Fatalf("declaring queues: %v", err)
	}
	w.waitListed(ctx, nil)
	ann := func(i int) map[string]string {
		a := map[string]string{
			engine.AnnotationPrefix + "max-replicas":    fmt.Sprint(maxReplicas),
			engine.AnnotationPrefix + "target-messages": "20",
			engine.AnnotationPrefix + "poll-interval":   "1s",
		}
		switch {
		case i < 3:
			a[engine.AnnotationQueue] = w.queues[i]
		case i == 3:
			a[engine.AnnotationQueue] = "fleet.a"
			a[engine.AnnotationPrefix+"max-replicas"] = "lots"
		case i == 4:
			a[engine.AnnotationQueue] = "fleet.missing"
		default:
			return nil
		}
		return a
	}
	if _, err := kubetest.CreateAnnotatedDeployments(ctx, cp.Client, w.ns, fleetTargets+1, ann); err != nil {
		t.Fatal(err)
	}
	w.proxy = rabbittest.StartRecordingProxy(t, b.MgmtURL)
	return w
}

// waitListed waits until the management API lists every queue with its
// statistics (a queue declared less than a statistics interval ago is
// listed without them, and a fleet takes it for missing), each with at
// least depth[name] messages.
func (w *fleetWorld) waitListed(ctx context.Context, depth map[string]int64) {
	w.t.Helper()
	o := rabbit.DefaultOptions()
	o.MgmtURL, o.Username, o.Password = w.broker.MgmtURL, w.user, rabbit.Secret(w.pass)
	c, err := rabbit.New(o)
	if err != nil {
		w.t.Fatal(err)
	}
	var last error
	ok := poll(30*time.Second, 200*time.Millisecond, func() bool {
		qs, err := c.ListQueues(ctx, w.vhost)
		if last = err; err != nil {
			return false
		}
		for _, q := range w.queues {
			if st, ok := qs[q]; !ok || st.Messages < depth[q] {
				last = fmt.Errorf("queue %s not listed with %d messages yet", q, depth[q])
				return false
			}
		}
		return true
	})
	if !ok {
		w.t.Fatalf("the management API never listed the queues with statistics: %v", last)
	}
}

func (w *fleetWorld) args(extra ...string) []string {
	a := []string{"yeetscale", "--fleet", "--kubeconfig", w.cp.Kubeconfig, "-n", w.ns, "--mgmt-url", w.proxy.URL,
		"--vhost", w.vhost, "--username", w.user, "--password", w.pass}
	return append(a, extra...)
}

func (w *fleetWorld) replicas(i int) int32 {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := w.cp.Client.AppsV1().Deployments(w.ns).Get(ctx, kubetest.FleetDeploymentName(i), metav1.GetOptions{})
	if err != nil {
		w.t.Fatalf("reading deployment: %v", err)
	}
	return *d.Spec.Replicas
}

func (w *fleetWorld) annotate(i int, key, value string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, key, value)
	if _, err := w.cp.Client.AppsV1().Deployments(w.ns).Patch(ctx, kubetest.FleetDeploymentName(i), types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		w.t.Fatalf("annotating: %v", err)
	}
}

// TestE2EFleetOnce: --once decides every annotated Deployment of the
// namespace in one run with one management request for the vhost; the
// invalid annotation and the missing queue are those targets' errors
// (exit 3: a broker-side failure), the others decide.
func TestE2EFleetOnce(t *testing.T) {
	t.Parallel()
	w := newFleetWorld(t, 10)
	w.broker.Publish(t, w.vhost, "fleet.a", 100)
	w.waitListed(context.Background(), map[string]int64{"fleet.a": 100})
	w.proxy.Reset()
	code, out, errOut := once(t, w.args("--once", "--dry-run", "-o", "json"))
	if code != ExitBroker {
		t.Errorf("exit %d, want %d (a missing queue); stderr: %s", code, ExitBroker, errOut)
	}
	if n := w.proxy.Total(); n != 1 {
		t.Errorf("%d management requests, want 1 (one per vhost): %+v", n, w.proxy.Requests())
	}
	var got []fleetOnceResult
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r fleetOnceResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		got = append(got, r)
	}
	if len(got) != fleetTargets {
		t.Fatalf("%d lines, want %d (one per target, none for the unannotated):\n%s", len(got), fleetTargets, out)
	}
	for i, r := range got {
		name := kubetest.FleetDeploymentName(i)
		if r.Target != w.ns+"/"+name || r.Namespace != w.ns || r.Deployment.Name != name {
			t.Errorf("line %d is %s (namespace %s, deployment %s), want %s/%s", i, r.Target, r.Namespace, r.Deployment.Name, w.ns, name)
		}
		switch i {
		case 3:
			if r.Desired != nil || !strings.Contains(r.Error, "max-replicas") {
				t.Errorf("bad annotation: desired %v, error %q (%s), want its error naming max-replicas", r.Desired, r.Error, r.ErrorKind)
			}
		case 4:
			if r.Desired != nil || r.ErrorKind != "not_found" || !strings.Contains(r.Error, "fleet.missing") {
				t.Errorf("missing queue: desired %v, error %q (%s), want not_found naming fleet.missing", r.Desired, r.Error, r.ErrorKind)
			}
		default:
			if r.Desired == nil || r.Error != "" || r.Queue.Name != w.queues[i] {
				t.Errorf("target %d: desired %v, queue %q, error %q, want a decision on %s", i, r.Desired, r.Queue.Name, r.Error, w.queues[i])
			}
		}
	}
	if got[0].Desired == nil || *got[0].Desired != 5 || got[0].Queue.Messages == nil || *got[0].Queue.Messages != 100 {
		t.Errorf("worker-0000 on 100 messages at 20 a replica: %+v, want 5 replicas", got[0].onceResult)
	}
	if q := got[0].Queues; len(q) != 1 || q[0].Name != "fleet.a" || q[0].Messages != 100 || got[0].Status != "dry-run" {
		t.Errorf("worker-0000: status %q, queues %+v, want dry-run and fleet.a with 100 messages", got[0].Status, q)
	}

	// Text: one block per target.
	code, out, _ = once(t, w.args("--once", "--dry-run"))
	if code != ExitBroker || strings.Count(out, "target      ") != fleetTargets || !strings.Contains(out, "fleet.missing") {
		t.Errorf("text output (exit %d), want %d blocks:\n%s", code, fleetTargets, out)
	}

	// A selector that matches nothing: no target, said on stderr, exit 0.
	code, out, errOut = once(t, w.args("--once", "--dry-run", "-l", "team=nobody"))
	if code != ExitOK || out != "" || !strings.Contains(errOut, "no target: no Deployment in namespace "+w.ns+" matching team=nobody") {
		t.Errorf("no target: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestE2EFleetAuto: --auto scales the two targets whose queues get a burst
// while the third stays put, the bad ones log their errors, every log
// line names its target, and a new max-replicas annotation acts without a
// restart.
func TestE2EFleetAuto(t *testing.T) {
	t.Parallel()
	w := newFleetWorld(t, 3)
	r := startAuto(t, w.args("--auto", "--log-format", "json", "--metrics-addr", "127.0.0.1:0",
		"--leader-elect", "--leader-elect-lease-duration", "3s", "--leader-elect-renew-deadline", "2s", "--leader-elect-retry-period", "500ms"))
	r.waitLog(t, 60*time.Second, "a decision for each good target", func(ls []logLine) bool {
		seen := map[string]bool{}
		for _, l := range ls {
			if l.msg() == "decision" {
				seen[l.str("deployment")] = true
			}
		}
		return len(seen) == 3
	})
	w.broker.Publish(t, w.vhost, "fleet.a", 200)
	w.broker.Publish(t, w.vhost, "fleet.b", 200)
	for _, i := range []int{0, 1} {
		if !poll(60*time.Second, 100*time.Millisecond, func() bool { return w.replicas(i) == 3 }) {
			t.Fatalf("worker %d never reached 3 replicas (max-replicas); log:\n%s", i, r.log)
		}
	}
	// The annotation changes while --auto runs: the new maximum acts.
	w.annotate(0, engine.AnnotationPrefix+"max-replicas", "6")
	if !poll(60*time.Second, 100*time.Millisecond, func() bool { return w.replicas(0) == 6 }) {
		t.Fatalf("worker 0 never followed max-replicas 6 (now %d); log:\n%s", w.replicas(0), r.log)
	}
	for i, want := range map[int]int32{1: 3, 2: 1, 3: 1, 4: 1, 5: 1} {
		if got := w.replicas(i); got != want {
			t.Errorf("worker %d has %d replicas, want %d", i, got, want)
		}
	}
	w.checkFleetMetrics(metricsAddrOf(t, r))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := w.cp.Client.CoordinationV1().Leases(w.ns).Get(ctx, FleetLeaseName, metav1.GetOptions{}); err != nil {
		t.Errorf("the fleet's Lease %s: %v", FleetLeaseName, err)
	}

	ls := lines(t, r.log.String())
	var invalid, missing bool
	for _, l := range ls {
		switch l.msg() {
		case "starting", "stopped", "serving metrics", "leader", "leader election":
			continue
		}
		if l.str("component") == "client-go" {
			// client-go's own lines are the process's, not a target's (an
			// "unexpected EOF" reading a response was seen under load).
			continue
		}
		if l.str("namespace") != w.ns || l.str("deployment") == "" {
			t.Errorf("log line without its target: %v", l)
		}
		invalid = invalid || l.msg() == "target invalid" && l.str("deployment") == kubetest.FleetDeploymentName(3) && strings.Contains(l.str("error"), "max-replicas")
		missing = missing || l.msg() == "poll failed" && l.str("deployment") == kubetest.FleetDeploymentName(4) && l.str("kind") == "not_found"
	}
	if !invalid || !missing {
		t.Errorf("log: invalid annotation logged %v, missing queue logged %v; log:\n%s", invalid, missing, r.log)
	}
	if code := r.stop(t); code != ExitOK {
		t.Errorf("exit %d after the stop, want 0; log:\n%s", code, r.log)
	}
}

// checkFleetMetrics checks /metrics of a fleet that scaled worker-0000 and
// worker-0001: the series carry namespace and deployment labels, and the
// instance is ready.
func (w *fleetWorld) checkFleetMetrics(addr string) {
	w.t.Helper()
	wants := []string{
		fmt.Sprintf(`yeetscale_queue_messages{deployment="worker-0002",namespace=%q,queue="fleet.c",vhost=%q} 0`, w.ns, w.vhost),
		fmt.Sprintf(`yeetscale_replicas{deployment="worker-0000",namespace=%q,queue="fleet.a",state="current",vhost=%q} 6`, w.ns, w.vhost),
		fmt.Sprintf(`yeetscale_scale_actions_total{deployment="worker-0001",direction="up",namespace=%q}`, w.ns),
		fmt.Sprintf(`yeetscale_errors_total{deployment="worker-0004",kind="not_found",namespace=%q}`, w.ns),
		"yeetscale_leader 1",
	}
	// The metrics follow the targets' snapshots, published after the
	// change the caller saw on the Deployment: on a loaded machine the
	// first read can come before them.
	var body string
	poll(10*time.Second, 200*time.Millisecond, func() bool {
		body = httpGetText(w.t, "http://"+addr+"/metrics")
		for _, want := range wants {
			if !strings.Contains(body, want) {
				return false
			}
		}
		return true
	})
	for _, want := range wants {
		if !strings.Contains(body, want) {
			w.t.Errorf("/metrics lacks %s (for 10 s)", want)
		}
	}
	if w.t.Failed() {
		w.t.Logf("/metrics:\n%s", body)
	}
	if got := httpGetText(w.t, "http://"+addr+"/readyz"); got != "ok\n" {
		w.t.Errorf("/readyz: %q, want ok", got)
	}
}

func httpGetText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
