package cli

import (
	"log/slog"
	"sync"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// leaderErrorKind is the errors_total kind of a failed Lease request.
const leaderErrorKind = "leader_election"

// leaseLogEvery is how often one kind of Lease failure is logged at most.
const leaseLogEvery = 30 * time.Second

// leaseHealth follows leader election's requests for the Lease (see
// kube.LeaderConfig.OnLeaseResult): it logs failures (at most one line per
// kind of error every leaseLogEvery, with the number of failures not
// logged since), counts each in errors_total{kind="leader_election"}, and
// tells /readyz whether this instance can reach its Lease.
type leaseHealth struct {
	logger *slog.Logger
	m      *metrics // nil without --metrics-addr
	now    func() time.Time
	maxAge time.Duration // how old the last answer may be for reachable

	mu         sync.Mutex
	lastAnswer time.Time            // last request the API server answered
	failing    int                  // failures since the last answer
	logged     map[string]time.Time // when each kind was last logged
	suppressed map[string]int       // failures of each kind not logged since
}

// newLeaseHealth returns a leaseHealth; maxAge should cover a few retry
// periods (the elector asks once per retry period).
func newLeaseHealth(logger *slog.Logger, m *metrics, maxAge time.Duration) *leaseHealth {
	return &leaseHealth{logger: logger, m: m, now: time.Now, maxAge: maxAge,
		logged: map[string]time.Time{}, suppressed: map[string]int{}}
}

// observe records the outcome of one Lease request (nil: answered).
func (h *leaseHealth) observe(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	if err == nil {
		if h.failing > 0 {
			h.logger.Info("leader election: the Lease is reachable again", "failures", h.failing)
		}
		h.lastAnswer, h.failing = now, 0
		return
	}
	h.failing++
	if h.m != nil {
		h.m.countError(leaderErrorKind)
	}
	kind := engine.ErrorKind(err)
	if last, ok := h.logged[kind]; ok && now.Sub(last) < leaseLogEvery {
		h.suppressed[kind]++
		return
	}
	h.logger.Error("leader election failed", "error", err.Error(), "kind", kind,
		"suppressed", h.suppressed[kind], "consecutive", h.failing)
	h.logged[kind], h.suppressed[kind] = now, 0
}

// reachable reports whether the last Lease request was answered, recently.
func (h *leaseHealth) reachable() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failing == 0 && !h.lastAnswer.IsZero() && h.now().Sub(h.lastAnswer) <= h.maxAge
}
