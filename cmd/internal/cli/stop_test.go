package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStopDuringAHangingRead signals a yeetscale process (the test binary
// as yeetscale, see asYeetscale) while the broker holds its read without
// answering. --once interrupted exits as interrupted (130 for SIGINT), not
// as a broker error; and a stop does not wait out --mgmt-timeout: the read
// is cancelled and the process is gone within 2 s.
func TestStopDuringAHangingRead(t *testing.T) {
	api := fakeAPIServer(t)
	tests := []struct {
		name   string
		args   []string
		sig    syscall.Signal
		code   int
		stderr string
		stdout string
		within time.Duration
	}{
		// Up to the 3 s timeout while reads wait it out; at once when cancelled.
		{"--once, SIGINT", []string{"--once", "--dry-run", "--mgmt-timeout", "3s"}, syscall.SIGINT, ExitInterrupted, "interrupted by SIGINT", "", 6 * time.Second},
		{"--once, SIGTERM, --output json", []string{"--once", "--dry-run", "--output", "json", "--mgmt-timeout", "3s"}, syscall.SIGTERM, 143, "interrupted by SIGTERM",
			`"error":"interrupted by SIGTERM","error_kind":"interrupted"`, 6 * time.Second},
		{"--once, SIGINT, --mgmt-timeout 30s", []string{"--once", "--dry-run", "--mgmt-timeout", "30s"}, syscall.SIGINT, ExitInterrupted, "interrupted by SIGINT", "", 2 * time.Second},
		{"--auto, SIGTERM, --mgmt-timeout 30s", []string{"--auto", "--dry-run", "--mgmt-timeout", "30s"}, syscall.SIGTERM, ExitOK, "", "", 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			broker, arrived := hangingBroker(t)
			args, err := json.Marshal(fakeArgs(t, api, broker, tt.args...))
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), asYeetscale+"="+string(args))
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case <-arrived:
			case err := <-exited:
				t.Fatalf("exited (%v) before reading the queue; stderr:\n%s", err, errOut.String())
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("never read the queue within 20s; stderr:\n%s", errOut.String())
			}
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			select {
			case err = <-exited:
			case <-time.After(45 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("still running 45s after %v; stderr:\n%s", tt.sig, errOut.String())
			}
			took := time.Since(start)
			t.Logf("exited %.2fs after %v", took.Seconds(), tt.sig)
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			}
			if code != tt.code {
				t.Errorf("exit %d after %v, want %d; stderr:\n%s", code, tt.sig, tt.code, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, errOut.String())
			}
			if !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, out.String())
			}
			if took > tt.within {
				t.Errorf("took %.1fs to stop after %v, want at most %v: the read in flight was not cancelled", took.Seconds(), tt.sig, tt.within)
			}
		})
	}
}
