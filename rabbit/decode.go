package rabbit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/yeeter/yeetscale/engine"
)

// Columns is the value of the columns parameter of each poll: exactly the
// fields decodeQueue reads.
const Columns = "messages,messages_ready,messages_unacknowledged,consumers," +
	"consumer_capacity,consumer_utilisation," +
	"message_stats.publish_details.rate,message_stats.deliver_get_details.rate,message_stats.ack_details.rate"

// errNoStats says that the broker returned the queue without statistics: it
// answers [] (or an object without the message counts) for a queue declared
// less than one statistics interval ago.
var errNoStats = errors.New("no statistics yet")

// queueJSON is the part of a queue object that is read. Pointers tell a
// missing or null field from a zero.
type queueJSON struct {
	Messages            *int64          `json:"messages"`
	Ready               *int64          `json:"messages_ready"`
	Unacked             *int64          `json:"messages_unacknowledged"`
	Consumers           *int64          `json:"consumers"`
	ConsumerCapacity    *float64        `json:"consumer_capacity"`
	ConsumerUtilisation *float64        `json:"consumer_utilisation"`
	MessageStats        json.RawMessage `json:"message_stats"`
}

// messageStatsJSON holds the rates of message_stats.
type messageStatsJSON struct {
	Publish    *rateJSON `json:"publish_details"`
	DeliverGet *rateJSON `json:"deliver_get_details"`
	Ack        *rateJSON `json:"ack_details"`
}

type rateJSON struct {
	Rate *float64 `json:"rate"`
}

func (r *rateJSON) rate() engine.Rate {
	if r == nil || r.Rate == nil {
		return engine.Rate{}
	}
	return engine.KnownRate(*r.Rate)
}

// isEmptyList reports whether b is the JSON empty list, which is how the
// broker renders an empty Erlang property list.
func isEmptyList(b []byte) bool { return bytes.Equal(bytes.TrimSpace(b), []byte("[]")) }

// decodeQueue turns the body of GET /api/queues/{vhost}/{name} into
// QueueStats. It returns errNoStats when the broker has no statistics for
// the queue yet and another error (to be classified as a bad response) for
// anything that is not a queue object. Rates and consumer utilisation that
// are absent or null are unknown, not zero.
func decodeQueue(body []byte) (engine.QueueStats, error) {
	if isEmptyList(body) {
		return engine.QueueStats{}, errNoStats
	}
	var q queueJSON
	if err := json.Unmarshal(body, &q); err != nil {
		return engine.QueueStats{}, fmt.Errorf("malformed JSON: %w", err)
	}
	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		return engine.QueueStats{}, errors.New("malformed JSON: null instead of a queue object")
	}
	if q.Messages == nil && q.Ready == nil && q.Unacked == nil {
		return engine.QueueStats{}, errNoStats
	}
	if q.Consumers == nil {
		// A queue declared less than a statistics interval ago can have its
		// counts reported before its consumers: not there yet, not broken.
		return engine.QueueStats{}, errNoStats
	}
	for _, f := range []struct {
		name string
		v    *int64
	}{{"messages", q.Messages}, {"messages_ready", q.Ready}, {"messages_unacknowledged", q.Unacked}, {"consumers", q.Consumers}} {
		switch {
		case f.v == nil:
			return engine.QueueStats{}, fmt.Errorf("field %s is missing", f.name)
		case *f.v < 0:
			return engine.QueueStats{}, fmt.Errorf("field %s is negative (%d)", f.name, *f.v)
		}
	}
	if *q.Consumers > int64(^uint32(0)>>1) {
		return engine.QueueStats{}, fmt.Errorf("field consumers is out of range (%d)", *q.Consumers)
	}
	s := engine.QueueStats{
		Messages:  *q.Messages,
		Ready:     *q.Ready,
		Unacked:   *q.Unacked,
		Consumers: int(*q.Consumers),
	}
	// consumer_capacity is 3.10's name for consumer_utilisation; prefer it.
	for _, u := range []*float64{q.ConsumerCapacity, q.ConsumerUtilisation} {
		if u != nil && *u >= 0 && *u <= 1 {
			s.ConsumerUtilisation = engine.KnownRate(*u)
			break
		}
	}
	if len(q.MessageStats) > 0 && !isEmptyList(q.MessageStats) && !bytes.Equal(bytes.TrimSpace(q.MessageStats), []byte("null")) {
		var ms messageStatsJSON
		if err := json.Unmarshal(q.MessageStats, &ms); err != nil {
			return engine.QueueStats{}, fmt.Errorf("malformed message_stats: %w", err)
		}
		s.PublishRate, s.DeliverRate, s.AckRate = ms.Publish.rate(), ms.DeliverGet.rate(), ms.Ack.rate()
	}
	return s, nil
}
