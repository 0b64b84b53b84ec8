package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// memStore is an in-memory engine.MemoryStore.
type memStore struct {
	mu    sync.Mutex
	text  string
	saves int
	err   error
}

func (m *memStore) LoadMemory(context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.text, m.err
}

func (m *memStore) SaveMemory(_ context.Context, text string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.text = text
	m.saves++
	return nil
}

// drainConfig is the lab's setup of issue #13 part 4: min 2, max 40,
// target 250, the default (adaptive) policy.
func drainConfig() engine.Config {
	cfg := engine.DefaultConfig()
	cfg.MinReplicas, cfg.MaxReplicas, cfg.TargetMessages = 2, 40, 250
	return cfg
}

// drainStats is minute i of a drain at 40 workers doing about 0.6
// messages/s each (the queue loses 1,500 a minute) with a trickle of
// arrivals.
func drainStats(i int, consumers int32) engine.QueueStats {
	ready := max(0, int64(12000-1500*i))
	unacked := int64(min(consumers, 40))
	return engine.QueueStats{Messages: ready + unacked, Ready: ready, Unacked: unacked, Consumers: int(consumers),
		PublishRate: engine.KnownRate(0.5), DeliverRate: engine.KnownRate(24), AckRate: engine.KnownRate(25)}
}

// TestOnceWithMemoryDecidesAsContinuous is issue #13 part 4 (engine half):
// --once run from cron every minute mid-drain, each run a new controller
// sharing a memory store, decides at every run exactly as one continuous
// controller polling every minute does; without the memory the same runs
// scale down early (the window and the learned throughput are lost).
func TestOnceWithMemoryDecidesAsContinuous(t *testing.T) {
	clock := engine.NewManualClock(t0)
	cont := &fakeQueue{}
	contSc := newFakeScaler(40)
	ctl := mustNew(t, engine.Options{Config: drainConfig(), Source: cont, Scaler: contSc, Clock: clock, Mode: engine.ModeAuto})
	onceSc, bareSc := newFakeScaler(40), newFakeScaler(40)
	store := &memStore{}
	differed := false
	for i := range 9 {
		d, _, _, _ := contSc.state()
		cont.set(drainStats(i, d))
		want := ctl.PollAs(context.Background(), "once")

		d, _, _, _ = onceSc.state()
		once := mustNew(t, engine.Options{Config: drainConfig(), Source: &fakeQueue{stats: drainStats(i, d)}, Scaler: onceSc,
			Clock: clock, Mode: engine.ModeAuto, Memory: store})
		got := once.PollAs(context.Background(), "once")
		if got.Decision.Desired != want.Decision.Desired || got.Decision.Reason != want.Decision.Reason || got.Scale.Desired != want.Scale.Desired {
			t.Errorf("minute %d: --once with memory decided %d (%s), the continuous controller %d (%s)",
				i, got.Decision.Desired, got.Decision.Reason, want.Decision.Desired, want.Decision.Reason)
		}

		d, _, _, _ = bareSc.state()
		bare := mustNew(t, engine.Options{Config: drainConfig(), Source: &fakeQueue{stats: drainStats(i, d)}, Scaler: bareSc,
			Clock: clock, Mode: engine.ModeAuto})
		if b := bare.PollAs(context.Background(), "once"); b.Decision.Desired != want.Decision.Desired {
			differed = true
			t.Logf("minute %d: without memory --once decides %d (%s) where the continuous controller holds %d", i, b.Decision.Desired, b.Decision.Reason, want.Decision.Desired)
		}
		clock.Advance(time.Minute)
	}
	if !differed {
		t.Error("--once without memory decided as the continuous controller throughout: the test proves nothing")
	}
	if store.saves != 9 || len(store.text) > engine.MaxMemoryBytes {
		t.Errorf("%d saves of %d bytes, want one a run, at most %d bytes", store.saves, len(store.text), engine.MaxMemoryBytes)
	}
}

// TestHostileMemoryIsIgnored checks that a memory that cannot be trusted
// (it is annotation text anybody with access to the Deployment can write)
// is ignored with a note in the event log, never panics, and changes no
// decision: the poll decides as a controller with no memory.
func TestHostileMemoryIsIgnored(t *testing.T) {
	ms := func(at time.Time) int64 { return at.UnixMilli() }
	entry := func(dt int64, messages int64) string {
		return fmt.Sprintf("[%d,1,%d,%d,0,40,40,40,40,null,null,null]", dt, messages, messages)
	}
	good := fmt.Sprintf(`{"v":1,"t":%d,"o":[%s,%s]}`, ms(t0.Add(-2*time.Minute)), entry(0, 10000), entry(60000, 10000))
	tests := []struct {
		name, text, why string
	}{
		{"not JSON", "yeet", "not a memory"},
		{"control characters", "\x1b]0;pwned\x07", "not a memory"},
		{"another version", strings.Replace(good, `"v":1`, `"v":2`, 1), "version 2"},
		{"unknown field", strings.Replace(good, `"v":1`, `"v":1,"x":1`, 1), "not a memory"},
		{"too large", `{"v":1,"t":0,"o":[]` + strings.Repeat(" ", engine.MaxMemoryBytes) + "}", "more than"},
		{"too many entries", fmt.Sprintf(`{"v":1,"t":%d,"o":[%s%s]}`, ms(t0.Add(-time.Hour)), entry(0, 5), strings.Repeat(","+entry(1, 5), engine.MaxMemoryEntries)), "entries"},
		{"negative count", strings.Replace(good, entry(60000, 10000), "[60000,1,-5,-5,0,40,40,40,40,null,null,null]", 1), "messages"},
		{"implausible count", strings.Replace(good, entry(60000, 10000), entry(60000, 9_000_000_000_000), 1), "messages"},
		{"inconsistent counts", strings.Replace(good, entry(60000, 10000), "[60000,1,10,100000,0,40,40,40,40,null,null,null]", 1), "implausible"},
		{"fractional replicas", strings.Replace(good, entry(60000, 10000), "[60000,1,5,5,0,40,40.5,40,40,null,null,null]", 1), "replicas before"},
		{"negative rate", strings.Replace(good, entry(60000, 10000), "[60000,1,5,5,0,40,40,40,40,-1,null,null]", 1), "rate"},
		{"missing fields", strings.Replace(good, entry(60000, 10000), "[60000,1]", 1), "fields"},
		{"null count", strings.Replace(good, entry(60000, 10000), "[60000,1,null,5,0,40,40,40,40,null,null,null]", 1), "messages"},
		{"times going back", strings.Replace(good, entry(60000, 10000), entry(-60000, 10000), 1), "time step"},
		{"two entries at one time", strings.Replace(good, entry(60000, 10000), entry(0, 10000), 1), "not after"},
		{"from the future", fmt.Sprintf(`{"v":1,"t":%d,"o":[%s]}`, ms(t0.Add(time.Hour)), entry(0, 10000)), "future"},
		{"far future", `{"v":1,"t":9000000000000000000,"o":[` + entry(0, 10000) + `]}`, "future"},
		{"trailing data", good + "{}", "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stats := drainStats(2, 40) // 9,040 messages at 40 replicas
			bare := mustNew(t, engine.Options{Config: drainConfig(), Source: &fakeQueue{stats: stats}, Scaler: newFakeScaler(40),
				Clock: engine.NewManualClock(t0), Mode: engine.ModeAuto})
			want := bare.PollAs(context.Background(), "once")
			store := &memStore{text: tt.text}
			ctl := mustNew(t, engine.Options{Config: drainConfig(), Source: &fakeQueue{stats: stats}, Scaler: newFakeScaler(40),
				Clock: engine.NewManualClock(t0), Mode: engine.ModeAuto, Memory: store})
			got := ctl.PollAs(context.Background(), "once")
			if len(got.History) != 1 || got.Decision.Desired != want.Decision.Desired || got.Decision.Reason != want.Decision.Reason {
				t.Errorf("with a hostile memory: %d observations, decided %d (%s); want 1 and %d (%s) as with none",
					len(got.History), got.Decision.Desired, got.Decision.Reason, want.Decision.Desired, want.Decision.Reason)
			}
			var note string
			for _, e := range got.Events {
				if strings.Contains(e.Message, "memory ignored") {
					note = e.Message
				}
			}
			if !strings.Contains(note, tt.why) || strings.ContainsAny(note, "\x1b\x07\n") {
				t.Errorf("event %q, want one printable line saying the memory was ignored because of %q", note, tt.why)
			}
		})
	}
	// The same memory, intact, is used: the two remembered polls are there.
	ctl := mustNew(t, engine.Options{Config: drainConfig(), Source: &fakeQueue{stats: drainStats(2, 40)}, Scaler: newFakeScaler(40),
		Clock: engine.NewManualClock(t0), Mode: engine.ModeAuto, Memory: &memStore{text: good}})
	if s := ctl.PollAs(context.Background(), "once"); len(s.History) != 3 {
		t.Errorf("an intact memory gave %d observations, want 2 remembered + 1: %+v", len(s.History), s.Events)
	}
}

// TestMemoryBoundedAndQuiet checks what a continuous controller writes: at
// most MaxMemoryEntries entries and MaxMemoryBytes, only within the
// horizon; at most one write a minute unless the deployment changes; none
// in dry-run mode; and a store that fails is a note, not a failed poll.
func TestMemoryBoundedAndQuiet(t *testing.T) {
	cfg := testConfig("seed")
	cfg.PollInterval = time.Second
	store := &memStore{}
	r := newRig(t, cfg, engine.ModeAuto)
	r.ctl = mustNew(t, engine.Options{Config: cfg, Source: r.src, Scaler: r.sc, Clock: r.clock, Mode: engine.ModeAuto, Memory: store})
	big := engine.QueueStats{Messages: 999_999_999_999, Ready: 999_999_999_000, Unacked: 999, Consumers: 999_999,
		PublishRate: engine.KnownRate(1234567.891011), DeliverRate: engine.KnownRate(7654321.123456), AckRate: engine.KnownRate(0.000123456789)}
	r.src.set(big)
	for range 600 { // 10 minutes at 1 s
		r.ctl.Poll(context.Background())
		r.clock.Advance(time.Second)
	}
	var doc struct {
		O []json.RawMessage `json:"o"`
	}
	if err := json.Unmarshal([]byte(store.text), &doc); err != nil {
		t.Fatal(err)
	}
	if len(store.text) > engine.MaxMemoryBytes || len(doc.O) > engine.MaxMemoryEntries || len(doc.O) < 50 {
		t.Errorf("memory of %d bytes, %d entries; want at most %d and %d (and some)", len(store.text), len(doc.O), engine.MaxMemoryBytes, engine.MaxMemoryEntries)
	}
	// The first poll saves, the change 2 -> 40 is in it; then one a minute.
	if store.saves < 10 || store.saves > 12 {
		t.Errorf("%d saves in 10 minutes of 1 s polls, want about one a minute", store.saves)
	}
	r.ctl.SetMode(engine.ModeDryRun, "test")
	saves := store.saves
	r.clock.Advance(time.Hour)
	r.ctl.Poll(context.Background())
	if store.saves != saves {
		t.Errorf("dry-run mode wrote the memory")
	}
	r.ctl.SetMode(engine.ModeAuto, "test")
	store.err = fmt.Errorf("annotating the deployment: %w", engine.ErrForbidden)
	r.clock.Advance(time.Hour)
	s := r.ctl.Poll(context.Background())
	if s.Err != nil || s.ConsecutiveErrors != 0 || !strings.Contains(s.Events[0].Message, "memory not saved") || !errors.Is(store.err, engine.ErrForbidden) {
		t.Errorf("a failing store: Err %v, newest event %q; want a clean poll and a note", s.Err, s.Events[0].Message)
	}
}

// A fleet polls its targets in the same rounds: their once-a-minute saves
// must spread over the minute (each Deployment's slot starts at its own
// offset), not land in one round as 1,000 writes at once.
func TestMemorySavesSpreadOverTheMinute(t *testing.T) {
	const targets = 120
	cfg := testConfig("seed")
	cfg.PollInterval = time.Second
	r := newRig(t, cfg, engine.ModeAuto)
	stores := make([]*memStore, targets)
	ctls := make([]*engine.Controller, targets)
	for i := range ctls {
		c := cfg
		c.Deployment = fmt.Sprintf("worker-%03d", i)
		stores[i] = &memStore{}
		ctls[i] = mustNew(t, engine.Options{Config: c, Source: r.src, Scaler: r.sc, Clock: r.clock, Mode: engine.ModeAuto, Memory: stores[i]})
	}
	total := func() (n int) {
		for _, s := range stores {
			s.mu.Lock()
			n += s.saves
			s.mu.Unlock()
		}
		return n
	}
	worst, last := 0, 0
	for sec := range 180 {
		for _, c := range ctls {
			c.Poll(context.Background())
		}
		now := total()
		if sec >= 5 { // past the first polls, which always save
			worst = max(worst, now-last)
		}
		last = now
		r.clock.Advance(time.Second)
	}
	if worst > targets/10 {
		t.Fatalf("%d of %d targets saved in the same second; want the periodic saves spread over the minute", worst, targets)
	}
	if per := float64(last) / targets; per < 3 || per > 5 {
		t.Fatalf("%.1f saves per target in 3 minutes, want about one a minute (plus the first)", per)
	}
}
