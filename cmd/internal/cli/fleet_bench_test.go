package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube/kubetest"
	"github.com/yeeter/yeetscale/rabbit"
	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// benchFleetTargets is the estate of make bench-fleet: as many queues as
// annotated Deployments, one queue each.
const benchFleetTargets = 1000

// listRequest is one request of the binary to the management API.
type listRequest struct {
	start time.Time
	query string
}

// timingProxy is a reverse proxy in front of the management API that
// records when each request to one path started (the recording proxy of
// rabbittest counts, this one also times the rounds).
type timingProxy struct {
	URL  string
	path string
	mu   sync.Mutex
	reqs []listRequest
	all  int
}

func startTimingProxy(t testing.TB, target, path string) *timingProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &timingProxy{path: path}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.all++
		if r.URL.EscapedPath() == p.path {
			p.reqs = append(p.reqs, listRequest{time.Now(), r.URL.RawQuery})
		}
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *timingProxy) requests() ([]listRequest, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]listRequest(nil), p.reqs...), p.all
}

// BenchmarkFleet is make bench-fleet: the built binary as `--auto --fleet`
// over 1,000 annotated Deployments (no pods: the scale subresource needs
// none) driven by 1,000 queues of one vhost on the real broker, polled
// every 15 s for BENCH_SECONDS (default 120). It prints the management
// requests per poll, the mean time of one poll over every target (from
// the round's first request to its last target's decision in the log),
// CPU % of one core and peak RSS of the process (from /proc), and the time
// from the management API first showing a burst on one queue to the
// apiserver accepting that Deployment's scale update; beside them, what
// KEDA would ask of the broker for the same estate (one request per
// ScaledObject per polling interval). Its last line is machine-readable.
func BenchmarkFleet(b *testing.B) {
	secs, _ := strconv.Atoi(os.Getenv("BENCH_SECONDS"))
	if secs <= 0 {
		secs = 120
	}
	const every = 15 * time.Second
	bin := buildBinary(b)
	broker := rabbittest.Start(b)
	cp := kubetest.Shared(b)
	vhost := broker.NewVHost(b)
	user, pass := broker.NewUser(b, "monitoring", vhost)
	ns := cp.Namespace(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	queue := func(i int) string { return fmt.Sprintf("bench.q-%04d", i) }
	names := make([]string, benchFleetTargets)
	for i := range names {
		names[i] = queue(i)
	}
	t0 := time.Now()
	if err := broker.DeclareQueues(ctx, vhost, names); err != nil {
		b.Fatal(err)
	}
	if _, err := kubetest.CreateAnnotatedDeployments(ctx, cp.Client, ns, benchFleetTargets, func(i int) map[string]string {
		return map[string]string{engine.AnnotationQueue: queue(i)}
	}); err != nil {
		b.Fatal(err)
	}
	waitAllListed(b, broker, vhost, user, pass)
	fmt.Printf("estate: %d queues and %d annotated Deployments in %s\n", benchFleetTargets, benchFleetTargets, time.Since(t0).Round(time.Second))

	proxy := startTimingProxy(b, broker.MgmtURL, "/api/queues/"+url.PathEscape(vhost))
	burstIdx := benchFleetTargets / 2
	history := watchDeployment(ctx, b, cp, ns, kubetest.FleetDeploymentName(burstIdx))
	gets0 := deploymentGets(b, cp)
	b.ResetTimer()
	cmd := exec.Command(bin, "--auto", "--fleet", "-n", ns, "--kubeconfig", cp.Kubeconfig, "--mgmt-url", proxy.URL, "--vhost", vhost,
		"--poll-interval", every.String(), "--min-replicas", "1", "--max-replicas", "40", "--target-messages", "250", "--log-format", "json")
	log, exited := startLogged(b, cmd, user, pass)
	started := time.Now()
	// Counted in the text, not parsed: the test shares the machine's cores
	// with the process it measures.
	if !poll(3*time.Minute, 500*time.Millisecond, func() bool {
		return strings.Count(log.String(), `"msg":"decision"`) >= benchFleetTargets
	}) {
		b.Fatalf("no decision for every target; log tail:\n%s", tail(log.String(), 40))
	}
	cpu0, _, err := procUsage(cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	steady := time.Now()
	fmt.Printf("startup: informer sync and the first round of %d targets in %s, CPU %s, %d GETs of a Deployment\n",
		benchFleetTargets, steady.Sub(started).Round(time.Millisecond), cpu0, deploymentGets(b, cp)-gets0)

	// The burst, once the first round is done.
	latency := benchBurst(ctx, b, broker, vhost, queue(burstIdx), history, every, log)

	time.Sleep(time.Until(started.Add(time.Duration(secs) * time.Second)))
	cpu, hwm, err := procUsage(cmd.Process.Pid)
	if err != nil {
		b.Fatal(err)
	}
	wall := time.Since(steady)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := <-exited; err != nil {
		b.Errorf("after SIGTERM: %v", err)
	}
	b.StopTimer()

	reqs, all := proxy.requests()
	text := log.String()
	rounds, pollMs := benchRounds(b, reqs, lines(b, text[:strings.LastIndexByte(text, '\n')+1]))
	perPoll := float64(len(reqs)) / float64(max(rounds, 1))
	cpuPct := float64(cpu-cpu0) / float64(wall) * 100
	rssMB := float64(hwm) / (1 << 20)
	fmt.Printf("management requests: %d in %d rounds (%d to other paths): %.2f a poll for %d queues (goal <= %d: one per vhost per 500 queues); KEDA: %d a polling interval (one per ScaledObject)\n",
		len(reqs), rounds, all-len(reqs), perPoll, benchFleetTargets, (benchFleetTargets+499)/500, benchFleetTargets)
	fmt.Printf("one poll of %d targets: %.0f ms on average (goal < 1000 ms)\n", benchFleetTargets, pollMs)
	fmt.Printf("CPU after startup: %s over %s = %.2f%% of one core (goal < 5%%); peak RSS (VmHWM) %.1f MB (goal < 150 MB)\n",
		(cpu - cpu0).Round(time.Millisecond), wall.Round(time.Second), cpuPct, rssMB)
	fmt.Printf("burst visible in the management API -> scale update accepted: %s (goal <= one poll + 100 ms = %s)\n",
		latency.Round(time.Millisecond), every+100*time.Millisecond)
	fmt.Printf("fleet: targets=%d vhosts=1 requests_per_poll=%s poll_ms=%.0f cpu_pct=%.2f rss_mb=%.1f burst_to_update_ms=%d keda_requests_per_interval=%d\n",
		benchFleetTargets, strconv.FormatFloat(perPoll, 'f', -1, 64), pollMs, cpuPct, rssMB, latency.Milliseconds(), benchFleetTargets)
}

// waitAllListed waits until the management API lists every queue of vhost
// with statistics.
func waitAllListed(b *testing.B, broker *rabbittest.Broker, vhost, user, pass string) {
	o := rabbit.DefaultOptions()
	o.MgmtURL, o.Username, o.Password = broker.MgmtURL, user, rabbit.Secret(pass)
	c, err := rabbit.New(o)
	if err != nil {
		b.Fatal(err)
	}
	var n int
	if !poll(time.Minute, time.Second, func() bool {
		qs, err := c.ListQueues(context.Background(), vhost)
		n = len(qs)
		return err == nil && n >= benchFleetTargets
	}) {
		b.Fatalf("the management API lists %d queues with statistics, want %d", n, benchFleetTargets)
	}
}

// benchBurst publishes a burst on queue, waits for the management API to
// show it (read every 10 ms) and for the Deployment's scale update, and
// returns the time between the two.
func benchBurst(ctx context.Context, b *testing.B, broker *rabbittest.Broker, vhost, queue string, history func() []replicaChange,
	every time.Duration, log *syncBuffer) time.Duration {
	before := len(history())
	if err := broker.PublishN(ctx, vhost, queue, 5000); err != nil {
		b.Fatal(err)
	}
	var visible time.Time
	if !poll(time.Minute, 10*time.Millisecond, func() bool {
		_, body, err := broker.Do(ctx, "GET", rabbittest.APIPath("queues", vhost, queue), nil)
		visible = time.Now()
		return err == nil && strings.Contains(string(body), `"messages":5000`)
	}) {
		b.Fatal("the management API never reported the burst")
	}
	var accepted time.Time
	if !poll(2*every+30*time.Second, 5*time.Millisecond, func() bool {
		h := history()
		if len(h) > before && h[len(h)-1].replicas > 1 {
			accepted = h[before].at
			return true
		}
		return false
	}) {
		b.Fatalf("no scale-up of the burst's Deployment; log tail:\n%s", tail(log.String(), 40))
	}
	return accepted.Sub(visible)
}

// benchRounds returns the number of rounds (a request for page 1 starts
// one) and the mean time, over the rounds after the first, from a round's
// first request to the last "decision" logged before the next round.
func benchRounds(b *testing.B, reqs []listRequest, ls []logLine) (int, float64) {
	var starts []time.Time
	for _, r := range reqs {
		if q, _ := url.ParseQuery(r.query); q.Get("page") == "1" {
			starts = append(starts, r.start)
		}
	}
	var decisions []time.Time
	for _, l := range ls {
		if l.msg() != "decision" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, l.str("time"))
		if err != nil {
			b.Fatalf("log time %q: %v", l.str("time"), err)
		}
		decisions = append(decisions, at)
	}
	sort.Slice(decisions, func(i, j int) bool { return decisions[i].Before(decisions[j]) })
	var total time.Duration
	var n int
	var each []string
	for i, s := range starts {
		end := time.Now()
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		var last time.Time
		for _, d := range decisions {
			if !d.Before(s) && d.Before(end) {
				last = d
			}
		}
		if last.IsZero() {
			continue
		}
		each = append(each, last.Sub(s).Round(time.Millisecond).String())
		if i > 0 { // the first round is the startup's: every target loads its memory
			total += last.Sub(s)
			n++
		}
	}
	fmt.Printf("rounds (request for page 1 to the last decision logged): %s\n", strings.Join(each, ", "))
	if n == 0 {
		b.Fatal("no round with decisions after the first")
	}
	return len(starts), float64(total.Microseconds()) / 1000 / float64(n)
}

// watchDeployment records the spec.replicas changes of one Deployment.
func watchDeployment(ctx context.Context, t testing.TB, cp *kubetest.ControlPlane, ns, name string) func() []replicaChange {
	var mu sync.Mutex
	var seen []replicaChange
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	wi, err := cp.Client.AppsV1().Deployments(ns).Watch(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		t.Fatalf("watching the deployment: %v", err)
	}
	go func() {
		defer wi.Stop()
		for ev := range wi.ResultChan() {
			if d, ok := ev.Object.(*appsv1.Deployment); ok && (ev.Type == watch.Added || ev.Type == watch.Modified) {
				mu.Lock()
				if n := *d.Spec.Replicas; len(seen) == 0 || seen[len(seen)-1].replicas != n {
					seen = append(seen, replicaChange{time.Now(), n})
				}
				mu.Unlock()
			}
		}
	}()
	return func() []replicaChange {
		mu.Lock()
		defer mu.Unlock()
		return append([]replicaChange(nil), seen...)
	}
}

// deploymentGets is the API server's count of GETs of one Deployment (not
// its scale), from its metrics.
func deploymentGets(b *testing.B, cp *kubetest.ControlPlane) int {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	raw, err := cp.Client.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		b.Fatalf("the API server's metrics: %v", err)
	}
	n := 0
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "apiserver_request_total{") && strings.Contains(line, `resource="deployments"`) &&
			strings.Contains(line, `subresource=""`) && strings.Contains(line, `verb="GET"`) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			n += int(v)
		}
	}
	return n
}
