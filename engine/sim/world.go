package sim

import (
	"container/heap"
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/yeeter/yeetscale/engine"
)

// message is one queued message. Messages start in arrival order (the queue
// is FIFO), so the world keeps them in one slice with a cursor.
type message struct {
	arrival float64
	start   float64 // -1 until a slot takes it
	finish  float64
	service float64
}

type pod struct {
	created     float64
	runningAt   float64 // takes work from here on
	end         float64 // -1 while alive
	terminating bool
	slots       []float64 // time each slot becomes free
	seq         int       // the order of creation, for the pod's name
	chosen      bool      // a pod chooser chose it for the next scale-down
}

func (p *pod) alive() bool { return p.end < 0 && !p.terminating }

// World is the simulated queue and deployment. It advances one second per
// Step; Stats, GetScale and SetScale see and change it between steps. All
// methods are safe for concurrent use.
type World struct {
	mu sync.Mutex
	sc Scenario

	t        int // the current second (the next Step runs second t)
	rng      *rand.Rand
	msgs     []message
	next     int // first message not yet started
	inflight floatHeap
	acked    int64
	pods     []*pod

	// counters since the last statistics refresh
	published, delivered, ackedSince int64
	observed                         engine.QueueStats

	scaleEvents, reversals int
	lastDir                int
	maxSeen                int32
	version                int
	onScale                func(t int, from, to int32)
	podSeq                 int    // pods created so far
	podPrefix              string // the pods' names' prefix (SetPodPrefix)
}

// NewWorld returns a world at t = 0 with initial pods running.
func NewWorld(sc Scenario, initial int) *World {
	seed := uint64(1)
	if sc.Seed != nil {
		seed = *sc.Seed
	}
	w := &World{sc: sc, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
	for i := 0; i < initial; i++ {
		w.addPod(0, 0)
	}
	w.maxSeen = int32(initial)
	return w
}

func (w *World) addPod(created, runningAt float64) {
	w.podSeq++
	p := &pod{created: created, runningAt: runningAt, end: -1, slots: make([]float64, w.sc.WorkerConcurrency), seq: w.podSeq}
	for i := range p.slots {
		p.slots[i] = runningAt
	}
	w.pods = append(w.pods, p)
}

// Now returns the current second.
func (w *World) Now() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.t
}

// Arrive runs step 1 of second t: this second's arrivals join the queue.
// Steps 1-3 run in Begin, 5 in Work; the controller acts in between.
func (w *World) arrive(t int) {
	n := 0
	for _, a := range w.sc.Arrivals {
		switch {
		case a.IsBurst():
			if *a.AtS == t {
				n += a.Count
			}
		case t >= *a.FromS && t < *a.ToS:
			if a.Poisson {
				n += poisson(w.rng, a.RatePerS)
			} else {
				k := float64(t - *a.FromS)
				n += int(math.Floor(a.RatePerS*(k+1)) - math.Floor(a.RatePerS*k))
			}
		}
	}
	for i := 0; i < n; i++ {
		w.msgs = append(w.msgs, message{arrival: float64(t), start: -1})
	}
	w.published += int64(n)
}

// Begin runs steps 1-3 of the current second: arrivals, acknowledgements
// of work finished in (t-1, t], and the broker's statistics refresh.
func (w *World) Begin() {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := w.t
	w.arrive(t)
	for w.inflight.Len() > 0 && w.inflight[0] <= float64(t) {
		heap.Pop(&w.inflight)
		w.acked++
		w.ackedSince++
	}
	si := w.sc.StatsIntervalS
	if t%si == 4%si {
		w.refresh()
	}
}

func (w *World) refresh() {
	si := float64(w.sc.StatsIntervalS)
	ready := int64(len(w.msgs) - w.next)
	unacked := int64(w.next) - w.acked
	consumers := 0
	for _, p := range w.pods {
		if p.alive() && p.runningAt <= float64(w.t) {
			consumers++
		}
	}
	w.observed = engine.QueueStats{
		Messages:    ready + unacked,
		Ready:       ready,
		Unacked:     unacked,
		Consumers:   consumers,
		PublishRate: engine.KnownRate(float64(w.published) / si),
		DeliverRate: engine.KnownRate(float64(w.delivered) / si),
		AckRate:     engine.KnownRate(float64(w.ackedSince) / si),
		// The simulated broker's rates are its own, over its statistics
		// interval.
		RatesFrom: engine.RatesFromBroker,
	}
	w.published, w.delivered, w.ackedSince = 0, 0, 0
}

// Work runs step 5 of the current second and moves to the next second:
// free slots of running pods take the oldest ready messages.
func (w *World) Work() {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := float64(w.t)
	end := t + 1
	for w.next < len(w.msgs) {
		// The slot that becomes free first (ties: older pod, lower slot).
		var bp *pod
		bs, best := -1, math.Inf(1)
		for _, p := range w.pods {
			if !p.alive() || p.runningAt > t {
				continue
			}
			for i, free := range p.slots {
				if f := math.Max(free, t); f < best {
					bp, bs, best = p, i, f
				}
			}
		}
		if bp == nil || best >= end {
			break
		}
		m := &w.msgs[w.next]
		w.next++
		m.start = best
		m.service = w.serviceTime()
		m.finish = best + m.service
		bp.slots[bs] = m.finish
		heap.Push(&w.inflight, m.finish)
		w.delivered++
	}
	w.t++
}

func (w *World) serviceTime() float64 {
	if w.sc.ServiceJitter == "exponential" {
		return w.rng.ExpFloat64() * w.sc.ServiceTimeS
	}
	return w.sc.ServiceTimeS
}

// Stats implements engine.QueueSource: the broker's last refresh.
func (w *World) Stats(context.Context) (engine.QueueStats, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.observed, nil
}

// GetScale implements engine.Scaler.
func (w *World) GetScale(context.Context) (engine.Scale, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.scaleLocked(), nil
}

func (w *World) scaleLocked() engine.Scale {
	var s engine.Scale
	for _, p := range w.pods {
		if p.end >= 0 {
			continue
		}
		s.Current++
		if p.terminating {
			continue
		}
		s.Desired++
		if p.runningAt <= float64(w.t) {
			s.Ready++
		}
	}
	s.Version = strconv.Itoa(w.version)
	return s
}

// SetScale implements engine.Scaler: new pods start now and take work after
// pod_startup_s; removed pods are those a pod chooser chose (Live's
// PrepareScaleDown), then the newest, a starting one vanishing at once and
// a running one finishing its in-flight work first.
func (w *World) SetScale(_ context.Context, req engine.ScaleRequest) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	cur := w.scaleLocked()
	if req.From.Version != "" && req.From.Version != cur.Version {
		return engine.ErrConflict
	}
	w.setLocked(cur.Desired, req.Replicas)
	return nil
}

func (w *World) setLocked(from, to int32) {
	if to == from {
		return
	}
	t := float64(w.t)
	if to > from {
		for i := from; i < to; i++ {
			w.addPod(t, t+float64(w.sc.PodStartupS))
		}
	} else {
		remove := from - to
		for _, p := range w.removalOrder() {
			if remove == 0 {
				break
			}
			remove--
			p.terminating = true
			if p.runningAt > t {
				p.end = t
				continue
			}
			p.end = t
			for _, free := range p.slots {
				p.end = math.Max(p.end, free)
			}
		}
	}
	dir := 1
	if to < from {
		dir = -1
	}
	if w.lastDir != 0 && dir != w.lastDir {
		w.reversals++
	}
	w.lastDir = dir
	w.scaleEvents++
	w.version++
	w.maxSeen = max(w.maxSeen, to)
	if w.onScale != nil {
		w.onScale(w.t, from, to)
	}
}

// floatHeap is a min-heap of finish times.
type floatHeap []float64

func (h floatHeap) Len() int           { return len(h) }
func (h floatHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h floatHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *floatHeap) Push(x any)        { *h = append(*h, x.(float64)) }
func (h *floatHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// poisson draws a Poisson(lambda) count (Knuth for small lambda, a normal
// approximation beyond).
func poisson(r *rand.Rand, lambda float64) int {
	if lambda > 30 {
		n := int(math.Round(lambda + math.Sqrt(lambda)*r.NormFloat64()))
		return max(n, 0)
	}
	l := math.Exp(-lambda)
	k, p := 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
