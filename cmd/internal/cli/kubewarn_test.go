package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// TestWarningLog checks the apiserver warning handler on its own: each
// distinct warning once, escaped, bounded, and nothing but 299 warnings.
func TestWarningLog(t *testing.T) {
	tests := []struct {
		name  string
		codes []int
		texts []string
		want  []string // the warning field of each line logged
	}{
		{"logged once", []int{299, 299, 299}, []string{"apps/v1beta1 is deprecated", "apps/v1beta1 is deprecated", "apps/v1beta1 is deprecated"}, []string{"apps/v1beta1 is deprecated"}},
		{"each distinct one", []int{299, 299}, []string{"a", "b"}, []string{"a", "b"}},
		{"not a 299 warning", []int{199, 299}, []string{"misc", ""}, nil},
		{"control characters escaped", []int{299}, []string{"evil\x1b[2J\nfake line"}, []string{`evil\x1b[2J\nfake line`}},
		{"bounded", []int{299}, []string{strings.Repeat("x", 10_000)}, []string{strings.Repeat("x", maxWarningText) + "…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := &warningLog{logger: newLogger(&buf, "json")}
			for i, code := range tt.codes {
				w.HandleWarningHeader(code, "", tt.texts[i])
			}
			ls := lines(t, buf.String())
			if len(ls) != len(tt.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(ls), len(tt.want), buf.String())
			}
			for i, l := range ls {
				if l.msg() != "kubernetes warning" || l.str("level") != "WARN" || l.str("warning") != tt.want[i] {
					t.Errorf("line %d: %v, want a WARN kubernetes warning %q", i, l, tt.want[i])
				}
			}
		})
	}
	var buf bytes.Buffer
	w := &warningLog{logger: newLogger(&buf, "json")}
	for i := range 2 * maxWarningsSeen {
		w.HandleWarningHeader(299, "", fmt.Sprint("warning ", i))
	}
	if n := len(lines(t, buf.String())); n != maxWarningsSeen {
		t.Errorf("%d distinct warnings logged %d lines, want at most %d", 2*maxWarningsSeen, n, maxWarningsSeen)
	}
}

// TestHeadlessLogsKubernetesWarningsAsJSON runs the headless modes of the
// real binary against an apiserver that answers every request with a
// warning header: client-go's default printed a klog text line per
// response into --log-format json, every poll; the warning must come out
// as one JSON line.
func TestHeadlessLogsKubernetesWarningsAsJSON(t *testing.T) {
	bin := buildBinary(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Warning", `299 - "yeetscale-test-warning: apps/v1 is deprecated"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`)
	}))
	t.Cleanup(srv.Close)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: %q}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: yeeter}}]\ncurrent-context: x\n", srv.URL)
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"--once", "--auto", "--fleet --once", "--fleet --auto"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
			defer cancel()
			var stderr bytes.Buffer
			args := append(strings.Fields(mode), "--log-format", "json", "--poll-interval", "1s", "--kubeconfig", kubeconfig)
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Stderr = &stderr
			cmd.Env = append(os.Environ(), "KUBECONFIG=")
			_ = cmd.Run() // the Deployment is not found: --once fails, --auto runs until the timeout
			var jsonLines []string
			for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
				switch {
				case strings.HasPrefix(l, "{"):
					jsonLines = append(jsonLines, l)
				case strings.HasSuffix(mode, "--once") && strings.HasPrefix(l, "yeetscale: "): // the one-line error
				default:
					t.Errorf("not a JSON log line: %q", l)
				}
			}
			warnings := 0
			for _, l := range lines(t, strings.Join(jsonLines, "\n")) {
				if l.msg() == "kubernetes warning" && strings.Contains(l.str("warning"), "yeetscale-test-warning") {
					warnings++
				}
			}
			if warnings != 1 {
				t.Errorf("%d JSON lines with the apiserver's warning, want 1; stderr:\n%s", warnings, stderr.String())
			}
		})
	}
}

// TestWarningLogScrubsCredentials: an API server (or a proxy) that echoes
// the request's Authorization header into its Warning header (as is,
// base64, percent-escaped) gets no form of the credential into the log,
// for a static token, basic auth and an exec plugin's token; nor does a
// warning cut at the bound keep part of one.
func TestWarningLogScrubsCredentials(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBECONFIG", "")
	for _, cred := range []kubetest.Credential{
		{Token: "yeet/Token+Secret=42~static"},
		{Username: "yeet", Password: "p@ss/w0rd:Secret+42"},
		{ExecToken: "yeet/Token+Secret=42~from-exec"},
	} {
		t.Run(fmt.Sprint(cred.Secrets()[0]), func(t *testing.T) {
			srv := kubetest.NewEchoAPIServer(t, http.StatusNotFound, cred)
			o := kube.NewOptions()
			o.ConfigFlags.KubeConfig = &srv.Kubeconfig
			if err := o.Complete(); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			w := &warningLog{logger: newLogger(&buf, "json")}
			o.RESTConfig.WarningHandler = w
			s, _, err := o.NewScaler(nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := s.GetScale(ctx); err == nil {
				t.Fatal("no error from a server answering 404")
			}
			// An echo the server cut short (no whole form to find), which
			// the bound cuts again in its middle.
			auth := "Bearer " + cred.Token + cred.ExecToken
			if cred.Password != "" {
				auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(cred.Username+":"+cred.Password))
			}
			w.HandleWarningHeader(299, "", strings.Repeat("x", maxWarningText-len(auth)/2)+auth[:len(auth)-2])
			ls := lines(t, buf.String())
			if len(ls) != 2 {
				t.Fatalf("%d warnings logged, want 2:\n%s", len(ls), buf.String())
			}
			if leaks := kubetest.Leaks(buf.String(), cred.Secrets()...); len(leaks) > 0 {
				t.Errorf("the log shows %q:\n%s", leaks, buf.String())
			}
			if !strings.Contains(ls[0].str("warning"), "you sent [redacted]") {
				t.Errorf("warning %q does not show the echo redacted", ls[0].str("warning"))
			}
			if cut := ls[1].str("warning"); strings.Trim(cut, "x…") != "" {
				t.Errorf("the cut warning keeps part of the credential: %q", cut)
			}
		})
	}
}

// TestKlogLinesScrubCredentials: client-go's own lines (a watch's error
// event is the API server's text) go through the logger of klogTo without
// the credentials the process's clients send, in the message, in text,
// error and Stringer attributes, in groups and in With's attributes.
func TestKlogLinesScrubCredentials(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBECONFIG", "")
	cred := kubetest.Credential{Token: "yeet/Token+Secret=42~klog"}
	srv := kubetest.NewEchoAPIServer(t, http.StatusNotFound, cred)
	o := kube.NewOptions()
	o.ConfigFlags.KubeConfig = &srv.Kubeconfig
	if err := o.Complete(); err != nil { // remembers the static token
		t.Fatal(err)
	}
	tok := cred.Token
	var buf bytes.Buffer
	logger := slog.New(scrubHandler{newLogger(&buf, "json").Handler()}).With("auth", "Bearer "+tok)
	logger.Error("watch of deployments failed: Unauthorized "+tok,
		"body", base64.StdEncoding.EncodeToString([]byte("Bearer "+tok)),
		"err", errors.New("echo: "+tok),
		"url", stringer("https://h/?token="+url.QueryEscape(tok)),
		slog.Group("resp", "status", 401, "text", tok),
		"plain", "nothing secret")
	if leaks := kubetest.Leaks(buf.String(), cred.Secrets()...); len(leaks) > 0 {
		t.Errorf("client-go's line shows %q:\n%s", leaks, buf.String())
	}
	for _, want := range []string{`"msg":"watch of deployments failed: Unauthorized [redacted]"`, `"plain":"nothing secret"`, `"status":401`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("no %s in:\n%s", want, buf.String())
		}
	}
}

type stringer string

func (s stringer) String() string { return string(s) }
