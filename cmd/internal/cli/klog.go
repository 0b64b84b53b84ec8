package cli

import (
	"io"
	"log/slog"
	"sync"

	"k8s.io/klog/v2"
)

// klogOnce guards klog's configuration. klog is client-go's logger and
// process-wide; its setters race with every client-go call that logs. One
// process runs one command, which configures it before any client starts;
// the tests run many commands in one process, where the first decides.
var klogOnce sync.Once

// quietKlog drops client-go's klog lines: on a full-screen console they
// would tear the screen (errors reach the banner instead).
func quietKlog() {
	klogOnce.Do(func() {
		klog.SetOutput(io.Discard)
		klog.LogToStderr(false)
	})
}

// klogTo sends client-go's klog lines (throttling, watch failures) through
// logger, so that --log-format json stays JSON.
func klogTo(logger *slog.Logger) {
	klogOnce.Do(func() { klog.SetSlogLogger(logger.With("component", "client-go")) })
}
