package cli

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// scaleInRun is what one burst and its drain measured.
type scaleInRun struct {
	redelivered, killedBusy int64
	drain                   time.Duration
}

// Burst of the scale-in benchmark: long messages first (one per busy
// worker), then short ones that the other workers drain, then a scale-down
// to half while the long ones are in hand.
const (
	benchPods  = 10
	benchLong  = 5
	benchShort = 25
	benchLongT = 20 * time.Second
)

// runScaleInBurst publishes the burst on a fresh world, scales to half once
// only the long messages are in hand (with or without pod choice) and
// waits until every message was acknowledged.
func runScaleInBurst(b *testing.B, choice bool) scaleInRun {
	b.Helper()
	w := newReadyScaleInWorld(b, benchPods)
	start := time.Now()
	w.publishLong(benchLong, benchLongT)
	w.publishLong(benchShort, time.Second)
	w.waitBusy(benchLong) // the short ones are done, the long ones in hand
	args := w.args("--once", "--min-replicas", "5", "--max-replicas", "5", "--target-messages", "1", fmt.Sprintf("--pod-choice=%v", choice))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	var out, errOut bytes.Buffer
	code := runCLI(ctx, args, &out, &errOut)
	cancel()
	if code != 0 {
		b.Fatalf("--once exit %d\n%s\n%s", code, &out, &errOut)
	}
	total := int64(benchLong + benchShort)
	if !poll(3*benchLongT, 100*time.Millisecond, func() bool { return w.workers.Acked() >= total }) {
		b.Fatalf("never drained: %d of %d acknowledged", w.workers.Acked(), total)
	}
	return scaleInRun{redelivered: w.workers.Redelivered(), killedBusy: w.workers.KilledBusy(), drain: time.Since(start)}
}

// BenchmarkScaleIn (make bench-scalein, issue #15): the same burst and
// drain on the real broker and cluster (kube-controller-manager + kwok),
// scaled down from 10 to 5 while 5 workers hold a long message, with and
// without pod choice. Its last line is machine-readable.
func BenchmarkScaleIn(b *testing.B) {
	for range b.N {
		with := runScaleInBurst(b, true)
		without := runScaleInBurst(b, false)
		fmt.Printf("scale-in with pod choice:    %d redelivered (processed twice), %d busy pods killed, drained in %.1f s\n", with.redelivered, with.killedBusy, with.drain.Seconds())
		fmt.Printf("scale-in without pod choice: %d redelivered (processed twice), %d busy pods killed, drained in %.1f s\n", without.redelivered, without.killedBusy, without.drain.Seconds())
		fmt.Printf("scalein: redelivered_with_choice=%d redelivered_without_choice=%d busy_pods_killed_with_choice=%d drain_with_s=%.1f drain_without_s=%.1f\n",
			with.redelivered, without.redelivered, with.killedBusy, with.drain.Seconds(), without.drain.Seconds())
	}
}
