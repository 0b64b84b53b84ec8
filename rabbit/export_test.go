package rabbit

import "github.com/yeeter/yeetscale/engine"

// CounterRates returns the rates c's counters give now for its queue
// (publish, deliver_get, ack), whichever rate Stats chose to report.
func CounterRates(c *Client) [3]engine.Rate {
	c.rates.mu.Lock()
	defer c.rates.mu.Unlock()
	q := c.rates.queues[rateKey(c.vhost, c.queue)]
	if q == nil {
		return [3]engine.Rate{}
	}
	return q.current(c.now())
}
