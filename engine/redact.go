package engine

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
)

// Redacted replaces a secret in printed text.
const Redacted = "[redacted]"

// minEmbedded is the shortest secret whose base64 spelling inside a longer
// encoded text is looked for (EmbeddedBase64Forms): shorter ones leave too
// few whole characters to tell from other text.
const minEmbedded = 8

// SecretForms returns the spellings in which secret may come back in a
// server's text: as is, base64 (standard and URL alphabets, with and
// without padding), percent-escaped (query and path escaping) and
// JSON-escaped. None for an empty secret.
func SecretForms(secret string) []string {
	if secret == "" {
		return nil
	}
	b := []byte(secret)
	forms := []string{secret,
		base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
		url.QueryEscape(secret), url.PathEscape(secret)}
	if js, err := json.Marshal(secret); err == nil {
		forms = append(forms, strings.Trim(string(js), `"`))
	}
	return forms
}

// EmbeddedBase64Forms returns the base64 spellings (both alphabets) of
// secret inside a longer encoded text, such as base64("Bearer " + token):
// for each of the three offsets at which it may start, the characters of
// its whole 3-byte groups (its first and last one or two bytes share their
// characters with the text around it, and stay). None for a secret shorter
// than 8 bytes.
func EmbeddedBase64Forms(secret string) []string {
	if len(secret) < minEmbedded {
		return nil
	}
	var forms []string
	for off := range 3 {
		whole := (len(secret) - off) / 3 * 3
		b := []byte(secret[off : off+whole])
		forms = append(forms, base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b))
	}
	return forms
}

// Scrubber removes secrets from text that came from outside: a server or a
// proxy may echo a request's credentials into its error page or its
// headers. The zero Scrubber removes nothing.
type Scrubber struct {
	forms []string // the secrets' spellings, lower-cased (ASCII)
}

// NewScrubber returns a Scrubber of forms (see SecretForms and
// EmbeddedBase64Forms); it matches them ignoring ASCII case, since
// percent-escapes may come back as %2f.
func NewScrubber(forms ...string) Scrubber {
	seen := map[string]bool{}
	var s Scrubber
	for _, f := range forms {
		f = asciiLower(f)
		if f != "" && !seen[f] {
			seen[f] = true
			s.forms = append(s.forms, f)
		}
	}
	return s
}

// asciiLower lower-cases ASCII letters only, so that byte offsets match.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Scrub replaces every form of the secrets in text, ignoring ASCII case,
// with [redacted]; overlapping or adjacent forms become one [redacted].
// It takes one pass over text per form, however often they occur.
func (s Scrubber) Scrub(text string) string {
	hide := s.hidden(text)
	if hide == nil {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		switch {
		case !hide[i]:
			b.WriteByte(text[i])
		case i == 0 || !hide[i-1]:
			b.WriteString(Redacted)
		}
	}
	return b.String()
}

// Mask is Scrub for data whose length must not change (a length-prefixed
// encoding such as protobuf): each byte of a secret's form becomes '*'.
func (s Scrubber) Mask(data []byte) []byte {
	hide := s.hidden(string(data))
	if hide == nil {
		return data
	}
	out := make([]byte, len(data))
	for i, c := range data {
		if hide[i] {
			c = '*'
		}
		out[i] = c
	}
	return out
}

// hidden marks the bytes of text that belong to a form of the secrets, or
// returns nil when there are none.
func (s Scrubber) hidden(text string) []bool {
	if len(s.forms) == 0 || text == "" {
		return nil
	}
	low := asciiLower(text)
	var hide []bool
	for _, f := range s.forms {
		end := 0 // hide[:end] is marked already for this form
		for from := 0; from < len(low); {
			i := strings.Index(low[from:], f)
			if i < 0 {
				break
			}
			if hide == nil {
				hide = make([]bool, len(text))
			}
			i += from
			for j := max(i, end); j < i+len(f); j++ {
				hide[j] = true
			}
			end, from = i+len(f), i+1
		}
	}
	return hide
}

// TrimPartial drops a tail of text that begins one of the secrets' forms
// (three bytes or more), so that cutting a text short cannot leave part of
// a secret behind.
func (s Scrubber) TrimPartial(text string) string {
	low := asciiLower(text)
	cut := len(text)
	for _, f := range s.forms {
		for i := len(low) - min(len(f)-1, len(low)); i <= len(low)-3; i++ {
			if low[i] == f[0] && strings.HasPrefix(f, low[i:]) {
				cut = min(cut, i)
				break
			}
		}
	}
	return text[:cut]
}

// Excerpt returns at most n bytes of body on one line (then "..."), with
// every form of the secrets removed, none left half cut, and control
// characters escaped.
func (s Scrubber) Excerpt(body string, n int) string {
	t := strings.Join(strings.Fields(s.Scrub(body)), " ")
	if len(t) > n {
		t = s.TrimPartial(t[:n]) + "..."
	}
	return Printable(t)
}
