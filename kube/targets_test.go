package kube

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/yeeter/yeetscale/engine"
)

// deployment returns a Deployment ns/name at replicas with labels and
// annotations (nil for none).
func deployment(ns, name string, replicas int32, lbl, ann map[string]string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("uid-" + ns + "-" + name), Labels: lbl, Annotations: ann,
			ResourceVersion: "1"},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "w", Image: "registry.invalid/w"}}}}},
		Status: appsv1.DeploymentStatus{Replicas: replicas, ReadyReplicas: replicas},
	}
}

// queue returns the annotations of a target on queue q plus extra pairs.
func queue(q string, kv ...string) map[string]string {
	m := map[string]string{engine.AnnotationQueue: q}
	for i := 0; i+1 < len(kv); i += 2 {
		m[engine.AnnotationPrefix+kv[i]] = kv[i+1]
	}
	return m
}

// fleetObjects are the estate of the unit tests: three targets in shop (one
// with a bad annotation), one unannotated Deployment, one target in batch.
func fleetObjects() []runtime.Object {
	return []runtime.Object{
		deployment("shop", "orders", 2, map[string]string{"tier": "web"}, queue("orders", "max-replicas", "7")),
		deployment("shop", "mail", 1, map[string]string{"tier": "batch"}, queue("mail")),
		deployment("shop", "broken", 1, map[string]string{"tier": "web"}, queue("x", "max-replicas", "lots")),
		deployment("shop", "plain", 3, map[string]string{"tier": "web"}, nil),
		deployment("batch", "reports", 1, nil, map[string]string{engine.AnnotationQueuePattern: "reports\\..*"}),
	}
}

// startFake starts a TargetInformer on a fake clientset holding objs and
// waits for its sync.
func startFake(t *testing.T, o TargetInformerOptions, objs ...runtime.Object) (*TargetInformer, *fake.Clientset) {
	t.Helper()
	client := fake.NewClientset(objs...)
	o.Dynamic = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{ScaledObjectResource: "ScaledObjectList"})
	if o.Defaults.PollInterval == 0 {
		o.Defaults = engine.DefaultConfig()
	}
	ti, err := NewTargetInformer(client, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); ti.Shutdown() })
	ti.Start(ctx)
	if err := ti.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	return ti, client
}

func keys(ts []engine.Target) string {
	var out []string
	for _, tg := range ts {
		s := tg.Key()
		if tg.Err != nil {
			s += "!"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestTargetInformerDiscovers(t *testing.T) {
	tests := []struct {
		name      string
		namespace string
		selector  string
		want      string // keys, sorted; "!" marks a target with Err
	}{
		{"one namespace", "shop", "", "shop/broken! shop/mail shop/orders"},
		{"all namespaces", "", "", "batch/reports shop/broken! shop/mail shop/orders"},
		{"selector", "shop", "tier=web", "shop/broken! shop/orders"},
		{"selector across namespaces", "", "tier!=web", "batch/reports shop/mail"},
		{"empty namespace", "nothing", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti, _ := startFake(t, TargetInformerOptions{Namespace: tt.namespace, Selector: tt.selector}, fleetObjects()...)
			got := ti.Targets()
			if keys(got) != tt.want {
				t.Fatalf("targets = %q, want %q", keys(got), tt.want)
			}
			for _, tg := range got {
				switch {
				case tg.Err != nil && (tg.Scaler != nil || tg.Memory != nil):
					t.Errorf("%s: an invalid target has a Scaler", tg.Key())
				case tg.Err != nil && !strings.Contains(tg.Err.Error(), "max-replicas") ||
					tg.Err != nil && !strings.Contains(tg.Err.Error(), tg.Key()):
					t.Errorf("%s: error %q names neither the annotation nor the deployment", tg.Key(), tg.Err)
				case tg.Err == nil && (tg.Scaler == nil || tg.Memory == nil):
					t.Errorf("%s: no Scaler", tg.Key())
				case tg.Config.Namespace != tg.Namespace || tg.Config.Deployment != tg.Deployment:
					t.Errorf("%s: Config names %s/%s", tg.Key(), tg.Config.Namespace, tg.Config.Deployment)
				}
				if tg.Key() == "shop/orders" && (tg.Config.MaxReplicas != 7 || fmt.Sprint(tg.Queues.Names) != "[orders]") {
					t.Errorf("shop/orders: max %d queues %v, want 7 [orders]", tg.Config.MaxReplicas, tg.Queues.Names)
				}
				if tg.Key() == "batch/reports" && tg.Queues.Pattern != `reports\..*` {
					t.Errorf("batch/reports: pattern %q", tg.Queues.Pattern)
				}
			}
		})
	}
}

// waitChanged fails unless Changed fires within a few seconds.
func waitChanged(t *testing.T, ti *TargetInformer) {
	t.Helper()
	select {
	case <-ti.Changed():
	case <-time.After(5 * time.Second):
		t.Fatal("Changed did not fire")
	}
}

// drain empties Changed.
func drain(ti *TargetInformer) {
	select {
	case <-ti.Changed():
	default:
	}
}

// update applies change to ns/name through the clientset.
func update(t *testing.T, client *fake.Clientset, ns, name string, change func(d *appsv1.Deployment)) {
	t.Helper()
	ctx := context.Background()
	d, err := client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	change(d)
	d.ResourceVersion = fmt.Sprint(time.Now().UnixNano()) // the fake tracker keeps what it is given
	if _, err := client.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestTargetInformerFollowsChanges(t *testing.T) {
	tests := []struct {
		name    string
		change  func(d *appsv1.Deployment)
		changed bool
		want    string // keys after the change
		max     int32  // shop/orders' MaxReplicas after the change (0: not a target)
	}{
		{"a setting annotation", func(d *appsv1.Deployment) { d.Annotations[engine.AnnotationPrefix+"max-replicas"] = "9" }, true,
			"shop/broken! shop/mail shop/orders", 9},
		{"spec.replicas", func(d *appsv1.Deployment) { r := int32(5); d.Spec.Replicas = &r }, true,
			"shop/broken! shop/mail shop/orders", 7},
		{"status.readyReplicas", func(d *appsv1.Deployment) { d.Status.ReadyReplicas = 0 }, true,
			"shop/broken! shop/mail shop/orders", 7},
		{"the queue annotation removed", func(d *appsv1.Deployment) { delete(d.Annotations, engine.AnnotationQueue) }, true,
			"shop/broken! shop/mail", 0},
		{"becomes invalid", func(d *appsv1.Deployment) { d.Annotations[engine.AnnotationPrefix+"max-replicas"] = "-" }, true,
			"shop/broken! shop/mail shop/orders!", 0},
		{"another annotation", func(d *appsv1.Deployment) { d.Annotations["example.com/owner"] = "team-a" }, false,
			"shop/broken! shop/mail shop/orders", 7},
		{"yeetscale's own record", func(d *appsv1.Deployment) { d.Annotations[AnnotationLastScale] = `{"replicas":3}` }, false,
			"shop/broken! shop/mail shop/orders", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti, client := startFake(t, TargetInformerOptions{Namespace: "shop"}, fleetObjects()...)
			before := ti.Targets()
			drain(ti)
			n := ti.delivered.Load()
			update(t, client, "shop", "orders", tt.change)
			deadline := time.Now().Add(5 * time.Second)
			for ti.delivered.Load() == n && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			got := false
			select {
			case <-ti.Changed():
				got = true
			default:
			}
			if got != tt.changed {
				t.Errorf("Changed fired = %v, want %v", got, tt.changed)
			}
			after := ti.Targets()
			if keys(after) != tt.want {
				t.Fatalf("targets = %q, want %q", keys(after), tt.want)
			}
			for i, tg := range after {
				if tg.Key() != "shop/orders" || tg.Err != nil {
					continue
				}
				if tg.Config.MaxReplicas != tt.max {
					t.Errorf("MaxReplicas = %d, want %d", tg.Config.MaxReplicas, tt.max)
				}
				if tg.Scaler != before[i].Scaler {
					t.Error("the target's Scaler was replaced: its Event series would be lost")
				}
			}
		})
	}
}

func TestTargetInformerDelete(t *testing.T) {
	ti, client := startFake(t, TargetInformerOptions{Namespace: "shop"}, fleetObjects()...)
	drain(ti)
	if err := client.AppsV1().Deployments("shop").Delete(context.Background(), "mail", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitChanged(t, ti)
	if got, want := keys(ti.Targets()), "shop/broken! shop/orders"; got != want {
		t.Fatalf("targets = %q, want %q", got, want)
	}
	// Created again: a new target, with a new Scaler.
	if _, err := client.AppsV1().Deployments("shop").Create(context.Background(),
		deployment("shop", "mail", 1, nil, queue("mail2")), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitChanged(t, ti)
	if got, want := keys(ti.Targets()), "shop/broken! shop/mail shop/orders"; got != want {
		t.Fatalf("targets = %q, want %q", got, want)
	}
}

func TestTargetInformerOptionsRefused(t *testing.T) {
	tests := []struct {
		name string
		o    TargetInformerOptions
		want string
	}{
		{"bad selector", TargetInformerOptions{Selector: "tier in (web", Force: true}, "invalid -l/--selector"},
		{"control characters in the selector", TargetInformerOptions{Selector: "a=\x1b[2J", Force: true}, `\x1b`},
		{"no dynamic client for the guard", TargetInformerOptions{}, "dynamic client"},
		{"bad namespace", TargetInformerOptions{Namespace: "Shop\n", Force: true}, `invalid --namespace "Shop\n"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTargetInformer(fake.NewClientset(), tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.ContainsAny(err.Error(), "\x1b\n") {
				t.Fatalf("err = %v, want one line with %q", err, tt.want)
			}
		})
	}
}

func TestSlimKeepsWhatTargetsNeed(t *testing.T) {
	d := deployment("shop", "orders", 2, map[string]string{"tier": "web"}, queue("orders", "max-replicas", "7"))
	d.Annotations["kubectl.kubernetes.io/last-applied-configuration"] = strings.Repeat("x", 10000)
	d.Annotations[AnnotationMemory] = "remembered"
	d.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	obj, err := slim(d)
	if err != nil {
		t.Fatal(err)
	}
	s := obj.(*appsv1.Deployment)
	if len(s.Annotations) != 3 || s.Annotations[engine.AnnotationQueue] != "orders" || s.Annotations[AnnotationMemory] != "remembered" || s.ManagedFields != nil ||
		len(s.Spec.Template.Spec.Containers) != 0 || *s.Spec.Replicas != 2 || s.Status.ReadyReplicas != 2 ||
		s.ResourceVersion != "1" || s.Labels["tier"] != "web" {
		t.Errorf("slim = %+v", s)
	}
}

// TestTargetInformerResyncIsQuiet: a resync re-delivers every Deployment
// unchanged; it must not signal Changed (the fleet would rebuild for
// nothing every period).
func TestTargetInformerResyncIsQuiet(t *testing.T) {
	ti, _ := startFake(t, TargetInformerOptions{Namespace: "shop", ResyncPeriod: time.Second}, fleetObjects()...)
	drain(ti)
	n := ti.delivered.Load()
	deadline := time.Now().Add(5 * time.Second)
	for ti.delivered.Load() < n+4 && time.Now().Before(deadline) { // one resync of the namespace's 4
		time.Sleep(10 * time.Millisecond)
	}
	if ti.delivered.Load() < n+4 {
		t.Fatal("no resync within 5 s")
	}
	select {
	case <-ti.Changed():
		t.Error("a resync signalled Changed")
	default:
	}
}
