package rabbit

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/yeeter/yeetscale/engine"
)

// redacted replaces a secret in printed text.
const redacted = "[redacted]"

// maxShownURL bounds how much of a --mgmt-url an error repeats.
const maxShownURL = 200

// redactURL returns raw as it may appear in an error or a log line:
// everything between "scheme://" and the last '@' replaced by [redacted]
// (or, without "://", everything before the last '@'), the query and the
// fragment dropped, control characters escaped and the length bounded. It
// works on the text, not on url.Parse's view of it: a password with an
// unencoded '/', '?' or '#' (http://user:/pw@host) makes the parser see a
// host "user" and a path holding the rest of the password.
func redactURL(raw string) string {
	s := raw
	if at := strings.LastIndex(s, "@"); at >= 0 {
		prefix := ""
		if i := strings.Index(s, "://"); i >= 0 && i < at {
			prefix = s[:i+3]
		}
		s = prefix + redacted + "@" + s[at+1:]
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	return oneLine(engine.Printable(s), maxShownURL)
}

// scrubber removes a user's password from text that came from outside (a
// proxy may echo the request's Authorization header into its error page).
type scrubber struct {
	forms []string // the secret's spellings, lower-cased (ASCII)
}

// newScrubber lists the forms in which the password of user may appear: as
// is, as user:password, base64 of user:password (with and without padding,
// standard and URL alphabets, hence the whole "Basic ..." token), base64 of
// the password alone, percent-encoded (query and path escaping, userinfo)
// and JSON-escaped.
func newScrubber(user, password string) scrubber {
	if password == "" {
		return scrubber{}
	}
	pair := user + ":" + password
	var forms []string
	for _, v := range []string{pair, password} {
		forms = append(forms, v,
			base64.StdEncoding.EncodeToString([]byte(v)), base64.RawStdEncoding.EncodeToString([]byte(v)),
			base64.URLEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v)),
			url.QueryEscape(v), url.PathEscape(v))
		if js, err := json.Marshal(v); err == nil {
			forms = append(forms, strings.Trim(string(js), `"`))
		}
	}
	forms = append(forms, url.UserPassword(user, password).String())
	seen := map[string]bool{}
	var s scrubber
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

// scrub replaces every form of the secret in text, ignoring ASCII case
// (percent-escapes may come back as %2f), with [redacted].
func (s scrubber) scrub(text string) string {
	for changed := true; changed; {
		changed = false
		low := asciiLower(text)
		for _, f := range s.forms {
			if i := strings.Index(low, f); i >= 0 {
				text = text[:i] + redacted + text[i+len(f):]
				changed = true
				break
			}
		}
	}
	return text
}

// trimPartial drops a tail of text that begins one of the secret's forms,
// so that cutting an excerpt short cannot leave half a password behind.
func (s scrubber) trimPartial(text string) string {
	low := asciiLower(text)
	cut := len(text)
	for _, f := range s.forms {
		for k := min(len(f)-1, len(low)); k >= 3; k-- {
			if strings.HasSuffix(low, f[:k]) {
				cut = min(cut, len(text)-k)
				break
			}
		}
	}
	return text[:cut]
}

// excerpt returns at most n bytes of body on one line, with every form of
// the secret removed and control characters escaped.
func (s scrubber) excerpt(body string, n int) string {
	t := strings.Join(strings.Fields(s.scrub(body)), " ")
	if len(t) > n {
		t = s.trimPartial(t[:n]) + "..."
	}
	return engine.Printable(t)
}
