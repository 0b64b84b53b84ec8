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
	"strings"
	"testing"
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

// distURL is the release URL the tests give make dist.
const distURL = "https://example.invalid/releases/" + distVersion

// archiveName is the release archive of platform ("os/arch").
func archiveName(platform string) string {
	goos, goarch, _ := strings.Cut(platform, "/")
	return fmt.Sprintf("kubectl-yeetscale_%s_%s_%s.tar.gz", distVersion, goos, goarch)
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
	makeDist := func(target string, vars ...string) {
		t.Helper()
		cmd := exec.Command("make", append([]string{"-C", repo, target, "DIST=" + dist, "VERSION=" + distVersion, "RELEASE_URL=" + distURL}, vars...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make %s: %v\n%s", target, err, out)
		}
	}
	platform := testPlatform()
	makeDist("dist-archives", "DIST_PLATFORMS="+platform, "COMMIT="+testCommit, "DATE="+testDate)
	if entries, err := os.ReadDir(dist); err != nil || len(entries) != 2 {
		t.Errorf("make dist-archives for %s wrote %v (%v), want %s and its .sha256", platform, entries, err, archiveName(platform))
	}
	sums := map[string]string{platform: checkArchive(t, repo, dist, platform)} // os/arch -> sha256

	// The manifest: the built archive's real sum, stand-ins for the others.
	for _, p := range distPlatforms {
		if p == platform {
			continue
		}
		stand := sha256.Sum256([]byte(p))
		sums[p] = hex.EncodeToString(stand[:])
		line := sums[p] + "  " + archiveName(p) + "\n"
		if err := os.WriteFile(filepath.Join(dist, archiveName(p)+".sha256"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	makeDist("dist-manifest")
	checkRenderedManifest(t, filepath.Join(dist, "yeetscale.yaml"), sums)
}

// checkArchive checks the archive of platform in dist and its .sha256, and
// returns its sha256.
func checkArchive(t *testing.T, repo, dist, platform string) string {
	t.Helper()
	name := archiveName(platform)
	data, err := os.ReadFile(filepath.Join(dist, name))
	if err != nil {
		t.Fatalf("make dist-archives did not write %s: %v", name, err)
	}
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
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
		name, source string
		mode         int64
	}{{"kubectl-yeetscale", "", 0o755}, {"kubectl_complete-yeetscale", "kubectl_complete-yeetscale", 0o755}, {"README.md", filepath.Join(repo, "README.md"), 0o644}} {
		f, ok := files[want.name]
		if !ok {
			t.Errorf("%s lacks %s (at the top level)", name, want.name)
			continue
		}
		if f.mode != want.mode {
			t.Errorf("%s: %s has mode %o, want %o", name, want.name, f.mode, want.mode)
		}
		if want.source == "" {
			continue
		}
		if source, err := os.ReadFile(want.source); err != nil || !bytes.Equal(f.data, source) {
			t.Errorf("%s: %s differs from the repository's %s (%v)", name, want.name, want.source, err)
		}
	}
	goos, goarch, _ := strings.Cut(platform, "/")
	checkBinary(t, name, goos, goarch, files["kubectl-yeetscale"].data)
	return hexSum
}

// checkRenderedManifest checks the krew manifest make dist rendered: krew's
// shape, the release version, and for every platform its archive's URL and
// its sha256 from sums (os/arch -> sha256).
func checkRenderedManifest(t *testing.T, path string, sums map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("make dist-manifest did not render the krew manifest: %v", err)
	}
	if regexp.MustCompile(`@[A-Z0-9_]+@`).Match(raw) {
		t.Errorf("placeholders left in dist/yeetscale.yaml:\n%s", raw)
	}
	pl := parseManifest(t, raw)
	checkManifest(t, pl)
	if pl.Spec.Version != distVersion {
		t.Errorf("spec.version = %q, want %q", pl.Spec.Version, distVersion)
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
		if wantURI := distURL + "/" + archiveName(key); p.URI != wantURI {
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
