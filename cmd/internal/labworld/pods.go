package labworld

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// HeaderWorkTime, on a message, is how long a pod worker spends on it (a
// Go duration such as "30s"), instead of Config.WorkTime.
const HeaderWorkTime = "x-work-time"

// PodWorkers runs one simulated worker per running pod of a Deployment, as
// real workers would: each has its own AMQP connection whose client-provided
// name (connection_name) is its pod's name, consumes with a prefetch, and
// spends the work time on each message before acknowledging it. When its
// pod is deleted it stops at once, its unacknowledged messages going back
// to the queue (redelivered), as a killed worker's do.
type PodWorkers struct {
	cfg      Config
	client   kubernetes.Interface
	ns       string
	selector string
	prefetch int
	// fromPodIP: see FromPodIPs (podsource.go).
	fromPodIP bool

	mu      sync.Mutex
	workers map[string]*podWorker

	acked, redelivered, killedBusy atomic.Int64
}

type podWorker struct {
	conn *amqp.Connection
	busy atomic.Int64 // messages in hand
	done chan struct{}
}

// NewPodWorkers returns workers for the pods of namespace ns matching
// selector (a label selector), each with the given prefetch (at least 1).
func NewPodWorkers(cfg Config, client kubernetes.Interface, ns, selector string, prefetch int) *PodWorkers {
	w := New(cfg, nil) // for its defaults
	return &PodWorkers{cfg: w.cfg, client: client, ns: ns, selector: selector, prefetch: max(prefetch, 1), workers: map[string]*podWorker{}}
}

// Acked, Redelivered and KilledBusy count the messages acknowledged, the
// deliveries that were redeliveries, and the workers stopped by their pod's
// deletion while holding a message.
func (p *PodWorkers) Acked() int64       { return p.acked.Load() }
func (p *PodWorkers) Redelivered() int64 { return p.redelivered.Load() }
func (p *PodWorkers) KilledBusy() int64  { return p.killedBusy.Load() }

// Busy returns the pods whose worker holds a message now.
func (p *PodWorkers) Busy() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for name, wk := range p.workers {
		if n := wk.busy.Load(); n > 0 {
			out[name] = int(n)
		}
	}
	return out
}

// Workers returns how many pod workers are connected.
func (p *PodWorkers) Workers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.workers)
}

// Run follows the pods until ctx ends, then closes every connection.
func (p *PodWorkers) Run(ctx context.Context) error {
	defer func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for name, wk := range p.workers {
			wk.conn.Close()
			<-wk.done
			delete(p.workers, name)
		}
	}()
	tick := time.NewTicker(p.cfg.Reconcile)
	defer tick.Stop()
	for {
		if err := p.reconcile(ctx); err != nil {
			p.cfg.Logf("labworld: %v", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (p *PodWorkers) reconcile(ctx context.Context) error {
	list, err := p.client.CoreV1().Pods(p.ns).List(ctx, metav1.ListOptions{LabelSelector: p.selector})
	if err != nil {
		return fmt.Errorf("pods: %w", err)
	}
	live := map[string]bool{}
	for _, pod := range list.Items {
		if pod.DeletionTimestamp == nil && pod.Status.Phase == "Running" {
			live[pod.Name] = true
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, wk := range p.workers {
		if !live[name] {
			if wk.busy.Load() > 0 {
				p.killedBusy.Add(1)
			}
			wk.conn.Close() // unacknowledged messages go back to the queue
			<-wk.done
			delete(p.workers, name)
		}
	}
	for name := range live {
		if _, ok := p.workers[name]; ok {
			continue
		}
		wk, err := p.start(name)
		if err != nil {
			return err
		}
		p.workers[name] = wk
	}
	return nil
}

// start connects pod's worker: connection_name is the pod's name.
func (p *PodWorkers) start(pod string) (*podWorker, error) {
	cfg, err := p.amqpConfig(pod)
	if err != nil {
		return nil, err
	}
	conn, err := amqp.DialConfig(p.cfg.AMQPURL, cfg)
	if err != nil {
		return nil, fmt.Errorf("AMQP connect for pod %s: %w", pod, err)
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.Qos(p.prefetch, 0, false)
	}
	var deliveries <-chan amqp.Delivery
	if err == nil {
		deliveries, err = ch.Consume(p.cfg.Queue, pod, false, false, false, false, nil)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("AMQP consumer for pod %s: %w", pod, err)
	}
	wk := &podWorker{conn: conn, done: make(chan struct{})}
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	go func() {
		defer close(wk.done)
		for d := range deliveries {
			if d.Redelivered {
				p.redelivered.Add(1)
			}
			wk.busy.Add(1)
			work := p.cfg.WorkTime
			if s, ok := d.Headers[HeaderWorkTime].(string); ok {
				if v, err := time.ParseDuration(s); err == nil && v >= 0 {
					work = v
				}
			}
			select {
			case <-time.After(work):
			case <-closed:
				return // killed: the message is requeued
			}
			if d.Ack(false) != nil {
				return
			}
			wk.busy.Add(-1)
			p.acked.Add(1)
		}
	}()
	return wk, nil
}
