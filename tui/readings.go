package tui

import (
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// The panels show only what a poll read. Before any poll has read both the
// Deployment and the queue, every figure is unknown and shows as "—" (as in
// the fleet list; the JSON output gives null), never the zero values of an
// empty snapshot. Once a poll has, a later failed poll leaves the last good
// figures on screen, said to be as of that poll.

// noReading is what a panel says of figures no poll has read yet.
func noReading(s engine.Snapshot) string {
	if s.Polls == 0 {
		return "not read yet"
	}
	return "no good poll yet"
}

// asOf is "" while s's figures are current, else "as of 15:04:05": the
// time (in loc) of the last good poll, whose figures are still shown
// because the latest poll failed or none has succeeded for two poll
// intervals.
func asOf(s engine.Snapshot, loc *time.Location) string {
	if s.LastGoodPoll.IsZero() || s.ConsecutiveErrors == 0 && !s.Stale {
		return ""
	}
	return "as of " + s.LastGoodPoll.In(loc).Format("15:04:05")
}

// readHistory is hist from its first good observation on: the failed polls
// before it carry no reading, only the zeros of an empty snapshot, which a
// chart would draw as a real line at 0.
func readHistory(hist []engine.Observation) []engine.Observation {
	for i, o := range hist {
		if o.OK {
			return hist[i:]
		}
	}
	return nil
}

// scaleAsOf is asOf for the replicas panel: its figures come from the
// Deployment, which a poll may read while failing on the queue (then they
// are current); "as of" the last read of it when the latest poll did not
// read it.
func scaleAsOf(s engine.Snapshot, loc *time.Location) string {
	if s.ScaleRead.IsZero() || s.ScaleRead.Equal(s.LastPoll) {
		return ""
	}
	return "as of " + s.ScaleRead.In(loc).Format("15:04:05")
}
