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

// maxExcerpt bounds how much of a broker's (or a proxy's) answer an error
// repeats.
const maxExcerpt = 160

// apiError is the body of a management API error: {"error":..,"reason":..}.
type apiError struct {
	Error  string `json:"error"`
	Reason string `json:"reason"`
}

// rawReason returns the broker's reason from an error body, unescaped, for
// comparing with the reasons above; never print it.
func rawReason(body []byte) string {
	var e apiError
	_ = json.Unmarshal(body, &e)
	if e.Reason != "" {
		return e.Reason
	}
	return e.Error
}

// oneLine squeezes s onto one line of at most n bytes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

// statusText is "404 Not Found" plus what the answer says: the broker's
// reason when it is a management API error, else a short excerpt of the
// body; either way without the password and with control characters
// escaped (a proxy may echo the request's headers).
func (c *Client) statusText(status int, body []byte) string {
	t := fmt.Sprintf("%d %s", status, http.StatusText(status))
	what := rawReason(body)
	if what == "" {
		what = string(body)
	}
	if x := c.scrub.excerpt(what, maxExcerpt); x != "" {
		t += ": " + x
	}
	return t
}

// fail returns an *engine.Error of kind with cause, its message formatted.
// Every outside string among args must already be escaped (%q, Printable,
// redactURL or an excerpt).
func fail(kind, cause error, format string, args ...any) error {
	return &engine.Error{Kind: kind, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// statusError classifies a non-200 answer to the queue GET.
func (c *Client) statusError(ctx context.Context, status int, body []byte) error {
	return c.classify(ctx, status, body, c.vhost, c.queue)
}

// classify classifies a non-200 answer to the GET of queue in vhost, or of
// the list of vhost's queues when queue is "".
func (c *Client) classify(ctx context.Context, status int, body []byte, vhostName, queue string) error {
	r := rawReason(body)
	cause := fmt.Errorf("HTTP status %d", status)
	user, vhost := engine.Printable(shellQuote(c.user)), engine.Printable(shellQuote(vhostName))
	switch {
	case status == http.StatusNotFound && queue == "":
		return fail(engine.ErrNotFound, cause, "vhost %q does not exist at %s: create it, or fix --vhost or the yeetscale.yeeter.io/vhost annotation", vhostName, c.URL())
	case status == http.StatusNotFound:
		if c.vhostMissing(ctx, vhostName) {
			return fail(engine.ErrNotFound, cause, "vhost %q does not exist at %s: fix --vhost", vhostName, c.URL())
		}
		return fail(engine.ErrNotFound, cause, "queue %q not found in vhost %q at %s: declare it or fix --queue/--vhost", queue, vhostName, c.URL())
	case status == http.StatusUnauthorized && r == reasonNotMgmtUser:
		return fail(engine.ErrForbidden, cause, "user %q may not use the management API at %s (%s): give it the monitoring tag (rabbitmqctl set_user_tags %s monitoring)",
			c.user, c.URL(), c.statusText(status, body), user)
	case status == http.StatusUnauthorized && r == reasonNoVHost:
		return fail(engine.ErrForbidden, cause, "user %q may not see vhost %q at %s (%s): grant it permissions there (rabbitmqctl set_permissions -p %s %s '' '' '.*')",
			c.user, vhostName, c.URL(), c.statusText(status, body), vhost, user)
	case status == http.StatusUnauthorized:
		return fail(engine.ErrUnauthorized, cause, "RabbitMQ at %s rejected the credentials of user %q (%s): check $%s/$%s, --%s or --%s/--%s",
			c.URL(), c.user, c.statusText(status, body), EnvUsername, EnvPassword, FlagPasswordFile, FlagUsername, FlagPassword)
	case status == http.StatusForbidden && queue == "":
		return fail(engine.ErrForbidden, cause, "user %q may not list the queues of vhost %q at %s (%s): give it the monitoring tag or permissions on the vhost",
			c.user, vhostName, c.URL(), c.statusText(status, body))
	case status == http.StatusForbidden:
		return fail(engine.ErrForbidden, cause, "user %q may not read queue %q in vhost %q at %s (%s): give it the monitoring tag or permissions on the vhost",
			c.user, queue, vhostName, c.URL(), c.statusText(status, body))
	case status >= 500:
		return fail(engine.ErrUnavailable, cause, "RabbitMQ management API at %s failed (%s): check the broker's health and logs", c.URL(), c.statusText(status, body))
	default:
		return fail(engine.ErrBadResponse, cause, "unexpected answer %s from %s: check that --mgmt-url is the RabbitMQ management API", c.statusText(status, body), c.URL())
	}
}

// vhostMissing asks the API whether the vhost exists after a 404; any
// answer other than a 404 (including no permission to ask) counts as
// "exists", so the queue is named as missing.
func (c *Client) vhostMissing(ctx context.Context, vhost string) bool {
	status, _, err := c.get(ctx, []string{"vhosts", vhost}, "columns=name")
	return err == nil && status == http.StatusNotFound
}

// transportError classifies a failed request. The returned error keeps err
// as its cause (errors.Is(err, context.DeadlineExceeded) and
// errors.Is(err, syscall.ECONNREFUSED) hold) and, when ctx is done, ctx's
// error as well. Its text names the URL without credentials (the request
// URL never holds any: they go in a header).
func (c *Client) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		cause := err
		if !errors.Is(err, ctx.Err()) {
			cause = errors.Join(ctx.Err(), err)
		}
		kind := engine.ErrUnavailable
		if errors.Is(ctx.Err(), context.Canceled) {
			kind = context.Canceled // a stop, not an outage
		}
		return fail(kind, cause, "request to %s abandoned: %s", c.URL(), ctx.Err())
	}
	detail := err
	var ue *url.Error
	if errors.As(err, &ue) {
		detail = ue.Err // url.Error repeats the whole URL
	}
	shown := c.scrub.excerpt(detail.Error(), 200)
	if msg := c.tlsProblem(err, shown); msg != "" {
		return fail(engine.ErrUnavailable, err, "%s", msg)
	}
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fail(engine.ErrUnavailable, err, "RabbitMQ management API at %s did not answer within %s: check the broker and the network, or raise --%s", c.URL(), c.timeout, FlagTimeout)
	case errors.As(err, &dnsErr):
		return fail(engine.ErrUnavailable, err, "cannot resolve host %q of --%s %s (%s): check the host name and DNS", c.base.Hostname(), FlagMgmtURL, c.URL(), engine.Printable(dnsErr.Err))
	case errors.Is(err, syscall.ECONNREFUSED):
		return fail(engine.ErrUnavailable, err, "connection refused by %s: is RabbitMQ running with the management plugin, and is --%s right?", c.URL(), FlagMgmtURL)
	}
	return fail(engine.ErrUnavailable, err, "cannot reach RabbitMQ management API at %s (%s): check --%s and the network", c.URL(), shown, FlagMgmtURL)
}

// tlsProblem words a TLS failure, or returns "" when err is not one. A host
// name mismatch is tested first: since Go 1.20 every verification failure
// also comes wrapped in a *tls.CertificateVerificationError.
func (c *Client) tlsProblem(err error, shown string) string {
	var (
		unknown x509.UnknownAuthorityError
		hostErr x509.HostnameError
		verErr  *tls.CertificateVerificationError
		certErr x509.CertificateInvalidError
		recErr  tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &hostErr):
		return fmt.Sprintf("TLS certificate of %s does not match the host (%s): put a name the certificate holds (its SANs) in --%s, or have the certificate reissued for this host",
			c.URL(), shown, FlagMgmtURL)
	case (errors.As(err, &unknown) || errors.As(err, &verErr) || errors.As(err, &certErr)) && c.caFile != "":
		return fmt.Sprintf("TLS certificate of %s is not trusted even with --%s %s (%s): check that the file holds the CA that signed the broker's certificate and that the certificate is valid now",
			c.URL(), FlagCAFile, engine.Printable(c.caFile), shown)
	case errors.As(err, &unknown) || errors.As(err, &verErr) || errors.As(err, &certErr):
		return fmt.Sprintf("TLS certificate of %s is not trusted (%s): pass its CA with --%s (or --%s for a test broker)", c.URL(), shown, FlagCAFile, FlagInsecure)
	case errors.As(err, &recErr) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Sprintf("%s does not speak TLS: use http:// in --%s", c.URL(), FlagMgmtURL)
	}
	return ""
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
