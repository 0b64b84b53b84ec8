package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/yeeter/yeetscale/engine/sim"
)

// run runs the command line in-process and returns its exit code, stdout and
// stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(append([]string{"yeetscale"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestSimJSONReproducesReference runs the command of the foundation issue and
// checks the exact metric names and the reference figures of burst-10k.
func TestSimJSONReproducesReference(t *testing.T) {
	code, out, errOut := run(t, "sim", "--policy", "seed,hpa-keda", "--json", "burst-10k")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one JSON object per policy, got %d lines:\n%s", len(lines), out)
	}
	wantKeys := []string{"burst_drain_s", "drain_s", "max_replicas_seen", "pod_seconds", "policy", "reversals", "scale_events",
		"scenario", "unprocessed", "wait_max_s", "wait_p50_s", "wait_p95_s"}
	want := map[string]map[string]float64{
		"seed":     {"drain_s": 1405.5, "burst_drain_s": 1405.5, "wait_p95_s": 1038.0, "pod_seconds": 20149.0, "scale_events": 35, "reversals": 1, "unprocessed": 0},
		"hpa-keda": {"drain_s": 438.0, "burst_drain_s": 438.0, "wait_p95_s": 414.0, "pod_seconds": 26104.0, "scale_events": 27, "reversals": 1, "unprocessed": 0},
	}
	for _, line := range lines {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("not JSON: %v: %s", err, line)
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !reflect.DeepEqual(keys, wantKeys) {
			t.Errorf("keys = %v, want %v", keys, wantKeys)
		}
		if obj["scenario"] != "burst-10k" {
			t.Errorf("scenario = %v", obj["scenario"])
		}
		pol, _ := obj["policy"].(string)
		figures, ok := want[pol]
		if !ok {
			t.Fatalf("unexpected policy %q", pol)
		}
		for k, v := range figures {
			if got, _ := obj[k].(float64); got != v {
				t.Errorf("%s: %s = %v, want %v", pol, k, obj[k], v)
			}
		}
	}
}

// TestSimCompare checks that --compare shows the default policy beside seed,
// hpa-keda and the lower bounds, marks the goal and prints the means.
func TestSimCompare(t *testing.T) {
	code, out, errOut := run(t, "sim", "--compare", "burst-10k", "ramp")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"adaptive", "seed", "hpa-keda", "lower bound", "goal met", "geometric mean over 2 scenarios"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "lower bound"); n != 2 {
		t.Errorf("%d lower-bound rows, want one per scenario", n)
	}
}

// TestSimList checks sim --list: a header, then one line per built-in
// scenario with its name, duration and description.
func TestSimList(t *testing.T) {
	code, out, errOut := run(t, "sim", "--list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	scs := sim.Builtins()
	if len(lines) != 1+len(scs) || !strings.HasPrefix(lines[0], "SCENARIO") {
		t.Fatalf("want a header and %d lines, got:\n%s", len(scs), out)
	}
	wantDur := map[string]string{"burst-10k": "1h", "ramp": "50m", "spike-train": "1h10m", "steady-noisy": "1h10m", "trickle-after-burst": "1h"}
	for i, sc := range scs {
		f := strings.Fields(lines[i+1])
		if len(f) < 3 || f[0] != sc.Name || f[1] != wantDur[sc.Name] || !strings.HasSuffix(lines[i+1], "  "+sc.Description) {
			t.Errorf("line %q, want %s, %s and %q", lines[i+1], sc.Name, wantDur[sc.Name], sc.Description)
		}
	}
}

// TestSimBuiltinsFromAnyDirectory runs the built-in scenarios by name from
// a directory with nothing in it but a file named like a built-in: "all"
// runs every built-in, a bare name is the built-in, ./name the file.
func TestSimBuiltinsFromAnyDirectory(t *testing.T) {
	t.Chdir(t.TempDir())
	own := `{"name": "mine", "duration_s": 60, "service_time_s": 1, "arrivals": [{"at_s": 0, "count": 5}]}`
	if err := os.WriteFile("burst-10k", []byte(own), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want []string // scenarios run, in order
	}{
		{[]string{"all"}, sim.BuiltinNames()},
		{[]string{"spike-train", "burst-10k"}, []string{"spike-train", "burst-10k"}},
		{[]string{"./burst-10k"}, []string{"mine"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"sim", "--policy", "seed", "--json"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var got []string
			dec := json.NewDecoder(strings.NewReader(out))
			for dec.More() {
				var r struct{ Scenario string }
				if err := dec.Decode(&r); err != nil {
					t.Fatal(err)
				}
				got = append(got, r.Scenario)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ran %v, want %v", got, tt.want)
			}
		})
	}
	code, out, errOut := run(t, "sim", "--compare", "all")
	if code != 0 {
		t.Fatalf("sim --compare all: exit %d: %s", code, errOut)
	}
	if want := fmt.Sprintf("geometric mean over %d scenarios", len(sim.BuiltinNames())); !strings.Contains(out, want) {
		t.Errorf("sim --compare all: output lacks %q:\n%s", want, out)
	}
}

// TestSimFlagsOverrideScenario checks that a flag given on the command line
// overrides the scenario's policy object, and only that one.
func TestSimFlagsOverrideScenario(t *testing.T) {
	code, out, errOut := run(t, "sim", "--policy", "seed", "--json", "--max-replicas", "20", "burst-10k")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		MaxReplicasSeen int `json:"max_replicas_seen"`
		DrainS          float64
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.MaxReplicasSeen != 20 {
		t.Errorf("max_replicas_seen = %d, want 20 (--max-replicas over the scenario's 40)", r.MaxReplicasSeen)
	}
}

// TestSimTimeline checks the per-second CSV series.
func TestSimTimeline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	code, _, errOut := run(t, "sim", "--policy", "seed,hpa-keda", "--timeline", path, "burst-10k")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"scenario", "policy", "t", "arrivals", "ready", "unacked", "replicas", "starting", "running", "observed_messages"}
	if !reflect.DeepEqual(rows[0], wantHeader) {
		t.Errorf("header = %v, want %v", rows[0], wantHeader)
	}
	if len(rows) != 1+2*3600 {
		t.Errorf("%d rows, want a header and 3600 seconds for each of 2 policies", len(rows))
	}
	if rows[1][0] != "burst-10k" || rows[1][1] != "seed" || rows[1][2] != "0" || rows[1][3] != "10000" {
		t.Errorf("first row = %v, want burst-10k,seed,0,10000,...", rows[1])
	}
}

// TestSimDecisions checks the log of scaling changes: hpa-keda's first
// steps on burst-10k (+4 or x2 per 15 s, from the reference model), one line
// per change, with the reason; and the file form.
func TestSimDecisions(t *testing.T) {
	code, out, errOut := run(t, "sim", "--policy", "hpa-keda", "--decisions", "-", "burst-10k")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	wantFirst := []string{"burst-10k hpa-keda t=7s 2 -> 6: ", "burst-10k hpa-keda t=22s 6 -> 12: ", "burst-10k hpa-keda t=37s 12 -> 24: "}
	for i, want := range wantFirst {
		if i >= len(lines) || !strings.HasPrefix(lines[i], want) {
			t.Fatalf("decision %d = %q, want it to start with %q\n%s", i, lines[i], want, out)
		}
	}
	if !strings.Contains(lines[0], "messages / 250 per replica") {
		t.Errorf("first decision %q does not give the reason", lines[0])
	}
	changes := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "burst-10k hpa-keda t=") {
			changes++
		}
	}
	if changes != 27 { // the reference's scale_events for hpa-keda
		t.Errorf("%d change lines, want 27 (scale_events)", changes)
	}

	path := filepath.Join(t.TempDir(), "decisions.txt")
	if code, _, errOut := run(t, "sim", "--decisions", path, "burst-10k"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "burst-10k adaptive t=7s 2 -> 40: ") {
		t.Errorf("decisions file starts %q, want the adaptive scale-up to 40 at t=7s", firstLine(string(b)))
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// TestCommandLineErrors checks that bad input gets one clear line and exit 2.
func TestCommandLineErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"name":"x","duration_s":-5,"service_time_s":1,"pod_startup_s":1,"arrivals":[{"at_s":0,"count":1}],"policy":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	burst := "burst-10k"
	huge := filepath.Join(t.TempDir(), "huge.json")
	if err := os.WriteFile(huge, make([]byte, 10<<20+1), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"sim without a scenario", []string{"sim"}, "at least one scenario: a built-in name (burst-10k, ramp,"},
		{"a missing scenario file", []string{"sim", "nope.json"}, "reading scenario nope.json: no such file"},
		{"an unknown scenario name", []string{"sim", "burst-10"}, `unknown scenario "burst-10": no built-in scenario and no file of that name (built-in: burst-10k,`},
		{"a device as the scenario", []string{"sim", "/dev/zero"}, "scenario /dev/zero is a device, not a regular file"},
		{"a directory as the scenario", []string{"sim", "."}, "scenario . is a directory, not a regular file"},
		{"a scenario over 10 MiB", []string{"sim", huge}, "bytes, over the limit of 10485760 (10 MiB)"},
		{"list with a scenario", []string{"sim", "--list", "burst-10k"}, `--list takes no scenario (got "burst-10k")`},
		{"a scenario field out of range", []string{"sim", bad}, `"duration_s"`},
		{"an unknown policy", []string{"sim", "--policy", "magic", burst}, `unknown policy "magic"`},
		{"min above max", []string{"sim", "--min-replicas", "50", "--max-replicas", "5", burst}, "--min-replicas 50"},
		{"a decisions file that cannot be written", []string{"sim", "--decisions", "/nonexistent/dir/d.txt", burst}, "--decisions"},
		{"an unknown flag", []string{"--frobnicate"}, "unknown flag: --frobnicate"},
		{"once and auto", []string{"--once", "--auto"}, "--once and --auto exclude each other"},
		{"a bad output format", []string{"--once", "--output", "yaml"}, `invalid --output "yaml"`},
		{"a bad poll interval", []string{"--once", "--poll-interval", "10ms"}, "--poll-interval"},
		{"metrics without auto", []string{"--once", "--metrics-addr", ":0"}, "--metrics-addr needs --auto"},
		{"no terminal and no mode", nil, "no terminal for the console"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := run(t, tt.args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d (usage); stderr: %s", code, ExitUsage, errOut)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q lacks %q", errOut, tt.want)
			}
			if n := strings.Count(strings.TrimSpace(errOut), "\n"); n != 0 {
				t.Errorf("the error takes %d lines, want one:\n%s", n+1, errOut)
			}
		})
	}
}

// TestVersionAndManifests checks the two small commands.
func TestVersionAndManifests(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "yeetscale ") || !strings.Contains(out, "commit") {
		t.Errorf("version: exit %d, %q", code, out)
	}
	code, out, errOut := run(t, "manifests", "-n", "shop", "--deployment", "order-worker", "--image", "example.com/yeetscale:v1")
	if code != 0 {
		t.Fatalf("manifests: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"kind: ServiceAccount", "kind: Role", "kind: RoleBinding", "kind: Deployment", "namespace: shop", "order-worker", "--auto", "--leader-elect"} {
		if !strings.Contains(out, want) {
			t.Errorf("manifests lack %q", want)
		}
	}
	if code, _, _ := run(t, "manifests", "-n", "Not_A_Namespace"); code != ExitUsage {
		t.Errorf("an invalid namespace: exit %d, want %d", code, ExitUsage)
	}
}

// TestManifestsLeaseNameEverywhere checks that a custom lease name reaches
// both the Role's rule and yeetscale's arguments, so RBAC and election agree.
func TestManifestsLeaseNameEverywhere(t *testing.T) {
	code, out, errOut := run(t, "manifests", "--image", "example.com/yeetscale:v1", "--lease-name", "my-lease")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{`resourceNames: ["my-lease"]`, `"--leader-elect-lease-name=my-lease"`} {
		if !strings.Contains(out, want) {
			t.Errorf("manifests lack %s", want)
		}
	}
}

// TestManifestsKEDARule checks that the Role lets yeetscale list KEDA
// ScaledObjects by default (the guard looks for them wherever KEDA is
// installed) and that --keda=false drops the rule.
func TestManifestsKEDARule(t *testing.T) {
	_, def, _ := run(t, "manifests", "--image", "example.com/yeetscale:v1")
	_, off, _ := run(t, "manifests", "--image", "example.com/yeetscale:v1", "--keda=false")
	if !strings.Contains(def, `apiGroups: ["keda.sh"]`) {
		t.Errorf("the default Role lacks the keda.sh rule")
	}
	if strings.Contains(off, `"keda.sh"`) {
		t.Errorf("--keda=false kept the keda.sh rule")
	}
}
