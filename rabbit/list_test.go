package rabbit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// fakeList serves GET /api/queues/{vhost} paginated as RabbitMQ 3.10 does,
// from items (JSON objects, sorted as the broker sorts them). edit, when
// set, may rewrite a page before it is sent.
type fakeList struct {
	items    []string
	edit     func(page int, p map[string]any)
	requests atomic.Int64
	paths    []string
}

func (f *fakeList) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.requests.Add(1)
	if n <= 10 {
		f.paths = append(f.paths, r.URL.EscapedPath()+"?"+r.URL.RawQuery)
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
	if page < 1 || size < 1 || size > 500 {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":"invalid_pagination_parameters","reason":"Invalid pagination parameters"}`)
		return
	}
	count := (len(f.items) + size - 1) / size
	if page > 1 && page > count {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"error":"page_out_of_range","reason":"Page out of range, page: %d page size: %d, len: %d"}`, page, size, len(f.items))
		return
	}
	lo, hi := min((page-1)*size, len(f.items)), min(page*size, len(f.items))
	raw := make([]json.RawMessage, 0, hi-lo)
	for _, it := range f.items[lo:hi] {
		raw = append(raw, json.RawMessage(it))
	}
	p := map[string]any{"filtered_count": len(f.items), "item_count": len(raw), "items": raw,
		"page": page, "page_count": count, "page_size": size, "total_count": len(f.items)}
	if f.edit != nil {
		f.edit(page, p)
	}
	_ = json.NewEncoder(w).Encode(p)
}

// queueItem is a listed queue with its counts and optional message_stats.
func queueItem(name string, messages int, stats string) string {
	js, _ := json.Marshal(name)
	s := fmt.Sprintf(`{"name":%s,"consumers":1,"consumer_capacity":0.5,"messages":%d,"messages_ready":%d,"messages_unacknowledged":0`, js, messages, messages)
	if stats != "" {
		s += `,"message_stats":` + stats
	}
	return s + "}"
}

// manyQueues returns n queues named q0000.. with n-i messages each.
func manyQueues(n int) []string {
	items := make([]string, n)
	for i := range items {
		items[i] = queueItem(fmt.Sprintf("q%04d", i), n-i, "")
	}
	return items
}

func listServer(t *testing.T, f *fakeList) *Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return newTestClient(t, srv.URL, "bob", testSecret, "/", "unused", nil)
}

// TestListQueuesPaginates: 1,201 queues are read in 3 requests of pages of
// 500 with the listing's columns; every queue is there with its counts, a
// name with control characters is kept as it is, a queue without statistics
// yet is left out, and the vhost "/" is path-escaped.
func TestListQueuesPaginates(t *testing.T) {
	const evil = "evil\x1b[2J\u009bq"
	items := manyQueues(1199)
	items = append(items, queueItem(evil, 7, ""), `{"name":"young"}`)
	f := &fakeList{items: items}
	c := listServer(t, f)
	got, err := c.ListQueues(context.Background(), "/")
	if err != nil {
		t.Fatal(err)
	}
	if n := f.requests.Load(); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	if len(got) != 1200 {
		t.Errorf("%d queues, want 1200", len(got))
	}
	for _, tt := range []struct {
		name     string
		messages int64
	}{{"q0000", 1199}, {"q0499", 700}, {"q0500", 699}, {"q1000", 199}, {"q1198", 1}, {evil, 7}} {
		s, ok := got[tt.name]
		if !ok || s.Messages != tt.messages || s.Ready != tt.messages || s.Consumers != 1 || s.ConsumerUtilisation != engine.KnownRate(0.5) {
			t.Errorf("%q: %+v (present %v), want %d messages", tt.name, s, ok, tt.messages)
		}
	}
	if _, ok := got["young"]; ok {
		t.Error("a queue without statistics is listed")
	}
	want := "/api/queues/%2F?page=1&page_size=500&columns=" + strings.ReplaceAll(ListColumns, ",", "%2C")
	if len(f.paths) == 0 || f.paths[0] != want {
		t.Errorf("first request %q, want %q", f.paths, want)
	}
	if len(f.paths) != 3 || !strings.Contains(f.paths[2], "page=3&") {
		t.Errorf("requests %q", f.paths)
	}
}

// TestListQueuesEmptyAndShrinking: an empty vhost is one request and no
// queues; a list that shrinks between pages (page out of range) ends the
// listing with what was read.
func TestListQueuesEmptyAndShrinking(t *testing.T) {
	f := &fakeList{}
	got, err := listServer(t, f).ListQueues(context.Background(), "v")
	if err != nil || len(got) != 0 || f.requests.Load() != 1 {
		t.Fatalf("empty vhost: %v, %v, %d requests", got, err, f.requests.Load())
	}
	f = &fakeList{items: manyQueues(501)}
	f.edit = func(page int, p map[string]any) {
		if page == 1 {
			f.items = f.items[:500] // one queue deleted before page 2 is asked for
		}
	}
	got, err = listServer(t, f).ListQueues(context.Background(), "v")
	if err != nil || len(got) != 500 || f.requests.Load() != 2 {
		t.Fatalf("shrinking list: %d queues, %v, %d requests", len(got), err, f.requests.Load())
	}
}

// TestListQueuesHostilePages: answers that are not a consistent page are a
// bad response, one line, without the password, after at most the pages
// already asked for.
func TestListQueuesHostilePages(t *testing.T) {
	set := func(onPage int, key string, v any) func(int, map[string]any) {
		return func(page int, p map[string]any) {
			if page == onPage {
				p[key] = v
			}
		}
	}
	big := make([]json.RawMessage, 501)
	for i := range big {
		big[i] = json.RawMessage(queueItem("x"+strconv.Itoa(i), 1, ""))
	}
	tests := []struct {
		name  string
		items []string
		edit  func(int, map[string]any)
		raw   string // whole body instead of a page
		want  string
	}{
		{"too many pages", manyQueues(3), func(_ int, p map[string]any) { p["page_count"], p["filtered_count"] = 201, 100_001 }, "", "holds more than 100000 queues: 201 pages of 500, more than one listing reads (200 pages of 500): split"},
		{"page count jumps", manyQueues(1200), set(2, "page_count", 40), "", "page_count 40 does not fit"},
		{"page count jumps consistently", manyQueues(1200), func(page int, p map[string]any) {
			if page == 2 {
				p["page_count"], p["filtered_count"] = 40, 20_000
			}
		}, "", "jumped from 3 to 40"},
		{"more items than page size", nil, func(_ int, p map[string]any) {
			p["items"], p["item_count"], p["filtered_count"], p["page_count"] = big, 501, 501, 2
		}, "", "501 queues on a page of 500"},
		{"wrong page", manyQueues(1200), set(2, "page", 1), "", "answered page 1 when asked for page 2"},
		{"wrong page size", manyQueues(3), set(1, "page_size", 1000), "", "pages of 1000"},
		{"item count", manyQueues(3), set(1, "item_count", 2), "", "item_count 2 but 3 items"},
		{"negative count", manyQueues(3), set(1, "filtered_count", -1), "", "negative"},
		{"more items than the list", manyQueues(3), func(_ int, p map[string]any) { p["filtered_count"], p["page_count"] = 0, 0 }, "", "3 items of a list of 0"},
		{"items missing", manyQueues(3), func(_ int, p map[string]any) { delete(p, "items") }, "", "not a paginated queue list"},
		{"plain array (no pagination)", nil, nil, `[{"name":"a","messages":1}]`, "not a paginated queue list"},
		{"bad JSON", nil, nil, `{"items":[{"name":"a",`, "not a paginated queue list"},
		{"count not a number", manyQueues(3), set(1, "page_count", "3"), "", "not a paginated queue list"},
		{"item is a list", nil, nil, `{"filtered_count":1,"item_count":1,"items":[[]],"page":1,"page_count":1,"page_size":500}`, "not a paginated queue list"},
		{"nameless queue", []string{`{"consumers":0,"messages":1,"messages_ready":1,"messages_unacknowledged":0}`}, nil, "", "has no name"},
		{"long name", []string{queueItem(strings.Repeat("n", 256), 1, "")}, nil, "", "256 bytes"},
		{"negative depth", []string{queueItem("a", -5, "")}, nil, "", `queue "a": field messages is negative`},
		{"string depth", []string{`{"name":"a","consumers":0,"messages":"9","messages_ready":9,"messages_unacknowledged":0}`}, nil, "", "is a string"},
		{"huge depth", []string{`{"name":"a","consumers":0,"messages":9007199254740993,"messages_ready":0,"messages_unacknowledged":0}`}, nil, "", "out of range"},
		{"bad counter", []string{queueItem("a", 1, `{"publish":-1}`)}, nil, "", "message_stats.publish is negative"},
		{"oversize", nil, nil, `{"items":["` + strings.Repeat("x", maxPageBody) + `"]}`, "larger than 16777216 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h http.Handler = &fakeList{items: tt.items, edit: tt.edit}
			if tt.raw != "" {
				h = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, tt.raw) })
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			c := newTestClient(t, srv.URL, "bob", testSecret, "/", "unused", nil)
			got, err := c.ListQueues(context.Background(), "v")
			if got != nil {
				t.Errorf("queues %d returned with the error", len(got))
			}
			checkErr(t, err, engine.ErrBadResponse, tt.want)
			if len(err.Error()) > 600 {
				t.Errorf("error of %d bytes", len(err.Error()))
			}
		})
	}
}

// TestListQueuesStatus: the broker's refusals are classified per vhost as
// Stats classifies them, and a forbidden vhost does not affect another.
func TestListQueuesStatus(t *testing.T) {
	tests := []struct {
		status   int
		body     string
		sentinel error
		want     string
	}{
		{401, `{"error":"not_authorised","reason":"User not authorised to access virtual host"}`, engine.ErrForbidden, `may not see vhost "secret"`},
		{401, `{"error":"not_authorised","reason":"Not management user"}`, engine.ErrForbidden, "may not use the management API"},
		{401, `{"error":"not_authorized","reason":"Login failed"}`, engine.ErrUnauthorized, "rejected the credentials"},
		{403, `{"error":"forbidden"}`, engine.ErrForbidden, `may not list the queues of vhost "secret"`},
		{404, `{"error":"Object Not Found","reason":"Not Found"}`, engine.ErrNotFound, `vhost "secret" does not exist`},
		{500, `{"error":"boom"}`, engine.ErrUnavailable, "failed (500"},
		{400, `{"error":"invalid_pagination_parameters"}`, engine.ErrBadResponse, "unexpected answer 400"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status, " ", tt.want), func(t *testing.T) {
			ok := &fakeList{items: manyQueues(2)}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/api/queues/secret") {
					w.WriteHeader(tt.status)
					fmt.Fprint(w, tt.body)
					return
				}
				ok.ServeHTTP(w, r)
			}))
			defer srv.Close()
			c := newTestClient(t, srv.URL, "bob", testSecret, "/", "unused", nil)
			_, err := c.ListQueues(context.Background(), "secret")
			checkErr(t, err, tt.sentinel, tt.want)
			if got, err := c.ListQueues(context.Background(), "open"); err != nil || len(got) != 2 {
				t.Errorf("the other vhost: %d queues, %v", len(got), err)
			}
		})
	}
}

// TestListQueuesRefusesUnreadableVHosts: "", "." and ".." are refused
// without a request.
func TestListQueuesRefusesUnreadableVHosts(t *testing.T) {
	f := &fakeList{}
	c := listServer(t, f)
	for _, v := range []string{"", ".", ".."} {
		var ce *engine.ConfigError
		if _, err := c.ListQueues(context.Background(), v); !errors.As(err, &ce) {
			t.Errorf("vhost %q: %v, want a ConfigError", v, err)
		}
	}
	if f.requests.Load() != 0 {
		t.Errorf("%d requests", f.requests.Load())
	}
}

// TestListQueuesEchoedCredentials: a server echoing the request's headers
// gets no form of the password into a listing's error.
func TestListQueuesEchoedCredentials(t *testing.T) {
	for _, status := range []int{200, 401, 403, 404, 500} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { echoHeaders(w, r, status, true) }))
		c := newTestClient(t, srv.URL, "yeet", hostilePassword, "/", "q", nil)
		_, err := c.ListQueues(context.Background(), "v")
		srv.Close()
		for _, f := range []string{"s3cr3t", "czNjcjN0", "eWVldDpz"} {
			if err == nil || strings.Contains(fmt.Sprintf("%+v", err), f) {
				t.Errorf("%d: %v shows %q", status, err, f)
			}
		}
	}
}

// TestListQueuesCounterRatesPerQueue: counter rates are tracked per vhost
// and queue for a fleet-sized listing: 1,200 queues in each of two vhosts
// (the same names in both, different traffic), whose broker rates read 0,
// all get their own counter rates after a few polls.
func TestListQueuesCounterRatesPerQueue(t *testing.T) {
	const n = 1200
	var poll int
	lists := map[string]*fakeList{"a": {}, "b": {}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vhost := strings.TrimPrefix(r.URL.Path, "/api/queues/")
		f := lists[vhost]
		if r.URL.Query().Get("page") == "1" {
			per := map[string]int{"a": 3, "b": 1}[vhost] // messages per second per queue
			f.items = f.items[:0]
			for i := 0; i < n; i++ {
				pub := poll * 5 * per * (i%7 + 1)
				f.items = append(f.items, queueItem(fmt.Sprintf("q%04d", i), 1, fmt.Sprintf(`{"publish":%d,"publish_details":{"rate":0.0}}`, pub)))
			}
		}
		f.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c := newTestClient(t, srv.URL, "bob", testSecret, "/", "unused", nil)
	now := c.now()
	c.now = func() time.Time { return now }
	got := map[string]map[string]engine.QueueStats{}
	for poll = 0; poll < 4; poll++ {
		for v := range lists {
			var err error
			if got[v], err = c.ListQueues(context.Background(), v); err != nil {
				t.Fatal(err)
			}
		}
		now = now.Add(5 * time.Second)
	}
	for v, per := range map[string]int{"a": 3, "b": 1} {
		for _, i := range []int{0, 1, 600, 1023, 1024, 1199} {
			s := got[v][fmt.Sprintf("q%04d", i)]
			if want := engine.KnownRate(float64(per * (i%7 + 1))); s.PublishRate != want || s.RatesFrom != engine.RatesFromCounters {
				t.Errorf("vhost %s queue %d: publish %+v from %q, want %v from counters", v, i, s.PublishRate, s.RatesFrom, want.PerSecond)
			}
		}
	}
}
