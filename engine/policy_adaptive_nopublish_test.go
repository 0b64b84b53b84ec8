package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// A broker that never reports a publish rate for the queue: RabbitMQ counts
// a queue's publishes from the publishing channel's statistics and loses
// what a channel counted since the last collection when it closes
// (rabbitmq/rabbitmq-management#353), so a producer whose channel lives a
// few seconds can leave message_stats with deliver_get and ack but no
// publish. The guide's burst on the real broker did that in
// 1 run in 7: every decision said "throughput not learned yet" although the
// ack rate taught it, and the scale-down window kept 40 replicas for 5
// minutes after the queue drained. This replays that run's polls (1 s
// apart, the rates as the controller saw them): the arrivals are then taken
// as the ack rate, which the reason says, and the replicas come back to 2
// within a minute of the drain, never going up on the way.
func TestAdaptiveLearnsWithoutAPublishRate(t *testing.T) {
	cfg := adConfig()
	cfg.TargetMessages, cfg.MinReplicas, cfg.MaxReplicas = 250, 2, 40
	cfg.PollInterval = time.Second
	p, err := engine.PolicyByName("adaptive")
	if err != nil {
		t.Fatal(err)
	}
	// Segments of the failing run: polls, depth, ready, consumers, deliver
	// and ack rates (NaN: unknown); the publish rate is unknown throughout.
	segments := []struct {
		polls           int
		messages, ready int64
		consumers       int
		deliver, ack    float64
	}{
		{5, 0, 0, 2, unknown, unknown},
		{5, 0, 0, 2, 0, 0},
		{5, 9878, 9876, 2, 24.4, 24.4},
		{5, 9754, 9752, 2, 321.2, 313.6},
		{5, 7844, 7804, 40, 494.2, 494.2},
		{5, 5364, 5324, 40, 489.2, 489.2},
		{5, 2903, 2863, 40, 488, 488},
		{5, 0, 0, 40, 161.4, 169.4},
		{5, 0, 0, 40, 322.6, 326.6},
		{1, 0, 0, 40, 79.8, 83.8},
		{1, 0, 0, 40, 72.6, 76.2},
		{1, 0, 0, 40, 66.6, 69.9},
		{1, 0, 0, 40, 61.5, 64.5},
		{1, 0, 0, 40, 57.1, 59.9},
		{45, 0, 0, 40, 0, 0},
	}
	var hist []engine.Observation
	cur := int32(2)
	at := adNow
	var drained time.Time
	var sizes []int32
	learned := false
	for _, sg := range segments {
		s := adStats(sg.messages, sg.ready, sg.consumers, unknown, sg.ack)
		if sg.deliver == sg.deliver { // not NaN
			s.DeliverRate = engine.KnownRate(sg.deliver)
		}
		s.RatesFrom = engine.RatesFromBroker
		for i := 0; i < sg.polls; i++ {
			in := engine.Input{Config: cfg, Now: at, Stats: s, Current: cur, Ready: cur, History: hist}
			d := engine.Decide(p, in)
			if d.Desired < cur && !strings.Contains(d.Reason, "arrivals are the ack rate") {
				t.Errorf("at +%s: a scale-down %d -> %d without saying where the arrivals came from: %q", at.Sub(adNow), cur, d.Desired, d.Reason)
			}
			learned = learned || !strings.Contains(d.Reason, "not learned yet")
			hist = append(hist, engine.Observation{At: at, OK: true, Stats: s, Scale: engine.Scale{Desired: cur}, Decision: d, Applied: d.Desired})
			if d.Desired != cur {
				t.Logf("at +%s: %d -> %d: %s", at.Sub(adNow), cur, d.Desired, d.Reason)
				sizes = append(sizes, d.Desired)
			}
			cur = d.Desired
			if drained.IsZero() && sg.messages == 0 && cur == 40 {
				drained = at
			}
			at = at.Add(time.Second)
		}
	}
	if !learned {
		t.Errorf("every decision said the throughput was not learned")
	}
	if cur != 2 {
		t.Errorf("%d replicas at the end, %s after the queue drained; want 2 (sizes %v)", cur, at.Sub(drained), sizes)
	}
	peak := false
	for i, n := range sizes {
		peak = peak || n == 40
		if peak && i > 0 && n > sizes[i-1] {
			t.Errorf("replicas went up on the way down: sizes %v", sizes)
		}
	}
}

// Only a missing publish rate is replaced by the ack rate: a publish rate of
// 0 is a rate, and with neither the arrivals stay unknown.
func TestEstimateArrivalsFromAcks(t *testing.T) {
	tests := []struct {
		name         string
		publish, ack float64 // NaN: unknown
		arrival      float64 // NaN: unknown
		fromAcks     bool
	}{
		{"no publish rate: the ack rate", unknown, 5, 5, true},
		{"a publish rate of 0 is kept", 0, 5, 0, false},
		{"a publish rate is kept", 3, 5, 3, false},
		{"neither: unknown", unknown, unknown, unknown, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := adStats(100, 100, 2, tt.publish, tt.ack)
			e := engine.Estimate(engine.Input{Config: adConfig(), Now: adNow, Stats: s})
			if tt.arrival != tt.arrival { // NaN
				if e.ArrivalKnown {
					t.Errorf("arrival %v known, want unknown", e.Arrival)
				}
				return
			}
			if !e.ArrivalKnown || e.Arrival != tt.arrival || e.ArrivalFromAcks != tt.fromAcks {
				t.Errorf("arrival %v (known %v, from acks %v), want %v (from acks %v)", e.Arrival, e.ArrivalKnown, e.ArrivalFromAcks, tt.arrival, tt.fromAcks)
			}
		})
	}
}
