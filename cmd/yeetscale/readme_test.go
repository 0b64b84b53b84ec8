package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/cmd/internal/cli"
)

// The quick start a newcomer follows: README.md's first fenced code block
// (in a "Quick start" section when there is one, else right after the title
// and the intro). These tests keep it from drifting.
var quickStart = []string{"go run ./cmd/yeetscale demo", "make test"}

// quickStartBlock returns the info string and the lines of the README's
// quick start block.
func quickStartBlock(t *testing.T, readme string) (string, []string) {
	t.Helper()
	lines := strings.Split(strings.ReplaceAll(readme, "\r\n", "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "# ") {
		t.Fatalf("README.md does not begin with a title (# ...): %q", lines[0])
	}
	start := 1
	section := "after the title and intro"
	for i, l := range lines {
		if regexp.MustCompile(`(?i)^#{1,6}\s+quick ?start\b`).MatchString(l) {
			start, section = i+1, "in the "+strings.TrimLeft(l, "# ")+" section"
			break
		}
	}
	sawText := start > 1
	for i := start; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "#") {
			t.Fatalf("README.md: no code block %s before the heading %q (line %d)", section, l, i+1)
		}
		if info, ok := strings.CutPrefix(l, "```"); ok {
			if !sawText {
				t.Fatalf("README.md: the quick start block (line %d) should follow a one-paragraph intro", i+1)
			}
			var body []string
			for j := i + 1; j < len(lines); j++ {
				if strings.HasPrefix(lines[j], "```") {
					return strings.TrimSpace(info), body
				}
				body = append(body, lines[j])
			}
			t.Fatalf("README.md: the code block at line %d is never closed", i+1)
		}
		if strings.TrimSpace(l) != "" {
			sawText = true
		}
	}
	t.Fatalf("README.md: no fenced code block %s", section)
	return "", nil
}

func readREADME(t *testing.T) (string, string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatalf("the README a newcomer follows is missing: %v", err)
	}
	return root, string(b)
}

// TestREADMEQuickStartCommands checks that the quick start is exactly the two
// commands, as a sh block, and that CI runs the second one.
func TestREADMEQuickStartCommands(t *testing.T) {
	root, readme := readREADME(t)
	info, body := quickStartBlock(t, readme)
	if info != "sh" {
		t.Errorf("README.md quick start block is ```%s, want ```sh", info)
	}
	if strings.Join(body, "\n") != strings.Join(quickStart, "\n") {
		t.Errorf("README.md quick start block is\n%s\nwant exactly\n%s", strings.Join(body, "\n"), strings.Join(quickStart, "\n"))
	}
	// make test is not run from here (it runs this test): CI runs it, and the
	// Makefile has the target.
	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatalf(".ci/run: %v", err)
	}
	if !hasLine(string(ci), "make test") {
		t.Errorf(".ci/run does not run 'make test':\n%s", ci)
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^test:`).Match(mk) {
		t.Error("the Makefile has no test target")
	}
}

// hasLine reports whether text has a line that, trimmed, is line (comments
// excluded).
func hasLine(text, line string) bool {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(l, "#") && l == line {
			return true
		}
	}
	return false
}

// TestREADMEQuickStartDemo runs the quick start's first command, as written,
// from the repository root in a real terminal (tmux): the console must come
// up with the replicas panel and the help bar, and q must end it with exit
// status 0.
func TestREADMEQuickStartDemo(t *testing.T) {
	root, readme := readREADME(t)
	_, body := quickStartBlock(t, readme)
	if len(body) == 0 || body[0] != quickStart[0] {
		t.Fatalf("README.md quick start does not start with %q: %q", quickStart[0], body)
	}
	tmux, err := exec.LookPath("tmux")
	if err != nil && os.Geteuid() == 0 {
		install := "apt-get -o DPkg::Lock::Timeout=300 update -q && apt-get -o DPkg::Lock::Timeout=300 install -y -q tmux"
		if out, ierr := exec.Command("sh", "-c", install).CombinedOutput(); ierr != nil {
			t.Fatalf("installing tmux failed: %v\n%s", ierr, out)
		}
		tmux, err = exec.LookPath("tmux")
	}
	if err != nil {
		t.Fatalf("tmux is needed to run the demo in a terminal (apt-get install tmux): %v", err)
	}
	sock := filepath.Join(t.TempDir(), "tmux.sock")
	tm := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(tmux, append([]string{"-S", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	tm("-f", "/dev/null", "new-session", "-d", "-s", "readme", "-x", "100", "-y", "30", "-c", root, "sleep 3600")
	t.Cleanup(func() { exec.Command(tmux, "-S", sock, "kill-server").Run() })
	tm("set-option", "-g", "remain-on-exit", "on")
	tm("set-option", "-g", "default-terminal", "xterm-256color")
	// The README's line, run by the shell in the repository root; the shell
	// then records its exit status (tmux's own pane_dead_status proved racy).
	statusFile := filepath.Join(t.TempDir(), "status")
	tm("respawn-pane", "-k", "-t", "readme", "-c", root, "--",
		body[0]+"; echo $? >"+statusFile+".tmp && mv "+statusFile+".tmp "+statusFile)

	pane := func() string { return tm("capture-pane", "-p", "-t", "readme") }
	dead := func() bool {
		return strings.TrimSpace(tm("display-message", "-p", "-t", "readme", "#{pane_dead}")) == "1"
	}
	// go run compiles first: allow for a cold build.
	deadline := time.Now().Add(4 * time.Minute)
	var p string
	for {
		p = pane()
		lower := strings.ToLower(p)
		if strings.Contains(lower, "replicas") && strings.Contains(p, "q quit") && strings.Contains(lower, "messages") {
			break
		}
		if dead() {
			t.Fatalf("%q exited before the console showed; the pane shows:\n%s", body[0], p)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q: no console (replicas and the help bar) within 4 minutes; the pane shows:\n%s", body[0], p)
		}
		time.Sleep(100 * time.Millisecond)
	}
	tm("send-keys", "-t", "readme", "q")
	deadline = time.Now().Add(30 * time.Second)
	for !dead() {
		if time.Now().After(deadline) {
			t.Fatalf("%q did not exit on q; the pane shows:\n%s", body[0], pane())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var st string
	for {
		if b, err := os.ReadFile(statusFile); err == nil {
			st = strings.TrimSpace(string(b))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q: the shell recorded no exit status after q; the pane shows:\n%s", body[0], pane())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st != "0" {
		t.Fatalf("%q exited with status %s after q, want 0; the pane shows:\n%s", body[0], st, pane())
	}
}

// TestQuickStartBlockParsing checks the parser on both README shapes: a
// block right after the intro, and a "Quick start" section further down.
func TestQuickStartBlockParsing(t *testing.T) {
	for name, readme := range map[string]string{
		"after intro":   "# yeetscale\n\nIntro paragraph.\n\n```sh\ngo run ./cmd/yeetscale demo\nmake test\n```\n\n## More\n\n```sh\nother\n```\n",
		"section":       "# yeetscale\n\nIntro.\n\n## Install\n\ntext\n\n## Quick start\n\n```sh\ngo run ./cmd/yeetscale demo\nmake test\n```\n",
		"crlf and text": "# yeetscale\r\n\r\nIntro\r\nmore intro.\r\n\r\n```sh\r\ngo run ./cmd/yeetscale demo\r\nmake test\r\n```\r\n",
	} {
		info, body := quickStartBlock(t, readme)
		if info != "sh" || strings.Join(body, "|") != strings.Join(quickStart, "|") {
			t.Errorf("%s: got ```%s %q", name, info, body)
		}
	}
}

// TestREADMEFlagsBlock checks that the README's "yeetscale --help" block is
// the Flags section of the binary's own help, line for line.
func TestREADMEFlagsBlock(t *testing.T) {
	_, readme := readREADME(t)
	// client-go's --cache-dir default names the home directory; the README
	// shows root's.
	t.Setenv("HOME", "/root")
	var out, errOut strings.Builder
	if code := cli.Main([]string{"yeetscale", "--help"}, strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("yeetscale --help exited %d: %s", code, errOut.String())
	}
	want, ok := flagsSection(out.String())
	if !ok {
		t.Fatalf("yeetscale --help has no Flags: section:\n%s", out.String())
	}
	got, ok := readmeHelpBlock(readme)
	if !ok {
		t.Fatal("README.md has no code block after \"`yeetscale --help`:\"")
	}
	if got != want {
		t.Errorf("README.md's flags block differs from yeetscale --help; replace it with:\n%s", want)
	}
}

// flagsSection returns help's lines from "Flags:" to the first blank line.
func flagsSection(help string) (string, bool) {
	i := strings.Index(help, "\nFlags:\n")
	if i < 0 {
		return "", false
	}
	s := help[i+1:]
	if j := strings.Index(s, "\n\n"); j >= 0 {
		s = s[:j+1]
	}
	return s, true
}

// readmeHelpBlock returns the body of the fenced block that follows the line
// "`yeetscale --help`:".
func readmeHelpBlock(readme string) (string, bool) {
	_, rest, ok := strings.Cut(strings.ReplaceAll(readme, "\r\n", "\n"), "\n`yeetscale --help`:\n")
	if !ok {
		return "", false
	}
	rest = strings.TrimLeft(rest, "\n")
	body, ok := strings.CutPrefix(rest, "```\n")
	if !ok {
		return "", false
	}
	body, _, ok = strings.Cut(body, "\n```")
	return body + "\n", ok
}
