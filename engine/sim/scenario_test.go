package sim

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

func TestParseErrorsNameTheField(t *testing.T) {
	// wrap builds a scenario around an arrivals list and extra top-level
	// fields.
	wrap := func(arrivals, extra string) string {
		return `{"name": "t", "duration_s": 100, "service_time_s": 1.5, "pod_startup_s": 20` + extra + `, "arrivals": [` + arrivals + `]}`
	}
	burst := `{"at_s": 0, "count": 10}`
	tests := []struct {
		name string
		json string
		want []string // fragments of the error
	}{
		{"missing duration", `{"service_time_s": 1.5, "arrivals": [` + burst + `]}`, []string{`"duration_s"`, "0"}},
		{"zero duration", wrap(burst, `, "duration_s": 0`), []string{`"duration_s"`}},
		{"duration beyond a week", wrap(burst, `, "duration_s": 604801`), []string{`"duration_s"`, "604801"}},
		{"negative rate", wrap(`{"from_s": 0, "to_s": 10, "rate_per_s": -2}`, ""), []string{`"arrivals[0].rate_per_s"`, "-2", "more than 0"}},
		{"zero rate", wrap(`{"from_s": 0, "to_s": 10, "rate_per_s": 0}`, ""), []string{`"arrivals[0].rate_per_s"`}},
		{"to_s equal from_s", wrap(burst+`, {"from_s": 10, "to_s": 10, "rate_per_s": 1}`, ""), []string{`"arrivals[1].to_s"`, "from_s (10) < to_s"}},
		{"to_s before from_s", wrap(`{"from_s": 10, "to_s": 5, "rate_per_s": 1}`, ""), []string{`"arrivals[0].to_s"`, "5"}},
		{"to_s beyond duration", wrap(`{"from_s": 0, "to_s": 101, "rate_per_s": 1}`, ""), []string{`"arrivals[0].to_s"`, "duration_s (100)"}},
		{"negative from_s", wrap(`{"from_s": -1, "to_s": 5, "rate_per_s": 1}`, ""), []string{`"arrivals[0].to_s"`, "0 <= from_s (-1)"}},
		{"segment without to_s", wrap(`{"from_s": 0, "rate_per_s": 1}`, ""), []string{`"arrivals[0].from_s"`}},
		{"segment with a count", wrap(`{"from_s": 0, "to_s": 5, "rate_per_s": 1, "count": 3}`, ""), []string{`"arrivals[0].count"`}},
		{"burst and segment mixed", wrap(`{"at_s": 0, "count": 1, "to_s": 5}`, ""), []string{`"arrivals[0].at_s"`}},
		{"burst at duration", wrap(burst+`, {"at_s": 100, "count": 1}`, ""), []string{`"arrivals[1].at_s"`, "100", "[0, duration_s 100)"}},
		{"burst before zero", wrap(`{"at_s": -1, "count": 1}`, ""), []string{`"arrivals[0].at_s"`, "-1"}},
		{"burst without count", wrap(`{"at_s": 3}`, ""), []string{`"arrivals[0].count"`}},
		{"empty arrivals", wrap("", ""), []string{`"arrivals"`, "at least one"}},
		{"missing arrivals", `{"duration_s": 100, "service_time_s": 1}`, []string{`"arrivals"`}},
		{"too many messages", wrap(`{"from_s": 0, "to_s": 100, "rate_per_s": 100000}, {"at_s": 0, "count": 50000000}`, ""), []string{`"arrivals"`, "at most 50000000"}},
		{"unknown field", wrap(burst, `, "durations": 5`), []string{`"durations"`, "unknown field"}},
		{"unknown policy field", wrap(burst, `, "policy": {"min_replica": 2}`), []string{`"policy.min_replica"`, "is not a setting"}},
		{"unknown arrival field", wrap(`{"at_s": 0, "count": 1, "rate": 2}`, ""), []string{`"rate"`}},
		{"wrong type", wrap(burst, `, "duration_s": "1h"`), []string{`"duration_s"`, "string"}},
		{"wrong type in arrivals", wrap(`{"at_s": 0, "count": "ten"}`, ""), []string{`count"`, "string"}},
		{"wrong type in policy", wrap(burst, `, "policy": {"min_replicas": 1.5}`), []string{`"policy.min_replicas"`}},
		{"huge poll interval", wrap(burst, `, "policy": {"poll_interval_s": 1e300}`), []string{`"policy.poll_interval_s" = 1e300`, "at most 1h"}},
		{"drain within a nanosecond", wrap(burst, `, "policy": {"drain_within_s": 1e-9}`), []string{`"policy.drain_within_s" = 1e-9`, "0s (off) or from 1m0s"}},
		{"zero service time", wrap(burst, `, "service_time_s": 0`), []string{`"service_time_s"`}},
		{"unknown jitter", wrap(burst, `, "service_jitter": "gaussian"`), []string{`"service_jitter"`, "gaussian", `"exponential"`}},
		{"negative concurrency", wrap(burst, `, "worker_concurrency": -1`), []string{`"worker_concurrency"`}},
		{"negative startup", wrap(burst, `, "pod_startup_s": -5`), []string{`"pod_startup_s"`}},
		{"negative stats interval", wrap(burst, `, "stats_interval_s": -1`), []string{`"stats_interval_s"`}},
		{"negative initial replicas", wrap(burst, `, "initial_replicas": -1`), []string{`"initial_replicas"`}},
		{"trailing data", wrap(burst, "") + ` {}`, []string{"trailing"}},
		{"not JSON", `duration_s: 5`, []string{"not a valid scenario"}},
		{"a control character in the name", wrap(burst, `, "name": "x\u001b[2J"`), []string{`"name"`, `x\x1b[2J`, "without control characters"}},
		{"a long name", wrap(burst, `, "name": "`+strings.Repeat("n", 101)+`"`), []string{`"name"`, "at most 100 bytes"}},
		{"a newline in the description", wrap(burst, `, "description": "one\ntwo"`), []string{`"description"`, `one\ntwo`, "one line"}},
		{"a long description", wrap(burst, `, "description": "`+strings.Repeat("d", 201)+`"`), []string{`"description"`, "at most 200 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.json))
			if err == nil {
				t.Fatalf("Parse(%s) = nil error", tt.json)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	tests := []struct {
		name        string
		json        string
		wantInitial int
		wantPoll    time.Duration
	}{
		{"no policy", `{"duration_s": 60, "service_time_s": 1, "pod_startup_s": 0, "arrivals": [{"at_s": 0, "count": 5}]}`, 1, 15 * time.Second},
		{"initial replicas follow min", `{"duration_s": 60, "service_time_s": 1, "arrivals": [{"at_s": 0, "count": 5}], "policy": {"min_replicas": 3, "poll_interval_s": 5}}`, 3, 5 * time.Second},
		{"explicit initial replicas", `{"duration_s": 60, "service_time_s": 1, "initial_replicas": 0, "arrivals": [{"at_s": 0, "count": 5}], "policy": {"min_replicas": 3}}`, 0, 15 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := Parse([]byte(tt.json))
			if err != nil {
				t.Fatal(err)
			}
			if sc.ServiceJitter != "fixed" || sc.WorkerConcurrency != 1 || sc.StatsIntervalS != 5 {
				t.Errorf("defaults: jitter %q, concurrency %d, stats interval %d; want fixed, 1, 5", sc.ServiceJitter, sc.WorkerConcurrency, sc.StatsIntervalS)
			}
			cfg := sc.Config()
			if err := cfg.Validate(); err != nil {
				t.Fatalf("Config() is invalid: %v", err)
			}
			if got := sc.initialReplicas(cfg); got != tt.wantInitial {
				t.Errorf("initial replicas = %d, want %d", got, tt.wantInitial)
			}
			if s, _ := NewWorld(sc, sc.initialReplicas(cfg)).GetScale(context.Background()); int(s.Ready) != tt.wantInitial {
				t.Errorf("the world starts with %d ready pods, want %d", s.Ready, tt.wantInitial)
			}
			if cfg.PollInterval != tt.wantPoll || cfg.Policy != engine.DefaultPolicyName || cfg.Namespace != "yeeter" {
				t.Errorf("Config() poll %v policy %q namespace %q, want %v, the default policy, the default names", cfg.PollInterval, cfg.Policy, cfg.Namespace, tt.wantPoll)
			}
		})
	}
	// An absent seed is seed 1.
	one := uint64(1)
	sc, _ := Parse([]byte(`{"duration_s": 300, "service_time_s": 1.5, "service_jitter": "exponential", "arrivals": [{"from_s": 0, "to_s": 300, "rate_per_s": 3, "poisson": true}]}`))
	withSeed := sc
	withSeed.Seed = &one
	if a, b := run(t, sc, "seed"), run(t, withSeed, "seed"); !reflect.DeepEqual(a, b) {
		t.Errorf("no seed gives %+v, seed 1 gives %+v; want the same", a, b)
	}
}

func TestSettingsApply(t *testing.T) {
	sc, err := Parse([]byte(`{"duration_s": 60, "service_time_s": 1, "arrivals": [{"at_s": 0, "count": 5}],
		"policy": {"policy": "hpa-keda", "min_replicas": 3, "max_replicas": 33, "target_messages": 333,
			"poll_interval_s": 7, "tolerance": 0.25, "scale_down_window_s": 90.5, "max_step_up": 4,
			"max_step_down": 2, "count": "ready", "drain_within_s": 600,
			"activation_messages": 5, "idle_before_zero_s": 120, "scale_in_wait_idle_s": 60}}`))
	if err != nil {
		t.Fatal(err)
	}
	// Every setting is set above, so that a new one cannot go untested.
	for _, set := range engine.Settings() {
		if _, ok := sc.Policy[set.Key]; set.Key != "" && !ok {
			t.Errorf("setting %q is not covered by this test", set.Key)
		}
	}
	base := engine.DefaultConfig()
	got, err := sc.Policy.Apply(base)
	if err != nil {
		t.Fatal(err)
	}
	want := base
	want.Policy = "hpa-keda"
	want.MinReplicas, want.MaxReplicas, want.TargetMessages = 3, 33, 333
	want.PollInterval = 7 * time.Second
	want.Tolerance = 0.25
	want.ScaleDownWindow = 90*time.Second + 500*time.Millisecond
	want.MaxStepUp, want.MaxStepDown = 4, 2
	want.Count = engine.CountReady
	want.DrainWithin = 10 * time.Minute
	want.ActivationMessages, want.IdleBeforeZero = 5, 2*time.Minute
	want.ScaleInWaitIdle = time.Minute
	if got != want {
		t.Errorf("Apply =\n%+v\nwant\n%+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("applied config is invalid: %v", err)
	}
	if sc.Config() != want {
		t.Errorf("Config() = %+v, want the settings over the defaults", sc.Config())
	}
	if got, err := (Settings{}).Apply(base); got != base || err != nil {
		t.Errorf("empty settings changed the config: %+v", got)
	}
}

// TestBuiltinScenarios checks the embedded scenarios: each loads, is named
// after its file, has a one-line description, and is byte for byte the
// file in scenarios/ (what the binary embeds is what the repository shows).
func TestBuiltinScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(scenarioDir, "*.json"))
	if err != nil || len(files) < 5 {
		t.Fatalf("scenario files: %v (%d files)", err, len(files))
	}
	scs := Builtins()
	if len(scs) != len(files) {
		t.Fatalf("%d built-in scenarios, %d files in %s", len(scs), len(files), scenarioDir)
	}
	for i, f := range files {
		want := strings.TrimSuffix(filepath.Base(f), ".json")
		sc := scs[i]
		if sc.Name != want {
			t.Errorf("built-in %d is %q, want %q (sorted by name, named after the file)", i, sc.Name, want)
		}
		fromFile, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if !reflect.DeepEqual(fromFile, sc) {
			t.Errorf("%s: the embedded scenario differs from the file", f)
		}
		if sc.Description == "" || len(sc.Description) > 80 {
			t.Errorf("%s: description %q: want one line of at most 80 bytes for sim --list", f, sc.Description)
		}
		if err := sc.Config().Validate(); err != nil {
			t.Errorf("%s: config: %v", f, err)
		}
	}
	if got := BuiltinNames(); !reflect.DeepEqual(got, []string{"burst-10k", "ramp", "spike-train", "steady-noisy", "trickle-after-burst"}) {
		t.Errorf("BuiltinNames() = %v", got)
	}
	// Builtins hands out copies: a caller cannot change another's.
	scs[0].Name = "changed"
	if Builtins()[0].Name == "changed" {
		t.Error("Builtins shares its slice with its callers")
	}
}

// TestResolve checks how a command-line argument becomes scenarios: "all",
// a built-in name from any directory, a path, and which wins when a file
// has a built-in's name.
func TestResolve(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	own := `{"name": "mine", "duration_s": 60, "service_time_s": 1, "arrivals": [{"at_s": 0, "count": 5}]}`
	for _, f := range []string{"burst-10k", "burst-10k.json", "mine", "all"} {
		if err := os.WriteFile(f, []byte(own), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		arg     string
		want    []string // scenario names
		wantErr string
	}{
		{"burst-10k", []string{"burst-10k"}, ""},                      // a built-in wins over a file of its name
		{"./burst-10k", []string{"mine"}, ""},                         // an explicit path is a file
		{"burst-10k.json", []string{"mine"}, ""},                      // so is a .json name
		{filepath.Join(dir, "burst-10k"), []string{"mine"}, ""},       // and an absolute path
		{"mine", []string{"mine"}, ""},                                // not built-in, but a file
		{"all", BuiltinNames(), ""},                                   // every built-in
		{"./all", []string{"mine"}, ""},                               // a file called all
		{"burst-10", nil, `unknown scenario "burst-10": no built-in`}, // a typo
		{"nope.json", nil, "reading scenario nope.json: no such file"},
		{"./burst-10k/", nil, "reading scenario ./burst-10k/: not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			scs, err := Resolve(tt.arg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve(%q) = %v, want an error with %q", tt.arg, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, sc := range scs {
				got = append(got, sc.Name)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Resolve(%q) = %v, want %v", tt.arg, got, tt.want)
			}
		})
	}
	_, err := Resolve("burst-10")
	for _, want := range BuiltinNames() {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error for an unknown name does not list %s: %v", want, err)
		}
	}
	if !errors.Is(err, ErrUnknownScenario) {
		t.Errorf("errors.Is(%v, ErrUnknownScenario) = false", err)
	}
}

// TestLoadRefusesWhatIsNotAScenarioFile checks that Load reads only regular
// files of at most 10 MiB: /dev/zero once grew without bound, and a named
// pipe would block.
func TestLoadRefusesWhatIsNotAScenarioFile(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, make([]byte, MaxScenarioBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}
	atLimit := filepath.Join(dir, "limit.json") // JSON padded with spaces to exactly 10 MiB
	body := `{"duration_s": 60, "service_time_s": 1, "arrivals": [{"at_s": 0, "count": 5}]}`
	if err := os.WriteFile(atLimit, []byte(body+strings.Repeat(" ", MaxScenarioBytes-len(body))), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       string // "" for a scenario that loads
	}{
		{"a device", "/dev/zero", "scenario /dev/zero is a device, not a regular file: give a JSON scenario file"},
		{"a directory", dir, "is a directory, not a regular file"},
		{"a named pipe", fifo, "is a named pipe, not a regular file"},
		{"over 10 MiB", big, "is 10485761 bytes, over the limit of 10485760 (10 MiB)"},
		{"exactly 10 MiB", atLimit, ""},
		{"a control character in a missing path", filepath.Join(dir, "x\x1b]0;t\a.json"), `x\x1b]0;t\x07.json: no such file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := Load(tt.path); done <- err }()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("Load(%q) still reading after 10 s", tt.path)
			}
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Load(%q) = %v", tt.path, err)
			case tt.want == "":
			case err == nil || !strings.Contains(err.Error(), tt.want):
				t.Fatalf("Load(%q) = %v, want an error with %q", tt.path, err, tt.want)
			case strings.ContainsAny(err.Error(), "\x1b\a\n"):
				t.Errorf("the error holds control characters: %q", err)
			}
		})
	}
}
