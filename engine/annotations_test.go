package engine_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

const pre = engine.AnnotationPrefix

// TestApplyAnnotations checks the values annotations may give: every
// setting with a flag by its flag name, with the command line's syntax,
// and the queue annotations; other annotations are ignored.
func TestApplyAnnotations(t *testing.T) {
	defaults := engine.DefaultConfig()
	defaults.VHost = "flag-vhost"
	tests := []struct {
		name   string
		ann    map[string]string
		want   func(c *engine.Config)
		queues engine.QueueSet
	}{
		{name: "one queue, the flags' settings",
			ann:    map[string]string{pre + "queue": "orders"},
			want:   func(c *engine.Config) { c.Queue = "orders" },
			queues: engine.QueueSet{Names: []string{"orders"}, Combine: engine.CombineSum}},
		{name: "a list, spaces trimmed, max",
			ann:    map[string]string{pre + "queue": "a, b ,c", pre + "queue-combine": "max"},
			want:   func(c *engine.Config) { c.Queue = "max(a,b,c)" },
			queues: engine.QueueSet{Names: []string{"a", "b", "c"}, Combine: engine.CombineMax}},
		{name: "a pattern and a vhost",
			ann:    map[string]string{pre + "queue-pattern": `orders\..*`, pre + "vhost": "prod"},
			want:   func(c *engine.Config) { c.Queue, c.VHost = `/orders\..*/`, "prod" },
			queues: engine.QueueSet{Pattern: `orders\..*`, Combine: engine.CombineSum}},
		{name: "every setting, as on the command line",
			ann: map[string]string{pre + "queue": "q", pre + "policy": "hpa-keda", pre + "min-replicas": "3",
				pre + "max-replicas": "0x21", pre + "target-messages": "333", pre + "poll-interval": "7s",
				pre + "tolerance": "0.25", pre + "scale-down-window": "1m30s", pre + "max-step-up": "4",
				pre + "max-step-down": "2", pre + "count": "ready", pre + "drain-within": "10m"},
			want: func(c *engine.Config) {
				c.Queue, c.Policy, c.MinReplicas, c.MaxReplicas, c.TargetMessages = "q", "hpa-keda", 3, 33, 333
				c.PollInterval, c.Tolerance, c.ScaleDownWindow = 7*time.Second, 0.25, 90*time.Second
				c.MaxStepUp, c.MaxStepDown, c.Count, c.DrainWithin = 4, 2, engine.CountReady, 10*time.Minute
			},
			queues: engine.QueueSet{Names: []string{"q"}, Combine: engine.CombineSum}},
		{name: "settings that depend on each other, in any key order",
			ann: map[string]string{pre + "queue": "q", pre + "poll-interval": "2m", pre + "drain-within": "3m", pre + "min-replicas": "20", pre + "max-replicas": "30"},
			want: func(c *engine.Config) {
				c.Queue, c.PollInterval, c.DrainWithin, c.MinReplicas, c.MaxReplicas = "q", 2*time.Minute, 3*time.Minute, 20, 30
			},
			queues: engine.QueueSet{Names: []string{"q"}, Combine: engine.CombineSum}},
		{name: "other annotations and yeetscale's own are ignored",
			ann: map[string]string{pre + "queue": "q", pre + "last-scale": "{\"garbage\n", pre + "memory": "\x1b[2J",
				"deployment.kubernetes.io/revision": "3", "other.io/queue": "x", "yeetscale.yeeter.io.evil/x": "y"},
			want:   func(c *engine.Config) { c.Queue = "q" },
			queues: engine.QueueSet{Names: []string{"q"}, Combine: engine.CombineSum}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, qs, err := engine.ApplyAnnotations(defaults, tt.ann)
			if err != nil {
				t.Fatal(err)
			}
			want := defaults
			tt.want(&want)
			if !reflect.DeepEqual(cfg, want) {
				t.Errorf("config\n got %+v\nwant %+v", cfg, want)
			}
			if !reflect.DeepEqual(qs, tt.queues) {
				t.Errorf("queues: got %+v, want %+v", qs, tt.queues)
			}
		})
	}
}

// TestApplyAnnotationsRefuses checks that every invalid or hostile value is
// refused with one line that names the annotation, shows the value escaped
// and truncated, and says what is allowed; and that a typo under the prefix
// is an error rather than nothing.
func TestApplyAnnotationsRefuses(t *testing.T) {
	q := map[string]string{pre + "queue": "q"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range q {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	long := strings.Repeat("a", engine.MaxAnnotationValue+1)
	tests := []struct {
		name string
		ann  map[string]string
		// want are substrings of the message, in order.
		want []string
	}{
		{"no queue", map[string]string{pre + "min-replicas": "2"}, []string{"annotation " + pre + "queue is missing", "queue-pattern"}},
		{"both queue and pattern", with(pre+"queue-pattern", "x.*"), []string{pre + "queue-pattern=", "exactly one"}},
		{"typo", with(pre+"max-replica", "4"), []string{pre + "max-replica=\"4\"", "not a yeetscale annotation", "max-replicas"}},
		{"not a number", with(pre+"min-replicas", "two"), []string{pre + "min-replicas=\"two\"", "whole number"}},
		{"fraction", with(pre+"max-replicas", "2.5"), []string{"max-replicas=\"2.5\"", "whole number"}},
		{"out of int32 range", with(pre+"max-replicas", "99999999999"), []string{"max-replicas=\"99999999999\"", "at most 10000"}},
		{"negative", with(pre+"min-replicas", "-1"), []string{"min-replicas=\"-1\"", "0 or more"}},
		{"duration without unit", with(pre+"poll-interval", "30"), []string{"poll-interval=\"30\"", "duration with a unit"}},
		{"duration too short", with(pre+"poll-interval", "10ms"), []string{"poll-interval=\"10ms\"", "at least 1s"}},
		{"tolerance NaN", with(pre+"tolerance", "NaN"), []string{"tolerance=\"NaN\"", "from 0 up to"}},
		{"policy", with(pre+"policy", "yolo"), []string{"policy=\"yolo\"", "must be one of"}},
		{"count", with(pre+"count", "all"), []string{"count=\"all\"", "total"}},
		{"combine", with(pre+"queue-combine", "avg"), []string{"queue-combine=\"avg\"", `"sum"`, `"max"`}},
		{"empty vhost", with(pre+"vhost", ""), []string{"vhost=\"\"", "not be empty"}},
		{"empty list item", with(pre+"queue", "a,,b"), []string{"queue=\"a,,b\"", "no empty name"}},
		{"repeated queue", with(pre+"queue", "a,b,a"), []string{"\"a\" is repeated"}},
		{"too many queues", with(pre+"queue", strings.Repeat("q,", engine.MaxQueueNames)+"q"), []string{"at most 100 queues", "queue-pattern"}},
		{"queue name too long", with(pre+"queue", strings.Repeat("n", 256)), []string{"at most 255 bytes"}},
		{"bad regexp", map[string]string{pre + "queue-pattern": "orders.(["}, []string{"queue-pattern=\"orders.([\"", "regular expression", "missing closing ]"}},
		{"empty regexp", map[string]string{pre + "queue-pattern": ""}, []string{"queue-pattern=\"\"", "regular expression"}},
		{"huge repetition", map[string]string{pre + "queue-pattern": "((a{1000}){1000}){1000}"}, []string{"queue-pattern=", "regular expression"}},
		{"min above annotated max", with(pre+"min-replicas", "8", pre+"max-replicas", "4"), []string{"min-replicas=\"8\"", "must not exceed --max-replicas 4"}},
		{"flag's min above annotated max", with(pre+"max-replicas", "0x2"), []string{"annotation " + pre + "min-replicas is not set", "flag's value 5", "must not exceed --max-replicas 2"}},
		{"drain-within below annotated poll", with(pre+"drain-within", "1m", pre+"poll-interval", "5m"), []string{"drain-within=\"1m\"", "from 5m0s to 24h"}},
		{"too long", with(pre+"policy", long), []string{"policy=\"aaaa", "...: must be at most 1024 bytes (it has 1025)"}},
		{"newline", with(pre+"max-replicas", "4\nmin-replicas: 1"), []string{`max-replicas="4\nmin-replicas: 1"`, "control characters"}},
		{"terminal escape", with(pre+"vhost", "\x1b]0;pwned\x07"), []string{`vhost="\x1b]0;pwned\x07"`, "control characters"}},
		{"C1 and bad UTF-8", with(pre+"queue", "a\u009bb\xff"), []string{`queue="a\u009bb\xff"`, "control characters"}},
		{"tab in a queue list", with(pre+"queue", "a,\tb"), []string{`queue="a,\tb"`, "control characters"}},
	}
	defaults := engine.DefaultConfig()
	defaults.MinReplicas = 5
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, qs, err := engine.ApplyAnnotations(defaults, tt.ann)
			if err == nil {
				t.Fatalf("accepted: %+v %+v", cfg, qs)
			}
			var ae *engine.AnnotationError
			if !errors.As(err, &ae) {
				t.Fatalf("error %T, want *engine.AnnotationError: %v", err, err)
			}
			msg := err.Error()
			t.Log(msg)
			if strings.ContainsAny(msg, "\n\r\t\x1b\x07\u009b") || len(msg) > 700 {
				t.Errorf("not one short printable line (%d bytes): %q", len(msg), msg)
			}
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("message %q lacks %q (in order)", msg, w)
				}
				rest = rest[i+len(w):]
			}
			if !reflect.DeepEqual(cfg, defaults) || !reflect.DeepEqual(qs, engine.QueueSet{}) {
				t.Errorf("on error, got %+v %+v, want the defaults and no queues", cfg, qs)
			}
		})
	}
}

// TestApplyAnnotationsTruncatesOnRunes checks that a long value is cut on a
// character boundary: the message stays valid UTF-8.
func TestApplyAnnotationsTruncatesOnRunes(t *testing.T) {
	_, _, err := engine.ApplyAnnotations(engine.DefaultConfig(), map[string]string{pre + "queue": "q", pre + "policy": strings.Repeat("é", 40)})
	if err == nil {
		t.Fatal("accepted")
	}
	if msg := err.Error(); engine.Printable(msg) != msg || !strings.Contains(msg, `é"...`) {
		t.Errorf("message %q is not cut on a character boundary", msg)
	}
}

// TestAnnotationKeys checks that every key AnnotationKeys lists is accepted
// and that every setting with a flag has one.
func TestAnnotationKeys(t *testing.T) {
	keys := engine.AnnotationKeys()
	for _, s := range engine.Settings() {
		if s.Flag && !slices.Contains(keys, pre+s.Name) {
			t.Errorf("setting %s has no annotation", s.Name)
		}
	}
	values := map[string]string{"queue-pattern": "x", "queue-combine": "max", "vhost": "v", "policy": "hpa-keda",
		"poll-interval": "30s", "scale-down-window": "1m", "count": "ready", "drain-within": "2m", "tolerance": "0.2", "idle-before-zero": "10m",
		"scale-in-wait-idle": "2m"}
	for _, k := range keys {
		if !strings.HasPrefix(k, pre) {
			t.Errorf("key %q lacks the prefix", k)
		}
		ann := map[string]string{pre + "queue": "q"}
		if k == pre+"queue-pattern" {
			ann = map[string]string{}
		}
		v, ok := values[strings.TrimPrefix(k, pre)]
		if !ok {
			v = "3"
		}
		ann[k] = v
		if _, _, err := engine.ApplyAnnotations(engine.DefaultConfig(), ann); err != nil {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}
