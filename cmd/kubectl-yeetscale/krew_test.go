package main

import (
	"os"
	"path/filepath"
	"regexp"
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
