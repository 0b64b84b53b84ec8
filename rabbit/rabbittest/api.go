package rabbittest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// APIPath joins "/api" and the path-escaped parts: APIPath("queues", "/",
// "a b") is "/api/queues/%2F/a%20b".
func APIPath(parts ...string) string {
	var sb strings.Builder
	sb.WriteString("/api")
	for _, p := range parts {
		sb.WriteString("/")
		sb.WriteString(url.PathEscape(p))
	}
	return sb.String()
}

// Do sends an administrator's request to the management API. path starts with
// /api (see APIPath); body, when not nil, is sent as JSON.
func (b *Broker) Do(ctx context.Context, method, path string, body any) (status int, resp []byte, err error) {
	var rd io.Reader
	if body != nil {
		js, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(b.MgmtURL, "/")+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.SetBasicAuth(b.AdminUser, b.AdminPassword)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := b.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	resp, err = io.ReadAll(io.LimitReader(res.Body, 4<<20))
	return res.StatusCode, resp, err
}

// must sends an administrator's request and returns an error unless the
// status is 2xx.
func (b *Broker) must(ctx context.Context, method, path string, body any) ([]byte, error) {
	status, resp, err := b.Do(ctx, method, path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if status/100 != 2 {
		return nil, fmt.Errorf("%s %s: status %d: %.300s", method, path, status, resp)
	}
	return resp, nil
}

// UniqueName returns prefix + "." + a random suffix, for queues, vhosts and
// users that no other test or run shares.
func UniqueName(prefix string) string {
	r := make([]byte, 4)
	_, _ = rand.Read(r)
	clean := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			return c
		}
		return '-'
	}, prefix)
	if len(clean) > 80 {
		clean = clean[:80]
	}
	return clean + "." + hex.EncodeToString(r)
}

func cleanupCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// CreateVHost creates vhost and gives the administrator full permissions on it.
func (b *Broker) CreateVHost(ctx context.Context, vhost string) error {
	if _, err := b.must(ctx, http.MethodPut, APIPath("vhosts", vhost), map[string]any{}); err != nil {
		return err
	}
	return b.Grant(ctx, b.AdminUser, vhost)
}

// Grant gives user full configure/write/read permissions on vhost.
func (b *Broker) Grant(ctx context.Context, user, vhost string) error {
	_, err := b.must(ctx, http.MethodPut, APIPath("permissions", vhost, user),
		map[string]string{"configure": ".*", "write": ".*", "read": ".*"})
	return err
}

// DeleteVHost deletes vhost and everything in it.
func (b *Broker) DeleteVHost(ctx context.Context, vhost string) error {
	_, err := b.must(ctx, http.MethodDelete, APIPath("vhosts", vhost), nil)
	return err
}

// DeclareQueue declares a durable classic queue.
func (b *Broker) DeclareQueue(ctx context.Context, vhost, queue string) error {
	_, err := b.must(ctx, http.MethodPut, APIPath("queues", vhost, queue),
		map[string]any{"durable": true, "auto_delete": false})
	return err
}

// DeleteQueue deletes a queue.
func (b *Broker) DeleteQueue(ctx context.Context, vhost, queue string) error {
	_, err := b.must(ctx, http.MethodDelete, APIPath("queues", vhost, queue), nil)
	return err
}

// CreateUser creates user with password and tags (comma-separated, e.g.
// "monitoring"; "" for none) and full permissions on each of vhosts.
func (b *Broker) CreateUser(ctx context.Context, user, password, tags string, vhosts ...string) error {
	if _, err := b.must(ctx, http.MethodPut, APIPath("users", user),
		map[string]string{"password": password, "tags": tags}); err != nil {
		return err
	}
	for _, v := range vhosts {
		if err := b.Grant(ctx, user, v); err != nil {
			return err
		}
	}
	return nil
}

// DeleteUser deletes user.
func (b *Broker) DeleteUser(ctx context.Context, user string) error {
	_, err := b.must(ctx, http.MethodDelete, APIPath("users", user), nil)
	return err
}

// NewVHost creates a vhost of the test's own, deleted at cleanup.
func (b *Broker) NewVHost(t testing.TB) string {
	t.Helper()
	v := UniqueName("yeetscale-test." + t.Name())
	if err := b.CreateVHost(context.Background(), v); err != nil {
		t.Fatalf("rabbittest: create vhost: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := b.DeleteVHost(ctx, v); err != nil {
			t.Errorf("rabbittest: delete vhost: %v", err)
		}
	})
	return v
}

// NewQueue declares a durable queue of the test's own in vhost, deleted at
// cleanup, and returns its name.
func (b *Broker) NewQueue(t testing.TB, vhost string) string {
	t.Helper()
	q := UniqueName("yeetscale-test." + t.Name())
	b.Queue(t, vhost, q)
	return q
}

// Queue declares the durable queue vhost/name, deleted at cleanup.
func (b *Broker) Queue(t testing.TB, vhost, name string) {
	t.Helper()
	if err := b.DeclareQueue(context.Background(), vhost, name); err != nil {
		t.Fatalf("rabbittest: declare queue: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := b.DeleteQueue(ctx, vhost, name); err != nil {
			t.Errorf("rabbittest: delete queue: %v", err)
		}
	})
}

// NewUser creates a user with a random password, the given tags (e.g.
// "monitoring", "management", or "" for none) and full permissions on
// vhosts; the user is deleted at cleanup.
func (b *Broker) NewUser(t testing.TB, tags string, vhosts ...string) (user, password string) {
	t.Helper()
	user = UniqueName("yeetscale-test-user")
	password = "pw-" + UniqueName("secret")
	if err := b.CreateUser(context.Background(), user, password, tags, vhosts...); err != nil {
		t.Fatalf("rabbittest: create user: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := b.DeleteUser(ctx, user); err != nil {
			t.Errorf("rabbittest: delete user: %v", err)
		}
	})
	return user, password
}
