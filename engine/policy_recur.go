package engine

import (
	"fmt"
	"time"
)

// Constants of the adaptive policy's recurring-burst rule (recurring).
const (
	// recurSpan is how far back, in scale-down windows, bursts are looked
	// for.
	recurSpan = 3
	// recurDrained is how far the queue must fall between two bursts, as
	// a share of the first one's jump, for the second to count as a burst
	// of its own: two bursts on top of each other (a second batch while
	// the first is still queued) are one big burst, not a recurring load.
	recurDrained = 0.25
)

// recurring reports whether the load comes in recurring bursts: at least
// two bursts (the depth rising by a target's worth or more from one good
// poll to the next; the start of the history counts as an empty queue),
// each one arriving within a scale-down window of the one before and after
// the queue drained to recurDrained of it, the latest within a window of
// now. It returns the words for the reason when it does.
//
// This sees the pattern from the queue alone. burstHold sees it from a
// bounce (workers removed, then added back), which needs one more
// reversal: with bursts every few minutes that keep the workers busy
// through the gaps, the first scale-down came just before the third burst
// and was added back a poll later.
func recurring(in Input) (string, bool) {
	c := in.Config
	w := c.ScaleDownWindow
	if w <= 0 || c.TargetMessages <= 0 {
		return "", false
	}
	var onsets []time.Time
	var prev, jump, low int64 // the last good depth; the last burst's jump, and the lowest depth since
	for _, o := range in.History {
		if !o.OK {
			continue
		}
		d := c.Depth(o.Stats)
		if in.Now.Sub(o.At) <= recurSpan*w && d-prev >= c.TargetMessages {
			if len(onsets) > 0 && float64(low) > recurDrained*float64(jump) {
				onsets = onsets[:0] // on top of the one before: the same burst
			}
			onsets = append(onsets, o.At)
			jump, low = d-prev, d
		}
		low, prev = min(low, d), d
	}
	n := len(onsets)
	if n < 2 || in.Now.Sub(onsets[n-1]) > w {
		return "", false
	}
	longest := time.Duration(0)
	for i := 1; i < n; i++ {
		gap := onsets[i].Sub(onsets[i-1])
		if gap > w {
			return "", false
		}
		longest = max(longest, gap)
	}
	return fmt.Sprintf("%d bursts at most %s apart, each after the one before drained", n, longest), true
}
