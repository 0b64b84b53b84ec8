package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tmuxSession runs a command in a detached tmux session on a private socket.
type tmuxSession struct {
	t    testing.TB
	tmux string
	sock string
	// status is the file where the shell records the program's exit status
	// (tmux's own pane_dead_status proved racy).
	status string
}

// needTmux returns tmux's path, installing it with apt-get when missing and
// running as root; otherwise the test fails saying how to install it.
func needTmux(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("tmux"); err == nil {
		return p
	}
	if os.Geteuid() != 0 {
		t.Fatal("tmux is needed for the terminal test: install it (apt-get install tmux, or your system's package) and run again")
	}
	install := "apt-get -o DPkg::Lock::Timeout=300 update -q && apt-get -o DPkg::Lock::Timeout=300 install -y -q tmux"
	if out, err := exec.Command("sh", "-c", install).CombinedOutput(); err != nil {
		t.Fatalf("installing tmux with apt-get failed: %v\n%s", err, out)
	}
	p, err := exec.LookPath("tmux")
	if err != nil {
		t.Fatalf("tmux still missing after apt-get: %v", err)
	}
	return p
}

// startTmux starts argv in a w x h pane that stays after the process exits,
// so its exit status can be read.
func startTmux(t testing.TB, w, h int, argv ...string) *tmuxSession {
	t.Helper()
	dir := t.TempDir()
	s := &tmuxSession{t: t, tmux: needTmux(t), sock: filepath.Join(dir, "tmux.sock"), status: filepath.Join(dir, "status")}
	s.run("-f", "/dev/null", "new-session", "-d", "-s", "demo", "-x", strconv.Itoa(w), "-y", strconv.Itoa(h), "sleep 3600")
	t.Cleanup(func() { exec.Command(s.tmux, "-S", s.sock, "kill-server").Run() })
	s.run("set-option", "-g", "remain-on-exit", "on")
	s.run("set-option", "-g", "default-terminal", "xterm-256color")
	script := `st=0; "$@" || st=$?; echo $st >"$STATUS.tmp" && mv "$STATUS.tmp" "$STATUS"`
	s.run(append([]string{"respawn-pane", "-k", "-t", "demo", "-e", "STATUS=" + s.status, "--", "sh", "-c", script, "sh"}, argv...)...)
	return s
}

// programPID returns the pid of the program the pane's shell runs.
func (s *tmuxSession) programPID() int {
	s.t.Helper()
	shell := s.format("#{pane_pid}")
	b, err := os.ReadFile("/proc/" + shell + "/task/" + shell + "/children")
	if err != nil {
		s.t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) != 1 {
		s.t.Fatalf("the pane's shell %s has children %q, want exactly the program", shell, f)
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		s.t.Fatal(err)
	}
	return pid
}

// exitStatus waits until the program has exited and returns its status.
func (s *tmuxSession) exitStatus() string {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(s.status); err == nil {
			return strings.TrimSpace(string(b))
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the program did not exit; the pane shows:\n%s", s.pane())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command(s.tmux, append([]string{"-S", s.sock}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *tmuxSession) pane() string { return s.run("capture-pane", "-p", "-t", "demo") }

func (s *tmuxSession) format(f string) string {
	return strings.TrimSpace(s.run("display-message", "-p", "-t", "demo", f))
}

// waitFor polls the pane until cond holds, failing with the last capture
// after the deadline.
func (s *tmuxSession) waitFor(what string, cond func(pane string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := s.pane()
		if cond(p) {
			return p
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("timed out waiting for %s; the pane shows:\n%s", what, p)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func containsAll(subs ...string) func(string) bool {
	return func(p string) bool {
		for _, s := range subs {
			if !strings.Contains(p, s) {
				return false
			}
		}
		return true
	}
}

func TestDemoInTmux(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary and drives it in tmux")
	}
	bin := buildBinary(t)
	s := startTmux(t, 100, 30, bin, "demo", "--mode", "manual", "--speed", "10")

	// The console is up with data, the chart, a proposal and the help bar.
	p := s.waitFor("the console with a proposal", containsAll("QUEUE", "REPLICAS", "┤", "[MANUAL]", "proposed: scale 2 → 40 replicas", "q quit"))
	if !strings.Contains(p, "demo (simulated)") || !strings.Contains(p, "messages") {
		t.Fatalf("header or queue missing:\n%s", p)
	}
	// The header says what A does in this mode.
	s.waitFor("the header's hint in manual mode", containsAll("A: auto on"))

	// Approve: the deployment scales and the event log says who did it.
	s.run("send-keys", "-t", "demo", "a")
	s.waitFor("the approval", containsAll("approved: scaling 2 → 40", "SCALE  operator"))

	// o shows the simulated worker pods, busy or idle, and which goes first.
	s.run("send-keys", "-t", "demo", "o")
	s.waitFor("the pod view", containsAll("PODS", " busy", "yeeter-worker-7d4b9c8f6-", "goes first"))
	s.run("send-keys", "-t", "demo", "o")
	// Wait for the events again: keys typed together reach the console as
	// one multi-rune key, which no binding matches.
	s.waitFor("the events again", containsAll("EVENTS newest first"))

	// Turning auto-apply on asks first.
	s.run("send-keys", "-t", "demo", "A")
	s.waitFor("the auto-apply question", containsAll("Turn auto-apply ON?", "[y/n]"))
	s.run("send-keys", "-t", "demo", "y")
	s.waitFor("auto mode, and the header's hint in it", containsAll("[AUTO]", "A: auto off, approve by hand"))
	// A turns it off again at once, and the hint follows.
	s.run("send-keys", "-t", "demo", "A")
	p = s.waitFor("manual mode again", containsAll("[MANUAL]", "A: auto on"))
	if strings.Contains(p, "A: auto off") {
		t.Fatalf("in manual mode the header still says A turns auto off:\n%s", p)
	}

	// q quits cleanly: exit status 0 and the alternate screen is gone.
	s.run("send-keys", "-t", "demo", "q")
	if st := s.exitStatus(); st != "0" {
		t.Fatalf("demo exited with status %s; pane:\n%s", st, s.pane())
	}
	if p := s.pane(); strings.Contains(p, "QUEUE") {
		t.Fatalf("the console is still on screen after quitting (terminal not restored):\n%s", p)
	}
}

// TestDemoHintFollowsTheModeInTmux: the plain demo starts in auto mode
// and its header says A turns auto off; after A, in manual mode, it says A
// turns auto on (it said "auto off" still, once).
func TestDemoHintFollowsTheModeInTmux(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary and drives it in tmux")
	}
	bin := buildBinary(t)
	s := startTmux(t, 120, 30, bin, "demo")
	s.waitFor("auto mode and its hint", containsAll("[AUTO]", "QUEUE", "simulated demo at 10× speed · A: auto off, approve by hand"))
	s.run("send-keys", "-t", "demo", "A")
	p := s.waitFor("manual mode and its hint", containsAll("[MANUAL]", "simulated demo at 10× speed · A: auto on"))
	if strings.Contains(p, "auto off") {
		t.Fatalf("in manual mode the header still says A turns auto off:\n%s", p)
	}
	s.run("send-keys", "-t", "demo", "q")
	if st := s.exitStatus(); st != "0" {
		t.Fatalf("demo exited with status %s; pane:\n%s", st, s.pane())
	}
}

// TestDemoShadowInTmux runs the demo with --shadow: the simulated KEDA
// scales (the replicas grow by the HPA's steps), yeetscale only proposes,
// and the SHADOW lines tally the two.
func TestDemoShadowInTmux(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary and drives it in tmux")
	}
	bin := buildBinary(t)
	// At 3x the HPA's 6 replicas stay on screen for 5 s (a sync is 15
	// simulated seconds): at 10x, 1.5 s, which a loaded machine's pane
	// reads missed (make test-race).
	s := startTmux(t, 100, 30, bin, "demo", "--shadow", "--speed", "3")
	s.waitFor("the shadow console", containsAll("[READ-ONLY]", "SHADOW of ScaledObject yeeter/yeeter-worker", "scaled by a KEDA model"))
	// The model of the HPA steps 2 -> 6 (at most +4 pods a sync) where
	// yeetscale proposes 40 at once; the tally starts at the second good
	// poll.
	s.waitFor("KEDA's first step", containsAll("HPA 6 · yeetscale 40"))
	s.waitFor("the tally", containsAll("over ", "backlog above target HPA", "replica-seconds HPA"))
	s.run("send-keys", "-t", "demo", "q")
	if st := s.exitStatus(); st != "0" {
		t.Fatalf("demo --shadow exited with status %s; pane:\n%s", st, s.pane())
	}
}

// BenchmarkDemoResources measures the demo's CPU use and peak memory in a
// real terminal for BENCH_SECONDS seconds (default 60; make bench-console).
// It reports numbers; the goals (under 2% of one core, under 40 MB) are
// judged by whoever reads them.
func BenchmarkDemoResources(b *testing.B) {
	benchConsoleResources(b, "demo console", "demo")
}

// cpuTicks returns utime + stime of pid in clock ticks.
func cpuTicks(t testing.TB, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name (which may contain spaces) in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}

// procKB returns a kB field of /proc/PID/status, e.g. "VmHWM:".
func procKB(t testing.TB, pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(strings.TrimPrefix(l, field)); strings.HasPrefix(l, field) && len(f) > 0 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			return n
		}
	}
	return 0
}
