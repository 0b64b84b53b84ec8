// Package labworld is the moving part of the local lab (make lab) and of the
// end-to-end tests: a worker simulator that keeps as many AMQP consumers on
// the queue as the worker Deployment has ready pods, each acknowledging one
// message every WorkTime (prefetch 1), so that a real RabbitMQ queue drains
// at the speed a real Deployment of workers would drain it.
package labworld

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// DefaultWorkTime is how long one simulated worker spends on one message.
const DefaultWorkTime = 1500 * time.Millisecond

// Config says where the workers consume and how fast.
type Config struct {
	// AMQPURL is the broker's AMQP URL with credentials that may consume.
	AMQPURL string
	// VHost and Queue name the queue to consume from.
	VHost, Queue string
	// WorkTime is the time spent on each message before acknowledging it
	// (default DefaultWorkTime).
	WorkTime time.Duration
	// Reconcile is how often the worker count is compared with the target
	// (default 200ms).
	Reconcile time.Duration
	// Logf, when set, is told about connections and count changes.
	Logf func(format string, args ...any)
}

// Workers is a running worker simulator.
type Workers struct {
	cfg       Config
	target    func(context.Context) (int, error)
	consumers atomic.Int64
	acked     atomic.Int64
	lastErr   atomic.Value // string

	mu       sync.Mutex
	attached map[*worker]time.Time // when each live consumer started
	detached time.Duration         // consumer time of the consumers that ended

	waitLog waitLog // queue waits of stamped messages (stamp.go)
}

// New returns a simulator whose worker count follows target (for example
// DeploymentReady). Call Run to start it.
func New(cfg Config, target func(context.Context) (int, error)) *Workers {
	if cfg.WorkTime <= 0 {
		cfg.WorkTime = DefaultWorkTime
	}
	if cfg.Reconcile <= 0 {
		cfg.Reconcile = 200 * time.Millisecond
	}
	if cfg.VHost == "" {
		cfg.VHost = "/"
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	return &Workers{cfg: cfg, target: target, attached: map[*worker]time.Time{}}
}

// Consumers returns how many consumers are attached now.
func (w *Workers) Consumers() int { return int(w.consumers.Load()) }

// Acked returns how many messages the workers acknowledged so far.
func (w *Workers) Acked() int64 { return w.acked.Load() }

// Usage returns how many messages the workers acknowledged and their
// consumer time (the time each consumer was attached, summed) so far. Between
// two calls, the difference in acks over the difference in consumer time is
// what one worker really did a second, the waits for the next delivery
// included: the per-worker throughput that the broker's ack rate divided by
// its consumers measures.
func (w *Workers) Usage() (acked int64, consumerTime time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	consumerTime = w.detached
	for _, since := range w.attached {
		consumerTime += now.Sub(since)
	}
	return w.acked.Load(), consumerTime
}

// attach and detach keep the consumer time of Usage.
func (w *Workers) attach(wk *worker) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.attached[wk] = time.Now()
}

func (w *Workers) detach(wk *worker) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.detached += time.Since(w.attached[wk])
	delete(w.attached, wk)
}

// LastError returns the last connection or target error ("" when none).
func (w *Workers) LastError() string {
	s, _ := w.lastErr.Load().(string)
	return s
}

// worker is one consumer: its stop channel and done signal.
type worker struct {
	stop chan struct{}
	done chan struct{}
}

// Run keeps the number of consumers equal to the target until ctx ends, then
// stops every worker after its in-flight message and closes the connection.
// It reconnects when the connection drops (for example a broker restart).
func (w *Workers) Run(ctx context.Context) error {
	var conn *amqp.Connection
	var workers []*worker
	stopAll := func() {
		for _, wk := range workers {
			close(wk.stop)
		}
		for _, wk := range workers {
			<-wk.done
		}
		workers = nil
		if conn != nil {
			conn.Close()
			conn = nil
		}
	}
	defer stopAll()
	tick := time.NewTicker(w.cfg.Reconcile)
	defer tick.Stop()
	for {
		if err := w.reconcile(ctx, &conn, &workers, stopAll); err != nil {
			w.lastErr.Store(err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (w *Workers) reconcile(ctx context.Context, conn **amqp.Connection, workers *[]*worker, stopAll func()) error {
	want, err := w.target(ctx)
	if err != nil {
		return fmt.Errorf("worker target: %w", err)
	}
	if *conn != nil && (*conn).IsClosed() {
		w.cfg.Logf("labworld: AMQP connection lost; reconnecting")
		stopAll()
	}
	if *conn == nil {
		if want == 0 {
			return nil
		}
		c, err := amqp.DialConfig(w.cfg.AMQPURL, amqp.Config{Vhost: w.cfg.VHost, Heartbeat: 10 * time.Second})
		if err != nil {
			return fmt.Errorf("AMQP connect: %w", err)
		}
		*conn = c
	}
	if want != len(*workers) {
		w.cfg.Logf("labworld: %d -> %d workers", len(*workers), want)
	}
	for len(*workers) > want {
		// The newest worker stops first, like a Deployment's newest pod.
		n := len(*workers) - 1
		wk := (*workers)[n]
		*workers = (*workers)[:n]
		close(wk.stop)
		<-wk.done
	}
	for len(*workers) < want {
		wk, err := w.start(*conn)
		if err != nil {
			return err
		}
		*workers = append(*workers, wk)
	}
	return nil
}

// start attaches one consumer with prefetch 1 on a channel of its own.
func (w *Workers) start(conn *amqp.Connection) (*worker, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, fmt.Errorf("AMQP channel: %w", err)
	}
	if err := ch.Qos(1, 0, false); err != nil {
		ch.Close()
		return nil, fmt.Errorf("AMQP qos: %w", err)
	}
	deliveries, err := ch.Consume(w.cfg.Queue, "", false, false, false, false, nil)
	if err != nil {
		ch.Close()
		return nil, fmt.Errorf("AMQP consume %q: %w", w.cfg.Queue, err)
	}
	wk := &worker{stop: make(chan struct{}), done: make(chan struct{})}
	w.consumers.Add(1)
	w.attach(wk)
	go func() {
		defer close(wk.done)
		defer w.consumers.Add(-1)
		defer w.detach(wk)
		defer ch.Close() // requeues nothing: the in-flight message is finished first
		timer := time.NewTimer(0)
		<-timer.C
		for {
			select {
			case <-wk.stop:
				return
			case d, ok := <-deliveries:
				if !ok {
					return
				}
				w.waitLog.took(d, time.Now())
				timer.Reset(w.cfg.WorkTime)
				<-timer.C
				if err := d.Ack(false); err != nil {
					if !errors.Is(err, amqp.ErrClosed) {
						w.lastErr.Store("ack: " + err.Error())
					}
					return
				}
				w.acked.Add(1)
			}
		}
	}()
	return wk, nil
}

// Fixed returns a target of n workers, for tests and for --replicas-less use.
func Fixed(n *atomic.Int64) func(context.Context) (int, error) {
	return func(context.Context) (int, error) { return int(n.Load()), nil }
}
