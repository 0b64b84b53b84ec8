package tui

import (
	"fmt"
	"math"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// newReplicasPanel returns the replicas panel: spec, ready and proposed
// replicas, the clamp and target, and a chart of the proposal against what
// was applied; loc formats the time of stale figures.
func newReplicasPanel(st *Styles, loc *time.Location) *chartPanel {
	return newChartPanel(st, loc, panelContent{
		info: replicasInfo, series: replicasSeries, solid: "applied", dotted: "proposed",
		integer: true, empty: "no replicas read yet",
	})
}

// replicasSeries is the replicas applied and those proposed; a poll
// without a decision carries the previous proposal (NaN).
func replicasSeries(hist []engine.Observation) (applied, proposed []float64) {
	applied, proposed = make([]float64, len(hist)), make([]float64, len(hist))
	for i, o := range hist {
		applied[i] = float64(o.Applied)
		proposed[i] = float64(o.Decision.Desired)
		if o.Decision.Desired < 0 {
			proposed[i] = math.NaN()
		}
	}
	return applied, proposed
}

// replicasInfo is the replicas (spec, ready, pods) and the proposal, the
// clamp and the target: "—" before any poll has read the Deployment (as in
// the fleet list), and the last figures read, said to be as of when, after
// a poll that could not read it.
func replicasInfo(st *Styles, s engine.Snapshot, loc *time.Location) []string {
	head := st.PanelTitle.Render("REPLICAS") + "  " + st.Bold.Render(fmt.Sprint(s.Scale.Desired))
	c := s.Config
	spec, ready, pods := st.Bold.Render(fmt.Sprint(s.Scale.Desired)), readyText(st, s.Scale), st.Bold.Render(fmt.Sprint(s.Scale.Current))
	switch t := scaleAsOf(s, loc); {
	case s.ScaleRead.IsZero():
		dash := st.Bold.Render("—")
		head = st.PanelTitle.Render("REPLICAS") + "  " + dash + "  " + st.Dim.Render(noReading(s))
		spec, ready, pods = dash, dash, dash
	case t != "":
		head += "  " + st.Warn.Render(t)
	case s.ConsecutiveErrors > 0:
		// Read now, but the poll failed on the queue: nothing is decided,
		// so not "steady".
	case s.Pending && s.Proposed >= 0:
		head += " → " + st.Warn.Render(fmt.Sprint(s.Proposed)) + " proposed"
	case s.Scale.Desired == 0 && c.MinReplicas == 0:
		// A sleeping target (--min-replicas 0), said plainly.
		head = st.PanelTitle.Render("REPLICAS") + "  " + st.Bold.Render("0 replicas, asleep") +
			st.Dim.Render(fmt.Sprintf("; wakes at > %s", plural(c.ActivationMessages, "message")))
	default:
		head += st.Dim.Render(" steady")
	}
	return []string{
		head,
		fmt.Sprintf("spec %s %s ready %s %s pods %s", spec, st.Dim.Render("·"), ready, st.Dim.Render("·"), pods),
		fmt.Sprintf("clamp %s %s target %s/replica", st.Bold.Render(fmt.Sprintf("%d–%d", c.MinReplicas, c.MaxReplicas)),
			st.Dim.Render("·"), st.Bold.Render(commas(c.TargetMessages))),
	}
}

// readyText is the ready count, warning while pods are still starting.
func readyText(st *Styles, sc engine.Scale) string {
	t := fmt.Sprint(sc.Ready)
	if sc.Ready < sc.Desired {
		return st.Warn.Render(t)
	}
	return st.Bold.Render(t)
}

// plural is n with its noun, "1 message" or "1,500 messages".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return commas(n) + " " + noun + "s"
}
