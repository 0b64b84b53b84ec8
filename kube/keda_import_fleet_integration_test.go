package kube_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// TestFleetFromKEDAScriptOnTheAPIServer creates ScaledObjects (accepted by
// KEDA v2.21.0's CRDs) for three Deployments, prints manifests
// --from-keda's script, runs it with sh and the real kubectl, and reads the
// Deployments back as the fleet mode does: each target has the
// ScaledObject's queues and settings; a ScaledObject with operation avg is
// skipped and named.
func TestFleetFromKEDAScriptOnTheAPIServer(t *testing.T) {
	cp := kubetest.WithKEDA(t)
	ns := cp.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dyn := dynClient(t, cp)
	so := func(name string, spec map[string]any, md map[string]any, paused bool) {
		t.Helper()
		md["mode"], md["protocol"] = "QueueLength", "http"
		spec["scaleTargetRef"] = map[string]any{"name": name}
		spec["triggers"] = []any{map[string]any{"type": "rabbitmq", "metadata": md}}
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
			"metadata": map[string]any{"name": name, "namespace": ns}, "spec": spec}}
		if paused {
			obj.SetAnnotations(map[string]string{"autoscaling.keda.sh/paused": "true"})
		}
		if _, err := dyn.Resource(kube.ScaledObjectResource).Namespace(ns).Create(ctx, obj, metav1.CreateOptions{FieldValidation: "Strict"}); err != nil {
			t.Fatal(err)
		}
		if _, err := cp.Client.AppsV1().Deployments(ns).Create(ctx, kubetest.WorkloadDeployment(ns, name, 1), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	so("orders", map[string]any{"maxReplicaCount": int64(40), "pollingInterval": int64(10)},
		map[string]any{"queueName": "orders", "value": "75", "excludeUnacknowledged": "true"}, false)
	so("mail", map[string]any{"minReplicaCount": int64(0), "cooldownPeriod": int64(600)},
		map[string]any{"queueName": `^(?:mail\.a|mail\.b)$`, "useRegex": "true", "operation": "max", "value": "20", "activationValue": "5"}, false)
	so("thumbs", map[string]any{}, map[string]any{"queueName": `thumbs\.`, "useRegex": "true", "vhostName": "media", "value": "10"}, true)
	so("averaged", map[string]any{}, map[string]any{"queueName": "a|b", "useRegex": "true", "operation": "avg", "value": "10"}, false)

	fs, skipped, err := kube.ListFleetFromKEDA(ctx, dyn, ns, "", engine.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0], ns+"/averaged") || !strings.Contains(skipped[0], `operation "avg"`) {
		t.Fatalf("skipped %q, want averaged (operation avg)", skipped)
	}
	script, err := kube.FleetFromKEDAScript(fs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), "# KEDA scales it now: kubectl delete scaledobject --namespace "+ns+" orders\n") ||
		!strings.Contains(string(script), "# paused: kubectl delete scaledobject --namespace "+ns+" thumbs\n") {
		t.Errorf("the script does not say how to hand orders and thumbs over:\n%s", script)
	}
	tools, err := kubetest.EnsureTools(ctx, kubetest.Kubectl)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "to-fleet.sh")
	if err := os.WriteFile(path, script, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "sh", path)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(tools.Bin(kubetest.Kubectl))+":/usr/bin:/bin", "KUBECONFIG="+cp.Kubeconfig)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sh %s: %v\n%s\nscript:\n%s", path, err, out, script)
	}

	targets, err := kube.FleetTargets(ctx, cp.Config, ns, "", engine.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]engine.Target{}
	for _, tg := range targets {
		if tg.Err != nil {
			t.Fatalf("%s: %v", tg.Deployment, tg.Err)
		}
		got[tg.Deployment] = tg
	}
	o, m, th := got["orders"], got["mail"], got["thumbs"]
	if len(got) != 3 || o.Queues.String() != "orders" || o.Config.MaxReplicas != 40 || o.Config.TargetMessages != 75 ||
		o.Config.Count != engine.CountReady || o.Config.PollInterval != 10*time.Second || o.Config.MinReplicas != 0 {
		t.Errorf("orders: %v %+v", o.Queues, o.Config)
	}
	if m.Queues.String() != "max(mail.a,mail.b)" || m.Config.MinReplicas != 0 || m.Config.ActivationMessages != 5 || m.Config.IdleBeforeZero != 10*time.Minute {
		t.Errorf("mail: %v %+v", m.Queues, m.Config)
	}
	if th.Queues.Pattern != `.*(?:thumbs\.).*` || th.Config.VHost != "media" || th.Config.MaxReplicas != 100 {
		t.Errorf("thumbs: %+v %+v", th.Queues, th.Config)
	}
}
