package engine

import (
	"fmt"
	"math"
	"time"
)

// HPA defaults modelled by HPAKeda.
const (
	hpaSync          = 15 * time.Second
	hpaTolerance     = 0.1
	hpaDownWindow    = 300 * time.Second
	hpaUpPods        = 4
	hpaUpFactor      = 2.0
	hpaMinReplicaCap = 1
	// hpaLegacyUpMin is the legacy path's scale-up floor: max(2 x current, 4).
	hpaLegacyUpMin = 4
)

// HPAKeda models KEDA's RabbitMQ trigger (QueueLength) behind a Kubernetes
// HPA with default behaviour: 15 s sync, 10% tolerance, scale-up at most
// max(+4 pods, +100%) per 15 s, scale-down stabilization 300 s, then at most
// -100% per 15 s. It follows engine/sim/scenarios/README.md exactly.
type HPAKeda struct{}

// Name implements Policy.
func (HPAKeda) Name() string { return "hpa-keda" }

// Describe implements Policy.
func (HPAKeda) Describe() string {
	return "KEDA's RabbitMQ trigger behind a default HPA (15 s sync, 10% tolerance, 300 s scale-down window)"
}

// SyncPeriod is the HPA's sync period: the simulator decides on its grid
// whatever the poll interval (the live controller, which decides at each
// poll, holds between syncs).
func (HPAKeda) SyncPeriod() time.Duration { return hpaSync }

// Decide implements Policy.
func (HPAKeda) Decide(in Input) Decision {
	return hpaDecide(in, behaviorStabilize, func(start, cur int32) int32 {
		return max(start+hpaUpPods, int32(math.Ceil(hpaUpFactor*float64(start))), cur)
	})
}

// HPAKedaDefault models what a plain ScaledObject gets: KEDA creates its HPA
// without spec.behavior, so the HPA takes its legacy path, which limits a
// scale-up to max(2 x current, 4) replicas per sync (2 -> 4 -> 8 -> 16 ->
// 32 -> 40 in a burst), with the same 15 s sync and 10% tolerance as
// HPAKeda. Its stabilization differs: the legacy path aims at the highest
// recommendation of the last 300 s whether it is above or below the
// current size (kube-controller-manager's stabilizeRecommendation), so
// after a burst it keeps doubling towards the burst's size even once the
// queue is empty. HPAKeda (default behaviour: +4 pods or +100% per 15 s,
// whichever is more; the window only holds scale-downs) is the stronger
// opponent.
type HPAKedaDefault struct{}

// Name implements Policy.
func (HPAKedaDefault) Name() string { return "hpa-keda-default" }

// Describe implements Policy.
func (HPAKedaDefault) Describe() string {
	return "a plain ScaledObject's HPA (legacy path: towards the highest recommendation of 300 s, at most max(2 x current, 4) per 15 s sync)"
}

// SyncPeriod is the HPA's sync period (see HPAKeda.SyncPeriod).
func (HPAKedaDefault) SyncPeriod() time.Duration { return hpaSync }

// Decide implements Policy.
func (HPAKedaDefault) Decide(in Input) Decision {
	return hpaDecide(in, legacyStabilize, func(_, cur int32) int32 { return max(2*cur, hpaLegacyUpMin) })
}

// behaviorStabilize is the behavior path's stabilization with the default
// windows (0 s up, 300 s down): the raw recommendation when it is above the
// current size, else the current size lowered at most to the window's
// highest recommendation.
func behaviorStabilize(in Input, raw int32) int32 {
	return min(max(in.Current, raw), windowMax(in, hpaDownWindow, raw))
}

// legacyStabilize is the legacy path's: the highest recommendation of the
// window, this one included, whatever the current size.
func legacyStabilize(in Input, raw int32) int32 { return windowMax(in, hpaDownWindow, raw) }

// hpaDecide is one HPA sync (engine/sim/scenarios/README.md): stabilize turns
// the raw recommendation into the size the HPA aims at, and limit gives the
// most replicas a scale-up may reach from start (the replicas 15 s ago) and
// cur.
func hpaDecide(in Input, stabilize func(Input, int32) int32, limit func(start, cur int32) int32) Decision {
	c := in.Config
	cur := in.Current
	if c.MinReplicas == 0 && cur == 0 {
		if d, ok := kedaZero(in); ok {
			return d
		}
	}
	// The HPA syncs every 15 s whatever the poll interval.
	for i := len(in.History) - 1; i >= 0; i-- {
		o := in.History[i]
		if o.Decision.Recommendation >= 0 {
			if in.Now.Sub(o.At) < hpaSync {
				return Decision{Desired: cur, Recommendation: -1,
					Reason: fmt.Sprintf("holding at %d until the next HPA sync", cur)}
			}
			break
		}
	}
	if c.MinReplicas == 0 {
		if d, ok := kedaZero(in); ok {
			return d
		}
	}
	lo := max(int32(hpaMinReplicaCap), c.MinReplicas)
	hi := c.MaxReplicas
	// The HPA clamps before it sizes (kept, to model it faithfully).
	if want, why, out := outOfRange(cur, lo, hi); out {
		return Decision{Desired: want, Recommendation: want, Reason: why}
	}
	depth := c.Depth(in.Stats)
	raw := ceilDiv(depth, c.TargetMessages)
	within := withinTolerance(depth, c.TargetMessages, cur, hpaTolerance)
	if within {
		raw = cur
	}
	rec := stabilize(in, raw)
	var changed int32
	for _, o := range in.History {
		if o.At.After(in.Now.Add(-hpaSync)) {
			changed += o.Applied - o.Scale.Desired
		}
	}
	start := cur - changed
	base := fmt.Sprintf("%s / %s per replica = %s", messages(depth), Thousands(c.TargetMessages), Thousands(int64(ceilDiv(depth, c.TargetMessages))))
	var want int32
	var why string
	switch {
	case rec > cur:
		want = min(rec, hi, limit(start, cur))
		why = "; scaling up"
		if want < rec {
			why = fmt.Sprintf("; scale-up limited to %d this sync", want)
		}
		if raw < rec {
			why += fmt.Sprintf(" (towards %d, the highest recommendation of the last %s)", rec, hpaDownWindow)
		}
	case max(rec, lo) < cur:
		want = max(rec, lo)
		why = "; scaling down"
	default:
		want = cur
		switch {
		case rec < cur:
			why = fmt.Sprintf("; at the minimum %d", lo)
		case within:
			why = "; within 10% tolerance"
		case raw < cur:
			why = fmt.Sprintf("; held by the %s scale-down window", hpaDownWindow)
		}
	}
	return Decision{Desired: want, Recommendation: raw, Reason: base + why}
}

// handlesZero marks the HPA models as handling --min-replicas 0 themselves,
// as KEDA does (kedaZero).
func (HPAKeda) handlesZero()        {}
func (HPAKedaDefault) handlesZero() {}

// kedaZero models KEDA's own 0 <-> 1 handling with minReplicaCount 0 (the HPA
// never goes below one): at zero, KEDA polls every pollingInterval (the poll
// interval) and activates, to one replica, when more than the activation
// value (--activation-messages) wait; the HPA sizes from there at its next
// sync. Above zero, KEDA scales to zero, from whatever size, once the
// trigger has been inactive for cooldownPeriod (--idle-before-zero, 300 s by
// default, as KEDA's), counted from the last poll that saw it active (at
// once when none did, as KEDA does with no lastActiveTime). It returns false
// when the HPA decides.
func kedaZero(in Input) (Decision, bool) {
	c := in.Config
	cur := in.Current
	depth := c.Depth(in.Stats)
	active := depth > c.ActivationMessages
	if cur == 0 {
		for i := len(in.History) - 1; i >= 0; i-- {
			if o := in.History[i]; o.Decision.Recommendation >= 0 {
				if in.Now.Sub(o.At) < c.PollInterval {
					return Decision{Desired: 0, Recommendation: -1, Reason: "at 0 until KEDA's next poll"}, true
				}
				break
			}
		}
		if active {
			return Decision{Desired: 1, Recommendation: 1, Reason: fmt.Sprintf("%s > activation %s: KEDA activates 0 -> 1 (the HPA sizes from its next sync)",
				messages(depth), Thousands(c.ActivationMessages))}, true
		}
		return Decision{Desired: 0, Recommendation: 0, Reason: fmt.Sprintf("%s: KEDA keeps 0 (activation %s)", messages(depth), Thousands(c.ActivationMessages))}, true
	}
	if active {
		return Decision{}, false
	}
	for i := len(in.History) - 1; i >= 0; i-- {
		o := in.History[i]
		if o.OK && c.Depth(o.Stats) > c.ActivationMessages {
			if in.Now.Sub(o.At) < c.IdleBeforeZero {
				return Decision{}, false
			}
			break
		}
	}
	return Decision{Desired: 0, Recommendation: 0, Reason: fmt.Sprintf("%s: inactive for cooldownPeriod %s: KEDA scales %d -> 0", messages(depth), c.IdleBeforeZero, cur)}, true
}
