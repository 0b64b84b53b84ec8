package rabbittest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"
)

// Broker is a running RabbitMQ with the management plugin and an
// administrator's credentials.
type Broker struct {
	// MgmtURL is the management API's base URL, without credentials.
	MgmtURL string
	// AMQPURL is an AMQP URL with the administrator's credentials.
	AMQPURL string
	// AdminUser and AdminPassword are an administrator's credentials
	// (guest/guest on the harness-owned node, which allows guest on loopback).
	AdminUser     string
	AdminPassword string
	// Node is the Erlang node name reported by the broker.
	Node string
	// Local is true for the harness-owned node, false for a broker given
	// through the environment.
	Local bool

	hc *http.Client
}

var (
	startMu sync.Mutex
	started *Broker
)

// Start returns the test broker, starting the harness-owned node if needed.
// It fails the test with the reason when no broker can be had.
func Start(t testing.TB) *Broker {
	t.Helper()
	startMu.Lock()
	defer startMu.Unlock()
	if started != nil {
		return started
	}
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout+5*time.Minute) // apt-get may need minutes
	defer cancel()
	b, _, err := start(ctx, t.Logf)
	if err != nil {
		t.Fatalf("rabbittest: no RabbitMQ broker: %v", err)
	}
	started = b
	return b
}

// StartLab returns a broker for interactive use (make lab), starting the
// harness-owned node if needed. stop shuts the node down if this call started
// it and does nothing otherwise (a node that tests or another lab share is
// left running). logf receives progress lines; it may be nil.
func StartLab(ctx context.Context, logf func(format string, args ...any)) (b *Broker, stop func(context.Context) error, err error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	b, startedHere, err := start(ctx, logf)
	if err != nil {
		return nil, nil, err
	}
	stop = func(context.Context) error { return nil }
	if startedHere {
		stop = StopLocal
	}
	return b, stop, nil
}

// StopLocal stops the harness-owned node if it is running. Tests normally
// leave it running for the next package or run.
func StopLocal(ctx context.Context) error {
	n, err := newLocalNode()
	if err != nil {
		return err
	}
	unlock, err := n.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return n.stop(ctx)
}

// start picks the external broker from the environment or the local node.
func start(ctx context.Context, logf func(string, ...any)) (*Broker, bool, error) {
	mgmt, amqp := os.Getenv(EnvMgmtURL), os.Getenv(EnvAMQPURL)
	if mgmt != "" || amqp != "" {
		b, err := external(ctx, mgmt, amqp)
		return b, false, err
	}
	return startLocal(ctx, logf)
}

// external uses the broker named by the environment.
func external(ctx context.Context, mgmt, amqp string) (*Broker, error) {
	if mgmt == "" || amqp == "" {
		return nil, fmt.Errorf("set both %s and %s (or neither, to use a local node)", EnvMgmtURL, EnvAMQPURL)
	}
	u, err := url.Parse(mgmt)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%s is not a URL like http://user:pass@host:15672", EnvMgmtURL)
	}
	b := &Broker{AMQPURL: amqp, AdminUser: "guest", AdminPassword: "guest", hc: &http.Client{Timeout: 30 * time.Second}}
	if u.User != nil {
		b.AdminUser = u.User.Username()
		b.AdminPassword, _ = u.User.Password()
		u.User = nil
	}
	b.MgmtURL = u.String()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		node, err := b.overview(ctx)
		if err == nil {
			b.Node = node
			return b, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("broker at %s (%s) does not answer: %w", b.MgmtURL, EnvMgmtURL, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// startLocal returns the harness-owned node, starting it under the file lock
// when it is not already answering. The bool is true when this call started
// it.
func startLocal(ctx context.Context, logf func(string, ...any)) (*Broker, bool, error) {
	n, err := newLocalNode()
	if err != nil {
		return nil, false, err
	}
	b := &Broker{
		MgmtURL: n.mgmtURL(), AMQPURL: n.amqpURL(), AdminUser: "guest", AdminPassword: "guest",
		Local: true, hc: &http.Client{Timeout: 30 * time.Second},
	}
	if ok, err := b.probeLocal(ctx); err != nil || (ok && n.configCurrent()) {
		return b, false, err
	}
	unlock, err := n.lock(ctx)
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	ok, err := b.probeLocal(ctx)
	switch {
	case err != nil || (ok && n.configCurrent()):
		return b, false, err // another process started it while we waited
	case ok:
		logf("rabbittest: restarting the harness node: its configuration is not this harness's (statistics interval)")
		stopCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err := n.stop(stopCtx)
		cancel()
		if err != nil {
			return nil, false, err
		}
	}
	if err := ensureInstalled(ctx, logf); err != nil {
		return nil, false, err
	}
	if _, alive := n.pid(); alive {
		// A node of ours is alive but not answering: maybe still booting
		// after a crash of the process that started it. Give it a while.
		if err := b.waitLocal(ctx, 60*time.Second, nil); err == nil {
			return b, false, nil
		}
		logf("rabbittest: harness node does not answer; restarting it")
		stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_ = n.stop(stopCtx)
		cancel()
	}
	if err := n.writeFiles(); err != nil {
		return nil, false, err
	}
	begin := time.Now()
	logf("rabbittest: starting RabbitMQ node %s (management %s, files %s)", NodeName, b.MgmtURL, n.dir)
	exited, err := n.start()
	if err != nil {
		return nil, false, err
	}
	if err := b.waitLocal(ctx, StartTimeout, exited); err != nil {
		return nil, false, fmt.Errorf("%w\n%s", err, n.logTail())
	}
	logf("rabbittest: RabbitMQ node answered after %s", time.Since(begin).Round(100*time.Millisecond))
	return b, true, nil
}

// errNotOurs says that something other than the harness node owns the port.
var errNotOurs = errors.New("port taken by another program")

// probeLocal reports whether the harness node answers. It returns an error
// when something else answers on its management port.
func (b *Broker) probeLocal(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	node, err := b.overview(ctx)
	switch {
	case err == nil && node == NodeName:
		b.Node = node
		return true, nil
	case err == nil:
		return false, fmt.Errorf("%w: %s is RabbitMQ node %q, not the harness node %s; stop it or set %s", errNotOurs, b.MgmtURL, node, NodeName, EnvPortBase)
	case errors.Is(err, errNotOurs):
		return false, fmt.Errorf("%w (set %s to move the harness ports)", err, EnvPortBase)
	}
	return false, nil
}

// waitLocal polls until the harness node answers, the launched process exits
// or the timeout passes.
func (b *Broker) waitLocal(ctx context.Context, timeout time.Duration, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		ok, err := b.probeLocal(ctx)
		if ok || err != nil {
			return err
		}
		select {
		case <-exited:
			return errors.New("rabbitmq-server exited before its management API answered")
		case <-ctx.Done():
			return fmt.Errorf("management API %s did not answer within %s: %w", b.MgmtURL, timeout, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// overview returns the node name from GET /api/overview. A non-RabbitMQ
// answer is reported as errNotOurs.
func (b *Broker) overview(ctx context.Context) (string, error) {
	status, body, err := b.Do(ctx, http.MethodGet, "/api/overview?columns=node", nil)
	if err != nil {
		return "", err
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusNotFound:
		return "", fmt.Errorf("%w: GET %s/api/overview answered %d: %.200s", errNotOurs, b.MgmtURL, status, body)
	case status != http.StatusOK:
		return "", fmt.Errorf("GET %s/api/overview answered %d: %.200s", b.MgmtURL, status, body)
	}
	var o struct {
		Node string `json:"node"`
	}
	if err := json.Unmarshal(body, &o); err != nil || o.Node == "" {
		return "", fmt.Errorf("%w: GET %s/api/overview is not RabbitMQ: %.200s", errNotOurs, b.MgmtURL, body)
	}
	return o.Node, nil
}
