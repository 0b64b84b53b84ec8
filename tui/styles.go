package tui

import (
	"os"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/yeeter/yeetscale/engine"
)

// Styles are the console's typography. Every colour goes through lipgloss,
// so a colourless profile (NO_COLOR, --no-color, a pipe) gives a colourless
// screen, charts included.
type Styles struct {
	App, Title, Dim, Bold, Warn, Error, OK, Key lipgloss.Style
	Panel, PanelTitle                           lipgloss.Style
	// Series are the chart lines: 0 is the main line, 1 the dotted one.
	Series [2]lipgloss.Style
	Axis   lipgloss.Style
	Badge  map[string]lipgloss.Style
	Banner lipgloss.Style
	Prompt lipgloss.Style

	// chart holds the escape sequences around a chart run, per class,
	// precomputed so colouring a chart costs no lipgloss call per cell.
	chart [chartClasses][2]string
}

// NewStyles returns the console's styles for the renderer r. With noColor (or
// NO_COLOR set in the environment) every style renders as plain text.
func NewStyles(r *lipgloss.Renderer, noColor bool) *Styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	if noColor || os.Getenv("NO_COLOR") != "" {
		plain := lipgloss.NewRenderer(os.Stdout)
		plain.SetColorProfile(termenv.Ascii)
		r = plain
	}
	n := r.NewStyle
	c := func(s string) lipgloss.Color { return lipgloss.Color(s) }
	s := &Styles{
		App:        n(),
		Title:      n().Bold(true),
		Dim:        n().Foreground(c("245")),
		Bold:       n().Bold(true),
		Warn:       n().Foreground(c("214")).Bold(true),
		Error:      n().Foreground(c("203")).Bold(true),
		OK:         n().Foreground(c("42")),
		Key:        n().Foreground(c("81")).Bold(true),
		Panel:      n().Border(lipgloss.RoundedBorder()).BorderForeground(c("240")).Padding(0, 1),
		PanelTitle: n().Bold(true).Foreground(c("81")),
		Series:     [2]lipgloss.Style{n().Foreground(c("81")), n().Foreground(c("213"))},
		Axis:       n().Foreground(c("242")),
		Banner:     n().Foreground(c("231")).Background(c("124")).Bold(true),
		Prompt:     n().Foreground(c("231")).Background(c("130")).Bold(true),
		Badge: map[string]lipgloss.Style{
			"AUTO":      n().Foreground(c("16")).Background(c("42")).Bold(true),
			"MANUAL":    n().Foreground(c("16")).Background(c("81")).Bold(true),
			"DRY-RUN":   n().Foreground(c("16")).Background(c("220")).Bold(true),
			"PAUSED":    n().Foreground(c("231")).Background(c("240")).Bold(true),
			"READ-ONLY": n().Foreground(c("231")).Background(c("124")).Bold(true),
		},
	}
	for i, st := range []lipgloss.Style{s.Axis, s.Series[0], s.Series[1]} {
		s.chart[i+1] = wrapOf(st)
	}
	return s
}

// wrapOf returns the prefix and suffix that st puts around text.
func wrapOf(st lipgloss.Style) [2]string {
	out := st.Render("\x00")
	i := strings.IndexByte(out, 0)
	if i < 0 {
		return [2]string{}
	}
	return [2]string{out[:i], out[i+1:]}
}

// badgeName is the mode badge's text.
func badgeName(m engine.Mode, readOnly bool) string {
	if readOnly {
		return "READ-ONLY"
	}
	switch m {
	case engine.ModeAuto:
		return "AUTO"
	case engine.ModeDryRun:
		return "DRY-RUN"
	case engine.ModePaused:
		return "PAUSED"
	default:
		return "MANUAL"
	}
}

// badge renders the mode badge; brackets keep it readable without colour.
func (s *Styles) badge(name string) string {
	return s.Badge[name].Render("[" + name + "]")
}
