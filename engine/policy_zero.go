package engine

import (
	"fmt"
	"strings"
	"time"
)

// zeroAware is a policy that handles --min-replicas 0 itself (the HPA
// models, which follow KEDA's own 0 <-> 1 handling); Decide runs the others
// through decideZero.
type zeroAware interface{ handlesZero() }

// decideZero runs p when --min-replicas is 0. The policy sizes with a
// minimum of one replica (its own rules bring a deployment down to one, never
// straight from N to zero); from one, the deployment goes to zero only after
// the queue was seen empty, with nothing unacknowledged and nothing
// arriving, for --idle-before-zero, on statistics the broker did report. At
// zero it stays asleep until more than --activation-messages wait, and then
// wakes to the size the policy gives for the backlog (not just to one).
func decideZero(p Policy, in Input) Decision {
	c := in.Config
	one := in
	one.Config.MinReplicas = 1
	depth := c.Depth(in.Stats)
	if in.Current == 0 {
		if depth <= c.ActivationMessages {
			return Decision{Desired: 0, Recommendation: 0, Reason: asleep(c, depth)}
		}
		d := p.Decide(one)
		d.Desired = max(d.Desired, 1)
		d.Reason = fmt.Sprintf("waking from zero: %s > --activation-messages %s; %s",
			messages(depth), Thousands(c.ActivationMessages), d.Reason)
		return d
	}
	d := p.Decide(one)
	// The policy's minimum is one; the operator's is 0.
	d.Reason = strings.ReplaceAll(d.Reason, "--min-replicas 1", "1 (the last replica before zero)")
	if d.Desired != 1 || in.Current != 1 {
		return d
	}
	if why := notIdle(in); why != "" {
		d.Reason += "; not going to zero: " + why
		return d
	}
	return Decision{Desired: 0, Recommendation: 0, Reason: fmt.Sprintf(
		"queue empty, nothing unacknowledged and nothing arriving for %s (--idle-before-zero): scaling 1 -> 0; wakes at > %s",
		c.IdleBeforeZero, messages(c.ActivationMessages))}
}

// asleep is the reason of a deployment held at zero.
func asleep(c Config, depth int64) string {
	return fmt.Sprintf("0 replicas, asleep: %s; wakes at > %s", messages(depth), messages(c.ActivationMessages))
}

// notIdle returns why the deployment may not go to zero yet ("" when it
// may): the queue must read empty (no ready, no unacknowledged messages),
// with a known publish rate of zero, in this poll and in every poll of the
// history for --idle-before-zero back, and the history must reach that far.
// A failed poll in that span, or statistics the broker left out, count as
// not known to be idle.
func notIdle(in Input) string {
	c := in.Config
	if why := emptyAndQuiet(in.Stats); why != "" {
		return why
	}
	since := in.Now
	for i := len(in.History) - 1; i >= 0; i-- {
		o := in.History[i]
		if !o.OK {
			return fmt.Sprintf("a poll %s ago failed, so the queue is not known to have been empty since", ago(in.Now, o.At))
		}
		if emptyAndQuiet(o.Stats) != "" {
			break
		}
		since = o.At
		if in.Now.Sub(since) >= c.IdleBeforeZero {
			return ""
		}
	}
	if since.Equal(in.Now) {
		return fmt.Sprintf("the queue only now reads empty (--idle-before-zero %s)", c.IdleBeforeZero)
	}
	return fmt.Sprintf("the queue has read empty for %s of --idle-before-zero %s", ago(in.Now, since), c.IdleBeforeZero)
}

// emptyAndQuiet returns why s does not show an idle queue ("" when it
// does): messages waiting or unacknowledged, or a publish rate that is
// unknown (the broker gave no statistics: an absent count is not an empty
// queue) or above zero.
func emptyAndQuiet(s QueueStats) string {
	switch {
	case s.Messages > 0 || s.Ready > 0 || s.Unacked > 0:
		return fmt.Sprintf("%s ready and %s unacknowledged", Thousands(s.Ready), Thousands(s.Unacked))
	case !s.PublishRate.Known:
		return "the broker reports no message statistics for the queue (unknown is not idle)"
	case s.PublishRate.PerSecond > 0:
		return fmt.Sprintf("messages are arriving (%s) though none wait", rate(s.PublishRate.PerSecond, 1))
	}
	return ""
}

func ago(now, at time.Time) string { return now.Sub(at).Round(time.Second).String() }
