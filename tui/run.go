package tui

import (
	"context"
	"errors"
	"fmt"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"

	"github.com/yeeter/yeetscale/engine"
)

// ErrNoTerminal is returned by Run when standard input or output is not a
// terminal: the console then does not start at all.
var ErrNoTerminal = errors.New("the console needs a terminal; for scripts and cron use --once or --auto")

// Run opens the console on eng until the operator quits or ctx is done, on
// the terminal's alternate screen, and restores the terminal on the way out.
// With ReadOnly it first puts the engine in dry-run mode. The engine must be
// running (engine.Controller.Run) for the screen to update.
func Run(ctx context.Context, eng Engine, opts Options) error {
	opts, err := onTerminal(opts)
	if err != nil {
		return err
	}
	if opts.ReadOnly {
		eng.SetMode(engine.ModeDryRun, readOnlyBy(opts))
	}
	m := New(ctx, eng, opts)
	defer m.Close()
	return runProgram(ctx, m, opts)
}

// RunFleet opens the fleet console on fleet until the operator quits or
// ctx is done, like Run: a list of the targets, each of which opens in
// Run's console. With ReadOnly it first puts every target in dry-run mode.
// The fleet must be running (engine.Fleet.Run) for the screen to update.
func RunFleet(ctx context.Context, fleet Fleet, opts FleetOptions) error {
	o, err := onTerminal(opts.Options)
	if err != nil {
		return err
	}
	opts.Options = o
	if opts.ReadOnly {
		fleet.SetMode(engine.ModeDryRun, readOnlyBy(o))
	}
	l := NewList(ctx, fleet, opts)
	defer l.Close()
	return runProgram(ctx, l, o)
}

// onTerminal fills in the terminal (standard input and output by default)
// and refuses anything that is not one.
func onTerminal(opts Options) (Options, error) {
	if opts.In == nil {
		opts.In = os.Stdin
	}
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if !IsTerminal(opts.In) || !IsTerminal(opts.Out) {
		return opts, ErrNoTerminal
	}
	return opts, nil
}

// readOnlyBy names who put the engine in dry-run for a read-only console.
func readOnlyBy(opts Options) string {
	by := opts.By
	if by == "" {
		by = "operator"
	}
	return by + " (read-only console)"
}

// runProgram runs m on the terminal's alternate screen and restores the
// terminal on the way out.
func runProgram(ctx context.Context, m tea.Model, opts Options) error {
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(opts.In), tea.WithOutput(opts.Out), tea.WithAltScreen())
	if _, err := p.Run(); err != nil {
		if ctx.Err() != nil && errors.Is(err, tea.ErrProgramKilled) {
			return nil // stopped by a signal: the terminal is restored
		}
		return fmt.Errorf("console: %w", err)
	}
	return nil
}

// IsTerminal reports whether rw is a terminal. A reader or writer that is
// not an *os.File (a test's buffer) counts as one, so tests can drive Run.
func IsTerminal(rw any) bool {
	if f, ok := rw.(*os.File); ok {
		return term.IsTerminal(f.Fd())
	}
	return rw != nil
}
