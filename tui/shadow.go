package tui

import (
	"fmt"
	"strconv"
	"time"

	"github.com/charmbracelet/lipgloss"

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

// shadowNote says who scales; it shows only where it fits whole.
const shadowNote = "KEDA scales; yeetscale only proposes"

// View implements component: "SHADOW of ScaledObject ns/so: HPA 12 ·
// yeetscale 7 · HPA ran 1.6x the replica-seconds", then the tally's times
// above target and replica-seconds. Narrower, the lines take shorter forms
// (tallyLine, headLine) rather than cut a figure: the replicas always show
// whole, and the note goes where it fits whole, or nowhere.
func (p *shadowPanel) View() string {
	if p == nil {
		return ""
	}
	t := engine.ShadowTotals{Live: -1, Proposed: -1}
	if p.tally != nil {
		t = p.tally.Totals()
	}
	l2, rs := p.tallyLine(t)
	l1 := p.headLine(t, rs)
	note := p.st.Dim.Render(shadowNote)
	switch nw := lipgloss.Width(note) + 2; {
	case lipgloss.Width(l1)+nw <= p.w:
		l1 = spread(l1, note, p.w, false)
	case lipgloss.Width(l2)+nw <= p.w:
		l2 = spread(l2, note, p.w, false)
	}
	return fit(l1, p.w) + "\n" + fit(l2, p.w)
}

// headLine is the first of these that fits: the ScaledObject, the replicas
// and which ran more replica-seconds; the same without the ratio when the
// tally line shows the replica-seconds (rs); the replicas first, then the
// ratio, then the ScaledObject; the replicas and the ratio (cut to fit).
func (p *shadowPanel) headLine(t engine.ShadowTotals, rs bool) string {
	st, dot := p.st, p.st.Dim.Render(" · ")
	now := "HPA " + st.Bold.Render(replicasCell(t.Live, -1, false)) + dot + "yeetscale " + st.Bold.Render(replicasCell(t.Proposed, -1, false))
	full := st.Warn.Render("SHADOW") + " of ScaledObject " + st.Bold.Render(p.name) + ": " + now
	short := st.Warn.Render("SHADOW") + " " + now
	so := "ScaledObject " + st.Bold.Render(p.name)
	if t.Covered <= 0 {
		return firstFit(p.w, full, short+dot+so)
	}
	r := replicaSecondsRatio(t)
	c := []string{full + dot + r}
	if rs {
		c = append(c, full)
	}
	return firstFit(p.w, append(c, short+dot+r+dot+so, short+dot+r)...)
}

// tallyLine is the running tally, the first of these that fits: the time
// the backlog was above the target under each sizing and the
// replica-seconds of each; the same with the shares only; the times
// alone; the shares alone (cut to fit). rs says whether the
// replica-seconds are on it.
func (p *shadowPanel) tallyLine(t engine.ShadowTotals) (line string, rs bool) {
	st := p.st
	if t.Covered <= 0 {
		return st.Dim.Render("tally: from the second good poll on"), false
	}
	pct := func(d time.Duration) string { return fmt.Sprintf("%d%%", int(100*d/t.Covered)) }
	share := func(d time.Duration) string {
		return st.Bold.Render(age(d)) + st.Dim.Render(" ("+pct(d)+")")
	}
	over := "over " + st.Bold.Render(age(t.Covered))
	long := over + ": backlog above target HPA " + share(t.LiveAbove) + ", yeetscale " + share(t.ProposedAbove)
	short := over + ", backlog above target HPA " + st.Bold.Render(pct(t.LiveAbove)) + ", yeetscale " + st.Bold.Render(pct(t.ProposedAbove))
	secs := st.Dim.Render(" · ") + "replica-seconds HPA " + st.Bold.Render(compact(t.LiveReplicaSeconds)) +
		", yeetscale " + st.Bold.Render(compact(t.ProposedReplicaSeconds))
	for _, l := range []string{long + secs, short + secs} {
		if lipgloss.Width(l) <= p.w {
			return l, true
		}
	}
	return firstFit(p.w, long, short), false
}

// firstFit is the first of lines that fits in w cells, else the last.
func firstFit(w int, lines ...string) string {
	for _, l := range lines {
		if lipgloss.Width(l) <= w {
			return l
		}
	}
	return lines[len(lines)-1]
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
