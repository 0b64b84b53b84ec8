package kubetest

import (
	"bytes"
	"context"
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yeeter/yeetscale/kube/kubetest/internal/toolbuild"
)

// TestEnsureToolsSaysWhatItBuilds builds one small stand-in tool in a
// scratch cache and checks the two progress lines: one when the build
// starts (what, where, how long to expect) and one when it ends (how long
// it took); a second call with everything built says nothing.
func TestEnsureToolsSaysWhatItBuilds(t *testing.T) {
	src := t.TempDir()
	write := func(name, text string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/faketools\n\ngo 1.22\n")
	write("cmd/kwok/main.go", "package main\n\nfunc main() {}\n")
	cache := t.TempDir()
	t.Setenv(EnvToolsDir, cache)
	t.Setenv(EnvToolsSrc, src)
	if err := os.MkdirAll(filepath.Join(cache, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range AllTools {
		if n != Kwok {
			if err := os.WriteFile(filepath.Join(cache, "bin", n), []byte("stand-in"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	saved := toolbuild.Packages[Kwok]
	toolbuild.Packages[Kwok] = "example.com/faketools/cmd/kwok"
	t.Cleanup(func() { toolbuild.Packages[Kwok] = saved })
	var out bytes.Buffer
	progressOut = &out
	t.Cleanup(func() { progressOut = nil })

	if _, err := EnsureTools(context.Background(), Kwok); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "kubetest: building kwok into ") ||
		!strings.Contains(lines[0], "first run only, about 7 minutes") || !strings.HasPrefix(lines[1], "kubetest: built kwok in ") {
		t.Fatalf("progress lines:\n%s", out.String())
	}
	checkStripped(t, filepath.Join(cache, "bin", Kwok))
	out.Reset()
	if _, err := EnsureTools(context.Background(), Kwok); err != nil || out.Len() != 0 {
		t.Errorf("a warm call: err %v, said %q", err, out.String())
	}
}

// checkStripped fails unless the ELF binary at path was linked with -s -w
// (no symbol table, no DWARF), as the tools are: it halves the links' CPU.
func checkStripped(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, s := range f.Sections {
		if s.Name == ".symtab" || strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			t.Errorf("%s has section %s: not linked with -s -w", path, s.Name)
		}
	}
}
