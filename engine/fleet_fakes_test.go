package engine_test

import (
	"context"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

// fakeLister is an in-memory engine.QueueLister that counts its calls.
type fakeLister struct {
	mu     sync.Mutex
	vhosts map[string]map[string]engine.QueueStats
	errs   map[string]error // a vhost's failure
	calls  map[string]int
	// inFlight and maxInFlight count the calls running at once.
	inFlight, maxInFlight int
	// block, when set, makes every call wait for it to close (or its
	// context to end).
	block chan struct{}
}

func newFakeLister() *fakeLister {
	return &fakeLister{vhosts: map[string]map[string]engine.QueueStats{}, errs: map[string]error{}, calls: map[string]int{}}
}

func (l *fakeLister) ListQueues(ctx context.Context, vhost string) (map[string]engine.QueueStats, error) {
	l.mu.Lock()
	l.calls[vhost]++
	l.inFlight++
	l.maxInFlight = max(l.maxInFlight, l.inFlight)
	block := l.block
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.inFlight--
		l.mu.Unlock()
	}()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.errs[vhost]; err != nil {
		return nil, err
	}
	out := make(map[string]engine.QueueStats, len(l.vhosts[vhost]))
	for k, v := range l.vhosts[vhost] {
		out[k] = v
	}
	return out, nil
}

// set puts a queue of messages (all ready) on a vhost.
func (l *fakeLister) set(vhost, queue string, messages int64) {
	l.setStats(vhost, queue, engine.QueueStats{Messages: messages, Ready: messages, Consumers: 1})
}

func (l *fakeLister) setStats(vhost, queue string, s engine.QueueStats) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.vhosts[vhost] == nil {
		l.vhosts[vhost] = map[string]engine.QueueStats{}
	}
	l.vhosts[vhost][queue] = s
}

func (l *fakeLister) remove(vhost, queue string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.vhosts[vhost], queue)
}

func (l *fakeLister) fail(vhost string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs[vhost] = err
}

// counts returns the calls per vhost so far, and resets them.
func (l *fakeLister) counts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls
	l.calls = map[string]int{}
	return c
}

// fakeTargets is a settable engine.TargetSource.
type fakeTargets struct {
	mu      sync.Mutex
	targets []engine.Target
	changed chan struct{}
}

func newFakeTargets(ts ...engine.Target) *fakeTargets {
	return &fakeTargets{targets: slices.Clone(ts), changed: make(chan struct{}, 1)}
}

func (s *fakeTargets) Targets() []engine.Target {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]engine.Target(nil), s.targets...)
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

func (s *fakeTargets) Changed() <-chan struct{} { return s.changed }

// put adds or replaces targets (by key) and signals.
func (s *fakeTargets) put(ts ...engine.Target) {
	s.mu.Lock()
	for _, t := range ts {
		s.deleteLocked(t.Key())
		s.targets = append(s.targets, t)
	}
	s.mu.Unlock()
	s.signal()
}

func (s *fakeTargets) remove(key string) {
	s.mu.Lock()
	s.deleteLocked(key)
	s.mu.Unlock()
	s.signal()
}

func (s *fakeTargets) deleteLocked(key string) {
	for i, t := range s.targets {
		if t.Key() == key {
			s.targets = append(s.targets[:i], s.targets[i+1:]...)
			return
		}
	}
}

func (s *fakeTargets) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// fleetTarget returns a target of ns/name on vhost "/" driven by queues (a
// list; a pattern when it starts with "~"), 100 messages per replica in
// [1, 40], with a fake scaler at 2 replicas.
func fleetTarget(ns, name string, queues ...string) engine.Target {
	cfg := engine.DefaultConfig()
	cfg.Namespace, cfg.Deployment, cfg.VHost = ns, name, "/"
	cfg.MinReplicas, cfg.MaxReplicas, cfg.TargetMessages, cfg.Policy = 1, 40, 100, "seed"
	qs := engine.QueueSet{Names: queues, Combine: engine.CombineSum}
	if len(queues) == 1 && queues[0][0] == '~' {
		qs = engine.QueueSet{Pattern: queues[0][1:], Combine: engine.CombineSum}
	}
	cfg.Queue = qs.String()
	return engine.Target{Namespace: ns, Deployment: name, Config: cfg, Queues: qs, Scaler: newFakeScaler(2)}
}

func newTestFleet(t testing.TB, src engine.TargetSource, l engine.QueueLister, clock engine.Clock, mode engine.Mode) *engine.Fleet {
	t.Helper()
	f, err := engine.NewFleet(engine.FleetOptions{Targets: src, Lister: l, Clock: clock, Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// byKey returns the target snapshot of key (failing the test without it).
func byKey(t testing.TB, s engine.FleetSnapshot, key string) engine.TargetSnapshot {
	t.Helper()
	for _, ts := range s.Targets {
		if ts.Key() == key {
			return ts
		}
	}
	t.Fatalf("no target %s in snapshot %d", key, s.Seq)
	return engine.TargetSnapshot{}
}

func scalerOf(tg engine.Target) *fakeScaler { return tg.Scaler.(*fakeScaler) }
