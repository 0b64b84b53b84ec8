package engine

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// secret has characters that base64, percent- and JSON-escaping change.
const secret = `yeet/Tok+en=4"2~`

func TestScrubberScrub(t *testing.T) {
	s := NewScrubber(append(SecretForms(secret), EmbeddedBase64Forms(secret)...)...)
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct{ name, in, want string }{
		{"raw", "token " + secret + " refused", "token [redacted] refused"},
		{"base64 std", "x " + b64([]byte(secret)), "x [redacted]"},
		{"base64 url, no padding", "x " + base64.RawURLEncoding.EncodeToString([]byte(secret)), "x [redacted]"},
		{"query escape, lower-case", "q=" + strings.ToLower(url.QueryEscape(secret)) + "&a=1", "q=[redacted]&a=1"},
		{"path escape", "/p/" + url.PathEscape(secret), "/p/[redacted]"},
		{"JSON-escaped", `{"m":"` + strings.ReplaceAll(secret, `"`, `\"`) + `"}`, `{"m":"[redacted]"}`},
		{"upper case", strings.ToUpper(secret), "[redacted]"},
		{"every occurrence", secret + " and " + secret, "[redacted] and [redacted]"},
		{"adjacent ones are one", secret + secret, "[redacted]"},
		{"nothing to hide", "all is well", "all is well"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Scrub(tt.in); got != tt.want {
				t.Errorf("Scrub(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if got := (Scrubber{}).Scrub(secret); got != secret {
		t.Errorf("the zero Scrubber changed %q to %q", secret, got)
	}
}

// TestEmbeddedBase64: base64 of a longer text that holds the secret, at
// each of the three offsets, keeps at most 3 characters at each end of
// the secret's encoding (which it shares with its neighbours).
func TestEmbeddedBase64(t *testing.T) {
	s := NewScrubber(EmbeddedBase64Forms(secret)...)
	for _, prefix := range []string{"", "B", "Be", "Bearer ", "Authorization: Bearer "} {
		for _, suffix := range []string{"", "!", "!!", "\r\n"} {
			enc := base64.StdEncoding.EncodeToString([]byte(prefix + secret + suffix))
			got := s.Scrub(enc)
			if !strings.Contains(got, Redacted) {
				t.Errorf("%q+secret+%q: base64 %q not scrubbed", prefix, suffix, enc)
				continue
			}
			if kept := len(got) - len(Redacted); kept > len(enc)-len(base64.RawStdEncoding.EncodeToString([]byte(secret)))+6 {
				t.Errorf("%q+secret+%q: %q keeps %d characters", prefix, suffix, got, kept)
			}
		}
	}
	if f := EmbeddedBase64Forms("short"); f != nil {
		t.Errorf("forms of a 5-byte secret: %q, want none", f)
	}
}

func TestScrubberTrimPartial(t *testing.T) {
	s := NewScrubber(SecretForms("Bearer " + secret)...)
	tests := []struct{ name, in, want string }{
		{"cut in the secret", "you sent Bearer yeet/To", "you sent "},
		{"cut in the scheme", "you sent Bea", "you sent "},
		{"upper case", "you sent BEARER YEET", "you sent "},
		{"two bytes are not enough", "you sent Be", "you sent Be"},
		{"whole secret not touched", "you sent [redacted]", "you sent [redacted]"},
		{"nothing", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.TrimPartial(tt.in); got != tt.want {
				t.Errorf("TrimPartial(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestScrubberExcerpt(t *testing.T) {
	s := NewScrubber(SecretForms(secret)...)
	tests := []struct {
		name, in string
		n        int
		want     string
	}{
		{"one line", "a\n  b\t" + secret, 100, "a b [redacted]"},
		{"cut inside the secret", "0123456789 " + base64.StdEncoding.EncodeToString([]byte(secret))[:10], 16, "0123456789 ..."},
		{"control characters", "a\x1b[2Jb", 100, `a\x1b[2Jb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Excerpt(tt.in, tt.n); got != tt.want {
				t.Errorf("Excerpt(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

// TestScrubOnePass: a text of a million echoes takes one pass per form,
// not one per echo (the loop of a replace-and-search-again would take
// minutes).
func TestScrubOnePass(t *testing.T) {
	s := NewScrubber(append(SecretForms(secret), EmbeddedBase64Forms(secret)...)...)
	in := strings.Repeat(secret+" ", 1_000_000)
	if got, want := s.Scrub(in), strings.Repeat(Redacted+" ", 1_000_000); got != want {
		t.Errorf("Scrub of %d echoes: %d bytes, want %d", 1_000_000, len(got), len(want))
	}
}

func TestScrubberMask(t *testing.T) {
	s := NewScrubber(SecretForms(secret)...)
	tests := []struct{ name, in, want string }{
		{"same length", "\x0a\x10" + secret + "\x12", "\x0a\x10" + strings.Repeat("*", len(secret)) + "\x12"},
		{"any case", strings.ToUpper(secret), strings.Repeat("*", len(secret))},
		{"nothing to hide", "plain", "plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(s.Mask([]byte(tt.in))); got != tt.want {
				t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
