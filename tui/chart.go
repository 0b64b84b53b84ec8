package tui

import (
	"math"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/guptarohit/asciigraph"
)

// This file is the only user of asciigraph. Every input is guarded: the
// height is always set, the lower bound is 0, an empty series never reaches
// it, NaN and infinities are replaced, long series are downsampled here
// keeping each bucket's maximum (so spikes survive), and colours are added
// afterwards through lipgloss (asciigraph's own colours ignore NO_COLOR).

// Character classes of a rendered chart, for colouring.
const (
	classNone = iota
	classAxis
	classSeries0
	classSeries1
	chartClasses
)

// chartMax caps values so labels and arithmetic stay sane.
const chartMax = 1e15

// dotChar draws the secondary series.
const dotChar = "•"

// chartSpec describes one chart.
type chartSpec struct {
	// Width and Height are the chart's cells, y-axis labels included.
	Width, Height int
	// Main is drawn as a solid line on top of Second (dotted). Both are
	// oldest first; either may be nil.
	Main, Second []float64
	// Integer makes every y label a whole number (replicas).
	Integer bool
	// Empty is shown when there is no data.
	Empty string
}

// renderChart draws spec as exactly Height lines of exactly Width cells. It
// never panics.
func renderChart(st *Styles, spec chartSpec) (out string) {
	w, h := spec.Width, spec.Height
	if w <= 0 || h <= 0 {
		return ""
	}
	if w < 12 || h < 2 {
		return blankChart(st, w, h, "")
	}
	main, second := alignNewest(sanitize(spec.Main), sanitize(spec.Second))
	if len(main) == 0 && len(second) == 0 {
		return blankChart(st, w, h, spec.Empty)
	}
	rows := h - 1 // asciigraph draws Height+1 rows
	upper, labelW := chartScale(main, second, rows, spec.Integer)
	points := w - labelW - 1
	if points < 2 {
		return blankChart(st, w, h, "")
	}
	main, second = downsample(main, points), downsample(second, points)
	defer func() {
		if recover() != nil {
			out = blankChart(st, w, h, "chart unavailable")
		}
	}()
	plot := plotChart(main, second, rows, upper, labelW, spec.Integer)
	return colourChart(st, plot, labelW, w, h)
}

// blankChart is h lines of w spaces, with msg (when not empty) centred and
// dimmed on the middle one.
func blankChart(st *Styles, w, h int, msg string) string {
	lines := make([]string, h)
	for i := range lines {
		lines[i] = strings.Repeat(" ", w)
	}
	if msg != "" {
		msg = truncate(msg, w)
		pad := (w - lipgloss.Width(msg)) / 2
		lines[h/2] = strings.Repeat(" ", pad) + st.Dim.Render(msg) + strings.Repeat(" ", w-pad-lipgloss.Width(msg))
	}
	return strings.Join(lines, "\n")
}

// alignNewest cuts the longer of two non-empty series to the length of the
// other, so that both end on their newest point.
func alignNewest(main, second []float64) ([]float64, []float64) {
	if len(main) > 0 && len(second) > 0 && len(main) != len(second) {
		n := min(len(main), len(second))
		main, second = main[len(main)-n:], second[len(second)-n:]
	}
	return main, second
}

// chartScale returns the top of the y axis for the series drawn on rows
// rows (whole numbers a row when integer), and the width of its labels.
func chartScale(main, second []float64, rows int, integer bool) (upper float64, labelW int) {
	top := 0.0
	for _, v := range append(append([]float64(nil), main...), second...) {
		top = max(top, v)
	}
	upper = niceCeil(top)
	if upper < float64(rows) {
		upper = float64(rows) // whole-number labels for small counts
	}
	if integer {
		step := math.Max(1, math.Ceil(top/float64(rows)))
		upper = step * float64(rows)
	}
	labelW = 1
	for i := 0; i <= rows; i++ {
		labelW = max(labelW, len(axisLabel(upper-float64(i)*upper/float64(rows), integer)))
	}
	return upper, labelW
}

// plotChart draws main as a line over second as dots with asciigraph, from
// 0 to upper on rows+1 rows, the labels right-aligned in labelW cells.
func plotChart(main, second []float64, rows int, upper float64, labelW int, integer bool) string {
	var data [][]float64
	var chars []asciigraph.CharSet
	if len(second) > 0 {
		data = append(data, second)
		chars = append(chars, asciigraph.CreateCharSet(dotChar))
	}
	if len(main) > 0 {
		data = append(data, main)
		chars = append(chars, asciigraph.DefaultCharSet)
	}
	return asciigraph.PlotMany(data,
		asciigraph.Height(rows),
		asciigraph.LowerBound(0),
		asciigraph.UpperBound(upper),
		asciigraph.Offset(2),
		asciigraph.SeriesChars(chars...),
		asciigraph.YAxisValueFormatter(func(v float64) string {
			l := axisLabel(v, integer)
			return strings.Repeat(" ", max(0, labelW-len(l))) + l
		}),
	)
}

// colourChart returns the last h lines of plot, each coloured and padded
// or cut to w cells, with blank lines above when plot has fewer.
func colourChart(st *Styles, plot string, labelW, w, h int) string {
	lines := strings.Split(plot, "\n")
	if len(lines) > h {
		lines = lines[len(lines)-h:]
	}
	var b strings.Builder
	for i := 0; i < h; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		j := i - (h - len(lines))
		if j < 0 {
			b.WriteString(strings.Repeat(" ", w))
			continue
		}
		colourLine(&b, st, lines[j], labelW, w)
	}
	return b.String()
}

// colourLine writes line padded or cut to w cells, each run of one class
// wrapped in that class's style.
func colourLine(b *strings.Builder, st *Styles, line string, labelW, w int) {
	cells, cls := 0, classNone
	var run strings.Builder
	flush := func() {
		if run.Len() == 0 {
			return
		}
		wrap := st.chart[cls]
		b.WriteString(wrap[0])
		b.WriteString(run.String())
		b.WriteString(wrap[1])
		run.Reset()
	}
	for _, r := range line {
		if cells == w {
			break
		}
		c := classOf(r, cells <= labelW)
		if c != cls {
			flush()
			cls = c
		}
		run.WriteRune(r)
		cells++
	}
	flush()
	if cells < w {
		b.WriteString(strings.Repeat(" ", w-cells))
	}
}

func classOf(r rune, inLabel bool) int {
	switch {
	case r == ' ':
		return classNone
	case inLabel, r == '┤', r == '┼':
		return classAxis
	case string(r) == dotChar:
		return classSeries1
	default:
		return classSeries0
	}
}

// axisLabel formats a y-axis value compactly (at most 6 cells).
func axisLabel(v float64, integer bool) string {
	if integer {
		v = math.Round(v)
	}
	return compact(v)
}

// sanitize returns a copy of s with NaN replaced by the previous value (0 at
// first), negative values and -Inf by 0, and +Inf and huge values capped.
func sanitize(s []float64) []float64 {
	if len(s) == 0 {
		return nil
	}
	out := make([]float64, len(s))
	prev := 0.0
	for i, v := range s {
		switch {
		case math.IsNaN(v):
			v = prev
		case v < 0:
			v = 0
		case v > chartMax:
			v = chartMax
		}
		out[i] = v
		prev = v
	}
	return out
}

// downsample returns s reduced to at most n points, each the maximum of its
// bucket.
func downsample(s []float64, n int) []float64 {
	if len(s) <= n || n <= 0 {
		return s
	}
	out := make([]float64, n)
	for i := range out {
		lo, hi := i*len(s)/n, (i+1)*len(s)/n
		m := s[lo]
		for _, v := range s[lo:hi] {
			m = max(m, v)
		}
		out[i] = m
	}
	return out
}

// niceCeil returns the smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten that is
// at least v (1 for v <= 0).
func niceCeil(v float64) float64 {
	if !(v > 0) {
		return 1
	}
	if v >= chartMax {
		return chartMax
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// truncate cuts s to w cells, with an ellipsis when cut.
func truncate(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	if w <= 1 {
		return strings.Repeat(".", max(w, 0))
	}
	rs := []rune(s)
	for len(rs) > 0 && lipgloss.Width(string(rs))+1 > w {
		rs = rs[:len(rs)-1]
	}
	return string(rs) + "…"
}
