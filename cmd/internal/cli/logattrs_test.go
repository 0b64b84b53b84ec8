package cli

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

// TestPollAttrs: the decision line carries the rates the broker gave
// (rounded to 1/100), leaves out the ones it did not (never a 0 that reads
// as idle), says where they came from, and escapes the reason.
func TestPollAttrs(t *testing.T) {
	snap := func(st engine.QueueStats) engine.Snapshot {
		return engine.Snapshot{Stats: st, Decision: engine.Decision{Desired: 5, Reason: "r\x1b[2J"}}
	}
	tests := []struct {
		name    string
		s       engine.Snapshot
		want    map[string]any
		missing []string
	}{
		{"all known", snap(engine.QueueStats{Messages: 9, PublishRate: engine.KnownRate(6.004), DeliverRate: engine.KnownRate(15.2), AckRate: engine.KnownRate(15.199), RatesFrom: engine.RatesFromCounters}),
			map[string]any{"messages": 9.0, "publish_rate": 6.0, "deliver_rate": 15.2, "ack_rate": 15.2, "rates_from": "counters", "desired": 5.0, "reason": `r\x1b[2J`}, nil},
		{"no publish rate", snap(engine.QueueStats{AckRate: engine.KnownRate(0), RatesFrom: engine.RatesFromBroker}),
			map[string]any{"ack_rate": 0.0, "rates_from": "broker"}, []string{"publish_rate", "deliver_rate"}},
		{"no rates", snap(engine.QueueStats{}), map[string]any{"messages": 0.0}, []string{"publish_rate", "deliver_rate", "ack_rate", "rates_from"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			newLogger(&b, "json").Info("decision", pollAttrs(tt.s)...)
			var got map[string]any
			if err := json.Unmarshal(b.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, b.String())
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %#v, want %#v (line %s)", k, got[k], v, b.String())
				}
			}
			for _, k := range tt.missing {
				if _, ok := got[k]; ok {
					t.Errorf("%s logged (%v) for a rate the broker did not give", k, got[k])
				}
			}
		})
	}
}
