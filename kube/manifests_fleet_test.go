package kube

import (
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// grants lists a Role's or ClusterRole's rules as group/resource:verb+names.
func grants(t *testing.T, o *unstructured.Unstructured) []string {
	t.Helper()
	var role rbacv1.ClusterRole // a Role's fields are the same
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &role); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range role.Rules {
		for _, res := range r.Resources {
			for _, v := range r.Verbs {
				got = append(got, strings.Join(r.APIGroups, "")+"/"+res+":"+v+strings.Join(r.ResourceNames, ","))
			}
		}
	}
	sort.Strings(got)
	return got
}

// fleetGrants are the fleet mode's rights on the targets: any Deployment.
var fleetGrants = []string{
	"/events:create", "/events:patch", "/pods:list", "/pods:patch",
	"apps/deployments/scale:get", "apps/deployments/scale:update",
	"apps/deployments:get", "apps/deployments:list", "apps/deployments:patch", "apps/deployments:watch",
	"autoscaling/horizontalpodautoscalers:list",
}

// leaseGrants are the rights on the fleet's Lease.
var leaseGrants = []string{
	"coordination.k8s.io/leases:create", "coordination.k8s.io/leases:getyeetscale-fleet",
	"coordination.k8s.io/leases:updateyeetscale-fleet",
}

func TestManifestsFleet(t *testing.T) {
	tests := []struct {
		name   string
		opts   ManifestOptions
		kinds  string
		rules  map[string][]string // kind → grants
		args   []string            // in the Deployment's arguments
		absent []string            // not in them
	}{
		{"namespace", ManifestOptions{Fleet: true, Namespace: "shop"},
			"ServiceAccount,Role,RoleBinding,Deployment",
			map[string][]string{"Role": append(append([]string{}, fleetGrants...), leaseGrants...)},
			[]string{"--fleet", "--namespace=shop", "--leader-elect-lease-name=yeetscale-fleet"},
			[]string{"--deployment", "--queue", "--all-namespaces", "--selector"}},
		{"all namespaces, selector, KEDA", ManifestOptions{AllNamespaces: true, Selector: "team=payments", KEDA: true},
			"ServiceAccount,ClusterRole,ClusterRoleBinding,Role,RoleBinding,Deployment",
			map[string][]string{"ClusterRole": append(append([]string{}, fleetGrants...), "keda.sh/scaledobjects:list"), "Role": leaseGrants},
			[]string{"--fleet", "--all-namespaces", "--selector=team=payments"},
			[]string{"--deployment", "--queue", "--namespace"}},
		{"a selector implies the fleet", ManifestOptions{Selector: "team=payments"},
			"ServiceAccount,Role,RoleBinding,Deployment",
			map[string][]string{"Role": append(append([]string{}, fleetGrants...), leaseGrants...)},
			[]string{"--fleet", "--namespace=yeeter", "--selector=team=payments"},
			[]string{"--deployment", "--all-namespaces"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Image = "example.com/y:1"
			objs, err := ManifestObjects(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, o := range objs {
				kinds = append(kinds, o.GetKind())
				if want, ok := tt.rules[o.GetKind()]; ok {
					sort.Strings(want)
					if got := grants(t, o); strings.Join(got, " ") != strings.Join(want, " ") {
						t.Errorf("%s grants\n  %s\nwant\n  %s", o.GetKind(), strings.Join(got, "\n  "), strings.Join(want, "\n  "))
					}
				}
				if (o.GetKind() == "ClusterRole" || o.GetKind() == "ClusterRoleBinding") && o.GetName() != "yeeter-yeetscale" {
					t.Errorf("%s named %q, want yeeter-yeetscale (namespace-name, unique in the cluster)", o.GetKind(), o.GetName())
				}
			}
			if got := strings.Join(kinds, ","); got != tt.kinds {
				t.Fatalf("kinds %s, want %s", got, tt.kinds)
			}
			var d appsv1.Deployment
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs[len(objs)-1].Object, &d); err != nil {
				t.Fatal(err)
			}
			args := strings.Join(d.Spec.Template.Spec.Containers[0].Args, " ")
			for _, a := range tt.args {
				if !strings.Contains(args, a) {
					t.Errorf("args %q lack %q", args, a)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(args, a) {
					t.Errorf("args %q hold %q", args, a)
				}
			}
		})
	}
}

func TestManifestsFleetRefused(t *testing.T) {
	const crb = "\n---\nkind: ClusterRoleBinding\nroleRef: {kind: ClusterRole, name: cluster-admin}\n"
	tests := []struct {
		name string
		opts ManifestOptions
		want string
	}{
		{"bad selector", ManifestOptions{Selector: "team in (a"}, "invalid --selector"},
		{"selector with a line break", ManifestOptions{Selector: "team=a" + crb}, "--selector holds a control character"},
		{"selector with a separator", ManifestOptions{Selector: "team=a\u2028kind: x"}, "--selector holds a control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Image = "example.com/y:1"
			out, err := Manifests(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.ContainsAny(err.Error(), "\n\u2028") {
				t.Fatalf("err = %v, want one line with %q; output:\n%s", err, tt.want, out)
			}
		})
	}
}
