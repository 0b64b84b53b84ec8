package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestDemoRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no terminal", []string{"demo"}, "demo needs a terminal"},
		{"bad mode", []string{"demo", "--mode", "yolo"}, `invalid --mode "yolo"`},
		{"shadow with a mode", []string{"demo", "--shadow", "--mode", "auto"}, "--shadow: the simulated KEDA scales and yeetscale only proposes (read-only): drop --mode auto"},
		{"zero speed", []string{"demo", "--speed", "0"}, "invalid --speed 0"},
		{"huge speed", []string{"demo", "--speed", "1e9"}, "invalid --speed"},
		{"missing scenario", []string{"demo", "--scenario", "/nonexistent/scenario.json"}, "--scenario: reading scenario /nonexistent/scenario.json: no such file"},
		{"unknown scenario", []string{"demo", "--scenario", "spike"}, `--scenario: unknown scenario "spike"`},
		{"every scenario", []string{"demo", "--scenario", "all"}, "--scenario all: the demo runs one scenario"},
		{"a device as the scenario", []string{"demo", "--scenario", "/dev/zero"}, "--scenario: scenario /dev/zero is a device, not a regular file"},
		{"a built-in scenario, by name, but no terminal", []string{"demo", "--scenario", "spike-train"}, "demo needs a terminal"},
		{"bad clamp", []string{"demo", "--min-replicas", "50", "--max-replicas", "5"}, "invalid --min-replicas 50"},
		{"argument", []string{"demo", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main(append([]string{"yeetscale"}, tt.args...), strings.NewReader(""), &out, &errOut)
			if code != ExitUsage || !strings.Contains(errOut.String(), tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, errOut.String(), ExitUsage, tt.want)
			}
			if out.Len() != 0 {
				t.Fatalf("stdout should stay empty, got %q", out.String())
			}
		})
	}
}
