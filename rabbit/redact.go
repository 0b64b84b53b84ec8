package rabbit

import (
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/yeeter/yeetscale/engine"
)

// redacted replaces a secret in printed text.
const redacted = engine.Redacted

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
type scrubber struct{ engine.Scrubber }

// newScrubber lists the forms in which the password of user may appear: as
// is, as user:password, base64 of user:password (with and without padding,
// standard and URL alphabets, hence the whole "Basic ..." token), base64 of
// the password alone, percent-encoded (query and path escaping, userinfo)
// and JSON-escaped; and user:password, the password and the "Basic ..."
// token inside a longer base64 text.
func newScrubber(user, password string) scrubber {
	if password == "" {
		return scrubber{}
	}
	pair := user + ":" + password
	forms := append(engine.SecretForms(pair), engine.SecretForms(password)...)
	forms = append(forms, url.UserPassword(user, password).String())
	// Inside a longer base64 text: a proxy that encodes what it echoes
	// (the password in a form body, the whole "Basic ..." header).
	for _, v := range []string{pair, password, base64.StdEncoding.EncodeToString([]byte(pair))} {
		forms = append(forms, engine.EmbeddedBase64Forms(v)...)
	}
	return scrubber{engine.NewScrubber(forms...)}
}

// excerpt returns at most n bytes of body on one line, with every form of
// the secret removed and control characters escaped.
func (s scrubber) excerpt(body string, n int) string { return s.Excerpt(body, n) }
