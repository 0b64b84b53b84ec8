package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/tui"
)

// runConsole opens the operations console on the live broker and cluster:
// manual mode (the operator approves), dry-run with --dry-run or --read-only.
func (a *app) runConsole(ctx context.Context, o *rootOptions, cfg engine.Config, lv *live) error {
	mode := engine.ModeManual
	if o.dryRun || o.readOnly {
		mode = engine.ModeDryRun
	}
	ctl, err := lv.controller(cfg, mode, false)
	if err != nil {
		return err
	}
	quietKlog()
	in, _ := a.In.(*os.File)
	opts := tui.Options{
		Context: lv.target.Context, Namespace: cfg.Namespace, Deployment: cfg.Deployment,
		VHost: cfg.VHost, Queue: cfg.Queue, ReadOnly: o.readOnly, NoColor: o.noColor, Out: a.Out,
		Shadow: shadowName(lv.imported, mode == engine.ModeDryRun),
	}
	if in != nil {
		opts.In = in
	}
	return runConsoleOn(ctx, ctl, opts)
}

// runConsoleOn runs the controller's loop and the console (see
// runConsoleLoop).
func runConsoleOn(ctx context.Context, ctl *engine.Controller, opts tui.Options) error {
	return runConsoleLoop(ctx, ctl, func(ctx context.Context) error { return tui.Run(ctx, ctl, opts) })
}

// looper is an engine loop: a Controller or a Fleet.
type looper interface {
	Run(ctx context.Context) error
	Close()
}

// runConsoleLoop runs the engine's loop and the console ui until the
// operator quits or ctx ends, then stops the loop and waits for any update
// in flight (a poll in auto mode, an approval) to finish before returning:
// quitting never leaves a change half done.
func runConsoleLoop(ctx context.Context, e looper, ui func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		e.Run(ctx)
	}()
	err := ui(ctx)
	cancel()
	<-loopDone
	e.Close()
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// notifyContext is signal.NotifyContext for SIGINT and SIGTERM, except that
// once the first signal has arrived the default handling comes back: an
// operator's second Ctrl-C ends a process stuck in timeouts. The default
// handling is back before the context is done, so a second signal sent by
// someone who saw the process start stopping is never swallowed. The
// context's cause is then an interrupted error naming the signal.
func notifyContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-ch:
			signal.Stop(ch)
			cancel(interrupted{sig})
		case <-ctx.Done():
			signal.Stop(ch)
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel(nil) }
}

// interrupted is a run stopped from outside: by a signal, or by the
// cancellation of its context (sig nil).
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string {
	switch e.sig {
	case nil:
		return "interrupted"
	case os.Interrupt:
		return "interrupted by SIGINT"
	case syscall.SIGTERM:
		return "interrupted by SIGTERM"
	}
	return "interrupted by " + e.sig.String()
}

// code is the shell's code for a death by the signal: 128 + its number
// (130 for SIGINT, 143 for SIGTERM); 130 without a signal.
func (e interrupted) code() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return ExitInterrupted
}

// stopCause returns why ctx, which has ended, ended: the interrupted error
// naming the signal, or a plain interruption.
func stopCause(ctx context.Context) error {
	var in interrupted
	if errors.As(context.Cause(ctx), &in) {
		return in
	}
	return interrupted{}
}
