package engine

import (
	"errors"
	"fmt"
)

// Bounds beyond which queue statistics are taken for garbage rather than
// acted on: no broker holds a trillion messages in one queue, or a million
// consumers on it.
const (
	MaxPlausibleMessages  = 1_000_000_000_000
	MaxPlausibleConsumers = 1_000_000
)

// errImplausible marks the errors of CheckStats.
var errImplausible = errors.New("implausible queue statistics")

// CheckStats returns an error of kind ErrBadResponse when s cannot describe
// a real queue: a negative count, a count beyond MaxPlausibleMessages or
// MaxPlausibleConsumers, or messages that are not ready + unacked. The
// broker reports those three from one statistics refresh, so they agree
// exactly; a small slack (10 messages or 1%, whichever is more) allows for
// a broker that rounds or samples them apart. The controller checks every
// poll's statistics before deciding, and holds on this error.
func CheckStats(s QueueStats) error {
	bad := func(format string, args ...any) error {
		return &Error{Kind: ErrBadResponse, Err: errImplausible,
			Msg: fmt.Sprintf("implausible queue statistics: "+format+"; check the broker", args...)}
	}
	for _, f := range []struct {
		name string
		v    int64
		max  int64
	}{{"messages", s.Messages, MaxPlausibleMessages}, {"ready", s.Ready, MaxPlausibleMessages},
		{"unacked", s.Unacked, MaxPlausibleMessages}, {"consumers", int64(s.Consumers), MaxPlausibleConsumers}} {
		switch {
		case f.v < 0:
			return bad("%s %s is negative", f.name, Thousands(f.v))
		case f.v > f.max:
			return bad("%s %s is beyond %s", f.name, Thousands(f.v), Thousands(f.max))
		}
	}
	sum := s.Ready + s.Unacked
	slack := max(10, s.Messages/100)
	switch {
	case s.Messages+slack < sum:
		return bad("messages %s < ready %s + unacked %s", Thousands(s.Messages), Thousands(s.Ready), Thousands(s.Unacked))
	case s.Messages > sum+slack:
		return bad("messages %s > ready %s + unacked %s", Thousands(s.Messages), Thousands(s.Ready), Thousands(s.Unacked))
	}
	return nil
}
