package kube

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
)

// TestHeaderForms: each kind of Authorization header gives the forms that
// hide its secret, however the server echoes it.
func TestHeaderForms(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("yeet:pa/ss+Word42"))
	tests := []struct {
		name, header string
		echoes       []string // texts that must lose the secret
		secret       string   // what must not be left
	}{
		{"bearer", "Bearer tok/en+Secret42", []string{"tok/en+Secret42", "Bearer tok/en+Secret42", url.QueryEscape("tok/en+Secret42"),
			base64.StdEncoding.EncodeToString([]byte("Bearer tok/en+Secret42")), base64.StdEncoding.EncodeToString([]byte("tok/en+Secret42"))}, "Secret42"},
		{"basic", "Basic " + basic, []string{basic, "yeet:pa/ss+Word42", "pa/ss+Word42", url.PathEscape("pa/ss+Word42"),
			base64.StdEncoding.EncodeToString([]byte("pa/ss+Word42")), strings.ToLower(basic)}, "Word42"},
		{"other scheme", "Negotiate c2VjcmV0LXRpY2tldA==", []string{"c2VjcmV0LXRpY2tldA==", "Negotiate c2VjcmV0LXRpY2tldA=="}, "LXRpY2td"},
		{"no scheme", "justAToken1234", []string{"justAToken1234", base64.RawURLEncoding.EncodeToString([]byte("justAToken1234"))}, "Token12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &credentials{}
			c.record(tt.header)
			for _, echo := range tt.echoes {
				in := "you sent " + echo + "."
				got := c.scrubber().Scrub(in)
				if strings.Contains(strings.ToLower(got), strings.ToLower(tt.secret)) || !strings.Contains(got, "[redacted]") {
					t.Errorf("Scrub(%q) = %q", in, got)
				}
			}
		})
	}
}

// TestCredentialsBounded: past maxCredentials, the oldest are forgotten
// and the newest kept.
func TestCredentialsBounded(t *testing.T) {
	c := &credentials{}
	for i := range maxCredentials + 4 {
		c.record(fmt.Sprintf("Bearer token-number-%02d", i))
		c.record(fmt.Sprintf("Bearer token-number-%02d", i)) // known: no growth
	}
	if len(c.known) != maxCredentials || len(c.order) != maxCredentials {
		t.Fatalf("%d known, %d in order, want %d", len(c.known), len(c.order), maxCredentials)
	}
	for i, want := range map[int]string{0: "token-number-00", 3: "token-number-03", 4: "[redacted]", maxCredentials + 3: "[redacted]"} {
		if got := c.scrubber().Scrub(fmt.Sprintf("token-number-%02d", i)); got != want {
			t.Errorf("token %d: %q, want %q", i, got, want)
		}
	}
}

// TestStaticCredentialsKnownBeforeAnyRequest: a rest.Config's token and
// password are scrubbed as soon as its clients are made.
func TestStaticCredentialsKnownBeforeAnyRequest(t *testing.T) {
	for _, rc := range []*rest.Config{
		{Host: "https://127.0.0.1:1", BearerToken: "static-Token-before-any-request"},
		{Host: "https://127.0.0.1:1", Username: "u", Password: "static-Password-before-any-request"},
	} {
		if _, err := newClients(rc); err != nil {
			t.Fatal(err)
		}
		secret := rc.BearerToken + rc.Password
		if got := ServerText("echo "+secret, 0); got != "echo [redacted]" {
			t.Errorf("ServerText = %q, want the secret redacted", got)
		}
	}
}

func TestServerText(t *testing.T) {
	sent.record("Bearer server-Text-token-42")
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"whole", "a Bearer server-Text-token-42 b", 0, "a [redacted] b"},
		{"cut short by the server", "you sent Bearer server-Text-to", 0, "you sent "},
		{"cut here in the middle", "you sent Bearer server-Text-token-4", 20, "you sent …"},
		{"short enough", "fine", 4, "fine"},
		{"bounded", "12345678", 4, "1234…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ServerText(tt.in, tt.n); got != tt.want {
				t.Errorf("ServerText(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

// TestClassifyScrubsServerText: each way classify words an error keeps
// the API server's text without the credentials, escaped, and the
// client-go error still wrapped.
func TestClassifyScrubsServerText(t *testing.T) {
	sent.record("Bearer classify-Token-42")
	echo := "User \"Bearer classify-Token-42\" cannot: you sent Y2xhc3NpZnktVG9rZW4tNDI=\x1b[2J"
	gr := schema.GroupResource{Group: "apps", Resource: "deployments"}
	tests := []struct {
		name string
		err  *apierrors.StatusError
		want string
	}{
		{"no sentinel", apierrors.NewBadRequest(echo), `get deployments ns/d: User "[redacted]" cannot: you sent [redacted]\x1b[2J`},
		{"unavailable", apierrors.NewInternalError(errors.New(echo)), `unavailable: cannot reach the Kubernetes API server: Internal error occurred: User "[redacted]" cannot: you sent [redacted]\x1b[2J`},
		{"forbidden user", apierrors.NewForbidden(gr, "d", errors.New(echo)), "forbidden: user [redacted] cannot get deployments in namespace ns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.err, op{Verb: "get", Resource: "deployments", Namespace: "ns", Name: "d"})
			if got := err.Error(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("message:\n  %s\nwant prefix:\n  %s", got, tt.want)
			}
			var se *apierrors.StatusError
			if !errors.As(err, &se) || se != tt.err {
				t.Errorf("the StatusError is not wrapped: %#v", err)
			}
		})
	}
}
