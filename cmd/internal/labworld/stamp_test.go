package labworld

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

func TestWaitLogTook(t *testing.T) {
	now := time.Unix(1000, 0)
	for _, tt := range []struct {
		name      string
		headers   amqp.Table
		wait      float64
		unstamped int64
	}{
		{"stamped 2.5 s ago", amqp.Table{PublishedAtHeader: now.Add(-2500 * time.Millisecond).UnixNano()}, 2.5, 0},
		{"no header", nil, 0, 1},
		{"not an int64", amqp.Table{PublishedAtHeader: "yesterday"}, 0, 1},
		{"int32", amqp.Table{PublishedAtHeader: int32(5)}, 0, 1},
		{"in the future", amqp.Table{PublishedAtHeader: now.Add(time.Second).UnixNano()}, 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var l waitLog
			l.took(amqp.Delivery{Headers: tt.headers}, now)
			if l.unstamped != tt.unstamped {
				t.Errorf("unstamped %d, want %d", l.unstamped, tt.unstamped)
			}
			if tt.unstamped == 0 && (len(l.waits) != 1 || l.waits[0] != tt.wait) {
				t.Errorf("waits %v, want [%v]", l.waits, tt.wait)
			}
			if tt.unstamped == 1 && len(l.waits) != 0 {
				t.Errorf("waits %v recorded from an unusable stamp", l.waits)
			}
		})
	}
}

// TestWorkersRecordTakeTimes publishes ten stamped messages to one worker
// (prefetch 1, 100 ms each): the k-th waits about k x 100 ms from its
// publish to its take, and the two unstamped messages are counted apart.
func TestWorkersRecordTakeTimes(t *testing.T) {
	t.Parallel()
	const work = 100 * time.Millisecond
	var n atomic.Int64
	n.Store(1)
	ctx := context.Background()
	b, vhost, queue, w := startWorkers(t, work, &n)
	waitFor(t, "1 consumer", func() bool { return w.Consumers() == 1 }, w)
	if err := PublishStamped(ctx, b.AMQPURL, vhost, queue, 10); err != nil {
		t.Fatal(err)
	}
	if err := b.PublishN(ctx, vhost, queue, 2); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "12 acks", func() bool { return w.Acked() >= 12 }, w)
	waits, unstamped := w.Waits()
	if len(waits) != 10 || unstamped != 2 {
		t.Fatalf("%d waits and %d unstamped, want 10 and 2: %v", len(waits), unstamped, waits)
	}
	// Taken, not acked: the first message waits almost nothing (an ack time
	// would make it wait one work time), and each next one waits at least a
	// work time more, since the one worker takes it only after acking the
	// one before (publishing all ten takes some milliseconds). A loaded
	// machine makes every step later, so the upper bound is loose.
	if waits[0] > 0.8*work.Seconds() {
		t.Errorf("message 0 waited %.3fs, want under %.2fs: recorded at its ack, not its take?", waits[0], 0.8*work.Seconds())
	}
	for k := 1; k < len(waits); k++ {
		step := waits[k] - waits[k-1]
		if step < work.Seconds()-0.05 || waits[k] > float64(k)*work.Seconds()+0.15+0.05*float64(k) {
			t.Errorf("message %d waited %.3fs, %.3fs more than message %d; want about %.1fs, at least %v more", k, waits[k], step, k-1, float64(k)*work.Seconds(), work-50*time.Millisecond)
		}
	}
}

// startWorkers runs workers of work time on a fresh queue of the real
// broker, n of them, until the test ends.
func startWorkers(t *testing.T, work time.Duration, n *atomic.Int64) (b *rabbittest.Broker, vhost, queue string, w *Workers) {
	b = rabbittest.Start(t)
	vhost = b.NewVHost(t)
	queue = b.NewQueue(t, vhost)
	w = New(Config{AMQPURL: b.AMQPURL, VHost: vhost, Queue: queue, WorkTime: work, Reconcile: 20 * time.Millisecond}, Fixed(n))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return b, vhost, queue, w
}
