package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/yeeter/yeetscale/engine"
)

// statusOrder is the order of the header's counts.
var statusOrder = []string{
	engine.StatusOK, engine.StatusHolding, engine.StatusError, engine.StatusStale,
	engine.StatusGuard, engine.StatusPaused, engine.StatusDryRun, engine.StatusStarting,
}

// statusCounts is the header's "3 ok · 1 error", in statusOrder, then any
// other status.
func statusCounts(st *Styles, rows []TargetRow) string {
	n := map[string]int{}
	for _, r := range rows {
		n[r.Status]++
	}
	var parts []string
	add := func(s string) {
		if n[s] > 0 {
			parts = append(parts, statusStyle(st, s).Render(strconv.Itoa(n[s])+" "+label(s)))
			delete(n, s)
		}
	}
	for _, s := range statusOrder {
		add(s)
	}
	for _, r := range rows {
		add(r.Status)
	}
	return strings.Join(parts, st.Dim.Render(" · "))
}

func (l *List) tooSmall() bool { return l.w < MinWidth || l.h < MinHeight }

// layout re-renders the rows for a new width or help height.
func (l *List) layout() {
	if l.tooSmall() {
		return
	}
	l.help.Width = l.w
	l.render()
	l.scroll()
}

// listHeight is the rows shown: the height minus the header, the message
// line, the column titles and the help.
func (l *List) listHeight() int {
	return l.h - headerHeight - 2 - lipgloss.Height(l.helpView())
}

// View implements tea.Model. It only renders state: the rows' lines were
// computed when the fleet's snapshot (or the size) arrived, and only the
// visible ones are drawn.
func (l *List) View() string {
	switch {
	case l.w == 0 || l.h == 0:
		return ""
	case l.tooSmall():
		return truncate(fmt.Sprintf("Terminal too small: %dx%d, need at least %dx%d.", l.w, l.h, MinWidth, MinHeight), l.w)
	case l.open:
		return l.focus.View()
	}
	var b strings.Builder
	b.Grow(l.w * l.h * 2)
	b.WriteString(l.header())
	b.WriteString("\n" + l.messageLine() + "\n")
	cols := listColumns(l.w - 2)
	var titles [numCols]string
	for i, c := range cols {
		titles[i] = c.title
	}
	b.WriteString(l.st.Dim.Render(fit("  "+joinCells(fitCells(cols, titles)), l.w)))
	vis := l.listHeight()
	for i := 0; i < vis; i++ {
		b.WriteByte('\n')
		j := l.offset + i
		switch {
		case j < len(l.order) && j == l.cursor:
			b.WriteString(l.st.Bold.Reverse(true).Render("▶ " + l.rows[l.order[j]].plain))
		case j < len(l.order):
			b.WriteString(l.rows[l.order[j]].line)
		case i == 0:
			b.WriteString(fit("  "+l.emptyText(), l.w))
		default:
			b.WriteString(strings.Repeat(" ", l.w))
		}
	}
	b.WriteString("\n" + l.helpView())
	return b.String()
}

// emptyText says why no row shows.
func (l *List) emptyText() string {
	if len(l.rows) > 0 {
		return fmt.Sprintf("no target matches %q; esc clears the filter", oneLine(l.filter))
	}
	where := "namespace " + label(l.opts.Namespace)
	if l.opts.AllNamespaces {
		where = "any namespace"
	}
	if l.opts.Selector != "" {
		where += " matching " + oneLine(l.opts.Selector)
	}
	return "no annotated Deployments in " + where + "; annotate one with yeetscale.yeeter.io/queue=QUEUE"
}

// header is what is watched and the mode, then the counts by status and
// the sort and filter.
func (l *List) header() string {
	st, o := l.st, l.opts
	where := "namespace " + label(o.Namespace)
	if o.AllNamespaces {
		where = "all namespaces"
	}
	if o.Selector != "" {
		where += st.Dim.Render(" · ") + "-l " + oneLine(o.Selector)
	}
	n := "1 target"
	if len(l.rows) != 1 {
		n = commas(int64(len(l.rows))) + " targets"
	}
	left := st.Title.Render("yeetscale") + "  " + label(o.Context) + st.Dim.Render(" · ") + where + st.Dim.Render(" · ") + st.Bold.Render(n)
	l1 := spread(left, st.badge(badgeName(l.mode, o.ReadOnly)), l.w, true)
	right := "sort: " + l.sortBy.String()
	if l.filter != "" {
		right = fmt.Sprintf("filter %q: %d of %d", oneLine(l.filter), len(l.order), len(l.rows)) + st.Dim.Render(" · ") + right
	}
	counts := l.counts
	if counts == "" {
		counts = st.Dim.Render("no targets")
	}
	return l1 + "\n" + spread(counts, right, l.w, true)
}

// messageLine is the filter being typed, the selected target's question,
// form or last command's outcome, the list's notice, the selected target's
// error or its queues, or blank.
func (l *List) messageLine() string {
	st := l.st
	f := l.focused()
	r := l.selected()
	switch {
	case l.input != nil:
		return fit(" "+l.input.View(), l.w)
	case f != nil && (f.form != nil || f.confirm != nil || f.failure != "" || f.notice != ""):
		return f.messageLine()
	case strings.HasPrefix(l.notice, "✗"):
		return st.Banner.Render(fit(" "+oneLine(l.notice), l.w))
	case strings.HasPrefix(l.notice, "⚠"):
		return st.Warn.Render(fit(" "+oneLine(l.notice), l.w))
	case l.notice != "":
		return fit(" "+oneLine(l.notice), l.w)
	case r != nil && r.Err != "":
		return st.Banner.Render(fit(" ✗ "+r.name()+": "+oneLine(r.Err), l.w))
	case r != nil && r.PerQueue != "":
		return fit(" "+r.name()+": "+oneLine(r.PerQueue), l.w)
	}
	return strings.Repeat(" ", l.w)
}

// helpView is the help bar (or full help), cut to the terminal's width.
func (l *List) helpView() string { return helpLines(l.help, l.lk, l.w) }
