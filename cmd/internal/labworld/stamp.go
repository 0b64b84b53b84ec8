package labworld

import (
	"context"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// PublishedAtHeader carries a message's publish time (Unix nanoseconds,
// int64) from PublishStamped to the workers, which record, when they take
// the message, how long it waited in the queue.
const PublishedAtHeader = "x-yeetscale-published-ns"

// maxWaits bounds the waits the workers keep (8 MB of float64s).
const maxWaits = 1 << 20

// waitLog is the workers' record of queue waits, in seconds, in the order
// the messages were taken.
type waitLog struct {
	mu        sync.Mutex
	waits     []float64
	unstamped int64
}

// took records the wait of a delivery taken at now: now minus the publish
// time in its PublishedAtHeader. A delivery without a usable header (absent,
// not an int64, in the future) is counted as unstamped, not guessed.
func (l *waitLog) took(d amqp.Delivery, now time.Time) {
	ns, ok := d.Headers[PublishedAtHeader].(int64)
	l.mu.Lock()
	defer l.mu.Unlock()
	at := time.Unix(0, ns)
	if !ok || at.After(now) || len(l.waits) >= maxWaits {
		l.unstamped++
		return
	}
	l.waits = append(l.waits, now.Sub(at).Seconds())
}

// Waits returns the queue wait, in seconds, of every stamped message the
// workers took so far (PublishStamped), in the order they took them, and how
// many messages they took without a usable stamp.
func (w *Workers) Waits() (waits []float64, unstamped int64) {
	w.waitLog.mu.Lock()
	defer w.waitLog.mu.Unlock()
	return append([]float64(nil), w.waitLog.waits...), w.waitLog.unstamped
}

// PublishStamped publishes n persistent messages to queue on vhost through
// the default exchange, each with its publish time in PublishedAtHeader, and
// waits for the broker's confirms.
func PublishStamped(ctx context.Context, amqpURL, vhost, queue string, n int) error {
	conn, err := amqp.DialConfig(amqpURL, amqp.Config{Vhost: vhost, Heartbeat: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("AMQP connect: %w", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("AMQP channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		return fmt.Errorf("AMQP confirm mode: %w", err)
	}
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, n+1))
	for i := range n {
		msg := amqp.Publishing{DeliveryMode: amqp.Persistent, ContentType: "text/plain", Body: []byte("labworld"),
			Headers: amqp.Table{PublishedAtHeader: time.Now().UnixNano()}}
		if err := ch.PublishWithContext(ctx, "", queue, true, false, msg); err != nil {
			return fmt.Errorf("AMQP publish %d of %d: %w", i+1, n, err)
		}
	}
	for i := range n {
		select {
		case c, ok := <-confirms:
			if !ok || !c.Ack {
				return fmt.Errorf("AMQP: message %d of %d not confirmed", i+1, n)
			}
		case <-ctx.Done():
			return fmt.Errorf("waiting for publish confirms (%d of %d): %w", i, n, ctx.Err())
		}
	}
	return nil
}
