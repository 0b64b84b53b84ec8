package engine_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestApplySettings checks policy objects (scenario files, annotations):
// every setting with a key is applied; values are refused with the key and
// the value as given, and durations out of range are not wrapped into
// negative ones.
func TestApplySettings(t *testing.T) {
	all := `{"policy": "hpa-keda", "min_replicas": 3, "max_replicas": 33, "target_messages": 333,
		"poll_interval_s": 7, "tolerance": 0.25, "scale_down_window_s": 90.5, "max_step_up": 4,
		"max_step_down": 2, "count": "ready", "drain_within_s": 600,
		"activation_messages": 5, "idle_before_zero_s": 120, "scale_in_wait_idle_s": 60}`
	var values map[string]json.RawMessage
	if err := json.Unmarshal([]byte(all), &values); err != nil {
		t.Fatal(err)
	}
	for _, s := range engine.Settings() {
		if _, ok := values[s.Key]; s.Key != "" && !ok {
			t.Errorf("setting %s (key %q) is not covered by this test", s.Name, s.Key)
		}
		if s.Flag != (s.Key != "") {
			t.Errorf("setting %s: flag %v, key %q: every flag has a key and only flags do", s.Name, s.Flag, s.Key)
		}
	}
	base := engine.DefaultConfig()
	got, err := engine.ApplySettings(base, values)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"policy": "hpa-keda", "min-replicas": int32(3), "max-replicas": int32(33), "target-messages": int64(333),
		"poll-interval": 7 * time.Second, "tolerance": 0.25, "scale-down-window": 90*time.Second + 500*time.Millisecond,
		"max-step-up": int32(4), "max-step-down": int32(2), "count": engine.CountReady, "drain-within": 10 * time.Minute,
		"activation-messages": int64(5), "idle-before-zero": 2 * time.Minute,
		"scale-in-wait-idle": time.Minute}
	for _, s := range engine.Settings() {
		v := reflect.ValueOf(s.Ptr(&got)).Elem().Interface()
		if w, set := want[s.Name]; set && v != w || !set && v != reflect.ValueOf(s.Ptr(&base)).Elem().Interface() {
			t.Errorf("after ApplySettings %s = %v, want %v", s.Name, v, w)
		}
		dst := base
		s.Copy(&dst, &got)
		if reflect.ValueOf(s.Ptr(&dst)).Elem().Interface() != v {
			t.Errorf("Copy did not copy %s", s.Name)
		}
	}

	tests := []struct {
		name, key, value string
		// message is a fragment of the error
		message string
	}{
		{"huge poll interval", "poll_interval_s", "1e300", `invalid "poll_interval_s": 1e300: must be at most 1h`},
		{"huge negative poll interval", "poll_interval_s", "-1e300", `invalid "poll_interval_s": -1e300: must be at least 1s`},
		{"drain-within of a nanosecond", "drain_within_s", "0.000000001", `invalid "drain_within_s": 0.000000001: must be 0s (off) or from 1m0s`},
		{"huge window", "scale_down_window_s", "9.3e9", "must be from 0s to 24h"},
		{"huge replicas", "max_replicas", "1e300", `invalid "max_replicas": 1e300: must be at most 10000`},
		{"fractional replicas", "min_replicas", "1.5", "must be a whole number"},
		{"replicas as text", "min_replicas", `"3"`, "must be a whole number"},
		{"seconds as text", "poll_interval_s", `"15s"`, "must be a number of seconds"},
		{"policy as a number", "policy", "7", "must be a string"},
		{"unknown policy", "policy", `"yolo"`, "must be one of"},
		{"unknown key", "backoff_limit", "1", `invalid "backoff_limit": 1: is not a setting (known: policy, min_replicas`},
		{"control characters", "count", `"\u001b[2J"`, `"\u001b[2J"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := engine.ApplySettings(base, map[string]json.RawMessage{tt.key: json.RawMessage(tt.value)})
			var ce *engine.ConfigError
			if !errors.As(err, &ce) || ce.Key != tt.key || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("ApplySettings(%s: %s) = %v, want a *ConfigError on %q saying %q", tt.key, tt.value, err, tt.key, tt.message)
			}
			if strings.Contains(err.Error(), "2562047h") || strings.ContainsAny(err.Error(), "\x1b\n") {
				t.Errorf("message %q shows a wrapped duration or a control character", err.Error())
			}
		})
	}
}

// TestSettingTextIsWhatAnnotationsTake writes every setting with a flag as
// an annotation with Setting.Text and reads it back with ApplyAnnotations.
func TestSettingTextIsWhatAnnotationsTake(t *testing.T) {
	c := engine.DefaultConfig()
	c.MinReplicas, c.MaxReplicas, c.TargetMessages, c.Tolerance = 0, 33, 77, 0.25
	c.PollInterval, c.ScaleDownWindow, c.IdleBeforeZero = 7*time.Second, 90*time.Second, 11*time.Minute
	c.Count, c.Policy, c.ActivationMessages = engine.CountReady, "proportional", 3
	ann := map[string]string{engine.AnnotationQueue: "q"}
	for _, s := range engine.Settings() {
		if s.Flag {
			ann[engine.AnnotationPrefix+s.Name] = s.Text(c)
		}
	}
	back, _, err := engine.ApplyAnnotations(engine.DefaultConfig(), ann)
	if err != nil {
		t.Fatalf("annotations %v: %v", ann, err)
	}
	for _, s := range engine.Settings() {
		if s.Flag && s.Text(back) != s.Text(c) {
			t.Errorf("%s: %q read back as %q", s.Name, s.Text(c), s.Text(back))
		}
	}
	if ann[engine.AnnotationPrefix+"count"] != "ready" || ann[engine.AnnotationPrefix+"policy"] != "proportional" {
		t.Errorf("strings are written unquoted: %v", ann)
	}
}
