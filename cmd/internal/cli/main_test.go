package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/yeeter/yeetscale/kube/kubetest"
)

func TestMain(m *testing.M) {
	if args := os.Getenv(asYeetscale); args != "" {
		os.Exit(mainWith(args)) // a child of a process-level test
	}
	kubetest.Main(m)
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
