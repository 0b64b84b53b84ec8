package sim

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// estateWorld is one queue of an estate: a Live world whose scenario
// replays every period seconds. Before every read or change it adds the
// arrivals of the cycles about to start and drops those that are over, so
// that the world holds at most two cycles' arrivals (and Live compacts its
// messages and pods): its memory stays flat however long it runs. Its
// Deployment's pods are seen and chosen over all the Deployment's worlds
// (deploymentPods), not through one world's.
type estateWorld struct {
	*Live
	loop sync.Mutex // guards the fields below
	// cycle is one period's arrivals, times within [0, period).
	cycle  []Arrival
	period int
	// next is the first cycle whose arrivals are not in the world yet.
	next int
}

var _ engine.Scaler = (*estateWorld)(nil)

// newEstateWorld starts q's world at replicas pods, q.Warm seconds in the
// past of the clock.
func newEstateWorld(q EstateQueue, replicas int, clock engine.Clock) *estateWorld {
	sc := q.Scenario
	cycle := slices.Clone(sc.Arrivals)
	sc.Arrivals = nil // the world's own slice, filled by feed
	w := &estateWorld{Live: NewLive(sc, replicas, clock), cycle: cycle, period: sc.DurationS}
	w.start = w.start.Add(-q.Warm.Truncate(time.Second))
	return w
}

// feed makes the world's arrivals those of every cycle that has begun by
// the clock's second plus one period (a margin: the world may advance a
// little further than the clock read here), less those already over.
func (w *estateWorld) feed() {
	w.loop.Lock()
	defer w.loop.Unlock()
	upTo := int(w.clock.Now().Sub(w.start)/time.Second) + w.period
	world := w.w
	world.mu.Lock()
	defer world.mu.Unlock()
	now := world.t
	kept := world.sc.Arrivals[:0]
	for _, a := range world.sc.Arrivals {
		if (a.IsBurst() && *a.AtS >= now) || (!a.IsBurst() && *a.ToS > now) {
			kept = append(kept, a)
		}
	}
	world.sc.Arrivals = kept
	for ; w.next*w.period <= upTo; w.next++ {
		for _, a := range w.cycle {
			world.sc.Arrivals = append(world.sc.Arrivals, shift(a, w.next*w.period))
		}
	}
}

// shift returns a with its times moved by d seconds.
func shift(a Arrival, d int) Arrival {
	add := func(p *int) *int {
		if p == nil {
			return nil
		}
		v := *p + d
		return &v
	}
	a.AtS, a.FromS, a.ToS = add(a.AtS), add(a.FromS), add(a.ToS)
	return a
}

// Stats implements engine.QueueSource.
func (w *estateWorld) Stats(ctx context.Context) (engine.QueueStats, error) {
	w.feed()
	return w.Live.Stats(ctx)
}

// GetScale implements engine.Scaler.
func (w *estateWorld) GetScale(ctx context.Context) (engine.Scale, error) {
	w.feed()
	return w.Live.GetScale(ctx)
}

// SetScale implements engine.Scaler.
func (w *estateWorld) SetScale(ctx context.Context, req engine.ScaleRequest) error {
	w.feed()
	return w.Live.SetScale(ctx, req)
}
