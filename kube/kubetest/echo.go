package kubetest

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Credential is how the kubeconfig of an EchoAPIServer authenticates: a
// static Token, Username and Password (basic auth), or ExecToken, a token
// that an exec credential plugin (a shell script) hands to client-go.
type Credential struct {
	Token              string
	Username, Password string
	ExecToken          string
}

// EchoAPIServer is a hostile API server for the tests of credential
// scrubbing: it answers every request with a Status error of code whose
// message, and a Warning header whose text, echo the request's
// Authorization header as is, base64-encoded and percent-escaped (as a
// proxy or a broken apiserver might); for 502, an HTML page that does. It serves TLS, since client-go sends
// no bearer token over plain http.
type EchoAPIServer struct {
	*httptest.Server
	// Kubeconfig is the path of a kubeconfig with the server's CA, the
	// credential and namespace "yeeter".
	Kubeconfig string
}

// NewEchoAPIServer starts an EchoAPIServer answering code, stopped when the
// test ends.
func NewEchoAPIServer(t testing.TB, code int, cred Credential) *EchoAPIServer {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		echo := fmt.Sprintf("you sent %s (base64 %s, escaped %s)", auth,
			base64.StdEncoding.EncodeToString([]byte(auth)), url.QueryEscape(auth))
		w.Header().Set("Warning", "299 - "+strconv.Quote(echo))
		if code == http.StatusBadGateway { // a proxy's page
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(code)
			fmt.Fprintf(w, "<html><body>Bad gateway: %s</body></html>", echo)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(metav1.Status{
			TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
			Status:   metav1.StatusFailure, Code: int32(code), Reason: statusReasons[code],
			Message: fmt.Sprintf("User %q cannot %s %s: %s", auth, r.Method, r.URL.Path, echo),
		})
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	user := &clientcmdapi.AuthInfo{Token: cred.Token, Username: cred.Username, Password: cred.Password}
	if cred.ExecToken != "" {
		user.Exec = execPlugin(t, dir, cred.ExecToken)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["echo"] = &clientcmdapi.Cluster{Server: srv.URL,
		CertificateAuthorityData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}
	cfg.AuthInfos["echo"] = user
	cfg.Contexts["echo"] = &clientcmdapi.Context{Cluster: "echo", AuthInfo: "echo", Namespace: "yeeter"}
	cfg.CurrentContext = "echo"
	path := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return &EchoAPIServer{Server: srv, Kubeconfig: path}
}

// statusReasons are the reasons of the Status errors an EchoAPIServer
// answers, by code.
var statusReasons = map[int]metav1.StatusReason{
	http.StatusBadRequest: metav1.StatusReasonBadRequest, http.StatusForbidden: metav1.StatusReasonForbidden,
	http.StatusMethodNotAllowed: metav1.StatusReasonMethodNotAllowed, http.StatusUnprocessableEntity: metav1.StatusReasonInvalid,
	http.StatusInternalServerError: metav1.StatusReasonInternalError, http.StatusServiceUnavailable: metav1.StatusReasonServiceUnavailable,
}

// execPlugin writes a credential plugin into dir that prints token.
func execPlugin(t testing.TB, dir, token string) *clientcmdapi.ExecConfig {
	t.Helper()
	cred, err := json.Marshal(map[string]any{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
		"status": map[string]string{"token": token}})
	if err != nil || strings.Contains(string(cred), "'") {
		t.Fatalf("exec credential of %q: %v (no single quotes)", token, err)
	}
	script := filepath.Join(dir, "credential-plugin")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho '"+string(cred)+"'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return &clientcmdapi.ExecConfig{Command: script, APIVersion: "client.authentication.k8s.io/v1",
		InteractiveMode: clientcmdapi.NeverExecInteractiveMode}
}

// Secrets returns the secrets of c that must never be printed: the
// tokens, the password and user:password.
func (c Credential) Secrets() []string {
	var s []string
	for _, v := range []string{c.Token, c.ExecToken, c.Password} {
		if v != "" {
			s = append(s, v)
		}
	}
	if c.Password != "" {
		s = append(s, c.Username+":"+c.Password)
	}
	return s
}

// Leaks returns the forms of secrets found in text (any ASCII case): as
// is, base64 (both alphabets, with and without padding, and within a
// longer text such as "Bearer " and the secret), percent-escaped, and the
// middle of each secret, so that a partly removed one counts too.
func Leaks(text string, secrets ...string) []string {
	low := strings.ToLower(text)
	var found []string
	for _, s := range secrets {
		forms := []string{s, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)),
			url.QueryEscape(s), url.PathEscape(s)}
		if len(s) >= 12 {
			forms = append(forms, s[4:len(s)-4])
		}
		for off := range 3 { // base64 of a text that holds s at any offset
			if whole := (len(s) - off) / 3 * 3; whole >= 9 {
				b := []byte(s[off : off+whole])
				forms = append(forms, base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b))
			}
		}
		for _, f := range forms {
			if strings.Contains(low, strings.ToLower(f)) {
				found = append(found, f)
			}
		}
	}
	return found
}
