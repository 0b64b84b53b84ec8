package rabbittest

import (
	"context"
	"sync"
)

// declareWorkers is how many management API requests DeclareQueues keeps in
// flight.
const declareWorkers = 16

// DeclareQueues declares the durable classic queues names in vhost through
// the management API, declareWorkers requests at a time, and returns the
// first error. Measured on the harness's node (RabbitMQ 3.10, 2 cores),
// 1,200 queues: 1.5 s this way, 1.8 s with 8 requests at a time, 3.6 s with
// AMQP declares on one channel, 2.2 s with AMQP no-wait declares. The
// queues go with their vhost (NewVHost) or with DeleteQueue.
func (b *Broker) DeclareQueues(ctx context.Context, vhost string, names []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan string)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for w := 0; w < declareWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range work {
				if err := b.DeclareQueue(ctx, vhost, name); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
feed:
	for _, n := range names {
		select {
		case work <- n:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
