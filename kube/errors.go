package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"

	"github.com/yeeter/yeetscale/engine"
)

// ManifestsHint is how a Forbidden error tells the user to fix it.
const ManifestsHint = "grant it with the Role from `yeetscale manifests`"

// Error is a failure of a Kubernetes API call, worded for an operator: the
// shared engine.Error, which wraps one of the engine's sentinel errors
// (Kind) and the client-go error it came from (Err), so errors.Is and
// apierrors.IsXxx both keep working.
type Error = engine.Error

// op describes the API call that failed, for the wording of its error.
type op struct {
	Verb      string // get, update, list, ...
	Resource  string // deployments/scale, horizontalpodautoscalers, ...
	Namespace string
	Name      string // object name, "" for list
	Kind      string // human kind for NotFound: "deployment"
	Server    string // API server URL without credentials
	User      string // the user we act as, when known
}

var forbiddenUser = regexp.MustCompile(`User "([^"]*)"`)

// classify turns a client-go error into an *Error wrapping the matching
// engine sentinel. Context cancellation passes through unchanged.
func classify(err error, o op) error {
	if err == nil {
		return nil
	}
	var ke *Error
	if errors.As(err, &ke) || errors.Is(err, context.Canceled) {
		return err
	}
	mk := func(kind error, format string, args ...any) error {
		return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Err: err}
	}
	server := o.Server
	if server == "" {
		server = "the Kubernetes API server"
	}
	switch {
	case apierrors.IsConflict(err):
		return mk(engine.ErrConflict, "conflict: %s %s/%s changed since it was read (somebody else scaled it): yeetscale reads it again and decides anew; a --once run can simply be run again",
			o.Resource, o.Namespace, o.Name)
	case apierrors.IsNotFound(err):
		kind := o.Kind
		if kind == "" {
			kind = o.Resource
		}
		return mk(engine.ErrNotFound, "not found: %s %q in namespace %q (check --namespace and --deployment)",
			kind, o.Name, o.Namespace)
	case apierrors.IsForbidden(err):
		user := o.User
		if m := forbiddenUser.FindStringSubmatch(err.Error()); m != nil {
			user = scrubbed(m[1])
		}
		if user == "" {
			user = "(current user)"
		}
		return mk(engine.ErrForbidden, "forbidden: user %s cannot %s %s in namespace %s: %s",
			user, o.Verb, o.Resource, o.Namespace, ManifestsHint)
	case apierrors.IsUnauthorized(err):
		return mk(engine.ErrUnauthorized, "unauthorized: %s rejected the credentials (401); log in again or check the kubeconfig user",
			server)
	case isTLSConfig(err):
		return mk(engine.ErrUnauthorized, "TLS: cannot verify %s (%s): fix the server address or the certificate-authority in the kubeconfig; this is a configuration error, retrying will not help",
			server, tlsReason(err))
	case isUnavailable(err):
		return mk(engine.ErrUnavailable, "unavailable: cannot reach %s: %s", server, scrubbed(reason(err)))
	}
	return &otherError{msg: fmt.Sprintf("%s %s %s/%s: %s", o.Verb, o.Resource, o.Namespace, o.Name, scrubbed(err.Error())), err: err}
}

// otherError is an error classify has no sentinel for: the operation and
// the API server's own words, scrubbed of the credentials (ServerText) and
// escaped; it wraps the client-go error.
type otherError struct {
	msg string
	err error
}

func (e *otherError) Error() string { return e.msg }
func (e *otherError) Unwrap() error { return e.err }

// isTLSConfig reports errors that mean the TLS connection to the API server
// cannot be set up with this configuration: an untrusted, expired or
// otherwise invalid certificate, a certificate for another host name, a
// failed handshake, or a plain-HTTP server behind an https:// address.
// These do not go away by retrying, so they are not "unavailable".
func isTLSConfig(err error) bool {
	var (
		unknown  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		certErr  x509.CertificateInvalidError
		verifErr *tls.CertificateVerificationError
		recErr   tls.RecordHeaderError
		alertErr tls.AlertError
	)
	switch {
	case errors.As(err, &unknown), errors.As(err, &hostErr), errors.As(err, &certErr),
		errors.As(err, &verifErr), errors.As(err, &recErr), errors.As(err, &alertErr):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "server gave HTTP response to HTTPS client") ||
		strings.Contains(msg, "tls: handshake failure") || strings.Contains(msg, "x509: ")
}

// tlsReason says in a few words what is wrong with the TLS connection.
func tlsReason(err error) string {
	var (
		unknown x509.UnknownAuthorityError
		hostErr x509.HostnameError
		certErr x509.CertificateInvalidError
		recErr  tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknown):
		return "its certificate is signed by an authority the kubeconfig does not trust"
	case errors.As(err, &hostErr):
		return "its certificate is not valid for the host name in the kubeconfig's server address: " + scrubbed(hostErr.Error())
	case errors.As(err, &certErr) && certErr.Reason == x509.Expired:
		return "its certificate has expired or is not yet valid (check the clocks)"
	case errors.As(err, &recErr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "it does not speak TLS: the server address may need http:// or another port"
	}
	return scrubbed(reason(err))
}

// isUnavailable reports errors that mean "the API server could not be
// reached or could not answer now".
func isUnavailable(err error) bool {
	var ue *url.Error
	var ne net.Error
	switch {
	case errors.As(err, &ue), errors.As(err, &ne), utilnet.IsConnectionRefused(err),
		errors.Is(err, context.DeadlineExceeded):
		return true
	case apierrors.IsServerTimeout(err), apierrors.IsTimeout(err), apierrors.IsServiceUnavailable(err),
		apierrors.IsTooManyRequests(err), apierrors.IsInternalError(err):
		return true
	}
	return false
}

// reason shortens a transport error to its last, most specific part
// ("dial tcp 127.0.0.1:1: connect: connection refused"), dropping the
// request URL.
func reason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err.Error()
	}
	return err.Error()
}

// redactURL returns u without user info, query or fragment, so that it can
// be shown in messages.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		if i := strings.LastIndex(u, "@"); i >= 0 {
			return u[i+1:]
		}
		return u
	}
	p.User = nil
	p.RawQuery = ""
	p.Fragment = ""
	return p.String()
}
