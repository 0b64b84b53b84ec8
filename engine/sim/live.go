package sim

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// Live runs a World against a clock (real or accelerated) for `yeetscale
// demo`: before every read or change it advances the world to the clock's
// current second. It implements engine.QueueSource and engine.Scaler.
type Live struct {
	mu    sync.Mutex
	w     *World
	clock engine.Clock
	start time.Time
	begun bool // Begin has run for the world's current second
}

// NewLive starts sc's world at the clock's current time with initial pods.
func NewLive(sc Scenario, initial int, clock engine.Clock) *Live {
	return &Live{w: NewWorld(sc, initial), clock: clock, start: clock.Now()}
}

// advance completes every whole second before the clock's current second
// and begins the current one, so a change lands before its work step.
func (l *Live) advance() {
	l.mu.Lock()
	defer l.mu.Unlock()
	target := int(l.clock.Now().Sub(l.start) / time.Second)
	for l.w.Now() < target {
		if !l.begun {
			l.w.Begin()
		}
		l.w.Work()
		l.begun = false
		l.w.compact()
	}
	if !l.begun {
		l.w.Begin()
		l.begun = true
	}
}

// Second returns the world's current second.
func (l *Live) Second() int {
	l.advance()
	return l.w.Now()
}

// Stats implements engine.QueueSource.
func (l *Live) Stats(ctx context.Context) (engine.QueueStats, error) {
	l.advance()
	return l.w.Stats(ctx)
}

// GetScale implements engine.Scaler.
func (l *Live) GetScale(ctx context.Context) (engine.Scale, error) {
	l.advance()
	return l.w.GetScale(ctx)
}

// SetScale implements engine.Scaler.
func (l *Live) SetScale(ctx context.Context, req engine.ScaleRequest) error {
	l.advance()
	return l.w.SetScale(ctx, req)
}

// compact forgets finished messages and terminated pods so that a world
// that runs for days keeps constant memory. Scores are no longer possible
// afterwards, so only Live calls it.
func (w *World) compact() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.next > 4096 && w.next > len(w.msgs)/2 {
		w.msgs = append(w.msgs[:0:0], w.msgs[w.next:]...)
		// unacked is next - acked: both count from the dropped prefix.
		w.acked -= int64(w.next)
		w.next = 0
	}
	if len(w.pods) > 256 {
		kept := w.pods[:0]
		for _, p := range w.pods {
			if p.end < 0 || p.end > float64(w.t) {
				kept = append(kept, p)
			}
		}
		w.pods = kept
	}
}

// ScaledClock runs Speed times faster than the wall clock from its start.
type ScaledClock struct {
	Speed float64
	start time.Time
}

// NewScaledClock returns a clock at the wall time now, running speed times
// faster (speed 1 is the wall clock).
func NewScaledClock(speed float64) *ScaledClock {
	if speed <= 0 {
		speed = 1
	}
	return &ScaledClock{Speed: speed, start: time.Now()}
}

// Now implements engine.Clock.
func (c *ScaledClock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.start)) * c.Speed))
}

// After implements engine.Clock: d of scaled time.
func (c *ScaledClock) After(d time.Duration) <-chan time.Time {
	real := time.Duration(float64(d) / c.Speed)
	ch := make(chan time.Time, 1)
	time.AfterFunc(real, func() { ch <- c.Now() })
	return ch
}

// Demo returns the built-in scenario of `yeetscale demo`: background
// traffic with a 10,000-message burst at once and further bursts every 20
// minutes, for a day.
func Demo() Scenario {
	at := func(s int) *int { return &s }
	two := 2
	seed := uint64(42)
	sc := Scenario{
		Name: "demo", DurationS: 24 * 3600, ServiceTimeS: 1.5, ServiceJitter: "exponential",
		WorkerConcurrency: 1, PodStartupS: 20, StatsIntervalS: 1, InitialReplicas: &two, Seed: &seed,
		Arrivals: []Arrival{{FromS: at(0), ToS: at(24 * 3600), RatePerS: 3, Poisson: true}},
		Policy: Settings{"min_replicas": json.RawMessage("2"), "max_replicas": json.RawMessage("40"),
			"target_messages": json.RawMessage("250"), "poll_interval_s": json.RawMessage("15")},
	}
	sizes := []int{10000, 4000, 7000, 2500, 9000, 5000}
	for i, t := 0, 0; t < sc.DurationS; i, t = i+1, t+1200 {
		sc.Arrivals = append(sc.Arrivals, Arrival{AtS: at(t), Count: sizes[i%len(sizes)]})
	}
	return sc
}
