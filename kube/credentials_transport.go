package kube

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/yeeter/yeetscale/engine"
)

// maxErrorBody bounds the error answer read to scrub it (a Status is a
// few hundred bytes); the rest is dropped.
const maxErrorBody = 1 << 20

// recorder is the http.RoundTripper of recordCredentials. client-go puts
// it inside its authentication wrappers, so it sees the header they set,
// and outside the decoding of answers, so it can scrub them first.
type recorder struct {
	next  http.RoundTripper
	creds *credentials
}

// RoundTrip records the request's Authorization header, sends the request
// and scrubs the answer (scrubResponse).
func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.creds.record(req.Header.Get("Authorization"))
	resp, err := r.next.RoundTrip(req)
	if err == nil && resp != nil {
		scrubResponse(resp, r.creds.scrubber())
	}
	return resp, err
}

// WrappedRoundTripper returns the transport it wraps, for client-go's
// utilnet helpers.
func (r *recorder) WrappedRoundTripper() http.RoundTripper { return r.next }

// scrubResponse removes the credentials from the parts of an answer that
// reach messages and logs, whichever code reads them (classify, the
// warning handler, client-go's own errors and klog lines): the Warning
// headers, and the body of an error answer (a Status, or a proxy's page;
// masked byte for byte when protobuf, whose lengths must stay). A
// compressed body is left alone (client-go asks for none).
func scrubResponse(resp *http.Response, s engine.Scrubber) {
	if ws := resp.Header.Values("Warning"); len(ws) > 0 {
		clean := make([]string, len(ws))
		for i, w := range ws {
			clean[i] = s.Scrub(w)
		}
		resp.Header["Warning"] = clean
	}
	if resp.StatusCode < http.StatusBadRequest || resp.Body == nil || resp.Body == http.NoBody ||
		(resp.Header.Get("Content-Encoding") != "" && !resp.Uncompressed) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	if strings.Contains(resp.Header.Get("Content-Type"), "protobuf") {
		body = s.Mask(body)
	} else {
		text := s.Scrub(string(body))
		if len(body) == maxErrorBody || err != nil { // cut: no half credential at the end
			text = s.TrimPartial(text)
		}
		body = []byte(text)
	}
	var r io.Reader = bytes.NewReader(body)
	if err != nil {
		r = io.MultiReader(r, errReader{err})
	}
	resp.Body = io.NopCloser(r)
	resp.ContentLength = int64(len(body))
	if resp.Header.Get("Content-Length") != "" {
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
}

// errReader fails every read with err: the failure of the original body,
// after its scrubbed part.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
