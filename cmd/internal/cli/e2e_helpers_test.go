package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/yeeter/yeetscale/kube/kubetest"
	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// world is one test's share of the real broker and the real cluster: its own
// vhost, queue, monitoring user, namespace and worker Deployment.
type world struct {
	t          testing.TB
	broker     *rabbittest.Broker
	cp         *kubetest.ControlPlane
	vhost      string
	queue      string
	user, pass string
	ns, name   string
}

// newWorld starts (or reuses) the broker and the control plane; with
// workloads the Deployment's pods become Ready on the kwok node.
func newWorld(t testing.TB, workloads bool, replicas int32) *world {
	t.Helper()
	var cp *kubetest.ControlPlane
	if workloads {
		cp = kubetest.SharedWorkloads(t)
	} else {
		cp = kubetest.Shared(t)
	}
	return newWorldOn(t, cp, replicas)
}

// newWorldOn is newWorld on the control plane cp.
func newWorldOn(t testing.TB, cp *kubetest.ControlPlane, replicas int32) *world {
	t.Helper()
	b := rabbittest.Start(t)
	w := &world{t: t, broker: b, cp: cp, name: kubetest.YeeterDeployment}
	w.vhost = b.NewVHost(t)
	w.queue = b.NewQueue(t, w.vhost)
	w.user, w.pass = b.NewUser(t, "monitoring", w.vhost)
	w.ns = cp.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := cp.CreateWorkload(ctx, w.ns, w.name, replicas); err != nil {
		t.Fatalf("creating deployment: %v", err)
	}
	return w
}

// args are the command line reaching this world (credentials as flags;
// see env for the environment variant), followed by extra.
func (w *world) args(extra ...string) []string {
	a := []string{"yeetscale", "--kubeconfig", w.cp.Kubeconfig, "-n", w.ns, "--mgmt-url", w.broker.MgmtURL,
		"--vhost", w.vhost, "--queue", w.queue, "--username", w.user, "--password", w.pass}
	return append(a, extra...)
}

// replicas returns the Deployment's spec.replicas.
func (w *world) replicas() int32 {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := w.cp.Client.AppsV1().Deployments(w.ns).Get(ctx, w.name, metav1.GetOptions{})
	if err != nil {
		w.t.Fatalf("reading deployment: %v", err)
	}
	return *d.Spec.Replicas
}

// rescaleEvents returns the SuccessfulRescale Events on the Deployment.
func (w *world) rescaleEvents() []corev1.Event {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := w.cp.Client.CoreV1().Events(w.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		w.t.Fatalf("listing events: %v", err)
	}
	var out []corev1.Event
	for _, e := range l.Items {
		if e.Reason == "SuccessfulRescale" && e.InvolvedObject.Kind == "Deployment" && e.InvolvedObject.Name == w.name {
			out = append(out, e)
		}
	}
	return out
}

// messages reads the queue's depth (ready + unacked) from the management API.
func (w *world) messages(ctx context.Context) (int64, error) {
	status, body, err := w.broker.Do(ctx, "GET", rabbittest.APIPath("queues", w.vhost, w.queue), nil)
	if err != nil {
		return 0, err
	}
	if status != 200 {
		return 0, fmt.Errorf("management API: HTTP %d: %s", status, body)
	}
	var q struct {
		Messages  *int64 `json:"messages"`
		Consumers *int64 `json:"consumers"`
	}
	if bytes.Equal(bytes.TrimSpace(body), []byte("[]")) {
		return -1, nil // no statistics yet
	}
	if err := json.Unmarshal(body, &q); err != nil {
		return 0, err
	}
	if q.Messages == nil || q.Consumers == nil {
		// No statistics yet, or only part of them: a queue declared
		// less than a statistics interval ago is reported with its
		// message counts but without consumers for a while.
		return -1, nil
	}
	return *q.Messages, nil
}

// waitMessages polls the management API until cond holds for the reported
// depth, and returns it.
func (w *world) waitMessages(timeout time.Duration, what string, cond func(int64) bool) int64 {
	w.t.Helper()
	var last int64
	var lastErr error
	ok := poll(timeout, 50*time.Millisecond, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		last, lastErr = w.messages(ctx)
		return lastErr == nil && cond(last)
	})
	if !ok {
		w.t.Fatalf("management API never reported %s within %s (last: %d, error: %v)", what, timeout, last, lastErr)
	}
	return last
}

// waitReplicas polls spec.replicas until it equals n.
func (w *world) waitReplicas(timeout time.Duration, n int32, log *syncBuffer) {
	w.t.Helper()
	var last int32
	if !poll(timeout, 50*time.Millisecond, func() bool { last = w.replicas(); return last == n }) {
		w.t.Fatalf("deployment never reached %d replicas within %s (last %d); log:\n%s", n, timeout, last, log)
	}
}

// poll calls cond every interval until it returns true (true) or timeout
// passes (false).
func poll(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	if s == nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCLI runs the real command tree in-process, as Main does, but under ctx
// (cancelling it is what SIGINT/SIGTERM does to the process).
func runCLI(ctx context.Context, args []string, out, errOut io.Writer) int {
	return execute(ctx, args, streams{In: strings.NewReader(""), Out: out, Err: errOut})
}

// once runs a one-shot command and returns its exit code, stdout and stderr.
func once(t *testing.T, args []string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	code := runCLI(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// autoRun is an in-process `yeetscale --auto`.
type autoRun struct {
	cancel context.CancelFunc
	done   chan int
	log    *syncBuffer
}

func startAuto(t *testing.T, args []string) *autoRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &autoRun{cancel: cancel, done: make(chan int, 1), log: &syncBuffer{}}
	go func() { r.done <- runCLI(ctx, args, io.Discard, r.log) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the run (as a signal would) and returns its exit code.
func (r *autoRun) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.done:
		r.done <- code
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("--auto did not stop within 30s of cancellation; log:\n%s", r.log)
		return -1
	}
}

// running reports whether the run has not returned.
func (r *autoRun) running() bool {
	select {
	case code := <-r.done:
		r.done <- code
		return false
	default:
		return true
	}
}

// logLine is one JSON log line of --auto --log-format json.
type logLine map[string]any

func (l logLine) msg() string { s, _ := l["msg"].(string); return s }
func (l logLine) num(k string) float64 {
	f, _ := l[k].(float64)
	return f
}
func (l logLine) str(k string) string { s, _ := l[k].(string); return s }

// lines parses the JSON log lines written so far.
func lines(t testing.TB, s string) []logLine {
	t.Helper()
	var out []logLine
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

// count returns how many lines have msg.
func count(ls []logLine, msg string) int {
	n := 0
	for _, l := range ls {
		if l.msg() == msg {
			n++
		}
	}
	return n
}

// waitLog polls the log until cond holds for its parsed lines.
func (r *autoRun) waitLog(t testing.TB, timeout time.Duration, what string, cond func([]logLine) bool) []logLine {
	t.Helper()
	var ls []logLine
	if !poll(timeout, 50*time.Millisecond, func() bool { ls = lines(t, r.log.String()); return cond(ls) }) {
		t.Fatalf("log never showed %s within %s:\n%s", what, timeout, r.log)
	}
	return ls
}

// proxy is a TCP proxy to a server that a test can cut (closing the
// listener and every connection) and restore on the same address.
type proxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{t: t, target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *proxy) pipe(c net.Conn) {
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil {
		p.mu.Unlock()
		c.Close()
		s.Close()
		return
	}
	p.conns[c], p.conns[s] = struct{}{}, struct{}{}
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.Close(); c.Close() }()
	io.Copy(c, s)
	c.Close()
	s.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

// cut makes the server unreachable: connections are closed and new ones
// refused.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]struct{}{}
}

// restore listens again on the same address.
func (p *proxy) restore() {
	p.t.Helper()
	var ln net.Listener
	var err error
	if !poll(10*time.Second, 50*time.Millisecond, func() bool { ln, err = net.Listen("tcp", p.addr); return err == nil }) {
		p.t.Fatalf("proxy: listening again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// kubeconfigVia writes a copy of the control plane's kubeconfig whose server
// is addr (a proxy in front of the API server).
func kubeconfigVia(t *testing.T, cp *kubetest.ControlPlane, addr string) string {
	t.Helper()
	b, err := os.ReadFile(cp.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(cp.URL)) {
		t.Fatalf("kubeconfig %s does not name the server %s", cp.Kubeconfig, cp.URL)
	}
	b = bytes.ReplaceAll(b, []byte(cp.URL), []byte("https://"+addr))
	path := t.TempDir() + "/kubeconfig"
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// restricted is a ServiceAccount's kubeconfig and token.
type restricted struct{ kubeconfig, token string }

// restrictedKubeconfig creates a ServiceAccount sa of w.ns bound to a Role
// with rules and returns its kubeconfig and token, once the RBAC
// authorizer knows of the binding.
func restrictedKubeconfig(t *testing.T, w *world, sa string, rules []rbacv1.PolicyRule) restricted {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := w.cp.Client
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: w.ns}, Rules: rules}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: w.ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: sa},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: w.ns}}}
	if _, err := c.CoreV1().ServiceAccounts(w.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RbacV1().Roles(w.ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RbacV1().RoleBindings(w.ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	token, err := w.cp.ServiceAccountToken(ctx, w.ns, sa)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := w.cp.WriteKubeconfig("kubeconfig-"+w.ns, sa, token)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the RBAC authorizer learns of the binding a moment after the create
	return restricted{kubeconfig, token}
}
