package engine

import "time"

// Backoff returns the wait before the next poll after n consecutive
// failures (failed polls, or polls whose update failed): the poll interval
// doubled per failure, capped at the larger of the poll interval and the
// configured limit.
func Backoff(cfg Config, n int) time.Duration {
	d := cfg.PollInterval
	limit := max(cfg.BackoffLimit, cfg.PollInterval)
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// RetryIn returns how long Run waits after the poll s describes: the poll
// interval, or a backoff (see Backoff) after failed polls or failed
// updates.
func (s Snapshot) RetryIn() time.Duration {
	return Backoff(s.Config, max(s.ConsecutiveErrors, s.ApplyErrors))
}
