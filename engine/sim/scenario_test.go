package sim

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
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
			"max_step_down": 2, "count": "ready", "drain_within_s": 600}}`))
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

func TestSharedScenariosLoad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(scenarioDir, "*.json"))
	if err != nil || len(files) < 5 {
		t.Fatalf("shared scenarios: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		sc, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if want := strings.TrimSuffix(filepath.Base(f), ".json"); sc.Name != want {
			t.Errorf("%s: name %q, want %q", f, sc.Name, want)
		}
		if err := sc.Config().Validate(); err != nil {
			t.Errorf("%s: config: %v", f, err)
		}
	}
	if _, err := Load(filepath.Join(scenarioDir, "no-such.json")); err == nil || !strings.Contains(err.Error(), "reading scenario") {
		t.Errorf("Load of a missing file = %v", err)
	}
}
