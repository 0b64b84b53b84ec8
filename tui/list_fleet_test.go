package tui

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/yeeter/yeetscale/engine"
)

// fixedTargets is a TargetSource that never changes.
type fixedTargets []engine.Target

func (f fixedTargets) Targets() []engine.Target { return f }
func (fixedTargets) Changed() <-chan struct{}   { return nil }

// mapLister lists the same queues for every vhost.
type mapLister map[string]engine.QueueStats

func (m mapLister) ListQueues(context.Context, string) (map[string]engine.QueueStats, error) {
	return m, nil
}

// realFleet is an engine.Fleet of three targets, polled once: orders
// (1,000 messages, 2 replicas: a proposal waits), mail (empty), and bad (an
// invalid annotation).
func realFleet(t *testing.T) (*engine.Fleet, map[string]*countingWorld) {
	t.Helper()
	worlds := map[string]*countingWorld{}
	target := func(name, queue string) engine.Target {
		cfg := engine.DefaultConfig()
		cfg.Namespace, cfg.Deployment, cfg.Queue = "prod", name, queue
		w := &countingWorld{scale: engine.Scale{Desired: 2, Current: 2, Ready: 2, Version: "0"}}
		worlds[name] = w
		return engine.Target{Namespace: "prod", Deployment: name, Config: cfg, Queues: engine.QueueSet{Names: []string{queue}, Combine: engine.CombineSum}, Scaler: w}
	}
	bad := engine.Target{Namespace: "prod", Deployment: "bad", Err: errors.New(`annotation yeetscale.yeeter.io/min-replicas: "x" is not a whole number`)}
	f, err := engine.NewFleet(engine.FleetOptions{
		Targets: fixedTargets{bad, target("mail", "mail"), target("orders", "orders")},
		Lister: mapLister{
			"orders": {Messages: 1000, Ready: 990, Unacked: 10, Consumers: 2},
			"mail":   {Consumers: 2},
		},
		Clock: engine.NewManualClock(t0), Mode: engine.ModeManual,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	f.PollOnce(context.Background(), "test")
	return f, worlds
}

// TestListOnRealFleet: the list of a real engine.Fleet shows its targets
// and their states, opens one on its controller, and an approval from the
// list scales that Deployment only.
func TestListOnRealFleet(t *testing.T) {
	f, worlds := realFleet(t)
	l := NewList(context.Background(), f, fleetOptions())
	t.Cleanup(l.Close)
	l.Update(tea.WindowSizeMsg{Width: 120, Height: 24})
	v := l.View()
	for _, want := range []string{"3 targets", "prod/bad", "prod/mail", "prod/orders", "2 → ", "error", "holding"} {
		if !strings.Contains(v, want) {
			t.Errorf("the list lacks %q:\n%s", want, v)
		}
	}
	if got := shown(l); !slices.Equal(got, []string{"prod/bad", "prod/mail", "prod/orders"}) {
		t.Fatalf("shown %q", got)
	}
	pressList(l, "enter") // prod/bad cannot run
	if l.open || !strings.Contains(l.messageLine(), "min-replicas") {
		t.Fatalf("opened prod/bad, or did not say why not: %q", l.messageLine())
	}
	pressList(l, "G", "enter")
	if !l.open || !strings.Contains(l.View(), "EVENTS") || l.focusEng != Engine(f.Controller("prod/orders")) {
		t.Fatalf("enter did not open prod/orders on its controller:\n%s", l.View())
	}
	pressList(l, "esc", "a")
	deadline := time.Now().Add(5 * time.Second)
	for worlds["orders"].setCount() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if o, m := worlds["orders"].setCount(), worlds["mail"].setCount(); o != 1 || m != 0 {
		t.Fatalf("scale updates: orders %d, mail %d; want 1, 0", o, m)
	}
}

// TestRowsFrom: a fleet snapshot's targets become rows: replicas only once
// read, the target's own error or its last poll's, the queues one by one
// when there are several, and whether a target at 0 sleeps (--min-replicas
// 0) or is merely at 0.
func TestRowsFrom(t *testing.T) {
	polled := engine.Snapshot{Seq: 4, Mode: engine.ModeAuto, Polls: 2, LastGoodPoll: t0, Scale: engine.Scale{Desired: 3}, Proposed: 5}
	polled.Config.VHost = "jobs"
	failing := polled
	failing.Err = errors.New("queue \"b\" not found")
	first := engine.Snapshot{Seq: 1, Mode: engine.ModeManual, Polls: 1, Proposed: -1, Err: errors.New("unavailable")}
	missing := polled
	missing.Err = &engine.Error{Kind: engine.ErrNotFound, Msg: `queue "a" not found on vhost "jobs"`}
	forbidden := polled
	forbidden.Err = errors.New("forbidden")
	two := engine.QueueSet{Names: []string{"a", "b"}, Combine: engine.CombineMax}
	asleep := engine.Snapshot{Seq: 9, Mode: engine.ModeAuto, Polls: 3, LastGoodPoll: t0, Config: engine.DefaultConfig()}
	asleep.Config.MinReplicas = 0
	atZero := asleep
	atZero.Config.MinReplicas, atZero.Proposed = 1, 1
	tests := []struct {
		name string
		in   engine.TargetSnapshot
		want TargetRow
	}{
		{"polled", engine.TargetSnapshot{Namespace: "n", Deployment: "d", Queues: engine.QueueSet{Names: []string{"a"}}, Snapshot: polled, Recent: []int64{1, 2}, Status: "holding"},
			TargetRow{Namespace: "n", Deployment: "d", VHost: "jobs", Queues: "a", Recent: []int64{1, 2}, Current: 3, Proposed: 5, Mode: "auto", Status: "holding", MinZero: true}},
		{"asleep", engine.TargetSnapshot{Namespace: "n", Deployment: "d", Snapshot: asleep, Status: "ok"},
			TargetRow{Namespace: "n", Deployment: "d", VHost: "/", Current: 0, Proposed: 0, Mode: "auto", Status: "ok", MinZero: true}},
		{"at 0 but min 1", engine.TargetSnapshot{Namespace: "n", Deployment: "d", Snapshot: atZero, Status: "ok"},
			TargetRow{Namespace: "n", Deployment: "d", VHost: "/", Current: 0, Proposed: 1, Mode: "auto", Status: "ok"}},
		{"two queues, one missing", engine.TargetSnapshot{Namespace: "n", Deployment: "d", Queues: two, Snapshot: failing, Err: failing.Err, Status: "error",
			Depths: []engine.QueueDepth{{Name: "a", Messages: 1200}, {Name: "b"}}},
			TargetRow{Namespace: "n", Deployment: "d", VHost: "jobs", Queues: "max(a,b)", PerQueue: "a 1,200 · b 0", Current: 3, Proposed: 5, Mode: "auto", Status: "error", Err: `queue "b" not found`, MinZero: true}},
		{"never read", engine.TargetSnapshot{Namespace: "n", Deployment: "d", Snapshot: first, Err: first.Err, Status: "error"},
			TargetRow{Namespace: "n", Deployment: "d", Current: -1, Proposed: -1, Mode: "manual", Status: "error", Err: "unavailable", MinZero: true, NoDepth: true}},
		{"cannot run", engine.TargetSnapshot{Namespace: "n", Deployment: "d", Err: errors.New("deployment n/d: bad annotation"), Status: "error"},
			TargetRow{Namespace: "n", Deployment: "d", Current: -1, Proposed: -1, Status: "error", Err: "bad annotation"}},
		{"queue missing", engine.TargetSnapshot{Namespace: "n", Deployment: "d", Queues: engine.QueueSet{Names: []string{"a"}}, Snapshot: missing, Err: missing.Err,
			Recent: []int64{5}, Status: "error"},
			TargetRow{Namespace: "n", Deployment: "d", VHost: "jobs", Queues: "a", Recent: []int64{5}, Current: 3, Proposed: 5, Mode: "auto", Status: "error",
				Err: `queue "a" not found on vhost "jobs"`, MinZero: true, NoDepth: true, Missing: true}},
		{"vhost forbidden", engine.TargetSnapshot{Namespace: "n", Deployment: "d", Queues: engine.QueueSet{Names: []string{"a"}}, Snapshot: forbidden, Err: forbidden.Err, Status: "error"},
			TargetRow{Namespace: "n", Deployment: "d", VHost: "jobs", Queues: "a", Current: 3, Proposed: 5, Mode: "auto", Status: "error",
				Err: "forbidden", MinZero: true, NoDepth: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RowsFrom(engine.FleetSnapshot{Targets: []engine.TargetSnapshot{tt.in}})
			if len(got) != 1 || !rowsEqual(got[0], tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func rowsEqual(a, b TargetRow) bool {
	eq := slices.Equal(a.Recent, b.Recent)
	a.Recent, b.Recent = nil, nil
	return eq && a.Namespace == b.Namespace && a.Deployment == b.Deployment && a.VHost == b.VHost && a.Queues == b.Queues &&
		a.PerQueue == b.PerQueue && a.Current == b.Current && a.Proposed == b.Proposed && a.Mode == b.Mode && a.Status == b.Status && a.Err == b.Err && a.MinZero == b.MinZero &&
		a.NoDepth == b.NoDepth && a.Missing == b.Missing
}

// TestListFollowsNewController: a target whose settings changed has a new
// engine: an opened console reopens on it; a target gone closes it.
func TestListFollowsNewController(t *testing.T) {
	f := newFakeFleet(engine.ModeManual, fleetRows()...)
	l := newTestList(t, f, fleetOptions(), 120, 24)
	pressList(l, "j", "enter") // prod/billing
	old := f.engines["prod/billing"]
	f.engines["prod/billing"] = newFakeEngine(handSnapshot(7, 7, engine.ModeAuto))
	l.Update(rowsMsg{Rows: fleetRows()})
	if !l.open || l.focusEng == Engine(old) || l.focus.snap.Scale.Desired != 7 {
		t.Fatalf("the opened console did not move to the new engine (open %v)", l.open)
	}
	pressList(l, "a")
	if got := old.Calls(); len(got) != 0 {
		t.Fatalf("the old engine got %q", got)
	}
	delete(f.engines, "prod/billing")
	l.Update(rowsMsg{Rows: fleetRows()})
	if l.open || !strings.Contains(l.messageLine(), "prod/billing is gone or cannot run any more") {
		t.Fatalf("open %v, message %q", l.open, l.messageLine())
	}
}

// recordingFleet is a Fleet with no target that records SetMode.
type recordingFleet struct{ modes []engine.Mode }

func (r *recordingFleet) Subscribe() (<-chan engine.FleetSnapshot, func()) {
	ch := make(chan engine.FleetSnapshot, 1)
	ch <- engine.FleetSnapshot{Seq: 1}
	return ch, func() {}
}
func (r *recordingFleet) Controller(string) *engine.Controller { return nil }
func (r *recordingFleet) SetMode(m engine.Mode, _ string)      { r.modes = append(r.modes, m) }

func TestRunFleetReadOnlyPutsFleetInDryRunAndQuits(t *testing.T) {
	f := &recordingFleet{}
	opts := fleetOptions()
	opts.ReadOnly = true
	opts.In, opts.Out = strings.NewReader("q"), &strings.Builder{}
	if err := RunFleet(context.Background(), f, opts); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.modes, []engine.Mode{engine.ModeDryRun}) {
		t.Fatalf("modes %v, want dry-run", f.modes)
	}
}

func TestRunFleetRefusesWithoutTerminal(t *testing.T) {
	r, w, err := osPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f := &recordingFleet{}
	opts := fleetOptions()
	opts.ReadOnly, opts.In, opts.Out = true, r, w
	if err := RunFleet(context.Background(), f, opts); err != ErrNoTerminal || len(f.modes) != 0 {
		t.Fatalf("got %v and modes %v, want ErrNoTerminal and no change", err, f.modes)
	}
}

func (w *countingWorld) setCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sets
}

// TestRealFleetMissingQueue: on a real engine.Fleet, a target whose queue
// was never on the broker, and one whose queue went away, show "missing"
// as their depth, not 0 nor the depth before, and no reading in their
// recent depths for the polls that failed.
func TestRealFleetMissingQueue(t *testing.T) {
	target := func(name string) engine.Target {
		cfg := engine.DefaultConfig()
		cfg.Namespace, cfg.Deployment, cfg.Queue = "prod", name, name
		w := &countingWorld{scale: engine.Scale{Desired: 2, Current: 2, Ready: 2, Version: "0"}}
		return engine.Target{Namespace: "prod", Deployment: name, Config: cfg, Queues: engine.QueueSet{Names: []string{name}, Combine: engine.CombineSum}, Scaler: w}
	}
	lister := mapLister{"gone": {Messages: 5, Ready: 5, Consumers: 1}}
	f, err := engine.NewFleet(engine.FleetOptions{Targets: fixedTargets{target("gone"), target("never")}, Lister: lister,
		Clock: engine.NewManualClock(t0), Mode: engine.ModeManual})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	f.PollOnce(context.Background(), "test")
	delete(lister, "gone")
	f.PollOnce(context.Background(), "test")
	rows := RowsFrom(f.Snapshot())
	want := map[string][]int64{"prod/gone": {5}, "prod/never": {}}
	for _, r := range rows {
		c := r.cells(listColumns(120))
		if c[colDepth] != "missing" || !strings.Contains(c[colErr], "not found") || !slices.Equal(r.Recent, want[r.Key()]) {
			t.Errorf("%s: depth %q, error %q, recent %v; want missing, not found, %v", r.Key(), c[colDepth], c[colErr], r.Recent, want[r.Key()])
		}
	}
}
