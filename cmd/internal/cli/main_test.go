package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/yeeter/yeetscale/kube/kubetest"
)

func TestMain(m *testing.M) {
	if args := os.Getenv(asYeetscale); args != "" {
		os.Exit(mainWith(args)) // a child of a process-level test
	}
	flag.Parse()
	defaultParallel()
	// klog is process-wide and its setters race with client-go's readers:
	// configured here, before the tests run commands in parallel, the
	// commands' own setting is a no-op (klogOnce).
	quietKlog()
	code := kubetest.Run(m)
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// e2eParallel is how many of this package's parallel tests run at once
// unless -parallel says otherwise. The end-to-end tests mostly wait (on
// polls, drains, the broker's 5 s statistics interval), not compute, so
// go test's default, GOMAXPROCS (2 on a 2-core machine), would run them
// nearly one after another.
const e2eParallel = 32

// parallelGiven records whether the command line set -test.parallel.
var parallelGiven bool

// defaultParallel sets -test.parallel to e2eParallel when the command line
// did not set it.
func defaultParallel() {
	flag.Visit(func(f *flag.Flag) { parallelGiven = parallelGiven || f.Name == "test.parallel" })
	if !parallelGiven {
		if err := flag.Set("test.parallel", strconv.Itoa(e2eParallel)); err != nil {
			panic(err) // the testing package always defines it
		}
	}
}

// asYeetscale is the environment variable that makes the test binary run
// as yeetscale with the arguments it holds (a JSON array, argv[0] first),
// for tests that need a process of their own: signals, exit codes.
const asYeetscale = "YEETSCALE_TEST_MAIN_ARGS"

func mainWith(argsJSON string) int {
	var args []string
	if err := json.Unmarshal([]byte(argsJSON), &args); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", asYeetscale, err)
		return 99
	}
	return Main(args, os.Stdin, os.Stdout, os.Stderr)
}

// binary is the yeetscale binary, built once for all of the package's
// tests and removed by TestMain.
var binary struct {
	once      sync.Once
	dir, path string
	err       error
}

// buildBinary returns the path of the yeetscale binary, building it on
// first use as `make build` ships it (stripped, so that memory figures are
// the real ones). Tests must not change the file: they share it.
func buildBinary(t testing.TB) string {
	t.Helper()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "yeetscale-test-")
		if binary.err != nil {
			return
		}
		path := filepath.Join(binary.dir, "yeetscale")
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		cmd := exec.Command(goBin, "build", "-ldflags=-s -w", "-o", path, "github.com/yeeter/yeetscale/cmd/yeetscale")
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		binary.path = path
	})
	if binary.err != nil {
		t.Fatalf("building yeetscale: %v", binary.err)
	}
	return binary.path
}
