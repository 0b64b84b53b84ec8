package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
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

// distVersion is the release version the tests give make dist.
const distVersion = "v0.0.1-test"

// distPlatforms are the platforms of a release: make dist's DIST_PLATFORMS
// and the krew manifest's.
var distPlatforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64"}

// testPlatform is the one platform TestDist builds: a foreign one, so that
// the test proves cross-compilation, and Linux, whose binary must be
// static. Each platform is a full compile of every dependency (about 3
// CPU-minutes cold: 1.5 minutes on two idle cores); make dist builds all
// of distPlatforms.
func testPlatform() string {
	if runtime.GOOS+"/"+runtime.GOARCH == "linux/arm64" {
		return "linux/amd64"
	}
	return "linux/arm64"
}

// TestDist runs make dist-archives for one foreign platform into a
// temporary DIST and checks the archive, its .sha256 file and the binary
// inside (static, right OS and architecture, built with -trimpath, version
// stamped in); then make dist-manifest, with stand-in .sha256 files for the
// other platforms, and checks the rendered krew manifest carries every sum
// to its platform.
func TestDist(t *testing.T) {
	repo := repoRoot(t)
	dist := filepath.Join(t.TempDir(), "dist")
	const version, url = distVersion, "https://example.invalid/releases/" + distVersion
	platform := testPlatform()
	goos, goarch, _ := strings.Cut(platform, "/")
	makeDist := func(target string, vars ...string) {
		t.Helper()
		cmd := exec.Command("make", append([]string{"-C", repo, target, "DIST=" + dist, "VERSION=" + version, "RELEASE_URL=" + url}, vars...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
	}
	makeDist("dist-archives", "DIST_PLATFORMS="+platform, "COMMIT="+testCommit, "DATE="+testDate)
	readme, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	complete, err := os.ReadFile("kubectl_complete-yeetscale")
	if err != nil {
		t.Fatal(err)
	}

	name := fmt.Sprintf("kubectl-yeetscale_%s_%s_%s.tar.gz", version, goos, goarch)
	if entries, err := os.ReadDir(dist); err != nil || len(entries) != 2 {
		t.Errorf("make dist-archives for %s wrote %v (%v), want %s and its .sha256", platform, entries, err, name)
	}
	data, err := os.ReadFile(filepath.Join(dist, name))
	if err != nil {
		t.Fatalf("make dist-archives did not write %s: %v", name, err)
	}
	sum := sha256.Sum256(data)
	sums := map[string]string{platform: hex.EncodeToString(sum[:])} // os/arch -> sha256
	sumFile, err := os.ReadFile(filepath.Join(dist, name+".sha256"))
	if err != nil {
		t.Fatalf("no %s.sha256: %v", name, err)
	}
	// sha256sum's format, checkable with sha256sum -c.
	if want := sums[platform] + "  " + name + "\n"; string(sumFile) != want {
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
	checkBinary(t, name, goos, goarch, files["kubectl-yeetscale"].data)

	// The manifest: the built archive's real sum, stand-ins for the others.
	for _, p := range distPlatforms {
		if p == platform {
			continue
		}
		o, a, _ := strings.Cut(p, "/")
		other := fmt.Sprintf("kubectl-yeetscale_%s_%s_%s.tar.gz", version, o, a)
		stand := sha256.Sum256([]byte(p))
		sums[p] = hex.EncodeToString(stand[:])
		if err := os.WriteFile(filepath.Join(dist, other+".sha256"), []byte(sums[p]+"  "+other+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	makeDist("dist-manifest")
	raw, err := os.ReadFile(filepath.Join(dist, "yeetscale.yaml"))
	if err != nil {
		t.Fatalf("make dist-manifest did not render the krew manifest: %v", err)
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
			t.Errorf("manifest has a platform %s that make dist does not build", key)
			continue
		}
		if p.SHA256 != want {
			t.Errorf("%s: manifest sha256 %s, archive's %s", key, p.SHA256, want)
		}
		o, a, _ := strings.Cut(key, "/")
		if wantURI := fmt.Sprintf("%s/kubectl-yeetscale_%s_%s_%s.tar.gz", url, version, o, a); p.URI != wantURI {
			t.Errorf("%s: uri %s, want %s", key, p.URI, wantURI)
		}
	}
	if len(seen) != len(distPlatforms) {
		t.Errorf("manifest covers %v, want %v", seen, distPlatforms)
	}
}

// TestDistBuildsEveryPlatform checks, without building, that make dist
// still builds the whole matrix and renders the manifest (make -n prints
// the commands it would run).
func TestDistBuildsEveryPlatform(t *testing.T) {
	dist := filepath.Join(t.TempDir(), "dist")
	out, err := exec.Command("make", "-n", "-C", repoRoot(t), "dist", "DIST="+dist, "VERSION="+distVersion).CombinedOutput()
	if err != nil {
		t.Fatalf("make -n dist: %v\n%s", err, out)
	}
	for _, want := range []string{"for p in " + strings.Join(distPlatforms, " ") + "; do", "GOOS=$os GOARCH=$arch", "render-manifest.sh '" + distVersion + "'"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("make -n dist lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(dist); err == nil {
		t.Error("make -n dist created DIST")
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
	var platforms []string
	for _, p := range pl.Spec.Platforms {
		sums[p.SHA256] = true
		platforms = append(platforms, p.Selector.MatchLabels["os"]+"/"+p.Selector.MatchLabels["arch"])
	}
	if len(sums) != len(distPlatforms) {
		t.Errorf("every platform needs its own sha256 placeholder; got %d distinct", len(sums))
	}
	if !slices.Equal(platforms, distPlatforms) {
		t.Errorf("the manifest's platforms are %v, make dist's %v", platforms, distPlatforms)
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

// checkBinary checks that data is a static Linux executable for goarch
// (CGO_ENABLED=0: no program interpreter), built with -trimpath, with the
// test's version, commit and date stamped in. (With -trimpath the build
// information leaves -ldflags out, so the values are in the binary only if
// -X found the variables.)
func checkBinary(t *testing.T, archive, goos, goarch string, data []byte) {
	t.Helper()
	if goos != "linux" {
		t.Fatalf("checkBinary knows Linux binaries only, not %s", goos)
	}
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
	bi, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: no build information in kubectl-yeetscale: %v", archive, err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	for k, v := range map[string]string{"CGO_ENABLED": "0", "-trimpath": "true", "GOOS": goos, "GOARCH": goarch} {
		if settings[k] != v {
			t.Errorf("%s: built with %s=%q, want %q", archive, k, settings[k], v)
		}
	}
	if _, ok := settings["-ldflags"]; ok {
		t.Errorf("%s: the build information holds -ldflags: built without -trimpath?", archive)
	}
	for _, v := range []string{distVersion, testCommit, testDate} {
		if !bytes.Contains(data, []byte(v)) {
			t.Errorf("%s: %q is not stamped into kubectl-yeetscale (-X in make's LDFLAGS)", archive, v)
		}
	}
}
