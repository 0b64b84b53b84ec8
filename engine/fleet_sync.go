package engine

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// sync follows the source's targets: a new target gets a controller, a
// removed one's is closed, and a changed one (its settings, queues or
// error) gets a new controller. When only its settings changed, the new
// controller keeps the old one's history, events and mode, so that the
// scale-down window and the trends go on; when its queues or vhost
// changed, the history is of other queues and is left out (the mode and
// the events are kept). A new or changed target is polled at the next
// round. It publishes a snapshot.
func (f *Fleet) sync(by string) {
	f.op.Lock()
	defer f.op.Unlock()
	targets := f.src.Targets()
	sort.SliceStable(targets, func(i, j int) bool { return targets[i].Key() < targets[j].Key() })
	f.mu.Lock()
	if f.closing {
		f.mu.Unlock()
		return
	}
	mode := f.mode
	f.mu.Unlock()

	// f.members changes only with f.op held (as here), so it is read
	// without f.mu until it is replaced.
	next := make(map[string]*member, len(targets))
	keys := make([]string, 0, len(targets))
	var retired []*Controller
	type handover struct {
		old, new *Controller
		msg      string
		history  bool
	}
	var handovers []handover
	for _, t := range targets {
		k := t.Key()
		if next[k] != nil {
			continue // a source that repeats a key: the first wins
		}
		keys = append(keys, k)
		old := f.members[k]
		if old != nil && sameTarget(old.target, t) {
			next[k] = old
			continue
		}
		m := f.newMember(t, mode)
		next[k] = m
		if old != nil && old.ctrl != nil {
			retired = append(retired, old.ctrl)
			if m.ctrl != nil {
				msg, history := targetChange(old.target, t)
				handovers = append(handovers, handover{old.ctrl, m.ctrl, msg, history})
			}
		}
	}
	for k, m := range f.members {
		if next[k] == nil && m.ctrl != nil {
			retired = append(retired, m.ctrl)
		}
	}
	for _, c := range retired {
		c.Close() // waits for an approval in flight
	}
	for _, h := range handovers {
		h.new.adopt(h.old, by, h.msg, h.history)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members, f.keys = next, keys
	f.publishLocked()
}

// newMember returns the member that runs t: its controller, or why it
// cannot run.
func (f *Fleet) newMember(t Target, mode Mode) *member {
	m := &member{target: t, source: &roundSource{}, err: t.Err}
	if m.err != nil {
		return m
	}
	if t.Scaler == nil {
		m.err = fmt.Errorf("%w: target %s has no scaler", ErrRefused, Printable(t.Key()))
		return m
	}
	if m.match, m.err = newQueueMatcher(t.Queues); m.err != nil {
		return m
	}
	cfg := t.Config
	if f.history > 0 {
		cfg.HistorySize = f.history
	}
	m.ctrl, m.err = New(Options{Config: cfg, Source: m.source, Scaler: t.Scaler, Clock: f.clock,
		Mode: mode, RequestTimeout: f.timeout, Memory: t.Memory})
	if m.err == nil && t.Pods != nil {
		m.ctrl.SetPodChooser(t.Pods)
	}
	return m
}

// sameTarget reports whether b needs no new controller after a: the same
// settings, queues and error. A source must keep a target's Scaler and
// Memory while these stay the same (they, and Pods, are not compared).
func sameTarget(a, b Target) bool {
	return a.Config == b.Config && sameQueues(a.Queues, b.Queues) && errText(a.Err) == errText(b.Err) &&
		(a.Scaler == nil) == (b.Scaler == nil)
}

func sameQueues(a, b QueueSet) bool {
	return slices.Equal(a.Names, b.Names) && a.Pattern == b.Pattern && a.Combine == b.Combine
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// targetChange describes what changed from a to b (for the event log), and
// whether the history still describes b's queues.
func targetChange(a, b Target) (string, bool) {
	if !sameQueues(a.Queues, b.Queues) || a.Config.VHost != b.Config.VHost {
		return fmt.Sprintf("queues %s on vhost %q -> %s on vhost %q (history restarted)",
			a.Queues, Printable(a.Config.VHost), b.Queues, Printable(b.Config.VHost)), false
	}
	var changes []string
	for _, s := range settingsTable() {
		if av, bv := s.show(a.Config), s.show(b.Config); av != bv {
			changes = append(changes, fmt.Sprintf("%s %s -> %s", s.Name, av, bv))
		}
	}
	if len(changes) == 0 {
		return "target changed", true
	}
	return "settings " + strings.Join(changes, ", "), true
}

// adopt takes over a closed controller's mode, events and error counts
// and, when history is set, its history and its last readings, so that a
// target whose settings changed goes on where it was. Its proposal is not
// taken (it was made under the old settings): the next poll decides. c
// must be new (never polled).
func (c *Controller) adopt(old *Controller, by, msg string, history bool) {
	old.mu.Lock()
	hist := old.hist.View()
	events := old.events
	events.buf = slices.Clone(events.buf)
	snap, mode, prev := old.snap, old.mode, old.prevMode
	errCount := maps.Clone(old.errCount)
	memSaved := old.memSaved
	old.mu.Unlock()

	c.mu.Lock()
	defer c.mu.Unlock()
	c.events, c.errCount, c.mode, c.prevMode = events, errCount, mode, prev
	// The memory is the old controller's history: newer than the store's
	// when kept, of other queues when not. Either way it is not loaded.
	c.memLoaded, c.memSaved = true, memSaved
	if history {
		for _, o := range hist {
			c.hist.Push(o)
		}
		c.snap.Stats, c.snap.Scale, c.snap.Polls = snap.Stats, snap.Scale, snap.Polls
		c.snap.LastPoll, c.snap.LastGoodPoll = snap.LastPoll, snap.LastGoodPoll
	}
	c.snap.Seq = snap.Seq
	c.snap.Decision.Reason = "settings changed: deciding at the next poll"
	c.eventLocked(EventConfig, by, "%s", msg)
	c.publishLocked(nil)
}
