package tui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// component is a piece of the screen: the root model sizes it and asks for
// its view, which is exactly the size it was given.
type component interface {
	SetSize(width, height int)
	View() string
}

// box renders lines inside the panel border at exactly w x h cells; lines
// are cut to fit and missing lines are left blank.
func box(st *Styles, w, h int, lines []string) string {
	iw, ih := w-4, h-2 // border and one cell of padding each side
	if iw < 1 || ih < 1 {
		return ""
	}
	out := make([]string, ih)
	for i := range out {
		if i < len(lines) {
			out[i] = fit(lines[i], iw)
		} else {
			out[i] = strings.Repeat(" ", iw)
		}
	}
	return st.Panel.Render(strings.Join(out, "\n"))
}

// fit cuts or pads a (possibly styled) line to exactly w cells.
func fit(s string, w int) string {
	sw := lipgloss.Width(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = lipgloss.Width(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// spread puts left and right on one line of w cells, right-aligned, at
// least two cells apart. When both do not fit, keepRight cuts the left part,
// otherwise the right part is cut (and dropped when nothing of it fits).
func spread(left, right string, w int, keepRight bool) string {
	lw, rw := lipgloss.Width(left), lipgloss.Width(right)
	switch {
	case lw+2+rw <= w:
		return left + strings.Repeat(" ", w-lw-rw) + right
	case keepRight && rw+2 < w:
		return fit(left, w-rw-2) + "  " + right
	case !keepRight && lw+2+8 <= w:
		return left + "  " + fit(right, w-lw-2)
	}
	return fit(left, w)
}

// splitLines splits a block into lines; an empty block has none.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
