package kube_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// createTarget creates Deployment ns/name (one replica, no pods) with
// labels and annotations.
func createTarget(t *testing.T, cp *kubetest.ControlPlane, ns, name string, lbl, ann map[string]string) {
	t.Helper()
	d := kubetest.WorkloadDeployment(ns, name, 1)
	d.Annotations = ann
	for k, v := range lbl {
		d.Labels[k] = v
	}
	if _, err := cp.Client.AppsV1().Deployments(ns).Create(testCtx(t), d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// startInformer starts a TargetInformer on cfg and waits for its sync.
func startInformer(t *testing.T, cfg *rest.Config, o kube.TargetInformerOptions) *kube.TargetInformer {
	t.Helper()
	o.Defaults = engine.DefaultConfig()
	o.Identity = "test-" + t.Name()
	o.Warn = func(err error) { t.Logf("warning: %v", err) }
	ti, err := kube.NewTargetInformerForConfig(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); ti.Shutdown() })
	ti.Start(ctx)
	if err := ti.WaitForSync(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	return ti
}

// targetKeys lists the targets in namespaces (all when none), "!" marking
// a target with an error.
func targetKeys(ts []engine.Target, namespaces ...string) string {
	var out []string
	for _, tg := range ts {
		if len(namespaces) > 0 && !slices.Contains(namespaces, tg.Namespace) {
			continue
		}
		k := tg.Key()
		if tg.Err != nil {
			k += "!"
		}
		out = append(out, k)
	}
	return strings.Join(out, " ")
}

// queueAnn returns the annotations of a target on queue q plus extra
// setting=value pairs.
func queueAnn(q string, kv ...string) map[string]string {
	m := map[string]string{engine.AnnotationQueue: q}
	for i := 0; i+1 < len(kv); i += 2 {
		m[engine.AnnotationPrefix+kv[i]] = kv[i+1]
	}
	return m
}

// TestTargetInformerOnTheAPIServer: three annotated Deployments, one with a
// bad annotation and one unannotated in a namespace, one more target in a
// second namespace; followed in one namespace, in all, by label; and an
// annotation change picked up within seconds, without a restart.
func TestTargetInformerOnTheAPIServer(t *testing.T) {
	cp := kubetest.Shared(t)
	ns, ns2 := cp.Namespace(t), cp.Namespace(t)
	mark := map[string]string{"fleet-test": ns} // tells this test's Deployments from other tests'
	web := map[string]string{"fleet-test": ns, "tier": "web"}
	createTarget(t, cp, ns, "orders", web, queueAnn("orders", "max-replicas", "7"))
	createTarget(t, cp, ns, "mail", mark, queueAnn("mail,mail.retry", "queue-combine", "max"))
	createTarget(t, cp, ns, "reports", web, map[string]string{engine.AnnotationQueuePattern: `reports\..*`})
	createTarget(t, cp, ns, "broken", web, queueAnn("x", "max-replicas", "lots"))
	createTarget(t, cp, ns, "plain", web, nil)
	createTarget(t, cp, ns2, "billing", web, queueAnn("billing"))

	tests := []struct {
		name      string
		o         kube.TargetInformerOptions
		want      string
		namespace []string // the namespaces to look at (an -A informer sees other tests' too)
	}{
		{"one namespace", kube.TargetInformerOptions{Namespace: ns},
			fmt.Sprintf("%[1]s/broken! %[1]s/mail %[1]s/orders %[1]s/reports", ns), nil},
		{"all namespaces", kube.TargetInformerOptions{},
			fmt.Sprintf("%[1]s/broken! %[1]s/mail %[1]s/orders %[1]s/reports %[2]s/billing", ns, ns2), []string{ns, ns2}},
		{"label selector, all namespaces", kube.TargetInformerOptions{Selector: "tier=web,fleet-test=" + ns},
			fmt.Sprintf("%[1]s/broken! %[1]s/orders %[1]s/reports %[2]s/billing", ns, ns2), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti := startInformer(t, cp.Config, tt.o)
			targets := ti.Targets()
			want := strings.Fields(tt.want)
			slices.Sort(want) // the namespaces' generated names decide the order
			if got := targetKeys(targets, tt.namespace...); got != strings.Join(want, " ") {
				t.Fatalf("targets\n  %s\nwant\n  %s", got, strings.Join(want, " "))
			}
			for _, tg := range targets {
				if tg.Key() == ns+"/broken" && !strings.Contains(tg.Err.Error(), "max-replicas") {
					t.Errorf("broken: %v, want the annotation named", tg.Err)
				}
				if tg.Key() == ns+"/mail" && (tg.Queues.Combine != engine.CombineMax || len(tg.Queues.Names) != 2) {
					t.Errorf("mail: queues %+v", tg.Queues)
				}
			}
		})
	}

	t.Run("annotation change without a restart", func(t *testing.T) {
		ti := startInformer(t, cp.Config, kube.TargetInformerOptions{Namespace: ns})
		select {
		case <-ti.Changed():
		default:
		}
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"12"}}}`, engine.AnnotationPrefix+"max-replicas")
		began := time.Now()
		if _, err := cp.Client.AppsV1().Deployments(ns).Patch(testCtx(t), "orders", types.MergePatchType, []byte(patch),
			metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ti.Changed():
		case <-time.After(10 * time.Second):
			t.Fatal("Changed did not fire within 10 s of the annotation change")
		}
		took := time.Since(began)
		for _, tg := range ti.Targets() {
			if tg.Key() == ns+"/orders" && tg.Config.MaxReplicas != 12 {
				t.Errorf("orders: MaxReplicas %d after the change, want 12", tg.Config.MaxReplicas)
			}
		}
		t.Logf("annotation change to Changed: %s", took.Round(time.Millisecond))
		if took > 5*time.Second {
			t.Errorf("the change took %s to arrive, want seconds at most", took)
		}
	})
}

// TestFleetManifestsOnTheAPIServer applies `manifests --fleet` and
// `--fleet -A`, checks the ServiceAccount's rights with
// SubjectAccessReviews, and runs the informer, a scale change and the
// Lease with a token of that ServiceAccount.
func TestFleetManifestsOnTheAPIServer(t *testing.T) {
	tests := []struct {
		name string
		all  bool
	}{
		{"one namespace", false},
		{"all namespaces", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cp := kubetest.Shared(t)
			ns, other := cp.Namespace(t), cp.Namespace(t)
			ctx := testCtx(t)
			for _, n := range []string{ns, other} {
				if _, err := kubetest.CreateAnnotatedDeployments(ctx, cp.Client, n, 2, func(i int) map[string]string {
					return queueAnn(fmt.Sprintf("q%d", i))
				}); err != nil {
					t.Fatal(err)
				}
			}
			keda, err := kube.HasKEDA(ctx, cp.Client.Discovery())
			if err != nil {
				t.Fatal(err)
			}
			objs, err := kube.ManifestObjects(kube.ManifestOptions{Namespace: ns, Fleet: true, AllNamespaces: tt.all, KEDA: keda,
				Image: kube.ImageRepository + ":v0.0.0-test"})
			if err != nil {
				t.Fatal(err)
			}
			applyObjects(t, cp, objs)

			sa := "system:serviceaccount:" + ns + ":" + kube.DefaultManifestName
			groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
			waitAllowed(t, cp, sa, groups, authorizationv1.ResourceAttributes{Namespace: ns, Verb: "list", Group: "apps", Resource: "deployments"})
			dep := kubetest.FleetDeploymentName(1)
			checks := []struct {
				verb, group, resource, sub, name string
				allowed                          bool
			}{
				{"list", "apps", "deployments", "", "", true},
				{"watch", "apps", "deployments", "", "", true},
				{"get", "apps", "deployments", "", dep, true},
				{"patch", "apps", "deployments", "", dep, true},
				{"get", "apps", "deployments", "scale", dep, true},
				{"update", "apps", "deployments", "scale", dep, true},
				{"create", "", "events", "", "", true},
				{"patch", "", "events", "", "", true},
				{"list", "autoscaling", "horizontalpodautoscalers", "", "", true},
				{"list", "", "pods", "", "", true},
				{"patch", "", "pods", "", "w-1", true},
				// What it does not need.
				{"delete", "", "pods", "", "w-1", false},
				{"update", "", "pods", "", "w-1", false},
				{"delete", "apps", "deployments", "", dep, false},
				{"update", "apps", "deployments", "", dep, false},
				{"create", "apps", "deployments", "", "", false},
				{"patch", "apps", "deployments", "scale", dep, false},
				{"get", "", "secrets", "", "yeeter-secrets", false},
				{"list", "", "secrets", "", "", false},
				{"create", "", "pods", "", "", false},
				{"list", "apps", "replicasets", "", "", false},
				{"watch", "autoscaling", "horizontalpodautoscalers", "", "", false},
				{"update", "coordination.k8s.io", "leases", "", "someone-elses-lease", false},
			}
			for _, c := range checks {
				for _, n := range []string{ns, other} {
					// In another namespace, only -A grants anything.
					checkAccess(t, cp, sa, groups, authorizationv1.ResourceAttributes{Namespace: n, Verb: c.verb, Group: c.group,
						Resource: c.resource, Subresource: c.sub, Name: c.name}, c.allowed && (n == ns || tt.all))
				}
			}
			checkAccess(t, cp, sa, groups, authorizationv1.ResourceAttributes{Namespace: other, Verb: "get",
				Group: "coordination.k8s.io", Resource: "leases", Name: "yeetscale-fleet"}, false)

			token, err := cp.ServiceAccountToken(ctx, ns, kube.DefaultManifestName)
			if err != nil {
				t.Fatal(err)
			}
			asSA := cp.ConfigForToken(token)
			watched := ns
			if tt.all {
				watched = ""
			} else {
				checkForbiddenAllNamespaces(t, asSA)
			}
			ti := startInformer(t, asSA, kube.TargetInformerOptions{Namespace: watched})
			want := fmt.Sprintf("%[1]s/worker-0000 %[1]s/worker-0001", ns)
			if tt.all {
				keys := strings.Fields(want + fmt.Sprintf(" %[1]s/worker-0000 %[1]s/worker-0001", other))
				slices.Sort(keys)
				want = strings.Join(keys, " ")
			}
			targets := ti.Targets()
			if got := targetKeys(targets, ns, other); got != want {
				t.Fatalf("targets as the ServiceAccount\n  %s\nwant\n  %s", got, want)
			}
			runLeaderAndScale(t, asSA, ns, targets)
		})
	}
}

// checkForbiddenAllNamespaces: with the namespace's Role only, following
// all namespaces fails at once with the ClusterRole hint.
func checkForbiddenAllNamespaces(t *testing.T, cfg *rest.Config) {
	t.Helper()
	ti, err := kube.NewTargetInformerForConfig(cfg, kube.TargetInformerOptions{Defaults: engine.DefaultConfig()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); ti.Shutdown() }()
	ti.Start(ctx)
	err = ti.WaitForSync(testCtx(t))
	if !errors.Is(err, engine.ErrForbidden) || !strings.Contains(err.Error(), "manifests --fleet -A") || strings.Contains(err.Error(), "\n") {
		t.Errorf("all namespaces with a namespace's Role: %v, want forbidden with the -A hint", err)
	}
}

// runLeaderAndScale takes the fleet's Lease and scales every target of
// namespace ns to 3 through its Scaler, as cfg's user.
func runLeaderAndScale(t *testing.T, cfg *rest.Config, ns string, targets []engine.Target) {
	t.Helper()
	ctx := testCtx(t)
	s, err := kube.NewScaler(cfg, kube.ScalerConfig{Namespace: ns, Deployment: kubetest.FleetDeploymentName(0)})
	if err != nil {
		t.Fatal(err)
	}
	ran := false
	err = kube.RunWithLeaderElection(ctx, kube.LeaderConfig{Client: s.Client(), Namespace: ns, Name: "yeetscale-fleet",
		LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 200 * time.Millisecond},
		func(ctx context.Context) {
			ran = true
			for _, tg := range targets {
				if tg.Namespace != ns {
					continue
				}
				from, err := tg.Scaler.GetScale(ctx)
				if err != nil {
					t.Errorf("%s: GetScale: %v", tg.Key(), err)
					continue
				}
				if err := tg.Scaler.SetScale(ctx, engine.ScaleRequest{From: from, Replicas: 3, Reason: "fleet test", By: "auto"}); err != nil {
					t.Errorf("%s: SetScale: %v", tg.Key(), err)
				}
			}
		})
	if err != nil || !ran {
		t.Fatalf("leader election as the ServiceAccount: ran=%v err=%v", ran, err)
	}
	for _, tg := range targets {
		if tg.Namespace != ns {
			continue
		}
		d, err := s.Client().AppsV1().Deployments(ns).Get(ctx, tg.Deployment, metav1.GetOptions{})
		if err != nil || *d.Spec.Replicas != 3 {
			t.Errorf("%s after SetScale: %v, want 3 replicas", tg.Key(), err)
		}
	}
}
