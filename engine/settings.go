package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Setting is one scaling setting, declared once, in the table Settings
// returns: its command-line flag, its key in a "policy" object (a
// scenario's, an annotation's), what values it allows and its help. Its
// default is the field's value in DefaultConfig. The table drives
// Config.Validate's messages, the flags and the scenario files.
type Setting struct {
	// Name is the flag without dashes ("min-replicas"). A setting with no
	// flag (Flag false) is reported by its Config field instead.
	Name string
	// Key is the JSON key in a policy object: the name with underscores,
	// with "_s" for a duration given in seconds ("" when it has none).
	Key string
	// Field is the Config field that holds it.
	Field string
	// Flag is false for settings only a program sets, through Config.
	Flag bool
	// Help is the flag's help text.
	Help string
	// ptr returns c's field: *int32, *int64, *float64, *time.Duration,
	// *string or *Count.
	ptr func(c *Config) any
	// check returns what is allowed when c's value is not ("" when it is).
	check func(c Config) string
}

// Limits of settings beyond those of config.go.
const (
	// MinDrainWithin is the shortest --drain-within: pods take tens of
	// seconds to start and the controller acts once a poll, so a shorter
	// deadline cannot be met and would only send every backlog to
	// --max-replicas.
	MinDrainWithin = time.Minute
	MaxHistorySize = 1_000_000
	// MaxScaleInWaitIdle is the longest --scale-in-wait-idle: a scale-down
	// held longer than an hour costs more than the work it spares.
	MaxScaleInWaitIdle = time.Hour
	maxSettingsValue   = 64 // characters of a refused value shown
)

// Settings returns the table of settings, in the order Validate checks them.
func Settings() []Setting { return slices.Clone(settingsTable()) }

var settingsTable = sync.OnceValue(func() []Setting {
	orNone := func(v int32) string {
		if v < 0 {
			return "must be 0 (no cap) or more"
		}
		return ""
	}
	return []Setting{
		{Name: "policy", Key: "policy", Field: "Policy", Flag: true,
			Help: "scaling policy: " + strings.Join(PolicyNames(), ", "),
			ptr:  func(c *Config) any { return &c.Policy },
			check: func(c Config) string {
				if _, err := PolicyByName(c.Policy); err != nil {
					return fmt.Sprintf("must be one of %v", PolicyNames())
				}
				return ""
			}},
		{Name: "min-replicas", Key: "min_replicas", Field: "MinReplicas", Flag: true,
			Help: "never scale below this many replicas",
			ptr:  func(c *Config) any { return &c.MinReplicas },
			check: func(c Config) string {
				switch {
				case c.MinReplicas < 0:
					return "must be 0 or more"
				case c.MinReplicas > c.MaxReplicas && c.MaxReplicas >= 1 && c.MaxReplicas <= MaxReplicasLimit:
					return fmt.Sprintf("must not exceed --max-replicas %d", c.MaxReplicas)
				}
				return ""
			}},
		{Name: "max-replicas", Key: "max_replicas", Field: "MaxReplicas", Flag: true,
			Help:  "never scale above this many replicas",
			ptr:   func(c *Config) any { return &c.MaxReplicas },
			check: func(c Config) string { return between(int64(c.MaxReplicas), 1, MaxReplicasLimit, "must be at least 1") }},
		{Name: "target-messages", Key: "target_messages", Field: "TargetMessages", Flag: true,
			Help: "queued messages per worker replica to aim for",
			ptr:  func(c *Config) any { return &c.TargetMessages },
			check: func(c Config) string {
				return between(c.TargetMessages, 1, MaxTargetMessages, "must be at least 1 message per replica")
			}},
		{Name: "poll-interval", Key: "poll_interval_s", Field: "PollInterval", Flag: true,
			Help: "how often to read the queue (at least 1s)",
			ptr:  func(c *Config) any { return &c.PollInterval },
			check: func(c Config) string {
				switch {
				case c.PollInterval < MinPollInterval:
					return "must be at least 1s"
				case c.PollInterval > MaxPollInterval:
					return "must be at most 1h"
				}
				return ""
			}},
		{Name: "tolerance", Key: "tolerance", Field: "Tolerance", Flag: true,
			Help: "no change while depth is within this fraction of the target (0.1 = 10%)",
			ptr:  func(c *Config) any { return &c.Tolerance },
			check: func(c Config) string {
				if !(c.Tolerance >= 0 && c.Tolerance < 1) {
					return "must be from 0 up to (not including) 1, e.g. 0.1 for 10%"
				}
				return ""
			}},
		{Name: "scale-down-window", Key: "scale_down_window_s", Field: "ScaleDownWindow", Flag: true,
			Help: "scale-down stabilization: the highest recommendation within this window wins",
			ptr:  func(c *Config) any { return &c.ScaleDownWindow },
			check: func(c Config) string {
				if c.ScaleDownWindow < 0 || c.ScaleDownWindow > MaxWindow {
					return "must be from 0s to 24h"
				}
				return ""
			}},
		{Name: "max-step-up", Key: "max_step_up", Field: "MaxStepUp", Flag: true,
			Help:  "most replicas one decision may add (0: no cap)",
			ptr:   func(c *Config) any { return &c.MaxStepUp },
			check: func(c Config) string { return orNone(c.MaxStepUp) }},
		{Name: "max-step-down", Key: "max_step_down", Field: "MaxStepDown", Flag: true,
			Help:  "most replicas one decision may remove (0: no cap)",
			ptr:   func(c *Config) any { return &c.MaxStepDown },
			check: func(c Config) string { return orNone(c.MaxStepDown) }},
		{Name: "count", Key: "count", Field: "Count", Flag: true,
			Help: `which messages count: "total" (ready + unacked) or "ready"`,
			ptr:  func(c *Config) any { return &c.Count },
			check: func(c Config) string {
				if c.Count != CountTotal && c.Count != CountReady {
					return `must be "total" (ready + unacked) or "ready"`
				}
				return ""
			}},
		{Name: "drain-within", Key: "drain_within_s", Field: "DrainWithin", Flag: true,
			Help: "size to clear the backlog within this time while keeping up with arrivals (0: off; else at least 1m and --poll-interval)",
			ptr:  func(c *Config) any { return &c.DrainWithin },
			check: func(c Config) string {
				lo := max(MinDrainWithin, c.PollInterval)
				if c.DrainWithin != 0 && (c.DrainWithin < lo || c.DrainWithin > MaxWindow) {
					return fmt.Sprintf("must be 0s (off) or from %s to 24h: no backlog drains faster than pods start and the controller looks (at least 1m, and at least --poll-interval)", lo)
				}
				return ""
			}},
		{Name: "activation-messages", Key: "activation_messages", Field: "ActivationMessages", Flag: true,
			Help: "with --min-replicas 0: wake from zero when more than this many messages wait",
			ptr:  func(c *Config) any { return &c.ActivationMessages },
			check: func(c Config) string {
				return between(c.ActivationMessages, 0, MaxTargetMessages, "must be 0 (any message wakes) or more")
			}},
		{Name: "idle-before-zero", Key: "idle_before_zero_s", Field: "IdleBeforeZero", Flag: true,
			Help: "with --min-replicas 0: go from one replica to zero only after the queue was empty this long",
			ptr:  func(c *Config) any { return &c.IdleBeforeZero },
			check: func(c Config) string {
				if c.IdleBeforeZero < time.Second || c.IdleBeforeZero > MaxWindow {
					return "must be from 1s to 24h (KEDA's cooldownPeriod is 5m)"
				}
				return ""
			}},
		{Name: "scale-in-wait-idle", Key: "scale_in_wait_idle_s", Field: "ScaleInWaitIdle", Flag: true,
			Help: "hold a scale-down of N replicas until N worker pods are idle (no unacked messages), for at most this long, then scale anyway (0: off)",
			ptr:  func(c *Config) any { return &c.ScaleInWaitIdle },
			check: func(c Config) string {
				if c.ScaleInWaitIdle < 0 || c.ScaleInWaitIdle > MaxScaleInWaitIdle {
					return "must be 0s (off) or up to 1h"
				}
				return ""
			}},
		{Name: "backoff-limit", Field: "BackoffLimit",
			ptr: func(c *Config) any { return &c.BackoffLimit },
			check: func(c Config) string {
				if c.BackoffLimit < 0 {
					return "must not be negative"
				}
				return ""
			}},
		{Name: "history-size", Field: "HistorySize",
			ptr: func(c *Config) any { return &c.HistorySize },
			check: func(c Config) string {
				return between(int64(c.HistorySize), 0, MaxHistorySize, "must be from 0 (default) to 1000000")
			}},
	}
})

// between returns "" when lo <= v <= hi, else below (for v < lo) or the
// upper bound.
func between(v, lo, hi int64, below string) string {
	switch {
	case v < lo:
		return below
	case v > hi:
		return fmt.Sprintf("must be at most %d", hi)
	}
	return ""
}

// Ptr returns the field of c that s sets: *int32, *int64, *float64,
// *time.Duration, *string or *Count (for binding it to a flag).
func (s Setting) Ptr(c *Config) any { return s.ptr(c) }

// Copy sets s in dst to its value in src.
func (s Setting) Copy(dst, src *Config) {
	switch p := s.ptr(dst).(type) {
	case *int32:
		*p = *s.ptr(src).(*int32)
	case *int64:
		*p = *s.ptr(src).(*int64)
	case *int:
		*p = *s.ptr(src).(*int)
	case *float64:
		*p = *s.ptr(src).(*float64)
	case *time.Duration:
		*p = *s.ptr(src).(*time.Duration)
	case *string:
		*p = *s.ptr(src).(*string)
	case *Count:
		*p = *s.ptr(src).(*Count)
	}
}

// Text returns c's value of s as its flag or annotation takes it ("40",
// "0.1", "5m0s", "ready").
func (s Setting) Text(c Config) string {
	switch p := s.ptr(&c).(type) {
	case *string:
		return *p
	case *Count:
		return string(*p)
	}
	return s.show(c)
}

// show returns c's value of s as an error message gives it.
func (s Setting) show(c Config) string {
	switch p := s.ptr(&c).(type) {
	case *string:
		return fmt.Sprintf("%q", *p)
	case *Count:
		return fmt.Sprintf("%q", string(*p))
	case *time.Duration:
		return p.String()
	case *float64:
		return fmt.Sprint(*p)
	case *int32:
		return fmt.Sprint(*p)
	case *int64:
		return fmt.Sprint(*p)
	case *int:
		return fmt.Sprint(*p)
	}
	return "?"
}

// error returns the ConfigError of c's value of s, or nil.
func (s Setting) error(c Config) error {
	allowed := s.check(c)
	if allowed == "" {
		return nil
	}
	e := &ConfigError{Flag: s.Name, Value: s.show(c), Allowed: allowed}
	if !s.Flag {
		e.Field = s.Field
	}
	return e
}

// ApplySettings returns cfg with the settings of a policy object (a
// scenario's "policy", an annotation) laid over it, each given by its Key:
// numbers, strings, and durations as seconds. Unknown keys, values of the
// wrong type and values the setting does not allow are refused, with a
// *ConfigError that names the key and shows the value as given.
func ApplySettings(cfg Config, values map[string]json.RawMessage) (Config, error) {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s, ok := settingByKey(k)
		if !ok {
			return cfg, &ConfigError{Key: k, Value: shown(values[k]), Allowed: "is not a setting (known: " + strings.Join(settingKeys(), ", ") + ")"}
		}
		if allowed := s.setJSON(&cfg, values[k]); allowed != "" {
			return cfg, &ConfigError{Flag: s.Name, Key: k, Value: shown(values[k]), Allowed: allowed}
		}
	}
	for _, s := range settingsTable() {
		if raw, given := values[s.Key]; given && s.Key != "" {
			if allowed := s.check(cfg); allowed != "" {
				return cfg, &ConfigError{Flag: s.Name, Key: s.Key, Value: shown(raw), Allowed: allowed}
			}
		}
	}
	return cfg, nil
}

func settingByKey(key string) (Setting, bool) {
	for _, s := range settingsTable() {
		if s.Key != "" && s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}

func settingKeys() []string {
	var keys []string
	for _, s := range settingsTable() {
		if s.Key != "" {
			keys = append(keys, s.Key)
		}
	}
	return keys
}

// shown is a value as given, for a message: compact, printable, short.
func shown(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		b.Reset()
		b.Write(raw)
	}
	s := Printable(b.String())
	if len(s) > maxSettingsValue {
		s = s[:maxSettingsValue] + "..."
	}
	return s
}

// setJSON sets s in c from a JSON value, returning what is allowed when the
// value has the wrong type ("" when it was set). Numbers out of the
// field's range saturate, so that the setting's check reports them with
// its own bounds.
func (s Setting) setJSON(c *Config, raw json.RawMessage) string {
	var f float64
	num := func() bool { return json.Unmarshal(raw, &f) == nil }
	whole := func(lo, hi float64) (float64, bool) {
		if !num() || f != math.Trunc(f) {
			return 0, false
		}
		return math.Min(math.Max(f, lo), hi), true
	}
	switch p := s.ptr(c).(type) {
	case *int32:
		v, ok := whole(math.MinInt32, math.MaxInt32)
		if !ok {
			return "must be a whole number"
		}
		*p = int32(v)
	case *int64:
		v, ok := whole(-(1 << 53), 1<<53)
		if !ok {
			return "must be a whole number"
		}
		*p = int64(v)
	case *float64:
		if !num() {
			return "must be a number"
		}
		*p = f
	case *time.Duration:
		if !num() {
			return "must be a number of seconds"
		}
		*p = secondsToDuration(f)
	case *string:
		if json.Unmarshal(raw, p) != nil {
			return "must be a string"
		}
	case *Count:
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return "must be a string"
		}
		*p = Count(v)
	default:
		return "cannot be set in a policy object"
	}
	return ""
}

// secondsToDuration converts seconds to a Duration, saturating instead of
// overflowing (1e300 seconds is the longest Duration, not a negative one).
func secondsToDuration(sec float64) time.Duration {
	ns := sec * float64(time.Second)
	switch {
	case ns >= math.MaxInt64:
		return math.MaxInt64
	case ns <= math.MinInt64:
		return math.MinInt64
	}
	return time.Duration(ns)
}
