package kube

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestManifestObjects(t *testing.T) {
	tests := []struct {
		name      string
		opts      ManifestOptions
		ns, queue string
		keda      bool
	}{
		{"defaults", ManifestOptions{Image: "example.com/y:1"}, "yeeter", DefaultQueue, false},
		{"custom with KEDA", ManifestOptions{Namespace: "ops", Deployment: "w", Queue: `odd "queue"\n: x`, KEDA: true,
			Image: "example.com/y:1", ExtraArgs: []string{"--count=ready"}}, "ops", `odd "queue"\n: x`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, err := ManifestObjects(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, o := range objs {
				kinds = append(kinds, o.GetKind())
				if o.GetNamespace() != tt.ns || o.GetName() != DefaultManifestName {
					t.Errorf("%s %s/%s, want %s/%s", o.GetKind(), o.GetNamespace(), o.GetName(), tt.ns, DefaultManifestName)
				}
			}
			if got := strings.Join(kinds, ","); got != "ServiceAccount,Role,RoleBinding,Deployment" {
				t.Fatalf("kinds %s", got)
			}

			var role rbacv1.Role
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs[1].Object, &role); err != nil {
				t.Fatal(err)
			}
			hasKEDA := false
			for _, r := range role.Rules {
				for _, v := range r.Verbs {
					if v == "delete" || v == "*" || v == "deletecollection" {
						t.Errorf("rule %+v grants %s", r, v)
					}
				}
				for _, res := range r.Resources {
					if res == "secrets" || res == "*" {
						t.Errorf("rule %+v grants %s", r, res)
					}
					hasKEDA = hasKEDA || res == "scaledobjects"
				}
			}
			if hasKEDA != tt.keda {
				t.Errorf("scaledobjects rule = %v, want %v", hasKEDA, tt.keda)
			}

			var d appsv1.Deployment
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(objs[3].Object, &d); err != nil {
				t.Fatal(err)
			}
			c := d.Spec.Template.Spec.Containers[0]
			args := strings.Join(c.Args, " ")
			for _, want := range []string{"--auto", "--leader-elect", "--namespace=" + tt.ns, "--queue=" + tt.queue, "--metrics-addr=:9090", "--mgmt-url=" + DefaultRabbitURL} {
				if !strings.Contains(args, want) {
					t.Errorf("args %q lack %q", args, want)
				}
			}
			env := map[string]string{}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					env[e.Name] = e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
				}
			}
			if env["RABBITMQ_USERNAME"] != "yeeter-secrets/username" || env["RABBITMQ_PASSWORD"] != "yeeter-secrets/password" {
				t.Errorf("secret env %v", env)
			}
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				d.Spec.Template.Spec.SecurityContext.RunAsNonRoot == nil || !*d.Spec.Template.Spec.SecurityContext.RunAsNonRoot {
				t.Errorf("not non-root read-only: %+v", sc)
			}
			if c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe.HTTPGet.Path != "/healthz" {
				t.Errorf("probes %v %v", c.ReadinessProbe.HTTPGet.Path, c.LivenessProbe.HTTPGet.Path)
			}
			if d.Spec.Template.Spec.ServiceAccountName != DefaultManifestName {
				t.Errorf("serviceAccountName %q", d.Spec.Template.Spec.ServiceAccountName)
			}
		})
	}
}

func TestManifestsRejectBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts ManifestOptions
		want string
	}{
		{"namespace", ManifestOptions{Namespace: "Bad NS", Image: "i"}, "invalid namespace"},
		{"deployment", ManifestOptions{Deployment: "x\ny: z", Image: "i"}, "--deployment holds a control character"},
		{"deployment, no DNS name", ManifestOptions{Deployment: "x_y", Image: "i"}, "invalid deployment"},
		{"port", ManifestOptions{MetricsPort: 70000, Image: "i"}, "invalid metrics port"},
		{"secret", ManifestOptions{Secret: "UPPER", Image: "i"}, "invalid secret"},
		{"no image", ManifestOptions{}, "image must not be empty"},
		{"image with a space", ManifestOptions{Image: "a b"}, "invalid --image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Manifests(tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestManifestsRefuseCredentialsInTheURL checks that a password given in
// --mgmt-url never lands in the Deployment's arguments, nor in the error.
func TestManifestsRefuseCredentialsInTheURL(t *testing.T) {
	for _, u := range []string{"http://u:s3cr3t@rabbit:15672", "http//u:s3cr3t@rabbit", "rabbit:15672", "ftp://rabbit"} {
		out, err := Manifests(ManifestOptions{RabbitURL: u, Image: "i"})
		if err == nil {
			t.Errorf("%q: manifests rendered:\n%s", u, out)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%q: the error shows the password: %v", u, err)
		}
	}
}
