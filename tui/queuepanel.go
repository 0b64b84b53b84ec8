package tui

import (
	"fmt"
	"math"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// queuePanel shows the queue: depth and its trend, ready versus unacked,
// rates and consumers, and a chart of depth over the history.
type queuePanel struct {
	st    *Styles
	w, h  int
	snap  engine.Snapshot
	chart string
	view  string // cached: the whole panel // cached: rebuilt on snapshot and resize only
}

func newQueuePanel(st *Styles) *queuePanel { return &queuePanel{st: st} }

// SetSize implements component.
func (p *queuePanel) SetSize(w, h int) { p.w, p.h = w, h; p.rebuild() }

// SetSnapshot shows s.
func (p *queuePanel) SetSnapshot(s engine.Snapshot) { p.snap = s; p.rebuild() }

const panelInfoLines = 4 // three lines above the chart, one legend below

func (p *queuePanel) rebuild() {
	defer func() { p.view = p.render() }()
	iw, ih := p.w-4, p.h-2-panelInfoLines
	if iw <= 0 || ih <= 0 {
		p.chart = ""
		return
	}
	total := make([]float64, len(p.snap.History))
	unacked := make([]float64, len(p.snap.History))
	for i, o := range p.snap.History {
		total[i], unacked[i] = float64(o.Stats.Messages), float64(o.Stats.Unacked)
	}
	p.chart = renderChart(p.st, chartSpec{Width: iw, Height: ih, Main: total, Second: unacked, Empty: "waiting for the first poll…"})
}

// View implements component: the panel as rendered at the last snapshot
// or resize.
func (p *queuePanel) View() string { return p.view }

func (p *queuePanel) render() string {
	st, s := p.st, p.snap
	q := s.Stats
	head := st.PanelTitle.Render("QUEUE") + "  " + st.Bold.Render(commas(q.Messages)) + " messages"
	if s.Config.Count == engine.CountReady {
		head += st.Dim.Render(" (scaling on ready)")
	}
	if t := trendText(st, s.History); t != "" {
		head += "  " + t
	}
	lines := []string{
		head,
		fmt.Sprintf("ready %s %s unacked %s %s consumers %d", st.Bold.Render(commas(q.Ready)), st.Dim.Render("·"),
			st.Bold.Render(commas(q.Unacked)), st.Dim.Render("·"), q.Consumers),
		fmt.Sprintf("publish %s %s deliver %s %s ack %s", st.Bold.Render(rate(q.PublishRate)), st.Dim.Render("·"),
			st.Bold.Render(rate(q.DeliverRate)), st.Dim.Render("·"), st.Bold.Render(rate(q.AckRate))),
	}
	lines = append(lines, splitLines(p.chart)...)
	lines = append(lines, spread(legend(st, "messages", "unacked"), st.Dim.Render(span(s.History)), p.w-4, false))
	return box(st, p.w, p.h, lines)
}

// trendText says whether depth rises or falls, per minute, over about the
// last minute of good polls, and when a falling queue will be empty.
func trendText(st *Styles, hist []engine.Observation) string {
	perMin, ok := trend(hist, time.Minute)
	if !ok {
		return ""
	}
	depth := float64(hist[len(hist)-1].Stats.Messages)
	switch {
	case math.Abs(perMin) < 1:
		return st.Dim.Render("steady")
	case perMin > 0:
		return st.Warn.Render("▲ +" + commas(int64(math.Round(perMin))) + "/min")
	default:
		t := "▼ −" + commas(int64(math.Round(-perMin))) + "/min"
		if depth > 0 {
			t += " · empty in ~" + age(time.Duration(depth/-perMin*float64(time.Minute)))
		}
		return st.OK.Render(t)
	}
}

// trend returns the change in messages per minute between the newest good
// observation and the newest good one at least window older.
func trend(hist []engine.Observation, window time.Duration) (float64, bool) {
	last := -1
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].OK {
			last = i
			break
		}
	}
	if last < 0 {
		return 0, false
	}
	for i := last - 1; i >= 0; i-- {
		o := hist[i]
		d := hist[last].At.Sub(o.At)
		if o.OK && d >= window {
			return float64(hist[last].Stats.Messages-o.Stats.Messages) / d.Minutes(), true
		}
	}
	return 0, false
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
