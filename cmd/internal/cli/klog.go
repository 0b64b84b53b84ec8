package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"k8s.io/klog/v2"

	"github.com/yeeter/yeetscale/kube"
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
// logger, so that --log-format json stays JSON, scrubbed of the
// credentials the process's Kubernetes clients send (a watch's error event
// is the API server's text, and may echo them).
func klogTo(logger *slog.Logger) {
	klogOnce.Do(func() {
		klog.SetSlogLogger(slog.New(scrubHandler{logger.Handler()}).With("component", "client-go"))
	})
}

// scrubHandler is a slog.Handler that removes the Kubernetes credentials
// (kube.ServerText) from a record's message and string attributes before
// next handles it.
type scrubHandler struct{ next slog.Handler }

func (h scrubHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h scrubHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, kube.ServerText(r.Message, 0), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(scrubAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h scrubHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = scrubAttr(a)
	}
	return scrubHandler{h.next.WithAttrs(clean)}
}

func (h scrubHandler) WithGroup(name string) slog.Handler {
	return scrubHandler{h.next.WithGroup(name)}
}

// scrubAttr scrubs a's value when it is text (an error or a Stringer
// included), and a group's attributes.
func scrubAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, kube.ServerText(v.String(), 0))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = scrubAttr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, kube.ServerText(x.Error(), 0))
		case fmt.Stringer:
			return slog.String(a.Key, kube.ServerText(x.String(), 0))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
