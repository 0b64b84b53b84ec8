package rabbit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/yeeter/yeetscale/engine"
)

// Columns is the value of the columns parameter of each poll: exactly the
// fields decodeQueue reads.
const Columns = "messages,messages_ready,messages_unacknowledged,consumers," +
	"consumer_capacity,consumer_utilisation," +
	"message_stats.publish,message_stats.deliver_get,message_stats.ack," +
	"message_stats.publish_details.rate,message_stats.deliver_get_details.rate,message_stats.ack_details.rate"

// maxCount is the largest count or counter accepted: 2^53-1, the largest
// integer a JSON number carries exactly through every parser. Anything
// larger cannot have been counted (a queue of 2^53 one-byte messages would
// hold 9 PB) and is refused as a bad response rather than acted on.
const maxCount = 1<<53 - 1

// maxRate bounds a rate the broker reports; beyond it (or negative) the
// broker's rate is treated as unknown and the counters decide.
const maxRate = 1e9

// errNoStats says that the broker returned the queue without statistics: it
// answers [] (or an object without the message counts) for a queue declared
// less than one statistics interval ago.
var errNoStats = errors.New("no statistics yet")

// queueJSON is the part of a queue object that is read. Counts stay raw so
// that each is checked as a whole number in range (see count); a missing or
// null field is nil.
type queueJSON struct {
	Messages            json.RawMessage `json:"messages"`
	Ready               json.RawMessage `json:"messages_ready"`
	Unacked             json.RawMessage `json:"messages_unacknowledged"`
	Consumers           json.RawMessage `json:"consumers"`
	ConsumerCapacity    *float64        `json:"consumer_capacity"`
	ConsumerUtilisation *float64        `json:"consumer_utilisation"`
	MessageStats        json.RawMessage `json:"message_stats"`
}

// messageStatsJSON holds the cumulative counters of message_stats and the
// broker's rates of them.
type messageStatsJSON struct {
	Publish           json.RawMessage `json:"publish"`
	DeliverGet        json.RawMessage `json:"deliver_get"`
	Ack               json.RawMessage `json:"ack"`
	PublishDetails    *rateJSON       `json:"publish_details"`
	DeliverGetDetails *rateJSON       `json:"deliver_get_details"`
	AckDetails        *rateJSON       `json:"ack_details"`
}

type rateJSON struct {
	Rate *float64 `json:"rate"`
}

// rate returns the broker's rate, unknown when it is absent, null, negative
// or beyond maxRate.
func (r *rateJSON) rate() engine.Rate {
	if r == nil || r.Rate == nil || *r.Rate < 0 || *r.Rate > maxRate || math.IsNaN(*r.Rate) {
		return engine.Rate{}
	}
	return engine.KnownRate(*r.Rate)
}

// counter is one cumulative message_stats counter; known is false when the
// broker did not report it.
type counter struct {
	v     int64
	known bool
}

// The counters, in the order of observation.counters.
const (
	cPublish = iota
	cDeliverGet
	cAck
	nCounters
)

// observation is one decoded poll: the stats as the broker reported them
// and the cumulative counters behind its rates.
type observation struct {
	stats    engine.QueueStats
	counters [nCounters]counter
}

// isEmptyList reports whether b is the JSON empty list, which is how the
// broker renders an empty Erlang property list.
func isEmptyList(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("[]")) }

// isAbsent reports whether a raw field is missing or null.
func isAbsent(b json.RawMessage) bool {
	return len(b) == 0 || bytes.Equal(bytes.TrimSpace(b), []byte("null"))
}

// count parses a raw count: a whole JSON number from 0 to maxCount, nothing
// else (no fraction, exponent, string or sign). ok is false when the field
// is missing or null.
func count(name string, raw json.RawMessage) (v int64, ok bool, err error) {
	if isAbsent(raw) {
		return 0, false, nil
	}
	v, perr := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	switch {
	case perr != nil && len(raw) > 0 && raw[0] == '"':
		return 0, false, fmt.Errorf("field %s is a string, not a count", name)
	case perr != nil:
		return 0, false, fmt.Errorf("field %s is not a whole number (%.40s)", name, raw)
	case v < 0:
		return 0, false, fmt.Errorf("field %s is negative (%d)", name, v)
	case v > maxCount:
		return 0, false, fmt.Errorf("field %s is out of range (%d > %d)", name, v, int64(maxCount))
	}
	return v, true, nil
}

// decodeQueue turns the body of GET /api/queues/{vhost}/{name} into an
// observation. It returns errNoStats when the broker has no statistics for
// the queue yet and another error (to be classified as a bad response) for
// anything that is not a queue object. Rates and consumer utilisation that
// are absent or null are unknown, not zero.
func decodeQueue(body []byte) (observation, error) {
	if isEmptyList(body) {
		return observation{}, errNoStats
	}
	var q queueJSON
	if err := json.Unmarshal(body, &q); err != nil {
		return observation{}, fmt.Errorf("malformed JSON: %w", err)
	}
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		return observation{}, errors.New("malformed JSON: null instead of a queue object")
	}
	return q.observation()
}

// observation checks and converts the fields of one queue object (see
// decodeQueue; a queue of a list is decoded the same way).
func (q *queueJSON) observation() (observation, error) {
	if isAbsent(q.Messages) && isAbsent(q.Ready) && isAbsent(q.Unacked) {
		return observation{}, errNoStats
	}
	if isAbsent(q.Consumers) {
		// A queue declared less than a statistics interval ago can have its
		// counts reported before its consumers: not there yet, not broken.
		return observation{}, errNoStats
	}
	var vals [4]int64
	for i, f := range []struct {
		name string
		raw  json.RawMessage
	}{{"messages", q.Messages}, {"messages_ready", q.Ready}, {"messages_unacknowledged", q.Unacked}, {"consumers", q.Consumers}} {
		v, ok, err := count(f.name, f.raw)
		if err != nil {
			return observation{}, err
		}
		if !ok {
			return observation{}, fmt.Errorf("field %s is missing", f.name)
		}
		vals[i] = v
	}
	if vals[3] > int64(^uint32(0)>>1) {
		return observation{}, fmt.Errorf("field consumers is out of range (%d)", vals[3])
	}
	o := observation{stats: engine.QueueStats{Messages: vals[0], Ready: vals[1], Unacked: vals[2], Consumers: int(vals[3])}}
	// consumer_capacity is 3.10's name for consumer_utilisation; prefer it.
	for _, u := range []*float64{q.ConsumerCapacity, q.ConsumerUtilisation} {
		if u != nil && *u >= 0 && *u <= 1 {
			o.stats.ConsumerUtilisation = engine.KnownRate(*u)
			break
		}
	}
	if isAbsent(q.MessageStats) || isEmptyList(q.MessageStats) {
		return o, nil
	}
	var ms messageStatsJSON
	if err := json.Unmarshal(q.MessageStats, &ms); err != nil {
		return observation{}, fmt.Errorf("malformed message_stats: %w", err)
	}
	o.stats.PublishRate, o.stats.DeliverRate, o.stats.AckRate = ms.PublishDetails.rate(), ms.DeliverGetDetails.rate(), ms.AckDetails.rate()
	for i, f := range []struct {
		name string
		raw  json.RawMessage
	}{{"message_stats.publish", ms.Publish}, {"message_stats.deliver_get", ms.DeliverGet}, {"message_stats.ack", ms.Ack}} {
		v, ok, err := count(f.name, f.raw)
		if err != nil {
			return observation{}, err
		}
		o.counters[i] = counter{v: v, known: ok}
	}
	if o.stats.PublishRate.Known || o.stats.DeliverRate.Known || o.stats.AckRate.Known {
		o.stats.RatesFrom = engine.RatesFromBroker
	}
	return o, nil
}
