package sim

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
)

// builtinFS holds the built-in scenarios, one JSON file per scenario named
// after it; scenarios/README.md documents the file format.
//
//go:embed scenarios/*.json
var builtinFS embed.FS

// All is the argument that stands for every built-in scenario.
const All = "all"

var builtins = sync.OnceValues(func() ([]Scenario, error) {
	files, err := fs.Glob(builtinFS, "scenarios/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	scs := make([]Scenario, 0, len(files))
	for _, f := range files {
		data, err := builtinFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		sc, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("built-in scenario %s: %w", f, err)
		}
		if want := strings.TrimSuffix(path.Base(f), ".json"); sc.Name != want || want == All {
			return nil, fmt.Errorf("built-in scenario %s is named %q: the name must be the file's and not %q", f, sc.Name, All)
		}
		scs = append(scs, sc)
	}
	return scs, nil
})

// Builtins returns every built-in scenario, sorted by name. It panics if
// one of them is invalid, which the package's tests rule out.
func Builtins() []Scenario {
	scs, err := builtins()
	if err != nil {
		panic(err)
	}
	return append([]Scenario(nil), scs...)
}

// BuiltinNames returns the names of the built-in scenarios, sorted.
func BuiltinNames() []string {
	var names []string
	for _, sc := range Builtins() {
		names = append(names, sc.Name)
	}
	return names
}

// Builtin returns the built-in scenario called name.
func Builtin(name string) (Scenario, bool) {
	for _, sc := range Builtins() {
		if sc.Name == name {
			return sc, true
		}
	}
	return Scenario{}, false
}

// ErrUnknownScenario is returned by Resolve for an argument that is neither
// a built-in scenario's name nor a file.
var ErrUnknownScenario = errors.New("unknown scenario")

// Resolve turns a command-line argument into scenarios:
//   - "all" is every built-in scenario;
//   - an argument that looks like a path (it holds a "/" or ends in
//     ".json") is always a file: ./burst-10k reads the file even though a
//     built-in has that name;
//   - otherwise a built-in's name is that built-in, wherever the command
//     runs; any other name is read as a file if one exists.
func Resolve(arg string) ([]Scenario, error) {
	if arg == All {
		return Builtins(), nil
	}
	if !looksLikePath(arg) {
		if sc, ok := Builtin(arg); ok {
			return []Scenario{sc}, nil
		}
		if _, err := os.Stat(arg); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w %q: no built-in scenario and no file of that name (built-in: %s, or %q for all of them; a file: a path such as ./%s.json)",
				ErrUnknownScenario, arg, strings.Join(BuiltinNames(), ", "), All, arg)
		}
	}
	sc, err := Load(arg)
	if err != nil {
		return nil, err
	}
	return []Scenario{sc}, nil
}

// looksLikePath reports whether arg can only mean a file.
func looksLikePath(arg string) bool {
	return strings.ContainsRune(arg, '/') || strings.ContainsRune(arg, os.PathSeparator) || strings.HasSuffix(arg, ".json")
}
