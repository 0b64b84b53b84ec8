package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// TestManifestsKEDAFleet runs `manifests --keda` in fleet mode on the real
// apiserver: one ScaledObject per annotated Deployment of -n, narrowed by
// -l, with its annotations over --arg; a Deployment with an invalid
// annotation is skipped with one stderr line; none left is a usage error;
// a user who may not list Deployments gets exit 4 with the right named.
// (TestKEDAFleetManifestsAcceptedByKEDACRDs validates the output against
// KEDA's CRDs.)
func TestManifestsKEDAFleet(t *testing.T) {
	cp := kubetest.Shared(t)
	ns := cp.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, d := range []struct {
		name, team string
		ann        map[string]string
	}{
		{"orders", "shop", map[string]string{"queue": "orders", "max-replicas": "40"}},
		{"bad", "shop", map[string]string{"queue": "x", "max-replicas": "lots\x1b[2J"}},
		{"ops", "ops", map[string]string{"queue": "z"}},
		{"plain", "shop", nil},
	} {
		dep := kubetest.WorkloadDeployment(ns, d.name, 1)
		dep.Labels["team"] = d.team
		dep.Annotations = map[string]string{}
		for k, v := range d.ann {
			dep.Annotations[engine.AnnotationPrefix+k] = v
		}
		if _, err := cp.Client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	nobody, err := cp.WriteKubeconfig("kubeconfig-nobody-"+ns, "nobody", cp.NobodyToken())
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"manifests", "--keda", "--kubeconfig", cp.Kubeconfig, "-n", ns, "--arg=--target-messages=75"}
	for _, tt := range []struct {
		name    string
		args    []string
		code    int
		objects []string // ScaledObjects, in order
		errLine string   // the one stderr line
	}{
		{"selector", []string{"-l", "team=shop"}, ExitOK, []string{"orders"}, "manifests --keda: skipped deployment " + ns + `/bad: invalid annotation yeetscale.yeeter.io/max-replicas="lots\x1b[2J"`},
		{"the namespace", []string{"--fleet"}, ExitOK, []string{"ops", "orders"}, "skipped deployment " + ns + "/bad"},
		{"nothing left", []string{"-l", "team=nobody"}, ExitUsage, nil, "no Deployment to export: 0 annotated, 0 skipped"},
		{"forbidden", []string{"--fleet", "--kubeconfig", nobody}, ExitCluster, nil, "cannot list deployments in namespace " + ns},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, append(append([]string{}, base...), tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.errLine) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Fatalf("exit %d (want %d), stderr %q (want one line with %q); stdout:\n%s", code, tt.code, errOut, tt.errLine, out)
			}
			var names []string
			for _, doc := range strings.Split(out, "\n---\n")[1:] {
				if strings.HasPrefix(doc, "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject") {
					name := doc[strings.Index(doc, "\n  name: ")+len("\n  name: "):]
					names = append(names, name[:strings.Index(name, "\n")])
				}
			}
			if strings.Join(names, ",") != strings.Join(tt.objects, ",") {
				t.Errorf("ScaledObjects %q, want %q:\n%s", names, tt.objects, out)
			}
			if len(tt.objects) > 0 && (strings.Count(out, "kind: TriggerAuthentication") != 1 || !strings.Contains(out, `value: "75"`) || !strings.Contains(out, "maxReplicaCount: 40")) {
				t.Errorf("want one TriggerAuthentication, value 75 from --arg, max 40 from the annotation:\n%s", out)
			}
		})
	}
}

// TestManifestsFromKEDAWithoutKEDA runs manifests --from-keda on a real
// apiserver without KEDA's CRDs: a one-line error that says so, and the
// cluster exit code. (The script itself is run with kubectl against KEDA's
// CRDs in kube's TestFleetFromKEDAScriptOnTheAPIServer.)
func TestManifestsFromKEDAWithoutKEDA(t *testing.T) {
	cp := kubetest.Shared(t)
	ns := cp.Namespace(t)
	code, out, errOut := run(t, "manifests", "--from-keda", "--kubeconfig", cp.Kubeconfig, "-n", ns)
	if code != ExitCluster || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "manifests --from-keda: listing ScaledObjects: the cluster has no scaledobjects.keda.sh resource (KEDA is not installed)") {
		t.Fatalf("exit %d (want %d), stdout %q, stderr %q", code, ExitCluster, out, errOut)
	}
}
