package rabbittest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"
)

// maxRecorded bounds the requests a RecordingProxy remembers one by one;
// its counts go on past it.
const maxRecorded = 10000

// Request is one request that went through a RecordingProxy. It holds no
// header, so no credentials.
type Request struct {
	Method string
	Path   string // escaped, as sent: /api/queues/%2F
	Query  string // raw query: page=1&page_size=500&columns=...
	Status int    // the answer's status (502 when the target did not answer)
	Took   time.Duration
}

// RecordingProxy is a reverse proxy in front of a management API (or any
// HTTP server) that counts and records the requests it forwards, for tests
// and benchmarks that must show how many requests a component makes. Point
// the component's --mgmt-url at URL; credentials pass through untouched.
// It is safe for concurrent use.
type RecordingProxy struct {
	// URL is the proxy's base URL (http://127.0.0.1:port), without a path.
	URL string

	srv   *httptest.Server
	mu    sync.Mutex
	total int
	count map[string]int // by escaped path
	log   []Request
}

// NewRecordingProxy starts a proxy to target, a base URL such as
// Broker.MgmtURL (userinfo in it is refused: the proxy forwards the
// client's own Authorization header). Close it when done; StartRecordingProxy
// does that at a test's cleanup.
func NewRecordingProxy(target string) (*RecordingProxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("rabbittest: recording proxy: target %q is not an http(s) base URL", target)
	}
	if u.User != nil {
		return nil, fmt.Errorf("rabbittest: recording proxy: target holds credentials; pass the URL without them")
	}
	p := &RecordingProxy{count: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		path, query, method := r.URL.EscapedPath(), r.URL.RawQuery, r.Method
		rp.ServeHTTP(sw, r)
		p.record(Request{Method: method, Path: path, Query: query, Status: sw.status, Took: time.Since(start)})
	}))
	p.URL = p.srv.URL
	return p, nil
}

// StartRecordingProxy is NewRecordingProxy for a test: it fails the test on
// error and closes the proxy at cleanup.
func StartRecordingProxy(t testing.TB, target string) *RecordingProxy {
	t.Helper()
	p, err := NewRecordingProxy(target)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(p.Close)
	return p
}

func (p *RecordingProxy) record(r Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total++
	p.count[r.Path]++
	if len(p.log) < maxRecorded {
		p.log = append(p.log, r)
	}
}

// Total is the number of requests forwarded since the start or Reset.
func (p *RecordingProxy) Total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// Count is the number of requests to exactly path (escaped, query ignored)
// since the start or Reset: Count(APIPath("queues", vhost)) counts the
// listings of vhost, and not the reads of its single queues.
func (p *RecordingProxy) Count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count[path]
}

// Requests returns the first 10,000 requests since the start or Reset, in
// order.
func (p *RecordingProxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.log...)
}

// Reset forgets the requests and counts.
func (p *RecordingProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.count, p.log = 0, map[string]int{}, nil
}

// Close stops the proxy.
func (p *RecordingProxy) Close() { p.srv.Close() }

// statusWriter remembers the status written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the writer's Flush.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
