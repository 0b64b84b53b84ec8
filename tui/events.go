package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// eventsPanel lists the engine's event log, newest first.
type eventsPanel struct {
	st     *Styles
	loc    *time.Location
	w, h   int
	events []engine.Event
	view   string // cached: rebuilt on new events and resize only
}

func newEventsPanel(st *Styles, loc *time.Location) *eventsPanel {
	return &eventsPanel{st: st, loc: loc}
}

// SetSize implements component.
func (p *eventsPanel) SetSize(w, h int) { p.w, p.h = w, h; p.view = p.render() }

// SetEvents shows evs (newest first).
func (p *eventsPanel) SetEvents(evs []engine.Event) { p.events = evs; p.view = p.render() }

// View implements component.
func (p *eventsPanel) View() string { return p.view }

func (p *eventsPanel) render() string {
	if p.h <= 0 || p.w <= 0 {
		return ""
	}
	st := p.st
	lines := make([]string, 0, p.h)
	lines = append(lines, fit(st.PanelTitle.Render("EVENTS")+st.Dim.Render(" newest first"), p.w))
	for _, e := range p.events {
		if len(lines) == p.h {
			break
		}
		by := engine.Printable(e.By)
		if by == "" {
			by = "-"
		}
		msg := engine.Printable(e.Message) // may quote a broker's or an apiserver's text
		if e.Repeats > 0 {
			// Up front, so that truncating a long message keeps the count.
			msg = st.Warn.Render(fmt.Sprintf("×%d", e.Repeats+1)) + " " + msg
		}
		l := st.Dim.Render(e.At.In(p.loc).Format("15:04:05")) + " " + p.kind(e.Kind) + " " +
			st.Dim.Render(fit(by, 8)) + " " + msg
		lines = append(lines, fit(l, p.w))
	}
	if len(p.events) == 0 && len(lines) < p.h {
		lines = append(lines, fit(st.Dim.Render("nothing yet"), p.w))
	}
	for len(lines) < p.h {
		lines = append(lines, strings.Repeat(" ", p.w))
	}
	return strings.Join(lines, "\n")
}

func (p *eventsPanel) kind(k engine.EventKind) string {
	t := fit(strings.ToUpper(string(k)), 6)
	switch k {
	case engine.EventScale:
		return p.st.OK.Render(t)
	case engine.EventError:
		return p.st.Error.Render(t)
	case engine.EventConfig:
		return p.st.Key.Render(t)
	default:
		return p.st.Dim.Render(t)
	}
}
