package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// krewPlugin is the part of krew's v1alpha2 Plugin that the index checks.
type krewPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string         `json:"version"`
		Homepage         string         `json:"homepage"`
		ShortDescription string         `json:"shortDescription"`
		Description      string         `json:"description"`
		Caveats          string         `json:"caveats"`
		Platforms        []krewPlatform `json:"platforms"`
	} `json:"spec"`
}

type krewPlatform struct {
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	URI    string `json:"uri"`
	SHA256 string `json:"sha256"`
	Bin    string `json:"bin"`
	Files  []struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"files"`
}

var (
	// krew's rules: a semantic version with a leading v, a lowercase hex
	// sha256, a plugin name of lowercase letters, digits and dashes.
	semverRE = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	nameRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*[a-z0-9]$`)
)

var distPlatforms = []struct{ os, arch string }{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}}

// TestDist runs make dist into a temporary DIST and checks the archives, their
// .sha256 files, the binaries inside (static, right OS and architecture,
// version stamped in) and the rendered krew manifest.
func TestDist(t *testing.T) {
	repo := repoRoot(t)
	dist := filepath.Join(t.TempDir(), "dist")
	const version, url = "v0.0.1-test", "https://example.invalid/releases/v0.0.1-test"
	cmd := exec.Command("make", "-C", repo, "dist", "DIST="+dist, "VERSION="+version,
		"COMMIT="+testCommit, "DATE="+testDate, "RELEASE_URL="+url)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make dist: %v\n%s", err, out)
	}
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	complete, err := os.ReadFile("kubectl_complete-yeetscale")
	if err != nil {
		t.Fatal(err)
	}

	sums := map[string]string{} // os/arch -> sha256
	for _, p := range distPlatforms {
		name := fmt.Sprintf("kubectl-yeetscale_%s_%s_%s.tar.gz", version, p.os, p.arch)
		data, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			t.Fatalf("make dist did not write %s: %v", name, err)
		}
		sum := sha256.Sum256(data)
		hexSum := hex.EncodeToString(sum[:])
		sums[p.os+"/"+p.arch] = hexSum
		sumFile, err := os.ReadFile(filepath.Join(dist, name+".sha256"))
		if err != nil {
			t.Fatalf("no %s.sha256: %v", name, err)
		}
		// sha256sum's format, checkable with sha256sum -c.
		if want := hexSum + "  " + name + "\n"; string(sumFile) != want {
			t.Errorf("%s.sha256 = %q, want %q", name, sumFile, want)
		}

		files := untar(t, name, data)
		if len(files) != 3 {
			t.Errorf("%s holds %d files, want kubectl-yeetscale, kubectl_complete-yeetscale and README.md", name, len(files))
		}
		for _, want := range []struct {
			name string
			mode int64
		}{{"kubectl-yeetscale", 0o755}, {"kubectl_complete-yeetscale", 0o755}, {"README.md", 0o644}} {
			f, ok := files[want.name]
			if !ok {
				t.Errorf("%s lacks %s (at the top level)", name, want.name)
				continue
			}
			if f.mode != want.mode {
				t.Errorf("%s: %s has mode %o, want %o", name, want.name, f.mode, want.mode)
			}
		}
		if !bytes.Equal(files["README.md"].data, readme) {
			t.Errorf("%s: README.md differs from the repository's", name)
		}
		if !bytes.Equal(files["kubectl_complete-yeetscale"].data, complete) {
			t.Errorf("%s: kubectl_complete-yeetscale differs from cmd/kubectl-yeetscale's", name)
		}
		checkBinary(t, name, p.os, p.arch, files["kubectl-yeetscale"].data)
		// The binary for this machine runs, and says its version.
		if p.os == runtime.GOOS && p.arch == runtime.GOARCH {
			bin := filepath.Join(t.TempDir(), "kubectl-yeetscale")
			if err := os.WriteFile(bin, files["kubectl-yeetscale"].data, 0o755); err != nil {
				t.Fatal(err)
			}
			want := "yeetscale " + version + " (commit " + testCommit + ", built " + testDate + ")"
			if got := strings.TrimSpace(mustRun(t, os.Environ(), bin, "version")); got != want {
				t.Errorf("%s: kubectl-yeetscale version = %q, want %q", name, got, want)
			}
		}
	}

	// The rendered manifest: krew's shape, with the archives' real sha256.
	raw, err := os.ReadFile(filepath.Join(dist, "yeetscale.yaml"))
	if err != nil {
		t.Fatalf("make dist did not render the krew manifest: %v", err)
	}
	if regexp.MustCompile(`@[A-Z0-9_]+@`).Match(raw) {
		t.Errorf("placeholders left in dist/yeetscale.yaml:\n%s", raw)
	}
	pl := parseManifest(t, raw)
	checkManifest(t, pl)
	if pl.Spec.Version != version {
		t.Errorf("spec.version = %q, want %q", pl.Spec.Version, version)
	}
	seen := map[string]bool{}
	for _, p := range pl.Spec.Platforms {
		key := p.Selector.MatchLabels["os"] + "/" + p.Selector.MatchLabels["arch"]
		seen[key] = true
		want, ok := sums[key]
		if !ok {
			t.Errorf("manifest has a platform %s that make dist did not build", key)
			continue
		}
		if p.SHA256 != want {
			t.Errorf("%s: manifest sha256 %s, archive's %s", key, p.SHA256, want)
		}
		goos, goarch, _ := strings.Cut(key, "/")
		if wantURI := fmt.Sprintf("%s/kubectl-yeetscale_%s_%s_%s.tar.gz", url, version, goos, goarch); p.URI != wantURI {
			t.Errorf("%s: uri %s, want %s", key, p.URI, wantURI)
		}
	}
	if len(seen) != len(distPlatforms) {
		t.Errorf("manifest covers %v, want linux and darwin on amd64 and arm64", seen)
	}
}

// TestDistNeedsSemver checks that make dist refuses a version krew would
// reject, before building anything.
func TestDistNeedsSemver(t *testing.T) {
	dist := filepath.Join(t.TempDir(), "dist")
	out, err := exec.Command("make", "-C", repoRoot(t), "dist", "DIST="+dist, "VERSION=1e40c03-dirty").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "VERSION '1e40c03-dirty' is not vX.Y.Z") {
		t.Errorf("make dist VERSION=1e40c03-dirty: %v\n%s\nwant a failure naming the version", err, out)
	}
	if _, err := os.Stat(dist); err == nil {
		t.Error("make dist with a bad VERSION created DIST")
	}
}

// TestManifestTemplate checks the kept manifest: krew's shape, one
// placeholder per platform for the renderer, the files the archives hold.
func TestManifestTemplate(t *testing.T) {
	raw, err := os.ReadFile("yeetscale.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Render with dummy values the way render-manifest.sh does, then check.
	r := strings.NewReplacer("@VERSION@", "v1.2.3", "@URL@", "https://example.invalid/v1.2.3",
		"@SHA256_LINUX_AMD64@", strings.Repeat("a", 64), "@SHA256_LINUX_ARM64@", strings.Repeat("b", 64),
		"@SHA256_DARWIN_AMD64@", strings.Repeat("c", 64), "@SHA256_DARWIN_ARM64@", strings.Repeat("d", 64))
	pl := parseManifest(t, []byte(r.Replace(string(raw))))
	checkManifest(t, pl)
	sums := map[string]bool{}
	for _, p := range pl.Spec.Platforms {
		sums[p.SHA256] = true
	}
	if len(sums) != 4 {
		t.Errorf("every platform needs its own sha256 placeholder; got %d distinct", len(sums))
	}
}

// checkManifest applies krew's manifest rules.
func checkManifest(t *testing.T, pl krewPlugin) {
	t.Helper()
	if pl.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || pl.Kind != "Plugin" {
		t.Errorf("apiVersion/kind = %s/%s", pl.APIVersion, pl.Kind)
	}
	// The index requires the file to be named after the plugin, and the
	// plugin's binary to be kubectl-<name>.
	if pl.Metadata.Name != "yeetscale" || !nameRE.MatchString(pl.Metadata.Name) {
		t.Errorf("metadata.name = %q, want yeetscale", pl.Metadata.Name)
	}
	if !semverRE.MatchString(pl.Spec.Version) {
		t.Errorf("spec.version %q is not a v-prefixed semantic version", pl.Spec.Version)
	}
	if !strings.HasPrefix(pl.Spec.Homepage, "https://") {
		t.Errorf("spec.homepage %q is not an https URL", pl.Spec.Homepage)
	}
	if n := len(pl.Spec.ShortDescription); n == 0 || n > 50 || strings.Contains(pl.Spec.ShortDescription, "\n") {
		t.Errorf("spec.shortDescription %q: want one line of at most 50 characters", pl.Spec.ShortDescription)
	}
	if strings.TrimSpace(pl.Spec.Description) == "" {
		t.Error("spec.description is empty")
	}
	if len(pl.Spec.Platforms) == 0 {
		t.Fatal("no platforms")
	}
	selectors := map[string]bool{}
	for i, p := range pl.Spec.Platforms {
		ml := p.Selector.MatchLabels
		key := ml["os"] + "/" + ml["arch"]
		if len(ml) != 2 || ml["os"] == "" || ml["arch"] == "" {
			t.Errorf("platform %d: selector matchLabels %v, want os and arch", i, ml)
		}
		if selectors[key] {
			t.Errorf("platform %s appears twice", key)
		}
		selectors[key] = true
		if !strings.HasPrefix(p.URI, "https://") || !strings.HasSuffix(p.URI, ".tar.gz") {
			t.Errorf("%s: uri %q, want an https .tar.gz", key, p.URI)
		}
		if !sha256RE.MatchString(p.SHA256) {
			t.Errorf("%s: sha256 %q is not 64 lowercase hex digits", key, p.SHA256)
		}
		if p.Bin != "kubectl-yeetscale" {
			t.Errorf("%s: bin %q, want kubectl-yeetscale", key, p.Bin)
		}
		from := map[string]bool{}
		for _, f := range p.Files {
			if f.From == "" || f.To == "" || strings.Contains(f.To, "..") || filepath.IsAbs(f.To) {
				t.Errorf("%s: bad file entry %+v", key, f)
			}
			from[f.From] = true
		}
		for _, want := range []string{"kubectl-yeetscale", "kubectl_complete-yeetscale", "README.md"} {
			if !from[want] {
				t.Errorf("%s: files do not copy %s", key, want)
			}
		}
	}
}

func parseManifest(t *testing.T, raw []byte) krewPlugin {
	t.Helper()
	var pl krewPlugin
	if err := yaml.UnmarshalStrict(raw, &pl); err != nil {
		t.Fatalf("krew manifest: %v\n%s", err, raw)
	}
	return pl
}

type tarFile struct {
	mode int64
	data []byte
}

// untar returns the regular files of a .tar.gz by name; anything else in it
// (directories, links, nested paths) fails the test.
func untar(t *testing.T, name string, data []byte) map[string]tarFile {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	tr := tar.NewReader(zr)
	files := map[string]tarFile{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if h.Typeflag != tar.TypeReg || strings.Contains(h.Name, "/") {
			t.Errorf("%s: unexpected entry %q (type %c)", name, h.Name, h.Typeflag)
			continue
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: %s owned by %d:%d, want 0:0", name, h.Name, h.Uid, h.Gid)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		files[h.Name] = tarFile{mode: h.Mode & 0o7777, data: b}
	}
}

// checkBinary checks that data is an executable for goos/goarch and, on
// Linux, statically linked (CGO_ENABLED=0: no program interpreter).
func checkBinary(t *testing.T, archive, goos, goarch string, data []byte) {
	t.Helper()
	switch goos {
	case "linux":
		f, err := elf.NewFile(bytes.NewReader(data))
		if err != nil {
			t.Errorf("%s: kubectl-yeetscale is not ELF: %v", archive, err)
			return
		}
		want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]
		if f.Machine != want {
			t.Errorf("%s: ELF machine %v, want %v", archive, f.Machine, want)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s: kubectl-yeetscale is dynamically linked (PT_INTERP): built without CGO_ENABLED=0?", archive)
			}
		}
	case "darwin":
		f, err := macho.NewFile(bytes.NewReader(data))
		if err != nil {
			t.Errorf("%s: kubectl-yeetscale is not Mach-O: %v", archive, err)
			return
		}
		want := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[goarch]
		if f.Cpu != want || f.Type != macho.TypeExec {
			t.Errorf("%s: Mach-O cpu %v type %v, want %v executable", archive, f.Cpu, f.Type, want)
		}
	}
}
