package engine

import (
	"slices"
	"time"
)

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
	// IdleHold is set when --scale-in-wait-idle held the policy's
	// scale-down at this poll (waiting for idle pods): the held scale-down
	// began at the first of the latest run of such observations.
	IdleHold bool
}

// Ring is a bounded history of observations, oldest first: memory does not
// grow with uptime. It keeps the newest Cap observations in one array that
// it only ever appends to, so that View hands them out without a copy and
// a view, once taken, never changes: when the array is full, the newest
// observations move to a new array (an eighth larger than Cap: a move
// every Cap/8 pushes or so, 8 observations copied a push on average, for
// 12% more memory) and views of the old one keep it.
// The array grows as observations come, up to that size. The zero value
// holds nothing; use NewRing.
type Ring struct {
	buf      []Observation
	capacity int
}

// NewRing returns a ring that keeps the newest capacity observations (at
// least 1).
func NewRing(capacity int) *Ring {
	return &Ring{capacity: max(capacity, 1)}
}

// Len returns how many observations are held.
func (r *Ring) Len() int { return min(len(r.buf), r.capacity) }

// Cap returns the capacity.
func (r *Ring) Cap() int { return r.capacity }

// Push adds o, dropping the oldest observation when full. A reason or a
// version equal to the newest observation's is kept as that one's string:
// a target that holds steady poll after poll (most of a fleet, most of
// the time) keeps one copy of it, not one a poll.
func (r *Ring) Push(o Observation) {
	if last, ok := r.Last(); ok {
		if o.Decision.Reason == last.Decision.Reason {
			o.Decision.Reason = last.Decision.Reason
		}
		if o.Scale.Version == last.Scale.Version {
			o.Scale.Version = last.Scale.Version
		}
	}
	if len(r.buf) == cap(r.buf) {
		r.regrow()
	}
	r.buf = append(r.buf, o)
}

// regrow moves the observations to a new array with room for more: twice
// as large while the ring fills, then of the ring's full size, keeping the
// newest Cap-1 observations. The old array is left as it is, for the views
// of it.
func (r *Ring) regrow() {
	full := r.capacity + r.capacity/8 + 1
	keep := min(len(r.buf), r.capacity-1)
	next := make([]Observation, keep, min(max(2*len(r.buf), 8), full))
	copy(next, r.buf[len(r.buf)-keep:])
	r.buf = next
}

// At returns the i-th oldest observation (0 is the oldest).
func (r *Ring) At(i int) Observation { return r.View()[i] }

// Last returns the newest observation, and false when there is none.
func (r *Ring) Last() (Observation, bool) {
	if len(r.buf) == 0 {
		return Observation{}, false
	}
	return r.buf[len(r.buf)-1], true
}

// View returns the observations, oldest first, without copying them: the
// slice is the ring's and must not be changed, but later pushes do not
// change it either (it stays as it was, for as long as it is held). Its
// capacity is its length, so that appending to it copies.
func (r *Ring) View() []Observation {
	n := len(r.buf)
	return r.buf[n-r.Len() : n : n]
}

// Slice returns a copy of the observations, oldest first, that the caller
// owns.
func (r *Ring) Slice() []Observation { return slices.Clone(r.View()) }
