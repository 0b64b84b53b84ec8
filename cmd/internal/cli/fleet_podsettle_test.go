package cli

import (
	"testing"
	"time"
)

// sleepySettler never finishes: it waits out its timeout, as a chooser
// whose Deployment does not settle.
type sleepySettler struct{ done bool }

func (s sleepySettler) WaitFor(d time.Duration) bool {
	if s.done {
		return true
	}
	time.Sleep(d)
	return false
}

// TestSettleAllBoundsTheTotal: a fleet --once waits for its targets'
// scale-downs together, at most the bound in all, not the bound for each.
func TestSettleAllBoundsTheTotal(t *testing.T) {
	const d = 200 * time.Millisecond
	tests := []struct {
		name string
		ws   []settler
		all  bool
		max  time.Duration
	}{
		{"none", nil, true, d / 2},
		{"all done", []settler{sleepySettler{true}, sleepySettler{true}}, true, d / 2},
		{"five never settle", []settler{sleepySettler{}, sleepySettler{}, sleepySettler{}, sleepySettler{true}, sleepySettler{}, sleepySettler{}}, false, 2 * d},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			all := settleAll(tt.ws, d)
			if took := time.Since(start); all != tt.all || took > tt.max {
				t.Fatalf("settleAll = %v after %s, want %v within %s", all, took, tt.all, tt.max)
			}
		})
	}
}
