package tui

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/yeeter/yeetscale/engine"
)

// TargetRow is one target as the fleet list shows it. Text fields may hold
// anything a cluster or a broker sends: the list escapes them.
type TargetRow struct {
	Namespace, Deployment string
	// VHost and Queues name the target's queues ("a", "a+b", "/re/").
	VHost, Queues string
	// PerQueue is the depth of every queue of a multi-queue target
	// ("a 12 · b 3"), shown under the list for the selected row.
	PerQueue string
	// Recent are the depths of the latest polls, oldest first; the last is
	// the current depth. Empty when none was read.
	Recent []int64
	// Current is spec.replicas and Proposed the decision; -1 when unknown.
	Current, Proposed int32
	// MinZero is true when the target may sleep (--min-replicas 0): at 0
	// replicas it shows as "asleep", not "0".
	MinZero bool
	// Mode is the target's mode ("auto", "manual", ...), Status its status
	// (engine.Status*: "ok", "holding", "error", "stale", "guard", ...).
	Mode, Status string
	// Err is why the target cannot run or its last poll failed ("" if fine).
	Err string
	// NoDepth is true when the last poll could not read the queues (a
	// queue missing on the broker, a forbidden vhost): the depth shows
	// "—", never a zero or an old depth that looks current.
	NoDepth bool
	// Missing is true when that was because a queue is missing on the
	// broker: the depth shows "missing".
	Missing bool
}

// Key is "namespace/deployment".
func (r TargetRow) Key() string { return r.Namespace + "/" + r.Deployment }

// name is "namespace/deployment", escaped for the screen.
func (r TargetRow) name() string { return label(r.Namespace) + "/" + label(r.Deployment) }

// depth returns the current depth, and false when none was read.
func (r TargetRow) depth() (int64, bool) {
	if len(r.Recent) == 0 || r.NoDepth {
		return 0, false
	}
	return r.Recent[len(r.Recent)-1], true
}

// change is |proposed - current| (0 when either is unknown).
func (r TargetRow) change() int32 {
	if r.Current < 0 || r.Proposed < 0 {
		return 0
	}
	if d := r.Proposed - r.Current; d > 0 {
		return d
	} else {
		return -d
	}
}

// sparkBlocks are the eight heights of a sparkline cell.
var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws the last w values of vs as w cells of blocks, scaled to
// the largest of them (0 is the lowest block); missing cells are blank on
// the left.
func sparkline(vs []int64, w int) string {
	if w <= 0 {
		return ""
	}
	if len(vs) > w {
		vs = vs[len(vs)-w:]
	}
	var top int64
	for _, v := range vs {
		top = max(top, v)
	}
	var b strings.Builder
	b.Grow(w * 3)
	b.WriteString(strings.Repeat(" ", w-len(vs)))
	for _, v := range vs {
		i := 0
		if top > 0 && v > 0 {
			i = int((float64(v)*float64(len(sparkBlocks)-1))/float64(top) + 0.5)
		}
		b.WriteRune(sparkBlocks[min(max(i, 0), len(sparkBlocks)-1)])
	}
	return b.String()
}

// depthTrend is ↑, ↓ or → from the last two depths, blank with fewer.
func depthTrend(vs []int64) string {
	if len(vs) < 2 {
		return " "
	}
	a, b := vs[len(vs)-2], vs[len(vs)-1]
	switch {
	case b > a:
		return "↑"
	case b < a:
		return "↓"
	}
	return "→"
}

// replicasCell is "3 → 5", "3" when nothing changes, "—" when unknown;
// a target asleep (0 replicas, minZero) is "asleep", "asleep → 17" when
// it wakes.
func replicasCell(cur, next int32, minZero bool) string {
	now := strconv.Itoa(int(cur))
	switch {
	case cur < 0:
		return "—"
	case cur == 0 && minZero:
		now = "asleep"
	}
	if next < 0 || next == cur {
		return now
	}
	return now + " → " + strconv.Itoa(int(next))
}

// orDash is s escaped, or "—" when empty.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return label(s)
}

// column is one column of the list: its title, its width in cells and
// whether it is right-aligned.
type column struct {
	title string
	w     int
	right bool
}

// Column indices, in screen order.
const (
	colName = iota
	colQueues
	colDepth
	colSpark
	colTrend
	colReplicas
	colMode
	colStatus
	colErr
	numCols
)

// listColumns sizes the columns for a list w cells wide (the 2-cell cursor
// marker excluded). Below 120 cells the error column gives way (the
// selected row's error shows under the list) and the sparkline shrinks.
func listColumns(w int) [numCols]column {
	c := [numCols]column{
		colName: {title: "NAMESPACE/DEPLOYMENT"}, colQueues: {title: "QUEUES"},
		colDepth: {title: "DEPTH", w: 7, right: true}, colSpark: {title: "RECENT", w: 16},
		colTrend: {title: " ", w: 1}, colReplicas: {title: "REPLICAS", w: 13, right: true},
		colMode: {title: "MODE", w: 7}, colStatus: {title: "STATUS", w: 8}, colErr: {title: "ERROR"},
	}
	if w < 120 {
		c[colSpark].w = 8
	}
	avail := w - (numCols - 1) // one space between columns
	if w < 120 {
		avail++ // no error column
	}
	for _, i := range []int{colDepth, colSpark, colTrend, colReplicas, colMode, colStatus} {
		avail -= c[i].w
	}
	avail = max(avail, 8)
	if w < 120 {
		c[colName].w = avail * 6 / 10
		c[colQueues].w = avail - c[colName].w
		return c
	}
	c[colName].w = min(avail*35/100, 48)
	c[colQueues].w = min(avail*25/100, 36)
	c[colErr].w = avail - c[colName].w - c[colQueues].w
	return c
}

// cells are a row's texts, escaped, before cutting to the widths of cols
// (the name is cut already, keeping the deployment's).
func (r TargetRow) cells(cols [numCols]column) [numCols]string {
	var c [numCols]string
	c[colName] = nameCell(label(r.Namespace), label(r.Deployment), cols[colName].w)
	c[colQueues] = orDash(r.Queues)
	c[colDepth] = "—"
	if d, ok := r.depth(); ok {
		c[colDepth] = compact(float64(d))
	} else if r.Missing {
		c[colDepth] = "missing"
	}
	sparkW := cols[colSpark].w
	c[colSpark] = sparkline(r.Recent, sparkW)
	c[colTrend] = depthTrend(r.Recent)
	if r.NoDepth {
		c[colTrend] = " " // no trend to a depth unknown now
	}
	c[colReplicas] = replicasCell(r.Current, r.Proposed, r.MinZero)
	c[colMode] = orDash(r.Mode)
	c[colStatus] = label(r.Status)
	c[colErr] = oneLine(r.Err)
	return c
}

// nameCell is "namespace/deployment" in at most w cells. When it does not
// fit, the namespace is cut ("team-pay…/orders-worker"), then the
// deployment's middle ("…/orders-…-worker"), so that the deployment stays
// recognisable; both parts are escaped already.
func nameCell(ns, dep string, w int) string {
	full := ns + "/" + dep
	if lipgloss.Width(full) <= w {
		return full
	}
	dw := lipgloss.Width(dep)
	if room := w - dw - 1; room >= 3 { // at least two cells of namespace and "…"
		return ansi.Truncate(ns, room, "…") + "/" + dep
	}
	return "…/" + cutMiddle(dep, w-2)
}

// cutMiddle cuts s to at most w cells by replacing its middle with "…".
func cutMiddle(s string, w int) string {
	sw := lipgloss.Width(s)
	if sw <= w {
		return s
	}
	if w < 3 {
		return ansi.Truncate(s, max(w, 0), "")
	}
	head := (w - 1) / 2
	tail := w - 1 - head
	end := ansi.TruncateLeft(s, sw-tail, "")
	for lipgloss.Width(end) > tail { // a wide character cut in two
		_, n := utf8.DecodeRuneInString(end)
		end = end[n:]
	}
	return ansi.Truncate(s, head, "") + "…" + end
}

// fitCells cuts or pads every cell to its column's width ("" for a column
// of no width).
func fitCells(cols [numCols]column, c [numCols]string) [numCols]string {
	for i, col := range cols {
		if col.w > 0 {
			c[i] = fitPlain(c[i], col.w, col.right)
		} else {
			c[i] = ""
		}
	}
	return c
}

// joinCells joins fitted cells one space apart, skipping columns of no
// width.
func joinCells(c [numCols]string) string {
	var b strings.Builder
	b.Grow(256)
	for i, s := range c {
		if s == "" {
			continue
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	}
	return b.String()
}

// fitPlain cuts or pads unstyled text to exactly w cells, on the right or,
// when right, on the left.
func fitPlain(s string, w int, right bool) string {
	sw := lipgloss.Width(s)
	if sw > w {
		return fit(s, w)
	}
	pad := strings.Repeat(" ", w-sw)
	if right {
		return pad + s
	}
	return s + pad
}

// statusStyle is the colour of a status: green ok, amber for what needs a
// look, red for errors.
func statusStyle(st *Styles, status string) *lipgloss.Style {
	switch status {
	case engine.StatusOK:
		return &st.OK
	case engine.StatusError:
		return &st.Error
	case engine.StatusHolding, engine.StatusStale, engine.StatusGuard:
		return &st.Warn
	}
	return &st.Dim
}
