package rabbittest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// TestHarness checks the harness itself: a broker answers, a vhost and a
// queue can be made, and publishing and holding messages work.
func TestHarness(t *testing.T) {
	b := rabbittest.Start(t)
	t.Logf("broker %s node %s local=%v", b.MgmtURL, b.Node, b.Local)
	vhost := b.NewVHost(t)
	q := b.NewQueue(t, vhost)
	b.Publish(t, vhost, q, 5)
	c := b.Hold(t, vhost, q, 2)
	c.WaitHeld(t, 2)
	if n, err := c.AckAll(); err != nil || n != 2 {
		t.Fatalf("AckAll = %d, %v; want 2, nil", n, err)
	}
	c.WaitHeld(t, 2)

	status, body, err := b.Do(context.Background(), http.MethodGet, rabbittest.APIPath("overview"), nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("overview: %d %v", status, err)
	}
	var o struct {
		StatisticsDBEventQueue int    `json:"statistics_db_event_queue"`
		RabbitMQVersion        string `json:"rabbitmq_version"`
	}
	if err := json.Unmarshal(body, &o); err != nil {
		t.Fatal(err)
	}
	t.Logf("RabbitMQ %s", o.RabbitMQVersion)
}
