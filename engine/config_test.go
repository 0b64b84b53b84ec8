package engine_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

func TestDefaultConfigIsValidWithGuideDefaults(t *testing.T) {
	c := engine.DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v, want nil", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"MinReplicas", c.MinReplicas, int32(1)},
		{"MaxReplicas", c.MaxReplicas, int32(10)},
		{"TargetMessages", c.TargetMessages, int64(50)},
		{"PollInterval", c.PollInterval, 15 * time.Second},
		{"Tolerance", c.Tolerance, 0.1},
		{"Namespace", c.Namespace, "yeeter"},
		{"Deployment", c.Deployment, "yeeter-worker"},
		{"Queue", c.Queue, "yeeter.simulation.orders"},
		{"VHost", c.VHost, "/"},
		{"Count", c.Count, engine.CountTotal},
		{"Policy", c.Policy, engine.DefaultPolicyName},
		{"BackoffLimit", c.BackoffLimit, engine.DefaultBackoffLimit},
		{"HistorySize", c.HistorySize, engine.DefaultHistorySize},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("DefaultConfig().%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if _, err := engine.PolicyByName(c.Policy); err != nil {
		t.Errorf("default policy %q is not registered: %v", c.Policy, err)
	}
}

func TestConfigValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(*engine.Config)
		flag   string // without dashes, as in ConfigError.Flag; the Config field for a setting with no flag
		value  string // as in ConfigError.Value
		// allowed is a fragment of what the message says is allowed.
		allowed string
	}{
		{"min above max", func(c *engine.Config) { c.MinReplicas, c.MaxReplicas = 11, 10 }, "min-replicas", "11", "must not exceed --max-replicas 10"},
		{"negative min", func(c *engine.Config) { c.MinReplicas = -1 }, "min-replicas", "-1", "0 or more"},
		{"max zero", func(c *engine.Config) { c.MinReplicas, c.MaxReplicas = 0, 0 }, "max-replicas", "0", "at least 1"},
		{"max negative", func(c *engine.Config) { c.MinReplicas, c.MaxReplicas = 0, -3 }, "max-replicas", "-3", "at least 1"},
		{"absurd max", func(c *engine.Config) { c.MaxReplicas = 10001 }, "max-replicas", "10001", "at most 10000"},
		{"target zero", func(c *engine.Config) { c.TargetMessages = 0 }, "target-messages", "0", "at least 1"},
		{"target negative", func(c *engine.Config) { c.TargetMessages = -50 }, "target-messages", "-50", "at least 1"},
		{"absurd target", func(c *engine.Config) { c.TargetMessages = 1_000_000_001 }, "target-messages", "1000000001", "at most 1000000000"},
		{"poll too fast", func(c *engine.Config) { c.PollInterval = 500 * time.Millisecond }, "poll-interval", "500ms", "at least 1s"},
		{"poll zero", func(c *engine.Config) { c.PollInterval = 0 }, "poll-interval", "0s", "at least 1s"},
		{"poll too slow", func(c *engine.Config) { c.PollInterval = time.Hour + time.Second }, "poll-interval", "1h0m1s", "at most 1h"},
		{"tolerance negative", func(c *engine.Config) { c.Tolerance = -0.1 }, "tolerance", "-0.1", "from 0 up to (not including) 1"},
		{"tolerance one", func(c *engine.Config) { c.Tolerance = 1 }, "tolerance", "1", "from 0 up to (not including) 1"},
		{"tolerance NaN", func(c *engine.Config) { c.Tolerance = math.NaN() }, "tolerance", "NaN", "from 0 up to (not including) 1"},
		{"tolerance +Inf", func(c *engine.Config) { c.Tolerance = math.Inf(1) }, "tolerance", "+Inf", "from 0 up to (not including) 1"},
		{"negative window", func(c *engine.Config) { c.ScaleDownWindow = -time.Second }, "scale-down-window", "-1s", "from 0s to 24h"},
		{"window over a day", func(c *engine.Config) { c.ScaleDownWindow = 25 * time.Hour }, "scale-down-window", "25h0m0s", "from 0s to 24h"},
		{"negative step up", func(c *engine.Config) { c.MaxStepUp = -1 }, "max-step-up", "-1", "0 (no cap) or more"},
		{"negative step down", func(c *engine.Config) { c.MaxStepDown = -2 }, "max-step-down", "-2", "0 (no cap) or more"},
		{"bad count", func(c *engine.Config) { c.Count = "unacked" }, "count", `"unacked"`, `"total"`},
		{"empty count", func(c *engine.Config) { c.Count = "" }, "count", `""`, `"ready"`},
		{"negative drain-within", func(c *engine.Config) { c.DrainWithin = -time.Minute }, "drain-within", "-1m0s", "0s (off) or from 1m0s to 24h"},
		{"drain-within 1ns", func(c *engine.Config) { c.DrainWithin = time.Nanosecond }, "drain-within", "1ns", "0s (off) or from 1m0s to 24h"},
		{"drain-within below the poll interval", func(c *engine.Config) { c.PollInterval, c.DrainWithin = 2*time.Minute, 90*time.Second }, "drain-within", "1m30s", "from 2m0s to 24h"},
		{"drain-within over a day", func(c *engine.Config) { c.DrainWithin = 25 * time.Hour }, "drain-within", "25h0m0s", "to 24h"},
		{"negative backoff limit", func(c *engine.Config) { c.BackoffLimit = -time.Second }, "BackoffLimit", "-1s", "must not be negative"},
		{"negative history", func(c *engine.Config) { c.HistorySize = -1 }, "HistorySize", "-1", "from 0"},
		{"unknown policy", func(c *engine.Config) { c.Policy = "yolo" }, "policy", `"yolo"`, "must be one of"},
		{"empty namespace", func(c *engine.Config) { c.Namespace = "" }, "namespace", `""`, "must not be empty"},
		{"empty deployment", func(c *engine.Config) { c.Deployment = "" }, "deployment", `""`, "must not be empty"},
		{"empty queue", func(c *engine.Config) { c.Queue = "" }, "queue", `""`, "must not be empty"},
		{"empty vhost", func(c *engine.Config) { c.VHost = "" }, "vhost", `""`, "must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := engine.DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			var ce *engine.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Validate() = %T %v, want *engine.ConfigError", err, err)
			}
			name, ref := ce.Flag, "--"+tt.flag
			if ce.Field != "" {
				// Settings with no flag: the message names the field and
				// never a flag that does not exist.
				name, ref = ce.Field, "Config."+tt.flag
				if strings.Contains(err.Error(), "--") {
					t.Errorf("message %q names a flag, but the setting has none", err.Error())
				}
			}
			if name != tt.flag || ce.Value != tt.value {
				t.Errorf("ConfigError{Flag: %q, Field: %q, Value: %q}, want {%q, %q}", ce.Flag, ce.Field, ce.Value, tt.flag, tt.value)
			}
			msg := err.Error()
			for _, part := range []string{ref, tt.value, tt.allowed} {
				if !strings.Contains(msg, part) {
					t.Errorf("message %q does not contain %q", msg, part)
				}
			}
		})
	}
}

func TestConfigValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		change func(*engine.Config)
	}{
		{"min zero", func(c *engine.Config) { c.MinReplicas = 0 }},
		{"min equals max", func(c *engine.Config) { c.MinReplicas, c.MaxReplicas = 5, 5 }},
		{"max at the limit", func(c *engine.Config) { c.MaxReplicas = engine.MaxReplicasLimit }},
		{"target at the limit", func(c *engine.Config) { c.TargetMessages = engine.MaxTargetMessages }},
		{"poll 1s", func(c *engine.Config) { c.PollInterval = time.Second }},
		{"poll 1h", func(c *engine.Config) { c.PollInterval = time.Hour }},
		{"tolerance zero", func(c *engine.Config) { c.Tolerance = 0 }},
		{"tolerance 0.99", func(c *engine.Config) { c.Tolerance = 0.99 }},
		{"no window", func(c *engine.Config) { c.ScaleDownWindow = 0 }},
		{"window 24h", func(c *engine.Config) { c.ScaleDownWindow = 24 * time.Hour }},
		{"step caps", func(c *engine.Config) { c.MaxStepUp, c.MaxStepDown = 3, 1 }},
		{"count ready", func(c *engine.Config) { c.Count = engine.CountReady }},
		{"empty policy means default", func(c *engine.Config) { c.Policy = "" }},
		{"history 0 means default", func(c *engine.Config) { c.HistorySize = 0 }},
		{"drain-within off", func(c *engine.Config) { c.DrainWithin = 0 }},
		{"drain-within 1m", func(c *engine.Config) { c.DrainWithin = time.Minute }},
		{"drain-within 24h", func(c *engine.Config) { c.DrainWithin = 24 * time.Hour }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := engine.DefaultConfig()
			tt.change(&c)
			if err := c.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
	for _, name := range engine.PolicyNames() {
		c := engine.DefaultConfig()
		c.Policy = name
		if err := c.Validate(); err != nil {
			t.Errorf("policy %q: Validate() = %v, want nil", name, err)
		}
	}
}

func TestConfigClampAndDepth(t *testing.T) {
	c := engine.DefaultConfig()
	c.MinReplicas, c.MaxReplicas = 2, 8
	for _, tt := range []struct{ in, want int32 }{{0, 2}, {1, 2}, {2, 2}, {5, 5}, {8, 8}, {9, 8}, {-4, 2}} {
		if got := c.Clamp(tt.in); got != tt.want {
			t.Errorf("Clamp(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
	s := engine.QueueStats{Messages: 120, Ready: 70, Unacked: 50}
	if got := c.Depth(s); got != 120 {
		t.Errorf("Depth with count total = %d, want 120", got)
	}
	c.Count = engine.CountReady
	if got := c.Depth(s); got != 70 {
		t.Errorf("Depth with count ready = %d, want 70", got)
	}
}

func TestErrorKind(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{engine.ErrNotFound, "not_found"},
		{errors.Join(errors.New("x"), engine.ErrUnauthorized), "unauthorized"},
		{engine.ErrForbidden, "forbidden"},
		{engine.ErrUnavailable, "unavailable"},
		{engine.ErrConflict, "conflict"},
		{engine.ErrBadResponse, "bad_response"},
		{engine.ErrRefused, "refused"},
		{errors.New("boom"), "other"},
	}
	for _, tt := range tests {
		if got := engine.ErrorKind(tt.err); got != tt.want {
			t.Errorf("ErrorKind(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
