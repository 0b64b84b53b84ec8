package rabbit

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yeeter/yeetscale/engine"
)

// hostilePassword has characters that every encoding spells differently.
const hostilePassword = "s3cr3t/Pa55+w?rd@é"

// echoHeaders writes the request's headers (and the decoded basic auth with
// its escaped forms) into the body, as a misbehaving proxy would.
func echoHeaders(w http.ResponseWriter, r *http.Request, status int, asJSON bool) {
	var keys []string
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&sb, "%s: %s\n", k, strings.Join(r.Header[k], ","))
	}
	if u, p, ok := r.BasicAuth(); ok {
		fmt.Fprintf(&sb, "you are %s:%s (%s, %s, %s)\n", u, p, url.QueryEscape(p), strings.ToLower(url.PathEscape(p)), url.UserPassword(u, p))
	}
	body := sb.String()
	if asJSON {
		body = fmt.Sprintf(`{"error":"echo","reason":%q}`, body)
	}
	if status == http.StatusFound {
		w.Header().Set("Location", "http://elsewhere.example/")
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// TestEchoedCredentialsNeverInErrors: a server that echoes the request's
// headers, for every status class, never gets the password, user:password or
// its base64 form into the error, in any fmt verb.
func TestEchoedCredentialsNeverInErrors(t *testing.T) {
	const user = "yeet"
	pair := user + ":" + hostilePassword
	forbidden := []string{hostilePassword, pair, base64.StdEncoding.EncodeToString([]byte(pair)),
		url.QueryEscape(hostilePassword), url.PathEscape(hostilePassword), "s3cr3t"}
	for _, status := range []int{401, 403, 404, 418, 500, 502, 503, 302, 200} {
		for _, asJSON := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d json=%v", status, asJSON), func(t *testing.T) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					echoHeaders(w, r, status, asJSON)
				}))
				defer srv.Close()
				c := newTestClient(t, srv.URL, user, hostilePassword, "/", "q", nil)
				_, err := c.Stats(context.Background())
				if err == nil {
					t.Fatal("no error")
				}
				for _, verb := range []string{"%v", "%s", "%+v", "%#v"} {
					out := fmt.Sprintf(verb, err)
					for _, f := range forbidden {
						if strings.Contains(strings.ToLower(out), strings.ToLower(f)) {
							t.Errorf("%s shows %q: %s", verb, f, out)
						}
					}
				}
				if msg := err.Error(); strings.Contains(msg, "\n") || len(msg) > 600 {
					t.Errorf("not one short line (%d bytes): %q", len(msg), msg)
				}
				t.Log(err)
			})
		}
	}
}

// hasControl reports whether s holds a C0 or C1 control character or DEL.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == utf8.RuneError {
			return true
		}
	}
	return false
}

// TestOutsideTextEscapedInErrors: queue names, vhosts and the broker's
// reasons with terminal escapes reach the error escaped.
func TestOutsideTextEscapedInErrors(t *testing.T) {
	const evil = "\x1b]0;pwned\a\x1b[2J\u009b31m\r\nfake line"
	for _, tt := range []struct {
		status int
		body   string
	}{
		{404, `{"error":"Object Not Found","reason":"Not Found"}`},
		{401, `{"error":"x","reason":"` + strings.ReplaceAll(fmt.Sprintf("%q", evil), `"`, "") + `"}`},
		{401, `{"error":"not_authorised","reason":"Not management user"}`},
		{401, `{"error":"not_authorised","reason":"User not authorised to access virtual host"}`},
		{403, "forbidden " + evil},
		{418, evil},
		{500, evil},
		{200, evil},
		{200, `{"consumers":0,"messages":"` + strings.ReplaceAll(fmt.Sprintf("%q", evil), `"`, "") + `","messages_ready":0,"messages_unacknowledged":0}`},
	} {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/api/vhosts/") {
					w.WriteHeader(404)
					return
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c := newTestClient(t, srv.URL, "bob"+evil, testSecret, "v"+evil, "q"+evil, nil)
			_, err := c.Stats(context.Background())
			if err == nil {
				t.Fatal("no error")
			}
			if hasControl(err.Error()) {
				t.Errorf("control characters in %q", err.Error())
			}
			if hasControl(c.String()) {
				t.Errorf("control characters in String() %q", c.String())
			}
		})
	}
}

func TestScrubberForms(t *testing.T) {
	s := newScrubber("yeet", hostilePassword)
	pair := "yeet:" + hostilePassword
	for _, in := range []string{
		"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(pair)),
		"raw " + pair, "q=" + url.QueryEscape(hostilePassword), "p=" + strings.ToLower(url.PathEscape(hostilePassword)),
		"u=" + url.UserPassword("yeet", hostilePassword).String(),
		// A proxy that base64-encodes the header it echoes, or the password
		// inside a longer text.
		"echo=" + base64.StdEncoding.EncodeToString([]byte("Authorization: Basic "+base64.StdEncoding.EncodeToString([]byte(pair)))),
		"echo=" + base64.RawURLEncoding.EncodeToString([]byte("password="+hostilePassword+"&x=1")),
	} {
		out := s.excerpt(in, 160)
		if engine.NewScrubber(engine.EmbeddedBase64Forms(hostilePassword)...).Scrub(out) != out ||
			engine.NewScrubber(engine.EmbeddedBase64Forms(base64.StdEncoding.EncodeToString([]byte(pair)))...).Scrub(out) != out ||
			strings.Contains(out, "s3cr3t") || strings.Contains(out, "czNjcjN0") || strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(pair))[:12]) {
			t.Errorf("%q -> %q", in, out)
		}
	}
	// An excerpt cut in the middle of a password leaves none of it behind.
	long := strings.Repeat("x", 150) + "Basic " + base64.StdEncoding.EncodeToString([]byte(pair))
	if out := s.excerpt(long, 160); strings.Contains(out, "eWVldDpz") {
		t.Errorf("cut excerpt keeps a piece of the token: %q", out)
	}
}

// TestCausesKept: the client's errors keep their cause for errors.Is and
// carry an engine sentinel, as an *engine.Error.
func TestCausesKept(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1", "bob", testSecret, "/", "q", nil)
	_, err := c.Stats(context.Background())
	var ee *engine.Error
	if !errors.As(err, &ee) || !errors.Is(err, engine.ErrUnavailable) {
		t.Fatalf("err = %#v, want an *engine.Error of ErrUnavailable", err)
	}
}
