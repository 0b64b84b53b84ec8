package cli

import (
	"strings"
	"testing"
	"time"
)

// TestScaleInWaitIdleOnce (issue #15, --scale-in-wait-idle): 10 pods, 5 of
// them busy for a few seconds; a --once run that would scale to 4 (6 pods
// to go, only 5 idle) holds and says so; once the workers are done, the
// next --once run scales, and nothing is redelivered.
func TestScaleInWaitIdleOnce(t *testing.T) {
	t.Parallel()
	w := newReadyScaleInWorld(t, 10)
	w.publishLong(5, 8*time.Second)
	w.waitBusy(5)
	before := w.redeliveries()
	args := w.args("--once", "--min-replicas", "4", "--max-replicas", "4", "--target-messages", "1", "--scale-in-wait-idle", "5m")
	code, out, errOut := once(t, args)
	if code != 0 || !strings.Contains(out, "holding scale-down 10 → 4: 5 of 6 pods idle, up to 5m0s more") {
		t.Fatalf("first --once: exit %d, want 0 and a hold:\n%s\n%s", code, out, errOut)
	}
	if got := w.replicas(); got != 10 {
		t.Fatalf("replicas %d after a hold, want 10", got)
	}
	if !poll(60*time.Second, 200*time.Millisecond, func() bool { return len(w.workers.Busy()) == 0 }) {
		t.Fatalf("the workers never finished (busy %v)", w.workers.Busy())
	}
	w.waitMessages(30*time.Second, "the queue's statistics", func(n int64) bool { return n == 0 })
	// The channels' unacked counts are statistics of their own, refreshed
	// every 5 s apart from the queue's: wait (with dry runs, which save no
	// memory) until the broker shows every worker idle.
	var dry string
	if !poll(30*time.Second, time.Second, func() bool {
		_, dry, _ = once(t, append(append([]string{}, args...), "--dry-run"))
		return strings.Contains(dry, "decision    4 replicas") && !strings.Contains(dry, "holding scale-down")
	}) {
		t.Fatalf("the broker never showed the workers idle to a --once --dry-run:\n%s", dry)
	}
	code, out, errOut = once(t, args)
	if code != 0 || !strings.Contains(out, "applied     10 -> 4") {
		t.Fatalf("second --once: exit %d, want 0 and the scale-down:\n%s\n%s", code, out, errOut)
	}
	w.waitPods(4)
	if n := w.redeliveries() - before; n != 0 || w.workers.Redelivered() != 0 {
		t.Errorf("%d redelivered (broker), %d (workers); want none", n, w.workers.Redelivered())
	}
}
