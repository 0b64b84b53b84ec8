package tui

import (
	"context"
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/yeeter/yeetscale/engine"
)

// fakeFleet feeds the list rows and hands out one fakeEngine per target
// that can run.
type fakeFleet struct {
	ch      chan FleetRows
	engines map[string]*fakeEngine
	polls   chan struct{}
}

// newFakeFleet is a fleet of rows, each with an engine unless its status is
// "error" and it has no replicas (a target that cannot run).
func newFakeFleet(mode engine.Mode, rows ...TargetRow) *fakeFleet {
	f := &fakeFleet{ch: make(chan FleetRows, 1), engines: map[string]*fakeEngine{}, polls: make(chan struct{}, 10)}
	for _, r := range rows {
		if r.Status == "error" && r.Current < 0 {
			continue
		}
		s := handSnapshot(max(r.Current, 0), r.Proposed, engine.ModeManual)
		f.engines[r.Key()] = newFakeEngine(s)
	}
	f.ch <- FleetRows{Mode: mode, Rows: rows}
	return f
}

func (f *fakeFleet) source() listSource {
	return listSource{
		recv: func(done <-chan struct{}, block bool) (FleetRows, bool) {
			if !block {
				select {
				case r := <-f.ch:
					return r, true
				default:
					return FleetRows{}, false
				}
			}
			select {
			case r := <-f.ch:
				return r, true
			case <-done:
				return FleetRows{}, false
			}
		},
		engine: func(key string) Engine {
			if e, ok := f.engines[key]; ok {
				return e
			}
			return nil
		},
		pollNow: func() { f.polls <- struct{}{} },
	}
}

// fleetRows are five targets in every state the list colours.
func fleetRows() []TargetRow {
	return []TargetRow{
		{Namespace: "prod", Deployment: "orders-worker", VHost: "/", Queues: "orders", Recent: []int64{10, 40, 80, 120, 200, 340, 620, 1250}, Current: 2, Proposed: 9, Mode: "manual", Status: "holding"},
		{Namespace: "prod", Deployment: "billing", VHost: "/", Queues: "invoices+refunds", PerQueue: "invoices 3 · refunds 2", Recent: []int64{5, 5, 5}, Current: 1, Proposed: 1, Mode: "auto", Status: "ok"},
		{Namespace: "staging", Deployment: "emails", VHost: "/", Queues: "emails", Current: -1, Proposed: -1, Status: "error", Err: `queue "emails" not found on vhost "/"`},
		{Namespace: "media", Deployment: "thumbnails", VHost: "media", Queues: `max(/thumbs\..*/)`, Recent: []int64{900, 600, 300, 20}, Current: 6, Proposed: 2, Mode: "manual", Status: "holding"},
		{Namespace: "prod", Deployment: "reports", VHost: "/", Queues: "reports", Recent: []int64{0, 0, 0, 0}, Current: 1, Proposed: 1, Mode: "paused", Status: "paused"},
	}
}

// sleepingRows are targets with --min-replicas 0: asleep, waking, going to
// sleep, and one merely at 0 (its minimum is 1).
func sleepingRows() []TargetRow {
	return []TargetRow{
		{Namespace: "prod", Deployment: "nightly", VHost: "/", Queues: "nightly", Recent: []int64{0, 0, 0}, Current: 0, Proposed: 0, MinZero: true, Mode: "auto", Status: "ok"},
		{Namespace: "prod", Deployment: "exports", VHost: "/", Queues: "exports", Recent: []int64{0, 0, 4250}, Current: 0, Proposed: 17, MinZero: true, Mode: "manual", Status: "holding"},
		{Namespace: "prod", Deployment: "digests", VHost: "/", Queues: "digests", Recent: []int64{0, 0, 0}, Current: 1, Proposed: 0, MinZero: true, Mode: "manual", Status: "holding"},
		{Namespace: "prod", Deployment: "stopped", VHost: "/", Queues: "stopped", Recent: []int64{3}, Current: 0, Proposed: 1, Mode: "manual", Status: "holding"},
	}
}

// edgeRows are targets at the list's edges: a queue missing on the broker
// (never read, and gone since), an invalid annotation, and names too long
// for their column.
func edgeRows() []TargetRow {
	return []TargetRow{
		{Namespace: "prod", Deployment: "never", VHost: "/", Queues: "nope", Current: 2, Proposed: 2, Mode: "manual", Status: "error",
			Err: `queue "nope" not found on vhost "/"`, NoDepth: true, Missing: true},
		{Namespace: "prod", Deployment: "gone", VHost: "/", Queues: "gone", Recent: []int64{40, 5, 5}, Current: 2, Proposed: 2, Mode: "manual", Status: "error",
			Err: `queue "gone" not found on vhost "/"`, NoDepth: true, Missing: true},
		{Namespace: "prod", Deployment: "bad", Current: -1, Proposed: -1, Status: "error",
			Err: `annotation yeetscale.yeeter.io/min-replicas: "x" is not a whole number`},
		{Namespace: "team-payments-eu-west-production", Deployment: "settlement-reconciliation-worker", VHost: "/", Queues: "settlements",
			Recent: []int64{3, 9}, Current: 1, Proposed: 2, Mode: "auto", Status: "ok"},
		{Namespace: "ns", Deployment: "a-deployment-whose-name-is-far-too-long-for-any-column-v2", VHost: "/", Queues: "q",
			Recent: []int64{1}, Current: 1, Proposed: 1, Mode: "auto", Status: "ok"},
	}
}

// manyRows are n targets with varied depths.
func manyRows(n int) []TargetRow {
	rows := make([]TargetRow, n)
	for i := range rows {
		recent := make([]int64, engine.DefaultHistorySize/10)
		for j := range recent {
			recent[j] = int64((i*37 + j*j*11) % 5000)
		}
		rows[i] = TargetRow{
			Namespace: fmt.Sprintf("team-%02d", i%17), Deployment: fmt.Sprintf("worker-%04d", i), VHost: "/",
			Queues: fmt.Sprintf("jobs.%04d", i), Recent: recent, Current: int32(i % 7), Proposed: int32(i % 5),
			Mode: "auto", Status: []string{"ok", "holding", "ok", "stale", "ok", "guard"}[i%6],
		}
	}
	return rows
}

// fleetOptions are deterministic fleet console options.
func fleetOptions() FleetOptions {
	o := testOptions(engine.NewManualClock(t0))
	o.Namespace, o.Deployment, o.VHost, o.Queue, o.Hint = "prod", "", "", "", ""
	o.Context = "kind-prod"
	return FleetOptions{Options: o}
}

// newTestList is a list on f, sized w x h, closed with the test.
func newTestList(t testing.TB, f *fakeFleet, opts FleetOptions, w, h int) *List {
	l := newList(context.Background(), f.source(), opts)
	if tb, ok := t.(*testing.T); ok {
		tb.Cleanup(l.Close)
	}
	l.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return l
}

// pressList sends keys to l and runs the commands they return, feeding their
// messages back, as a program would. A command still blocked after a short
// while (a reader waiting for the next snapshot) is left behind.
func pressList(l *List, keys ...string) {
	for _, k := range keys {
		_, cmd := l.Update(keyMsg(k))
		runCmds(l, cmd)
	}
}

func runCmds(l *List, cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		ch := make(chan tea.Msg, 1)
		go func() { ch <- c() }()
		select {
		case msg := <-ch:
			switch msg := msg.(type) {
			case nil, tea.QuitMsg:
			case tea.BatchMsg:
				queue = append(queue, msg...)
			default:
				_, next := l.Update(msg)
				queue = append(queue, next)
			}
		case <-time.After(50 * time.Millisecond):
		}
	}
}
