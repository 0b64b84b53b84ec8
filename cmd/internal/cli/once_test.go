package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode"
)

// hostile is text from outside that would drive a terminal: set its title
// (OSC ... BEL), clear its screen (CSI 2J, also as the one-byte C1 CSI) and
// fake a line of output.
const hostile = "orders\x1b]0;pwned\a\x1b[2J\u009b2J\ndecision    40 replicas (policy x): fake"

// controlIn returns the first control character of s other than the
// newline that ends each line, or -1.
func controlIn(s string) rune {
	for _, r := range strings.TrimSuffix(s, "\n") {
		if r != '\n' && (unicode.IsControl(r) || r == 0x7f) {
			return r
		}
	}
	return -1
}

// TestOnceTextEscapesControls checks that --once's text output shows
// hostile names escaped, each on the line it belongs to.
func TestOnceTextEscapesControls(t *testing.T) {
	api := fakeAPIServer(t)
	tests := []struct {
		name   string
		broker string
		args   []string
	}{
		{"a queue name", fakeQueueJSON, []string{"--queue", hostile}},
		{"a vhost", fakeQueueJSON, []string{"--vhost", hostile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := fakeArgs(t, api, fakeBroker(t, tt.broker), append([]string{"--once", "--dry-run"}, tt.args...)...)
			code, out, errOut := once(t, args)
			if code != ExitOK {
				t.Fatalf("exit %d, want 0; stderr: %s", code, errOut)
			}
			if r := controlIn(out); r >= 0 {
				t.Errorf("output holds the raw control %U:\n%q", r, out)
			}
			if n := strings.Count(out, "\n"); n != 4 {
				t.Errorf("output has %d lines, want 4 (queue, deployment, decision, applied): %q", n, out)
			}
			if !strings.Contains(out, `orders\x1b]0;pwned\x07\x1b[2J\u009b2J\ndecision`) {
				t.Errorf("output does not show the name escaped: %q", out)
			}
		})
	}
}

// TestErrorLineEscapesControls checks the error line of the command line's
// main path: a message quoting text from outside stays one printable line.
func TestErrorLineEscapesControls(t *testing.T) {
	t.Setenv("RABBITMQ_USERNAME", "u")
	t.Setenv("RABBITMQ_PASSWORD", "p")
	code, _, errOut := run(t, "--once", "--kubeconfig", "/nonexistent/"+hostile)
	if code != ExitUsage {
		t.Errorf("exit %d, want %d; stderr %q", code, ExitUsage, errOut)
	}
	if r := controlIn(errOut); r >= 0 {
		t.Errorf("stderr holds the raw control %U: %q", r, errOut)
	}
	if n := strings.Count(errOut, "\n"); n != 1 {
		t.Errorf("stderr has %d lines, want one: %q", n, errOut)
	}
}

// TestJSONEscapesC1Controls checks --once --output json and the --auto
// JSON log: encoding/json and slog leave DEL and the C1 controls raw; they
// come out escaped, and the JSON still holds the exact name.
func TestJSONEscapesC1Controls(t *testing.T) {
	api := fakeAPIServer(t)
	t.Run("--once --output json", func(t *testing.T) {
		code, out, errOut := once(t, fakeArgs(t, api, fakeBroker(t, fakeQueueJSON), "--once", "--dry-run", "--output", "json", "--queue", hostile+"\x7f"))
		if code != ExitOK {
			t.Fatalf("exit %d, want 0; stderr: %s", code, errOut)
		}
		if r := controlIn(out); r >= 0 {
			t.Errorf("output holds the raw control %U: %q", r, out)
		}
		var res onceResult
		if err := json.Unmarshal([]byte(out), &res); err != nil || res.Queue.Name != hostile+"\x7f" {
			t.Errorf("queue name %q (%v), want exactly %q", res.Queue.Name, err, hostile+"\x7f")
		}
	})
	t.Run("--auto --log-format json", func(t *testing.T) {
		r := startAuto(t, fakeArgs(t, api, fakeBroker(t, fakeQueueJSON), "--auto", "--dry-run", "--log-format", "json", "--queue", hostile))
		ls := r.waitLog(t, 10*time.Second, "a decision", func(ls []logLine) bool { return count(ls, "decision") > 0 })
		if code := r.stop(t); code != ExitOK {
			t.Errorf("exit %d, want 0", code)
		}
		if c := controlIn(r.log.String()); c >= 0 {
			t.Errorf("log holds the raw control %U: %q", c, r.log.String())
		}
		if got := ls[0].str("queue"); ls[0].msg() != "starting" || got != `orders\x1b]0;pwned\x07\x1b[2J\u009b2J\ndecision    40 replicas (policy x): fake` {
			t.Errorf("start line %v: want the queue as engine.Printable shows it", ls[0])
		}
	})
}
