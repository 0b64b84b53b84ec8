package tui

import (
	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// childMsg is a message for the focused console, tagged with the focus it
// was meant for.
type childMsg struct {
	gen int
	msg tea.Msg
}

// wrapCmd tags the messages of the focused console's command c, so they
// come back to it (and not to a console closed since). Quitting passes
// through.
func wrapCmd(gen int, c tea.Cmd) tea.Cmd {
	if c == nil {
		return nil
	}
	return func() tea.Msg {
		switch msg := c().(type) {
		case nil:
			return nil
		case tea.QuitMsg:
			return msg
		case tea.BatchMsg:
			out := make(tea.BatchMsg, len(msg))
			for i, c := range msg {
				out[i] = wrapCmd(gen, c)
			}
			return out
		default:
			return childMsg{gen: gen, msg: msg}
		}
	}
}

// toFocus hands msg to the focused console.
func (l *List) toFocus(msg tea.Msg) tea.Cmd {
	_, c := l.focus.Update(msg)
	return wrapCmd(l.gen, c)
}

// focused returns the selected target's console when it is open for the
// selected target (nil otherwise).
func (l *List) focused() *Model {
	if l.focus == nil || l.focusKey != l.selectedKey() {
		return nil
	}
	return l.focus
}

// ensureFocus makes the focus the selected target's console, and says
// whether there is one: a target that cannot run (an invalid annotation)
// has no engine to act on.
func (l *List) ensureFocus() (tea.Cmd, bool) {
	r := l.selected()
	if r == nil {
		return nil, false
	}
	if l.focused() != nil {
		return nil, true
	}
	eng := l.src.engine(r.key)
	if eng == nil {
		why := "it is not running"
		if r.Err != "" {
			why = r.Err
		}
		l.notice = "✗ " + r.key + " cannot be opened: " + why
		return nil, false
	}
	if l.focus != nil {
		l.focus.Close()
	}
	o := l.opts.Options
	o.Namespace, o.Deployment, o.VHost, o.Queue = r.Namespace, r.Deployment, r.VHost, r.Queues
	l.gen++
	l.focusEng, l.focusKey = eng, r.key
	if l.src.pollNow != nil {
		eng = fleetPoll{Engine: eng, poll: l.src.pollNow}
	}
	l.focus = New(l.ctx, eng, o)
	l.focus.keys.Back.SetEnabled(true)
	if l.w > 0 {
		l.focus.Update(tea.WindowSizeMsg{Width: l.w, Height: l.h})
	}
	l.focusQueues()
	return wrapCmd(l.gen, l.focus.Init()), true
}

// follow keeps the focus on its target's current engine: a target whose
// settings changed has a new one (an opened console reopens on it), a
// target gone or unable to run closes its console.
func (l *List) follow() tea.Cmd {
	if l.focus == nil {
		return nil
	}
	eng := l.src.engine(l.focusKey)
	if eng == l.focusEng {
		return nil
	}
	wasOpen := l.open
	l.focus.Close()
	l.focus, l.open = nil, false
	if eng == nil {
		if wasOpen {
			l.notice = "✗ " + l.focusKey + " is gone or cannot run any more"
		}
		return nil
	}
	if !wasOpen {
		return nil // the next action opens it again
	}
	cmd, ok := l.ensureFocus()
	l.open = ok
	return cmd
}

// fleetPoll is a target's engine whose "poll now" polls the fleet: in a
// fleet the target's controller has no loop of its own to wake.
type fleetPoll struct {
	Engine
	poll func()
}

// PollNow implements Engine.
func (f fleetPoll) PollNow() { f.poll() }

// WatchPods passes the pod view's request (o) to the target's engine, when
// it observes pods: the wrapper must not hide it.
func (f fleetPoll) WatchPods(on bool) {
	if w, ok := f.Engine.(podWatcher); ok {
		w.WatchPods(on)
	}
}

// action runs a single-target action (approve, auto, clamp, poll now...)
// on the selected target, through its console: the same confirmations,
// the same read-only lock.
func (l *List) action(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, l.keys.Refresh) && l.src.pollNow != nil {
		l.notice = "polling every target now"
		poll := l.src.pollNow
		return func() tea.Msg { poll(); return nil }
	}
	if l.opts.ReadOnly || !l.isAction(msg) {
		return nil // read-only: the bindings are disabled; a second lock
	}
	open, ok := l.ensureFocus()
	if !ok {
		return open
	}
	return tea.Batch(open, l.toFocus(msg))
}

// isAction reports whether msg is an enabled single-target action.
func (l *List) isAction(msg tea.KeyMsg) bool {
	for _, b := range append(l.keys.actions(), &l.keys.Refresh) {
		if key.Matches(msg, *b) {
			return true
		}
	}
	return false
}

// openFilter starts typing a filter, from the current one.
func (l *List) openFilter() {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "namespace, deployment or queue"
	in.CharLimit = 100
	in.Cursor.SetMode(cursor.CursorStatic)
	in.SetValue(l.filter)
	in.CursorEnd()
	in.Focus()
	l.input = &in
}

// filterKey edits the filter: the list follows every key, enter keeps the
// filter, esc clears it.
func (l *List) filterKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEnter:
		l.input = nil
		return nil
	case tea.KeyEsc:
		l.input = nil
		l.setFilter("")
		return nil
	}
	in, cmd := l.input.Update(msg)
	l.input = &in
	l.setFilter(in.Value())
	return cmd
}
