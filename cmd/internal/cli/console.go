package cli

import (
	"context"
	"errors"
	"io"
	"os"

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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go ctl.Run(ctx)
	in, _ := a.In.(*os.File)
	opts := tui.Options{
		Context: lv.target.Context, Namespace: cfg.Namespace, Deployment: cfg.Deployment,
		VHost: cfg.VHost, Queue: cfg.Queue, ReadOnly: o.readOnly, NoColor: o.noColor, Out: a.Out,
	}
	if in != nil {
		opts.In = in
	}
	if err := tui.Run(ctx, ctl, opts); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
