package labworld

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestUsageMeasuresConsumerTime runs workers on the real broker and checks
// that Usage counts the consumer time of live and of stopped consumers, and
// that acks over consumer time is a throughput a worker can reach (at most
// one message per WorkTime, and not far below it while saturated).
func TestUsageMeasuresConsumerTime(t *testing.T) {
	t.Parallel()
	const work = 50 * time.Millisecond
	var n atomic.Int64
	n.Store(3)
	ctx := context.Background()
	b, vhost, queue, w := startWorkers(t, work, &n)
	waitFor(t, "3 consumers", func() bool { return w.Consumers() == 3 }, w)
	if err := b.PublishN(ctx, vhost, queue, 300); err != nil {
		t.Fatal(err)
	}

	waitFor(t, "60 acks", func() bool { return w.Acked() >= 60 }, w)
	a0, c0 := w.Usage()
	start := time.Now()
	time.Sleep(time.Second)
	n.Store(1) // two consumers stop: their time must stay counted
	waitFor(t, "1 consumer", func() bool { return w.Consumers() == 1 }, w)
	time.Sleep(500 * time.Millisecond)
	a1, c1 := w.Usage()
	elapsed := time.Since(start)

	ct := c1 - c0
	// Three consumers for at least a second, then one: between 1 and 3
	// consumer-elapsed (never more than three were attached).
	if ct < elapsed || ct > 3*elapsed+10*time.Millisecond {
		t.Errorf("consumer time %s over %s of wall time with 3 then 1 consumers, want between 1x and 3x", ct, elapsed)
	}
	if ct < 3*time.Second {
		t.Errorf("consumer time %s: the 3 consumers' second (3s) is missing", ct)
	}
	perWorker := float64(a1-a0) / ct.Seconds()
	if limit := 1 / work.Seconds(); perWorker > limit || perWorker < limit/2 {
		t.Errorf("measured %.2f/s per worker, want between %.2f/s and %.2f/s (one message per %s, saturated)", perWorker, limit/2, limit, work)
	}
	t.Logf("%d acks in %s of consumer time: %.2f/s per worker (work time %s: at most %.2f/s)", a1-a0, ct.Round(time.Millisecond), perWorker, work, 1/work.Seconds())
}

func waitFor(t *testing.T, what string, cond func() bool, w *Workers) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never %s within 30s (consumers %d, acked %d, error %q)", what, w.Consumers(), w.Acked(), w.LastError())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
