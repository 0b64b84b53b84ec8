package engine

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// Decision is a policy's answer for one poll.
type Decision struct {
	// Desired is the replica count the policy wants (already clamped).
	Desired int32
	// Recommendation is the raw recommendation before stabilization and step
	// caps, kept in the history for windowed rules; -1 when the policy did
	// not evaluate (held, or between its sync periods).
	Recommendation int32
	// Reason is a sentence an operator understands.
	Reason string
	// Held is true when the policy kept the current size because the data
	// could not be trusted (failed or stale poll).
	Held bool
	// Bursty is set by a policy that holds replicas between bursts of load
	// (it remembers it in the history).
	Bursty bool
}

// Input is everything a policy may look at. Policies are pure functions of it.
type Input struct {
	Config Config
	Now    time.Time
	// Stats is this poll's observation of the queue.
	Stats QueueStats
	// Current is spec.replicas; Ready is status.readyReplicas.
	Current int32
	Ready   int32
	// History holds earlier polls, oldest first (not this one).
	History []Observation
	// Err is set when this poll failed (queue or deployment unreadable); Stale
	// when the data is older than the controller trusts (the controller sets
	// it when a changed clamp or target is re-decided on statistics from a
	// poll more than two intervals ago). Either makes every policy hold.
	Err   error
	Stale bool
}

// Policy turns an Input into a Decision. Implementations keep no state: all
// memory comes from Input.History.
type Policy interface {
	Name() string
	// Describe is a one-line summary for help texts.
	Describe() string
	Decide(in Input) Decision
}

// DefaultPolicyName is the policy used when none is named.
const DefaultPolicyName = "adaptive"

var policies = map[string]Policy{}

func register(p Policy) { policies[p.Name()] = p }

func init() {
	register(Seed{})
	register(HPAKeda{})
	register(HPAKedaDefault{})
	register(Proportional{})
	register(Adaptive{})
}

// PolicyByName returns the named policy.
func PolicyByName(name string) (Policy, error) {
	if name == "" {
		name = DefaultPolicyName
	}
	p, ok := policies[name]
	if !ok {
		return nil, fmt.Errorf("unknown policy %q (known: %v)", name, PolicyNames())
	}
	return p, nil
}

// PolicyNames lists the registered policies, sorted.
func PolicyNames() []string {
	names := make([]string, 0, len(policies))
	for n := range policies {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Decide runs p on in, except that it holds the current size, without asking
// p, when the poll failed or the data is stale. Every caller goes through it
// so that no policy can scale on bad data. With --min-replicas 0 it runs p
// through decideZero (policy_zero.go) unless p models KEDA's own handling.
func Decide(p Policy, in Input) Decision {
	switch {
	case in.Err != nil:
		return Decision{Desired: in.Current, Recommendation: -1, Held: true,
			Reason: fmt.Sprintf("holding at %d: the last poll failed (%s)", in.Current, ErrorKind(in.Err))}
	case in.Stale:
		return Decision{Desired: in.Current, Recommendation: -1, Held: true,
			Reason: fmt.Sprintf("holding at %d: queue statistics are stale", in.Current)}
	}
	var d Decision
	if _, own := p.(zeroAware); own || in.Config.MinReplicas > 0 {
		d = p.Decide(in)
	} else {
		d = decideZero(p, in)
	}
	if d.Desired < 0 {
		d.Desired = in.Current
	}
	return d
}

// Seed is the plain rule of a `kubectl scale` script:
// clamp(ceil(messages / target), min, max) at every poll, nothing else.
type Seed struct{}

// Name implements Policy.
func (Seed) Name() string { return "seed" }

// Describe implements Policy.
func (Seed) Describe() string { return "clamp(ceil(messages / target), min, max) at every poll" }

// Decide implements Policy.
func (Seed) Decide(in Input) Decision {
	c := in.Config
	depth := c.Depth(in.Stats)
	raw := ceilDiv(depth, c.TargetMessages)
	want := c.Clamp(raw)
	return Decision{Desired: want, Recommendation: raw,
		Reason: fmt.Sprintf("%s / %s per replica = %s%s", messages(depth), Thousands(c.TargetMessages), Thousands(int64(raw)), clampNote(c, raw, want))}
}

// Proportional is the operations guide's rule with the safeguards of
// README.md ("The scaling policy"): about TargetMessages per replica, no change inside the
// tolerance band, scale up at once (optionally capped per step), scale down
// through a stabilization window and a per-step cap.
type Proportional struct{}

// Name implements Policy.
func (Proportional) Name() string { return "proportional" }

// Describe implements Policy.
func (Proportional) Describe() string {
	return "ceil(messages / target) with tolerance, immediate scale-up, stabilized gradual scale-down"
}

// Decide implements Policy.
func (Proportional) Decide(in Input) Decision {
	c := in.Config
	depth := c.Depth(in.Stats)
	raw := ceilDiv(depth, c.TargetMessages)
	base := fmt.Sprintf("%s / %s per replica = %s", messages(depth), Thousands(c.TargetMessages), Thousands(int64(raw)))
	return clampAfter(in, stepTowards(in, raw, base), base)
}

// outOfRange reports whether cur is outside [lo, hi], the size that brings
// it inside, and the words for it.
func outOfRange(cur, lo, hi int32) (want int32, why string, out bool) {
	want = min(max(cur, lo), hi)
	return want, fmt.Sprintf("%s replicas is outside [%s, %s]: set to %s", replicas(cur), replicas(lo), replicas(hi), replicas(want)), want != cur
}

// clampAfter brings a decision that was sized from a current size outside
// [MinReplicas, MaxReplicas] inside it. Sizing first and clamping after
// means that a deployment below the minimum in a burst goes straight to the
// size the burst needs (1 -> 40, not 1 -> 2 and then 2 -> 40 a poll later).
// When the decision ends on the bound nearest the current size, its reason
// is base and the clamp (the sizing's own words would say "holding").
func clampAfter(in Input, d Decision, base string) Decision {
	c := in.Config
	want, why, out := outOfRange(in.Current, c.MinReplicas, c.MaxReplicas)
	if !out {
		return d
	}
	sized := d.Desired
	d.Desired = c.Clamp(sized)
	switch {
	case d.Desired == want:
		d.Reason = base + "; " + why
	case d.Desired != sized:
		d.Reason += clampNote(c, sized, d.Desired)
	}
	return d
}

// withinTolerance reports whether depth is within tol of target messages per
// replica at cur replicas (the band in which no change is made).
func withinTolerance(depth, target int64, cur int32, tol float64) bool {
	if cur <= 0 || target <= 0 {
		return false
	}
	ratio := float64(depth) / (float64(target) * float64(cur))
	return math.Abs(ratio-1) <= tol
}

// windowMax returns the highest of rec and the recommendations recorded
// within window before in.Now (scale-down stabilization).
func windowMax(in Input, window time.Duration, rec int32) int32 {
	for _, o := range in.History {
		if o.Decision.Recommendation > rec && o.At.After(in.Now.Add(-window)) {
			rec = o.Decision.Recommendation
		}
	}
	return rec
}

// stepTowards applies the shared safeguards to a raw recommendation: the
// tolerance band, immediate (capped) scale-up, and scale-down through the
// stabilization window and step cap, then the clamp.
func stepTowards(in Input, raw int32, base string) Decision {
	c := in.Config
	cur := in.Current
	depth := c.Depth(in.Stats)
	if raw != cur && withinTolerance(depth, c.TargetMessages, cur, c.Tolerance) {
		return Decision{Desired: cur, Recommendation: cur,
			Reason: fmt.Sprintf("%s; within %s tolerance of %d", base, percent(c.Tolerance), cur)}
	}
	if raw > cur {
		want := raw
		note := "; scaling up"
		if c.MaxStepUp > 0 && want > cur+c.MaxStepUp {
			want = cur + c.MaxStepUp
			note = fmt.Sprintf("; scale-up capped at +%d per step", c.MaxStepUp)
		}
		clamped := c.Clamp(want)
		return Decision{Desired: clamped, Recommendation: raw, Reason: base + note + clampNote(c, want, clamped)}
	}
	rec := windowMax(in, c.ScaleDownWindow, raw)
	if c.Clamp(rec) >= cur {
		why := ""
		switch {
		case rec < cur:
			why = fmt.Sprintf("; holding at --min-replicas %d", c.MinReplicas)
		case raw < cur:
			why = fmt.Sprintf("; held at %d by the %s scale-down window", cur, c.ScaleDownWindow)
		}
		return Decision{Desired: c.Clamp(cur), Recommendation: raw, Reason: base + why}
	}
	want := rec
	note := "; scaling down"
	if c.MaxStepDown > 0 && want < cur-c.MaxStepDown {
		want = cur - c.MaxStepDown
		note = fmt.Sprintf("; scale-down capped at -%d per step", c.MaxStepDown)
	}
	if rec > raw {
		note += fmt.Sprintf(" to the window's highest recommendation %d", rec)
	}
	clamped := c.Clamp(want)
	return Decision{Desired: clamped, Recommendation: raw, Reason: base + note + clampNote(c, want, clamped)}
}

func clampNote(c Config, want, got int32) string {
	switch {
	case want > got:
		return fmt.Sprintf("; capped at --max-replicas %d", c.MaxReplicas)
	case want < got:
		return fmt.Sprintf("; kept at --min-replicas %d", c.MinReplicas)
	}
	return ""
}

// ceilDiv returns ceil(a / b) as a replica count, saturating at MaxInt32.
func ceilDiv(a, b int64) int32 {
	if a <= 0 || b <= 0 {
		return 0
	}
	q := (a + b - 1) / b
	if q > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(q)
}

func messages(n int64) string {
	if n == 1 {
		return "1 message"
	}
	return Thousands(n) + " messages"
}

// Thousands formats n with thousands separators: 4250 -> "4,250". Every
// count an operator reads (reasons, the console, --once) goes through it.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := false
	if n < 0 {
		neg, s = true, s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func percent(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) + "%" }
