package tui

import (
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// panelInfoLines are a chart panel's lines besides the chart: three lines
// of figures above it, its legend below.
const panelInfoLines = 4

// chartPanel is a bordered panel of figures over a chart of the history,
// with the chart's legend under it. It owns its size (SetSize) and caches
// its view, rebuilt on a snapshot or a resize only. The queue and the
// replicas panels are two chartPanels with different content.
type chartPanel struct {
	content panelContent
	st      *Styles
	loc     *time.Location // formats the time of the figures shown
	w, h    int
	snap    engine.Snapshot
	extra   []string // lines under the figures (SetExtra), taken from the chart
	view    string
}

// panelContent is what one chart panel shows.
type panelContent struct {
	// info returns the lines of figures above the chart; loc formats the
	// time of stale figures (asOf).
	info func(st *Styles, s engine.Snapshot, loc *time.Location) []string
	// series returns the chart's solid and dotted series, oldest first.
	series func(hist []engine.Observation) (solid, dotted []float64)
	// solid and dotted name the two series in the legend.
	solid, dotted string
	// span puts how much time the history covers beside the legend.
	span bool
	// integer and empty are the chart's chartSpec.Integer and .Empty
	// before the first poll (after failed ones, it says no poll succeeded).
	integer bool
	empty   string
}

func newChartPanel(st *Styles, loc *time.Location, c panelContent) *chartPanel {
	return &chartPanel{st: st, loc: loc, content: c}
}

// SetSize implements component.
func (p *chartPanel) SetSize(w, h int) { p.w, p.h = w, h; p.rebuild() }

// SetSnapshot shows s.
func (p *chartPanel) SetSnapshot(s engine.Snapshot) { p.snap = s; p.rebuild() }

// SetExtra shows lines under the figures, above a chart that many lines
// shorter (nil: none).
func (p *chartPanel) SetExtra(lines []string) { p.extra = lines; p.rebuild() }

// View implements component: the panel as rendered at the last snapshot
// or resize.
func (p *chartPanel) View() string { return p.view }

func (p *chartPanel) rebuild() {
	st, c := p.st, p.content
	lines := append(c.info(st, p.snap, p.loc), p.extra...)
	hist := readHistory(p.snap.History)
	if iw, ih := p.w-4, p.h-2-panelInfoLines-len(p.extra); iw > 0 && ih > 0 {
		empty := c.empty
		if p.snap.Polls > 0 {
			empty = "no poll has succeeded yet"
		}
		solid, dotted := c.series(hist)
		chart := renderChart(st, chartSpec{Width: iw, Height: ih, Main: solid, Second: dotted, Integer: c.integer, Empty: empty})
		lines = append(lines, splitLines(chart)...)
	}
	leg := legend(st, c.solid, c.dotted)
	if c.span {
		leg = spread(leg, st.Dim.Render(span(hist)), p.w-4, false)
	}
	p.view = box(st, p.w, p.h, append(lines, leg))
}

// span says how much time the history covers.
func span(hist []engine.Observation) string {
	if len(hist) < 2 {
		return ""
	}
	return "last " + age(hist[len(hist)-1].At.Sub(hist[0].At))
}

// legend names the chart's solid and dotted lines.
func legend(st *Styles, solid, dotted string) string {
	return st.Series[0].Render("──") + " " + solid + "  " + st.Series[1].Render(dotChar+dotChar) + " " + dotted
}
