package kube

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// decodeKinds decodes every YAML document of y and returns their kinds.
func decodeKinds(t *testing.T, y []byte) []string {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(y), 4096)
	var kinds []string
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return kinds
		}
		if err != nil {
			t.Fatalf("decoding: %v\n%s", err, y)
		}
		if len(m) > 0 {
			kind, _ := m["kind"].(string)
			kinds = append(kinds, kind)
		}
	}
}

// TestManifestsCannotBeInjected puts a line break followed by a
// ClusterRoleBinding to cluster-admin into every text option: the
// manifests are refused or decode to the four objects, never to a fifth.
func TestManifestsCannotBeInjected(t *testing.T) {
	const crb = "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: pwned}\n" +
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n" +
		"subjects: [{kind: ServiceAccount, name: yeetscale, namespace: yeeter}]\n"
	set := map[string]func(o *ManifestOptions, v string){
		"namespace":  func(o *ManifestOptions, v string) { o.Namespace = v },
		"deployment": func(o *ManifestOptions, v string) { o.Deployment = v },
		"queue":      func(o *ManifestOptions, v string) { o.Queue = v },
		"vhost":      func(o *ManifestOptions, v string) { o.VHost = v },
		"image":      func(o *ManifestOptions, v string) { o.Image = v },
		"name":       func(o *ManifestOptions, v string) { o.Name = v },
		"mgmt-url":   func(o *ManifestOptions, v string) { o.RabbitURL = v },
		"secret":     func(o *ManifestOptions, v string) { o.Secret = v },
		"lease-name": func(o *ManifestOptions, v string) { o.LeaseName = v },
		"arg":        func(o *ManifestOptions, v string) { o.ExtraArgs = []string{v} },
	}
	base := map[string]string{"queue": "orders", "image": "example.com/y:1", "mgmt-url": DefaultRabbitURL, "arg": "--count=ready",
		"namespace": "yeeter", "deployment": "w", "vhost": "/", "name": "y", "secret": "s", "lease-name": "l"}
	for field, setf := range set {
		for _, brk := range []string{"\n", "\r", "\r\n", "\u0085", "\u2028", "\u2029"} {
			t.Run(field+"/"+strconv.QuoteToASCII(brk), func(t *testing.T) {
				o := ManifestOptions{Image: "example.com/y:1"}
				setf(&o, base[field]+brk+crb)
				out, err := Manifests(o)
				if err == nil {
					if kinds := decodeKinds(t, out); strings.Join(kinds, ",") != "ServiceAccount,Role,RoleBinding,Deployment" {
						t.Fatalf("kinds %v:\n%s", kinds, out)
					}
					return
				}
				if strings.ContainsAny(err.Error(), "\n\r\u0085\u2028\u2029") {
					t.Errorf("the error repeats the value raw: %q", err)
				}
			})
		}
	}
	// The reproduction, on the command line's default options.
	out, err := Manifests(ManifestOptions{Image: "example.com/y:1", Queue: "orders\n" + crb})
	if err == nil {
		t.Errorf("a --queue with a newline was accepted:\n%s", out)
	}
}

// TestManifestsRefuseCredentialArgs checks every form of a credential in
// --arg, and that the error never repeats the secret.
func TestManifestsRefuseCredentialArgs(t *testing.T) {
	tests := []struct {
		args    []string
		refused bool
	}{
		{[]string{"--password=s3cr3t"}, true},
		{[]string{"--password", "s3cr3t"}, true},
		{[]string{"--username=bob"}, true},
		{[]string{"--username", "bob"}, true},
		{[]string{"--token=s3cr3t"}, true},
		{[]string{"--token", "s3cr3t"}, true},
		{[]string{"--mgmt-url=http://bob:s3cr3t@rabbit:15672"}, true},
		{[]string{"--mgmt-url", "http://bob:s3cr3t@rabbit:15672"}, true},
		{[]string{"--mgmt-url=http://yeet:/xyzzy+s3cr3t@rabbit:15672"}, true},
		{[]string{"--max-replicas=40", "--password=s3cr3t"}, true},
		{[]string{"--password-file=/var/run/secrets/rabbit/password"}, false},
		{[]string{"--mgmt-url=https://rabbit:15671", "--max-replicas", "40"}, false},
		{[]string{"--count=ready"}, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, err := Manifests(ManifestOptions{Image: "example.com/y:1", ExtraArgs: tt.args})
			if !tt.refused {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted:\n%s", out)
			}
			if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "bob") {
				t.Errorf("the error shows the credential: %v", err)
			}
		})
	}
}

// TestManifestsRoleGrantsExactlyWhatTheCodeCalls pins the Role's rules to
// the calls the Scaler and leader election make (get/update of the scale,
// get/patch of the Deployment, create/patch of Events, list of HPAs and
// ScaledObjects, the Lease, list/patch of pods for the pod choice): no
// patch of the scale, no watch.
func TestManifestsRoleGrantsExactlyWhatTheCodeCalls(t *testing.T) {
	objs, err := ManifestObjects(ManifestOptions{Image: "example.com/y:1", KEDA: true})
	if err != nil {
		t.Fatal(err)
	}
	got := grants(t, objs[1])
	want := []string{
		"/events:create", "/events:patch",
		"/pods:list", "/pods:patch",
		"apps/deployments/scale:getyeeter-worker", "apps/deployments/scale:updateyeeter-worker",
		"apps/deployments:getyeeter-worker", "apps/deployments:patchyeeter-worker",
		"autoscaling/horizontalpodautoscalers:list",
		"coordination.k8s.io/leases:create", "coordination.k8s.io/leases:getyeetscale-yeeter-worker",
		"coordination.k8s.io/leases:updateyeetscale-yeeter-worker",
		"keda.sh/scaledobjects:list",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Role grants\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestReleaseImage checks that only a release version names an image.
func TestReleaseImage(t *testing.T) {
	tests := []struct{ version, want string }{
		{"v0.1.0", ImageRepository + ":v0.1.0"},
		{"v1.12.3-rc.1", ImageRepository + ":v1.12.3-rc.1"},
		{"dev", ""},
		{"v0.1.0-3-g1234abc", ""},
		{"v0.1.0-dirty", ""},
		{"v0.1.0-3-g1234abc-dirty", ""},
		{"1234abc", ""},
		{"latest", ""},
	}
	for _, tt := range tests {
		got, ok := ReleaseImage(tt.version)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("ReleaseImage(%q) = %q, %v; want %q", tt.version, got, ok, tt.want)
		}
	}
}
