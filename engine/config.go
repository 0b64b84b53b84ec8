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
	// DefaultIdleBeforeZero is KEDA's default cooldownPeriod.
	DefaultIdleBeforeZero = 5 * time.Minute
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
	// ActivationMessages: with MinReplicas 0, a deployment at zero wakes
	// when more than this many messages wait (--activation-messages).
	ActivationMessages int64
	// IdleBeforeZero: with MinReplicas 0, how long the queue must have been
	// empty before one replica goes to zero (--idle-before-zero).
	IdleBeforeZero time.Duration
	// ScaleInWaitIdle, when set, holds a scale-down of N replicas until N
	// worker pods are idle, for at most this long (--scale-in-wait-idle;
	// needs a pod chooser that observes, see PodObserver).
	ScaleInWaitIdle time.Duration
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
		IdleBeforeZero:  DefaultIdleBeforeZero,
	}
}

// ConfigError reports one invalid setting: the flag, the value given and what
// is allowed.
type ConfigError struct {
	// Flag is the setting's flag, without dashes (its Setting.Name).
	Flag    string
	Value   string
	Allowed string
	// Key, when set, is the setting's key in the policy object (a scenario,
	// an annotation) that gave the value: the message names it instead.
	Key string
	// Field, when set, is the Config field of a setting that no flag sets:
	// the message names it instead.
	Field string
}

func (e *ConfigError) Error() string {
	switch {
	case e.Key != "":
		return fmt.Sprintf("invalid %q: %s: %s", e.Key, e.Value, e.Allowed)
	case e.Field != "":
		return fmt.Sprintf("invalid Config.%s %s: %s (no flag sets it: it comes from the program that embeds the engine)", e.Field, e.Value, e.Allowed)
	}
	return fmt.Sprintf("invalid --%s %s: %s", e.Flag, e.Value, e.Allowed)
}

// Validate checks every setting (in the order of Settings) and the names,
// and returns the first problem as a *ConfigError.
func (c Config) Validate() error {
	for _, s := range settingsTable() {
		if err := s.error(c); err != nil {
			return err
		}
	}
	for _, f := range []struct{ flag, v string }{{"namespace", c.Namespace}, {"deployment", c.Deployment}, {"queue", c.Queue}, {"vhost", c.VHost}} {
		if f.v == "" {
			return &ConfigError{Flag: f.flag, Value: `""`, Allowed: "must not be empty"}
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
