package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// zeroConfig is a --min-replicas 0 configuration with the defaults of
// --activation-messages (0) and --idle-before-zero (5m).
func zeroConfig() engine.Config {
	c := engine.DefaultConfig()
	c.MinReplicas, c.MaxReplicas, c.TargetMessages = 0, 40, 50
	return c
}

// quiet is an empty queue whose broker reports a publish rate of zero.
func quiet() engine.QueueStats {
	return engine.QueueStats{Consumers: 1, PublishRate: engine.KnownRate(0), DeliverRate: engine.KnownRate(0), AckRate: engine.KnownRate(0), RatesFrom: engine.RatesFromBroker}
}

// quietFor returns polls every 15 s from sec seconds before t0 up to 15 s
// before it, each reading s and recommending 0.
func quietFor(sec int, s engine.QueueStats) []engine.Observation {
	var h []engine.Observation
	for a := sec; a >= 15; a -= 15 {
		o := ago(float64(a), 0)
		o.Stats = s
		h = append(h, o)
	}
	return h
}

// with returns h with f applied to the observation made sec seconds before t0.
func with(h []engine.Observation, sec int, f func(*engine.Observation)) []engine.Observation {
	for i := range h {
		if h[i].At.Equal(t0.Add(-time.Duration(sec) * time.Second)) {
			f(&h[i])
		}
	}
	return h
}

// TestScaleToZero covers the --min-replicas 0 rules every policy but the
// HPA models goes through (engine.Decide -> decideZero).
func TestScaleToZero(t *testing.T) {
	unknown := quiet()
	unknown.PublishRate = engine.Rate{}
	arriving := quiet()
	arriving.PublishRate = engine.KnownRate(0.5)
	unacked := quiet()
	unacked.Messages, unacked.Unacked = 1, 1
	cases := []policyCase{
		{name: "N never straight to zero", cur: 19, stats: quiet(), hist: quietFor(900, quiet()), want: 1,
			reason: []string{"scaling down"}},
		{name: "one goes to zero after the idle time", cur: 1, stats: quiet(), hist: quietFor(300, quiet()), want: 0,
			wantRec: rec(0), reason: []string{"for 5m0s (--idle-before-zero)", "scaling 1 -> 0", "wakes at > 0 messages"}},
		{name: "not before the idle time", cur: 1, stats: quiet(), hist: quietFor(120, quiet()), want: 1,
			reason: []string{"not going to zero", "read empty for 2m0s of --idle-before-zero 5m0s"}, noReason: []string{"--min-replicas 1"}},
		{name: "history shorter than the idle time", cur: 1, stats: quiet(), want: 1,
			reason: []string{"only now reads empty"}},
		{name: "longer idle setting", cfg: func(c *engine.Config) { c.IdleBeforeZero = 10 * time.Minute }, cur: 1, stats: quiet(),
			hist: quietFor(420, quiet()), want: 1, reason: []string{"of --idle-before-zero 10m0s"}},
		{name: "statistics absent now", cur: 1, stats: unknown, hist: quietFor(900, quiet()), want: 1,
			reason: []string{"no message statistics", "unknown is not idle"}},
		{name: "statistics absent in the span", cur: 1, stats: quiet(), hist: with(quietFor(900, quiet()), 60, func(o *engine.Observation) { o.Stats = unknown }),
			want: 1, reason: []string{"read empty for 45s"}},
		{name: "a failed poll in the span", cur: 1, stats: quiet(), hist: with(quietFor(900, quiet()), 90, func(o *engine.Observation) { o.OK = false }),
			want: 1, reason: []string{"a poll 1m30s ago failed"}},
		{name: "an unacknowledged message in the span", cur: 1, stats: quiet(), hist: with(quietFor(900, quiet()), 30, func(o *engine.Observation) { o.Stats = unacked }),
			want: 1, reason: []string{"read empty for 15s"}},
		{name: "unacknowledged now", cur: 1, stats: unacked, hist: quietFor(900, quiet()), want: 1,
			reason: []string{"0 ready and 1 unacknowledged"}},
		{name: "arriving though none wait", cur: 1, stats: arriving, hist: quietFor(900, quiet()), want: 1,
			reason: []string{"messages are arriving (0.5/s)"}},
		{name: "asleep with nothing waiting", cur: 0, stats: quiet(), want: 0,
			reason: []string{"0 replicas, asleep", "wakes at > 0 messages"}},
		{name: "asleep at the activation", cfg: func(c *engine.Config) { c.ActivationMessages = 100 }, cur: 0, stats: msgs(100), want: 0,
			reason: []string{"0 replicas, asleep: 100 messages; wakes at > 100 messages"}},
		{name: "one message wakes", cur: 0, stats: msgs(1), want: 1, reason: []string{"waking from zero: 1 message > --activation-messages 0"}},
		{name: "a burst wakes to its size", cfg: func(c *engine.Config) { c.ActivationMessages = 100 }, cur: 0, stats: msgs(1500), want: 30,
			reason: []string{"waking from zero", "1,500 messages / 50 per replica = 30"}},
		{name: "a big burst wakes to the max", cur: 0, stats: msgs(100_000), hist: quietFor(900, quiet()), want: 40},
		{name: "min 1 never goes to zero", cfg: func(c *engine.Config) { c.MinReplicas = 1 }, cur: 1, stats: quiet(), hist: quietFor(900, quiet()), want: 1},
	}
	for _, p := range []string{"adaptive", "proportional"} {
		t.Run(p, func(t *testing.T) { runPolicyCases(t, p, zeroConfig(), cases) })
	}
}

// TestHPAKedaScaleToZero covers hpa-keda's model of KEDA's 0 <-> 1 handling.
func TestHPAKedaScaleToZero(t *testing.T) {
	active := func(sec int) []engine.Observation {
		return with(quietFor(900, quiet()), sec, func(o *engine.Observation) { o.Stats = msgs(10) })
	}
	cases := []policyCase{
		{name: "KEDA activates to one", cur: 0, stats: msgs(5000), hist: quietFor(900, quiet()), want: 1,
			reason: []string{"KEDA activates 0 -> 1"}},
		{name: "at zero until KEDA's next poll", cfg: func(c *engine.Config) { c.PollInterval = 30 * time.Second }, cur: 0, stats: msgs(5000),
			hist: quietFor(15, quiet()), want: 0, wantRec: rec(-1), reason: []string{"KEDA's next poll"}},
		{name: "activation value", cfg: func(c *engine.Config) { c.ActivationMessages = 10 }, cur: 0, stats: msgs(10), want: 0,
			reason: []string{"KEDA keeps 0"}},
		{name: "inside the cooldown the HPA decides", cur: 19, stats: quiet(), hist: active(195), want: 1, reason: []string{"scaling down"}},
		{name: "after the cooldown, from N", cur: 19, stats: quiet(), hist: active(300), want: 0,
			reason: []string{"cooldownPeriod 5m0s: KEDA scales 19 -> 0"}},
		{name: "active now", cur: 2, stats: msgs(150), hist: active(600), want: 3},
	}
	runPolicyCases(t, "hpa-keda", zeroConfig(), cases)
}

// TestScaleToZeroSettings covers the two settings' checks, as flags and as
// policy-object keys.
func TestScaleToZeroSettings(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*engine.Config)
		flag    string
		allowed string
	}{
		{"negative activation", func(c *engine.Config) { c.ActivationMessages = -1 }, "activation-messages", "0 (any message wakes) or more"},
		{"absurd activation", func(c *engine.Config) { c.ActivationMessages = 2e9 }, "activation-messages", "at most 1000000000"},
		{"idle zero", func(c *engine.Config) { c.IdleBeforeZero = 0 }, "idle-before-zero", "from 1s to 24h"},
		{"idle negative", func(c *engine.Config) { c.IdleBeforeZero = -time.Minute }, "idle-before-zero", "from 1s to 24h"},
		{"idle above a day", func(c *engine.Config) { c.IdleBeforeZero = 25 * time.Hour }, "idle-before-zero", "to 24h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := zeroConfig()
			tt.change(&c)
			var ce *engine.ConfigError
			if err := c.Validate(); !errors.As(err, &ce) || ce.Flag != tt.flag || !strings.Contains(err.Error(), tt.allowed) {
				t.Errorf("Validate() = %v, want --%s: %s", err, tt.flag, tt.allowed)
			}
		})
	}
	c, err := engine.ApplySettings(zeroConfig(), map[string]json.RawMessage{"activation_messages": json.RawMessage("7"), "idle_before_zero_s": json.RawMessage("600")})
	if err != nil || c.ActivationMessages != 7 || c.IdleBeforeZero != 10*time.Minute {
		t.Errorf("ApplySettings = %d, %s, %v; want 7, 10m0s", c.ActivationMessages, c.IdleBeforeZero, err)
	}
	if d := engine.DefaultConfig(); d.ActivationMessages != 0 || d.IdleBeforeZero != 5*time.Minute {
		t.Errorf("defaults: --activation-messages %d, --idle-before-zero %s; want 0, 5m0s", d.ActivationMessages, d.IdleBeforeZero)
	}
}

// TestControllerSleepsAndWakes runs the controller (auto mode) over fakes
// with --min-replicas 0: one replica goes to zero at the first poll after
// five minutes of an empty queue, a failed poll starts the wait again, and
// the first poll that sees a burst wakes the deployment to the burst's size.
func TestControllerSleepsAndWakes(t *testing.T) {
	cfg := testConfig("adaptive")
	cfg.MinReplicas = 0
	r := &rig{clock: engine.NewManualClock(t0), src: &fakeQueue{}, sc: newFakeScaler(1)}
	r.ctl = mustNew(t, engine.Options{Config: cfg, Source: r.src, Scaler: r.sc, Clock: r.clock, Mode: engine.ModeAuto})
	ctx := context.Background()
	r.src.set(quiet())
	poll := func() int32 {
		t.Helper()
		r.ctl.Poll(ctx)
		r.clock.Advance(15 * time.Second)
		desired, _, _, _ := r.sc.state()
		return desired
	}
	for i := 0; i < 10; i++ { // 2m15s of an empty queue
		if got := poll(); got != 1 {
			t.Fatalf("poll %d: %d replicas, want 1", i, got)
		}
	}
	r.src.setFail(engine.ErrUnavailable)
	if got := poll(); got != 1 {
		t.Fatalf("failed poll: %d replicas, want 1", got)
	}
	r.src.setFail(nil)
	for i := 0; i < 20; i++ { // 0 .. 4m45s since the failed poll
		if got := poll(); got != 1 {
			t.Fatalf("poll %d after the failure: %d replicas, want 1 (went to zero %ds after a failed poll)", i, got, 15*(i+1))
		}
	}
	if got := poll(); got != 0 {
		t.Fatalf("after 5m of an empty queue: %d replicas, want 0 (%s)", got, r.ctl.Snapshot().Decision.Reason)
	}
	if s := r.ctl.Snapshot(); !strings.Contains(s.Decision.Reason, "scaling 1 -> 0") {
		t.Errorf("reason %q", s.Decision.Reason)
	}
	if got := poll(); got != 0 {
		t.Fatalf("asleep: %d replicas, want 0", got)
	}
	r.src.set(engine.QueueStats{Messages: 4250, Ready: 4250, PublishRate: engine.KnownRate(800), AckRate: engine.KnownRate(0)})
	if got := poll(); got != 17 {
		t.Fatalf("first poll of a burst of 4,250 at 250 per replica: %d replicas, want 17", got)
	}
}
