package sim

import (
	"context"
	"fmt"

	"github.com/yeeter/yeetscale/engine"
)

// The simulated Deployment's pods as a pod chooser sees them: every pod has
// a name and is busy while one of its worker slots holds a message. Live
// implements engine.PodChooser and engine.PodObserver on them, so that the
// demo's console shows its pods and a scale-down removes idle pods first,
// as yeetscale's pod choice does on a real cluster. sim.Run attaches no
// chooser: the simulator's scale-downs remove the newest pods, as before.

var (
	_ engine.PodChooser  = (*Live)(nil)
	_ engine.PodObserver = (*Live)(nil)
)

// podNameChars are the characters of a generated pod name's suffix (those
// Kubernetes uses, no vowels).
const podNameChars = "bcdfghjklmnpqrstvwxz2456789"

// SetPodPrefix names the pods "<prefix>-<template hash>-<suffix>", as a
// Deployment named prefix names them ("pod" until set).
func (l *Live) SetPodPrefix(prefix string) {
	l.w.mu.Lock()
	defer l.w.mu.Unlock()
	l.w.podPrefix = prefix
}

// ObservePods implements engine.PodObserver: the live pods in the order a
// scale-down removes them.
func (l *Live) ObservePods(context.Context) ([]engine.PodState, error) {
	l.advance()
	l.w.mu.Lock()
	defer l.w.mu.Unlock()
	states, _ := l.w.podStatesLocked()
	return states, nil
}

// PrepareScaleDown implements engine.PodChooser: it chooses the first
// from-to pods of ObservePods' order for the next scale-down (idle ones
// first); the choice is forgotten once the scale was applied or not.
func (l *Live) PrepareScaleDown(_ context.Context, from, to int32) (engine.PodChoice, error) {
	l.advance()
	w := l.w
	w.mu.Lock()
	defer w.mu.Unlock()
	states, pods := w.podStatesLocked()
	choice := engine.ChoosePods(states, int(from-to))
	for _, p := range pods[:len(choice.Remove)] {
		p.chosen = true
	}
	choice.After = func(bool) {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, p := range pods {
			p.chosen = false
		}
	}
	return choice, nil
}

// podStatesLocked returns the live pods' states, and the pods, in the
// order a scale-down removes them on a cluster (engine.SortForRemoval);
// the newest first among equals. A pod still starting has no consumer yet.
func (w *World) podStatesLocked() ([]engine.PodState, []*pod) {
	type entry struct {
		st engine.PodState
		p  *pod
	}
	now := float64(w.t)
	var es []entry
	for i := len(w.pods) - 1; i >= 0; i-- {
		p := w.pods[i]
		if !p.alive() {
			continue
		}
		st := engine.PodState{Name: w.podName(p), Mapped: p.runningAt <= now}
		for _, free := range p.slots {
			if st.Mapped && free > now {
				st.Unacked++
			}
		}
		es = append(es, entry{st, p})
	}
	engine.SortForRemoval(es, func(e entry) engine.PodState { return e.st })
	states, pods := make([]engine.PodState, len(es)), make([]*pod, len(es))
	for i, e := range es {
		states[i], pods[i] = e.st, e.p
	}
	return states, pods
}

// removalOrder returns the live pods in the order a scale-down removes
// them: the chosen ones, then the newest.
func (w *World) removalOrder() []*pod {
	var chosen, rest []*pod
	for i := len(w.pods) - 1; i >= 0; i-- {
		switch p := w.pods[i]; {
		case !p.alive():
		case p.chosen:
			chosen = append(chosen, p)
		default:
			rest = append(rest, p)
		}
	}
	return append(chosen, rest...)
}

// podName is p's name: the prefix, a fixed template hash and a suffix
// derived from the pod's creation order.
func (w *World) podName(p *pod) string {
	prefix := w.podPrefix
	if prefix == "" {
		prefix = "pod"
	}
	// 5,000,011 is prime to 27^5 (not a multiple of 3), so the first 27^5
	// pods get distinct names, spread over every character.
	const n = uint64(len(podNameChars))
	x := (uint64(p.seq)*5000011 + 12345) % (n * n * n * n * n)
	suffix := make([]byte, 5)
	for i := range suffix {
		suffix[i] = podNameChars[x%n]
		x /= n
	}
	return fmt.Sprintf("%s-7d4b9c8f6-%s", prefix, suffix)
}
