package cli

import (
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/yeeter/yeetscale/engine"
)

// metrics exports the controller's snapshots to Prometheus and answers the
// health probes.
type metrics struct {
	reg *prometheus.Registry
	ctl *engine.Controller
	// fresh, in fleet mode (ctl nil), says whether the fleet polled
	// recently enough for /readyz.
	fresh func() (bool, string)
	// target is true in fleet mode: scale_actions_total and errors_total
	// carry namespace and deployment labels too.
	target bool

	messages, ready, unacked, consumers *prometheus.GaugeVec
	replicas                            *prometheus.GaugeVec
	lastPoll                            prometheus.Gauge
	leader                              prometheus.Gauge
	scaleActions, errors                *prometheus.CounterVec

	mu        sync.Mutex
	lastEvent uint64
	errSeen   map[string]int // the engine's error counts already exported
	isLeader  bool
	lastGood  float64 // fleet mode: the newest good poll's Unix time
	// leaseOK, with leader election, says whether a standby can reach its
	// Lease (leaseHealth.reachable); nil without leader election.
	leaseOK func() bool
}

func newMetrics(ctl *engine.Controller, leader bool) *metrics {
	return newMetricsFor(ctl, leader, nil)
}

// newMetricsFor is newMetrics with counterLabels before the counters' own
// (direction, kind): namespace and deployment in fleet mode.
func newMetricsFor(ctl *engine.Controller, leader bool, counterLabels []string) *metrics {
	labels := []string{"namespace", "deployment", "vhost", "queue"}
	g := func(name, help string, l ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "yeetscale", Name: name, Help: help}, l)
	}
	m := &metrics{
		reg:       prometheus.NewRegistry(),
		ctl:       ctl,
		messages:  g("queue_messages", "Messages in the queue (ready + unacknowledged) at the last good poll.", labels...),
		ready:     g("queue_messages_ready", "Ready messages at the last good poll.", labels...),
		unacked:   g("queue_messages_unacknowledged", "Unacknowledged messages at the last good poll.", labels...),
		consumers: g("queue_consumers", "Consumers of the queue at the last good poll.", labels...),
		replicas:  g("replicas", "Replicas of the worker deployment by state: current (spec), ready, desired (the policy's proposal).", append(labels, "state")...),
		lastPoll: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "yeetscale", Name: "last_successful_poll_timestamp_seconds",
			Help: "Unix time of the last poll that read both the queue and the deployment."}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "yeetscale", Name: "leader", Help: "1 while this instance may scale (leader, or no leader election)."}),
		scaleActions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "yeetscale", Name: "scale_actions_total",
			Help: "Applied scale changes by direction (up, down)."}, append(slices.Clone(counterLabels), "direction")),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "yeetscale", Name: "errors_total",
			Help: "Failed polls and applies by kind (unavailable, unauthorized, not_found, forbidden, conflict, bad_response, refused, other), and failed leader-election Lease requests (leader_election)."}, append(slices.Clone(counterLabels), "kind")),
		isLeader: leader,
		errSeen:  map[string]int{},
		target:   len(counterLabels) > 0,
	}
	m.reg.MustRegister(m.messages, m.ready, m.unacked, m.consumers, m.replicas, m.lastPoll, m.leader, m.scaleActions, m.errors,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	if !m.target {
		for _, d := range []string{"up", "down"} {
			m.scaleActions.WithLabelValues(d)
		}
	}
	m.setLeader(leader)
	return m
}

func (m *metrics) setLeader(on bool) {
	m.mu.Lock()
	m.isLeader = on
	m.mu.Unlock()
	v := 0.0
	if on {
		v = 1
	}
	m.leader.Set(v)
}

// setLeaseCheck makes /readyz of a standby depend on ok (see readyNow).
func (m *metrics) setLeaseCheck(ok func() bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.leaseOK = ok
}

// countError adds one to errors_total{kind}, for failures that are not the
// controller's (a Lease request).
func (m *metrics) countError(kind string) {
	if m.target {
		m.errors.WithLabelValues("", "", kind).Inc() // the instance's, no target's
		return
	}
	m.errors.WithLabelValues(kind).Inc()
}

// observe updates the metrics from a snapshot.
func (m *metrics) observe(s engine.Snapshot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := prometheus.Labels{"namespace": s.Config.Namespace, "deployment": s.Config.Deployment, "vhost": s.Config.VHost, "queue": s.Config.Queue}
	if !s.LastGoodPoll.IsZero() {
		m.messages.With(l).Set(float64(s.Stats.Messages))
		m.ready.With(l).Set(float64(s.Stats.Ready))
		m.unacked.With(l).Set(float64(s.Stats.Unacked))
		m.consumers.With(l).Set(float64(s.Stats.Consumers))
		m.lastPoll.Set(float64(s.LastGoodPoll.UnixNano()) / 1e9)
		for state, v := range map[string]int32{"current": s.Scale.Desired, "ready": s.Scale.Ready, "desired": s.Proposed} {
			l["state"] = state
			m.replicas.With(l).Set(float64(v))
		}
	}
	for kind, n := range s.Errors {
		if d := n - m.errSeen[kind]; d > 0 {
			m.errors.WithLabelValues(kind).Add(float64(d))
			m.errSeen[kind] = n
		}
	}
	for i := len(s.Events) - 1; i >= 0; i-- {
		e := s.Events[i]
		if e.ID <= m.lastEvent {
			continue
		}
		m.lastEvent = e.ID
		if e.Kind == engine.EventScale {
			dir := "up"
			if e.To < e.From {
				dir = "down"
			}
			m.scaleActions.WithLabelValues(dir).Inc()
		}
	}
}

// readyNow reports whether the instance can do its job, and why not: the
// leader (or the only instance, without leader election) once a poll
// succeeded and its data is not stale; a standby while its requests for
// the Lease are answered (even "held by another"), so that it can take
// over; a standby whose Lease requests fail (forbidden, unreachable) is not
// ready.
func (m *metrics) readyNow() (bool, string) {
	m.mu.Lock()
	leader, leaseOK := m.isLeader, m.leaseOK
	m.mu.Unlock()
	if !leader {
		if leaseOK != nil && !leaseOK() {
			return false, "standby: cannot reach the leader-election Lease (see the log)"
		}
		return true, ""
	}
	if m.fresh != nil {
		return m.fresh()
	}
	s := m.ctl.Snapshot()
	if s.LastGoodPoll.IsZero() || time.Since(s.LastGoodPoll) > 3*s.Config.PollInterval+10*time.Second {
		return false, "no successful poll recently"
	}
	return true, ""
}

// serve starts the HTTP server on addr and returns it (Addr is the bound
// address, useful with port 0).
func (m *metrics) serve(addr string) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ok, why := m.readyNow(); !ok {
			http.Error(w, why, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	srv := &http.Server{Addr: ln.Addr().String(), Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return srv, nil
}
