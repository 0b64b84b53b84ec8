package cli

import (
	"strings"
	"testing"
)

// TestUsageExitCodes checks that every mistake on the command line, found
// before any I/O, exits 2 (usage) with one line saying what is wrong: an
// unknown command, an argument a command does not take, a port out of
// range.
func TestUsageExitCodes(t *testing.T) {
	t.Setenv("RABBITMQ_USERNAME", "u")
	t.Setenv("RABBITMQ_PASSWORD", "p")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"an unknown command", []string{"bogus"}, `unknown command "bogus" for "yeetscale" (see 'yeetscale --help')`},
		{"a misspelt command", []string{"dmeo"}, `did you mean "demo"?`},
		{"an argument after a flag", []string{"--once", "bogus"}, `unknown command "bogus"`},
		{"an argument to manifests", []string{"manifests", "extra"}, `"extra" for "yeetscale manifests" (see 'yeetscale manifests --help')`},
		{"an argument to version", []string{"version", "extra"}, `"extra" for "yeetscale version"`},
		{"an argument to a completion script", []string{"completion", "bash", "extra"}, `"extra" for "yeetscale completion bash"`},
		{"an argument to demo", []string{"demo", "extra"}, `unexpected argument "extra"`},
		{"a port out of range", []string{"--once", "--mgmt-url", "http://127.0.0.1:99999"}, "invalid --mgmt-url http://127.0.0.1:99999: its port must be 1 to 65535"},
		{"wait-idle without pod choice", []string{"--once", "--scale-in-wait-idle", "1m", "--pod-choice=false"}, "--scale-in-wait-idle 1m0s needs pod choice"},
		{"port zero", []string{"--auto", "--mgmt-url", "http://127.0.0.1:0"}, "invalid --mgmt-url http://127.0.0.1:0: its port"},
		{"a CA file with no certificate", []string{"--once", "--mgmt-url", "https://h:15671", "--mgmt-ca-file", "/dev/null"}, "--mgmt-ca-file"},
		{"a CA file with no certificate, fleet", []string{"--once", "-A", "--mgmt-url", "https://h:15671", "--mgmt-ca-file", "/dev/null"}, "--mgmt-ca-file"},
		{"a missing CA file", []string{"--auto", "--mgmt-url", "https://h:15671", "--mgmt-ca-file", "/nonexistent/ca.pem"}, "--mgmt-ca-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d (usage); stderr: %s", code, ExitUsage, errOut)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q lacks %q", errOut, tt.want)
			}
			if n := strings.Count(errOut, "\n"); n != 1 || !strings.HasPrefix(errOut, "yeetscale: ") {
				t.Errorf("stderr is %d lines, want one line starting \"yeetscale: \":\n%s", n, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}
