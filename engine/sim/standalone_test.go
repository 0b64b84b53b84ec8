package sim

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// outsideRefs match a path that leads out of the repository to what a
// clone does not have: the folder beside it that once held the scenarios
// (a parent directory, then "shared", written as a path or as the elements
// of filepath.Join) and this machine's absolute work paths. Written so that
// this file does not match itself.
var outsideRefs = []*regexp.Regexp{
	regexp.MustCompile(`\.\.[/\\]+shared\b`),
	regexp.MustCompile(`"\.\."(\s*,\s*"\.\.")*\s*,\s*"shared"`),
	regexp.MustCompile(`[/]work[/](shared|main|wt)\b`),
}

// outsideRef returns the first reference in line to a path outside the
// repository, or "".
func outsideRef(line string) string {
	for _, re := range outsideRefs {
		if m := re.FindString(line); m != "" {
			return m
		}
	}
	return ""
}

func TestOutsideRef(t *testing.T) {
	up := ".." // spelled apart so that this file does not match itself
	tests := []struct {
		line string
		want bool
	}{
		{`var dir = "` + up + `/` + up + `/shared/scenarios"`, true},
		{`// as specified in ` + up + `/shared/scenarios/README.md.`, true},
		{`filepath.Join("` + up + `", "` + up + `", "` + up + `", "shared", "scenarios")`, true},
		{`filepath.Join("` + up + `", "shared")`, true},
		{`open /wo` + `rk/shared/scenarios/ramp.json`, true},
		{`cd /wo` + `rk/main && make test`, true},
		{`kubetest's shared control plane`, false},
		{`filepath.Join("` + up + `", "` + up + `", "README.md")`, false},
		{`"scenarios/burst-10k.json"`, false},
		{`` + up + `/sharedfoo`, false},
	}
	for _, tt := range tests {
		if got := outsideRef(tt.line) != ""; got != tt.want {
			t.Errorf("outsideRef(%q) = %q, want a match: %v", tt.line, outsideRef(tt.line), tt.want)
		}
	}
}

// TestRepositoryStandsAlone fails if a file of the repository other than
// prose (Markdown) names a path outside it: a fresh clone with nothing
// beside it must build and pass its tests. (It lives here because the
// scenarios were the last thing read from beside the repository.) The files
// are those git tracks plus new ones it does not ignore, or, outside a git
// checkout, every file below the root.
func TestRepositoryStandsAlone(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the repository root %s has no go.mod: %v", root, err)
	}
	files := repoFiles(t, root)
	if len(files) < 50 {
		t.Fatalf("found %d files below %s: too few for the repository", len(files), root)
	}
	for _, f := range files {
		if strings.EqualFold(filepath.Ext(f), ".md") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, f))
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if m := outsideRef(line); m != "" {
				t.Errorf("%s:%d names %q, outside the repository: a clone has nothing beside it (copy what is needed into the repository)", f, i+1, m)
			}
		}
	}
}

// repoFiles lists the repository's files, relative to root.
func repoFiles(t *testing.T, root string) []string {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		var files []string
		for _, f := range bytes.Split(out, []byte{0}) {
			if len(f) > 0 {
				files = append(files, filepath.FromSlash(string(f)))
			}
		}
		return files
	}
	var files []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || path == filepath.Join(root, "bin") || path == filepath.Join(root, "dist")) {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
