package engine

import "time"

// EventKind classifies an Event.
type EventKind string

// Event kinds.
const (
	EventScale  EventKind = "scale"  // a change was applied
	EventError  EventKind = "error"  // a poll or an apply failed
	EventConfig EventKind = "config" // clamp, target or mode changed
	EventInfo   EventKind = "info"   // anything else worth a line
)

// Event is one line of the controller's event log.
type Event struct {
	// ID increases by one with every event of a controller, so consumers of
	// snapshots can tell which events they have not seen yet.
	ID      uint64
	At      time.Time
	Kind    EventKind
	Message string
	// By says who caused it (operator, auto, once, ...), when known.
	By string
	// From and To are the replica counts of a scale event.
	From, To int32
	// Repeats counts how many more times the same error happened right
	// after this one (At is then the latest time).
	Repeats int
}

// eventLog is a bounded log of events, newest kept.
type eventLog struct {
	buf  []Event
	max  int
	next uint64
}

func (l *eventLog) add(e Event) {
	// An error repeated poll after poll (an autoscaler in the way, a
	// forbidden update) stays one line, counted, rather than pushing
	// everything else out of the log.
	if n := len(l.buf); n > 0 && e.Kind == EventError && l.buf[n-1].Kind == EventError && l.buf[n-1].Message == e.Message {
		l.buf[n-1].At = e.At
		l.buf[n-1].Repeats++
		return
	}
	l.next++
	e.ID = l.next
	if len(l.buf) == l.max {
		copy(l.buf, l.buf[1:])
		l.buf = l.buf[:l.max-1]
	}
	l.buf = append(l.buf, e)
}

// newestFirst returns a copy, newest event first.
func (l *eventLog) newestFirst() []Event {
	out := make([]Event, len(l.buf))
	for i, e := range l.buf {
		out[len(l.buf)-1-i] = e
	}
	return out
}
