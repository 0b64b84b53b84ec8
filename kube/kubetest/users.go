package kubetest

import (
	"context"
	"fmt"
	"path/filepath"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// ConfigAs returns the admin rest.Config impersonating user (and groups):
// the API server authorizes every request as that user, so a user with no
// RBAC bindings gets Forbidden.
func (cp *ControlPlane) ConfigAs(user string, groups ...string) *rest.Config {
	c := rest.CopyConfig(cp.Config)
	c.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return c
}

// ConfigForToken returns a rest.Config that authenticates with token.
func (cp *ControlPlane) ConfigForToken(token string) *rest.Config {
	c := rest.CopyConfig(cp.Config)
	c.BearerToken = token
	c.BearerTokenFile = ""
	return c
}

// NobodyConfig returns a rest.Config for NobodyUser, a static-token user
// that is authenticated but bound to no Role at all.
func (cp *ControlPlane) NobodyConfig() *rest.Config { return cp.ConfigForToken(cp.pki.NobodyToken) }

// NobodyToken returns NobodyUser's bearer token.
func (cp *ControlPlane) NobodyToken() string { return cp.pki.NobodyToken }

// ServiceAccountToken returns a fresh token (TokenRequest API, one hour)
// for an existing ServiceAccount.
func (cp *ControlPlane) ServiceAccountToken(ctx context.Context, namespace, name string) (string, error) {
	expiry := int64(3600)
	tr, err := cp.Client.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}},
		metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("kubetest: token for serviceaccount %s/%s: %w", namespace, name, err)
	}
	return tr.Status.Token, nil
}

// WriteKubeconfig writes a kubeconfig for this cluster that authenticates
// with token, to file name in the control plane's directory, and returns
// its path (for end-to-end tests of a restricted user).
func (cp *ControlPlane) WriteKubeconfig(name, user, token string) (string, error) {
	path := filepath.Join(cp.Dir, name)
	if err := writeKubeconfig(path, cp.URL, cp.pki.CAData, user, token); err != nil {
		return "", err
	}
	return path, nil
}
