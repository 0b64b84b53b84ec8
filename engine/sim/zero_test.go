package sim

import (
	"context"
	"path/filepath"
	"testing"
)

// TestWorldAtZero checks that the simulated broker reports a deployment at
// zero as RabbitMQ does: no consumers, a known ack rate of zero, the burst
// waiting ready; and consumers again once pods have started.
func TestWorldAtZero(t *testing.T) {
	sc := load(t, "burst-10k")
	w := NewWorld(sc, 0)
	for w.Now() < 30 {
		w.Begin()
		w.Work()
	}
	s, _ := w.Stats(context.Background())
	if s.Consumers != 0 || !s.AckRate.Known || s.AckRate.PerSecond != 0 || s.Unacked != 0 || s.Ready == 0 || s.Messages != s.Ready {
		t.Fatalf("at zero: %+v, want no consumers, ack rate known 0, every message ready", s)
	}
	setTo(t, w, 2)
	for w.Now() < 30+sc.PodStartupS+sc.StatsIntervalS+1 {
		w.Begin()
		w.Work()
	}
	if s, _ = w.Stats(context.Background()); s.Consumers != 2 || s.AckRate.PerSecond <= 0 {
		t.Errorf("after scaling to 2: consumers %d, ack rate %v; want 2 and acks", s.Consumers, s.AckRate)
	}
}

// TestScaleToZeroOnScenarios runs the default policy with --min-replicas 0
// on the shared scenarios and on the idle patterns: it goes to zero only
// from one and only after --idle-before-zero of an empty queue, reverses no
// more often than hpa-keda (which models KEDA's activation and
// cooldownPeriod), and wakes from zero to the size the burst needs.
func TestScaleToZeroOnScenarios(t *testing.T) {
	tests := []struct {
		name      string
		sc        Scenario
		sleeps    bool  // must reach zero at least once
		wakeAtMin int32 // the smallest size a wake from zero may reach (0: no wake)
	}{
		{"burst-10k", load(t, "burst-10k"), true, 0},
		{"trickle-after-burst", load(t, "trickle-after-burst"), true, 0},
		{"idleburst", loadPattern(t, "idleburst"), true, 30},
		{"idlesmall", loadPattern(t, "idlesmall"), true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.sc.Config()
			cfg.MinReplicas = 0
			var changes []Change
			r, err := Run(context.Background(), tt.sc, cfg, Options{Changes: func(c Change) { changes = append(changes, c) }})
			if err != nil {
				t.Fatal(err)
			}
			cfg.Policy = "hpa-keda"
			keda, err := Run(context.Background(), tt.sc, cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			slept, woke := false, int32(0)
			lastNonEmpty := 0
			for _, c := range changes {
				if c.To == 0 {
					slept = true
					if c.From != 1 {
						t.Errorf("t=%d: %d -> 0 straight (%s)", c.T, c.From, c.Reason)
					}
					if c.T-lastNonEmpty < int(cfg.IdleBeforeZero.Seconds()) {
						t.Errorf("t=%d: to zero %d s after the last change", c.T, c.T-lastNonEmpty)
					}
				}
				if c.From == 0 {
					woke = max(woke, c.To)
				}
				lastNonEmpty = c.T
			}
			if slept != tt.sleeps {
				t.Errorf("went to zero: %v, want %v", slept, tt.sleeps)
			}
			if tt.wakeAtMin > 0 && woke < tt.wakeAtMin {
				t.Errorf("woke from zero to at most %d, want at least %d (sized by the policy)", woke, tt.wakeAtMin)
			}
			if r.Reversals > keda.Reversals || r.Unprocessed != 0 {
				t.Errorf("reversals %d vs hpa-keda's %d, unprocessed %d", r.Reversals, keda.Reversals, r.Unprocessed)
			}
		})
	}
}

// TestHPAKedaGoesToZero checks the KEDA model in the simulator: hpa-keda
// with --min-replicas 0 sleeps after the cooldown and wakes to one.
func TestHPAKedaGoesToZero(t *testing.T) {
	sc := loadPattern(t, "idleburst")
	cfg := sc.Config()
	cfg.Policy = "hpa-keda"
	var changes []Change
	if _, err := Run(context.Background(), sc, cfg, Options{Changes: func(c Change) { changes = append(changes, c) }}); err != nil {
		t.Fatal(err)
	}
	slept, woke := 0, 0
	for _, c := range changes {
		switch {
		case c.To == 0:
			slept++
		case c.From == 0 && c.To == 1:
			woke++
		case c.From == 0:
			t.Errorf("t=%d: KEDA woke 0 -> %d, want 0 -> 1", c.T, c.To)
		}
	}
	if slept < 2 || woke < 2 {
		t.Errorf("hpa-keda slept %d and woke %d times on two bursts, want 2 of each", slept, woke)
	}
}

func loadPattern(t testing.TB, name string) Scenario {
	t.Helper()
	sc, err := Load(filepath.Join("testdata", "patterns", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
