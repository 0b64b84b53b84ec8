package tui

import (
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/yeeter/yeetscale/engine"
)

// TestListDrillIn: enter opens the selected target's console on its own
// engine, esc returns to the list on the same row; a question asked in the
// opened console takes esc as "no" first.
func TestListDrillIn(t *testing.T) {
	f := newFakeFleet(engine.ModeManual, fleetRows()...)
	l := newTestList(t, f, fleetOptions(), 120, 30)
	pressList(l, "j", "j", "j", "enter") // prod/reports
	v := l.View()
	if !l.open || !strings.Contains(v, "prod/reports") || !strings.Contains(v, "EVENTS") || !strings.Contains(v, "esc list") {
		t.Fatalf("enter did not open prod/reports' console:\n%s", v)
	}
	pressList(l, "esc")
	if l.open || l.selectedKey() != "prod/reports" || !strings.Contains(l.View(), "NAMESPACE/DEPLOYMENT") {
		t.Fatalf("esc did not return to the list on prod/reports:\n%s", l.View())
	}

	pressList(l, "k", "enter", "a") // prod/orders-worker: 2 → 9 needs no question; approve
	if got := f.engines["prod/orders-worker"].Calls(); !slices.Equal(got, []string{"approve by operator"}) {
		t.Fatalf("orders-worker's engine got %q, want one approval", got)
	}
	pressList(l, "esc", "k", "k", "enter", "a") // media/thumbnails: 6 → 2 asks first
	if l.focus.confirm == nil {
		t.Fatal("a large scale-down was not confirmed first")
	}
	pressList(l, "esc")
	if !l.open || l.focus.confirm != nil {
		t.Fatalf("esc on the question: open %v, question %v; want the question cancelled, the console still open", l.open, l.focus.confirm)
	}
	pressList(l, "esc")
	if l.open {
		t.Fatal("the second esc did not return to the list")
	}
	if got := f.engines["media/thumbnails"].Calls(); len(got) != 0 {
		t.Fatalf("thumbnails' engine got %q after a cancelled question", got)
	}
}

// TestListOpenTargetInError: a target that cannot run has no console; the
// list says why and stays.
func TestListOpenTargetInError(t *testing.T) {
	l := newTestList(t, newFakeFleet(engine.ModeManual, fleetRows()...), fleetOptions(), 120, 24)
	pressList(l, "G", "enter") // staging/emails
	if l.open {
		t.Fatal("opened a target that cannot run")
	}
	if line := l.messageLine(); !strings.Contains(line, "staging/emails cannot be opened: queue \"emails\" not found") {
		t.Fatalf("message line %q does not say why", line)
	}
}

// TestListActionsOnSelected: the action keys act on the selected target's
// engine only, with the single-target console's rules (steps, questions).
func TestListActionsOnSelected(t *testing.T) {
	tests := []struct {
		name  string
		keys  []string
		calls map[string][]string
	}{
		{"approve", []string{"j", "j", "a"}, map[string][]string{"prod/orders-worker": {"approve by operator"}}},
		{"approve after yes", []string{"a", "y"}, map[string][]string{"media/thumbnails": {"approve by operator"}}},
		{"approve cancelled", []string{"a", "n"}, nil},
		{"pause one, clamp another", []string{"p", "j", "]", "]"}, map[string][]string{"media/thumbnails": {"toggle paused"}, "prod/billing": {"clamp +1 +0", "clamp +1 +0"}}},
		{"auto asks first", []string{"j", "A", "y"}, map[string][]string{"prod/billing": {"mode auto"}}},
		{"set form", []string{"j", "s", "esc"}, nil},
		{"target step", []string{"j", "+"}, map[string][]string{"prod/billing": {"target step from 100 to 150"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeFleet(engine.ModeManual, fleetRows()...)
			l := newTestList(t, f, fleetOptions(), 120, 24)
			pressList(l, tt.keys...)
			for k, e := range f.engines {
				if got := e.Calls(); !slices.Equal(got, tt.calls[k]) {
					t.Errorf("%s got %q, want %q", k, got, tt.calls[k])
				}
			}
			if l.open {
				t.Error("an action opened the console")
			}
		})
	}
}

// TestListReadOnly: with --read-only no key changes anything, the help
// shows no action, and a target still opens (read-only too).
func TestListReadOnly(t *testing.T) {
	opts := fleetOptions()
	opts.ReadOnly = true
	f := newFakeFleet(engine.ModeManual, fleetRows()...)
	l := newTestList(t, f, opts, 120, 24)
	for _, k := range []string{"a", "y", "A", "t", "d", "p", " ", "[", "]", "{", "}", "-", "+", "s", "j", "a", "y"} {
		pressList(l, k)
	}
	for k, e := range f.engines {
		if got := e.Calls(); len(got) != 0 {
			t.Errorf("read-only: %s got %q", k, got)
		}
	}
	if v := l.helpView(); strings.Contains(v, "approve") || strings.Contains(v, "pause") {
		t.Errorf("read-only help offers actions: %q", v)
	}
	pressList(l, "enter", "a", "p")
	if !l.open || !strings.Contains(l.View(), "READ-ONLY") {
		t.Fatalf("the opened console is not read-only:\n%s", l.View())
	}
	for k, e := range f.engines {
		if got := e.Calls(); len(got) != 0 {
			t.Errorf("read-only, opened: %s got %q", k, got)
		}
	}
}

// TestListPollNow: r asks the whole fleet to poll.
func TestListPollNow(t *testing.T) {
	f := newFakeFleet(engine.ModeManual, fleetRows()...)
	l := newTestList(t, f, fleetOptions(), 120, 24)
	pressList(l, "r")
	if len(f.polls) != 1 {
		t.Fatalf("%d fleet polls, want 1", len(f.polls))
	}
}

// TestListPollNowInOpenedTarget: r in an opened target polls the fleet (its
// controller has no loop of its own to wake).
func TestListPollNowInOpenedTarget(t *testing.T) {
	f := newFakeFleet(engine.ModeManual, fleetRows()...)
	l := newTestList(t, f, fleetOptions(), 120, 24)
	pressList(l, "enter", "r")
	if len(f.polls) != 1 || len(f.engines["media/thumbnails"].Calls()) != 0 {
		t.Fatalf("%d fleet polls, engine calls %q; want 1 and none", len(f.polls), f.engines["media/thumbnails"].Calls())
	}
	if !strings.Contains(l.View(), "polling now") {
		t.Errorf("the opened console does not say it polls:\n%s", l.View())
	}
}

// TestListDropsClosedConsoleMessages: a message from a console closed since
// (its snapshot reader, its command) never reaches the new one.
func TestListDropsClosedConsoleMessages(t *testing.T) {
	f := newFakeFleet(engine.ModeManual, fleetRows()...)
	l := newTestList(t, f, fleetOptions(), 120, 24)
	pressList(l, "enter", "esc", "j", "enter")
	old := l.gen - 1
	before := l.focus.snap
	s := handSnapshot(42, 42, engine.ModeAuto)
	l.Update(childMsg{gen: old, msg: snapshotMsg(s)})
	if l.focus.snap.Scale.Desired != before.Scale.Desired {
		t.Fatal("a closed console's snapshot reached the open one")
	}
	l.Update(childMsg{gen: l.gen, msg: snapshotMsg(s)})
	if l.focus.snap.Scale.Desired != 42 {
		t.Fatal("the open console's snapshot was dropped")
	}
}

// TestWrapCmd: a wrapped command's message comes back tagged, a batch is
// wrapped command by command, quitting passes through.
func TestWrapCmd(t *testing.T) {
	if wrapCmd(1, nil) != nil {
		t.Fatal("wrapped nil")
	}
	if _, ok := wrapCmd(3, tea.Quit)().(tea.QuitMsg); !ok {
		t.Fatal("quit was wrapped")
	}
	b, ok := wrapCmd(3, tea.Batch(func() tea.Msg { return tickMsg(t0) }, func() tea.Msg { return 7 }))().(tea.BatchMsg)
	if !ok || len(b) != 2 {
		t.Fatalf("batch not kept: %#v", b)
	}
	for _, c := range b {
		if m, ok := c().(childMsg); !ok || m.gen != 3 {
			t.Fatalf("batch member not tagged: %#v", m)
		}
	}
}
