package kube

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

// TestScrubResponse: the Warning headers and the body of an error answer
// lose the credentials before client-go reads them; other answers keep
// their body.
func TestScrubResponse(t *testing.T) {
	const tok = "Bearer transport-Token-42"
	s := engine.NewScrubber(headerForms(tok)...)
	long := strings.Repeat("x", maxErrorBody-10) + tok
	tests := []struct {
		name        string
		code        int
		contentType string
		encoding    string
		body        string
		want        string
	}{
		{"JSON Status", 500, "application/json", "", `{"message":"you sent ` + tok + `"}`, `{"message":"you sent [redacted]"}`},
		{"proxy page, any case", 502, "text/html", "", "<p>" + strings.ToUpper(tok) + "</p>", "<p>[redacted]</p>"},
		{"protobuf masked in place", 403, "application/vnd.kubernetes.protobuf", "", "\x0a\x19" + tok, "\x0a\x19" + strings.Repeat("*", len(tok))},
		{"bounded, no half credential", 400, "text/plain", "", long, strings.Repeat("x", maxErrorBody-10)},
		{"a success keeps its body", 200, "application/json", "", `{"a":"` + tok + `"}`, `{"a":"` + tok + `"}`},
		{"compressed: left alone", 500, "application/json", "gzip", "\x1f\x8b" + tok, "\x1f\x8b" + tok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.code, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body)),
				ContentLength: int64(len(tt.body))}
			resp.Header.Set("Content-Type", tt.contentType)
			resp.Header.Set("Content-Length", strconv.Itoa(len(tt.body)))
			if tt.encoding != "" {
				resp.Header.Set("Content-Encoding", tt.encoding)
			}
			resp.Header.Add("Warning", `299 - "you sent `+tok+`"`)
			resp.Header.Add("Warning", `299 - "deprecated"`)
			scrubResponse(resp, s)
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if string(body) != tt.want {
				t.Errorf("body %.80q..., want %.80q...", body, tt.want)
			}
			if resp.ContentLength != int64(len(body)) || resp.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
				t.Errorf("content length %d (header %s), body %d bytes", resp.ContentLength, resp.Header.Get("Content-Length"), len(body))
			}
			if w := resp.Header.Values("Warning"); len(w) != 2 || w[0] != `299 - "you sent [redacted]"` || w[1] != `299 - "deprecated"` {
				t.Errorf("warnings %q", w)
			}
		})
	}
}

// TestScrubResponseReadError: a body that fails midway gives its scrubbed
// part, then the failure.
func TestScrubResponseReadError(t *testing.T) {
	const tok = "Bearer transport-Token-42"
	boom := errors.New("connection reset")
	resp := &http.Response{StatusCode: 500, Header: http.Header{},
		Body: io.NopCloser(io.MultiReader(strings.NewReader("you sent "+tok[:12]), errReader{boom}))}
	scrubResponse(resp, engine.NewScrubber(headerForms(tok)...))
	body, err := io.ReadAll(resp.Body)
	if string(body) != "you sent " || !errors.Is(err, boom) {
		t.Errorf("body %q, err %v; want %q and the read error", body, err, "you sent ")
	}
}
