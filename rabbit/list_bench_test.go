package rabbit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// roundTripFunc is an http.RoundTripper of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// benchPages renders the pages of a vhost of n queues as RabbitMQ 3.10
// answers a listing, every queue with message_stats.
func benchPages(n int) [][]byte {
	items := make([]string, n)
	for i := range items {
		items[i] = queueItem(fmt.Sprintf("yeeter.orders.worker-%04d", i), i*3,
			fmt.Sprintf(`{"publish":%d,"publish_details":{"rate":12.4},"deliver_get":%d,"deliver_get_details":{"rate":11.8},"ack":%d,"ack_details":{"rate":11.8}}`, i*1000, i*990, i*990))
	}
	f := &fakeList{items: items}
	var pages [][]byte
	for p := 1; p <= (n+PageSize-1)/PageSize; p++ {
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/queues/v?page="+strconv.Itoa(p)+"&page_size=500", nil))
		pages = append(pages, rec.Body.Bytes())
	}
	return pages
}

// BenchmarkListQueues1000 lists a vhost of 1,000 queues: two pages, decoded,
// checked and put through the rate tracker; the pages come from memory
// (Decode) or from a loopback HTTP server (HTTP).
func BenchmarkListQueues1000(b *testing.B) {
	pages := benchPages(1000)
	b.Logf("pages of %d and %d bytes", len(pages[0]), len(pages[1]))
	b.Run("Decode", func(b *testing.B) {
		c := newTestClient(b, "http://broker.invalid:15672", "bob", testSecret, "/", "unused", nil)
		c.hc.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			p, _ := strconv.Atoi(r.URL.Query().Get("page"))
			return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(pages[p-1])), Header: http.Header{}, Request: r}, nil
		})
		benchList(b, c)
	})
	b.Run("HTTP", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, _ := strconv.Atoi(r.URL.Query().Get("page"))
			_, _ = w.Write(pages[p-1])
		}))
		defer srv.Close()
		benchList(b, newTestClient(b, srv.URL, "bob", testSecret, "/", "unused", nil))
	})
}

func benchList(b *testing.B, c *Client) {
	now := time.Now()
	c.now = func() time.Time { now = now.Add(time.Second); return now }
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := c.ListQueues(context.Background(), "v")
		if err != nil || len(got) != 1000 {
			b.Fatalf("%d queues, %v", len(got), err)
		}
	}
}
