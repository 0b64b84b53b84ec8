package tui

import (
	"context"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/yeeter/yeetscale/engine"
)

// press sends the keys to m and runs every command they return, in order,
// the way the program would (commands here never block).
func press(t *testing.T, m *Model, keys ...string) {
	t.Helper()
	var cmds []tea.Cmd
	for _, k := range keys {
		_, cmd := m.Update(keyMsg(k))
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if cmd == nil {
			continue
		}
		if msg := cmd(); msg != nil {
			m.Update(msg)
		}
	}
	select { // the snapshot the engine published, as the program would read it
	case s := <-m.ch:
		m.Update(snapshotMsg(s))
	default:
	}
}

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case " ":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune(" ")}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// manualController returns a controller in manual mode that has polled once
// a queue of 1,000 messages with 2 replicas.
func manualController(t *testing.T) (*engine.Controller, *countingWorld) {
	t.Helper()
	w := &countingWorld{stats: engine.QueueStats{Messages: 1000, Ready: 990, Unacked: 10, Consumers: 2}, scale: engine.Scale{Desired: 2, Current: 2, Ready: 2, Version: "0"}}
	clock := engine.NewManualClock(t0)
	ctl, err := engine.New(engine.Options{Config: engine.DefaultConfig(), Source: w, Scaler: w, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctl.Poll(context.Background())
	return ctl, w
}

func TestApproveScalesOnceToTheProposal(t *testing.T) {
	for _, k := range []string{"a"} {
		t.Run(k, func(t *testing.T) {
			ctl, w := manualController(t)
			s := ctl.Snapshot()
			if !s.Pending || s.Proposed <= 2 {
				t.Fatalf("want a pending scale-up, got proposed %d pending %v", s.Proposed, s.Pending)
			}
			m := sized(New(context.Background(), ctl, testOptions(engine.NewManualClock(t0))), 100, 30)
			defer m.Close()
			press(t, m, k)
			if w.sets != 1 || w.replicas[0] != s.Proposed {
				t.Fatalf("scaler got %d calls %v, want one call with %d", w.sets, w.replicas, s.Proposed)
			}
			if got := ctl.Snapshot().Scale.Desired; got != s.Proposed {
				t.Fatalf("engine says %d replicas, want %d", got, s.Proposed)
			}
			if !strings.Contains(m.View(), "approved: scaling 2 → 10") {
				t.Fatalf("no confirmation notice:\n%s", m.View())
			}
		})
	}
}

func TestClampAndTargetKeysChangeTheEngine(t *testing.T) {
	ctl, _ := manualController(t)
	m := sized(New(context.Background(), ctl, testOptions(engine.NewManualClock(t0))), 100, 30)
	defer m.Close()
	// Quick presses add up even before the engine's snapshot comes back.
	press(t, m, "]", "]", "}", "}", "}", "{", "+", "+")
	cfg := ctl.Snapshot().Config
	if cfg.MinReplicas != 3 || cfg.MaxReplicas != 12 || cfg.TargetMessages != 100 {
		t.Fatalf("engine has clamp [%d, %d] target %d, want [3, 12] target 100", cfg.MinReplicas, cfg.MaxReplicas, cfg.TargetMessages)
	}
	press(t, m, "[", "-")
	cfg = ctl.Snapshot().Config
	if cfg.MinReplicas != 2 || cfg.TargetMessages != 75 {
		t.Fatalf("engine has min %d target %d, want 2 and 75", cfg.MinReplicas, cfg.TargetMessages)
	}
	// min never goes above max, nor below 0.
	f := newFakeEngine(handSnapshot(3, 3, engine.ModeManual))
	m2 := sized(New(context.Background(), f, testOptions(engine.NewManualClock(t0))), 100, 30)
	m2.cfg.MinReplicas, m2.cfg.MaxReplicas = 0, 1
	press(t, m2, "[", "{", "]", "]")
	if got := f.Calls(); !slices.Equal(got, []string{"clamp +1 +0"}) {
		t.Fatalf("calls %v, want only clamp +1 +0", got)
	}
}

// The keys' commands run on their own goroutines, so the engine may see
// them in any order: each must be a step from the value in force, not a
// value computed from the screen's copy (which, run late, would undo a
// later press).
func TestClampAndTargetStepsAddUpInAnyOrder(t *testing.T) {
	ctl, _ := manualController(t)
	m := sized(New(context.Background(), ctl, testOptions(engine.NewManualClock(t0))), 100, 30)
	defer m.Close()
	before := ctl.Snapshot().Config
	var cmds []tea.Cmd
	for _, k := range []string{"}", "}", "]", "+", "+"} {
		_, cmd := m.Update(keyMsg(k))
		if cmd == nil {
			t.Fatalf("key %q gave no command", k)
		}
		cmds = append(cmds, cmd)
	}
	for i := len(cmds) - 1; i >= 0; i-- { // the last press lands first
		cmds[i]()
	}
	cfg := ctl.Snapshot().Config
	if cfg.MaxReplicas != before.MaxReplicas+2 || cfg.MinReplicas != before.MinReplicas+1 {
		t.Fatalf("clamp [%d, %d] after +1 min and +2 max from [%d, %d]", cfg.MinReplicas, cfg.MaxReplicas, before.MinReplicas, before.MaxReplicas)
	}
	if want := stepTarget(stepTarget(before.TargetMessages, +1), +1); cfg.TargetMessages != want {
		t.Fatalf("target %d after two steps up from %d, want %d", cfg.TargetMessages, before.TargetMessages, want)
	}
}

func TestModeKeys(t *testing.T) {
	tests := []struct {
		keys []string
		mode engine.Mode
		want []string
	}{
		{[]string{"d"}, engine.ModeManual, []string{"toggle dry-run"}},
		{[]string{"p"}, engine.ModeManual, []string{"toggle paused"}},
		{[]string{" "}, engine.ModeAuto, []string{"toggle paused"}},
		{[]string{"r"}, engine.ModeManual, []string{"poll now"}},
		{[]string{"A"}, engine.ModeAuto, []string{"mode manual"}}, // turning auto off needs no question
		{[]string{"A", "y"}, engine.ModeManual, []string{"mode auto"}},
		{[]string{"t", "n"}, engine.ModeManual, nil},
		{[]string{"A", "esc", "a"}, engine.ModeManual, []string{"approve by operator"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.keys, ","), func(t *testing.T) {
			f := newFakeEngine(handSnapshot(3, 4, tt.mode))
			m := sized(New(context.Background(), f, testOptions(engine.NewManualClock(t0))), 100, 30)
			press(t, m, tt.keys...)
			if got := f.Calls(); !slices.Equal(got, tt.want) {
				t.Fatalf("calls %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConfirmations(t *testing.T) {
	tests := []struct {
		name     string
		snap     engine.Snapshot
		key      string
		question string
	}{
		{"large scale-down", handSnapshot(10, 2, engine.ModeManual), "a", "Scale DOWN 10 → 2, removing 8 of 10 replicas?"},
		{"auto on", handSnapshot(10, 12, engine.ModeManual), "A", "Turn auto-apply ON? Every proposal will be applied without asking, starting with 10 → 12."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEngine(tt.snap)
			m := sized(New(context.Background(), f, testOptions(engine.NewManualClock(t0))), 160, 40)
			press(t, m, tt.key)
			if !strings.Contains(m.View(), tt.question) || len(f.Calls()) != 0 {
				t.Fatalf("want the question %q and no call yet (calls %v):\n%s", tt.question, f.Calls(), m.View())
			}
			press(t, m, "x") // other keys are ignored while asking
			press(t, m, "n")
			if strings.Contains(m.View(), tt.question) || len(f.Calls()) != 0 {
				t.Fatalf("n did not cancel: calls %v", f.Calls())
			}
			press(t, m, tt.key, "y")
			if len(f.Calls()) != 1 {
				t.Fatalf("y should run exactly one command, got %v", f.Calls())
			}
		})
	}
	// A small scale-down (half or less) is approved without a question.
	f := newFakeEngine(handSnapshot(10, 5, engine.ModeManual))
	m := sized(New(context.Background(), f, testOptions(engine.NewManualClock(t0))), 100, 30)
	press(t, m, "a")
	if got := f.Calls(); !slices.Equal(got, []string{"approve by operator"}) {
		t.Fatalf("calls %v", got)
	}
}

func TestReadOnlyRefusesEveryAction(t *testing.T) {
	f := newFakeEngine(handSnapshot(10, 2, engine.ModeDryRun))
	opts := testOptions(engine.NewManualClock(t0))
	opts.ReadOnly = true
	m := sized(New(context.Background(), f, opts), 160, 48)
	for _, k := range []string{"a", "enter", "A", "t", "[", "]", "{", "}", "-", "+", "=", "d", "p", " ", "y"} {
		_, cmd := m.Update(keyMsg(k))
		if cmd != nil || m.confirm != nil {
			t.Fatalf("read-only console acted on %q", k)
		}
	}
	if got := f.Calls(); len(got) != 0 {
		t.Fatalf("read-only console called the engine: %v", got)
	}
	short := m.helpView()
	m.Update(keyMsg("?"))
	full := m.helpView()
	for _, word := range []string{"approve", "auto", "min", "max", "target", "dry-run", "pause"} {
		if strings.Contains(short, word) || strings.Contains(full, word) {
			t.Errorf("help offers %q in read-only mode:\n%s\n%s", word, short, full)
		}
	}
	if !strings.Contains(full, "quit") || !strings.Contains(m.View(), "[READ-ONLY]") {
		t.Errorf("want quit in help and the READ-ONLY badge:\n%s", m.View())
	}
	if !strings.Contains(m.View(), "read-only: would scale 10 → 2 replicas") {
		t.Errorf("read-only console should say what would happen:\n%s", m.View())
	}
}

func TestRunReadOnlyPutsEngineInDryRunAndQuits(t *testing.T) {
	f := newFakeEngine(handSnapshot(3, 3, engine.ModeManual))
	opts := testOptions(engine.NewManualClock(t0))
	opts.ReadOnly = true
	opts.In, opts.Out = strings.NewReader("q"), &strings.Builder{}
	if err := Run(context.Background(), f, opts); err != nil {
		t.Fatal(err)
	}
	if got := f.Calls(); !slices.Equal(got, []string{"mode dry-run"}) {
		t.Fatalf("calls %v, want mode dry-run", got)
	}
}

func TestRunRefusesWithoutTerminal(t *testing.T) {
	r, w, err := osPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f := newFakeEngine(handSnapshot(3, 3, engine.ModeManual))
	if err := Run(context.Background(), f, Options{In: r, Out: w}); err != ErrNoTerminal {
		t.Fatalf("got %v, want ErrNoTerminal", err)
	}
	if len(f.Calls()) != 0 {
		t.Fatalf("engine touched: %v", f.Calls())
	}
}

func TestTooSmall(t *testing.T) {
	f := newFakeEngine(handSnapshot(3, 3, engine.ModeManual))
	for _, sz := range [][2]int{{59, 30}, {100, 15}, {20, 5}} {
		m := sized(New(context.Background(), f, testOptions(engine.NewManualClock(t0))), sz[0], sz[1])
		v := m.View()
		if strings.Contains(v, "\n") || !strings.Contains(v, "Terminal too small") && sz[0] > 40 {
			t.Fatalf("%v: want one line, got %q", sz, v)
		}
	}
}

func TestViewFitsTheTerminal(t *testing.T) {
	ctl, clock := simEngine(t, 30, engine.ModeAuto)
	for _, sz := range [][2]int{{60, 16}, {80, 24}, {100, 30}, {120, 40}, {160, 48}, {240, 70}} {
		for _, full := range []bool{false, true} {
			m := sized(New(context.Background(), ctl, testOptions(clock)), sz[0], sz[1])
			if full {
				m.Update(keyMsg("?"))
			}
			lines := strings.Split(m.View(), "\n")
			if len(lines) != sz[1] {
				t.Errorf("%dx%d (full help %v): %d lines", sz[0], sz[1], full, len(lines))
			}
			for i, l := range lines {
				if w := lipglossWidth(l); w > sz[0] {
					t.Errorf("%dx%d: line %d is %d cells: %q", sz[0], sz[1], i, w, l)
				}
			}
			m.Close()
		}
	}
}

// TestEnterDoesNotApprove: a stray Enter at 3 a.m. scales nothing; only the
// approve key (or y in a confirmation) does.
func TestEnterDoesNotApprove(t *testing.T) {
	ctl, w := manualController(t)
	m := sized(New(context.Background(), ctl, testOptions(engine.NewManualClock(t0))), 100, 30)
	defer m.Close()
	press(t, m, "enter")
	if w.sets != 0 {
		t.Fatalf("enter scaled the deployment: %v", w.replicas)
	}
}

// TestSetFormTypesTheClampAndTarget checks the form behind s: the exact
// values typed reach the engine; a bad line says why and applies nothing;
// esc applies nothing.
func TestSetFormTypesTheClampAndTarget(t *testing.T) {
	ctl, _ := manualController(t)
	m := sized(New(context.Background(), ctl, testOptions(engine.NewManualClock(t0))), 100, 30)
	defer m.Close()
	press(t, m, "s")
	if m.form == nil || !strings.Contains(m.View(), "MIN MAX") {
		t.Fatalf("s did not open the form:\n%s", m.View())
	}
	m.form.input.SetValue("2 40 250")
	press(t, m, "enter")
	if cfg := ctl.Snapshot().Config; cfg.MinReplicas != 2 || cfg.MaxReplicas != 40 || cfg.TargetMessages != 250 {
		t.Fatalf("engine has [%d, %d] target %d, want [2, 40] target 250", cfg.MinReplicas, cfg.MaxReplicas, cfg.TargetMessages)
	}

	press(t, m, "s")
	m.form.input.SetValue("40 2")
	press(t, m, "enter")
	if cfg := ctl.Snapshot().Config; cfg.MinReplicas != 2 || cfg.MaxReplicas != 40 {
		t.Errorf("min above max was applied: [%d, %d]", cfg.MinReplicas, cfg.MaxReplicas)
	}
	if !strings.Contains(m.View(), "cannot exceed") {
		t.Errorf("no reason shown for min above max:\n%s", m.View())
	}

	press(t, m, "s")
	m.form.input.SetValue("many")
	press(t, m, "enter")
	if m.form == nil || !strings.Contains(m.View(), "MIN MAX") {
		t.Errorf("a line that is not numbers closed the form")
	}
	press(t, m, "esc")
	if m.form != nil {
		t.Errorf("esc did not close the form")
	}
	if cfg := ctl.Snapshot().Config; cfg.MinReplicas != 2 || cfg.MaxReplicas != 40 || cfg.TargetMessages != 250 {
		t.Errorf("cancelled edits reached the engine: [%d, %d] %d", cfg.MinReplicas, cfg.MaxReplicas, cfg.TargetMessages)
	}
}

func TestParseSet(t *testing.T) {
	tests := []struct {
		in          string
		min, max    int32
		target      int64
		errContains string
	}{
		{"2 40", 2, 40, 0, ""},
		{" 2  40  250 ", 2, 40, 250, ""},
		{"1 10 1,000", 1, 10, 1000, ""},
		{"2", 0, 0, 0, "MIN MAX"},
		{"2 40 250 9", 0, 0, 0, "MIN MAX"},
		{"2 x", 0, 0, 0, `"x" is not a whole number`},
		{"-1 4", 0, 0, 0, `"-1" is not a whole number`},
		{"2 40 0", 0, 0, 0, "at least 1"},
		{"2 9999999999", 0, 0, 0, "typo"},
	}
	for _, tt := range tests {
		minR, maxR, target, err := parseSet(tt.in)
		if tt.errContains != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errContains) {
				t.Errorf("parseSet(%q) err = %v, want one containing %q", tt.in, err, tt.errContains)
			}
			continue
		}
		if err != nil || minR != tt.min || maxR != tt.max || target != tt.target {
			t.Errorf("parseSet(%q) = %d %d %d %v, want %d %d %d", tt.in, minR, maxR, target, err, tt.min, tt.max, tt.target)
		}
	}
}
