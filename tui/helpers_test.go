package tui

import (
	"context"
	"os"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/engine/sim"
)

func init() { lipgloss.SetColorProfile(termenv.Ascii) }

// t0 is the start of every test clock.
var t0 = time.Date(2025, 3, 14, 3, 0, 0, 0, time.UTC)

// simEngine returns a controller on the demo world, polled polls times
// every poll interval on a manual clock, in mode.
func simEngine(tb testing.TB, polls int, mode engine.Mode) (*engine.Controller, *engine.ManualClock) {
	tb.Helper()
	clock := engine.NewManualClock(t0)
	sc := sim.Demo()
	cfg := sc.Config()
	world := sim.NewLive(sc, 2, clock)
	ctl, err := engine.New(engine.Options{Config: cfg, Source: world, Scaler: world, Clock: clock, Mode: mode})
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < polls; i++ {
		if i > 0 {
			clock.Advance(cfg.PollInterval)
		}
		ctl.Poll(context.Background())
	}
	return ctl, clock
}

// testOptions are deterministic console options on clock.
func testOptions(clock interface{ Now() time.Time }) Options {
	return Options{
		Context: "demo (simulated)", Namespace: "yeeter", Deployment: "yeeter-worker",
		VHost: "/", Queue: "yeeter.simulation.orders", Hint: "simulated · 10x",
		Now: clock.Now, Location: time.UTC, Tick: -1,
	}
}

// sized returns m after a window resize.
func sized(m *Model, w, h int) *Model {
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

// colourRenderer is a renderer that writes 256 colours.
func colourRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.ANSI256)
	return r
}

func engineRate(v float64, known bool) engine.Rate { return engine.Rate{PerSecond: v, Known: known} }

func osPipe() (*os.File, *os.File, error) { return os.Pipe() }

func lipglossWidth(s string) int { return lipgloss.Width(s) }
