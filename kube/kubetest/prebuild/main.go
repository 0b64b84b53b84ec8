// Command prebuild builds the kubetest harness's Kubernetes tools into their
// cache when any is missing, and does nothing otherwise. make test starts
// it in the background before go vet, so that the tools' build (minutes on
// a fresh machine) overlaps the compilation of yeetscale and its tests
// instead of starting when the first test needs a control plane; that
// test waits for it under the same file lock.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/yeeter/yeetscale/kube/kubetest/internal/toolbuild"
)

func main() {
	// SIGTERM (make test stopping early) cancels the build: no orphan.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	progress := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	done := make(chan error, 1)
	go func() {
		_, err := toolbuild.Ensure(ctx, progress)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	case <-ctx.Done():
		// The cancellation stops a running build at once; waiting for
		// another process's build (the file lock) does not end with it.
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
		os.Exit(1)
	}
}
