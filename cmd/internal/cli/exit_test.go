package cli

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestREADMEExitCodes checks that the README's exit-code table lists
// exactly the codes the command line returns.
func TestREADMEExitCodes(t *testing.T) {
	b, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "\nExit codes:\n\n")
	if !ok {
		t.Fatal(`README.md has no "Exit codes:" table`)
	}
	table, _, _ = strings.Cut(table, "\n\n")
	var documented []int
	for _, row := range strings.Split(table, "\n")[2:] { // after the header and the rule
		first, _, _ := strings.Cut(strings.TrimPrefix(row, "|"), "|")
		for _, m := range regexp.MustCompile("`([0-9]+)`").FindAllStringSubmatch(first, -1) {
			n, _ := strconv.Atoi(m[1])
			documented = append(documented, n)
		}
	}
	returned := []int{ExitOK, ExitFailure, ExitUsage, ExitBroker, ExitCluster, ExitRefused, ExitInterrupted, interrupted{syscall.SIGTERM}.code()}
	slices.Sort(documented)
	slices.Sort(returned)
	if !slices.Equal(documented, returned) {
		t.Errorf("README.md documents the exit codes %v, the command line returns %v", documented, returned)
	}
}
