package rabbittest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// TestRecordingProxy: requests through the proxy reach the broker with the
// client's credentials and are counted by exact escaped path and recorded
// (method, escaped path, query, status, time; no headers); DeclareQueues makes many queues at once; Reset starts
// the counts over; a target with credentials is refused.
func TestRecordingProxy(t *testing.T) {
	b := rabbittest.Start(t)
	vhost := b.NewVHost(t)
	names := make([]string, 40)
	for i := range names {
		names[i] = fmt.Sprintf("q%02d", i)
	}
	if err := b.DeclareQueues(context.Background(), vhost, names); err != nil {
		t.Fatal(err)
	}
	p := rabbittest.StartRecordingProxy(t, b.MgmtURL)
	get := func(path, query string) int {
		req, _ := http.NewRequest(http.MethodGet, p.URL+path+"?"+query, nil)
		req.SetBasicAuth(b.AdminUser, b.AdminPassword)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	list := rabbittest.APIPath("queues", vhost)
	for _, tt := range []struct{ path, query string }{
		{list, "page=1&page_size=500&columns=name"},
		{list, "page=1&page_size=500&columns=name"},
		{rabbittest.APIPath("queues", vhost, "q01"), "columns=name"},
		{rabbittest.APIPath("queues", "/"), "page=1&page_size=1"},
	} {
		if s := get(tt.path, tt.query); s != http.StatusOK {
			t.Fatalf("GET %s: %d", tt.path, s)
		}
	}
	if s := get(rabbittest.APIPath("queues", vhost, "nope"), ""); s != http.StatusNotFound {
		t.Fatalf("missing queue: %d", s)
	}
	if p.Total() != 5 || p.Count(list) != 2 || p.Count("/api/queues/%2F") != 1 {
		t.Errorf("total %d, listings of the vhost %d, of /: %d; want 5, 2, 1", p.Total(), p.Count(list), p.Count("/api/queues/%2F"))
	}
	reqs := p.Requests()
	if len(reqs) != 5 || reqs[0].Method != "GET" || reqs[0].Path != list || !strings.HasPrefix(reqs[0].Query, "page=1&") ||
		reqs[0].Status != 200 || reqs[4].Status != 404 || reqs[0].Took <= 0 || reqs[0].Took > time.Minute {
		t.Errorf("recorded %+v", reqs)
	}
	p.Reset()
	if p.Total() != 0 || p.Count(list) != 0 || len(p.Requests()) != 0 {
		t.Error("Reset kept counts")
	}
	if _, err := rabbittest.NewRecordingProxy("http://u:secret@127.0.0.1:1"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("credentials in the target: %v", err)
	}
}
