package rabbit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/rabbit"
	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// TestListQueuesOnBroker: on the real broker, a vhost of 1,200 queues is
// listed in exactly 3 requests (counted by a recording proxy), with every
// queue present, the known depths, ready and unacknowledged counts right,
// and a name with control characters kept as it is.
func TestListQueuesOnBroker(t *testing.T) {
	t.Parallel()
	b := rabbittest.Start(t)
	vhost := b.NewVHost(t)
	const evil = "evil\x1b[2Jq\ty"
	names := []string{evil}
	for i := 0; i < 1199; i++ {
		names = append(names, fmt.Sprintf("q%04d", i))
	}
	start := time.Now()
	if err := b.DeclareQueues(context.Background(), vhost, names); err != nil {
		t.Fatal(err)
	}
	t.Logf("declared %d queues in %v", len(names), time.Since(start).Round(time.Millisecond))
	want := map[string]struct{ messages, unacked int64 }{"q0000": {3, 0}, "q0600": {5, 0}, "q1198": {7, 2}, evil: {4, 0}}
	for q, w := range want {
		b.Publish(t, vhost, q, int(w.messages))
		if w.unacked > 0 {
			b.Hold(t, vhost, q, int(w.unacked)).WaitHeld(t, int(w.unacked))
		}
	}
	p := rabbittest.StartRecordingProxy(t, b.MgmtURL)
	c := client(t, b, "/", "unused", func(o *rabbit.Options) { o.MgmtURL = p.URL })

	// Statistics of new queues, messages and consumers show after a refresh
	// (5 s), not necessarily the same one.
	var got map[string]engine.QueueStats
	var err error
	deadline := time.Now().Add(60 * time.Second)
	for ; time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if got, err = c.ListQueues(context.Background(), vhost); err == nil && len(got) == len(names) && depthsAre(got, want) && got["q1198"].Consumers == 1 {
			break
		}
	}
	if err != nil || len(got) != len(names) || !depthsAre(got, want) {
		t.Fatalf("after 60 s: %d of %d queues, error %v, known depths %v", len(got), len(names), err, pick(got, want))
	}
	p.Reset()
	start = time.Now()
	if got, err = c.ListQueues(context.Background(), vhost); err != nil || len(got) != len(names) {
		t.Fatalf("%d queues, %v", len(got), err)
	}
	t.Logf("one listing of %d queues: %v, %d requests", len(names), time.Since(start).Round(time.Millisecond), p.Total())
	if n, total := p.Count(rabbittest.APIPath("queues", vhost)), p.Total(); n != 3 || total != 3 {
		t.Errorf("%d listing requests of %d in all, want 3 and 3: %+v", n, total, p.Requests())
	}
	for i, r := range p.Requests() {
		if !strings.HasPrefix(r.Query, fmt.Sprintf("page=%d&page_size=500&columns=name%%2C", i+1)) || r.Status != 200 {
			t.Errorf("request %d: %+v", i+1, r)
		}
	}
	if s := got["q0123"]; s.Messages != 0 || s.Consumers != 0 {
		t.Errorf("an idle queue: %+v", s)
	}
	if s := got["q1198"]; s.Consumers != 1 {
		t.Errorf("the held queue: %+v, want 1 consumer", s)
	}
}

// depthsAre reports whether the listed queues have the wanted counts.
func depthsAre(got map[string]engine.QueueStats, want map[string]struct{ messages, unacked int64 }) bool {
	for q, w := range want {
		s, ok := got[q]
		if !ok || s.Messages != w.messages || s.Unacked != w.unacked || s.Ready != w.messages-w.unacked {
			return false
		}
	}
	return true
}

// pick returns the listed stats of the wanted queues, for a failure message.
func pick(got map[string]engine.QueueStats, want map[string]struct{ messages, unacked int64 }) map[string]engine.QueueStats {
	out := map[string]engine.QueueStats{}
	for q := range want {
		out[q] = got[q]
	}
	return out
}

// TestListQueuesForbiddenVHost: a management user with permissions on one
// vhost lists it, gets ErrForbidden for another vhost and ErrNotFound for a
// vhost that does not exist, from the same client.
func TestListQueuesForbiddenVHost(t *testing.T) {
	t.Parallel()
	b := rabbittest.Start(t)
	open, closed := b.NewVHost(t), b.NewVHost(t)
	b.NewQueue(t, open)
	b.NewQueue(t, closed)
	user, pass := b.NewUser(t, "management", open)
	c := client(t, b, "/", "unused", func(o *rabbit.Options) { o.Username, o.Password = user, rabbit.Secret(pass) })

	_, err := c.ListQueues(context.Background(), closed)
	if !errors.Is(err, engine.ErrForbidden) || !strings.Contains(err.Error(), fmt.Sprintf("may not see vhost %q", closed)) || strings.Contains(err.Error(), pass) {
		t.Errorf("forbidden vhost: %v", err)
	}
	_, err = c.ListQueues(context.Background(), "no-such-vhost-"+closed)
	if !errors.Is(err, engine.ErrNotFound) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing vhost: %v", err)
	}
	// The open vhost's queue shows once the broker has its statistics.
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := c.ListQueues(context.Background(), open)
		if err == nil && len(got) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("open vhost: %d queues, %v", len(got), err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
