package rabbit

// ForQueue returns a client of the same broker, credentials and connections
// for queue on vhost (a fleet's targets): it shares c's HTTP client, so
// that a thousand targets do not open a thousand connection pools. Its
// rates start afresh.
func (c *Client) ForQueue(vhost, queue string) *Client {
	cp := *c
	cp.vhost, cp.queue, cp.rates = vhost, queue, newRateTracker()
	return &cp
}
