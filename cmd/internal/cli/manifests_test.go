package cli

import (
	"strings"
	"testing"

	"github.com/yeeter/yeetscale/cmd/internal/version"
	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// TestManifestsImage checks that a release build pins its own version's
// image and that a development build, which has none, needs --image.
func TestManifestsImage(t *testing.T) {
	tests := []struct {
		version string
		args    []string
		code    int
		want    string
	}{
		{"v1.2.3", nil, 0, `image: "` + kube.ImageRepository + `:v1.2.3"`},
		{"v1.2.3", []string{"--image", "registry.example/y:mine"}, 0, `image: "registry.example/y:mine"`},
		{"dev", []string{"--image", "registry.example/y:mine"}, 0, `image: "registry.example/y:mine"`},
		{"dev", nil, ExitUsage, "development build (version dev)"},
		{"v1.2.3-4-gabcdef0-dirty", nil, ExitUsage, "pass --image"},
	}
	saved := version.Version
	t.Cleanup(func() { version.Version = saved })
	for _, tt := range tests {
		t.Run(tt.version+strings.Join(tt.args, " "), func(t *testing.T) {
			version.Version = tt.version
			code, out, errOut := run(t, append([]string{"manifests"}, tt.args...)...)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) {
				t.Fatalf("exit %d, want %d with %q; stdout:\n%s\nstderr: %s", code, tt.code, tt.want, out, errOut)
			}
			if strings.Contains(out, ":latest") {
				t.Errorf("the manifests name an unpinned image")
			}
		})
	}
}

// TestManifestsRefuseInjectionAndCredentials runs the two attacks
// through the command line: both exit as usage errors, print no YAML and
// do not repeat the secret.
func TestManifestsRefuseInjectionAndCredentials(t *testing.T) {
	for _, args := range [][]string{
		{"--queue", "orders\n---\nkind: ClusterRoleBinding"},
		{"--arg=--password=s3cr3t"},
		{"--arg=--password", "--arg=s3cr3t"},
		{"--arg=--mgmt-url=http://u:s3cr3t@rabbit:15672"},
	} {
		code, out, errOut := run(t, append([]string{"manifests", "--image", "example.com/y:v1"}, args...)...)
		if code != ExitUsage || out != "" || strings.Contains(errOut, "s3cr3t") || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
			t.Errorf("%q: exit %d (want %d), stdout %d bytes, stderr %q", args, code, ExitUsage, len(out), errOut)
		}
	}
}

// TestManifestsFleet runs `manifests --fleet`, `-A` and `-l` through the
// command line.
func TestManifestsFleet(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"--fleet", "-n", "shop"}, 0, []string{"kind: Role\n", "- --fleet\n", `"--namespace=shop"`}},
		{[]string{"-A"}, 0, []string{"kind: ClusterRole\n", "kind: ClusterRoleBinding\n", "- --all-namespaces\n"}},
		{[]string{"-l", "team=payments"}, 0, []string{"- --fleet\n", `"--selector=team=payments"`}},
		{[]string{"--fleet", "--deployment", "w"}, ExitUsage, []string{"--deployment names the one target", engine.AnnotationQueue}},
		{[]string{"-A", "--queue", "q"}, ExitUsage, []string{"--queue names the one target"}},
		{[]string{"-l", "team in (a"}, ExitUsage, []string{"invalid --selector"}},
		{[]string{"--from-keda", "--keda"}, ExitUsage, []string{"--from-keda the other way: give one"}},
		{[]string{"--from-keda", "--queue", "q"}, ExitUsage, []string{"--queue: the Deployments and queues come from the ScaledObjects"}},
		{[]string{"--from-keda", "-l", "team in (a"}, ExitUsage, []string{"invalid --selector"}},
		{[]string{"--from-keda", "--kubeconfig", "/nonexistent"}, ExitUsage, []string{"cannot read the kubeconfig"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"manifests", "--image", "example.com/y:v1"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
		})
	}
}
