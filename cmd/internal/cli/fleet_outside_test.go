package cli

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/engine/sim"
)

// oneController is a fleet of one controller, for fleetLog.
type oneController struct{ c *engine.Controller }

func (o oneController) Controller(string) *engine.Controller { return o.c }

// TestFleetLogScaledOutside: a size set by somebody else between two polls
// of a fleet target is one "scaled outside yeetscale" line with the target
// and the sizes; yeetscale's own first read is not.
func TestFleetLogScaledOutside(t *testing.T) {
	ctx := context.Background()
	clock := engine.NewManualClock(time.Unix(1e9, 0))
	sc, ok := sim.Builtin("steady-noisy")
	if !ok {
		t.Fatal("no built-in steady-noisy")
	}
	world := sim.NewLive(sc, 2, clock)
	cfg := sc.Config()
	cfg.Namespace, cfg.Deployment = "shop", "orders"
	ctl, err := engine.New(engine.Options{Config: cfg, Source: world, Scaler: world, Clock: clock, Mode: engine.ModeDryRun})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	l := newFleetLog(slog.New(slog.NewJSONHandler(&buf, nil)), oneController{ctl}, nil)
	observe := func() {
		l.observe(engine.FleetSnapshot{Targets: []engine.TargetSnapshot{{Namespace: "shop", Deployment: "orders", Status: engine.StatusDryRun, Snapshot: ctl.Poll(ctx)}}})
	}
	observe()
	if n := count(lines(t, buf.String()), "scaled outside yeetscale"); n != 0 {
		t.Fatalf("the first read logged %d outside changes:\n%s", n, buf.String())
	}
	s, _ := world.GetScale(ctx)
	if err := world.SetScale(ctx, engine.ScaleRequest{From: s, Replicas: 7}); err != nil {
		t.Fatal(err)
	}
	clock.Set(clock.Now().Add(15 * time.Second))
	observe()
	var found int
	for _, line := range lines(t, buf.String()) {
		if line.msg() == "scaled outside yeetscale" {
			found++
			if line.str("namespace") != "shop" || line.str("deployment") != "orders" || line.num("from") != 2 || line.num("to") != 7 {
				t.Errorf("line %v, want shop/orders from 2 to 7", line)
			}
		}
	}
	if found != 1 {
		t.Fatalf("%d outside lines, want 1:\n%s", found, buf.String())
	}
}
