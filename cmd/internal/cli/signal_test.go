package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestSecondInterruptEndsAStuckProcess checks notifyContext's promise: the
// first Ctrl-C cancels the context (a clean stop), and if the process is
// then stuck, a second Ctrl-C ends it. The test binary runs itself as the
// child (helperNotify), which reports the first signal and then hangs.
func TestSecondInterruptEndsAStuckProcess(t *testing.T) {
	if os.Getenv("YEETSCALE_NOTIFY_HELPER") == "1" {
		helperNotify()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSecondInterruptEndsAStuckProcess$")
	cmd.Env = append(os.Environ(), "YEETSCALE_NOTIFY_HELPER=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	expect := func(want string) {
		t.Helper()
		got := make(chan string, 1)
		go func() {
			if lines.Scan() {
				got <- lines.Text()
			}
			close(got)
		}()
		select {
		case l := <-got:
			if l != want {
				t.Fatalf("child said %q, want %q", l, want)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("child did not say %q within 10s", want)
		}
	}
	expect("ready")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	expect("stopping")
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("child ended with %v, want death by SIGINT", err)
		}
		ws, ok := ee.Sys().(syscall.WaitStatus)
		if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
			t.Fatalf("child ended with %v, want death by SIGINT", err)
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("a second Ctrl-C did not end the stuck child within 10s")
	}
}

// helperNotify is the child: it waits for the first signal through
// notifyContext, says so, and then hangs as a process stuck in a timeout
// would.
func helperNotify() {
	ctx, stop := notifyContext(context.Background())
	defer stop()
	fmt.Println("ready")
	<-ctx.Done()
	fmt.Println("stopping")
	time.Sleep(time.Minute)
	fmt.Println("still here")
	os.Exit(3)
}
