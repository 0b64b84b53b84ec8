package rabbit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/yeeter/yeetscale/engine"
)

// Reasons RabbitMQ 3.10 gives in the body of a 401 (seen on the broker).
const (
	reasonLoginFailed = "Login failed"
	reasonNotMgmtUser = "Not management user"
	reasonNoVHost     = "User not authorised to access virtual host"
)

// apiError is the body of a management API error: {"error":..,"reason":..}.
type apiError struct {
	Error  string `json:"error"`
	Reason string `json:"reason"`
}

// reason returns the broker's reason from an error body, one line, short.
func reason(body []byte) string {
	var e apiError
	_ = json.Unmarshal(body, &e)
	r := e.Reason
	if r == "" {
		r = e.Error
	}
	return oneLine(r, 160)
}

// oneLine squeezes s onto one line of at most n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

// statusText is "404 Not Found" plus the broker's reason when there is one.
func statusText(status int, body []byte) string {
	t := fmt.Sprintf("%d %s", status, http.StatusText(status))
	if r := reason(body); r != "" {
		t += ": " + r
	}
	return t
}

// statusError classifies a non-200 answer to the queue GET.
func (c *Client) statusError(ctx context.Context, status int, body []byte) error {
	r := reason(body)
	switch {
	case status == http.StatusNotFound:
		if c.vhostMissing(ctx) {
			return kinded(engine.ErrNotFound, "vhost %q does not exist at %s: fix --vhost", c.vhost, c.URL())
		}
		return kinded(engine.ErrNotFound, "queue %q not found in vhost %q at %s: declare it or fix --queue/--vhost", c.queue, c.vhost, c.URL())
	case status == http.StatusUnauthorized && r == reasonNotMgmtUser:
		return kinded(engine.ErrForbidden, "user %q may not use the management API at %s (%s): give it the monitoring tag (rabbitmqctl set_user_tags %s monitoring)",
			c.user, c.URL(), statusText(status, body), c.user)
	case status == http.StatusUnauthorized && r == reasonNoVHost:
		return kinded(engine.ErrForbidden, "user %q may not see vhost %q at %s (%s): grant it permissions there (rabbitmqctl set_permissions -p %s %s '' '' '.*')",
			c.user, c.vhost, c.URL(), statusText(status, body), shellQuote(c.vhost), shellQuote(c.user))
	case status == http.StatusUnauthorized:
		return kinded(engine.ErrUnauthorized, "RabbitMQ at %s rejected the credentials of user %q (%s): check $%s/$%s, --%s or --%s/--%s",
			c.URL(), c.user, statusText(status, body), EnvUsername, EnvPassword, FlagPasswordFile, FlagUsername, FlagPassword)
	case status == http.StatusForbidden:
		return kinded(engine.ErrForbidden, "user %q may not read queue %q in vhost %q at %s (%s): give it the monitoring tag or permissions on the vhost",
			c.user, c.queue, c.vhost, c.URL(), statusText(status, body))
	case status >= 500:
		return kinded(engine.ErrUnavailable, "RabbitMQ management API at %s failed (%s): check the broker's health and logs", c.URL(), statusText(status, body))
	default:
		return kinded(engine.ErrBadResponse, "unexpected answer %s from %s: check that --mgmt-url is the RabbitMQ management API", statusText(status, body), c.URL())
	}
}

// vhostMissing asks the API whether the vhost exists after a 404; any
// answer other than a 404 (including no permission to ask) counts as
// "exists", so the queue is named as missing.
func (c *Client) vhostMissing(ctx context.Context) bool {
	status, _, err := c.get(ctx, []string{"vhosts", c.vhost}, "columns=name")
	return err == nil && status == http.StatusNotFound
}

// transportError classifies a failed request. Its text names the URL without
// credentials (the request URL never holds any: they go in a header).
func (c *Client) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("request to %s abandoned: %w", c.URL(), ctx.Err())
	}
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err // url.Error repeats the whole URL
	}
	var (
		dnsErr   *net.DNSError
		unknown  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		verifErr *tls.CertificateVerificationError
		certErr  x509.CertificateInvalidError
		recErr   tls.RecordHeaderError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return kinded(engine.ErrUnavailable, "RabbitMQ management API at %s did not answer within %s: check the broker and the network, or raise --%s", c.URL(), c.timeout, FlagTimeout)
	case errors.As(err, &dnsErr):
		return kinded(engine.ErrUnavailable, "cannot resolve host %q of --%s %s (%s): check the host name and DNS", c.base.Hostname(), FlagMgmtURL, c.URL(), dnsErr.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return kinded(engine.ErrUnavailable, "connection refused by %s: is RabbitMQ running with the management plugin, and is --%s right?", c.URL(), FlagMgmtURL)
	case errors.As(err, &unknown), errors.As(err, &verifErr), errors.As(err, &certErr):
		return kinded(engine.ErrUnavailable, "TLS certificate of %s is not trusted (%s): pass its CA with --%s (or --%s for a test broker)", c.URL(), oneLine(cause.Error(), 200), FlagCAFile, FlagInsecure)
	case errors.As(err, &hostErr):
		return kinded(engine.ErrUnavailable, "TLS certificate of %s does not match the host (%s): use the name in the certificate in --%s", c.URL(), oneLine(cause.Error(), 200), FlagMgmtURL)
	case errors.As(err, &recErr) || strings.Contains(cause.Error(), "server gave HTTP response to HTTPS client"):
		return kinded(engine.ErrUnavailable, "%s does not speak TLS: use http:// in --%s", c.URL(), FlagMgmtURL)
	}
	return kinded(engine.ErrUnavailable, "cannot reach RabbitMQ management API at %s (%s): check --%s and the network", c.URL(), oneLine(cause.Error(), 200), FlagMgmtURL)
}

// shellQuote quotes s for a shell command line when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@/") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// isTimeout reports whether err is a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// kindedError is an operator's one-line message that is also one of the
// engine's sentinel errors (for metrics and exit codes) without printing
// the sentinel's name after it.
type kindedError struct {
	msg  string
	kind error
}

func (e *kindedError) Error() string { return e.msg }
func (e *kindedError) Unwrap() error { return e.kind }

// kinded returns the message of format and args as an error of kind.
func kinded(kind error, format string, args ...any) error {
	return &kindedError{msg: fmt.Sprintf(format, args...), kind: kind}
}
