package kube_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// fleetDeployment is one Deployment of a fleet export test: its namespace
// (index), name, team label and yeetscale annotations (without the prefix).
type fleetDeployment struct {
	ns   int
	name string
	team string
	ann  map[string]string
}

// createFleet creates the Deployments in the namespaces.
func createFleet(ctx context.Context, t *testing.T, cp *kubetest.ControlPlane, ns []string, ds []fleetDeployment) {
	t.Helper()
	for _, d := range ds {
		dep := kubetest.WorkloadDeployment(ns[d.ns], d.name, 1)
		dep.Labels["team"] = d.team
		dep.Annotations = map[string]string{}
		for k, v := range d.ann {
			dep.Annotations[engine.AnnotationPrefix+k] = v
		}
		if _, err := cp.Client.AppsV1().Deployments(ns[d.ns]).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// exportFleet are the Deployments of TestKEDAFleetManifestsAcceptedByKEDACRDs.
var exportFleet = []fleetDeployment{
	{0, "orders", "shop", map[string]string{"queue": "orders", "max-replicas": "40", "target-messages": "75", "count": "ready"}},
	{0, "mail", "shop", map[string]string{"queue": "mail.a, mail.b", "queue-combine": "max",
		"min-replicas": "0", "activation-messages": "5", "idle-before-zero": "10m"}},
	{0, "thumbs", "shop", map[string]string{"queue-pattern": `thumbs\..*`, "vhost": "media"}},
	{0, "broken", "shop", map[string]string{"queue": "x", "max-replicas": "lots"}},
	{0, "long-window", "shop", map[string]string{"queue": "y", "scale-down-window": "2h"}},
	{0, "plain", "shop", nil},
	{0, "other-team", "ops", map[string]string{"queue": "z"}},
	{1, "billing", "shop", map[string]string{"queue": "invoices"}},
}

// TestKEDAFleetManifestsAcceptedByKEDACRDs exports a fleet from its
// annotated Deployments on the apiserver with KEDA v2.21.0's CRDs: across
// namespaces (-A) narrowed by a label, one ScaledObject per valid target
// and a TriggerAuthentication per namespace, every one accepted by a
// strict server-side dry run; the annotations' settings, queue lists and
// patterns land in the trigger; invalid annotations and a window the HPA
// cannot hold are skipped, each named; -n keeps to one namespace.
func TestKEDAFleetManifestsAcceptedByKEDACRDs(t *testing.T) {
	cp := kubetest.WithKEDA(t)
	ns := []string{cp.Namespace(t), cp.Namespace(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dyn := dynClient(t, cp)
	createFleet(ctx, t, cp, ns, exportFleet)
	defaults := engine.DefaultConfig()

	targets, err := kube.FleetTargets(ctx, cp.Config, "", "team=shop", defaults)
	if err != nil {
		t.Fatal(err)
	}
	y, skipped, err := kube.KEDAFleetManifests(kube.ManifestOptions{}, targets)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 2 || !strings.Contains(skipped[0], ns[0]+"/broken") || !strings.Contains(skipped[1], ns[0]+"/long-window: manifests --keda: --scale-down-window 2h0m0s") {
		t.Errorf("skipped %q; want broken and long-window, named", skipped)
	}
	objs := decodeYAML(t, y)
	byName := map[string]*unstructured.Unstructured{}
	var auths int
	for _, obj := range objs {
		if err := dryRunApply(ctx, dyn, obj); err != nil {
			t.Errorf("%s %s/%s refused by KEDA's CRD: %v", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
		}
		if obj.GetKind() == "TriggerAuthentication" {
			auths++
			continue
		}
		byName[obj.GetName()] = obj
	}
	if auths != 2 || len(byName) != 4 || byName["orders"] == nil || byName["mail"] == nil || byName["thumbs"] == nil || byName["billing"] == nil {
		t.Fatalf("%d TriggerAuthentications and ScaledObjects %v; want 2 and orders, mail, thumbs, billing:\n%s", auths, keys(byName), y)
	}
	md := func(so *unstructured.Unstructured, k string) string {
		trig, _, _ := unstructured.NestedSlice(so.Object, "spec", "triggers")
		v, _, _ := unstructured.NestedString(trig[0].(map[string]any), "metadata", k)
		return v
	}
	num := func(so *unstructured.Unstructured, k string) string {
		v, _, _ := unstructured.NestedFieldNoCopy(so.Object, "spec", k)
		return fmt.Sprint(v)
	}
	for _, c := range []struct{ what, got, want string }{
		{"orders queue", md(byName["orders"], "queueName"), "orders"},
		{"orders value", md(byName["orders"], "value"), "75"},
		{"orders --count ready", md(byName["orders"], "excludeUnacknowledged"), "true"},
		{"orders regex", md(byName["orders"], "useRegex"), ""},
		{"mail queues", md(byName["mail"], "queueName"), `^(?:mail\.a|mail\.b)$`},
		{"mail regex", md(byName["mail"], "useRegex"), "true"},
		{"mail combine", md(byName["mail"], "operation"), "max"},
		{"mail activation", md(byName["mail"], "activationValue"), "5"},
		{"thumbs pattern", md(byName["thumbs"], "queueName"), `^(?:thumbs\..*)$`},
		{"thumbs combine", md(byName["thumbs"], "operation"), "sum"},
		{"thumbs vhost", md(byName["thumbs"], "vhostName"), "media"},
		{"billing namespace", byName["billing"].GetNamespace(), ns[1]},
		{"billing auth", md(byName["billing"], "host"), kube.DefaultRabbitURL},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if num(byName["orders"], "maxReplicaCount") != "40" || num(byName["mail"], "minReplicaCount") != "0" || num(byName["mail"], "cooldownPeriod") != "600" {
		t.Errorf("orders max %s (want 40), mail min %s (0), cooldown %s (600)", num(byName["orders"], "maxReplicaCount"),
			num(byName["mail"], "minReplicaCount"), num(byName["mail"], "cooldownPeriod"))
	}

	// -n: one namespace, no selector.
	targets, err = kube.FleetTargets(ctx, cp.Config, ns[1], "", defaults)
	if err != nil || len(targets) != 1 || targets[0].Deployment != "billing" {
		t.Errorf("namespace %s: %v, %v; want billing only", ns[1], targets, err)
	}
}

func keys(m map[string]*unstructured.Unstructured) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
