package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// Successive --once runs (from cron) decide as one continuous controller
// would: the scale-down window's recommendations live in an annotation on
// the Deployment, so a run in the middle of a drain holds what the window
// holds instead of shrinking the deployment (the seed script's flapping).
// Without the annotation the same run scales down: that is what it saves.
func TestE2EOnceRemembersTheScaleDownWindow(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 1)
	flags := []string{"--once", "--output", "json", "--policy", "proportional", "--target-messages", "100",
		"--max-replicas", "40", "--scale-down-window", "5m"}
	desired := func(extra ...string) int32 {
		t.Helper()
		code, out, errOut := once(t, w.args(append(append([]string{}, flags...), extra...)...))
		if code != ExitOK {
			t.Fatalf("--once %v: exit %d; stderr:\n%s", extra, code, errOut)
		}
		var res onceResult
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Desired == nil {
			t.Fatalf("--once %v: no decision (%v):\n%s", extra, err, out)
		}
		return *res.Desired
	}

	w.broker.Publish(t, w.vhost, w.queue, 2000)
	w.waitMessages(30*time.Second, "2,000 messages", func(n int64) bool { return n == 2000 })
	if got := desired(); got != 20 || w.replicas() != 20 {
		t.Fatalf("first run: desired %d, deployment at %d; want 2,000 / 100 = 20 applied", got, w.replicas())
	}

	// The queue drains to 500: a fresh controller would want 5.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if status, body, err := w.broker.Do(ctx, "DELETE", rabbittest.APIPath("queues", w.vhost, w.queue, "contents"), nil); err != nil || status/100 != 2 {
		t.Fatalf("purging the queue: %d %s %v", status, body, err)
	}
	w.broker.Publish(t, w.vhost, w.queue, 500)
	w.waitMessages(30*time.Second, "500 messages", func(n int64) bool { return n == 500 })

	for i, extra := range [][]string{{"--dry-run"}, nil, nil} {
		if got := desired(extra...); got != 20 {
			t.Fatalf("run %d %v mid-drain: desired %d, want 20 held by the 5m window remembered on the Deployment", i+2, extra, got)
		}
	}
	if n := w.replicas(); n != 20 {
		t.Fatalf("the deployment went to %d mid-drain, want 20", n)
	}

	// The control: without the memory the same run scales down.
	patch := fmt.Appendf(nil, `{"metadata":{"annotations":{%q:null}}}`, kube.AnnotationMemory)
	if _, err := w.cp.Client.AppsV1().Deployments(w.ns).Patch(ctx, w.name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("removing the memory annotation: %v", err)
	}
	if got := desired("--dry-run"); got != 5 {
		t.Fatalf("without the memory: desired %d, want 500 / 100 = 5 (else the test proves nothing)", got)
	}
}
