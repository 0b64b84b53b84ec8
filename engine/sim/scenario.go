// Package sim is yeetscale's simulated world: a RabbitMQ queue and a worker
// Deployment in discrete, deterministic time, as specified in
// scenarios/README.md (which also documents the scenario file format and
// the built-in scenarios). The World implements engine.QueueSource and
// engine.Scaler, so the real Controller and policies drive it: in virtual
// time for `yeetscale sim` and the tests, and in real or accelerated time
// (Live) for `yeetscale demo`.
package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/yeeter/yeetscale/engine"
)

// Scenario is one load pattern: the world's physics and its arrivals, plus
// the policy settings it was written for.
type Scenario struct {
	Name              string    `json:"name"`
	Description       string    `json:"description,omitempty"`
	DurationS         int       `json:"duration_s"`
	ServiceTimeS      float64   `json:"service_time_s"`
	ServiceJitter     string    `json:"service_jitter,omitempty"`
	WorkerConcurrency int       `json:"worker_concurrency,omitempty"`
	PodStartupS       int       `json:"pod_startup_s"`
	StatsIntervalS    int       `json:"stats_interval_s,omitempty"`
	InitialReplicas   *int      `json:"initial_replicas,omitempty"`
	Seed              *uint64   `json:"seed,omitempty"`
	Arrivals          []Arrival `json:"arrivals"`
	Policy            Settings  `json:"policy"`
}

// Arrival is either a one-off burst (AtS and Count) or a rate segment
// (FromS, ToS and RatePerS, optionally Poisson).
type Arrival struct {
	AtS      *int    `json:"at_s,omitempty"`
	Count    int     `json:"count,omitempty"`
	FromS    *int    `json:"from_s,omitempty"`
	ToS      *int    `json:"to_s,omitempty"`
	RatePerS float64 `json:"rate_per_s,omitempty"`
	Poisson  bool    `json:"poisson,omitempty"`
}

// IsBurst reports whether a is a one-off burst.
func (a Arrival) IsBurst() bool { return a.AtS != nil }

// Settings are the scenario's policy settings: each key is the key of one
// setting of engine.Settings (the flag's name with underscores, durations
// in seconds with "_s"). Absent keys keep the flag defaults; unknown keys
// and values a setting does not allow are refused.
type Settings map[string]json.RawMessage

// Apply returns cfg with the scenario's settings laid over it, or a
// *engine.ConfigError naming the key whose value is refused.
func (s Settings) Apply(cfg engine.Config) (engine.Config, error) {
	return engine.ApplySettings(cfg, s)
}

// Load reads and validates a scenario file: a regular file of at most
// MaxScenarioBytes.
func Load(path string) (Scenario, error) {
	data, err := readScenarioFile(path)
	if err != nil {
		return Scenario{}, err
	}
	sc, err := Parse(data)
	if err != nil {
		return Scenario{}, fmt.Errorf("%s: %w", engine.Printable(path), err)
	}
	return sc, nil
}

// Parse decodes and validates a scenario; unknown fields are errors, and
// every error names the field.
func Parse(data []byte) (Scenario, error) {
	var sc Scenario
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return sc, fmt.Errorf("field %q: expected %s, got JSON %s", te.Field, te.Type, te.Value)
		}
		return sc, fmt.Errorf("not a valid scenario: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return sc, errors.New("not a valid scenario: trailing data after the JSON object")
	}
	sc.defaults()
	return sc, sc.Validate()
}

func (sc *Scenario) defaults() {
	if sc.ServiceJitter == "" {
		sc.ServiceJitter = "fixed"
	}
	if sc.WorkerConcurrency == 0 {
		sc.WorkerConcurrency = 1
	}
	if sc.StatsIntervalS == 0 {
		sc.StatsIntervalS = 5
	}
}

// Limits that keep a scenario within what simulates in reasonable time.
const (
	maxDuration    = 7 * 24 * 3600
	maxConcurrency = 1000
	maxMessages    = 50_000_000
	maxName        = 100
	maxDescription = 200
)

// Validate checks the scenario, naming the offending field.
func (sc Scenario) Validate() error {
	bad := func(field string, v any, allowed string) error {
		return fmt.Errorf("field %q = %v: %s", field, v, allowed)
	}
	text := func(s string, limit int) bool { return len(s) <= limit && engine.Printable(s) == s }
	switch {
	case !text(sc.Name, maxName):
		return bad("name", excerpt(sc.Name), fmt.Sprintf("must be at most %d bytes, without control characters", maxName))
	case !text(sc.Description, maxDescription):
		return bad("description", excerpt(sc.Description), fmt.Sprintf("must be one line of at most %d bytes, without control characters", maxDescription))
	case sc.DurationS < 1 || sc.DurationS > maxDuration:
		return bad("duration_s", sc.DurationS, fmt.Sprintf("must be from 1 to %d", maxDuration))
	case !(sc.ServiceTimeS > 0) || sc.ServiceTimeS > 3600:
		return bad("service_time_s", sc.ServiceTimeS, "must be more than 0 and at most 3600")
	case sc.ServiceJitter != "fixed" && sc.ServiceJitter != "exponential":
		return bad("service_jitter", sc.ServiceJitter, `must be "fixed" or "exponential"`)
	case sc.WorkerConcurrency < 1 || sc.WorkerConcurrency > maxConcurrency:
		return bad("worker_concurrency", sc.WorkerConcurrency, fmt.Sprintf("must be from 1 to %d", maxConcurrency))
	case sc.PodStartupS < 0 || sc.PodStartupS > 3600:
		return bad("pod_startup_s", sc.PodStartupS, "must be from 0 to 3600")
	case sc.StatsIntervalS < 1 || sc.StatsIntervalS > 600:
		return bad("stats_interval_s", sc.StatsIntervalS, "must be from 1 to 600")
	case sc.InitialReplicas != nil && (*sc.InitialReplicas < 0 || *sc.InitialReplicas > engine.MaxReplicasLimit):
		return bad("initial_replicas", *sc.InitialReplicas, fmt.Sprintf("must be from 0 to %d", engine.MaxReplicasLimit))
	case len(sc.Arrivals) == 0:
		return bad("arrivals", "[]", "needs at least one burst or rate segment")
	}
	if _, err := sc.Policy.Apply(engine.DefaultConfig()); err != nil {
		var ce *engine.ConfigError
		if errors.As(err, &ce) && ce.Key != "" {
			return bad("policy."+ce.Key, ce.Value, ce.Allowed)
		}
		return fmt.Errorf("field \"policy\": %w", err)
	}
	var total float64
	for i, a := range sc.Arrivals {
		f := func(name string) string { return fmt.Sprintf("arrivals[%d].%s", i, name) }
		switch {
		case a.IsBurst() && (a.FromS != nil || a.ToS != nil || a.RatePerS != 0):
			return bad(f("at_s"), *a.AtS, "a burst has at_s and count only; a rate segment has from_s, to_s and rate_per_s")
		case a.IsBurst() && (*a.AtS < 0 || *a.AtS >= sc.DurationS):
			return bad(f("at_s"), *a.AtS, fmt.Sprintf("must be within [0, duration_s %d)", sc.DurationS))
		case a.IsBurst() && a.Count < 1:
			return bad(f("count"), a.Count, "a burst needs a count of at least 1")
		case a.IsBurst():
			total += float64(a.Count)
		case a.FromS == nil || a.ToS == nil:
			return bad(f("from_s"), "missing", "each arrival is a burst (at_s, count) or a segment (from_s, to_s, rate_per_s)")
		case a.Count != 0:
			return bad(f("count"), a.Count, "a rate segment has no count")
		case *a.FromS < 0 || *a.ToS <= *a.FromS || *a.ToS > sc.DurationS:
			return bad(f("to_s"), *a.ToS, fmt.Sprintf("needs 0 <= from_s (%d) < to_s <= duration_s (%d)", *a.FromS, sc.DurationS))
		case !(a.RatePerS > 0) || math.IsInf(a.RatePerS, 0) || a.RatePerS > 100_000:
			return bad(f("rate_per_s"), a.RatePerS, "must be more than 0 and at most 100000")
		default:
			total += a.RatePerS * float64(*a.ToS-*a.FromS)
		}
	}
	if total > maxMessages {
		return bad("arrivals", fmt.Sprintf("%.0f messages", total), fmt.Sprintf("at most %d messages fit one simulation", maxMessages))
	}
	return nil
}

// excerpt quotes the start of a string from a scenario file for an error.
func excerpt(s string) string {
	const n = 40
	if len(s) > n {
		return engine.Printable(s[:n]) + "..."
	}
	return engine.Printable(s)
}

// Config returns the engine configuration for the scenario: defaults, then
// the scenario's settings, with the simulator's own defaults for the names.
func (sc Scenario) Config() engine.Config {
	cfg, _ := sc.Policy.Apply(engine.DefaultConfig()) // Validate refuses what fails
	return cfg
}

// initialReplicas returns initial_replicas, defaulting to the policy's min.
func (sc Scenario) initialReplicas(cfg engine.Config) int {
	if sc.InitialReplicas != nil {
		return *sc.InitialReplicas
	}
	return int(cfg.MinReplicas)
}
