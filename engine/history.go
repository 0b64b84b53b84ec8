package engine

import "time"

// Observation is what one poll saw and decided: the history the policies
// read and the charts draw.
type Observation struct {
	// At is when the controller polled.
	At time.Time
	// OK is false when the poll failed; Stats and Scale then hold the last
	// good values and Decision is a hold.
	OK    bool
	Stats QueueStats
	Scale Scale
	// Decision is what the policy said.
	Decision Decision
	// Applied is spec.replicas after the poll: Scale.Desired, or the new size
	// when the poll applied a change.
	Applied int32
}

// Ring is a fixed-capacity ring buffer of observations: memory does not grow
// with uptime. The zero value holds nothing; use NewRing.
type Ring struct {
	buf   []Observation
	start int
	n     int
}

// NewRing returns a ring that keeps the newest capacity observations.
func NewRing(capacity int) *Ring {
	if capacity < 1 {
		capacity = 1
	}
	return &Ring{buf: make([]Observation, capacity)}
}

// Len returns how many observations are held.
func (r *Ring) Len() int { return r.n }

// Cap returns the capacity.
func (r *Ring) Cap() int { return len(r.buf) }

// Push adds o, dropping the oldest observation when full.
func (r *Ring) Push(o Observation) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = o
		r.n++
		return
	}
	r.buf[r.start] = o
	r.start = (r.start + 1) % len(r.buf)
}

// At returns the i-th oldest observation (0 is the oldest).
func (r *Ring) At(i int) Observation { return r.buf[(r.start+i)%len(r.buf)] }

// Slice returns a copy of the observations, oldest first.
func (r *Ring) Slice() []Observation {
	out := make([]Observation, r.n)
	for i := range out {
		out[i] = r.At(i)
	}
	return out
}
