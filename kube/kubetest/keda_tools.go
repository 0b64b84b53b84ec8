package kubetest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/yeeter/yeetscale/kube/kubetest/internal/toolbuild"
)

// EnvKEDADir overrides the cache of the KEDA build (default
// $HOME/.cache/yeetscale/keda-v2.21.0): binaries in bin/, the module's
// source (CRDs included) in src/.
const EnvKEDADir = "YEETSCALE_KEDA_DIR"

// KEDA binaries, as they are called in the cache's bin directory.
const (
	KEDAOperator = "keda-operator"
	KEDAAdapter  = "keda-adapter"
)

// KEDATools is a directory with KEDA's operator and metrics adapter built
// and the module's source (for its CRDs).
type KEDATools struct {
	// Dir is the cache directory.
	Dir string
	// BuildTime is how long EnsureKEDA spent building (0 when cached).
	BuildTime time.Duration
}

// Bin returns the path of a KEDA binary.
func (k KEDATools) Bin(name string) string { return filepath.Join(k.Dir, "bin", name) }

// CRDDir is the module's config/crd/bases folder.
func (k KEDATools) CRDDir() string { return filepath.Join(k.Dir, "src", "config", "crd", "bases") }

// KEDADir returns $YEETSCALE_KEDA_DIR or $HOME/.cache/yeetscale/keda-<KEDAVersion>.
func KEDADir() (string, error) { return toolbuild.CacheDir(EnvKEDADir, "keda-"+KEDAVersion, "KEDA") }

// kedaReady reports whether both binaries and the CRDs are in dir.
func kedaReady(k KEDATools) bool {
	for _, p := range []string{k.Bin(KEDAOperator), k.Bin(KEDAAdapter), filepath.Join(k.CRDDir(), "keda.sh_scaledobjects.yaml")} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			return false
		}
	}
	return true
}

// EnsureKEDA builds KEDA's operator and adapter once into the cache (about
// 10 minutes cold on 2 cores, 3.3 GB of memory while linking) and returns
// them. KEDA's module has replace directives, so `go install pkg@version`
// refuses it: the module is downloaded, copied to the cache's src/ folder
// (writable) and built there. It prints one line when a build starts and
// one when it ends; a file lock makes parallel callers wait for one build.
// Only the KEDA benchmark and `yeetscale-lab --keda` call it, never make test.
func EnsureKEDA(ctx context.Context) (KEDATools, error) {
	dir, err := KEDADir()
	if err != nil {
		return KEDATools{}, err
	}
	k := KEDATools{Dir: dir}
	if kedaReady(k) {
		return k, nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return k, fmt.Errorf("kubetest: %w", err)
	}
	unlock, _, err := toolbuild.LockFileReport(filepath.Join(dir, ".lock"), func() {
		progressf("kubetest: another process is building KEDA %s in %s; waiting for it", KEDAVersion, dir)
	})
	if err != nil {
		return k, err
	}
	defer unlock()
	if kedaReady(k) {
		return k, nil
	}
	logPath := filepath.Join(dir, "build.log")
	progressf("kubetest: building KEDA %s (operator and metrics adapter) into %s: first run only, about 10 minutes on 2 cores (log: %s)",
		KEDAVersion, filepath.Join(dir, "bin"), logPath)
	start := time.Now()
	err = buildKEDA(ctx, k, logPath)
	k.BuildTime = time.Since(start)
	if err != nil {
		progressf("kubetest: building KEDA failed after %s", k.BuildTime.Round(time.Second))
		return k, err
	}
	progressf("kubetest: built KEDA %s in %s", KEDAVersion, k.BuildTime.Round(time.Second))
	return k, nil
}

// buildKEDA downloads the module, copies it to dir/src and builds both
// commands into a temporary folder, then moves them into bin/.
func buildKEDA(ctx context.Context, k KEDATools, logPath string) error {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	defer logf.Close()
	// Like the Kubernetes tools: a deadline must not kill a long build;
	// a cancellation does.
	bctx, cancel := toolbuild.BuildContext(ctx)
	defer cancel()
	run := func(dir string, args ...string) ([]byte, error) {
		fmt.Fprintf(logf, "%s: cd %s && go %s\n", time.Now().Format(time.RFC3339), dir, strings.Join(args, " "))
		cmd := exec.CommandContext(bctx, toolbuild.GoBin(), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		cmd.Stderr = logf
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("kubetest: go %s failed (%v); log %s:\n%s", strings.Join(args, " "), err, logPath, tailFile(logPath, 30))
		}
		return out, nil
	}
	src := filepath.Join(k.Dir, "src")
	if _, err := os.Stat(filepath.Join(src, "go.mod")); err != nil {
		out, err := run(k.Dir, "mod", "download", "-json", KEDAModule+"@"+KEDAVersion)
		if err != nil {
			return err
		}
		var mod struct{ Dir, Error string }
		if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
			return fmt.Errorf("kubetest: go mod download %s@%s gave no module folder (%s %v)", KEDAModule, KEDAVersion, mod.Error, err)
		}
		tmp := src + ".tmp"
		_ = os.RemoveAll(tmp)
		if err := os.CopyFS(tmp, os.DirFS(mod.Dir)); err != nil {
			return fmt.Errorf("kubetest: copying %s: %w", mod.Dir, err)
		}
		if err := os.Rename(tmp, src); err != nil {
			return fmt.Errorf("kubetest: %w", err)
		}
	}
	tmp, err := os.MkdirTemp(k.Dir, "build-")
	if err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	defer os.RemoveAll(tmp)
	if _, err := run(src, "build", "-ldflags=-s -w", "-o", tmp+string(filepath.Separator), "./cmd/operator", "./cmd/adapter"); err != nil {
		return err
	}
	for name, built := range map[string]string{KEDAOperator: "operator", KEDAAdapter: "adapter"} {
		if err := os.Rename(filepath.Join(tmp, built), k.Bin(name)); err != nil {
			return fmt.Errorf("kubetest: installing %s: %w", name, err)
		}
	}
	return nil
}
