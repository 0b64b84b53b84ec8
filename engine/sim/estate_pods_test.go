package sim

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// twoQueueTarget is an estate of one Deployment, ns/two, of replicas pods
// consuming queues "a" and "b" (in that order), each filled by its bursts
// and served in exactly 10 s a message, on a manual clock at Epoch. (A
// message at 3000 s keeps a queue without bursts a valid scenario.)
func twoQueueTarget(t *testing.T, replicas int, a, b []Arrival) (*Estate, *engine.ManualClock, engine.Target) {
	t.Helper()
	queue := func(name string, arrivals []Arrival) EstateQueue {
		sc := loopScenario(name, 3600, append(arrivals, Arrival{AtS: intPtr(3000), Count: 1}), Settings{})
		sc.ServiceTimeS = 10
		return EstateQueue{Name: name, Scenario: sc}
	}
	clock := engine.NewManualClock(Epoch)
	e, err := NewEstate([]EstateDeployment{estateDeployment("ns", "two", replicas, map[string]string{engine.AnnotationQueueCombine: "max"},
		queue("a", a), queue("b", b))}, engine.DefaultConfig(), clock)
	if err != nil {
		t.Fatal(err)
	}
	return e, clock, e.Targets()[0]
}

// bursts are one burst of count messages at each second of at.
func bursts(count int, at ...int) []Arrival {
	var out []Arrival
	for _, s := range at {
		out = append(out, Arrival{AtS: intPtr(s), Count: count})
	}
	return out
}

// podName is the name of the seq'th pod of Deployment two.
func podName(seq int) string { return (&World{podPrefix: "two"}).podName(&pod{seq: seq}) }

// alivePods names a world's live pods, oldest first.
func alivePods(w *estateWorld) []string {
	w.w.mu.Lock()
	defer w.w.mu.Unlock()
	var out []string
	for _, p := range w.w.pods {
		if p.alive() {
			out = append(out, w.w.podName(p))
		}
	}
	return out
}

// TestEstatePodsShowEveryQueue: the pods of a Deployment of two queues
// consume both, as a real worker does, so the pod view shows each pod's
// unacknowledged messages of both queues together (a real pod's consumers
// of both queues map to it), in the order a scale-down removes them,
// whichever queue the work is on.
func TestEstatePodsShowEveryQueue(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []Arrival
		// want is the pods (by creation) with their unacknowledged
		// messages, in the order a scale-down removes them.
		want [][2]int
	}{
		{name: "the first queue's work", a: bursts(1, 0), want: [][2]int{{4, 0}, {3, 0}, {2, 0}, {1, 1}}},
		{name: "the second queue's work", b: bursts(3, 0), want: [][2]int{{4, 0}, {3, 1}, {2, 1}, {1, 1}}},
		{name: "both queues' work", a: bursts(1, 0), b: bursts(3, 0), want: [][2]int{{4, 0}, {3, 1}, {2, 1}, {1, 2}}},
		{name: "no work", want: [][2]int{{4, 0}, {3, 0}, {2, 0}, {1, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, clock, tg := twoQueueTarget(t, 4, tc.a, tc.b)
			clock.Advance(2 * time.Second)
			obs, ok := tg.Pods.(engine.PodObserver)
			if !ok {
				t.Fatalf("the target's pods %T do not observe", tg.Pods)
			}
			got, err := obs.ObservePods(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var want []engine.PodState
			for _, w := range tc.want {
				want = append(want, engine.PodState{Name: podName(w[0]), Mapped: true, Unacked: w[1]})
			}
			if !slices.Equal(got, want) {
				t.Errorf("pods\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// TestEstateScaleDownRemovesTheSamePodsFromEveryQueue: a scale-down of a
// Deployment of two queues removes the pods that are idle on both, and
// removes them from both queues' worlds, whichever queue keeps the others
// busy: its pods stay the same pods on every queue, as a real pod is one
// pod whatever it consumes.
func TestEstateScaleDownRemovesTheSamePodsFromEveryQueue(t *testing.T) {
	// Pods 1 and 2 take the burst at 0 and are idle from 10 s; pod 3 takes
	// the one at 5 and is busy until 15 s. At 12 s, 3 -> 2 removes pod 2
	// (idle, the newer of the two idle ones).
	work := bursts(2, 0)
	work = append(work, bursts(1, 5)...)
	for _, tc := range []struct {
		name string
		a, b []Arrival
	}{
		{name: "work on the first queue", a: work},
		{name: "work on the second queue", b: work},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, clock, tg := twoQueueTarget(t, 3, tc.a, tc.b)
			ctx := context.Background()
			clock.Advance(12 * time.Second)
			choice, err := tg.Pods.PrepareScaleDown(ctx, 3, 2)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(choice.Remove, []string{podName(2)}) || choice.Idle != 2 || choice.Busy != 1 {
				t.Errorf("choice %+v, want %s removed of 2 idle and 1 busy", choice, podName(2))
			}
			s, err := tg.Scaler.GetScale(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := tg.Scaler.SetScale(ctx, engine.ScaleRequest{From: s, Replicas: 2}); err != nil {
				t.Fatal(err)
			}
			if choice.After != nil {
				choice.After(true)
			}
			want := []string{podName(1), podName(3)}
			for _, q := range []string{"a", "b"} {
				if got := alivePods(e.queues[q]); !slices.Equal(got, want) {
					t.Errorf("queue %s's world has pods %q after 3 -> 2, want %q", q, got, want)
				}
			}
		})
	}
}

// TestEstatePodsOfOneQueueAreItsWorlds: for a Deployment of one queue, the
// pods the fleet sees are exactly those its world shows (the single demo's
// view), after a while of the demo estate's traffic.
func TestEstatePodsOfOneQueueAreItsWorlds(t *testing.T) {
	e, clock := demoEstate(t)
	ctx := context.Background()
	clock.Advance(95 * time.Second)
	checked := 0
	for _, tg := range e.Targets() {
		if tg.Err != nil || len(tg.Queues.Names) != 1 {
			continue
		}
		got, err := tg.Pods.(engine.PodObserver).ObservePods(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := e.queues[tg.Queues.Names[0]].Live.ObservePods(ctx)
		if !slices.Equal(got, want) {
			t.Errorf("%s: pods\n%+v\nwant its world's\n%+v", tg.Key(), got, want)
		}
		checked++
	}
	if checked != 6 {
		t.Errorf("checked %d targets of one queue, want 6", checked)
	}
}
