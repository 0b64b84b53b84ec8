package sim

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// Epoch is virtual time zero: second t of a simulation is Epoch + t seconds.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Result is how a configuration behaved on a scenario. JSON names are those
// of scenarios/README.md.
type Result struct {
	Scenario        string   `json:"scenario"`
	Policy          string   `json:"policy"`
	DrainS          float64  `json:"drain_s"`
	BurstDrainS     *float64 `json:"burst_drain_s"`
	WaitP50S        float64  `json:"wait_p50_s"`
	WaitP95S        float64  `json:"wait_p95_s"`
	WaitMaxS        float64  `json:"wait_max_s"`
	PodSeconds      float64  `json:"pod_seconds"`
	ScaleEvents     int      `json:"scale_events"`
	Reversals       int      `json:"reversals"`
	MaxReplicasSeen int32    `json:"max_replicas_seen"`
	Unprocessed     int64    `json:"unprocessed"`
}

// TimelineRow is one second of a run, for plotting.
type TimelineRow struct {
	T         int
	Arrivals  int
	Ready     int
	Unacked   int
	Replicas  int32 // spec.replicas
	Starting  int
	Running   int
	Observed  int64 // messages as the broker last reported them
	Published int64
}

// Options tune a Run.
type Options struct {
	// Timeline, when set, receives one row per simulated second.
	Timeline func(TimelineRow)
	// Changes, when set, receives every change of replicas the controller
	// applied, with the policy's reason.
	Changes func(Change)
	// Decisions, when set, receives every decision the policy took (not
	// those where it held between its sync periods), with its second.
	Decisions func(t int, d engine.Decision)
	// SyncPhaseS, when set, is the second (modulo the decision grid) at
	// which the controller polls; unset, it is 7 (an HPA model decides at
	// t = 7, 22, 37, ...). A comparison with a real HPA sets it to the
	// real HPA's phase.
	SyncPhaseS *int
}

// Change is one applied change of spec.replicas in a Run.
type Change struct {
	T        int // simulated second
	From, To int32
	Reason   string
}

// Run replays sc through the real engine.Controller (auto mode) with cfg, in
// virtual time, and scores it.
func Run(ctx context.Context, sc Scenario, cfg engine.Config, opt Options) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	w := NewWorld(sc, sc.initialReplicas(cfg))
	clock := engine.NewManualClock(Epoch)
	ctl, err := engine.New(engine.Options{Config: cfg, Source: w, Scaler: w, Clock: clock, Mode: engine.ModeAuto})
	if err != nil {
		return Result{}, err
	}
	poll := int(math.Round(cfg.PollInterval.Seconds()))
	if float64(poll) != cfg.PollInterval.Seconds() || poll < 1 {
		return Result{}, fmt.Errorf("poll_interval_s %v: the simulator steps whole seconds", cfg.PollInterval.Seconds())
	}
	poll = decisionGrid(cfg.Policy, poll)
	phase := 7
	if opt.SyncPhaseS != nil {
		phase = *opt.SyncPhaseS
	}
	for t := 0; t < sc.DurationS; t++ {
		if t%4096 == 0 && ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		before := len(w.msgs)
		w.Begin()
		if t%poll == phase%poll {
			clock.Set(Epoch.Add(time.Duration(t) * time.Second))
			s := ctl.Poll(ctx)
			if opt.Changes != nil {
				reportChange(t, s, opt.Changes)
			}
			if opt.Decisions != nil && s.Decision.Recommendation >= 0 {
				opt.Decisions(t, s.Decision)
			}
		}
		w.Work()
		if opt.Timeline != nil {
			opt.Timeline(w.row(t, len(w.msgs)-before))
		}
	}
	r := w.score()
	r.Scenario, r.Policy = sc.Name, cfg.Policy
	return r, nil
}

// syncer is a policy that decides on its own period whatever the poll
// interval (the HPA's sync period does not follow KEDA's polling).
type syncer interface{ SyncPeriod() time.Duration }

// decisionGrid is the period, in whole seconds, on which the named policy
// decides: its own sync period when it has one (it then reads the latest
// statistics the broker refreshed, as KEDA's metrics adapter reads the broker
// when the HPA asks), otherwise the poll interval.
func decisionGrid(policy string, poll int) int {
	p, err := engine.PolicyByName(policy)
	if err != nil {
		return poll
	}
	if s, ok := p.(syncer); ok {
		if sec := int(s.SyncPeriod() / time.Second); sec >= 1 {
			return sec
		}
	}
	return poll
}

// reportChange passes the latest poll's change, if it applied one, to f.
func reportChange(t int, s engine.Snapshot, f func(Change)) {
	if len(s.History) == 0 {
		return
	}
	o := s.History[len(s.History)-1]
	if o.Applied != o.Scale.Desired {
		f(Change{T: t, From: o.Scale.Desired, To: o.Applied, Reason: o.Decision.Reason})
	}
}

func (w *World) row(t, arrivals int) TimelineRow {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := TimelineRow{T: t, Arrivals: arrivals, Ready: len(w.msgs) - w.next, Unacked: w.next - int(w.acked), Observed: w.observed.Messages}
	for _, p := range w.pods {
		if !p.alive() {
			continue
		}
		r.Replicas++
		if p.runningAt <= float64(t) {
			r.Running++
		} else {
			r.Starting++
		}
	}
	return r
}

// score computes the metrics of scenarios/README.md at the end of
// the scenario.
func (w *World) score() Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	dur := float64(w.sc.DurationS)
	r := Result{ScaleEvents: w.scaleEvents, Reversals: w.reversals, MaxReplicasSeen: w.maxSeen}

	for _, p := range w.pods {
		end := p.end
		if end < 0 || end > dur {
			end = dur
		}
		r.PodSeconds += end - p.created
	}

	waits := make([]float64, len(w.msgs))
	for i, m := range w.msgs {
		if m.start < 0 {
			waits[i] = dur - m.arrival
		} else {
			waits[i] = m.start - m.arrival
		}
		if m.start < 0 || m.finish > dur-1 {
			r.Unprocessed++
		}
	}
	sort.Float64s(waits)
	r.WaitP50S = round2(nearestRank(waits, 50))
	r.WaitP95S = round2(nearestRank(waits, 95))
	r.WaitMaxS = round2(nearestRank(waits, 100))

	// done returns when every message that arrived by time a was finished.
	done := func(a float64) float64 {
		last := 0.0
		for _, m := range w.msgs {
			if m.arrival > a {
				break
			}
			f := m.finish
			if m.start < 0 || f > dur {
				f = dur
			}
			last = math.Max(last, f)
		}
		return last
	}
	if len(w.msgs) > 0 {
		first := w.msgs[0].arrival
		var bursts []float64
		for _, a := range w.sc.Arrivals {
			if a.IsBurst() {
				bursts = append(bursts, float64(*a.AtS))
			}
		}
		if len(bursts) > 0 {
			sort.Float64s(bursts)
			r.DrainS = round2(done(bursts[len(bursts)-1]) - first)
			worst := 0.0
			for _, b := range bursts {
				worst = math.Max(worst, done(b)-b)
			}
			worst = round2(worst)
			r.BurstDrainS = &worst
		} else {
			r.DrainS = round2(done(math.Inf(1)) - first)
		}
	}
	r.PodSeconds = round2(r.PodSeconds)
	return r
}

func nearestRank(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p / 100 * float64(len(sorted))))
	k = min(max(k, 1), len(sorted))
	return sorted[k-1]
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// Bounds are what no policy can beat on a scenario.
type Bounds struct {
	// DrainS and BurstDrainS are the drain with max replicas running from
	// the start; WaitP95S the p95 wait then.
	DrainS      float64  `json:"drain_s"`
	BurstDrainS *float64 `json:"burst_drain_s"`
	WaitP95S    float64  `json:"wait_p95_s"`
	// WorkPodSeconds is the total work (service time / concurrency), or the
	// replica floor held for the whole run if larger.
	WorkPodSeconds float64 `json:"pod_seconds"`
}

// LowerBounds runs sc with max replicas from t = 0 and no controller.
func LowerBounds(sc Scenario, cfg engine.Config) Bounds {
	w := NewWorld(sc, int(cfg.MaxReplicas))
	for t := 0; t < sc.DurationS; t++ {
		w.Begin()
		w.Work()
	}
	r := w.score()
	var work float64
	for _, m := range w.msgs {
		work += m.service
	}
	work /= float64(sc.WorkerConcurrency)
	work = math.Max(work, float64(cfg.MinReplicas)*float64(sc.DurationS))
	return Bounds{DrainS: r.DrainS, BurstDrainS: r.BurstDrainS, WaitP95S: r.WaitP95S, WorkPodSeconds: round2(work)}
}
