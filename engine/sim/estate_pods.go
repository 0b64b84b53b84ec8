package sim

import (
	"cmp"
	"context"
	"slices"

	"github.com/yeeter/yeetscale/engine"
)

// deploymentPods are the pods of a Deployment of one or more queues'
// worlds, as yeetscale's pod choice sees a real Deployment's: each pod
// consumes every queue (every world has it, by the same name), so its
// unacknowledged messages are those of all its queues together, as a real
// pod's consumers of every queue map to it; a scale-down chooses among
// them so, and the pods chosen go from every world, so that the worlds
// keep the same pods.
type deploymentPods []*estateWorld

var (
	_ engine.PodChooser  = deploymentPods(nil)
	_ engine.PodObserver = deploymentPods(nil)
)

// ObservePods implements engine.PodObserver: the Deployment's live pods,
// each with its unacknowledged messages of every queue, in the order a
// scale-down removes them.
func (d deploymentPods) ObservePods(context.Context) ([]engine.PodState, error) {
	return d.states(), nil
}

// PrepareScaleDown implements engine.PodChooser: it chooses the first
// from-to pods of ObservePods' order in every world for the next
// scale-down; the choice is forgotten once the scale was applied or not.
func (d deploymentPods) PrepareScaleDown(_ context.Context, from, to int32) (engine.PodChoice, error) {
	choice := engine.ChoosePods(d.states(), int(from-to))
	d.choose(choice.Remove)
	choice.After = func(bool) { d.choose(nil) }
	return choice, nil
}

// states returns the live pods of every world advanced to the clock, by
// name, their unacknowledged messages summed and mapped when any world's
// are, in the order a scale-down removes them (the newest first among
// equals, as a single world orders them).
func (d deploymentPods) states() []engine.PodState {
	type entry struct {
		st  engine.PodState
		seq int
	}
	byName := map[string]*entry{}
	for _, w := range d {
		w.feed()
		w.advance()
		w.w.mu.Lock()
		states, pods := w.w.podStatesLocked()
		w.w.mu.Unlock()
		for i, st := range states {
			e, ok := byName[st.Name]
			if !ok {
				e = &entry{st: engine.PodState{Name: st.Name}, seq: pods[i].seq}
				byName[st.Name] = e
			}
			e.st.Mapped = e.st.Mapped || st.Mapped
			e.st.Unacked += st.Unacked
		}
	}
	es := make([]*entry, 0, len(byName))
	for _, e := range byName {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b *entry) int { return cmp.Compare(b.seq, a.seq) })
	engine.SortForRemoval(es, func(e *entry) engine.PodState { return e.st })
	out := make([]engine.PodState, len(es))
	for i, e := range es {
		out[i] = e.st
	}
	return out
}

// choose marks the live pods named in every world as chosen for the next
// scale-down, and no other.
func (d deploymentPods) choose(names []string) {
	chosen := make(map[string]bool, len(names))
	for _, n := range names {
		chosen[n] = true
	}
	for _, w := range d {
		w.w.mu.Lock()
		for _, p := range w.w.pods {
			p.chosen = p.alive() && chosen[w.w.podName(p)]
		}
		w.w.mu.Unlock()
	}
}
