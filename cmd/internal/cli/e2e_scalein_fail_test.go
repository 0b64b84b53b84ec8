package cli

import (
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/yeeter/yeetscale/engine"
)

// TestScaleInWithoutPodChoice (issue #15): when pod choice cannot work the
// scale-down goes ahead as before and says why, in --once's output: without
// list/patch on pods (the choice turns itself off), and with consumers that
// cannot be mapped to pods (no connection name, not from a pod's IP).
func TestScaleInWithoutPodChoice(t *testing.T) {
	t.Parallel()
	noPods := []rbacv1.PolicyRule{
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "patch"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments/scale"}, Verbs: []string{"get", "update"}},
		{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: []string{"list"}},
	}
	tests := []struct {
		name  string
		rules []rbacv1.PolicyRule // nil: the admin
		want  []string
	}{
		{"no pod permissions", noPods, []string{"scale-in without pod choice from now on", "applied     10 -> 5"}},
		{"consumers not mapped", nil, []string{engine.NoPodChoice, "applied     10 -> 5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, true, 10)
			// A consumer that tells nothing: no connection name, and
			// from 127.0.0.1, no pod's IP.
			w.broker.Hold(t, w.vhost, w.queue, 1)
			w.waitMessages(30*time.Second, "the queue's statistics", func(n int64) bool { return n == 0 })
			args := w.args("--once", "--min-replicas", "5", "--max-replicas", "5", "--target-messages", "1")
			if tt.rules != nil {
				args = append(args, "--kubeconfig", restrictedKubeconfig(t, w, "no-pods", tt.rules).kubeconfig)
			}
			code, out, errOut := once(t, args)
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("--once output lacks %q:\n%s\n%s", want, out, errOut)
				}
			}
			if got := w.replicas(); got != 5 {
				t.Errorf("replicas %d, want 5: the scale-down goes ahead", got)
			}
		})
	}
}
