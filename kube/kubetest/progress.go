package kubetest

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// progressOut is where progressf writes (nil: progressWriter()); tests
// replace it.
var progressOut io.Writer

var progressMu sync.Mutex

// progressf writes one line about a long step (a tool build) where the
// person running the tests sees it. `go test` in package-list mode
// (`go test ./...`) shows nothing a passing test binary writes, not even
// its stderr, so when the parent process is the go command the line goes
// to the go command's own stderr (/proc/PPID/fd/2), and to this process's
// stderr otherwise.
func progressf(format string, args ...any) {
	progressMu.Lock()
	defer progressMu.Unlock()
	w := progressOut
	if w == nil {
		f, done := progressWriter()
		defer done()
		w = f
	}
	fmt.Fprintf(w, format+"\n", args...)
}

// progressWriter returns the go command's stderr when the parent process
// is the go command (Linux), else os.Stderr.
func progressWriter() (io.Writer, func()) {
	ppid := os.Getppid()
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid))
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		return os.Stderr, func() {}
	}
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/2", ppid), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return os.Stderr, func() {}
	}
	return f, func() { f.Close() }
}
