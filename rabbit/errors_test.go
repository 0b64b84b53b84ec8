package rabbit

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// newTestClient builds a client for url through Complete, Validate and New.
func newTestClient(t testing.TB, url, user, pass, vhost, queue string, mod func(*Options)) *Client {
	t.Helper()
	o := DefaultOptions()
	o.MgmtURL, o.Username, o.Password, o.VHost, o.Queue = url, user, Secret(pass), vhost, queue
	o.Getenv = func(string) string { return "" }
	if mod != nil {
		mod(&o)
	}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkErr asserts the sentinel, the wording and the absence of secrets.
func checkErr(t *testing.T, err error, sentinel error, want ...string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want %v", err, sentinel)
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("err %q lacks %q", msg, w)
		}
	}
	if strings.Contains(msg, testSecret) || strings.Contains(msg, "\n") {
		t.Errorf("err %q holds the password or a newline", msg)
	}
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		vhost404 bool
		sentinel error
		want     []string
	}{
		{"queue missing", 404, `{"error":"Object Not Found","reason":"Not Found"}`, false, engine.ErrNotFound, []string{`queue "q.1" not found in vhost "/"`, "--queue"}},
		{"vhost missing", 404, `{"error":"Object Not Found","reason":"Not Found"}`, true, engine.ErrNotFound, []string{`vhost "/" does not exist`, "--vhost"}},
		{"bad login", 401, `{"error":"not_authorized","reason":"Login failed"}`, false, engine.ErrUnauthorized, []string{`user "bob"`, "401 Unauthorized: Login failed", "RABBITMQ_PASSWORD"}},
		{"no tag", 401, `{"error":"not_authorised","reason":"Not management user"}`, false, engine.ErrForbidden, []string{`user "bob"`, "monitoring tag", "set_user_tags bob monitoring"}},
		{"no vhost access", 401, `{"error":"not_authorised","reason":"User not authorised to access virtual host"}`, false, engine.ErrForbidden, []string{`vhost "/"`, "set_permissions -p / bob '' '' '.*'"}},
		{"forbidden", 403, `{"error":"forbidden"}`, false, engine.ErrForbidden, []string{`user "bob"`, "403 Forbidden"}},
		{"server error", 503, "<html>\nbusy\n</html>", false, engine.ErrUnavailable, []string{"503 Service Unavailable"}},
		{"redirect", 302, ``, false, engine.ErrBadResponse, []string{"302 Found", "--mgmt-url"}},
		{"html page", 200, `<html>proxy login</html>`, false, engine.ErrBadResponse, []string{"unreadable answer", "invalid character"}},
		{"truncated json", 200, bodyBusy[:50], false, engine.ErrBadResponse, []string{"malformed JSON"}},
		{"fresh queue", 200, `[]`, false, engine.ErrUnavailable, []string{"no statistics yet"}},
		{"int64 max messages", 200, `{"consumers":1,"messages":9223372036854775807,"messages_ready":0,"messages_unacknowledged":0}`, false, engine.ErrBadResponse, []string{"unreadable answer", "field messages is out of range"}},
		{"string counter", 200, `{"consumers":1,"messages":1,"messages_ready":1,"messages_unacknowledged":0,"message_stats":{"ack":"7"}}`, false, engine.ErrBadResponse, []string{"field message_stats.ack is a string, not a count"}},
		{"float count", 200, `{"consumers":1,"messages":2.5,"messages_ready":1,"messages_unacknowledged":0}`, false, engine.ErrBadResponse, []string{"field messages is not a whole number (2.5)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/api/vhosts/") && tt.vhost404 {
					w.WriteHeader(404)
					return
				}
				if strings.HasPrefix(r.URL.Path, "/api/vhosts/") {
					_, _ = w.Write([]byte(`{"name":"/"}`))
					return
				}
				if tt.status == 302 {
					w.Header().Set("Location", "http://elsewhere/")
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c := newTestClient(t, srv.URL, "bob", testSecret, "/", "q.1", nil)
			_, err := c.Stats(context.Background())
			checkErr(t, err, tt.sentinel, append(tt.want, srv.URL)...)
		})
	}
}

func TestRequestShape(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		_, _ = w.Write([]byte(bodyBusy))
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL+"/prefix/", "bob", testSecret, "/", "a b/c.d", nil)
	if _, err := c.Stats(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p := got.URL.EscapedPath(); p != "/prefix/api/queues/%2F/a%20b%2Fc.d" {
		t.Errorf("path = %s", p)
	}
	if q := got.URL.Query().Get("columns"); q != Columns {
		t.Errorf("columns = %q", q)
	}
	if u, p, ok := got.BasicAuth(); !ok || u != "bob" || p != testSecret {
		t.Errorf("basic auth = %q, ok=%v", u, ok)
	}
}

func TestTransportErrors(t *testing.T) {
	// A port with nothing listening: open a listener and close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()

	// A listener that accepts and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	tests := []struct {
		name string
		url  string
		want []string
	}{
		{"refused", "http://bob:" + testSecret + "@" + strings.TrimPrefix(refused, "http://"), []string{"connection refused by " + refused}},
		{"dns", "http://bob:" + testSecret + "@no-such-host.invalid:15672", []string{`cannot resolve host "no-such-host.invalid"`, "http://no-such-host.invalid:15672"}},
		{"timeout", "http://bob:" + testSecret + "@" + silent.Addr().String(), []string{"did not answer within 200ms", "--mgmt-timeout", "http://" + silent.Addr().String()}},
		{"https refused", "https://" + strings.TrimPrefix(refused, "http://"), []string{"connection refused"}},
		{"https to a plain http server", "https://" + strings.TrimPrefix(plain.URL, "http://"), []string{"does not speak TLS", "use http://"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, tt.url, "", "", "/", "q", func(o *Options) {
				o.Timeout = 200 * time.Millisecond
				if o.Username == "" && !strings.Contains(tt.url, "@") {
					o.Username, o.Password = "bob", testSecret
				}
			})
			_, err := c.Stats(context.Background())
			checkErr(t, err, engine.ErrUnavailable, tt.want...)
			if strings.Contains(err.Error(), "bob:") {
				t.Errorf("err %q shows userinfo", err)
			}
		})
	}
}

func TestCanceledContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	c := newTestClient(t, srv.URL, "bob", testSecret, "/", "q", nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err := c.Stats(ctx)
	if engine.ErrorKind(err) != "canceled" {
		t.Fatalf("err = %v (kind %s), want canceled", err, engine.ErrorKind(err))
	}
}
