package tui

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/yeeter/yeetscale/engine"
)

// FleetOptions configure the fleet console: the single-target console's
// options (Namespace is the watched namespace; Deployment, VHost and Queue
// are unused) and what the fleet watches.
type FleetOptions struct {
	Options
	// AllNamespaces is -A: the header says "all namespaces".
	AllNamespaces bool
	// Selector is -l, shown in the header when set.
	Selector string
	// Warning, when set, is shown on the list's message line until the
	// first key (a start-up warning: pod choice turned off, ...).
	Warning string
}

// FleetRows is the fleet as the list shows it.
type FleetRows struct {
	// Mode is the fleet's mode (its badge); a target's own may differ.
	Mode engine.Mode
	// Rows are the targets, in any order.
	Rows []TargetRow
}

// rowsMsg carries the fleet's newest rows.
type rowsMsg FleetRows

// listSource is what the list reads: the fleet's rows, a target's engine.
type listSource struct {
	// recv returns the next rows; without block it returns false at once
	// when there are none.
	recv func(done <-chan struct{}, block bool) (FleetRows, bool)
	// engine returns the target's engine, nil when it cannot run.
	engine func(key string) Engine
	// pollNow, when set, asks the whole fleet to poll now.
	pollNow func()
	// refresh, when set, republishes the rows after a command.
	refresh func()
	unsub   func()
}

// sortKey is the list's order.
type sortKey int

const (
	sortName   sortKey = iota // by namespace/deployment
	sortDepth                 // deepest first
	sortChange                // largest |proposed - current| first
	numSorts
)

func (s sortKey) String() string { return [...]string{"name", "depth", "change"}[s] }

// listRow is a row with its precomputed lines at the current width.
type listRow struct {
	TargetRow
	key   string
	hay   string // lower-case namespace/deployment and queues, for the filter
	plain string // the row's cells, unstyled (the selected row is drawn from it)
	line  string // the row as drawn when not selected
}

// List is the fleet console's root model: a k9s-style list of targets,
// and the single-target console (Model) of the selected one when opened.
// Update does no I/O (engine commands run in tea.Cmds) and View only
// renders what Update precomputed.
type List struct {
	ctx    context.Context
	cancel context.CancelFunc
	src    listSource
	opts   FleetOptions
	st     *Styles
	keys   KeyMap // the actions' bindings: read-only disables them
	lk     listKeys
	help   help.Model

	w, h   int
	mode   engine.Mode
	rows   []listRow
	order  []int // indices into rows: filtered, sorted
	cursor int   // index into order
	offset int   // first visible index into order
	sortBy sortKey
	filter string
	input  *textinput.Model // the filter being typed, nil when closed
	counts string           // the header's counts by status
	notice string

	focus    *Model // the selected target's console (actions, drill-in)
	focusKey string
	focusEng Engine // the target's engine the focus was opened on
	gen      int    // increases with every new focus: older messages are dropped
	open     bool   // the focus fills the screen
}

// newList returns the fleet console reading src. It shows the fleet's
// current rows from the first frame; Close unsubscribes.
func newList(ctx context.Context, src listSource, opts FleetOptions) *List {
	opts.Options = opts.withDefaults()
	st := consoleStyles(opts.Options)
	ctx, cancel := context.WithCancel(ctx)
	l := &List{ctx: ctx, cancel: cancel, src: src, opts: opts, st: st, keys: DefaultKeyMap(), help: newHelp(st)}
	l.keys.SetReadOnly(opts.ReadOnly)
	l.lk = newListKeys(&l.keys)
	if opts.Warning != "" {
		l.notice = "⚠ " + opts.Warning
	}
	if f, ok := src.recv(ctx.Done(), false); ok {
		l.setRows(f)
	}
	return l
}

// Close closes the opened console and unsubscribes from the fleet.
func (l *List) Close() {
	if l.focus != nil {
		l.focus.Close()
	}
	l.cancel()
	if l.src.unsub != nil {
		l.src.unsub()
	}
}

// Init implements tea.Model.
func (l *List) Init() tea.Cmd { return l.waitRows() }

// waitRows reads the next rows; Update re-arms it after each.
func (l *List) waitRows() tea.Cmd {
	recv, done := l.src.recv, l.ctx.Done()
	return func() tea.Msg {
		if f, ok := recv(done, true); ok {
			return rowsMsg(f)
		}
		return nil
	}
}

// Update implements tea.Model.
func (l *List) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		l.w, l.h = msg.Width, msg.Height
		l.layout()
		if l.focus != nil {
			l.focus.Update(msg)
		}
	case rowsMsg:
		l.setRows(FleetRows(msg))
		return l, tea.Batch(l.follow(), l.waitRows())
	case childMsg:
		if msg.gen != l.gen || l.focus == nil {
			return l, nil // from a console closed since
		}
		cmd := l.toFocus(msg.msg)
		if _, done := msg.msg.(doneMsg); done && l.src.refresh != nil {
			refresh := l.src.refresh
			cmd = tea.Batch(cmd, func() tea.Msg { refresh(); return nil })
		}
		return l, cmd
	case tea.KeyMsg:
		return l, l.key(msg)
	}
	return l, nil
}

// setRows shows f, keeping the cursor on the same target.
func (l *List) setRows(f FleetRows) {
	sel := l.selectedKey()
	l.mode = f.Mode
	l.rows = make([]listRow, len(f.Rows))
	for i, r := range f.Rows {
		k := r.Key()
		l.rows[i] = listRow{TargetRow: r, key: k, hay: strings.ToLower(k + " " + r.Queues)}
	}
	l.counts = statusCounts(l.st, f.Rows)
	l.render()
	l.reorderAt(sel)
	l.focusQueues()
}

// focusQueues gives the focused console its target's depth per queue.
func (l *List) focusQueues() {
	if l.focus == nil {
		return
	}
	for i := range l.rows {
		if r := &l.rows[i]; r.key == l.focusKey {
			l.focus.setQueues(perQueueLine(l.st, r.TargetRow))
			return
		}
	}
}

// perQueueLine is a target of several queues' depth per queue, for its
// console's queue panel: "max of billing.eu 584 · billing.us 312" ("sum
// of ..."); "" for a target of one queue.
func perQueueLine(st *Styles, r TargetRow) string {
	if r.PerQueue == "" {
		return ""
	}
	how := "sum of"
	if strings.HasPrefix(r.Queues, "max(") {
		how = "max of"
	}
	return st.Dim.Render(how) + " " + oneLine(r.PerQueue)
}

// render precomputes every row's line at the current width.
func (l *List) render() {
	if l.tooSmall() {
		return
	}
	cols := listColumns(l.w - 2)
	styled := map[string]string{} // status cells, styled once per status
	for i := range l.rows {
		r := &l.rows[i]
		fitted := fitCells(cols, r.cells(cols))
		r.plain = joinCells(fitted)
		st, ok := styled[fitted[colStatus]]
		if !ok {
			st = statusStyle(l.st, r.Status).Render(fitted[colStatus])
			styled[fitted[colStatus]] = st
		}
		fitted[colStatus] = st
		r.line = "  " + joinCells(fitted)
	}
}

// reorder filters and sorts the rows, keeping the cursor on the same
// target when it is still shown.
func (l *List) reorder() { l.reorderAt(l.selectedKey()) }

// reorderAt filters and sorts the rows with the cursor on the target sel,
// or at the same place when sel is not shown.
func (l *List) reorderAt(sel string) {
	f := strings.ToLower(l.filter)
	l.order = l.order[:0]
	for i := range l.rows {
		if f == "" || strings.Contains(l.rows[i].hay, f) {
			l.order = append(l.order, i)
		}
	}
	slices.SortStableFunc(l.order, func(a, b int) int { return l.compare(&l.rows[a], &l.rows[b]) })
	l.cursor = max(0, min(l.cursor, len(l.order)-1))
	for i, j := range l.order {
		if l.rows[j].key == sel {
			l.cursor = i
			break
		}
	}
	l.scroll()
}

// compare orders two rows by the sort key, then by name.
func (l *List) compare(a, b *listRow) int {
	switch l.sortBy {
	case sortDepth:
		da, oka := a.depth()
		db, okb := b.depth()
		if c := cmp.Compare(btoi(okb), btoi(oka)); c != 0 { // unknown depths last
			return c
		}
		if c := cmp.Compare(db, da); c != 0 {
			return c
		}
	case sortChange:
		if c := cmp.Compare(b.change(), a.change()); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.key, b.key)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// selected returns the row under the cursor, nil when none is shown.
func (l *List) selected() *listRow {
	if l.cursor < 0 || l.cursor >= len(l.order) {
		return nil
	}
	return &l.rows[l.order[l.cursor]]
}

func (l *List) selectedKey() string {
	if r := l.selected(); r != nil {
		return r.key
	}
	return ""
}

// move moves the cursor by n rows, within the list.
func (l *List) move(n int) {
	l.cursor = max(0, min(l.cursor+n, len(l.order)-1))
	l.scroll()
}

// scroll keeps the cursor on screen.
func (l *List) scroll() {
	vis := max(1, l.listHeight())
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+vis {
		l.offset = l.cursor - vis + 1
	}
	l.offset = max(0, min(l.offset, len(l.order)-vis))
}

// key handles a key press: in the opened console, in the filter, or on the
// list.
func (l *List) key(msg tea.KeyMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return tea.Quit
	}
	if l.open {
		if msg.Type == tea.KeyEsc && l.focus.form == nil && l.focus.confirm == nil {
			l.open = false
			return nil
		}
		return l.toFocus(msg)
	}
	if l.input != nil {
		return l.filterKey(msg)
	}
	if f := l.focused(); f != nil && (f.form != nil || f.confirm != nil) {
		return l.toFocus(msg) // the selected target's question or form
	}
	l.notice = ""
	if f := l.focused(); f != nil {
		f.notice, f.failure = "", ""
	}
	k := &l.lk
	switch {
	case key.Matches(msg, l.keys.Quit):
		return tea.Quit
	case key.Matches(msg, l.keys.Help):
		l.help.ShowAll = !l.help.ShowAll
		l.layout()
	case key.Matches(msg, k.Up):
		l.move(-1)
	case key.Matches(msg, k.Down):
		l.move(+1)
	case key.Matches(msg, k.PageUp):
		l.move(-max(1, l.listHeight()))
	case key.Matches(msg, k.PageDown):
		l.move(max(1, l.listHeight()))
	case key.Matches(msg, k.Top):
		l.move(-len(l.order))
	case key.Matches(msg, k.Bottom):
		l.move(len(l.order))
	case key.Matches(msg, k.Filter):
		l.openFilter()
	case key.Matches(msg, k.Sort):
		l.sortBy = (l.sortBy + 1) % numSorts
		l.reorder()
	case key.Matches(msg, k.Clear):
		l.setFilter("")
	case key.Matches(msg, k.Open):
		cmd, ok := l.ensureFocus()
		l.open = ok
		return cmd
	default:
		return l.action(msg)
	}
	return nil
}

// setFilter filters the list by f.
func (l *List) setFilter(f string) {
	if f != l.filter {
		l.filter = f
		l.reorder()
	}
}
