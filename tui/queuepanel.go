package tui

import (
	"fmt"
	"math"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// newQueuePanel returns the queue panel: depth and its trend, ready versus
// unacked, rates and consumers, and a chart of depth over the history.
func newQueuePanel(st *Styles) *chartPanel {
	return newChartPanel(st, panelContent{
		info: queueInfo, series: queueSeries, solid: "messages", dotted: "unacked", span: true,
		empty: "waiting for the first poll…",
	})
}

// queueSeries is the depth (ready + unacked) and the unacked messages.
func queueSeries(hist []engine.Observation) (total, unacked []float64) {
	total, unacked = make([]float64, len(hist)), make([]float64, len(hist))
	for i, o := range hist {
		total[i], unacked[i] = float64(o.Stats.Messages), float64(o.Stats.Unacked)
	}
	return total, unacked
}

func queueInfo(st *Styles, s engine.Snapshot) []string {
	q := s.Stats
	head := st.PanelTitle.Render("QUEUE") + "  " + st.Bold.Render(commas(q.Messages)) + " messages"
	if s.Config.Count == engine.CountReady {
		head += st.Dim.Render(" (scaling on ready)")
	}
	if t := trendText(st, s.History); t != "" {
		head += "  " + t
	}
	return []string{
		head,
		fmt.Sprintf("ready %s %s unacked %s %s consumers %d", st.Bold.Render(commas(q.Ready)), st.Dim.Render("·"),
			st.Bold.Render(commas(q.Unacked)), st.Dim.Render("·"), q.Consumers),
		fmt.Sprintf("publish %s %s deliver %s %s ack %s", st.Bold.Render(rate(q.PublishRate)), st.Dim.Render("·"),
			st.Bold.Render(rate(q.DeliverRate)), st.Dim.Render("·"), st.Bold.Render(rate(q.AckRate))),
	}
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
