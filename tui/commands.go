package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/yeeter/yeetscale/engine"
)

// snapshotMsg carries the engine's newest snapshot.
type snapshotMsg engine.Snapshot

// tickMsg refreshes the age display; it carries the clock's time.
type tickMsg time.Time

// doneMsg reports an engine command's outcome.
type doneMsg struct {
	what string
	note string // shown on success
	err  error
}

// waitSnapshot reads one snapshot from the subscription; Update re-arms it
// after each message. It returns nil once the console is closed.
func (m *Model) waitSnapshot() tea.Cmd {
	ch, done := m.ch, m.ctx.Done()
	return func() tea.Msg {
		select {
		case s, ok := <-ch:
			if !ok {
				return nil
			}
			return snapshotMsg(s)
		case <-done:
			return nil
		}
	}
}

// tick schedules the next age refresh, reading the console's clock.
func (m *Model) tick() tea.Cmd {
	if m.opts.Tick < 0 {
		return nil
	}
	now := m.opts.Now
	return tea.Tick(m.opts.Tick, func(time.Time) tea.Msg { return tickMsg(now()) })
}

// do runs an engine command in a tea.Cmd. While commands are in flight the
// console keeps its own idea of the configuration, so quick repeated steps
// add up instead of each starting from the last snapshot.
func (m *Model) do(what, note string, f func() error) tea.Cmd {
	m.inflight++
	return func() tea.Msg { return doneMsg{what: what, note: note, err: f()} }
}
