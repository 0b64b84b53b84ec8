package kube_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// TestKEDAFleetManifests exports targets as fleet mode builds them: queue
// sets become the trigger's queueName (a regular expression of the
// names, quoted, or of the pattern, anchored, with useRegex and the
// combine as operation); one TriggerAuthentication per namespace; a
// target with an error or without a KEDA equivalent is skipped, named and
// escaped; with none left it is an error.
func TestKEDAFleetManifests(t *testing.T) {
	target := func(ns, name string, qs engine.QueueSet, set func(c *engine.Config)) engine.Target {
		c := engine.DefaultConfig()
		c.Namespace, c.Deployment, c.Queue = ns, name, qs.String()
		if set != nil {
			set(&c)
		}
		return engine.Target{Namespace: ns, Deployment: name, Config: c, Queues: qs}
	}
	broken := engine.Target{Namespace: "a", Deployment: "evil", Err: errors.New("deployment a/evil: invalid annotation \x1b[2J")}
	long := target("a", "long", engine.QueueSet{Names: []string{"l"}}, func(c *engine.Config) { c.ScaleDownWindow = 2 * time.Hour })
	for _, tt := range []struct {
		name    string
		targets []engine.Target
		queues  map[string][3]string // ScaledObject -> queueName, useRegex, operation
		auths   []string             // TriggerAuthentications' namespaces
		skipped []string
	}{
		{"one queue each, two namespaces", []engine.Target{
			target("a", "w1", engine.QueueSet{Names: []string{"q1"}}, nil),
			target("a", "w2", engine.QueueSet{Names: []string{"q2"}}, nil),
			target("b", "w3", engine.QueueSet{Names: []string{"q3"}}, nil),
		}, map[string][3]string{"w1": {"q1"}, "w2": {"q2"}, "w3": {"q3"}}, []string{"a", "b"}, nil},
		{"lists and patterns", []engine.Target{
			target("a", "sum", engine.QueueSet{Names: []string{"a.b", "c+d"}}, nil),
			target("a", "max", engine.QueueSet{Names: []string{"x", "y"}, Combine: engine.CombineMax}, nil),
			target("a", "re", engine.QueueSet{Pattern: `jobs\.[0-9]+`, Combine: engine.CombineSum}, nil),
		}, map[string][3]string{
			"sum": {`^(?:a\.b|c\+d)$`, "true", "sum"},
			"max": {`^(?:x|y)$`, "true", "max"},
			"re":  {`^(?:jobs\.[0-9]+)$`, "true", "sum"},
		}, []string{"a"}, nil},
		{"skipped", []engine.Target{broken, target("b", "ok", engine.QueueSet{Names: []string{"q"}}, nil), long},
			map[string][3]string{"ok": {"q"}}, []string{"b"},
			[]string{`deployment a/evil: invalid annotation \x1b[2J`, "deployment a/long: manifests --keda: --scale-down-window 2h0m0s is longer than the HPA's limit"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			y, skipped, err := kube.KEDAFleetManifests(kube.ManifestOptions{}, tt.targets)
			if err != nil {
				t.Fatal(err)
			}
			if len(skipped) != len(tt.skipped) {
				t.Fatalf("skipped %q, want %q", skipped, tt.skipped)
			}
			for i, s := range tt.skipped {
				if !strings.HasPrefix(skipped[i], s) || strings.ContainsAny(skipped[i], "\x1b\n") {
					t.Errorf("skipped %q, want %q escaped", skipped[i], s)
				}
			}
			var auths []string
			got := map[string][3]string{}
			for _, obj := range decodeYAML(t, y) {
				if obj.GetKind() == "TriggerAuthentication" {
					auths = append(auths, obj.GetNamespace())
					if obj.GetName() != "yeetscale-rabbitmq" {
						t.Errorf("TriggerAuthentication %s, want yeetscale-rabbitmq", obj.GetName())
					}
					continue
				}
				trig, _, _ := unstructured.NestedSlice(obj.Object, "spec", "triggers")
				md := trig[0].(map[string]any)["metadata"].(map[string]any)
				str := func(k string) string { s, _ := md[k].(string); return s }
				got[obj.GetName()] = [3]string{str("queueName"), str("useRegex"), str("operation")}
				if ref, _, _ := unstructured.NestedString(trig[0].(map[string]any), "authenticationRef", "name"); ref != "yeetscale-rabbitmq" {
					t.Errorf("%s: authenticationRef %q", obj.GetName(), ref)
				}
			}
			if strings.Join(auths, ",") != strings.Join(tt.auths, ",") || len(got) != len(tt.queues) {
				t.Errorf("TriggerAuthentications in %q (want %q), ScaledObjects %v (want %v)", auths, tt.auths, got, tt.queues)
			}
			for name, want := range tt.queues {
				if got[name] != want {
					t.Errorf("%s: queueName, useRegex, operation = %q, want %q", name, got[name], want)
				}
			}
		})
	}

	_, skipped, err := kube.KEDAFleetManifests(kube.ManifestOptions{}, []engine.Target{broken, long})
	if err == nil || !strings.Contains(err.Error(), "no Deployment to export: 2 annotated, 2 skipped") || len(skipped) != 2 {
		t.Errorf("all skipped: err %v, skipped %q; want an error naming the counts", err, skipped)
	}
	if _, _, err := kube.KEDAFleetManifests(kube.ManifestOptions{}, nil); err == nil || !strings.Contains(err.Error(), "0 annotated") {
		t.Errorf("no targets: err %v", err)
	}
}
