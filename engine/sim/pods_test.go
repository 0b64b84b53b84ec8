package sim

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// podsWorld is a Live world of 3 pods at second 1, where the two oldest
// hold a 10 s message each and the newest is idle, scaled to 5 (two pods
// starting).
func podsWorld(t *testing.T) (*Live, func(seq int) string) {
	t.Helper()
	sc := Scenario{DurationS: 3600, ServiceTimeS: 10, ServiceJitter: "fixed", WorkerConcurrency: 1, PodStartupS: 20, StatsIntervalS: 5,
		Arrivals: []Arrival{{AtS: intp(0), Count: 2}}}
	clock := engine.NewManualClock(Epoch)
	l := NewLive(sc, 3, clock)
	l.SetPodPrefix("w")
	clock.Set(Epoch.Add(time.Second))
	scaleTo(t, l, 5)
	return l, func(seq int) string { return l.w.podName(&pod{seq: seq}) }
}

func scaleTo(t *testing.T, l *Live, n int32) {
	t.Helper()
	ctx := context.Background()
	s, err := l.GetScale(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetScale(ctx, engine.ScaleRequest{From: s, Replicas: n}); err != nil {
		t.Fatal(err)
	}
}

func observedNames(t *testing.T, l *Live) []string {
	t.Helper()
	states, err := l.ObservePods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, st := range states {
		names = append(names, st.Name)
	}
	return names
}

func TestLiveObservesPodsInRemovalOrder(t *testing.T) {
	l, name := podsWorld(t)
	states, err := l.ObservePods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []engine.PodState{
		{Name: name(3), Mapped: true},    // idle: goes first
		{Name: name(5)}, {Name: name(4)}, // starting: no consumer yet
		{Name: name(2), Mapped: true, Unacked: 1}, // busy, newest first
		{Name: name(1), Mapped: true, Unacked: 1},
	}
	if !slices.Equal(states, want) {
		t.Fatalf("pods:\n got %+v\nwant %+v", states, want)
	}
	if got := name(1); got != "w-7d4b9c8f6-"+got[len(got)-5:] || name(1) == name(2) {
		t.Fatalf("pod names %q, %q: want distinct w-7d4b9c8f6-xxxxx", name(1), name(2))
	}
}

func TestLiveScaleDownRemovesChosenPods(t *testing.T) {
	ctx := context.Background()
	l, name := podsWorld(t)
	choice, err := l.PrepareScaleDown(ctx, 5, 4)
	if err != nil {
		t.Fatal(err)
	}
	if choice.Idle != 1 || choice.Busy != 2 || !slices.Equal(choice.Remove, []string{name(3)}) {
		t.Fatalf("choice: %+v, want 1 idle, 2 busy, removing %s", choice, name(3))
	}
	scaleTo(t, l, 4)
	choice.After(true)
	if got, want := observedNames(t, l), []string{name(5), name(4), name(2), name(1)}; !slices.Equal(got, want) {
		t.Fatalf("after the chosen scale-down: %v, want %v (the idle pod removed)", got, want)
	}
	// Without a choice (and after After forgot the last one) the newest
	// pod goes, as in sim.Run.
	scaleTo(t, l, 3)
	if got, want := observedNames(t, l), []string{name(4), name(2), name(1)}; !slices.Equal(got, want) {
		t.Fatalf("after a scale-down without choice: %v, want %v (the newest removed)", got, want)
	}
}
