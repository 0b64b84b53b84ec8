package rabbit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// namedConsumer opens a connection named name (client property
// connection_name; none when "") with one consumer of prefetch 1 that
// never acks.
func namedConsumer(t *testing.T, b *rabbittest.Broker, vhost, queue, name string) <-chan amqp.Delivery {
	t.Helper()
	return channelConsumer(t, b, vhost, name, queue)
}

// channelConsumer opens a connection named name (none when "") with one
// channel consuming each of queues, prefetch 1 per consumer, never acking;
// it returns the deliveries of the last.
func channelConsumer(t *testing.T, b *rabbittest.Broker, vhost, name string, queues ...string) <-chan amqp.Delivery {
	t.Helper()
	props := amqp.Table{}
	if name != "" {
		props["connection_name"] = name
	}
	conn, err := amqp.DialConfig(b.AMQPURL, amqp.Config{Vhost: vhost, Properties: props})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Qos(1, 0, false); err != nil {
		t.Fatal(err)
	}
	var d <-chan amqp.Delivery
	for _, q := range queues {
		if d, err = ch.Consume(q, "", false, false, false, false, nil); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// TestConsumersOnBroker: on the real broker (3.10), the queue's consumers
// come with their connection's client-provided name, their peer address
// and their channel's unacknowledged messages: a worker holding a message
// is told from an idle one, and one without a name has "".
func TestConsumersOnBroker(t *testing.T) {
	t.Parallel()
	b := rabbittest.Start(t)
	vhost := b.NewVHost(t)
	queue := b.NewQueue(t, vhost)
	busy := namedConsumer(t, b, vhost, queue, "worker-busy")
	b.Publish(t, vhost, queue, 1)
	select {
	case <-busy:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery to the busy worker")
	}
	namedConsumer(t, b, vhost, queue, "worker-idle")
	namedConsumer(t, b, vhost, queue, "")
	c := client(t, b, vhost, queue, nil)
	want := []string{"worker-busy|1", "worker-idle|0", "|0"} // sorted
	var got []string
	var cs []engine.Consumer
	var err error
	// The channels' statistics show after a refresh.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		cs, err = c.Consumers(context.Background())
		got = nil
		for _, x := range cs {
			got = append(got, x.ConnectionName+"|"+string(rune('0'+x.Unacked)))
		}
		sort.Strings(got)
		if err == nil && strings.Join(got, ",") == strings.Join(want, ",") {
			break
		}
	}
	if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("consumers %v (%v), want %v", got, err, want)
	}
	for _, x := range cs {
		if x.PeerHost != "127.0.0.1" || x.PeerPort == 0 || x.Channel == "" || x.Tag == "" {
			t.Errorf("consumer %+v: want peer 127.0.0.1 with a port, a channel and a tag", x)
		}
	}
}

// TestConsumersHostile: answers that are not what the broker sends are bad
// responses, never a list to act on.
func TestConsumersHostile(t *testing.T) {
	t.Parallel()
	okChannels := `[{"name":"c (1)","messages_unacknowledged":0}]`
	okConns := `[{"name":"c","user_provided_name":"w"}]`
	okQueue := `{"consumer_details":[{"consumer_tag":"t","channel_details":{"name":"c (1)","connection_name":"c","peer_host":"10.0.0.1","peer_port":5555}}]}`
	tests := []struct {
		name                string
		queue, chans, conns string
		wantErr             error
		wantName            string
	}{
		{"good", okQueue, okChannels, okConns, nil, "w"},
		{"no consumer_details", `{}`, okChannels, okConns, engine.ErrBadResponse, ""},
		{"consumer without channel", `{"consumer_details":[{"consumer_tag":"t"}]}`, okChannels, okConns, engine.ErrBadResponse, ""},
		{"negative unacked", okQueue, `[{"name":"c (1)","messages_unacknowledged":-1}]`, okConns, engine.ErrBadResponse, ""},
		{"string unacked", okQueue, `[{"name":"c (1)","messages_unacknowledged":"1"}]`, okConns, engine.ErrBadResponse, ""},
		{"not json", okQueue, `<html>`, okConns, engine.ErrBadResponse, ""},
		{"huge", okQueue, `[` + strings.Repeat(" ", 9<<20) + `]`, okConns, engine.ErrBadResponse, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case strings.HasSuffix(r.URL.Path, "/channels"):
					w.Write([]byte(tt.chans))
				case strings.HasSuffix(r.URL.Path, "/connections"):
					w.Write([]byte(tt.conns))
				default:
					w.Write([]byte(tt.queue))
				}
			}))
			defer srv.Close()
			c := client(t, &rabbittest.Broker{MgmtURL: srv.URL, AdminUser: "u", AdminPassword: "p"}, "/", "q", nil)
			cs, err := c.Consumers(context.Background())
			if !errors.Is(err, tt.wantErr) || (err == nil && (len(cs) != 1 || cs[0].ConnectionName != tt.wantName || cs[0].PeerPort != 5555)) {
				t.Fatalf("got %+v, %v; want error %v, name %q", cs, err, tt.wantErr, tt.wantName)
			}
			if err != nil && strings.ContainsAny(err.Error(), "\n\x1b") {
				t.Errorf("error not one escaped line: %q", err)
			}
		})
	}
}
