package kube

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync"

	"k8s.io/client-go/rest"

	"github.com/yeeter/yeetscale/engine"
)

// maxCredentials bounds the credentials remembered for scrubbing: the
// newest ones are kept (an exec plugin's token is renewed every hour or
// so, and only the ones still sent can come back).
const maxCredentials = 16

// credentials are the credentials the process's Kubernetes clients were
// configured with or have sent (Authorization header values), so that
// every form of them can be removed from the text of the API server's
// answers: a proxy or a broken apiserver may echo the header into a Status
// message or a Warning.
type credentials struct {
	mu    sync.RWMutex
	known map[string]bool // Authorization header values
	order []string        // known's keys, oldest first
	scrub engine.Scrubber // every form of every known value
}

// sent are the credentials of every client built in this process by this
// package (NewScaler, NewTargetInformer, ...) or from Options.RESTConfig.
var sent = &credentials{}

// ServerText returns text that came from the API server (an error's
// message, a warning) without any form of the credentials that this
// process's clients have sent (tokens, passwords, exec and auth-provider
// plugins' tokens): as is, base64, percent- or JSON-escaped, in any ASCII
// case. When n > 0 the text is cut to n bytes (then "…"). Its end loses
// what begins a credential (a server may have cut its echo short), and so
// does the cut. It does not escape control characters.
func ServerText(text string, n int) string {
	s := sent.scrubber()
	text = s.Scrub(text)
	if n > 0 && len(text) > n {
		return s.TrimPartial(text[:n]) + "…"
	}
	return s.TrimPartial(text)
}

// scrubbed is text from the API server, scrubbed (see ServerText) and
// escaped, for a message.
func scrubbed(text string) string { return engine.Printable(sent.scrubber().Scrub(text)) }

// scrubber returns the Scrubber of the known credentials.
func (c *credentials) scrubber() engine.Scrubber {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.scrub
}

// record remembers header, the value of an Authorization header ("" is
// nothing). It is on every request's path: a value already known costs a
// map lookup.
func (c *credentials) record(header string) {
	if header == "" {
		return
	}
	c.mu.RLock()
	ok := c.known[header]
	c.mu.RUnlock()
	if ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.known[header] {
		return
	}
	if c.known == nil {
		c.known = make(map[string]bool)
	}
	c.known[header] = true
	c.order = append(c.order, header)
	if len(c.order) > maxCredentials {
		delete(c.known, c.order[0])
		c.order = c.order[1:]
	}
	var forms []string
	for _, h := range c.order {
		forms = append(forms, headerForms(h)...)
	}
	c.scrub = engine.NewScrubber(forms...)
}

// headerForms lists the forms of the secrets in an Authorization header's
// value: the value, the credentials after the scheme ("Bearer TOKEN"), and
// for "Basic" the decoded user:password and the password alone, each as
// engine.SecretForms and engine.EmbeddedBase64Forms spell them.
func headerForms(header string) []string {
	secrets := []string{header}
	if scheme, cred, ok := strings.Cut(header, " "); ok {
		cred = strings.TrimSpace(cred)
		secrets = append(secrets, cred)
		if strings.EqualFold(scheme, "basic") {
			if pair, err := base64.StdEncoding.DecodeString(cred); err == nil {
				secrets = append(secrets, string(pair))
				if _, password, ok := strings.Cut(string(pair), ":"); ok {
					secrets = append(secrets, password)
				}
			}
		}
	}
	var forms []string
	for _, s := range secrets {
		forms = append(forms, engine.SecretForms(s)...)
		forms = append(forms, engine.EmbeddedBase64Forms(s)...)
	}
	return forms
}

// recordCredentials makes the clients built from rc remember the
// credentials they send, whatever their source (static token, token file,
// basic auth, exec or auth-provider plugin), and scrub them from the
// answers (scrubResponse); it remembers rc's static ones now, before any
// request. A config wrapped twice (Options.Complete, then newClients)
// scrubs twice, which changes nothing.
func recordCredentials(rc *rest.Config) {
	if rc.BearerToken != "" {
		sent.record("Bearer " + rc.BearerToken)
	}
	if rc.Password != "" {
		sent.record("Basic " + base64.StdEncoding.EncodeToString([]byte(rc.Username+":"+rc.Password)))
	}
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &recorder{next: rt, creds: sent} })
}
