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
	if opts.In == nil {
		opts.In = os.Stdin
	}
	if opts.Out == nil {
		opts.Out = os.Stdout
	}
	if !IsTerminal(opts.In) || !IsTerminal(opts.Out) {
		return ErrNoTerminal
	}
	if opts.ReadOnly {
		by := opts.By
		if by == "" {
			by = "operator"
		}
		eng.SetMode(engine.ModeDryRun, by+" (read-only console)")
	}
	m := New(ctx, eng, opts)
	defer m.Close()
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
