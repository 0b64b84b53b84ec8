package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// TestFromScaledObject runs `--once --from-scaledobject` on the real broker
// and the real apiserver with KEDA's CRDs: the queue, vhost, Deployment and
// limits come from the ScaledObject (value 5, max 7: 30 messages -> 6), the
// run is forced to --dry-run while the ScaledObject is active (the
// Deployment keeps its 2 replicas), an explicit --max-replicas wins, the
// activationValue and (at minReplicaCount 0) the cooldownPeriod become
// --activation-messages and --idle-before-zero unless those are given, and
// a ScaledObject in MessageRate mode or a missing one is a usage error;
// --auto logs the shadow tally and the console shows it.
func TestFromScaledObject(t *testing.T) {
	t.Parallel()
	w := newWorldOn(t, kubetest.WithKEDA(t), 2)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dyn, err := dynamic.NewForConfig(w.cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []struct {
		name, mode string
		min        int64
	}{{"orders-so", "QueueLength", 1}, {"rate-so", "MessageRate", 1}, {"sleepy-so", "QueueLength", 0}} {
		so := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
			"metadata": map[string]any{"name": o.name, "namespace": w.ns},
			"spec": map[string]any{
				"scaleTargetRef": map[string]any{"name": w.name}, "minReplicaCount": o.min, "maxReplicaCount": int64(7), "cooldownPeriod": int64(120),
				"triggers": []any{map[string]any{"type": "rabbitmq", "metadata": map[string]any{
					"queueName": w.queue, "vhostName": w.vhost, "mode": o.mode, "value": "5", "activationValue": "40", "protocol": "http"}}},
			},
		}}
		if _, err := dyn.Resource(kube.ScaledObjectResource).Namespace(w.ns).Create(ctx, so, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	w.broker.Publish(t, w.vhost, w.queue, 30)
	w.waitMessages(30*time.Second, "30 messages", func(n int64) bool { return n == 30 })
	base := []string{"yeetscale", "--kubeconfig", w.cp.Kubeconfig, "-n", w.ns, "--mgmt-url", w.broker.MgmtURL,
		"--username", w.user, "--password", w.pass, "--once", "-o", "json"}
	for _, tt := range []struct {
		name    string
		args    []string
		code    int
		desired int32
		want    string
	}{
		{"settings from the ScaledObject", []string{"--from-scaledobject", "orders-so"}, ExitOK, 6, "--dry-run forced"},
		{"an explicit flag wins", []string{"--from-scaledobject", "orders-so", "--max-replicas", "4"}, ExitOK, 4, "--dry-run forced"},
		{"min 1 leaves the idle time", []string{"--from-scaledobject", "orders-so"}, ExitOK, 6, "activation_messages=40 idle_before_zero=5m0s"},
		{"activation and cooldown", []string{"--from-scaledobject", "sleepy-so"}, ExitOK, 6, "activation_messages=40 idle_before_zero=2m0s"},
		{"explicit zero flags win", []string{"--from-scaledobject", "sleepy-so", "--activation-messages", "3", "--idle-before-zero", "30s"}, ExitOK, 6,
			"activation_messages=3 idle_before_zero=30s"},
		{"MessageRate", []string{"--from-scaledobject", "rate-so"}, ExitUsage, 0, "mode QueueLength"},
		{"missing", []string{"--from-scaledobject", "nope"}, ExitUsage, 0, "ScaledObject not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := once(t, append(append([]string{}, base...), tt.args...))
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q); stdout %s", code, tt.code, errOut, tt.want, out)
			}
			if code != ExitOK {
				return
			}
			var r onceResult
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if r.Queue.Name != w.queue || r.Queue.VHost != w.vhost || r.Desired == nil || *r.Desired != tt.desired || !r.DryRun || r.Applied {
				t.Errorf("got %s; want queue %s in %s, desired %d, dry run, not applied", out, w.queue, w.vhost, tt.desired)
			}
			if got := w.replicas(); got != 2 {
				t.Errorf("replicas %d after a shadow run, want 2", got)
			}
		})
	}

	// --auto as a shadow: decisions are logged, nothing is applied, and the
	// tally on stopping compares the live 2 replicas with the proposed 6.
	r := startAuto(t, append(append([]string{}, base[:len(base)-3]...), "--auto", "--log-format", "json", "--poll-interval", "1s", "--from-scaledobject", "orders-so"))
	r.waitLog(t, time.Minute, "4 decisions", func(ls []logLine) bool { return count(ls, "decision") >= 4 })
	if code := r.stop(t); code != ExitOK {
		t.Fatalf("--auto exit %d; log:\n%s", code, r.log)
	}
	ls := lines(t, r.log.String())
	var tally logLine
	for _, l := range ls {
		if l.msg() == "shadow tally" {
			tally = l
		}
	}
	hpa, yeet := tally.num("hpa_replica_seconds"), tally.num("yeetscale_replica_seconds")
	if tally == nil || hpa < 2*2 || yeet < 2*hpa || tally.str("yeetscale_backlog_above_target") != "0s" || tally.str("hpa_backlog_above_target") == "0s" {
		t.Errorf("shadow tally %v; want >= 3 s of 2 live against 6 proposed replicas, the backlog above target only under the live count; log:\n%s", tally, r.log)
	}
	t.Logf("shadow tally: %v", tally)
	if count(ls, "scaled") != 0 || w.replicas() != 2 {
		t.Errorf("the shadow scaled: replicas %d; log:\n%s", w.replicas(), r.log)
	}

	// The console as a shadow, the real binary in a real terminal: the
	// live 2 replicas next to the proposed 6, then the tally.
	argv := append([]string{buildBinary(t)}, base[1:len(base)-3]...)
	sess := startTmux(t, 220, 40, append(argv, "--poll-interval", "1s", "--from-scaledobject", "orders-so")...)
	sess.waitFor("the shadow panel with its tally", containsAll("SHADOW of ScaledObject "+w.ns+"/orders-so: HPA 2 · yeetscale 6",
		"yeetscale proposed 3.0x the replica-seconds", "backlog above target HPA", "[DRY-RUN]"))
	sess.run("send-keys", "-t", "demo", "q")
	if st := sess.exitStatus(); st != "0" || w.replicas() != 2 {
		t.Fatalf("the shadow console exited with status %s, replicas %d (want 0, 2); pane:\n%s", st, w.replicas(), sess.pane())
	}
}
