package engine_test

import (
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fired reports whether ch has a value ready, without waiting.
func fired(ch <-chan time.Time) (time.Time, bool) {
	select {
	case v := <-ch:
		return v, true
	default:
		return time.Time{}, false
	}
}

func TestManualClock(t *testing.T) {
	c := engine.NewManualClock(t0)
	if !c.Now().Equal(t0) {
		t.Fatalf("Now() = %v, want %v", c.Now(), t0)
	}
	a := c.After(10 * time.Second)
	b := c.After(20 * time.Second)
	if n := c.Waiters(); n != 2 {
		t.Fatalf("Waiters() = %d, want 2", n)
	}
	steps := []struct {
		advance      time.Duration
		aDue, bDue   bool
		waitersAfter int
	}{
		{9 * time.Second, false, false, 2},
		{time.Second, true, false, 1}, // exactly due fires
		{9 * time.Second, false, false, 1},
		{time.Hour, false, true, 0},
	}
	for i, s := range steps {
		c.Advance(s.advance)
		if v, ok := fired(a); ok != s.aDue {
			t.Errorf("step %d: a fired = %v, want %v", i, ok, s.aDue)
		} else if ok && !v.Equal(t0.Add(10*time.Second)) {
			t.Errorf("step %d: a received %v, want the clock's time %v", i, v, t0.Add(10*time.Second))
		}
		if _, ok := fired(b); ok != s.bDue {
			t.Errorf("step %d: b fired = %v, want %v", i, ok, s.bDue)
		}
		if n := c.Waiters(); n != s.waitersAfter {
			t.Errorf("step %d: Waiters() = %d, want %d", i, n, s.waitersAfter)
		}
	}
	if want := t0.Add(time.Hour + 19*time.Second); !c.Now().Equal(want) {
		t.Errorf("Now() = %v, want %v", c.Now(), want)
	}
}

func TestManualClockImmediateAndNeverBackwards(t *testing.T) {
	c := engine.NewManualClock(t0)
	for _, d := range []time.Duration{0, -time.Second} {
		if v, ok := fired(c.After(d)); !ok || !v.Equal(t0) {
			t.Errorf("After(%v) fired=%v at %v, want an immediate %v", d, ok, v, t0)
		}
	}
	if c.Waiters() != 0 {
		t.Errorf("Waiters() = %d after immediate Afters, want 0", c.Waiters())
	}
	c.Set(t0.Add(time.Minute))
	c.Set(t0) // never backwards
	if want := t0.Add(time.Minute); !c.Now().Equal(want) {
		t.Errorf("Set backwards moved the clock to %v, want it to stay at %v", c.Now(), want)
	}
	var zero engine.ManualClock
	if !zero.Now().IsZero() {
		t.Errorf("zero ManualClock reads %v, want the zero time", zero.Now())
	}
}

func TestRealClock(t *testing.T) {
	var c engine.Clock = engine.RealClock{}
	before := time.Now()
	if now := c.Now(); now.Before(before) {
		t.Errorf("RealClock.Now() = %v, before %v", now, before)
	}
	if _, ok := <-c.After(0); !ok {
		t.Error("RealClock.After(0) closed without a value")
	}
}
