package rabbit

import (
	"errors"
	"strings"
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

// Bodies as RabbitMQ 3.10 sends them for the Columns query.
const (
	bodyFresh   = `[]`
	bodyIdle    = `{"consumer_capacity":0,"consumer_utilisation":0,"consumers":0,"messages":0,"messages_ready":0,"messages_unacknowledged":0}`
	bodyNoRates = `{"consumer_capacity":0,"consumer_utilisation":0,"consumers":0,"message_stats":[],"messages":1,"messages_ready":1,"messages_unacknowledged":0}`
	bodyBusy    = `{"consumer_capacity":0.5,"consumer_utilisation":0.25,"consumers":3,"message_stats":{"publish_details":{"rate":12.5},"deliver_get_details":{"rate":10.0},"ack_details":{"rate":9.5}},"messages":40,"messages_ready":30,"messages_unacknowledged":10}`
)

func TestDecodeQueue(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    engine.QueueStats
		noStats bool
		bad     bool
	}{
		{name: "fresh queue has no statistics", body: bodyFresh, noStats: true},
		{name: "object without counts", body: `{"consumers":0}`, noStats: true},
		{name: "idle queue: rates unknown", body: bodyIdle, want: engine.QueueStats{ConsumerUtilisation: engine.KnownRate(0)}},
		{name: "empty message_stats list", body: bodyNoRates, want: engine.QueueStats{Messages: 1, Ready: 1, ConsumerUtilisation: engine.KnownRate(0)}},
		{name: "busy queue", body: bodyBusy, want: engine.QueueStats{
			Messages: 40, Ready: 30, Unacked: 10, Consumers: 3,
			ConsumerUtilisation: engine.KnownRate(0.5),
			PublishRate:         engine.KnownRate(12.5), DeliverRate: engine.KnownRate(10), AckRate: engine.KnownRate(9.5),
			RatesFrom: engine.RatesFromBroker,
		}},
		{name: "only publish rate so far", body: `{"consumers":0,"messages":2,"messages_ready":2,"messages_unacknowledged":0,"message_stats":{"publish_details":{"rate":0.0}}}`,
			want: engine.QueueStats{Messages: 2, Ready: 2, PublishRate: engine.KnownRate(0), RatesFrom: engine.RatesFromBroker}},
		{name: "null utilisation, old name only", body: `{"consumer_utilisation":null,"consumers":1,"messages":0,"messages_ready":0,"messages_unacknowledged":0}`,
			want: engine.QueueStats{Consumers: 1}},
		{name: "utilisation fallback", body: `{"consumer_utilisation":0.75,"consumers":1,"messages":0,"messages_ready":0,"messages_unacknowledged":0}`,
			want: engine.QueueStats{Consumers: 1, ConsumerUtilisation: engine.KnownRate(0.75)}},
		{name: "null rate is unknown", body: `{"consumers":0,"messages":0,"messages_ready":0,"messages_unacknowledged":0,"message_stats":{"ack_details":{"rate":null}}}`,
			want: engine.QueueStats{}},
		{name: "truncated", body: bodyBusy[:60], bad: true},
		{name: "html", body: `<html>login</html>`, bad: true},
		{name: "null", body: `null`, bad: true},
		{name: "empty", body: ``, bad: true},
		{name: "negative count", body: `{"consumers":0,"messages":-1,"messages_ready":0,"messages_unacknowledged":0}`, bad: true},
		{name: "fractional count", body: `{"consumers":0,"messages":1.5,"messages_ready":0,"messages_unacknowledged":0}`, bad: true},
		{name: "counts before consumers (a queue just declared)", body: `{"messages":1,"messages_ready":1,"messages_unacknowledged":0}`, noStats: true},
		{name: "string count", body: `{"consumers":0,"messages":"1","messages_ready":0,"messages_unacknowledged":0}`, bad: true},
		{name: "message_stats not an object", body: `{"consumers":0,"messages":1,"messages_ready":1,"messages_unacknowledged":0,"message_stats":7}`, bad: true},
		{name: "trailing garbage", body: bodyIdle + `x`, bad: true},
		{name: "largest count accepted", body: `{"consumers":0,"messages":9007199254740991,"messages_ready":9007199254740991,"messages_unacknowledged":0}`,
			want: engine.QueueStats{Messages: 9007199254740991, Ready: 9007199254740991}},
		{name: "int64 max count", body: `{"consumers":1,"messages":9223372036854775807,"messages_ready":0,"messages_unacknowledged":0}`, bad: true},
		{name: "2^53 count", body: `{"consumers":1,"messages":9007199254740992,"messages_ready":0,"messages_unacknowledged":0}`, bad: true},
		{name: "beyond int64", body: `{"consumers":1,"messages":92233720368547758070,"messages_ready":0,"messages_unacknowledged":0}`, bad: true},
		{name: "exponent count", body: `{"consumers":1,"messages":1e3,"messages_ready":0,"messages_unacknowledged":0}`, bad: true},
		{name: "float 1.0 count", body: `{"consumers":1,"messages":1.0,"messages_ready":0,"messages_unacknowledged":0}`, bad: true},
		{name: "negative zero-ish count", body: `{"consumers":1,"messages":-0,"messages_ready":0,"messages_unacknowledged":-5}`, bad: true},
		{name: "boolean count", body: `{"consumers":true,"messages":1,"messages_ready":0,"messages_unacknowledged":0}`, bad: true},
		{name: "negative counter", body: `{"consumers":0,"messages":0,"messages_ready":0,"messages_unacknowledged":0,"message_stats":{"ack":-3}}`, bad: true},
		{name: "float counter", body: `{"consumers":0,"messages":0,"messages_ready":0,"messages_unacknowledged":0,"message_stats":{"publish":12.5}}`, bad: true},
		{name: "string counter", body: `{"consumers":0,"messages":0,"messages_ready":0,"messages_unacknowledged":0,"message_stats":{"publish":"12"}}`, bad: true},
		{name: "huge counter", body: `{"consumers":0,"messages":0,"messages_ready":0,"messages_unacknowledged":0,"message_stats":{"deliver_get":9223372036854775807}}`, bad: true},
		{name: "string rate", body: `{"consumers":0,"messages":0,"messages_ready":0,"messages_unacknowledged":0,"message_stats":{"ack_details":{"rate":"9"}}}`, bad: true},
		{name: "negative and absurd rates are unknown", body: `{"consumers":0,"messages":0,"messages_ready":0,"messages_unacknowledged":0,"message_stats":{"ack_details":{"rate":-2},"publish_details":{"rate":1e300}}}`,
			want: engine.QueueStats{}},
		{name: "counters and rates", body: `{"consumers":0,"messages":0,"messages_ready":0,"messages_unacknowledged":0,"message_stats":{"publish":10,"ack":7,"ack_details":{"rate":1.5}}}`,
			want: engine.QueueStats{AckRate: engine.KnownRate(1.5), RatesFrom: engine.RatesFromBroker}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := decodeQueue([]byte(tt.body))
			got := o.stats
			switch {
			case tt.noStats:
				if !errors.Is(err, errNoStats) {
					t.Fatalf("err = %v, want errNoStats", err)
				}
			case tt.bad:
				if err == nil || errors.Is(err, errNoStats) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("err = %v, want a one-line decoding error", err)
				}
			case err != nil:
				t.Fatalf("err = %v", err)
			case got != tt.want:
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// FuzzDecodeQueue checks that no body makes the decoder panic and that
// whatever it accepts is a sane observation. Its seeds run in plain go test.
func FuzzDecodeQueue(f *testing.F) {
	for _, s := range []string{bodyFresh, bodyIdle, bodyNoRates, bodyBusy, `null`, `{}`, `{"message_stats":[]}`,
		`{"consumers":1,"messages":9223372036854775807,"messages_ready":0,"messages_unacknowledged":0}`,
		`{"consumers":1,"messages":-1,"messages_ready":1.5,"messages_unacknowledged":"2"}`,
		`{"consumers":0,"messages":0,"messages_ready":0,"messages_unacknowledged":0,"message_stats":{"publish":9223372036854775807,"ack":-1,"deliver_get":1e400,"ack_details":{"rate":-1e308}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := decodeQueue(body)
		s := o.stats
		if err != nil {
			if o != (observation{}) {
				t.Fatalf("error %v with non-zero stats %+v", err, s)
			}
			return
		}
		if s.Messages < 0 || s.Ready < 0 || s.Unacked < 0 || s.Consumers < 0 ||
			s.Messages > maxCount || s.Ready > maxCount || s.Unacked > maxCount {
			t.Fatalf("count out of range accepted: %+v", s)
		}
		for _, c := range o.counters {
			if c.v < 0 || c.v > maxCount || (!c.known && c.v != 0) {
				t.Fatalf("counter out of range accepted: %+v", o.counters)
			}
		}
		if u := s.ConsumerUtilisation; u.Known && (u.PerSecond < 0 || u.PerSecond > 1) {
			t.Fatalf("utilisation out of range accepted: %+v", u)
		}
		for _, r := range []engine.Rate{s.PublishRate, s.DeliverRate, s.AckRate, s.ConsumerUtilisation} {
			if (!r.Known && r.PerSecond != 0) || r.PerSecond < 0 || r.PerSecond > maxRate {
				t.Fatalf("rate out of range accepted: %+v", r)
			}
		}
	})
}
