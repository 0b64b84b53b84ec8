package kubetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// KubeVersion is the Kubernetes release the harness builds and runs.
const KubeVersion = "v1.37.2"

// Environment variables that move the harness's files.
const (
	// EnvToolsDir overrides the cache of built binaries
	// (default $HOME/.cache/yeetscale/kubetools-v1.37.2); binaries live in
	// its bin/ subdirectory.
	EnvToolsDir = "YEETSCALE_KUBETOOLS_DIR"
	// EnvToolsSrc overrides the location of the tools module
	// (default: kube/kubetest/tools beside this source file).
	EnvToolsSrc = "YEETSCALE_KUBETOOLS_SRC"
)

// Tool names, as the binaries are called in the bin directory.
const (
	Etcd                  = "etcd"
	KubeAPIServer         = "kube-apiserver"
	KubeControllerManager = "kube-controller-manager"
	Kubectl               = "kubectl"
	Kwok                  = "kwok"
)

// toolPackages maps each tool to its main package in the tools module.
var toolPackages = map[string]string{
	Etcd:                  "go.etcd.io/etcd/server/v3",
	KubeAPIServer:         "k8s.io/kubernetes/cmd/kube-apiserver",
	KubeControllerManager: "k8s.io/kubernetes/cmd/kube-controller-manager",
	Kubectl:               "k8s.io/kubernetes/cmd/kubectl",
	Kwok:                  "sigs.k8s.io/kwok/cmd/kwok",
}

// AllTools lists every tool the harness can build.
var AllTools = []string{Etcd, KubeAPIServer, KubeControllerManager, Kubectl, Kwok}

// Tools is a directory of built control-plane binaries.
type Tools struct {
	// Dir is the cache directory; binaries are in Dir/bin.
	Dir string
	// BuildTime is how long EnsureTools spent building (0 when all were
	// already there).
	BuildTime time.Duration
}

// Bin returns the path of a built tool.
func (t Tools) Bin(name string) string { return filepath.Join(t.Dir, "bin", name) }

// ToolsDir returns the binaries' cache directory: $YEETSCALE_KUBETOOLS_DIR
// or $HOME/.cache/yeetscale/kubetools-<KubeVersion>.
func ToolsDir() (string, error) { return cacheDir(EnvToolsDir, "kubetools-"+KubeVersion, "tools") }

// cacheDir returns $env, or $HOME/.cache/yeetscale/name: a build cache of
// the harness (what names it in the error).
func cacheDir(env, name, what string) (string, error) {
	if d := os.Getenv(env); d != "" {
		return filepath.Abs(d)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("kubetest: no home directory for the %s cache (set %s): %w", what, env, err)
	}
	return filepath.Join(home, ".cache", "yeetscale", name), nil
}

// toolsSrc returns the directory of the tools module.
func toolsSrc() (string, error) {
	dir := os.Getenv(EnvToolsSrc)
	if dir == "" {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			return "", fmt.Errorf("kubetest: cannot locate the tools module; set %s", EnvToolsSrc)
		}
		dir = filepath.Join(filepath.Dir(file), "tools")
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", fmt.Errorf("kubetest: tools module not found at %s (set %s to kube/kubetest/tools): %w", dir, EnvToolsSrc, err)
	}
	return dir, nil
}

// EnsureTools makes sure the named tools (default: all) are built in the
// cache directory. When one is missing it builds every missing tool (not
// the present ones) with one `go build` inside the tools module. A file lock serialises parallel test processes, so only
// one builds and the others wait for it. A cold build of everything takes
// several minutes; a deadline on ctx does not interrupt it (a cancellation
// does), but go test's -timeout does: use -timeout 30m on a fresh machine.
func EnsureTools(ctx context.Context, names ...string) (Tools, error) {
	if len(names) == 0 {
		names = AllTools
	}
	dir, err := ToolsDir()
	if err != nil {
		return Tools{}, err
	}
	t := Tools{Dir: dir}
	if missing(t, names) == nil {
		return t, nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		return t, fmt.Errorf("kubetest: %w", err)
	}
	unlock, waited, err := lockFileReport(filepath.Join(dir, ".lock"), func() {
		progressf("kubetest: another process is building the Kubernetes tools in %s; waiting for it (first run only)", dir)
	})
	if err != nil {
		return t, err
	}
	defer unlock()
	if missing(t, names) == nil { // another process built them meanwhile
		if waited > 0 {
			progressf("kubetest: the Kubernetes tools are ready (waited %s)", waited.Round(time.Second))
		}
		return t, nil
	}
	// One go build of everything missing links in parallel and spares the
	// next caller (e.g. the workload tools) a second wait.
	miss := missing(t, AllTools)
	progressf("kubetest: building %s into %s: first run only, about 7 minutes on 2 cores (log: %s)",
		joinAnd(miss), filepath.Join(dir, "bin"), filepath.Join(dir, "build.log"))
	start := time.Now()
	err = build(ctx, t, miss)
	t.BuildTime = time.Since(start)
	if err != nil {
		progressf("kubetest: building the Kubernetes tools failed after %s", t.BuildTime.Round(time.Second))
	} else {
		progressf("kubetest: built %s in %s", joinAnd(miss), t.BuildTime.Round(time.Second))
	}
	return t, err
}

// joinAnd returns "a, b and c".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// missing returns the tools that are not in t's bin directory.
func missing(t Tools, names []string) []string {
	var out []string
	for _, n := range names {
		if _, ok := toolPackages[n]; !ok {
			continue
		}
		if fi, err := os.Stat(t.Bin(n)); err != nil || fi.Size() == 0 {
			out = append(out, n)
		}
	}
	return out
}

// build compiles the tools into a temporary directory and moves them into
// bin/, so an interrupted build never leaves a half-written binary.
func build(ctx context.Context, t Tools, names []string) error {
	src, err := toolsSrc()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(t.Dir, "build-")
	if err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	defer os.RemoveAll(tmp)
	// Stripped (-s -w), as nothing here debugs the tools: the links of
	// the large tools take about half the CPU and the binaries are a
	// third smaller.
	args := []string{"build", "-ldflags=-s -w", "-o", tmp + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, toolPackages[n])
	}
	logPath := filepath.Join(t.Dir, "build.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "%s: cd %s && go %s\n", time.Now().Format(time.RFC3339), src, strings.Join(args, " "))
	// A deadline meant for starting servers must not kill a build that
	// takes minutes: only an explicit cancellation (Ctrl-C) stops it.
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			cancel()
		}
	})
	defer stop()
	cmd := exec.CommandContext(bctx, goBin(), args...)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kubetest: building %s in %s failed (%v); log %s:\n%s",
			strings.Join(names, ", "), src, err, logPath, tailFile(logPath, 30))
	}
	for _, n := range names {
		from := filepath.Join(tmp, filepath.Base(toolPackages[n]))
		if n == Etcd {
			from = filepath.Join(tmp, "server") // go.etcd.io/etcd/server/v3 builds as "server"
		}
		if err := os.Rename(from, t.Bin(n)); err != nil {
			return fmt.Errorf("kubetest: installing %s: %w", n, err)
		}
	}
	return nil
}

// goBin returns the go command that runs this test (GOROOT/bin/go), or
// "go" from PATH.
func goBin() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}

// lockFile takes an exclusive flock on path, waiting for other holders.
func lockFile(path string) (unlock func(), err error) {
	unlock, _, err = lockFileReport(path, nil)
	return unlock, err
}

// lockFileReport is lockFile that calls busy (when not nil) before it
// starts waiting for another holder, and says how long it waited.
func lockFileReport(path string, busy func()) (unlock func(), waited time.Duration, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("kubetest: lock: %w", err)
	}
	start := time.Now()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		if busy != nil {
			busy()
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
	}
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("kubetest: lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, time.Since(start), nil
}

// KwokStages returns the path of the kwok stage configuration (node fast,
// node heartbeat and pod fast stages from the kwok module, joined with
// ---), writing it on first use.
func KwokStages(ctx context.Context, t Tools) (string, error) {
	path := filepath.Join(t.Dir, "kwok-stages.yaml")
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return path, nil
	}
	unlock, err := lockFile(filepath.Join(t.Dir, ".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	src, err := toolsSrc()
	if err != nil {
		return "", err
	}
	modDir, err := goOutput(ctx, src, "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok")
	if err == nil && modDir == "" {
		if _, err = goOutput(ctx, src, "mod", "download", "sigs.k8s.io/kwok"); err == nil {
			modDir, err = goOutput(ctx, src, "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok")
		}
	}
	if err != nil {
		return "", err
	}
	if modDir == "" {
		return "", errors.New("kubetest: sigs.k8s.io/kwok is not in the module cache")
	}
	var docs [][]byte
	for _, stage := range []string{"node/fast", "node/heartbeat", "pod/fast"} {
		files, err := filepath.Glob(filepath.Join(modDir, "kustomize", "stage", stage, "*.yaml"))
		if err != nil {
			return "", fmt.Errorf("kubetest: %w", err)
		}
		for _, f := range files {
			if filepath.Base(f) == "kustomization.yaml" {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				return "", fmt.Errorf("kubetest: %w", err)
			}
			docs = append(docs, bytes.TrimSpace(b))
		}
	}
	if len(docs) == 0 {
		return "", fmt.Errorf("kubetest: no kwok stage files under %s/kustomize/stage", modDir)
	}
	out := append(bytes.Join(docs, []byte("\n---\n")), '\n')
	if err := os.WriteFile(path+".tmp", out, 0o644); err != nil {
		return "", fmt.Errorf("kubetest: %w", err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return "", fmt.Errorf("kubetest: %w", err)
	}
	return path, nil
}

// goOutput runs a go command in dir and returns its trimmed stdout.
func goOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, goBin(), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("kubetest: go %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}
