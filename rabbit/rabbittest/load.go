package rabbittest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Load is a steady stream of messages into a queue and workers that
// acknowledge each delivery at once: traffic at a known rate, on long-lived
// channels (the broker reports a channel's statistics only once the channel
// has lived through a statistics interval).
type Load struct {
	published, acked atomic.Int64
	cancel           context.CancelFunc
	wg               sync.WaitGroup
	conns            []*amqp.Connection
}

// Published and Acked return how many messages the load has published and
// its workers have acknowledged so far.
func (l *Load) Published() int64 { return l.published.Load() }

// Acked returns how many messages the workers have acknowledged so far.
func (l *Load) Acked() int64 { return l.acked.Load() }

// StartLoad publishes perSecond messages a second to queue on one channel
// and consumes them with workers consumers that ack each message. Stop it
// with Stop (it is also stopped at cleanup).
func (b *Broker) StartLoad(t testing.TB, vhost, queue string, perSecond float64, workers int) *Load {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &Load{cancel: cancel}
	t.Cleanup(l.Stop)
	for i := 0; i < workers; i++ {
		if err := l.worker(b, vhost, queue); err != nil {
			t.Fatalf("rabbittest: load worker: %v", err)
		}
	}
	conn, err := b.dial(vhost)
	if err != nil {
		t.Fatalf("rabbittest: load publisher: %v", err)
	}
	l.conns = append(l.conns, conn)
	ch, err := conn.Channel()
	if err != nil {
		t.Fatalf("rabbittest: load publisher channel: %v", err)
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		tick := time.NewTicker(time.Duration(float64(time.Second) / perSecond))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			err := ch.PublishWithContext(ctx, "", queue, false, false, amqp.Publishing{ContentType: "text/plain", Body: []byte("load " + strconv.Itoa(i))})
			if err != nil {
				return
			}
			l.published.Add(1)
		}
	}()
	return l
}

// worker attaches one consumer that acks every delivery at once.
func (l *Load) worker(b *Broker, vhost, queue string) error {
	conn, err := b.dial(vhost)
	if err != nil {
		return err
	}
	l.conns = append(l.conns, conn)
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("AMQP channel: %w", err)
	}
	if err := ch.Qos(10, 0, false); err != nil {
		return fmt.Errorf("AMQP qos: %w", err)
	}
	deliveries, err := ch.Consume(queue, "", false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("AMQP consume %q: %w", queue, err)
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for d := range deliveries {
			if d.Ack(false) == nil {
				l.acked.Add(1)
			}
		}
	}()
	return nil
}

// Stop stops publishing and closes the workers' connections.
func (l *Load) Stop() {
	l.cancel()
	for _, c := range l.conns {
		_ = c.Close()
	}
	l.conns = nil
	l.wg.Wait()
}
