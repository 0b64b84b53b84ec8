package kube

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/template"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

//go:embed manifests/*.yaml.tmpl
var manifestFS embed.FS

var manifestTemplate = template.Must(template.New("yeetscale.yaml.tmpl").Funcs(template.FuncMap{
	"quote": yamlQuote,
}).ParseFS(manifestFS, "manifests/yeetscale.yaml.tmpl", "manifests/fleet-rbac.yaml.tmpl"))

// Defaults for Manifests.
const (
	DefaultManifestName = "yeetscale"
	// ImageRepository is where the release images are published, tagged
	// with the release version (see ReleaseImage).
	ImageRepository    = "ghcr.io/yeeter/yeetscale"
	DefaultQueue       = "yeeter.simulation.orders"
	DefaultRabbitURL   = "http://rabbitmq.yeeter.svc:15672"
	DefaultSecret      = "yeeter-secrets"
	DefaultMetricsPort = 9090
)

// ManifestOptions fill in the manifests; zero fields take the defaults.
type ManifestOptions struct {
	// Namespace and Deployment name the worker Deployment; yeetscale runs
	// in the same namespace.
	Namespace  string
	Deployment string
	// Queue is the RabbitMQ queue (--queue).
	Queue string
	// VHost is the queue's RabbitMQ virtual host (--vhost, default "/").
	VHost string
	// Image is yeetscale's container image; it has no default (see
	// ReleaseImage): a release build passes its own version's image.
	Image string
	// Name names the ServiceAccount, Role, RoleBinding and Deployment
	// (default "yeetscale").
	Name string
	// RabbitURL is the management API URL, passed as --mgmt-url.
	RabbitURL string
	// Secret holds the RabbitMQ credentials under keys username and
	// password (default "yeeter-secrets").
	Secret string
	// MetricsPort serves /metrics, /readyz and /healthz (default 9090).
	MetricsPort int
	// LeaseName is the leader-election Lease (default yeetscale-<deployment>).
	LeaseName string
	// Replicas of yeetscale itself (default 1; more are safe with leader
	// election).
	Replicas int32
	// KEDA adds the rule to list KEDA ScaledObjects (see HasKEDA).
	KEDA bool
	// ExtraArgs are appended to yeetscale's command line.
	ExtraArgs []string

	// Fleet runs yeetscale in fleet mode (--fleet): it scales every
	// Deployment annotated with yeetscale.yeeter.io/queue (or
	// queue-pattern) in Namespace, with a Role granting list and watch of
	// Deployments and their scale without resourceNames. Deployment and
	// Queue are then unused.
	Fleet bool
	// AllNamespaces (implies Fleet) follows the annotated Deployments of
	// every namespace (--all-namespaces): the rights on Deployments go in
	// a ClusterRole and ClusterRoleBinding, the Lease's in a Role.
	AllNamespaces bool
	// Selector (implies Fleet) narrows the Deployments by label (--selector).
	Selector string
}

// manifestData is what the template sees.
type manifestData struct {
	ManifestOptions
	Labels string
	// ClusterName names the ClusterRole and ClusterRoleBinding of
	// AllNamespaces: <namespace>-<name>, unique in the cluster.
	ClusterName string
}

// withDefaults returns o with every zero field set to its default.
func (o ManifestOptions) withDefaults() ManifestOptions {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.Namespace, DefaultNamespace)
	def(&o.Deployment, DefaultDeployment)
	def(&o.Queue, DefaultQueue)
	def(&o.VHost, "/")
	def(&o.Name, DefaultManifestName)
	def(&o.RabbitURL, DefaultRabbitURL)
	def(&o.Secret, DefaultSecret)
	o.Fleet = o.Fleet || o.AllNamespaces || o.Selector != ""
	if o.Fleet {
		def(&o.LeaseName, o.Name+"-fleet")
	}
	def(&o.LeaseName, LeaseName(o.Deployment))
	if o.MetricsPort == 0 {
		o.MetricsPort = DefaultMetricsPort
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	return o
}

// validate rejects names the API server would reject, before rendering.
func (o ManifestOptions) validate() error {
	if err := o.validateText(); err != nil {
		return err
	}
	for _, f := range []struct{ what, v string }{
		{"namespace", o.Namespace}, {"name", o.Name},
	} {
		if msgs := validation.IsDNS1123Label(f.v); len(msgs) > 0 {
			return fmt.Errorf("manifests: invalid %s %q: %s", f.what, f.v, strings.Join(msgs, "; "))
		}
	}
	for _, f := range []struct{ what, v string }{
		{"deployment", o.Deployment}, {"secret", o.Secret}, {"lease name", o.LeaseName},
	} {
		if msgs := validation.IsDNS1123Subdomain(f.v); len(msgs) > 0 {
			return fmt.Errorf("manifests: invalid %s %q: %s", f.what, f.v, strings.Join(msgs, "; "))
		}
	}
	if o.MetricsPort < 1 || o.MetricsPort > 65535 {
		return fmt.Errorf("manifests: invalid metrics port %d", o.MetricsPort)
	}
	if o.Replicas < 0 {
		return fmt.Errorf("manifests: invalid replicas %d", o.Replicas)
	}
	if o.Queue == "" || o.Image == "" {
		return errors.New("manifests: queue and image must not be empty")
	}
	if strings.ContainsAny(o.Image, " \t\"'") {
		return errors.New("manifests: invalid --image: an image reference has no spaces or quotes (like " + ImageRepository + ":v1.2.3)")
	}
	if err := refuseCredentialArgs(o.ExtraArgs); err != nil {
		return err
	}
	if err := o.validateFleet(); err != nil {
		return err
	}
	u, err := url.Parse(o.RabbitURL)
	switch {
	case strings.Contains(o.RabbitURL, "@"), err == nil && u.User != nil:
		// Never echo it: what comes before the '@' may be a password.
		return errors.New("manifests: --mgmt-url holds credentials; they belong in the Secret (keys username and password), not in the Deployment's arguments, where anyone who can read Deployments sees them")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return errors.New("manifests: --mgmt-url must be a URL like " + DefaultRabbitURL)
	}
	return nil
}

// Manifests returns the YAML (ServiceAccount, Role, RoleBinding,
// Deployment) that runs yeetscale headless in the cluster with
// `--auto --leader-elect`.
func Manifests(opts ManifestOptions) ([]byte, error) {
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	labels := fmt.Sprintf("{app.kubernetes.io/name: yeetscale, app.kubernetes.io/instance: %s, app.kubernetes.io/component: autoscaler}",
		yamlQuote(o.Name))
	var b bytes.Buffer
	data := manifestData{ManifestOptions: o, Labels: labels, ClusterName: o.Namespace + "-" + o.Name}
	if err := manifestTemplate.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("manifests: %w", err)
	}
	return b.Bytes(), nil
}

// ManifestObjects returns Manifests(opts) decoded into objects, in order,
// ready for a dynamic client.
func ManifestObjects(opts ManifestOptions) ([]*unstructured.Unstructured, error) {
	y, err := Manifests(opts)
	if err != nil {
		return nil, err
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(y), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("manifests: decoding: %w", err)
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

// yamlQuote returns s as a double-quoted scalar (JSON strings are valid
// YAML), so no value can break the document's structure.
func yamlQuote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
