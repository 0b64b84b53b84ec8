package kube

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"

	"github.com/yeeter/yeetscale/engine"
)

func TestResolveNamespace(t *testing.T) {
	tests := []struct {
		flag, context, inCluster string
		want, source             string
	}{
		{"", "", "", "yeeter", NamespaceFromDefault},
		{"ops", "", "", "ops", NamespaceFromFlag},
		{"ops", "team", "pod-ns", "ops", NamespaceFromFlag},
		{"", "team", "pod-ns", "team", NamespaceFromContext},
		{"", "", "pod-ns", "pod-ns", NamespaceFromInCluster},
	}
	for _, tt := range tests {
		ns, src := ResolveNamespace(tt.flag, tt.context, tt.inCluster)
		if ns != tt.want || src != tt.source {
			t.Errorf("ResolveNamespace(%q, %q, %q) = %q, %q; want %q, %q", tt.flag, tt.context, tt.inCluster, ns, src, tt.want, tt.source)
		}
	}
}

// kubeconfig has two contexts: "plain" without a namespace (current) and
// "team" with namespace team-a.
const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://user:pw@127.0.0.1:6443"}
users:
- name: u
  user: {token: sekret-token}
contexts:
- name: plain
  context: {cluster: c, user: u}
- name: team
  context: {cluster: c, user: u, namespace: team-a}
current-context: plain
`

func TestOptionsComplete(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBECONFIG", "")
	tests := []struct {
		name                string
		args                []string
		context, ns, source string
		deployment          string
		force               bool
		wantErr             string
	}{
		{"defaults", nil, "plain", "yeeter", NamespaceFromDefault, "yeeter-worker", false, ""},
		{"context namespace", []string{"--context", "team"}, "team", "team-a", NamespaceFromContext, "yeeter-worker", false, ""},
		{"-n wins over the context", []string{"--context", "team", "-n", "ops"}, "team", "ops", NamespaceFromFlag, "yeeter-worker", false, ""},
		{"deployment and force", []string{"--deployment", "w2", "--force", "--namespace=x"}, "plain", "x", NamespaceFromFlag, "w2", true, ""},
		{"bad deployment", []string{"--deployment", "Not_A_Name"}, "", "", "", "", false, `invalid --deployment "Not_A_Name"`},
		{"bad namespace", []string{"-n", "a.b"}, "", "", "", "", false, `invalid --namespace "a.b"`},
		{"unknown context", []string{"--context", "nope"}, "", "", "", "", false, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOptions()
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			o.AddFlags(fs)
			if err := fs.Parse(append([]string{"--kubeconfig", path}, tt.args...)); err != nil {
				t.Fatal(err)
			}
			err := o.Complete()
			if err == nil {
				err = o.Validate()
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Target{Context: tt.context, Namespace: tt.ns, NamespaceSource: tt.source, Deployment: tt.deployment,
				Server: "https://127.0.0.1:6443"}
			if o.Target != want {
				t.Errorf("Target = %+v\nwant     %+v", o.Target, want)
			}
			if o.Force != tt.force {
				t.Errorf("Force = %v", o.Force)
			}
			s, target, err := o.NewScaler(nil)
			if err != nil || target != want || s.Namespace() != tt.ns || s.Deployment() != tt.deployment {
				t.Errorf("NewScaler = %v/%v, %+v, %v", s.Namespace(), s.Deployment(), target, err)
			}
		})
	}
}

func TestOptionsFlags(t *testing.T) {
	o := NewOptions()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.AddFlags(fs)
	for _, name := range []string{"kubeconfig", "context", "namespace", "deployment", "force", "as", "server", "token", "request-timeout"} {
		if fs.Lookup(name) == nil {
			t.Errorf("flag --%s missing", name)
		}
	}
	if f := fs.ShorthandLookup("n"); f == nil || f.Name != "namespace" {
		t.Errorf("-n is not --namespace: %v", f)
	}
	if got := fs.Lookup("deployment").DefValue; got != DefaultDeployment {
		t.Errorf("--deployment default %q", got)
	}
}

func TestNoKubeconfig(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	t.Setenv("HOME", t.TempDir())
	o := NewOptions()
	err := o.Complete()
	if err == nil || !strings.Contains(err.Error(), "no Kubernetes configuration") {
		t.Fatalf("err = %v, want the no-configuration message", err)
	}
}

func TestLeaderOptionsValidate(t *testing.T) {
	tests := []struct {
		name                string
		lease, renew, retry time.Duration
		wantErr             string
	}{
		{"defaults", DefaultLeaseDuration, DefaultRenewDeadline, DefaultRetryPeriod, ""},
		{"short for tests", 3 * time.Second, 2 * time.Second, 200 * time.Millisecond, ""},
		{"zero retry", 3 * time.Second, 2 * time.Second, 0, "--leader-elect-retry-period"},
		{"renew too close to retry", 3 * time.Second, time.Second, time.Second, "--leader-elect-renew-deadline"},
		{"lease not above renew", 2 * time.Second, 2 * time.Second, time.Second, "--leader-elect-lease-duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewLeaderOptions()
			o.LeaseDuration, o.RenewDeadline, o.RetryPeriod = tt.lease, tt.renew, tt.retry
			err := o.Validate()
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Validate() = %v, want error mentioning %q", err, tt.wantErr)
			}
		})
	}
	cfg := NewLeaderOptions().Config(nil, "yeeter", "yeeter-worker")
	if cfg.Name != "yeetscale-yeeter-worker" || cfg.Namespace != "yeeter" || cfg.LeaseDuration != DefaultLeaseDuration {
		t.Errorf("Config = %+v", cfg)
	}
}

// TestUnreachableServer needs no server: nothing listens on port 1.
func TestUnreachableServer(t *testing.T) {
	s, err := NewScaler(&rest.Config{Host: "https://admin:pw@127.0.0.1:1", BearerToken: "sekret-token", Timeout: 5 * time.Second},
		ScalerConfig{Namespace: "yeeter", Deployment: "yeeter-worker"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.GetScale(context.Background())
	if !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "unavailable: cannot reach https://127.0.0.1:1: ") || strings.Contains(msg, "sekret") ||
		strings.Contains(msg, "pw@") {
		t.Errorf("message %q should name the server without credentials", msg)
	}
}
