package rabbit

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// hangingListener accepts connections and never answers.
func hangingListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// TestErrorCauses: every transport failure is an *engine.Error with its
// sentinel and its cause, for errors.Is.
func TestErrorCauses(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	hanging := hangingListener(t)

	tests := []struct {
		name    string
		addr    string
		timeout time.Duration
		ctx     func() (context.Context, context.CancelFunc)
		kind    error
		causes  []error
		want    string
	}{
		{"closed port", closed, time.Second, nil, engine.ErrUnavailable, []error{syscall.ECONNREFUSED}, "connection refused"},
		{"request timeout", hanging, 100 * time.Millisecond, nil, engine.ErrUnavailable, []error{context.DeadlineExceeded}, "did not answer within 100ms"},
		{"caller's deadline", hanging, 10 * time.Second,
			func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 100*time.Millisecond)
			},
			engine.ErrUnavailable, []error{context.DeadlineExceeded}, "abandoned"},
		{"caller cancels", hanging, 10 * time.Second,
			func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(100*time.Millisecond, cancel)
				return ctx, cancel
			},
			context.Canceled, []error{context.Canceled}, "abandoned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, "http://"+tt.addr, "bob", testSecret, "/", "q", func(o *Options) { o.Timeout = tt.timeout })
			ctx, cancel := context.Background(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			_, err := c.Stats(ctx)
			var ee *engine.Error
			if !errors.As(err, &ee) || !errors.Is(err, tt.kind) {
				t.Fatalf("err = %#v, want an *engine.Error of kind %v", err, tt.kind)
			}
			for _, cause := range tt.causes {
				if !errors.Is(err, cause) {
					t.Errorf("errors.Is(%v, %v) = false", err, cause)
				}
			}
			if ee.Err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q (cause %v), want a cause and %q", err, ee.Err, tt.want)
			}
		})
	}
}

// TestTLSErrors: a certificate for other names (httptest's: 127.0.0.1,
// ::1, example.com) reached as "localhost" is a host name mismatch, which
// with the CA given advises the names, not --mgmt-ca-file.
func TestTLSErrors(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	otherCA := rabbittest.NewCA(t).File(t)
	tests := []struct {
		name, url, ca string
		want, not     []string
	}{
		{"wrong host, CA given", "https://localhost:" + port, caFile, []string{"does not match the host", "SANs"}, []string{"--mgmt-ca-file"}},
		{"right host, no CA", srv.URL, "", []string{"not trusted", "--mgmt-ca-file"}, nil},
		{"right host, wrong CA", srv.URL, otherCA, []string{"not trusted even with --mgmt-ca-file " + otherCA}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, tt.url, "bob", testSecret, "/", "q", func(o *Options) { o.CAFile = tt.ca })
			_, err := c.Stats(context.Background())
			checkErr(t, err, engine.ErrUnavailable, tt.want...)
			for _, n := range tt.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("err %q advises %s", err, n)
				}
			}
			var ee *engine.Error
			if !errors.As(err, &ee) || ee.Err == nil {
				t.Errorf("no cause kept: %#v", err)
			}
		})
	}
}
