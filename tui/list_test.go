package tui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/yeeter/yeetscale/engine"
)

func TestListGolden(t *testing.T) {
	ro := fleetOptions()
	ro.ReadOnly = true
	all := fleetOptions()
	all.AllNamespaces, all.Selector = true, "team=media"
	warned := fleetOptions()
	warned.Warning = "pod choice turned off: may not list or patch pods in namespace prod (pods is forbidden; run yeetscale manifests --fleet)"
	tests := []struct {
		name string
		rows []TargetRow
		opts FleetOptions
		w, h int
		keys []string
	}{
		{"list_160x48", fleetRows(), fleetOptions(), 160, 48, nil},
		{"list_80x24", fleetRows(), fleetOptions(), 80, 24, nil},
		{"list_error_selected", fleetRows(), fleetOptions(), 100, 20, []string{"G"}},
		{"list_per_queue_selected", fleetRows(), fleetOptions(), 100, 20, []string{"j"}},
		{"list_filter_typing", fleetRows(), fleetOptions(), 100, 20, []string{"/", "p", "r", "o", "d"}},
		{"list_sorted_by_depth", fleetRows(), fleetOptions(), 100, 20, []string{"o"}},
		{"list_sorted_by_change", fleetRows(), fleetOptions(), 100, 20, []string{"o", "o"}},
		{"list_full_help", fleetRows(), fleetOptions(), 100, 24, []string{"?"}},
		{"list_read_only", fleetRows(), ro, 100, 20, nil},
		{"list_one_row", fleetRows()[:1], fleetOptions(), 100, 20, nil},
		{"list_empty", nil, fleetOptions(), 100, 20, nil},
		{"list_empty_all_namespaces", nil, all, 100, 20, nil},
		{"list_no_match", fleetRows(), fleetOptions(), 100, 20, []string{"/", "z", "z", "enter"}},
		{"list_scrolled_to_end", manyRows(100), fleetOptions(), 120, 24, []string{"G"}},
		{"list_confirm_on_selected", fleetRows(), fleetOptions(), 100, 20, []string{"a"}},
		{"list_opened_target", fleetRows(), fleetOptions(), 100, 30, []string{"j", "enter"}},
		{"list_too_small", fleetRows(), fleetOptions(), 50, 12, nil},
		{"list_asleep", sleepingRows(), fleetOptions(), 100, 16, nil},
		{"list_edges_160x16", edgeRows(), fleetOptions(), 160, 16, nil},
		{"list_warning", fleetRows(), warned, 120, 16, nil},
		{"list_warning_gone_after_a_key", fleetRows(), warned, 120, 16, []string{"j"}},
		{"list_edges_80x16", edgeRows(), fleetOptions(), 80, 16, nil},
		{"list_edges_invalid_selected", edgeRows(), fleetOptions(), 80, 16, []string{"j"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newTestList(t, newFakeFleet(engine.ModeManual, tt.rows...), tt.opts, tt.w, tt.h)
			pressList(l, tt.keys...)
			v := l.View()
			if !strings.Contains(tt.name, "too_small") {
				requireScreen(t, v, tt.w, tt.h)
			}
			golden.RequireEqual(t, []byte(v))
		})
	}
}

// requireScreen fails unless v is exactly w x h cells with no control
// character but the newlines (colours are off in tests).
func requireScreen(t *testing.T, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d:\n%s", len(lines), h, v)
	}
	for i, l := range lines {
		if lw := lipglossWidth(l); lw > w {
			t.Errorf("line %d is %d cells wide, want at most %d: %q", i, lw, w, l)
		}
		for _, r := range l {
			if unicode.IsControl(r) {
				t.Fatalf("line %d holds the control character %U: %q", i, r, l)
			}
		}
	}
}

// shown returns the targets on screen, top to bottom.
func shown(l *List) []string {
	var keys []string
	for _, line := range strings.Split(l.View(), "\n") {
		for _, r := range l.rows {
			if strings.Contains(line, " "+r.name()+" ") {
				keys = append(keys, r.key)
			}
		}
	}
	return keys
}

// requireShown fails unless the five targets' list shows want, in order,
// after keys.
func requireShown(t *testing.T, keys, want []string) {
	t.Helper()
	l := newTestList(t, newFakeFleet(engine.ModeManual, fleetRows()...), fleetOptions(), 120, 24)
	pressList(l, keys...)
	if got := shown(l); !slices.Equal(got, want) {
		t.Errorf("shown %q, want %q", got, want)
	}
}

func TestListFilter(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want []string
	}{
		{"by namespace", []string{"/", "p", "r", "o", "d"}, []string{"prod/billing", "prod/orders-worker", "prod/reports"}},
		{"by deployment, any case", []string{"/", "E", "m", "a", "i"}, []string{"staging/emails"}},
		{"by queue", []string{"/", "r", "e", "f", "u", "n", "d"}, []string{"prod/billing"}},
		{"enter keeps it", []string{"/", "t", "h", "u", "m", "b", "enter"}, []string{"media/thumbnails"}},
		{"esc while typing clears it", []string{"/", "t", "h", "esc"}, []string{"media/thumbnails", "prod/billing", "prod/orders-worker", "prod/reports", "staging/emails"}},
		{"esc after enter clears it", []string{"/", "t", "h", "enter", "esc"}, []string{"media/thumbnails", "prod/billing", "prod/orders-worker", "prod/reports", "staging/emails"}},
		{"nothing matches", []string{"/", "x", "y", "z"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { requireShown(t, tt.keys, tt.want) })
	}
}

func TestListSort(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want []string
	}{
		{"by name", nil, []string{"media/thumbnails", "prod/billing", "prod/orders-worker", "prod/reports", "staging/emails"}},
		// the unknown depth of the target in error goes last
		{"by depth", []string{"o"}, []string{"prod/orders-worker", "media/thumbnails", "prod/billing", "prod/reports", "staging/emails"}},
		{"by change", []string{"o", "o"}, []string{"prod/orders-worker", "media/thumbnails", "prod/billing", "prod/reports", "staging/emails"}},
		{"back to name", []string{"o", "o", "o"}, []string{"media/thumbnails", "prod/billing", "prod/orders-worker", "prod/reports", "staging/emails"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { requireShown(t, tt.keys, tt.want) })
	}
}

// TestListCursorFollowsTarget: a new snapshot, a sort or a filter keep the
// cursor on the same target.
func TestListCursorFollowsTarget(t *testing.T) {
	f := newFakeFleet(engine.ModeManual, fleetRows()...)
	l := newTestList(t, f, fleetOptions(), 120, 24)
	pressList(l, "j", "j") // prod/orders-worker
	for _, step := range [][]string{{"o"}, {"o"}, {"/", "o", "r", "d", "enter"}, {"esc"}} {
		pressList(l, step...)
		if got := l.selectedKey(); got != "prod/orders-worker" {
			t.Fatalf("after %q the cursor is on %q", step, got)
		}
	}
	rows := fleetRows()
	slices.Reverse(rows)
	l.Update(rowsMsg{Rows: rows[1:]})
	if got := l.selectedKey(); got != "prod/orders-worker" {
		t.Fatalf("after a new snapshot the cursor is on %q", got)
	}
}

func TestListScroll(t *testing.T) {
	l := newTestList(t, newFakeFleet(engine.ModeManual, manyRows(100)...), fleetOptions(), 120, 24)
	vis := l.listHeight()
	if got := shown(l); len(got) != vis || got[0] != "team-00/worker-0000" {
		t.Fatalf("first screen shows %d rows from %v, want %d from team-00/worker-0000", len(got), got[:1], vis)
	}
	pressList(l, "G")
	got := shown(l)
	if len(got) != vis || got[len(got)-1] != l.rows[l.order[99]].key || l.selectedKey() != got[len(got)-1] {
		t.Fatalf("after G: %d rows ending %q, cursor on %q; want the last target", len(got), got[len(got)-1], l.selectedKey())
	}
	pressList(l, "g")
	if got := shown(l); got[0] != "team-00/worker-0000" || l.cursor != 0 {
		t.Fatalf("after g: first shown %q, cursor %d", got[0], l.cursor)
	}
	for i := 0; i < vis+3; i++ {
		pressList(l, "j")
	}
	if got := shown(l); !slices.Contains(got, l.selectedKey()) {
		t.Fatalf("the cursor's row %q is off screen", l.selectedKey())
	}
}

func TestListHostileText(t *testing.T) {
	rows := fleetRows()
	rows[0].Namespace, rows[0].Deployment, rows[0].Queues, rows[0].Mode = hostile, hostile, hostile, hostile
	rows[1].PerQueue = hostile
	rows[2].Err, rows[2].Status = "rabbit: "+hostile, hostile
	opts := fleetOptions()
	opts.Context, opts.Namespace, opts.Selector = hostile, hostile, hostile
	for _, keys := range [][]string{nil, {"j"}, {"j", "j"}, {"/", "\x1b[2J"}, {"o", "o"}} {
		t.Run(fmt.Sprint(keys), func(t *testing.T) {
			l := newTestList(t, newFakeFleet(engine.ModeManual, rows...), opts, 120, 24)
			pressList(l, keys...)
			requireScreen(t, l.View(), 120, 24)
			if !strings.Contains(l.View(), `\x1b]0;pwned`) {
				t.Error("the hostile text is not shown escaped")
			}
		})
	}
}

func TestSparkline(t *testing.T) {
	tests := []struct {
		vs   []int64
		w    int
		want string
	}{
		{nil, 4, "    "},
		{[]int64{0, 0}, 4, "  ▁▁"},
		{[]int64{0, 1, 2, 3, 4, 5, 6, 7}, 8, "▁▂▃▄▅▆▇█"},
		{[]int64{7, 0, 7, 0, 3, 5}, 3, "▁▅█"},
		{[]int64{5, 5, 5}, 3, "███"},
		{[]int64{-5, 10}, 2, "▁█"},
		{[]int64{1 << 62, 1<<62 - 1}, 2, "██"},
		{[]int64{1, 2}, 0, ""},
	}
	for _, tt := range tests {
		if got := sparkline(tt.vs, tt.w); got != tt.want {
			t.Errorf("sparkline(%v, %d) = %q, want %q", tt.vs, tt.w, got, tt.want)
		}
	}
}

func TestRowCells(t *testing.T) {
	tests := []struct {
		cur, next int32
		minZero   bool
		recent    []int64
		replicas  string
		trend     string
		depth     string
	}{
		{2, 9, false, []int64{1, 5}, "2 → 9", "↑", "5"},
		{3, 3, false, []int64{5, 1}, "3", "↓", "1"},
		{3, -1, false, []int64{4, 4}, "3", "→", "4"},
		{-1, -1, false, nil, "—", " ", "—"},
		{10, 2, false, []int64{12345}, "10 → 2", " ", "12.3k"},
		{0, 0, true, []int64{0, 0}, "asleep", "→", "0"},
		{0, -1, true, nil, "asleep", " ", "—"},
		{0, 17, true, []int64{0, 4250}, "asleep → 17", "↑", "4,250"},
		{0, 1, false, []int64{3}, "0 → 1", " ", "3"},
		{1, 0, true, []int64{0}, "1 → 0", " ", "0"},
		{-1, -1, true, nil, "—", " ", "—"},
	}
	for _, tt := range tests {
		r := TargetRow{Current: tt.cur, Proposed: tt.next, MinZero: tt.minZero, Recent: tt.recent}
		c := r.cells(listColumns(100))
		if c[colReplicas] != tt.replicas || c[colTrend] != tt.trend || c[colDepth] != tt.depth {
			t.Errorf("%d→%d %v: replicas %q trend %q depth %q, want %q %q %q", tt.cur, tt.next, tt.recent,
				c[colReplicas], c[colTrend], c[colDepth], tt.replicas, tt.trend, tt.depth)
		}
	}
}
