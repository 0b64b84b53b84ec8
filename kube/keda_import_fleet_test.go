package kube_test

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// TestFleetFromKEDARoundTrip exports fleet targets as ScaledObjects
// (manifests --keda --fleet) and turns them back into annotations
// (manifests --from-keda): the fleet reads the same queues and settings.
func TestFleetFromKEDARoundTrip(t *testing.T) {
	target := func(name string, qs engine.QueueSet, set func(c *engine.Config)) engine.Target {
		c := engine.DefaultConfig()
		c.Namespace, c.Deployment, c.Queue = "shop", name, qs.String()
		set(&c)
		return engine.Target{Namespace: "shop", Deployment: name, Config: c, Queues: qs}
	}
	targets := []engine.Target{
		target("one", engine.QueueSet{Names: []string{"orders"}}, func(c *engine.Config) {
			c.MinReplicas, c.MaxReplicas, c.TargetMessages, c.PollInterval = 2, 40, 250, 10*time.Second
			c.Count, c.VHost = engine.CountReady, "prod"
		}),
		target("list", engine.QueueSet{Names: []string{"a.b", "c+d"}, Combine: engine.CombineMax}, func(c *engine.Config) {
			c.ScaleDownWindow, c.Tolerance = 2*time.Minute, 0.2
		}),
		target("pattern", engine.QueueSet{Pattern: `jobs\.[0-9]+`}, func(c *engine.Config) {
			c.MinReplicas, c.ActivationMessages, c.IdleBeforeZero = 0, 5, 10*time.Minute
		}),
	}
	y, skipped, err := kube.KEDAFleetManifests(kube.ManifestOptions{}, targets)
	if err != nil || len(skipped) > 0 {
		t.Fatalf("export: %v, skipped %q", err, skipped)
	}
	var n int
	for _, obj := range decodeYAML(t, y) {
		if obj.GetKind() != "ScaledObject" {
			continue
		}
		var want engine.Target
		for _, tg := range targets {
			if tg.Deployment == obj.GetName() {
				want = tg
			}
		}
		f, err := kube.FleetFromScaledObject(obj, engine.DefaultConfig())
		if err != nil {
			t.Fatalf("%s: %v", obj.GetName(), err)
		}
		n++
		c, qs, err := engine.ApplyAnnotations(engine.DefaultConfig(), f.Annotations)
		if err != nil {
			t.Fatalf("%s: the fleet refuses %v: %v", obj.GetName(), f.Annotations, err)
		}
		c.Namespace, c.Deployment = f.Namespace, f.Deployment
		combine := func(q engine.QueueSet) engine.Combine { return max(q.Combine, engine.CombineSum) }
		if qs.String() != want.Queues.String() || combine(qs) != combine(want.Queues) {
			t.Errorf("%s: queues %v, want %v", obj.GetName(), qs, want.Queues)
		}
		for _, s := range engine.Settings() {
			if !s.Flag || s.Name == "queue" || s.Name == "policy" {
				continue
			}
			if got, w := s.Text(c), s.Text(want.Config); got != w {
				t.Errorf("%s: %s = %s, want %s", obj.GetName(), s.Name, got, w)
			}
		}
		if f.Namespace != "shop" || f.Deployment != want.Deployment || !f.Active {
			t.Errorf("%s: %+v", obj.GetName(), f)
		}
	}
	if n != len(targets) {
		t.Fatalf("%d ScaledObjects turned, want %d", n, len(targets))
	}
}

// TestFleetFromScaledObject covers what only KEDA writes: unanchored
// patterns (RabbitMQ finds them anywhere in a name), PCRE, operation avg,
// and names that would break a shell line.
func TestFleetFromScaledObject(t *testing.T) {
	so := func(name string, md map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
			"metadata": map[string]any{"name": name, "namespace": "ns", "annotations": map[string]any{"autoscaling.keda.sh/paused": "true"}},
			"spec": map[string]any{"scaleTargetRef": map[string]any{"name": "w"},
				"triggers": []any{map[string]any{"type": "rabbitmq", "metadata": md}}}}}
	}
	md := func(kv ...string) map[string]any {
		m := map[string]any{"mode": "QueueLength", "value": "20"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tt := range []struct {
		name    string
		md      map[string]any
		pattern string // queue-pattern wanted
		queue   string // or queue
		combine string
		err     string
	}{
		{"unanchored", md("queueName", "orders", "useRegex", "true"), ".*(?:orders).*", "", "sum", ""},
		{"a list exported by yeetscale", md("queueName", `^(?:a\.b|c\+d)$`, "useRegex", "true", "operation", "max"), "", "a.b,c+d", "max", ""},
		{"a pattern exported by yeetscale", md("queueName", `^(?:jobs\.[0-9]+)$`, "useRegex", "true"), `jobs\.[0-9]+`, "", "sum", ""},
		{"two anchors, not one group", md("queueName", `^(?:a)|(?:b)$`, "useRegex", "true"), `.*(?:^(?:a)|(?:b)$).*`, "", "sum", ""},
		{"avg", md("queueName", "q", "useRegex", "true", "operation", "avg"), "", "", "", "operation \"avg\" has no fleet equivalent"},
		{"PCRE only", md("queueName", `(?<=x)q`, "useRegex", "true"), "", "", "", "not a Go regular expression"},
		{"control characters", md("queueName", "q\x1b[2J\nrm -rf /"), "", "", "", "control character"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := kube.FleetFromScaledObject(so("so", tt.md), engine.DefaultConfig())
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || strings.ContainsAny(err.Error(), "\x1b\n") {
					t.Fatalf("err = %v, want %q, one line, escaped", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := f.Annotations
			if a[engine.AnnotationQueuePattern] != tt.pattern || a[engine.AnnotationQueue] != tt.queue || a[engine.AnnotationQueueCombine] != tt.combine || f.Active {
				t.Errorf("annotations %v (active %v), want pattern %q or queue %q, combine %q, paused", a, f.Active, tt.pattern, tt.queue, tt.combine)
			}
		})
	}

	// A queue name with a quote and spaces stays one shell word.
	f, err := kube.FleetFromScaledObject(so("so", md("queueName", "it's a queue; rm -rf /")), engine.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	script, err := kube.FleetFromKEDAScript([]kube.FleetFromKEDA{f})
	if err != nil {
		t.Fatal(err)
	}
	if want := `'yeetscale.yeeter.io/queue=it'\''s a queue; rm -rf /'`; !strings.Contains(string(script), want) ||
		!strings.Contains(string(script), "# paused: kubectl delete scaledobject --namespace ns so\n") {
		t.Fatalf("script lacks %s or the paused note:\n%s", want, script)
	}
	if _, err := kube.FleetFromKEDAScript(nil); err == nil {
		t.Error("an empty script is not an error")
	}
}
