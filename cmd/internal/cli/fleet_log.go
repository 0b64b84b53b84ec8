package cli

import (
	"context"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yeeter/yeetscale/engine"
)

// fleetLog writes --auto's log lines in fleet mode, every one naming its
// target (namespace, deployment), and feeds the metrics.
type fleetLog struct {
	logger *slog.Logger
	fleet  interface {
		Controller(key string) *engine.Controller
	}
	m    *metrics // nil without --metrics-addr
	seen map[string]*targetSeen
}

// targetSeen is what was logged of one target.
type targetSeen struct {
	polls     int
	errText   string
	desired   int32
	config    engine.Config
	lastEvent uint64
	errCounts map[string]int // the engine's error counts already exported
}

func newFleetLog(logger *slog.Logger, fl interface {
	Controller(key string) *engine.Controller
}, m *metrics) *fleetLog {
	return &fleetLog{logger: logger, fleet: fl, m: m, seen: map[string]*targetSeen{}}
}

// follow logs every snapshot until ctx ends, then the newest one not yet
// seen, if any.
func (l *fleetLog) follow(ctx context.Context, snaps <-chan engine.FleetSnapshot) {
	for {
		select {
		case s := <-snaps:
			l.observe(s)
		case <-ctx.Done():
			select {
			case s := <-snaps:
				l.observe(s)
			default:
			}
			return
		}
	}
}

// observe logs what is new in s: targets that came and went, each new
// poll's decision or error, each new event.
func (l *fleetLog) observe(s engine.FleetSnapshot) {
	p := engine.Printable
	present := make(map[string]bool, len(s.Targets))
	for _, t := range s.Targets {
		key := t.Key()
		present[key] = true
		at := []any{"namespace", p(t.Namespace), "deployment", p(t.Deployment)}
		seen := l.seen[key]
		if seen == nil {
			seen = &targetSeen{errCounts: map[string]int{}, desired: -1}
			l.seen[key] = seen
			l.logger.Info("target", append(at, "queues", p(t.Queues.String()), "vhost", p(t.Snapshot.Config.VHost), "status", t.Status)...)
		}
		l.target(t, seen, at)
	}
	for key := range l.seen {
		if !present[key] {
			delete(l.seen, key)
			ns, name, _ := strings.Cut(key, "/")
			l.logger.Info("target gone", "namespace", p(ns), "deployment", p(name))
			if l.m != nil {
				l.m.forget(ns, name)
			}
		}
	}
}

// target logs one target's news.
func (l *fleetLog) target(t engine.TargetSnapshot, seen *targetSeen, at []any) {
	p := engine.Printable
	s := t.Snapshot
	if s.Seq == 0 { // cannot run: an invalid annotation
		if e := errString(t.Err); e != seen.errText {
			seen.errText = e
			l.logger.Error("target invalid", append(at, "error", p(e), "kind", engine.ErrorKind(t.Err))...)
		}
		return
	}
	var events []engine.Event
	if s.Scale.Desired != seen.desired || s.Config != seen.config {
		// A scale or a settings change may have logged an event: read
		// the controller's log only then (it copies its history).
		if c := l.fleet.Controller(t.Key()); c != nil {
			events = newEvents(c.Snapshot().Events, &seen.lastEvent)
		}
		seen.desired, seen.config = s.Scale.Desired, s.Config
	}
	for _, e := range events {
		switch e.Kind {
		case engine.EventScale:
			l.logger.Info("scaled", append(at, "from", e.From, "to", e.To, "by", p(e.By), "reason", p(e.Message))...)
		case engine.EventConfig:
			l.logger.Info("config", append(at, "change", p(e.Message), "by", p(e.By))...)
		case engine.EventInfo:
			if e.By == engine.OutsideBy {
				l.logger.Info("scaled outside yeetscale", append(at, "from", e.From, "to", e.To)...)
			}
		}
	}
	if l.m != nil {
		l.m.observeTarget(t, seen, events)
	}
	if s.Polls == seen.polls {
		return
	}
	seen.polls = s.Polls
	if s.ConsecutiveErrors > 0 {
		l.logger.Error("poll failed", append(at, "error", p(s.Err.Error()), "kind", engine.ErrorKind(s.Err), "consecutive", s.ConsecutiveErrors,
			"holding", s.Scale.Desired, "retry_in", s.RetryIn().String())...)
		return
	}
	attrs := append(at, pollAttrs(s)...)
	if s.Err != nil {
		l.logger.Warn("decision not applied", append(attrs, "error", p(s.Err.Error()), "kind", engine.ErrorKind(s.Err))...)
		return
	}
	l.logger.Info("decision", attrs...)
}

// newEvents returns the events of log (newest first) after *last, oldest
// first, and moves *last to the newest.
func newEvents(log []engine.Event, last *uint64) []engine.Event {
	var out []engine.Event
	for i := len(log) - 1; i >= 0; i-- {
		if e := log[i]; e.ID > *last {
			out = append(out, e)
			*last = e.ID
		}
	}
	return out
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// observeTarget updates the metrics from one target of a fleet snapshot
// and its new events (fleet mode: every series has namespace and
// deployment labels).
func (m *metrics) observeTarget(t engine.TargetSnapshot, seen *targetSeen, events []engine.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := t.Snapshot
	l := prometheus.Labels{"namespace": t.Namespace, "deployment": t.Deployment, "vhost": s.Config.VHost, "queue": s.Config.Queue}
	if !s.LastGoodPoll.IsZero() {
		m.messages.With(l).Set(float64(s.Stats.Messages))
		m.ready.With(l).Set(float64(s.Stats.Ready))
		m.unacked.With(l).Set(float64(s.Stats.Unacked))
		m.consumers.With(l).Set(float64(s.Stats.Consumers))
		if v := float64(s.LastGoodPoll.UnixNano()) / 1e9; v > m.lastGood {
			m.lastGood = v
			m.lastPoll.Set(v)
		}
		for state, v := range map[string]int32{"current": s.Scale.Desired, "ready": s.Scale.Ready, "desired": s.Proposed} {
			l["state"] = state
			m.replicas.With(l).Set(float64(v))
		}
	}
	for kind, n := range s.Errors {
		if d := n - seen.errCounts[kind]; d > 0 {
			m.errors.WithLabelValues(t.Namespace, t.Deployment, kind).Add(float64(d))
			seen.errCounts[kind] = n
		}
	}
	for _, e := range events {
		if e.Kind == engine.EventScale {
			dir := "up"
			if e.To < e.From {
				dir = "down"
			}
			m.scaleActions.WithLabelValues(t.Namespace, t.Deployment, dir).Inc()
		}
	}
}

// forget drops the series of a target that is gone.
func (m *metrics) forget(namespace, deployment string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := prometheus.Labels{"namespace": namespace, "deployment": deployment}
	for _, v := range []*prometheus.GaugeVec{m.messages, m.ready, m.unacked, m.consumers, m.replicas} {
		v.DeletePartialMatch(l)
	}
	m.scaleActions.DeletePartialMatch(l)
	m.errors.DeletePartialMatch(l)
}
