package cli

import (
	"log/slog"
	"sync"

	"k8s.io/client-go/rest"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// Bounds of the apiserver warnings logged (warningLog).
const (
	// maxWarningText is the most of one warning's text that is logged:
	// the header comes from the apiserver (or an admission webhook), and
	// is no reason to write megabytes into a log.
	maxWarningText = 512
	// maxWarningsSeen is how many distinct warnings are remembered, to log
	// each once; past it, new warnings are not logged at all (a server
	// that varies its warnings each response must not flood the log).
	maxWarningsSeen = 64
)

// warningsOnce guards the process-wide warning handler, as klogOnce does
// klog.
var warningsOnce sync.Once

// kubeWarningsTo logs the apiserver's warnings (deprecated APIs, admission
// webhooks' warnings) through logger, once each, instead of client-go's
// default: a klog text line on every response, every poll, which breaks
// --log-format json and repeats forever.
func kubeWarningsTo(logger *slog.Logger) {
	warningsOnce.Do(func() { rest.SetDefaultWarningHandler(&warningLog{logger: logger}) })
}

// warningLog is a rest.WarningHandler that logs each distinct warning once,
// scrubbed of the credentials (kube.ServerText), escaped and bounded.
type warningLog struct {
	logger *slog.Logger
	mu     sync.Mutex
	seen   map[string]bool
}

// HandleWarningHeader implements rest.WarningHandler.
func (w *warningLog) HandleWarningHeader(code int, _ string, text string) {
	if code != 299 || text == "" { // as client-go's own handlers
		return
	}
	// No form of a credential this process sent, whole or cut, however
	// the server (or a proxy) echoes it.
	text = kube.ServerText(text, maxWarningText)
	w.mu.Lock()
	first := !w.seen[text] && len(w.seen) < maxWarningsSeen
	if first {
		if w.seen == nil {
			w.seen = make(map[string]bool)
		}
		w.seen[text] = true
	}
	w.mu.Unlock()
	if first {
		w.logger.Warn("kubernetes warning", "warning", engine.Printable(text), "note", "logged once")
	}
}
