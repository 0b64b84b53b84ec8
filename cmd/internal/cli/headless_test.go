package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yeeter/yeetscale/engine"
)

// TestLogSnapshotsFlushesOnStop checks that a change published just before
// the stop is still logged: the logger reads the last snapshot before it
// returns.
func TestLogSnapshotsFlushesOnStop(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	snaps := make(chan engine.Snapshot, 1)
	ctx, cancel := context.WithCancel(context.Background())
	snaps <- engine.Snapshot{Polls: 1, Events: []engine.Event{
		{ID: 2, Kind: engine.EventInfo, From: 2, To: 40, By: engine.OutsideBy, Message: "replicas 2 → 40, not by yeetscale"},
		{ID: 1, Kind: engine.EventScale, From: 40, To: 2, By: "auto", Message: "scaled 40 -> 2"}}}
	cancel()
	logSnapshots(ctx, logger, snaps, nil)
	out := buf.String()
	for _, want := range []string{"msg=scaled", "from=40", "to=2", "by=auto", "msg=decision", `msg="scaled outside yeetscale" from=2 to=40`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// TestLogSnapshotsOneLinePerPoll checks one line per poll (a decision, or a
// failure with its backoff step) and one per new event, never twice.
func TestLogSnapshotsOneLinePerPoll(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	cfg := engine.DefaultConfig()
	scale := engine.Event{ID: 1, Kind: engine.EventScale, From: 2, To: 40, By: "auto", Message: "scaled 2 -> 40"}
	seq := []engine.Snapshot{
		{Config: cfg, Polls: 1, Events: []engine.Event{scale}, Decision: engine.Decision{Desired: 40, Reason: "10,000 messages / 250 per replica = 40"}},
		{Config: cfg, Polls: 1, Events: []engine.Event{scale}}, // the same poll again (NextPoll published)
		{Config: cfg, Polls: 2, Events: []engine.Event{scale}, Err: errors.New("connection refused"), ConsecutiveErrors: 1},
		{Config: cfg, Polls: 3, Events: []engine.Event{scale}, Err: errors.New("connection refused"), ConsecutiveErrors: 2},
	}
	snaps := make(chan engine.Snapshot, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); logSnapshots(ctx, logger, snaps, nil) }()
	for _, s := range seq {
		snaps <- s
	}
	cancel()
	<-done
	out := buf.String()
	counts := map[string]int{"msg=scaled": 1, "msg=decision": 1, `msg="poll failed"`: 2, "retry_in=15s": 1, "retry_in=30s": 1}
	for want, n := range counts {
		if got := strings.Count(out, want); got != n {
			t.Errorf("%q appears %d times, want %d:\n%s", want, got, n, out)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567", -4250: "-4,250"} {
		if got := engine.Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestOnceJSONAfterAFailedPoll checks that a failed --once prints null, not
// zero, for everything it could not read, and exits with the cluster code.
func TestOnceJSONAfterAFailedPoll(t *testing.T) {
	t.Setenv("RABBITMQ_USERNAME", "u")
	t.Setenv("RABBITMQ_PASSWORD", "p")
	code, out, errOut := run(t, "--once", "--output", "json", "--kubeconfig", os.DevNull, "--server", "https://127.0.0.1:1",
		"--insecure-skip-tls-verify", "--mgmt-url", "http://127.0.0.1:1")
	if code != ExitCluster {
		t.Errorf("exit %d, want %d (cluster unreachable); stderr %s", code, ExitCluster, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	q, _ := res["queue"].(map[string]any)
	d, _ := res["deployment"].(map[string]any)
	for name, v := range map[string]any{"desired": res["desired"], "queue.messages": q["messages"], "deployment.replicas": d["replicas"]} {
		if v != nil {
			t.Errorf("%s = %v after a failed poll, want null", name, v)
		}
	}
	if res["error_kind"] != "unavailable" || strings.Contains(res["reason"].(string), "at 0") {
		t.Errorf("error_kind %v, reason %q: want unavailable and no made-up size", res["error_kind"], res["reason"])
	}
}

// TestMissingKubeconfigIsAUsageError checks that a kubeconfig path that does
// not exist is the operator's typo (exit 2) with what to do.
func TestMissingKubeconfigIsAUsageError(t *testing.T) {
	t.Setenv("RABBITMQ_USERNAME", "u")
	t.Setenv("RABBITMQ_PASSWORD", "p")
	code, _, errOut := run(t, "--once", "--kubeconfig", "/nonexistent/kubeconfig")
	if code != ExitUsage || !strings.Contains(errOut, "/nonexistent/kubeconfig") || !strings.Contains(errOut, "--kubeconfig") {
		t.Errorf("exit %d, stderr %q: want exit 2 naming the file and --kubeconfig", code, errOut)
	}
}

// TestMetricsCountEveryError checks that errors_total follows the engine's
// own counts, so a snapshot the exporter never saw loses nothing.
func TestMetricsCountEveryError(t *testing.T) {
	m := newMetrics(nil, true)
	m.observe(engine.Snapshot{Errors: map[string]int{"unavailable": 1}})
	m.observe(engine.Snapshot{Errors: map[string]int{"unavailable": 4, "forbidden": 2}}) // two snapshots skipped
	m.observe(engine.Snapshot{Errors: map[string]int{"unavailable": 4, "forbidden": 2}}) // seen twice
	for kind, want := range map[string]float64{"unavailable": 4, "forbidden": 2} {
		if got := testutil.ToFloat64(m.errors.WithLabelValues(kind)); got != want {
			t.Errorf("errors_total{kind=%q} = %v, want %v", kind, got, want)
		}
	}
}
