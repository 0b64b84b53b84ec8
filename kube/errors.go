package kube

import (
	"context"
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

// Error is a failure of a Kubernetes API call, worded for an operator. It
// wraps one of the engine's sentinel errors (Kind) and the client-go error
// it came from, so errors.Is and apierrors.IsXxx both keep working.
type Error struct {
	// Kind is an engine sentinel such as engine.ErrForbidden.
	Kind error
	// Msg is the whole message Error returns.
	Msg string
	// Err is the underlying client-go error (may be nil).
	Err error
}

// Error returns the operator-facing message.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the sentinel and the underlying error.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

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
			user = m[1]
		}
		if user == "" {
			user = "(current user)"
		}
		return mk(engine.ErrForbidden, "forbidden: user %s cannot %s %s in namespace %s: %s",
			user, o.Verb, o.Resource, o.Namespace, ManifestsHint)
	case apierrors.IsUnauthorized(err):
		return mk(engine.ErrUnauthorized, "unauthorized: %s rejected the credentials (401); log in again or check the kubeconfig user",
			server)
	case isUnavailable(err):
		return mk(engine.ErrUnavailable, "unavailable: cannot reach %s: %s", server, reason(err))
	}
	return fmt.Errorf("%s %s %s/%s: %w", o.Verb, o.Resource, o.Namespace, o.Name, err)
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
