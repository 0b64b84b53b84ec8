package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// TestFleetFlags checks which flags turn fleet mode on and which
// combinations are refused before anything is reached.
func TestFleetFlags(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		fleet bool
		err   string // "" when valid
	}{
		{"no flag: one target", nil, false, ""},
		{"--fleet", []string{"--fleet"}, true, ""},
		{"-A implies it", []string{"-A"}, true, ""},
		{"--all-namespaces implies it", []string{"--all-namespaces"}, true, ""},
		{"-l implies it", []string{"-l", "team=a"}, true, ""},
		{"an empty -l too", []string{"--selector="}, true, ""},
		{"-n stays single", []string{"-n", "shop"}, false, ""},
		{"--queue in fleet mode", []string{"--fleet", "--queue", "q"}, true, "--queue names the one target"},
		{"--deployment in fleet mode", []string{"-A", "--deployment", "d"}, true, "--deployment names the one target"},
		{"-A with -n", []string{"-A", "-n", "shop"}, true, "exclude each other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &app{streams: streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}, name: "yeetscale", cfg: engine.DefaultConfig()}
			root := a.rootCommand()
			if err := root.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			var f fleetOptions
			f.fleet, _ = root.Flags().GetBool("fleet")
			f.allNamespaces, _ = root.Flags().GetBool("all-namespaces")
			f.selector, _ = root.Flags().GetString("selector")
			if got := f.enabled(root.Flags()); got != tt.fleet {
				t.Errorf("fleet mode %v, want %v", got, tt.fleet)
			}
			err := f.validate(root.Flags())
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("validate: %v, want %q", err, tt.err)
			}
			if err != nil && exitCode(err) != ExitUsage {
				t.Errorf("exit code %d, want %d", exitCode(err), ExitUsage)
			}
		})
	}
}

// TestFleetOnceExitCode checks --once's exit code in fleet mode: 0 when
// every target decided, else the first that applies of 3 (a broker read,
// a missing queue), 4 (the cluster), 5 (refused), 2 (an invalid
// annotation).
func TestFleetOnceExitCode(t *testing.T) {
	broker := brokerErr(errors.New("vhost forbidden"))
	cluster := clusterErr(errors.New("apiserver down"))
	missing := &engine.Error{Kind: engine.ErrNotFound, Msg: `queue "q" not found on vhost "/"`}
	refused := fmt.Errorf("an HPA targets it: %w", engine.ErrRefused)
	annotation := fmt.Errorf("deployment shop/w: %w", &engine.AnnotationError{Annotation: engine.AnnotationPrefix + "max-replicas", Value: `"lots"`, Allowed: "must be a number"})
	tests := []struct {
		name string
		errs []error
		want int
	}{
		{"every target decided", nil, ExitOK},
		{"a missing queue", []error{missing}, ExitBroker},
		{"an invalid annotation", []error{annotation}, ExitUsage},
		{"refused", []error{refused}, ExitRefused},
		{"cluster and annotation", []error{annotation, cluster}, ExitCluster},
		{"broker wins over cluster", []error{cluster, broker, annotation}, ExitBroker},
		{"missing queue over refused", []error{refused, missing}, ExitBroker},
		{"unclassified", []error{errors.New("odd")}, ExitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fleetOnceErr(context.Background(), 5, tt.errs)
			if got := exitCode(err); got != tt.want {
				t.Errorf("exit %d (%v), want %d", got, err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), "of 5 targets failed") {
				t.Errorf("error %q does not count the failures", err)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := exitCode(fleetOnceErr(ctx, 5, []error{broker})); got != ExitInterrupted {
		t.Errorf("interrupted run: exit %d, want %d", got, ExitInterrupted)
	}
}

// TestFleetLeaseMatchesManifests checks that --auto --leader-elect in fleet
// mode and 'manifests --fleet' name the same Lease, which depends on no
// Deployment.
func TestFleetLeaseMatchesManifests(t *testing.T) {
	out, err := kube.Manifests(kube.ManifestOptions{Fleet: true, Image: "registry.example/yeetscale:v1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "--leader-elect-lease-name=" + FleetLeaseName; !bytes.Contains(out, []byte(want)) {
		t.Errorf("manifests --fleet does not pass %s:\n%s", want, out)
	}
	if FleetLeaseName != "yeetscale-fleet" {
		t.Errorf("FleetLeaseName %q, want yeetscale-fleet (documented)", FleetLeaseName)
	}
}

// fakeFleetControllers is a fleet without controllers, for fleetLog.
type fakeFleetControllers struct{}

func (fakeFleetControllers) Controller(string) *engine.Controller { return nil }

// TestFleetLogNamesTargets checks that every line fleetLog writes about a
// target names it, escaped, and that each poll, error and invalid
// annotation is logged once.
func TestFleetLogNamesTargets(t *testing.T) {
	var buf bytes.Buffer
	l := newFleetLog(slog.New(slog.NewJSONHandler(&buf, nil)), fakeFleetControllers{}, nil)
	good := engine.TargetSnapshot{Namespace: "shop", Deployment: "orders\x1b[2J", Status: engine.StatusOK,
		Snapshot: engine.Snapshot{Seq: 3, Polls: 1, Decision: engine.Decision{Desired: 2, Reason: "ok"}}}
	failed := engine.TargetSnapshot{Namespace: "shop", Deployment: "gone", Status: engine.StatusError,
		Err: errors.New("queue missing"), Snapshot: engine.Snapshot{Seq: 2, Polls: 1, ConsecutiveErrors: 1, Err: errors.New("queue missing")}}
	invalid := engine.TargetSnapshot{Namespace: "shop", Deployment: "bad", Status: engine.StatusError, Err: errors.New("bad max-replicas")}
	snap := engine.FleetSnapshot{Targets: []engine.TargetSnapshot{invalid, failed, good}}
	l.observe(snap)
	l.observe(snap) // nothing new
	ls := lines(t, buf.String())
	want := map[string]int{"target": 3, "target invalid": 1, "poll failed": 1, "decision": 1}
	for msg, n := range want {
		if got := count(ls, msg); got != n {
			t.Errorf("%d %q lines, want %d:\n%s", got, msg, n, buf.String())
		}
	}
	for _, line := range ls {
		if line.str("namespace") != "shop" || line.str("deployment") == "" {
			t.Errorf("line without its target: %v", line)
		}
		if strings.ContainsRune(line.str("deployment"), 0x1b) {
			t.Errorf("deployment not escaped: %q", line.str("deployment"))
		}
	}
	buf.Reset()
	l.observe(engine.FleetSnapshot{Targets: []engine.TargetSnapshot{good}})
	if ls := lines(t, buf.String()); count(ls, "target gone") != 2 {
		t.Errorf("two targets went, log:\n%s", buf.String())
	}
}
