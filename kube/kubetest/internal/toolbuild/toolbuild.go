// Package toolbuild builds the Kubernetes tools of the kubetest harness
// (etcd, kube-apiserver, kube-controller-manager, kubectl, kwok) into their
// cache, once, under a file lock. It needs only the standard library, so
// that a program can start the build (see ../../prebuild) before the
// harness's own dependencies are compiled; kubetest re-exports it.
package toolbuild

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

// Packages maps each tool to its main package in the tools module.
var Packages = map[string]string{
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
func ToolsDir() (string, error) { return CacheDir(EnvToolsDir, "kubetools-"+KubeVersion, "tools") }

// CacheDir returns $env, or $HOME/.cache/yeetscale/name: a build cache of
// the harness (what names it in the error).
func CacheDir(env, name, what string) (string, error) {
	if d := os.Getenv(env); d != "" {
		return filepath.Abs(d)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("kubetest: no home directory for the %s cache (set %s): %w", what, env, err)
	}
	return filepath.Join(home, ".cache", "yeetscale", name), nil
}

// ToolsSrc returns the directory of the tools module.
func ToolsSrc() (string, error) {
	dir := os.Getenv(EnvToolsSrc)
	if dir == "" {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			return "", fmt.Errorf("kubetest: cannot locate the tools module; set %s", EnvToolsSrc)
		}
		dir = filepath.Join(filepath.Dir(file), "..", "..", "tools")
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", fmt.Errorf("kubetest: tools module not found at %s (set %s to kube/kubetest/tools): %w", dir, EnvToolsSrc, err)
	}
	return dir, nil
}

// Ensure makes sure the named tools (default: all) are built in the
// cache directory. When one is missing it builds every missing tool (not
// the present ones) with one `go build` inside the tools module. A file lock serialises parallel test processes, so only
// one builds and the others wait for it. A cold build of everything takes
// several minutes; a deadline on ctx does not interrupt it (a cancellation
// does), but go test's -timeout does: use -timeout 30m on a fresh machine.
// progressf receives a line when a build starts and when it ends, and
// when this process waits for another's build.
func Ensure(ctx context.Context, progressf func(format string, args ...any), names ...string) (Tools, error) {
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
	unlock, waited, err := LockFileReport(filepath.Join(dir, ".lock"), func() {
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
		if _, ok := Packages[n]; !ok {
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
	src, err := ToolsSrc()
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
		args = append(args, Packages[n])
	}
	logPath := filepath.Join(t.Dir, "build.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "%s: cd %s && go %s\n", time.Now().Format(time.RFC3339), src, strings.Join(args, " "))
	bctx, cancel := BuildContext(ctx)
	defer cancel()
	cmd := exec.CommandContext(bctx, GoBin(), args...)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kubetest: building %s in %s failed (%v); log %s:\n%s",
			strings.Join(names, ", "), src, err, logPath, TailFile(logPath, 30))
	}
	for _, n := range names {
		from := filepath.Join(tmp, filepath.Base(Packages[n]))
		if n == Etcd {
			from = filepath.Join(tmp, "server") // go.etcd.io/etcd/server/v3 builds as "server"
		}
		if err := os.Rename(from, t.Bin(n)); err != nil {
			return fmt.Errorf("kubetest: installing %s: %w", n, err)
		}
	}
	return nil
}

// BuildContext returns a context for a build that takes minutes: a
// deadline on ctx (meant for starting servers) does not end it, only an
// explicit cancellation (Ctrl-C) does. Call cancel when the build is done.
func BuildContext(ctx context.Context) (bctx context.Context, cancel func()) {
	bctx, cancelBuild := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			cancelBuild()
		}
	})
	return bctx, func() { stop(); cancelBuild() }
}

// GoBin returns the go command that runs this test (GOROOT/bin/go), or
// "go" from PATH.
func GoBin() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}

// LockFile takes an exclusive flock on path, waiting for other holders.
func LockFile(path string) (unlock func(), err error) {
	unlock, _, err = LockFileReport(path, nil)
	return unlock, err
}

// LockFileReport is LockFile that calls busy (when not nil) before it
// starts waiting for another holder, and says how long it waited.
func LockFileReport(path string, busy func()) (unlock func(), waited time.Duration, err error) {
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

// TailFile returns the last n lines of a file, indented.
func TailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + string(bytes.Join(lines, []byte("\n  ")))
}
