package rabbit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/rabbit"
	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// isOrders matches the queues named orders.<something>.
func isOrders(q string) bool { return strings.HasPrefix(q, "orders.") }

// TestQueuesConsumersOnBroker: on the real broker (3.10), the vhost's
// consumer list, filtered by queue name, gives the consumers of the
// matching queues only, each with its channel's unacknowledged messages
// (a channel consuming two matching queues gives both consumers its one
// count), its connection's client-provided name and its peer, to the
// monitoring user that yeetscale's manifests ask for; a user without the
// monitoring tag sees no consumer, here as through one queue's listing.
func TestQueuesConsumersOnBroker(t *testing.T) {
	t.Parallel()
	b := rabbittest.Start(t)
	vhost := b.NewVHost(t)
	for _, q := range []string{"orders.eu", "orders.us", "audit"} {
		b.Queue(t, vhost, q)
	}
	busy := namedConsumer(t, b, vhost, "orders.eu", "worker-busy")
	b.Publish(t, vhost, "orders.eu", 1)
	select {
	case <-busy:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery to the busy worker")
	}
	both := channelConsumer(t, b, vhost, "worker-both", "orders.eu", "orders.us")
	b.Publish(t, vhost, "orders.us", 1)
	select {
	case <-both:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery to the worker of both queues")
	}
	audit := namedConsumer(t, b, vhost, "audit", "worker-audit")
	b.Publish(t, vhost, "audit", 1)
	<-audit
	namedConsumer(t, b, vhost, "orders.us", "worker-idle")

	monUser, monPass := b.NewUser(t, "monitoring", vhost)
	as := func(user, pass string) func(*rabbit.Options) {
		return func(o *rabbit.Options) { o.Username, o.Password = user, rabbit.Secret(pass) }
	}
	c := client(t, b, vhost, "orders.eu", as(monUser, monPass))
	want := "worker-both|1,worker-both|1,worker-busy|1,worker-idle|0" // sorted
	var got string
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		var cs []engine.Consumer
		cs, err = c.ForQueues(vhost, isOrders).Consumers(context.Background())
		got = consumerList(cs)
		for _, x := range cs {
			if x.PeerHost != "127.0.0.1" || x.PeerPort == 0 || x.Channel == "" || x.Tag == "" {
				t.Fatalf("consumer %+v: want peer 127.0.0.1 with a port, a channel and a tag", x)
			}
		}
		if err == nil && got == want {
			break
		}
	}
	if err != nil || got != want {
		t.Fatalf("consumers %s (%v), want %s", got, err, want)
	}

	mgmtUser, mgmtPass := b.NewUser(t, "management", vhost)
	m := client(t, b, vhost, "orders.eu", as(mgmtUser, mgmtPass))
	viaVHost, err := m.ForQueues(vhost, isOrders).Consumers(context.Background())
	if err != nil || len(viaVHost) != 0 {
		t.Errorf("a management user's consumers of the vhost: %s (%v), want none", consumerList(viaVHost), err)
	}
	viaQueue, err := m.Consumers(context.Background())
	if err != nil || len(viaQueue) != 0 {
		t.Errorf("a management user's consumers of one queue: %s (%v), want none", consumerList(viaQueue), err)
	}
}

// consumerList is "name|unacked" of each consumer, sorted and
// comma-separated.
func consumerList(cs []engine.Consumer) string {
	var s []string
	for _, x := range cs {
		s = append(s, fmt.Sprintf("%s|%d", x.ConnectionName, x.Unacked))
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

// TestQueuesConsumersHostile: answers that are not what the broker sends
// are errors of the right kind, one escaped line, never a list to act on;
// the vhost's other queues are left out.
func TestQueuesConsumersHostile(t *testing.T) {
	t.Parallel()
	okChannels := `[{"name":"c (1)","messages_unacknowledged":2},{"name":"d (1)","messages_unacknowledged":0}]`
	okConns := `[{"name":"c","user_provided_name":"w"},{"name":"d","user_provided_name":"x"}]`
	consumer := func(queue, channel string) string {
		return `{"queue":{"name":"` + queue + `"},"consumer_tag":"t","channel_details":{"name":"` + channel + ` (1)","connection_name":"` + channel + `","peer_host":"10.0.0.1","peer_port":5555}}`
	}
	okList := `[` + consumer("orders.eu", "c") + `,` + consumer("audit", "d") + `]`
	many := make([]string, 10001)
	for i := range many {
		many[i] = consumer("orders.eu", "c")
	}
	tests := []struct {
		name               string
		status             int
		list, chans, conns string
		wantErr            error
		wantPart           string // a part of the error
		wantName           string
	}{
		{"good", 200, okList, okChannels, okConns, nil, "", "w"},
		{"none matching", 200, `[` + consumer("audit", "d") + `]`, okChannels, okConns, nil, "", ""},
		{"not a list", 200, `{"consumer_details":[]}`, okChannels, okConns, engine.ErrBadResponse, "unreadable list of consumers", ""},
		{"no queue", 200, `[{"consumer_tag":"t","channel_details":{"name":"c (1)","connection_name":"c"}}]`, okChannels, okConns, engine.ErrBadResponse, "without its queue's name", ""},
		{"queue without a name", 200, `[{"queue":{},"consumer_tag":"t"}]`, okChannels, okConns, engine.ErrBadResponse, "without its queue's name", ""},
		{"queue name too long", 200, `[` + consumer(strings.Repeat("q", 256), "c") + `]`, okChannels, okConns, engine.ErrBadResponse, "over 255 bytes", ""},
		{"matched consumer without a channel", 200, `[{"queue":{"name":"orders.eu"},"consumer_tag":"t"}]`, okChannels, okConns, engine.ErrBadResponse, "without a channel", ""},
		{"control characters", 200, `[{"queue":"\u001b[31m"}]`, okChannels, okConns, engine.ErrBadResponse, "unreadable list of consumers", ""},
		{"too many matching", 200, `[` + strings.Join(many, ",") + `]`, okChannels, okConns, engine.ErrBadResponse, "more than 10000 consumers of the target's queues", ""},
		{"huge", 200, `[` + strings.Repeat(" ", 17<<20) + `]`, okChannels, okConns, engine.ErrBadResponse, "larger than", ""},
		{"bad channels", 200, okList, `[{"name":"c (1)","messages_unacknowledged":-1}]`, okConns, engine.ErrBadResponse, "unreadable list of consumers", ""},
		{"no vhost", 404, `{"error":"Object Not Found","reason":"Not Found"}`, okChannels, okConns, engine.ErrNotFound, `vhost "v" does not exist`, ""},
		{"no monitoring tag", 401, `{"error":"not_authorised","reason":"Not management user"}`, okChannels, okConns, engine.ErrForbidden, "monitoring tag", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/api/consumers/v":
					w.WriteHeader(tt.status)
					w.Write([]byte(tt.list))
				case strings.HasSuffix(r.URL.Path, "/channels"):
					w.Write([]byte(tt.chans))
				case strings.HasSuffix(r.URL.Path, "/connections"):
					w.Write([]byte(tt.conns))
				default:
					w.WriteHeader(http.StatusTeapot)
				}
			}))
			defer srv.Close()
			c := client(t, &rabbittest.Broker{MgmtURL: srv.URL, AdminUser: "u", AdminPassword: "p"}, "/", "q", nil)
			cs, err := c.ForQueues("v", isOrders).Consumers(context.Background())
			switch {
			case !errors.Is(err, tt.wantErr) || err != nil && !strings.Contains(err.Error(), tt.wantPart):
				t.Fatalf("got %+v, %v; want error %v with %q", cs, err, tt.wantErr, tt.wantPart)
			case err == nil && tt.wantName == "" && len(cs) != 0:
				t.Fatalf("got %+v, want no consumer", cs)
			case err == nil && tt.wantName != "" && (len(cs) != 1 || cs[0].ConnectionName != tt.wantName || cs[0].Unacked != 2 || cs[0].PeerPort != 5555):
				t.Fatalf("got %+v, want one consumer of %q holding 2", cs, tt.wantName)
			}
			if err != nil && strings.ContainsAny(err.Error(), "\n\x1b") {
				t.Errorf("error not one escaped line: %q", err)
			}
		})
	}
}
