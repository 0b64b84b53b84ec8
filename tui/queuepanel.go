package tui

import (
	"fmt"
	"math"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// newQueuePanel returns the queue panel: depth and its trend, ready versus
// unacked, rates and consumers, and a chart of depth over the history; loc
// formats the time of stale figures.
func newQueuePanel(st *Styles, loc *time.Location) *chartPanel {
	return newChartPanel(st, loc, panelContent{
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

// queueInfo is the depth and its trend, ready, unacked and consumers, and
// the rates: "—" before any good poll, and the last good figures, said to
// be as of when, after a failed one (without a trend: no projection is made
// from figures that may be out of date).
func queueInfo(st *Styles, s engine.Snapshot, loc *time.Location) []string {
	q := s.Stats
	n := func(v int64) string { return st.Bold.Render(commas(v)) }
	if s.LastGoodPoll.IsZero() {
		n = func(int64) string { return st.Bold.Render("—") }
		q.PublishRate, q.DeliverRate, q.AckRate = engine.Rate{}, engine.Rate{}, engine.Rate{}
	}
	head := st.PanelTitle.Render("QUEUE") + "  " + n(q.Messages) + " messages"
	if s.Config.Count == engine.CountReady {
		head += st.Dim.Render(" (scaling on ready)")
	}
	switch t := asOf(s, loc); {
	case s.LastGoodPoll.IsZero():
		head += "  " + st.Dim.Render(noReading(s))
	case t != "":
		head += "  " + st.Warn.Render(t)
	default:
		if t := trendText(st, s.History); t != "" {
			head += "  " + t
		}
	}
	return []string{
		head,
		fmt.Sprintf("ready %s %s unacked %s %s consumers %s", n(q.Ready), st.Dim.Render("·"),
			n(q.Unacked), st.Dim.Render("·"), n(int64(q.Consumers))),
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
