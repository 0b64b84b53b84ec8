package tui

import (
	"fmt"
	"strconv"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// shadowHeight is the shadow panel's lines: the replicas, then the tally.
const shadowHeight = 2

// shadowPanel is the console's view of a shadow run (--from-scaledobject
// while KEDA scales the Deployment and yeetscale only proposes): at every
// poll the live replicas (what KEDA's HPA runs) next to yeetscale's
// proposal, and the running engine.ShadowTally, fed from the snapshots the
// console receives (no I/O). A nil panel (no shadow) has no height and
// shows nothing.
type shadowPanel struct {
	st    *Styles
	name  string // "namespace/scaledobject", escaped
	w     int
	tally *engine.ShadowTally
}

// newShadowPanel returns the panel for opts.Shadow, nil without one.
func newShadowPanel(st *Styles, opts Options) *shadowPanel {
	if opts.Shadow == "" {
		return nil
	}
	return &shadowPanel{st: st, name: label(opts.Namespace) + "/" + label(opts.Shadow)}
}

// height is the panel's lines (0 without a shadow).
func (p *shadowPanel) height() int {
	if p == nil {
		return 0
	}
	return shadowHeight
}

// SetSize implements component (the height is fixed).
func (p *shadowPanel) SetSize(w, _ int) {
	if p != nil {
		p.w = w
	}
}

// SetSnapshot adds s's new polls to the tally; the first snapshot's
// settings (the ScaledObject's target and count, as imported) measure the
// backlog.
func (p *shadowPanel) SetSnapshot(s engine.Snapshot) {
	if p == nil {
		return
	}
	if p.tally == nil {
		p.tally = engine.NewShadowTally(s.Config)
	}
	p.tally.Observe(s)
}

// View implements component: "SHADOW of ScaledObject ns/so: HPA 12 ·
// yeetscale 7 · HPA ran 1.6x the replica-seconds", then the tally's times
// above target and replica-seconds.
func (p *shadowPanel) View() string {
	if p == nil {
		return ""
	}
	st, dot := p.st, p.st.Dim.Render(" · ")
	t := engine.ShadowTotals{Live: -1, Proposed: -1}
	if p.tally != nil {
		t = p.tally.Totals()
	}
	head := st.Warn.Render("SHADOW") + " of ScaledObject " + st.Bold.Render(p.name) + ": HPA " + st.Bold.Render(replicasCell(t.Live, -1, false)) +
		dot + "yeetscale " + st.Bold.Render(replicasCell(t.Proposed, -1, false))
	if t.Covered > 0 {
		head += dot + replicaSecondsRatio(t)
	}
	return spread(head, st.Dim.Render("KEDA scales; yeetscale only proposes"), p.w, false) + "\n" + fit(p.tallyLine(t), p.w)
}

// tallyLine is the running tally: the time the backlog was above the
// target under each sizing, and the replica-seconds of each.
func (p *shadowPanel) tallyLine(t engine.ShadowTotals) string {
	st := p.st
	if t.Covered <= 0 {
		return st.Dim.Render("tally: from the second good poll on")
	}
	share := func(d time.Duration) string {
		return st.Bold.Render(age(d)) + st.Dim.Render(fmt.Sprintf(" (%d%%)", int(100*d/t.Covered)))
	}
	return "over " + st.Bold.Render(age(t.Covered)) + ": backlog above target HPA " + share(t.LiveAbove) + ", yeetscale " + share(t.ProposedAbove) +
		st.Dim.Render(" · ") + "replica-seconds HPA " + st.Bold.Render(compact(t.LiveReplicaSeconds)) + ", yeetscale " + st.Bold.Render(compact(t.ProposedReplicaSeconds))
}

// replicaSecondsRatio says which ran (or proposed) more replica-seconds,
// by how much: "HPA ran 1.6x the replica-seconds".
func replicaSecondsRatio(t engine.ShadowTotals) string {
	live, prop := t.LiveReplicaSeconds, t.ProposedReplicaSeconds
	x := func(r float64) string { return strconv.FormatFloat(r, 'f', 1, 64) + "x" }
	switch {
	case live == prop:
		return "same replica-seconds"
	case prop == 0:
		return "HPA ran " + compact(live) + " replica-seconds, yeetscale proposed none"
	case live == 0:
		return "yeetscale proposed " + compact(prop) + " replica-seconds, the HPA ran none"
	case live > prop:
		return "HPA ran " + x(live/prop) + " the replica-seconds"
	}
	return "yeetscale proposed " + x(prop/live) + " the replica-seconds"
}
