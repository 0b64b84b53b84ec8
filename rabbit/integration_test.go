package rabbit_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/rabbit"
	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// client returns a rabbit.Client for vhost/queue on b as the administrator.
func client(t *testing.T, b *rabbittest.Broker, vhost, queue string, mod func(*rabbit.Options)) *rabbit.Client {
	t.Helper()
	o := rabbit.DefaultOptions()
	o.MgmtURL, o.VHost, o.Queue = b.MgmtURL, vhost, queue
	o.Username, o.Password = b.AdminUser, rabbit.Secret(b.AdminPassword)
	o.Getenv = func(string) string { return "" }
	if mod != nil {
		mod(&o)
	}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	c, err := rabbit.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// freshQueue starts the broker and returns it, a new vhost, a new queue in
// it and a client of that queue.
func freshQueue(t *testing.T) (*rabbittest.Broker, string, string, *rabbit.Client) {
	t.Helper()
	b := rabbittest.Start(t)
	vhost := b.NewVHost(t)
	q := b.NewQueue(t, vhost)
	return b, vhost, q, client(t, b, vhost, q, nil)
}

// waitStats polls Stats until ok accepts an observation (statistics refresh
// about every 5 s on RabbitMQ 3.10, whatever the configured interval) and
// returns it.
func waitStats(t *testing.T, c *rabbit.Client, what string, ok func(engine.QueueStats) bool) engine.QueueStats {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last engine.QueueStats
	var lastErr error
	for time.Now().Before(deadline) {
		s, err := c.Stats(context.Background())
		if err == nil && ok(s) {
			return s
		}
		last, lastErr = s, err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: last stats %+v, last error %v", what, last, lastErr)
	return last
}

func TestDepthReadyUnackedConsumers(t *testing.T) {
	t.Parallel()
	b, vhost, q, c := freshQueue(t)

	s := waitStats(t, c, "an empty queue's statistics", func(s engine.QueueStats) bool { return true })
	if s.Messages != 0 || s.PublishRate.Known || s.DeliverRate.Known || s.AckRate.Known {
		t.Fatalf("before traffic: %+v; want 0 messages and unknown rates", s)
	}

	// (No publish rate is asserted: the broker reports a channel's publish
	// statistics only if the channel lives through a statistics tick, and
	// the harness's publishing channel is short-lived. The deliver and ack
	// rates below come from long-lived consumers.)
	b.Publish(t, vhost, q, 25)
	waitStats(t, c, "25 ready", func(s engine.QueueStats) bool {
		return s.Messages == 25 && s.Ready == 25 && s.Unacked == 0
	})

	cons := b.Hold(t, vhost, q, 10)
	cons.WaitHeld(t, 10)
	s = waitStats(t, c, "15 ready + 10 unacked with one consumer", func(s engine.QueueStats) bool {
		return s.Messages == 25 && s.Ready == 15 && s.Unacked == 10 && s.Consumers == 1
	})
	cons2 := b.Hold(t, vhost, q, 5)
	cons2.WaitHeld(t, 5)
	waitStats(t, c, "two consumers", func(s engine.QueueStats) bool {
		return s.Consumers == 2 && s.Ready == 10 && s.Unacked == 15
	})
	if _, err := cons.AckAll(); err != nil {
		t.Fatal(err)
	}
	s = waitStats(t, c, "ack and deliver rates known", func(s engine.QueueStats) bool {
		return s.AckRate.Known && s.DeliverRate.Known && s.Messages == 15
	})
	t.Logf("after traffic: %+v", s)
}

func TestNamesWithDotsSpacesSlashes(t *testing.T) {
	t.Parallel()
	b := rabbittest.Start(t)
	vhost := "yeetscale test/vhost." + rabbittest.UniqueName("x")
	if err := b.CreateVHost(context.Background(), vhost); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.DeleteVHost(context.Background(), vhost) })
	for _, q := range []string{"yeeter.simulation.orders", "orders with spaces", "a/b/c", "dots.and spaces/and%slashes"} {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			b.Queue(t, vhost, q)
			b.Publish(t, vhost, q, 3)
			waitStats(t, client(t, b, vhost, q, nil), "3 messages", func(s engine.QueueStats) bool { return s.Messages == 3 })
		})
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	b := rabbittest.Start(t)
	vhost := b.NewVHost(t)
	_, err := client(t, b, vhost, "no.such queue", nil).Stats(context.Background())
	if !errors.Is(err, engine.ErrNotFound) || !strings.Contains(err.Error(), `queue "no.such queue" not found in vhost "`+vhost+`"`) {
		t.Fatalf("missing queue: %v", err)
	}
	_, err = client(t, b, "no such vhost", "q", nil).Stats(context.Background())
	if !errors.Is(err, engine.ErrNotFound) || !strings.Contains(err.Error(), `vhost "no such vhost" does not exist`) {
		t.Fatalf("missing vhost: %v", err)
	}
}

func TestCredentialsAndTags(t *testing.T) {
	t.Parallel()
	b := rabbittest.Start(t)
	vhost := b.NewVHost(t)
	q := b.NewQueue(t, vhost)
	monUser, monPass := b.NewUser(t, "monitoring", vhost)
	plainUser, plainPass := b.NewUser(t, "", vhost)
	mgmtUser, mgmtPass := b.NewUser(t, "management") // no permissions on vhost

	tests := []struct {
		name       string
		user, pass string
		sentinel   error
		want       string
	}{
		{"monitoring user with permissions", monUser, monPass, nil, ""},
		{"wrong password", monUser, monPass + "-wrong", engine.ErrUnauthorized, `rejected the credentials of user "` + monUser + `"`},
		{"no such user", "nobody-" + monUser, monPass, engine.ErrUnauthorized, "Login failed"},
		{"user without a management tag", plainUser, plainPass, engine.ErrForbidden, "monitoring tag"},
		{"management user without vhost access", mgmtUser, mgmtPass, engine.ErrForbidden, `may not see vhost "` + vhost + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := strings.Replace(b.MgmtURL, "://", "://"+tt.user+":"+tt.pass+"@", 1) // userinfo in --mgmt-url
			c := client(t, b, vhost, q, func(o *rabbit.Options) { o.MgmtURL, o.Username, o.Password = url, "", "" })
			if tt.sentinel == nil {
				waitStats(t, c, "stats as "+tt.name, func(engine.QueueStats) bool { return true })
				return
			}
			_, err := c.Stats(context.Background())
			if !errors.Is(err, tt.sentinel) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want %v and %q", err, tt.sentinel, tt.want)
			}
			if strings.Contains(err.Error(), tt.pass) || strings.Contains(c.String(), tt.pass) {
				t.Fatalf("password in %q / %q", err, c.String())
			}
			t.Logf("%s", err)
		})
	}
}

// tlsProxy starts an https reverse proxy in front of target with a
// certificate from a fresh CA, and returns its URL and the CA's PEM file.
func tlsProxy(t *testing.T, target string) (string, string) {
	t.Helper()
	ca := rabbittest.NewCA(t)
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.Rewrite = func(r *httputil.ProxyRequest) { r.SetURL(u); r.Out.URL.RawPath = r.In.URL.RawPath } // keep %2F
	proxy.Director = nil
	srv := httptest.NewUnstartedServer(proxy)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.ServerCert(t, "127.0.0.1", "localhost")}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL, ca.File(t)
}

func TestHTTPSWithSelfSignedCA(t *testing.T) {
	t.Parallel()
	b := rabbittest.Start(t)
	q := b.NewQueue(t, "/")
	b.Publish(t, "/", q, 4)
	proxyURL, caFile := tlsProxy(t, b.MgmtURL)

	trusted := client(t, b, "/", q, func(o *rabbit.Options) { o.MgmtURL, o.CAFile = proxyURL, caFile })
	waitStats(t, trusted, "4 messages over https", func(s engine.QueueStats) bool { return s.Messages == 4 })

	_, err := client(t, b, "/", q, func(o *rabbit.Options) { o.MgmtURL = proxyURL }).Stats(context.Background())
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "not trusted") || !strings.Contains(err.Error(), "--mgmt-ca-file") {
		t.Fatalf("without the CA: %v", err)
	}
	t.Logf("%s", err)

	insecure := client(t, b, "/", q, func(o *rabbit.Options) { o.MgmtURL, o.InsecureSkipTLSVerify = proxyURL, true })
	waitStats(t, insecure, "4 messages with --insecure-skip-tls-verify", func(s engine.QueueStats) bool { return s.Messages == 4 })
}

func TestTimeoutAgainstSilentListener(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	b := rabbittest.Start(t)
	c := client(t, b, "/", "q", func(o *rabbit.Options) {
		o.MgmtURL, o.Timeout = "http://"+b.AdminUser+":"+b.AdminPassword+"@"+l.Addr().String(), 300*time.Millisecond
	})
	_, err = c.Stats(context.Background())
	if !errors.Is(err, engine.ErrUnavailable) || !strings.Contains(err.Error(), "did not answer within 300ms") ||
		!strings.Contains(err.Error(), "http://"+l.Addr().String()) || strings.Contains(err.Error(), b.AdminPassword+"@") {
		t.Fatalf("err = %v", err)
	}
}

// TestRatesOnDefaultStatisticsInterval runs steady traffic at a known rate
// through a broker with the default statistics interval and checks that the
// rates the client reports, and its counter rates, are non-zero while
// workers consume and within 20% of the true rate.
func TestRatesOnDefaultStatisticsInterval(t *testing.T) {
	t.Parallel()
	b, vhost, q, c := freshQueue(t)
	const perSecond = 20.0
	load := b.StartLoad(t, vhost, q, perSecond, 2)
	// The broker's rates need two refreshes of the queue's statistics (5 s
	// apart); the counter rates need a span of at least 10 s between two
	// polls that saw refreshed counters, which is 16 s after the first poll
	// that saw message_stats at worst (a poll just after a refresh, then 10 s
	// later one just before a refresh). On a loaded machine the first
	// statistics come several seconds after the traffic starts.
	begin, warm, warmCounters := time.Now(), 12*time.Second, 16*time.Second
	var checked int
	var counted time.Time // the first poll that saw message_stats
	for time.Since(begin) < warm+20*time.Second {
		time.Sleep(time.Second)
		s, err := c.Stats(context.Background())
		if err != nil {
			if errors.Is(err, engine.ErrUnavailable) && time.Since(begin) < warm {
				continue // no statistics yet
			}
			t.Fatal(err)
		}
		if counted.IsZero() && s.RatesFrom != "" {
			counted = time.Now()
		}
		elapsed := time.Since(begin).Seconds()
		truePub, trueAck := float64(load.Published())/elapsed, float64(load.Acked())/elapsed
		ctr := rabbit.CounterRates(c)
		t.Logf("t=%4.1fs reported publish %.1f ack %.1f (%s); counters publish %.1f ack %.1f; true publish %.1f ack %.1f",
			elapsed, s.PublishRate.PerSecond, s.AckRate.PerSecond, s.RatesFrom, ctr[0].PerSecond, ctr[2].PerSecond, truePub, trueAck)
		if time.Since(begin) < warm {
			continue
		}
		checked++
		type check struct {
			name string
			got  engine.Rate
			want float64
		}
		rates := []check{{"reported publish", s.PublishRate, truePub}, {"reported ack", s.AckRate, trueAck}}
		if !counted.IsZero() && time.Since(counted) >= warmCounters {
			rates = append(rates, check{"counter publish", ctr[0], truePub}, check{"counter ack", ctr[2], trueAck})
		}
		for _, r := range rates {
			if !r.got.Known || r.got.PerSecond <= 0 || r.got.PerSecond < 0.8*r.want || r.got.PerSecond > 1.2*r.want {
				t.Errorf("t=%.1fs: %s rate %+v, want within 20%% of %.2f/s", elapsed, r.name, r.got, r.want)
			}
		}
	}
	if checked < 15 {
		t.Fatalf("only %d polls checked", checked)
	}
}
