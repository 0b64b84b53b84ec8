package tui

import (
	"fmt"
	"math"

	"github.com/yeeter/yeetscale/engine"
)

// replicasPanel shows the deployment: spec, ready and proposed replicas, the
// clamp and target, and a chart of the proposal against what was applied.
type replicasPanel struct {
	st    *Styles
	w, h  int
	snap  engine.Snapshot
	chart string
	view  string // cached: the whole panel
}

func newReplicasPanel(st *Styles) *replicasPanel { return &replicasPanel{st: st} }

// SetSize implements component.
func (p *replicasPanel) SetSize(w, h int) { p.w, p.h = w, h; p.rebuild() }

// SetSnapshot shows s.
func (p *replicasPanel) SetSnapshot(s engine.Snapshot) { p.snap = s; p.rebuild() }

func (p *replicasPanel) rebuild() {
	defer func() { p.view = p.render() }()
	iw, ih := p.w-4, p.h-2-panelInfoLines
	if iw <= 0 || ih <= 0 {
		p.chart = ""
		return
	}
	applied := make([]float64, len(p.snap.History))
	proposed := make([]float64, len(p.snap.History))
	for i, o := range p.snap.History {
		applied[i] = float64(o.Applied)
		proposed[i] = float64(o.Decision.Desired)
		if o.Decision.Desired < 0 {
			proposed[i] = math.NaN() // no decision: carry the previous one
		}
	}
	p.chart = renderChart(p.st, chartSpec{Width: iw, Height: ih, Main: applied, Second: proposed, Integer: true, Empty: "no replicas read yet"})
}

// View implements component: the panel as rendered at the last snapshot
// or resize.
func (p *replicasPanel) View() string { return p.view }

func (p *replicasPanel) render() string {
	st, s := p.st, p.snap
	head := st.PanelTitle.Render("REPLICAS") + "  " + st.Bold.Render(fmt.Sprint(s.Scale.Desired))
	switch {
	case s.Polls == 0:
		head = st.PanelTitle.Render("REPLICAS") + "  " + st.Dim.Render("not read yet")
	case s.Pending && s.Proposed >= 0:
		head += " → " + st.Warn.Render(fmt.Sprint(s.Proposed)) + " proposed"
	default:
		head += st.Dim.Render(" steady")
	}
	c := s.Config
	lines := []string{
		head,
		fmt.Sprintf("spec %s %s ready %s %s pods %s", st.Bold.Render(fmt.Sprint(s.Scale.Desired)), st.Dim.Render("·"),
			readyText(st, s.Scale), st.Dim.Render("·"), st.Bold.Render(fmt.Sprint(s.Scale.Current))),
		fmt.Sprintf("clamp %s %s target %s/replica", st.Bold.Render(fmt.Sprintf("%d–%d", c.MinReplicas, c.MaxReplicas)),
			st.Dim.Render("·"), st.Bold.Render(commas(c.TargetMessages))),
	}
	lines = append(lines, splitLines(p.chart)...)
	lines = append(lines, legend(st, "applied", "proposed"))
	return box(st, p.w, p.h, lines)
}

// readyText is the ready count, warning while pods are still starting.
func readyText(st *Styles, sc engine.Scale) string {
	t := fmt.Sprint(sc.Ready)
	if sc.Ready < sc.Desired {
		return st.Warn.Render(t)
	}
	return st.Bold.Render(t)
}
