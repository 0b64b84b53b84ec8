package tui

import (
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/yeeter/yeetscale/engine"
)

// podsPanel lists the worker pods as the queue's consumers show them, idle
// or busy (unacknowledged messages), in the order a scale-down removes
// them, marking the ones the next scale-down would remove. The console
// shows it in place of the events while the operator toggles it on (o);
// the engine then observes the pods at every poll (WatchPods).
type podsPanel struct {
	st   *Styles
	w, h int
	snap engine.Snapshot
	view string // cached: rebuilt on new snapshots and resize only
}

// maxPodNameCells caps a pod's name in the list.
const maxPodNameCells = 40

// SetSize implements component.
func (p *podsPanel) SetSize(w, h int) { p.w, p.h = w, h; p.view = p.render() }

// SetSnapshot shows s's pods.
func (p *podsPanel) SetSnapshot(s engine.Snapshot) { p.snap = s; p.view = p.render() }

// View implements component.
func (p *podsPanel) View() string { return p.view }

func (p *podsPanel) render() string {
	if p.h <= 0 || p.w <= 0 {
		return ""
	}
	lines := append([]string{fit(p.head(), p.w)}, p.cells()...)
	for len(lines) < p.h {
		lines = append(lines, strings.Repeat(" ", p.w))
	}
	return strings.Join(lines[:p.h], "\n")
}

// next is how many of the listed pods the next scale-down removes: those
// of the proposal, or else the first (a scale-down by one).
func (p *podsPanel) next() (int, string) {
	s, v := p.snap, p.snap.Pods
	if v.Down >= 0 && v.Down < s.Scale.Desired {
		n := int(s.Scale.Desired - v.Down)
		return n, fmt.Sprintf("scale-down %d → %d removes the %d marked ▸", s.Scale.Desired, v.Down, n)
	}
	return 1, "no scale-down proposed; ▸ goes first"
}

func (p *podsPanel) head() string {
	st, v := p.st, p.snap.Pods
	title := st.PanelTitle.Render("PODS") + "  "
	switch {
	case v == nil:
		return title + st.Dim.Render("shown from the next poll (o: back to the events)")
	case v.Err != "":
		return title + st.Error.Render("✗ ") + oneLine(v.Err)
	}
	idle, busy, unknown := 0, 0, 0
	for _, pod := range v.Pods {
		switch {
		case !pod.Mapped:
			unknown++
		case pod.Unacked == 0:
			idle++
		default:
			busy++
		}
	}
	_, next := p.next()
	counts := fmt.Sprintf("%s idle %s %s busy", st.OK.Render(fmt.Sprint(idle)), st.Dim.Render("·"), st.Warn.Render(fmt.Sprint(busy)))
	if unknown > 0 {
		counts += fmt.Sprintf(" %s %d not mapped", st.Dim.Render("·"), unknown)
	}
	return title + counts + "   " + st.Dim.Render(next)
}

// cells lays the pods out in columns, in the order they would go.
func (p *podsPanel) cells() []string {
	v := p.snap.Pods
	if v == nil || v.Err != "" || p.h < 2 {
		return nil
	}
	if len(v.Pods) == 0 {
		return []string{p.st.Dim.Render("no pods")}
	}
	nameW := 0
	for _, pod := range v.Pods {
		nameW = max(nameW, min(lipgloss.Width(engine.Printable(pod.Name)), maxPodNameCells))
	}
	cellW := nameW + 16 // "▸ " + name + "  busy 1,000,000"
	cols, rows := max(1, p.w/cellW), p.h-1
	shown := len(v.Pods)
	if shown > cols*rows {
		shown = cols*rows - 1 // the last cell says how many more
	}
	n, _ := p.next()
	out := make([]string, min(rows, (len(v.Pods)+cols-1)/cols))
	for i := range cols * len(out) {
		r, c := i%len(out), i/len(out) // down the columns, in order
		cell := ""
		switch {
		case i < shown:
			cell = p.cell(v.Pods[i], i < n, nameW)
		case i == shown && shown < len(v.Pods):
			cell = p.st.Dim.Render(fmt.Sprintf("… %d more", len(v.Pods)-shown))
		}
		if c < cols-1 {
			cell = fit(cell, cellW)
		}
		out[r] += cell
	}
	for i := range out {
		out[i] = fit(out[i], p.w)
	}
	return out
}

// cell is one pod: the mark when it goes next, its name, idle or busy.
func (p *podsPanel) cell(pod engine.PodState, goes bool, nameW int) string {
	st := p.st
	mark := "  "
	if goes {
		mark = st.Warn.Render("▸ ")
	}
	state := st.OK.Render("idle")
	switch {
	case !pod.Mapped:
		state = st.Dim.Render("not mapped")
	case pod.Unacked > 0:
		state = st.Warn.Render("busy " + commas(int64(pod.Unacked)))
	}
	return mark + fit(engine.Printable(pod.Name), nameW) + "  " + state
}

// podWatcher is what the pods panel needs of the engine: an
// engine.Controller has it; an engine without it shows "shown from the next
// poll" until its snapshots carry pods.
type podWatcher interface {
	WatchPods(on bool)
	PollNow()
}

// togglePods shows or hides the pods panel and asks the engine to observe
// the pods at every poll while it shows (polling at once).
func (m *Model) togglePods() tea.Cmd {
	m.showPods = !m.showPods
	w, ok := m.eng.(podWatcher)
	if !ok {
		return nil
	}
	on := m.showPods
	return func() tea.Msg {
		w.WatchPods(on)
		if on {
			w.PollNow()
		}
		return nil
	}
}
