package tui

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/yeeter/yeetscale/engine"
)

// podsSnapshot is a snapshot at desired replicas whose pod view has the
// given pods (nil: not observed yet) and proposed scale-down (-1: none).
func podsSnapshot(desired, proposed int32, pods []engine.PodState, down int32, err string) engine.Snapshot {
	s := handSnapshot(desired, proposed, engine.ModeManual)
	if pods != nil || err != "" {
		s.Pods = &engine.PodView{At: t0, Pods: pods, Down: down, Err: err}
	}
	return s
}

// tenPods is a worker Deployment's ten pods in the order they would go:
// five idle (one with a hostile name), one not mapped, four busy.
func tenPods() []engine.PodState {
	var pods []engine.PodState
	for i := range 10 {
		p := engine.PodState{Name: fmt.Sprintf("yeeter-worker-7d9f-%c%c", 'a'+i, 'k'+i), Mapped: i != 5}
		if i > 5 {
			p.Unacked = i * 3
		}
		pods = append(pods, p)
	}
	pods[2].Name = "evil\x1b[31m-pod"
	return pods
}

// TestPodsGolden: the pods panel (o) in place of the events: idle or busy
// per pod, the pods the next scale-down removes marked, a scale-down held
// by --scale-in-wait-idle, many pods on a small terminal, mapping that
// failed (said in one line) and pods not observed yet.
func TestPodsGolden(t *testing.T) {
	var many []engine.PodState
	for i := range 60 {
		many = append(many, engine.PodState{Name: fmt.Sprintf("w-%02d", i), Mapped: true, Unacked: i % 3})
	}
	held := podsSnapshot(10, 10, tenPods(), 4, "")
	held.Decision.Reason = "holding scale-down 10 → 4: 5 of 6 pods idle, up to 1m20s more (120 messages / 50 per replica = 3)"
	tests := []struct {
		name string
		snap engine.Snapshot
		w, h int
	}{
		{"pods_scale_down", podsSnapshot(10, 5, tenPods(), 5, ""), 100, 30},
		{"pods_held", held, 100, 30},
		{"pods_steady", podsSnapshot(10, 10, tenPods(), -1, ""), 100, 30},
		{"pods_many", podsSnapshot(60, 60, many, -1, ""), 80, 24},
		{"pods_not_mapped", podsSnapshot(10, 5, nil, -1, "consumers not mapped to pods: none of 3 consumers has a connection named after one of the 10 pods of deployment yeeter/yeeter-worker or comes from a pod's IP (set connection_name to the pod's name)"), 100, 30},
		{"pods_not_observed_yet", podsSnapshot(10, 5, nil, -1, ""), 100, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sized(New(t.Context(), newFakeEngine(tt.snap), testOptions(engine.NewManualClock(t0))), tt.w, tt.h)
			defer m.Close()
			m.Update(keyMsg("o"))
			v := m.View()
			if strings.Contains(v, "\x1b[31m") {
				t.Error("a pod's name reached the terminal unescaped")
			}
			golden.RequireEqual(t, []byte(v))
		})
	}
}

// watchingEngine is a fake engine that observes pods on request.
type watchingEngine struct{ *fakeEngine }

func (w watchingEngine) WatchPods(on bool) { w.record("watch pods %v", on) }

// TestPodsToggle: o shows the pods and asks the engine to observe them
// (polling at once), o again hides them and stops the observing; closing
// the console stops it too.
func TestPodsToggle(t *testing.T) {
	eng := watchingEngine{newFakeEngine(podsSnapshot(10, 5, tenPods(), 5, ""))}
	m := sized(New(t.Context(), eng, testOptions(engine.NewManualClock(t0))), 100, 30)
	for range 3 {
		if _, cmd := m.Update(keyMsg("o")); cmd != nil {
			cmd()
		}
	}
	if !strings.Contains(m.View(), "PODS") || strings.Contains(m.View(), "EVENTS") {
		t.Errorf("after o three times the pods do not show instead of the events:\n%s", m.View())
	}
	m.Close()
	want := []string{"watch pods true", "poll now", "watch pods false", "watch pods true", "poll now", "watch pods false"}
	if got := eng.Calls(); !slices.Equal(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}
}
