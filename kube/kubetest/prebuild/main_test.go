package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPrebuildNeedsOnlyTheStandardLibrary: the program can start the
// tools' build before anything else is compiled only while it and
// toolbuild import nothing outside the standard library.
func TestPrebuildNeedsOnlyTheStandardLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string]bool{
		"github.com/yeeter/yeetscale/kube/kubetest/prebuild":           true,
		"github.com/yeeter/yeetscale/kube/kubetest/internal/toolbuild": true,
	}
	for _, p := range strings.Fields(string(out)) {
		if !allowed[p] {
			t.Errorf("prebuild depends on %s: only the standard library and internal/toolbuild may be compiled before it starts", p)
		}
	}
}

// TestMakeTestStartsPrebuildFirst: make test starts the tools' build in
// the background before go vet and go test compile anything.
func TestMakeTestStartsPrebuildFirst(t *testing.T) {
	out, err := exec.Command("make", "-n", "-C", "../../..", "test").CombinedOutput()
	if err != nil {
		t.Fatalf("make -n test: %v\n%s", err, out)
	}
	s := string(out)
	pre, vet, test := strings.Index(s, `"$tmp/prebuild" &`), strings.Index(s, "vet ./..."), strings.Index(s, "test -count=1")
	if pre < 0 || vet < 0 || test < 0 || !(pre < vet && vet < test) {
		t.Errorf("make test should start prebuild (at %d) in the background before go vet (%d) and go test (%d):\n%s", pre, vet, test, s)
	}
}
