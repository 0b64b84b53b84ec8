package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/klog/v2"

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
	ctl, err := lv.controller(cfg, mode)
	if err != nil {
		return err
	}
	// client-go logs warnings through klog to stderr: on a full-screen
	// console they would tear the screen. Errors reach the banner instead.
	klog.SetOutput(io.Discard)
	klog.LogToStderr(false)
	in, _ := a.In.(*os.File)
	opts := tui.Options{
		Context: lv.target.Context, Namespace: cfg.Namespace, Deployment: cfg.Deployment,
		VHost: cfg.VHost, Queue: cfg.Queue, ReadOnly: o.readOnly, NoColor: o.noColor, Out: a.Out,
	}
	if in != nil {
		opts.In = in
	}
	return runConsoleOn(ctx, ctl, opts)
}

// runConsoleOn runs the controller's loop and the console until the
// operator quits or ctx ends, then stops the loop and waits for any update
// in flight (a poll in auto mode, an approval) to finish before returning:
// quitting never leaves a change half done.
func runConsoleOn(ctx context.Context, ctl *engine.Controller, opts tui.Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		ctl.Run(ctx)
	}()
	err := tui.Run(ctx, ctl, opts)
	cancel()
	<-loopDone
	ctl.Wait()
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// notifyContext is signal.NotifyContext for SIGINT and SIGTERM, except that
// once the first signal has arrived the default handling comes back: an
// operator's second Ctrl-C ends a process stuck in timeouts. The default
// handling is back before the context is done, so a second signal sent by
// someone who saw the process start stopping is never swallowed.
func notifyContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-ch:
		case <-ctx.Done():
		}
		signal.Stop(ch)
		cancel()
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}
