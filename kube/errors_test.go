package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/yeeter/yeetscale/engine"
)

func TestClassify(t *testing.T) {
	scale := schema.GroupResource{Group: "apps", Resource: "deployments/scale"}
	o := op{Verb: "update", Resource: "deployments/scale", Namespace: "yeeter", Name: "yeeter-worker",
		Kind: "deployment", Server: "https://10.0.0.1:6443"}
	refused := &url.Error{Op: "Get", URL: "https://10.0.0.1:6443/apis/apps/v1/namespaces/yeeter/deployments/yeeter-worker/scale",
		Err: fmt.Errorf("dial tcp 10.0.0.1:6443: %w", syscall.ECONNREFUSED)}
	tests := []struct {
		name     string
		err      error
		op       op
		sentinel error
		want     string
	}{
		{"conflict", apierrors.NewConflict(scale, "yeeter-worker", errors.New("the object has been modified")), o,
			engine.ErrConflict, "conflict: deployments/scale yeeter/yeeter-worker changed since it was read (somebody else scaled it): yeetscale reads it again and decides anew; a --once run can simply be run again"},
		{"not found", apierrors.NewNotFound(schema.GroupResource{Group: "apps", Resource: "deployments"}, "yeeter-worker"), o,
			engine.ErrNotFound, `not found: deployment "yeeter-worker" in namespace "yeeter" (check --namespace and --deployment)`},
		{"forbidden names the user from the server", apierrors.NewForbidden(scale, "yeeter-worker",
			errors.New(`User "system:serviceaccount:yeeter:default" cannot update resource "deployments/scale" in API group "apps" in the namespace "yeeter"`)), o,
			engine.ErrForbidden, "forbidden: user system:serviceaccount:yeeter:default cannot update deployments/scale in namespace yeeter: grant it with the Role from `yeetscale manifests`"},
		{"forbidden without a user in the message", apierrors.NewForbidden(scale, "yeeter-worker", errors.New("nope")), o,
			engine.ErrForbidden, "forbidden: user (current user) cannot update deployments/scale in namespace yeeter: grant it with the Role from `yeetscale manifests`"},
		{"unauthorized", apierrors.NewUnauthorized("Unauthorized"), o,
			engine.ErrUnauthorized, "unauthorized: https://10.0.0.1:6443 rejected the credentials (401); log in again or check the kubeconfig user"},
		{"connection refused", refused, o,
			engine.ErrUnavailable, "unavailable: cannot reach https://10.0.0.1:6443: dial tcp 10.0.0.1:6443: connection refused"},
		{"server timeout", apierrors.NewServerTimeout(scale, "update", 1), o,
			engine.ErrUnavailable, "unavailable: cannot reach https://10.0.0.1:6443: "},
		{"too many requests", apierrors.NewTooManyRequests("slow down", 1), op{Verb: "get"},
			engine.ErrUnavailable, "unavailable: cannot reach the Kubernetes API server: slow down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.err, tt.op)
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tt.sentinel)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("the client-go error is not wrapped: %v", err)
			}
			if got := err.Error(); len(got) < len(tt.want) || got[:len(tt.want)] != tt.want {
				t.Errorf("message:\n  %s\nwant prefix:\n  %s", got, tt.want)
			}
		})
	}
}

func TestClassifyPassesThrough(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"nil", nil},
		{"canceled", fmt.Errorf("get: %w", context.Canceled)},
		{"already classified", &Error{Kind: engine.ErrRefused, Msg: "refused: x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err, op{}); got != tt.err {
				t.Errorf("classify(%v) = %v, want it unchanged", tt.err, got)
			}
		})
	}
	other := classify(errors.New("boom"), op{Verb: "get", Resource: "deployments", Namespace: "ns", Name: "d"})
	if got, want := other.Error(), "get deployments ns/d: boom"; got != want || engine.ErrorKind(other) != "other" {
		t.Errorf("other error = %q (kind %s), want %q (other)", got, engine.ErrorKind(other), want)
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://10.0.0.1:6443", "https://10.0.0.1:6443"},
		{"https://admin:s3cret@k8s.example.com:6443/prefix?token=abc#x", "https://k8s.example.com:6443/prefix"},
		{"user:pw@host:6443", "host:6443"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTargetsDeployment(t *testing.T) {
	tests := []struct {
		apiVersion, kind, name string
		want                   bool
	}{
		{"apps/v1", "Deployment", "yeeter-worker", true},
		{"", "Deployment", "yeeter-worker", true},
		{"extensions/v1beta1", "Deployment", "yeeter-worker", true},
		{"apps/v1", "StatefulSet", "yeeter-worker", false},
		{"apps/v1", "Deployment", "other", false},
		{"example.com/v1", "Deployment", "yeeter-worker", false},
	}
	for _, tt := range tests {
		if got := targetsDeployment(tt.apiVersion, tt.kind, tt.name, "yeeter-worker"); got != tt.want {
			t.Errorf("targetsDeployment(%q, %q, %q) = %v, want %v", tt.apiVersion, tt.kind, tt.name, got, tt.want)
		}
	}
}

// TestClassifyTLSAsConfiguration checks that a TLS or certificate problem
// is a configuration error (ErrUnauthorized: retrying will not help), not
// ErrUnavailable, that it keeps its cause, and that a real outage stays
// unavailable.
func TestClassifyTLSAsConfiguration(t *testing.T) {
	wrap := func(err error) error {
		return &url.Error{Op: "Get", URL: "https://10.0.0.1:6443/apis/apps/v1/namespaces/yeeter/deployments/yeeter-worker/scale", Err: err}
	}
	cert := &x509.Certificate{DNSNames: []string{"kubernetes.default"}}
	tests := []struct {
		name     string
		err      error
		sentinel error
		want     string
	}{
		{"unknown authority", wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{Cert: cert}}),
			engine.ErrUnauthorized, "signed by an authority the kubeconfig does not trust"},
		{"unknown authority, bare", wrap(x509.UnknownAuthorityError{Cert: cert}),
			engine.ErrUnauthorized, "signed by an authority the kubeconfig does not trust"},
		{"hostname mismatch", wrap(&tls.CertificateVerificationError{Err: x509.HostnameError{Certificate: cert, Host: "10.0.0.1"}}),
			engine.ErrUnauthorized, "not valid for the host name"},
		{"expired", wrap(x509.CertificateInvalidError{Cert: cert, Reason: x509.Expired}),
			engine.ErrUnauthorized, "expired"},
		{"not TLS", wrap(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}),
			engine.ErrUnauthorized, "does not speak TLS"},
		{"plain HTTP server", wrap(errors.New("http: server gave HTTP response to HTTPS client")),
			engine.ErrUnauthorized, "does not speak TLS"},
		{"handshake failure", wrap(fmt.Errorf("remote error: %w", tls.AlertError(40))),
			engine.ErrUnauthorized, "handshake failure"},
		{"connection refused stays unavailable", wrap(fmt.Errorf("dial tcp 10.0.0.1:6443: %w", syscall.ECONNREFUSED)),
			engine.ErrUnavailable, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.err, op{Verb: "get", Resource: "deployments/scale", Server: "https://10.0.0.1:6443"})
			if !errors.Is(err, tt.sentinel) || (tt.sentinel != engine.ErrUnavailable && errors.Is(err, engine.ErrUnavailable)) {
				t.Fatalf("kind %s (%v), want %v", engine.ErrorKind(err), err, tt.sentinel)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("the cause is not wrapped: %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("message %q lacks %q", err, tt.want)
			}
			if tt.sentinel == engine.ErrUnauthorized && !strings.Contains(err.Error(), "retrying will not help") {
				t.Errorf("message %q does not say that retrying will not help", err)
			}
		})
	}
}

// TestClassifyEscapesServerText checks that text from the API server
// (a user name in a Forbidden message) reaches the message escaped.
func TestClassifyEscapesServerText(t *testing.T) {
	err := classify(apierrors.NewForbidden(schema.GroupResource{Resource: "deployments"}, "d",
		errors.New("User \"evil\x1b]0;pwned\x07\" cannot get")), op{Verb: "get"})
	if strings.ContainsAny(err.Error(), "\x1b\x07") {
		t.Errorf("control characters in %q", err)
	}
}
