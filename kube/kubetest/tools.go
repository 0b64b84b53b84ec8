package kubetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/yeeter/yeetscale/kube/kubetest/internal/toolbuild"
)

// KubeVersion is the Kubernetes release the harness builds and runs.
const KubeVersion = toolbuild.KubeVersion

// Environment variables that move the harness's files.
const (
	// EnvToolsDir overrides the cache of built binaries
	// (default $HOME/.cache/yeetscale/kubetools-v1.37.2); binaries live in
	// its bin/ subdirectory.
	EnvToolsDir = toolbuild.EnvToolsDir
	// EnvToolsSrc overrides the location of the tools module
	// (default: kube/kubetest/tools).
	EnvToolsSrc = toolbuild.EnvToolsSrc
)

// Tool names, as the binaries are called in the bin directory.
const (
	Etcd                  = toolbuild.Etcd
	KubeAPIServer         = toolbuild.KubeAPIServer
	KubeControllerManager = toolbuild.KubeControllerManager
	Kubectl               = toolbuild.Kubectl
	Kwok                  = toolbuild.Kwok
)

// AllTools lists every tool the harness can build.
var AllTools = toolbuild.AllTools

// Tools is a directory of built control-plane binaries.
type Tools = toolbuild.Tools

// ToolsDir returns the binaries' cache directory: $YEETSCALE_KUBETOOLS_DIR
// or $HOME/.cache/yeetscale/kubetools-<KubeVersion>.
func ToolsDir() (string, error) { return toolbuild.ToolsDir() }

// EnsureTools makes sure the named tools (default: all) are built in the
// cache directory, building every missing one with one `go build`, under a
// file lock that serialises parallel test processes, and saying so on the
// go command's stderr (see toolbuild.Ensure). A cold build of everything
// takes several minutes: use go test -timeout 30m on a fresh machine.
func EnsureTools(ctx context.Context, names ...string) (Tools, error) {
	return toolbuild.Ensure(ctx, progressf, names...)
}

// KwokStages returns the path of the kwok stage configuration (node fast,
// node heartbeat and pod fast stages from the kwok module, joined with
// ---, the pod-ready stage delayed by PodStartupAnnotation), writing it on
// first use.
func KwokStages(ctx context.Context, t Tools) (string, error) {
	path := filepath.Join(t.Dir, "kwok-stages-2.yaml")
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return path, nil
	}
	unlock, err := toolbuild.LockFile(filepath.Join(t.Dir, ".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	src, err := toolbuild.ToolsSrc()
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
			docs = append(docs, bytes.TrimSpace(withReadyDelay(b)))
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
	cmd := exec.CommandContext(ctx, toolbuild.GoBin(), args...)
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
