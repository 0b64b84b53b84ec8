package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/yeeter/yeetscale/engine"
)

// Minimum terminal size; below it the console shows one line saying so.
const (
	MinWidth  = 60
	MinHeight = 16
)

// Model is the console's root model: it lays out the components, routes
// keys to engine commands and snapshots to the components.
type Model struct {
	ctx    context.Context
	cancel context.CancelFunc
	eng    Engine
	opts   Options
	st     *Styles
	keys   KeyMap
	help   help.Model

	ch    <-chan engine.Snapshot
	unsub func()

	w, h     int
	snap     engine.Snapshot
	now      time.Time
	cfg      engine.Config // the configuration as the operator last set it
	inflight int

	hdr      *header
	queue    *chartPanel
	reps     *chartPanel
	dec      *decision
	events   *eventsPanel
	shadow   *shadowPanel // nil unless opts.Shadow
	pods     *podsPanel   // shown in place of the events while showPods
	showPods bool

	row string // cached: the queue and replicas panels side by side

	confirm *confirmation
	form    *setForm
	failure string // the last failed command
	notice  string // the last successful command
}

// New returns the console's model for eng. It subscribes at once and shows
// the engine's current snapshot from the first frame; Close unsubscribes.
func New(ctx context.Context, eng Engine, opts Options) *Model {
	opts = opts.withDefaults()
	st := consoleStyles(opts)
	ctx, cancel := context.WithCancel(ctx)
	m := &Model{ctx: ctx, cancel: cancel, eng: eng, opts: opts, st: st, keys: DefaultKeyMap(), help: newHelp(st), now: opts.Now()}
	m.keys.SetReadOnly(opts.ReadOnly)
	m.hdr = &header{st: st, opts: opts, keys: &m.keys}
	m.queue = newQueuePanel(st, opts.Location)
	m.reps = newReplicasPanel(st, opts.Location)
	m.dec = &decision{st: st, keys: &m.keys, readOnly: opts.ReadOnly}
	m.events = newEventsPanel(st, opts.Location)
	m.shadow = newShadowPanel(st, opts)
	m.pods = &podsPanel{st: st}
	m.ch, m.unsub = eng.Subscribe()
	select {
	case s := <-m.ch:
		m.apply(s)
	default:
	}
	m.setNow(m.now)
	return m
}

// consoleStyles are the styles for the terminal opts.Out (the default
// renderer without one).
func consoleStyles(opts Options) *Styles {
	var r *lipgloss.Renderer
	if opts.Out != nil {
		r = lipgloss.NewRenderer(opts.Out)
	}
	return NewStyles(r, opts.NoColor)
}

// newHelp returns the help bar in the console's styles.
func newHelp(st *Styles) help.Model {
	h := help.New()
	h.Styles = help.Styles{
		Ellipsis: st.Dim, ShortKey: st.Key, ShortDesc: st.Dim, ShortSeparator: st.Dim,
		FullKey: st.Key, FullDesc: st.Dim, FullSeparator: st.Dim,
	}
	return h
}

// Close unsubscribes from the engine and stops the snapshot reader.
func (m *Model) Close() {
	m.cancel()
	m.unsub()
	if w, ok := m.eng.(podWatcher); ok && m.showPods {
		w.WatchPods(false)
	}
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd { return tea.Batch(m.waitSnapshot(), m.tick()) }

// Update implements tea.Model. It never blocks: engine commands run in the
// returned tea.Cmds.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.layout()
	case snapshotMsg:
		s := engine.Snapshot(msg)
		if s.At.After(m.now) {
			// The snapshot is newer than the last tick: ages and "next in"
			// are measured from it (in an accelerated demo a tick is many
			// simulated seconds).
			m.setNow(s.At)
		}
		m.apply(s)
		return m, m.waitSnapshot()
	case tickMsg:
		m.setNow(time.Time(msg))
		return m, m.tick()
	case doneMsg:
		m.inflight = max(0, m.inflight-1)
		if msg.err != nil {
			m.failure, m.notice = msg.what+": "+oneLine(msg.err.Error()), ""
		} else if msg.note != "" {
			m.failure, m.notice = "", msg.note
		}
	case tea.KeyMsg:
		return m, m.key(msg)
	}
	return m, nil
}

// apply shows snapshot s.
func (m *Model) apply(s engine.Snapshot) {
	m.snap = s
	if m.inflight == 0 {
		m.cfg = s.Config
	}
	m.hdr.snap, m.dec.snap = s, s
	m.queue.SetSnapshot(s)
	m.reps.SetSnapshot(s)
	m.events.SetEvents(s.Events)
	m.shadow.SetSnapshot(s)
	m.pods.SetSnapshot(s)
	m.joinPanels()
}

// setQueues shows, under the queue panel's figures, the depth of each queue
// of a target of several (the fleet list's row for it: text "" for none).
// The list calls it from its Update, with what a fleet snapshot read.
func (m *Model) setQueues(text string) {
	var extra []string
	if text != "" {
		extra = []string{text}
	}
	if slices.Equal(extra, m.queue.extra) {
		return
	}
	m.queue.SetExtra(extra)
	m.joinPanels()
}

// joinPanels caches the panel row, which changes only with a snapshot or a
// resize.
func (m *Model) joinPanels() {
	m.row = ""
	if m.queue.h > 0 && !m.tooSmall() {
		m.row = lipgloss.JoinHorizontal(lipgloss.Top, m.queue.View(), m.reps.View())
	}
}

func (m *Model) setNow(t time.Time) {
	m.now = t
	m.hdr.now, m.dec.now = t, t
}

// layout gives every component its size: the main area is the height minus
// the header, the message line and the help (gh-dash style).
func (m *Model) layout() {
	if m.tooSmall() {
		return
	}
	m.help.Width = m.w
	main := m.h - headerHeight - 1 - m.shadow.height() - lipgloss.Height(m.helpView())
	evH := min(max(main/4, 3), 12)
	panelH := main - decisionHeight - evH
	if panelH < 8 { // small terminal or full help: the events give way first
		evH = max(0, main-decisionHeight-8)
		panelH = max(0, main-decisionHeight-evH)
	}
	qw := m.w * 3 / 5
	m.hdr.SetSize(m.w, headerHeight)
	m.shadow.SetSize(m.w, m.shadow.height())
	m.queue.SetSize(qw, panelH)
	m.reps.SetSize(m.w-qw, panelH)
	m.dec.SetSize(m.w, decisionHeight)
	m.events.SetSize(m.w, evH)
	m.pods.SetSize(m.w, evH)
	m.joinPanels()
}

func (m *Model) tooSmall() bool { return m.w < MinWidth || m.h < MinHeight }

// View implements tea.Model. It only renders state: no I/O, no clock.
func (m *Model) View() string {
	if m.w == 0 || m.h == 0 {
		return ""
	}
	if m.tooSmall() {
		return truncate(fmt.Sprintf("Terminal too small: %dx%d, need at least %dx%d.", m.w, m.h, MinWidth, MinHeight), m.w)
	}
	parts := []string{m.hdr.View(), m.messageLine()}
	if m.shadow != nil {
		parts = append(parts, m.shadow.View())
	}
	if m.row != "" {
		parts = append(parts, m.row)
	}
	parts = append(parts, m.dec.View())
	switch {
	case m.showPods && m.pods.h > 0:
		parts = append(parts, m.pods.View())
	case m.events.h > 0:
		parts = append(parts, m.events.View())
	}
	parts = append(parts, m.helpView())
	out := strings.Join(parts, "\n")
	if lipgloss.Height(out) > m.h { // full help on a small terminal: keep the top
		out = strings.Join(strings.Split(out, "\n")[:m.h], "\n")
	}
	return out
}

// messageLine is the confirmation question, an error banner, the last
// command's outcome, or blank.
func (m *Model) messageLine() string {
	st, s := m.st, m.snap
	switch {
	case m.form != nil:
		prompt := " set MIN MAX [TARGET], enter applies, esc cancels: "
		if m.notice != "" {
			prompt = " " + oneLine(m.notice) + "; esc cancels: "
		}
		return st.Prompt.Render(fit(prompt, m.w/2)) + " " + m.form.input.View()
	case m.confirm != nil:
		return st.Prompt.Render(fit(" "+m.confirm.question+"  [y/n] ", m.w))
	case m.failure != "":
		return st.Banner.Render(fit(" ✗ "+m.failure, m.w))
	case s.Err != nil && s.ConsecutiveErrors > 0:
		return st.Banner.Render(fit(fmt.Sprintf(" ✗ poll failed (%d in a row): %s", s.ConsecutiveErrors, oneLine(s.Err.Error())), m.w))
	case s.Err != nil:
		return st.Banner.Render(fit(" ✗ "+oneLine(s.Err.Error()), m.w))
	case m.notice != "":
		return fit(st.OK.Render(" ✓ ")+oneLine(m.notice), m.w)
	}
	return strings.Repeat(" ", m.w)
}

// helpView is the help bar (or full help), cut to the terminal's width.
func (m *Model) helpView() string { return helpLines(m.help, m.keys, m.w) }

// helpLines is h's view of keys, every line cut to w cells.
func helpLines(h help.Model, keys help.KeyMap, w int) string {
	lines := strings.Split(h.View(keys), "\n")
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	return strings.Join(lines, "\n")
}

// oneLine joins a multi-line error message into one line, with every
// control character escaped: an error may quote a broker's or an
// apiserver's text.
func oneLine(s string) string {
	return engine.Printable(strings.ReplaceAll(strings.TrimSpace(s), "\n", "; "))
}
