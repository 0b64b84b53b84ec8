package rabbit

// Why net/http and not github.com/michaelklishin/rabbit-hole/v2 (v2.12.0,
// read before deciding):
//   - its MessageStats rates (RateDetails) and ConsumerUtilisation are plain
//     values, so "not reported yet" decodes as 0; this package must report an
//     unknown rate, which needs its own types anyway;
//   - GetQueue takes no context, so polls could not be cancelled with the
//     controller; it builds a new http.Client per request;
//   - a 401 becomes errors.New("... 401 Unauthorized") with the body dropped,
//     so "Login failed" cannot be told from "Not management user" (both 401
//     in RabbitMQ 3.10), and transport errors come back unclassified;
//   - one GET with the columns parameter is all this package needs
//     (GetQueueWithParameters could send it, the rest would still be ours).
// What is left by hand is one request, status mapping and a small decoder.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// maxBody bounds the response read; a queue object with the columns used is
// a few hundred bytes.
const maxBody = 1 << 20

// Client reads one queue's statistics from the management API. It is safe
// for concurrent use.
type Client struct {
	base     *url.URL // without userinfo
	vhost    string
	queue    string
	user     string
	password Secret
	caFile   string
	scrub    scrubber // the password's forms, for what the broker echoes
	timeout  time.Duration
	hc       *http.Client
	rates    *rateTracker
	now      func() time.Time
}

var _ engine.QueueSource = (*Client)(nil)

// New returns a client for o, which must have been completed (Complete). It
// validates o and loads --mgmt-ca-file.
func New(o Options) (*Client, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	base, _ := url.Parse(o.MgmtURL) // Validate parsed it
	base.Path = strings.TrimSuffix(base.Path, "/")
	base.RawPath = ""
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 2
	if base.Scheme == "https" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.InsecureSkipTLSVerify} //nolint:gosec // opt-in flag
		if o.CAFile != "" {
			pool, err := loadCAs(o.CAFile, o.ReadFile)
			if err != nil {
				return nil, err
			}
			cfg.RootCAs = pool
		}
		tr.TLSClientConfig = cfg
	}
	return &Client{
		base: base, vhost: o.VHost, queue: o.Queue, user: o.Username, password: o.Password,
		caFile: o.CAFile, scrub: newScrubber(o.Username, o.Password.Reveal()),
		timeout: o.Timeout, rates: newRateTracker(), now: time.Now,
		hc: &http.Client{
			Transport: tr,
			// The API never redirects; following one could send the
			// credentials elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// CheckCAFile reads --mgmt-ca-file, if given, as New will: a missing,
// unreadable or certificate-less file is the same error New returns, found
// before anything else connects (a usage error, not a later cluster one).
func (o Options) CheckCAFile() error {
	if o.CAFile == "" {
		return nil
	}
	_, err := loadCAs(o.CAFile, o.ReadFile)
	return err
}

// loadCAs returns the system's CA pool plus the certificates in file, read
// with readFile when not nil (tests) or else with a size cap of MaxCAFile.
func loadCAs(file string, readFile func(string) ([]byte, error)) (*x509.CertPool, error) {
	if readFile == nil {
		readFile = func(p string) ([]byte, error) { return engine.ReadCapped(p, MaxCAFile) }
	}
	pem, err := readFile(file)
	if err != nil {
		return nil, fileError(FlagCAFile, file, err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, &engine.ConfigError{Flag: FlagCAFile, Value: engine.Printable(file), Allowed: "holds no PEM certificate"}
	}
	return pool, nil
}

// URL returns the management API's base URL as it may be printed: without
// credentials (see redactURL), control characters escaped.
func (c *Client) URL() string { return redactURL(c.base.String()) }

// String describes the source for logs: queue, vhost and URL, no secrets.
func (c *Client) String() string {
	return fmt.Sprintf("queue %q in vhost %q at %s", c.queue, c.vhost, c.URL())
}

// apiURL returns the URL of /api/{parts...} with each part path-escaped
// ("/" becomes %2F) under the base URL's own path.
func (c *Client) apiURL(parts []string, query string) string {
	var sb strings.Builder
	sb.WriteString(c.base.EscapedPath())
	sb.WriteString("/api")
	for _, p := range parts {
		sb.WriteString("/")
		sb.WriteString(url.PathEscape(p))
	}
	u := *c.base
	u.RawPath = sb.String()
	u.Path, _ = url.PathUnescape(u.RawPath)
	u.RawQuery = query
	return u.String()
}

// Stats reads the queue's statistics with one GET. Errors wrap an engine
// sentinel (see the package doc).
func (c *Client) Stats(ctx context.Context) (engine.QueueStats, error) {
	status, body, err := c.get(ctx, []string{"queues", c.vhost, c.queue}, "columns="+url.QueryEscape(Columns))
	if err != nil {
		return engine.QueueStats{}, err
	}
	if status != http.StatusOK {
		return engine.QueueStats{}, c.statusError(ctx, status, body)
	}
	obs, err := decodeQueue(body)
	switch {
	case errors.Is(err, errNoStats):
		return engine.QueueStats{}, fail(engine.ErrUnavailable, err, "%s has no statistics yet (declared moments ago, or the broker's statistics are lagging); retry after the broker's statistics interval", c)
	case err != nil:
		return engine.QueueStats{}, fail(engine.ErrBadResponse, err, "unreadable answer from %s (%s): check that --mgmt-url is the RabbitMQ management API", c.URL(), c.scrub.excerpt(err.Error(), maxExcerpt))
	}
	return c.rates.observe(rateKey(c.vhost, c.queue), c.now(), obs), nil
}

// get sends one authenticated GET under the per-request timeout and returns
// the status and body (at most maxBody bytes). Transport failures come back
// classified.
func (c *Client) get(ctx context.Context, parts []string, query string) (int, []byte, error) {
	return c.getCapped(ctx, parts, query, maxBody)
}

// getCapped is get with a body of at most limit bytes; a longer one is a
// bad response.
func (c *Client) getCapped(ctx context.Context, parts []string, query string, limit int) (int, []byte, error) {
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, c.apiURL(parts, query), nil)
	if err != nil {
		return 0, nil, fail(engine.ErrBadResponse, err, "cannot build a request for %s: check --%s", c.URL(), FlagMgmtURL)
	}
	req.SetBasicAuth(c.user, c.password.Reveal())
	req.Header.Set("Accept", "application/json")
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, c.transportError(ctx, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, int64(limit)+1))
	switch {
	case err != nil && (ctx.Err() != nil || rctx.Err() != nil):
		if !errors.Is(err, rctx.Err()) {
			err = errors.Join(rctx.Err(), err)
		}
		return 0, nil, c.transportError(ctx, err)
	case err != nil:
		return 0, nil, fail(engine.ErrBadResponse, err, "truncated answer from %s (%s)", c.URL(), c.scrub.excerpt(err.Error(), maxExcerpt))
	case len(body) > limit:
		return 0, nil, fail(engine.ErrBadResponse, nil, "answer from %s is larger than %d bytes: check that --mgmt-url is the RabbitMQ management API", c.URL(), limit)
	}
	return res.StatusCode, body, nil
}
