package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/charmbracelet/lipgloss"

	"github.com/yeeter/yeetscale/engine"
)

// hostile is text from outside that would drive a terminal: set its title
// (OSC ... BEL), clear its screen (CSI 2J, also as the one-byte C1 CSI) and
// start a line of its own.
const hostile = "orders\x1b]0;pwned\a\x1b[2J\u009b2J\nfake line"

// TestViewEscapesHostileText renders the console, colours off, with text
// from outside in every place it shows: the names in the header, the error
// banner (a failed poll, a failed command), the event log and the
// decision's reason. The screen holds no control character at all (with
// colours off not even lipgloss's ESC) and exactly as many lines as the
// terminal.
func TestViewEscapesHostileText(t *testing.T) {
	tests := []struct {
		name  string
		setup func(s *engine.Snapshot, o *Options) []any // the messages to send
	}{
		{"the names in the header", func(_ *engine.Snapshot, o *Options) []any {
			o.Context, o.Namespace, o.Deployment, o.VHost, o.Queue = hostile, hostile, hostile, hostile, hostile
			return nil
		}},
		{"a failed poll", func(s *engine.Snapshot, _ *Options) []any {
			s.Err, s.ConsecutiveErrors = errors.New("rabbit: "+hostile), 2
			return nil
		}},
		{"a failed apply", func(s *engine.Snapshot, _ *Options) []any { s.Err = errors.New(hostile); return nil }},
		{"a failed command", func(*engine.Snapshot, *Options) []any {
			return []any{doneMsg{what: "approve", err: errors.New(hostile)}}
		}},
		{"the event log", func(s *engine.Snapshot, _ *Options) []any {
			s.Events = []engine.Event{{At: t0, Kind: engine.EventError, By: "x\x1b[2J", Message: "poll failed: " + hostile}}
			return nil
		}},
		{"the decision's reason", func(s *engine.Snapshot, _ *Options) []any {
			s.Decision.Reason = "holding 6: " + hostile
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap, opts := handSnapshot(6, 3, engine.ModeManual), testOptions(engine.NewManualClock(t0))
			opts.NoColor = true
			msgs := tt.setup(&snap, &opts)
			m := sized(New(context.Background(), newFakeEngine(snap), opts), 160, 30)
			defer m.Close()
			for _, msg := range msgs {
				m.Update(msg)
			}
			v := m.View()
			for _, r := range v {
				if r != '\n' && (unicode.IsControl(r) || r == 0x7f) {
					t.Fatalf("the screen holds the raw control %U:\n%q", r, v)
				}
			}
			if h := lipgloss.Height(v); h != 30 {
				t.Errorf("the screen has %d lines, want 30", h)
			}
			if !strings.Contains(v, `\x1b[2J`) {
				t.Errorf("the hostile text is not shown escaped:\n%s", v)
			}
		})
	}
}
