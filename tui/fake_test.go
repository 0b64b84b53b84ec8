package tui

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// fakeEngine is an Engine that records every command and publishes the
// snapshot it is given.
type fakeEngine struct {
	mu    sync.Mutex
	snap  engine.Snapshot
	ch    chan engine.Snapshot
	calls []string
}

func newFakeEngine(s engine.Snapshot) *fakeEngine {
	f := &fakeEngine{snap: s, ch: make(chan engine.Snapshot, 1)}
	f.ch <- s
	return f
}

func (f *fakeEngine) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeEngine) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeEngine) Subscribe() (<-chan engine.Snapshot, func()) { return f.ch, func() {} }
func (f *fakeEngine) ApproveProposal(_ context.Context, by string, from, to int32) error {
	f.record("approve by %s", by)
	return nil
}
func (f *fakeEngine) Toggle(m engine.Mode, by string) engine.Mode {
	f.record("toggle %s", m)
	return m
}
func (f *fakeEngine) SetMode(m engine.Mode, by string) { f.record("mode %s", m) }
func (f *fakeEngine) SetClamp(minR, maxR int32, by string) error {
	f.record("clamp %d %d", minR, maxR)
	return nil
}
func (f *fakeEngine) SetTarget(n int64, by string) error {
	f.record("target %d", n)
	return nil
}
func (f *fakeEngine) AdjustClamp(dMin, dMax int32, by string) error {
	f.record("clamp %+d %+d", dMin, dMax)
	return nil
}
func (f *fakeEngine) AdjustTarget(step func(int64) int64, by string) error {
	f.record("target step from 100 to %d", step(100))
	return nil
}
func (f *fakeEngine) PollNow() { f.record("poll now") }

// countingWorld is a fixed queue and a deployment that counts scale calls.
type countingWorld struct {
	mu       sync.Mutex
	stats    engine.QueueStats
	scale    engine.Scale
	sets     int
	replicas []int32
}

func (w *countingWorld) Stats(context.Context) (engine.QueueStats, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats, nil
}

func (w *countingWorld) GetScale(context.Context) (engine.Scale, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.scale, nil
}

func (w *countingWorld) SetScale(_ context.Context, req engine.ScaleRequest) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sets++
	w.replicas = append(w.replicas, req.Replicas)
	w.scale.Desired, w.scale.Current = req.Replicas, req.Replicas
	w.scale.Version = fmt.Sprint(w.sets)
	return nil
}

// handSnapshot is a snapshot built by hand: desired replicas, proposal, mode.
func handSnapshot(desired, proposed int32, mode engine.Mode) engine.Snapshot {
	cfg := engine.DefaultConfig()
	at := t0
	s := engine.Snapshot{
		Seq: 3, At: at, Config: cfg, Mode: mode, Polls: 3, LastPoll: at, LastGoodPoll: at, ScaleRead: at, NextPoll: at.Add(cfg.PollInterval),
		Stats:    engine.QueueStats{Messages: 120, Ready: 100, Unacked: 20, Consumers: int(desired), PublishRate: engineRate(2, true)},
		Scale:    engine.Scale{Desired: desired, Current: desired, Ready: desired},
		Decision: engine.Decision{Desired: proposed, Recommendation: proposed, Reason: fmt.Sprintf("120 messages / 50 per replica = 3; scaling to %d", proposed)},
		Proposed: proposed, Pending: proposed != desired && mode != engine.ModePaused,
	}
	for i := 0; i < 3; i++ {
		s.History = append(s.History, engine.Observation{At: at.Add(-cfg.PollInterval * time.Duration(2-i)), OK: true, Stats: s.Stats, Scale: s.Scale, Decision: s.Decision, Applied: desired})
	}
	return s
}
