package kube_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// TestImportScaledObject creates ScaledObjects on the apiserver with
// KEDA's real CRDs and imports them: the export of a Config imports back
// to the same settings; KEDA's defaults fill what a minimal ScaledObject
// leaves out (cooldownPeriod as --idle-before-zero with minReplicaCount
// 0); activationValue becomes --activation-messages; other triggers are
// noted; a paused one is not active; a
// MessageRate trigger, a missing object and a missing trigger are errors.
func TestImportScaledObject(t *testing.T) {
	cp := kubetest.WithKEDA(t)
	ns := cp.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dyn := dynClient(t, cp)
	create := func(obj *unstructured.Unstructured) {
		t.Helper()
		obj.SetNamespace(ns)
		if _, err := dyn.Resource(kube.ScaledObjectResource).Namespace(ns).Create(ctx, obj, metav1.CreateOptions{FieldValidation: "Strict"}); err != nil {
			t.Fatalf("creating %s: %v", obj.GetName(), err)
		}
	}

	// Round trip: export, create, import, with and without scale to zero.
	roundTrip := func(name string, set func(c *engine.Config)) {
		t.Helper()
		want := engine.DefaultConfig()
		want.Namespace, want.Deployment, want.Queue, want.VHost = ns, name, "orders", "shop"
		want.MaxReplicas, want.TargetMessages = 40, 75
		want.PollInterval, want.ScaleDownWindow, want.Tolerance, want.Count = 5*time.Second, 90*time.Second, 0.05, engine.CountReady
		set(&want)
		objs, err := kube.KEDAObjects(kube.ManifestOptions{Namespace: ns, Deployment: want.Deployment, Queue: want.Queue, VHost: want.VHost}, want)
		if err != nil {
			t.Fatal(err)
		}
		create(objs[1])
		imp, err := kube.ImportScaledObject(ctx, dyn, ns, name, engine.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		if imp.Config != want || !imp.Active || len(imp.Notes) != 0 || imp.Name != name {
			t.Errorf("round trip %s:\n got %+v active %v notes %q name %q\nwant %+v", name, imp.Config, imp.Active, imp.Notes, imp.Name, want)
		}
	}
	roundTrip("order-worker", func(c *engine.Config) { c.MinReplicas = 2 })
	roundTrip("sleepy-worker", func(c *engine.Config) {
		c.MinReplicas, c.ActivationMessages, c.IdleBeforeZero = 0, 5, 10*time.Minute
	})

	so := func(name string, ann map[string]any, triggers ...any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
			"metadata": map[string]any{"name": name, "annotations": ann},
			"spec":     map[string]any{"scaleTargetRef": map[string]any{"name": "w"}, "triggers": triggers},
		}}
	}
	rabbit := func(md map[string]any) map[string]any { return map[string]any{"type": "rabbitmq", "metadata": md} }
	cron := map[string]any{"type": "cron", "metadata": map[string]any{"timezone": "UTC", "start": "0 8 * * *", "end": "0 18 * * *", "desiredReplicas": "5"}}
	create(so("minimal", nil, cron, rabbit(map[string]any{"queueName": "q1", "mode": "QueueLength", "value": "20", "activationValue": "3"})))
	cool := so("cool", nil, rabbit(map[string]any{"queueName": "q1", "mode": "QueueLength", "value": "20", "activationValue": "2.5"}))
	unstructured.SetNestedField(cool.Object, int64(0), "spec", "cooldownPeriod")
	create(cool)
	above := so("above-zero", nil, rabbit(map[string]any{"queueName": "q1", "mode": "QueueLength", "value": "20"}))
	unstructured.SetNestedField(above.Object, int64(120), "spec", "cooldownPeriod")
	unstructured.SetNestedField(above.Object, int64(1), "spec", "minReplicaCount")
	create(above)
	create(so("paused", map[string]any{"autoscaling.keda.sh/paused": "true"}, rabbit(map[string]any{"queueName": "q1", "queueLength": "10"})))
	create(so("rate", nil, rabbit(map[string]any{"queueName": "q1", "mode": "MessageRate", "value": "100"})))
	create(so("cron-only", nil, cron))

	imp, err := kube.ImportScaledObject(ctx, dyn, ns, "minimal", engine.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	c := imp.Config
	if c.Deployment != "w" || c.Queue != "q1" || c.VHost != "/" || c.TargetMessages != 20 || c.ActivationMessages != 3 ||
		c.MinReplicas != 0 || c.MaxReplicas != 100 || c.PollInterval != 30*time.Second || c.ScaleDownWindow != 300*time.Second || c.Tolerance != 0.1 ||
		c.IdleBeforeZero != 300*time.Second {
		t.Errorf("minimal: KEDA's defaults not applied: %+v", c)
	}
	if len(imp.Notes) != 1 || !strings.Contains(imp.Notes[0], `"cron"`) {
		t.Errorf("minimal: notes %q, want the cron trigger named", imp.Notes)
	}
	// cooldownPeriod 0 is KEDA's "at once": yeetscale's shortest, noted;
	// activationValue 2.5 wakes at 3 messages, as more than 2.
	imp, err = kube.ImportScaledObject(ctx, dyn, ns, "cool", engine.DefaultConfig())
	if err != nil || imp.Config.IdleBeforeZero != time.Second || imp.Config.ActivationMessages != 2 || len(imp.Notes) != 2 {
		t.Errorf("cool: %+v, %v; want --idle-before-zero 1s, --activation-messages 2, both noted", imp, err)
	}
	// Above zero, cooldownPeriod means nothing to KEDA: the base's idle
	// time stays.
	base := engine.DefaultConfig()
	base.IdleBeforeZero = 42 * time.Second
	imp, err = kube.ImportScaledObject(ctx, dyn, ns, "above-zero", base)
	if err != nil || imp.Config.IdleBeforeZero != 42*time.Second || imp.Config.MinReplicas != 1 {
		t.Errorf("above-zero: %+v, %v; want min 1 and the base's --idle-before-zero 42s", imp, err)
	}
	imp, err = kube.ImportScaledObject(ctx, dyn, ns, "paused", engine.DefaultConfig())
	if err != nil || imp.Active || imp.Config.TargetMessages != 10 {
		t.Errorf("paused: %+v, %v; want not active, target 10 from the deprecated queueLength", imp, err)
	}
	for name, want := range map[string]string{
		"rate":      "mode QueueLength",
		"cron-only": "has no rabbitmq trigger",
		"missing":   "not found",
		"Bad_Name":  "not a valid name",
	} {
		if _, err := kube.ImportScaledObject(ctx, dyn, ns, name, engine.DefaultConfig()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", name, err, want)
		}
	}
}
