package cli

import (
	"strings"
	"testing"
)

// TestManifestsKEDA runs `manifests --keda`: the ScaledObject carries the
// --arg settings, needs no image; bad settings, control characters, and
// in fleet mode a kubeconfig that cannot be read, are usage errors, and
// the cluster flags belong to fleet mode; --keda=false keeps its former
// meaning.
func TestManifestsKEDA(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		code    int
		want    []string
		notWant []string
	}{
		{"defaults", []string{"--keda"}, 0,
			[]string{"kind: ScaledObject", "kind: TriggerAuthentication", "maxReplicaCount: 10", `value: "50"`, "mode: QueueLength", "What yeetscale does that this ScaledObject cannot"},
			[]string{"kind: Role", "ServiceAccount"}},
		{"settings from --arg", []string{"--keda", "-n", "shop", "--deployment", "order-worker", "--queue", "orders",
			"--arg=--max-replicas=40", "--arg=--leader-elect", "--arg=--target-messages", "--arg=75", "--arg=--count=ready"}, 0,
			[]string{"maxReplicaCount: 40", `value: "75"`, "namespace: shop", "queueName: orders", "name: order-worker", `excludeUnacknowledged: "true"`}, nil},
		{"--keda=true is --keda", []string{"--keda=true"}, 0, []string{"kind: ScaledObject"}, nil},
		{"--keda=false drops the rule", []string{"--keda=false", "--image", "example.com/y:v1"}, 0, []string{"kind: Deployment"}, []string{"scaledobjects", "kind: ScaledObject"}},
		{"--keda-rule=false drops the rule", []string{"--keda-rule=false", "--image", "example.com/y:v1"}, 0, []string{"kind: Deployment"}, []string{"scaledobjects"}},
		{"plain manifests keep the rule", []string{"--image", "example.com/y:v1"}, 0, []string{"scaledobjects"}, []string{"kind: ScaledObject"}},
		{"fleet without a cluster", []string{"--keda", "--fleet", "--kubeconfig", "/nonexistent/kubeconfig"}, ExitUsage, []string{"cannot read the kubeconfig"}, nil},
		{"fleet with credentials", []string{"--keda", "-A", "--mgmt-url", "http://u:s3cr3t@rabbit:15672"}, ExitUsage, []string{"holds credentials"}, []string{"s3cr3t"}},
		{"fleet with a bad selector", []string{"--keda", "-l", "a=(b"}, ExitUsage, []string{"invalid --selector"}, nil},
		{"--kubeconfig without fleet", []string{"--keda", "--kubeconfig", "/k"}, ExitUsage, []string{"--kubeconfig reads the cluster's annotated Deployments, in fleet mode only"}, nil},
		{"--context without fleet", []string{"--keda", "--context", "prod"}, ExitUsage, []string{"--context reads"}, nil},
		{"bad setting", []string{"--keda", "--arg=--max-replicas=0"}, ExitUsage, []string{"max-replicas"}, nil},
		{"unparsable setting", []string{"--keda", "--arg=--tolerance=lots"}, ExitUsage, []string{"tolerance"}, nil},
		{"injection", []string{"--keda", "--queue", "q\n---\nkind: ClusterRoleBinding"}, ExitUsage, []string{"control character"}, nil},
		{"credentials", []string{"--keda", "--mgmt-url", "http://u:s3cr3t@rabbit:15672"}, ExitUsage, []string{"holds credentials"}, []string{"s3cr3t"}},
		{"not a bool", []string{"--keda=maybe"}, ExitUsage, []string{"--keda=false"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, append([]string{"manifests"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr: %s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("no %q in:\n%s%s", w, out, errOut)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out+errOut, w) {
					t.Errorf("%q in:\n%s%s", w, out, errOut)
				}
			}
			if code != 0 && (out != "" || strings.Count(strings.TrimSpace(errOut), "\n") > 0) {
				t.Errorf("a refusal printed YAML or more than one line: stdout %q stderr %q", out, errOut)
			}
		})
	}
}
