package rabbittest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// dial opens an AMQP connection to vhost as the administrator.
func (b *Broker) dial(vhost string) (*amqp.Connection, error) {
	conn, err := amqp.DialConfig(b.AMQPURL, amqp.Config{Vhost: vhost, Heartbeat: 10 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("AMQP connect to vhost %q: %w", vhost, err)
	}
	return conn, nil
}

// PublishN publishes n persistent messages to queue through the default
// exchange and waits until the broker has confirmed all of them.
func (b *Broker) PublishN(ctx context.Context, vhost, queue string, n int) error {
	conn, err := b.dial(vhost)
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("AMQP channel: %w", err)
	}
	defer ch.Close()
	if err := ch.Confirm(false); err != nil {
		return fmt.Errorf("AMQP confirm mode: %w", err)
	}
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, n+1))
	for i := 0; i < n; i++ {
		err := ch.PublishWithContext(ctx, "", queue, true, false, amqp.Publishing{
			DeliveryMode: amqp.Persistent,
			ContentType:  "text/plain",
			Body:         []byte("yeetscale test message " + strconv.Itoa(i)),
		})
		if err != nil {
			return fmt.Errorf("AMQP publish %d of %d: %w", i+1, n, err)
		}
	}
	for i := 0; i < n; i++ {
		select {
		case c, ok := <-confirms:
			if !ok {
				return fmt.Errorf("AMQP channel closed after %d of %d confirms", i, n)
			}
			if !c.Ack {
				return fmt.Errorf("broker refused message %d", c.DeliveryTag)
			}
		case <-ctx.Done():
			return fmt.Errorf("waiting for publish confirms (%d of %d): %w", i, n, ctx.Err())
		}
	}
	return nil
}

// Publish publishes n persistent messages to queue and fails the test on error.
func (b *Broker) Publish(t testing.TB, vhost, queue string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := b.PublishN(ctx, vhost, queue, n); err != nil {
		t.Fatalf("rabbittest: publish: %v", err)
	}
}

// Consumer consumes from a queue with manual acknowledgements and a prefetch
// limit, holding every delivery unacknowledged until AckAll.
type Consumer struct {
	conn *amqp.Connection
	ch   *amqp.Channel

	mu   sync.Mutex
	held []amqp.Delivery
	done chan struct{}
}

// Consume attaches a consumer to queue that holds up to prefetch messages
// unacknowledged.
func (b *Broker) Consume(vhost, queue string, prefetch int) (*Consumer, error) {
	conn, err := b.dial(vhost)
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("AMQP channel: %w", err)
	}
	if err := ch.Qos(prefetch, 0, false); err != nil {
		conn.Close()
		return nil, fmt.Errorf("AMQP qos: %w", err)
	}
	deliveries, err := ch.Consume(queue, "", false, false, false, false, nil)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("AMQP consume %q: %w", queue, err)
	}
	c := &Consumer{conn: conn, ch: ch, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for d := range deliveries {
			c.mu.Lock()
			c.held = append(c.held, d)
			c.mu.Unlock()
		}
	}()
	return c, nil
}

// Hold attaches a consumer that holds up to prefetch messages unacknowledged;
// it is closed at cleanup.
func (b *Broker) Hold(t testing.TB, vhost, queue string, prefetch int) *Consumer {
	t.Helper()
	c, err := b.Consume(vhost, queue, prefetch)
	if err != nil {
		t.Fatalf("rabbittest: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Held returns how many messages the consumer holds unacknowledged.
func (c *Consumer) Held() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.held)
}

// WaitHeld waits until the consumer holds at least n messages.
func (c *Consumer) WaitHeld(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for c.Held() < n {
		if time.Now().After(deadline) {
			t.Fatalf("rabbittest: consumer holds %d messages, want %d", c.Held(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// AckAll acknowledges every message held so far and returns how many.
func (c *Consumer) AckAll() (int, error) {
	c.mu.Lock()
	held := c.held
	c.held = nil
	c.mu.Unlock()
	if len(held) == 0 {
		return 0, nil
	}
	if err := held[len(held)-1].Ack(true); err != nil {
		return 0, fmt.Errorf("AMQP ack: %w", err)
	}
	return len(held), nil
}

// Close closes the consumer's connection; unacknowledged messages return to
// the queue.
func (c *Consumer) Close() {
	_ = c.conn.Close()
	<-c.done
}
