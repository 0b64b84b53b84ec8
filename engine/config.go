package engine

import (
	"fmt"
	"time"
)

// Count says which messages count as the queue's depth.
type Count string

const (
	// CountTotal counts ready + unacknowledged messages (the default).
	CountTotal Count = "total"
	// CountReady counts ready messages only.
	CountReady Count = "ready"
)

// Limits beyond which a setting is taken for a typo rather than a wish.
const (
	MaxReplicasLimit    = 10000
	MaxTargetMessages   = 1_000_000_000
	MinPollInterval     = time.Second
	MaxPollInterval     = time.Hour
	MaxWindow           = 24 * time.Hour
	DefaultHistorySize  = 600
	DefaultBackoffLimit = time.Minute
)

// Config is everything the controller and the policies need to know. Field
// comments give the command-line flag that sets each one.
type Config struct {
	Namespace  string // --namespace / -n
	Deployment string // --deployment
	Queue      string // --queue
	VHost      string // --vhost

	MinReplicas    int32 // --min-replicas
	MaxReplicas    int32 // --max-replicas
	TargetMessages int64 // --target-messages: queued messages per replica
	// PollInterval is how often the controller reads the queue (--poll-interval).
	PollInterval time.Duration
	// Tolerance is the band around the target inside which nothing changes
	// (--tolerance, 0.1 = 10%).
	Tolerance float64
	// ScaleDownWindow is the stabilization window for scaling down: the
	// highest recommendation within it wins (--scale-down-window).
	ScaleDownWindow time.Duration
	// MaxStepUp and MaxStepDown cap how many replicas one decision may add or
	// remove; 0 means no cap (--max-step-up, --max-step-down).
	MaxStepUp   int32
	MaxStepDown int32
	// Count is which messages count (--count total|ready).
	Count Count
	// Policy names the decision rule (--policy).
	Policy string
	// DrainWithin, when set, sizes the deployment to clear the backlog within
	// this time while keeping up with arrivals (--drain-within).
	DrainWithin time.Duration
	// BackoffLimit caps the wait between polls after repeated errors.
	BackoffLimit time.Duration
	// HistorySize bounds the observations kept (a ring buffer).
	HistorySize int
}

// DefaultConfig returns the defaults of the operations guide.
func DefaultConfig() Config {
	return Config{
		Namespace:       "yeeter",
		Deployment:      "yeeter-worker",
		Queue:           "yeeter.simulation.orders",
		VHost:           "/",
		MinReplicas:     1,
		MaxReplicas:     10,
		TargetMessages:  50,
		PollInterval:    15 * time.Second,
		Tolerance:       0.1,
		ScaleDownWindow: 5 * time.Minute,
		Count:           CountTotal,
		Policy:          DefaultPolicyName,
		BackoffLimit:    DefaultBackoffLimit,
		HistorySize:     DefaultHistorySize,
	}
}

// ConfigError reports one invalid setting: the flag, the value given and what
// is allowed.
type ConfigError struct {
	Flag    string
	Value   string
	Allowed string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid --%s %s: %s", e.Flag, e.Value, e.Allowed)
}

// Validate checks every setting and returns the first problem as a
// *ConfigError.
func (c Config) Validate() error {
	bad := func(flag string, v any, allowed string) error {
		return &ConfigError{Flag: flag, Value: fmt.Sprint(v), Allowed: allowed}
	}
	switch {
	case c.MinReplicas < 0:
		return bad("min-replicas", c.MinReplicas, "must be 0 or more")
	case c.MaxReplicas < 1:
		return bad("max-replicas", c.MaxReplicas, "must be at least 1")
	case c.MaxReplicas > MaxReplicasLimit:
		return bad("max-replicas", c.MaxReplicas, fmt.Sprintf("must be at most %d", MaxReplicasLimit))
	case c.MinReplicas > c.MaxReplicas:
		return bad("min-replicas", c.MinReplicas, fmt.Sprintf("must not exceed --max-replicas %d", c.MaxReplicas))
	case c.TargetMessages <= 0:
		return bad("target-messages", c.TargetMessages, "must be at least 1 message per replica")
	case c.TargetMessages > MaxTargetMessages:
		return bad("target-messages", c.TargetMessages, fmt.Sprintf("must be at most %d", MaxTargetMessages))
	case c.PollInterval < MinPollInterval:
		return bad("poll-interval", c.PollInterval, "must be at least 1s")
	case c.PollInterval > MaxPollInterval:
		return bad("poll-interval", c.PollInterval, "must be at most 1h")
	case c.Tolerance < 0 || c.Tolerance >= 1 || c.Tolerance != c.Tolerance:
		return bad("tolerance", c.Tolerance, "must be from 0 up to (not including) 1, e.g. 0.1 for 10%")
	case c.ScaleDownWindow < 0 || c.ScaleDownWindow > MaxWindow:
		return bad("scale-down-window", c.ScaleDownWindow, "must be from 0s to 24h")
	case c.MaxStepUp < 0:
		return bad("max-step-up", c.MaxStepUp, "must be 0 (no cap) or more")
	case c.MaxStepDown < 0:
		return bad("max-step-down", c.MaxStepDown, "must be 0 (no cap) or more")
	case c.Count != CountTotal && c.Count != CountReady:
		return bad("count", c.Count, `must be "total" (ready + unacked) or "ready"`)
	case c.DrainWithin < 0 || c.DrainWithin > MaxWindow:
		return bad("drain-within", c.DrainWithin, "must be from 0s (off) to 24h")
	case c.BackoffLimit < 0:
		return bad("backoff-limit", c.BackoffLimit, "must not be negative")
	case c.HistorySize < 0 || c.HistorySize > 1_000_000:
		return bad("history-size", c.HistorySize, "must be from 0 (default) to 1000000")
	}
	if _, err := PolicyByName(c.Policy); err != nil {
		return bad("policy", fmt.Sprintf("%q", c.Policy), fmt.Sprintf("must be one of %v", PolicyNames()))
	}
	for _, f := range []struct{ flag, v string }{{"namespace", c.Namespace}, {"deployment", c.Deployment}, {"queue", c.Queue}, {"vhost", c.VHost}} {
		if f.v == "" {
			return bad(f.flag, `""`, "must not be empty")
		}
	}
	return nil
}

// Clamp returns n limited to [MinReplicas, MaxReplicas].
func (c Config) Clamp(n int32) int32 {
	if n < c.MinReplicas {
		return c.MinReplicas
	}
	if n > c.MaxReplicas {
		return c.MaxReplicas
	}
	return n
}

// Depth returns the number of messages that count under c.Count.
func (c Config) Depth(s QueueStats) int64 {
	if c.Count == CountReady {
		return s.Ready
	}
	return s.Messages
}
