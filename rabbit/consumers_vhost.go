package rabbit

import (
	"context"
	"fmt"
	"net/url"

	"github.com/yeeter/yeetscale/engine"
)

// Listing the consumers of several queues of a vhost (a fleet target of a
// list or a pattern of queues) in three GETs, however many queues:
//   - /api/consumers/{vhost}?columns=...: every consumer of the vhost with
//     its queue {name} and the same channel_details as a queue's
//     consumer_details (RabbitMQ 3.10 serves it unpaginated; columns may
//     name nested fields);
//   - the vhost's channels and connections, as for one queue.
//
// The broker shows a user without the monitoring tag only its own
// consumers and channels here, as it does in the vhost's channel list that
// one queue's listing reads: the same tag is needed either way.
const (
	// consumerColumns are the fields of a consumer that are read.
	consumerColumns = "queue.name,consumer_tag,channel_details.name,channel_details.connection_name,channel_details.peer_host,channel_details.peer_port"
	// maxVHostConsumerBody bounds the vhost's consumer list: with the
	// columns read, 2,000 consumers were 530 KB on RabbitMQ 3.10 (265
	// bytes each); with 255-byte queue names and consumer tags a consumer
	// is about 750 bytes, so 16 MiB holds over 20,000.
	maxVHostConsumerBody = 16 << 20
)

// vhostConsumerJSON is one consumer of GET /api/consumers/{vhost}.
type vhostConsumerJSON struct {
	Queue *struct {
		Name *string `json:"name"`
	} `json:"queue"`
	consumerJSON
}

// QueuesConsumers lists the consumers of those queues of a vhost whose
// names its accept func takes (engine.ConsumerLister): the names are
// matched afresh at each listing, so a pattern's new queues count as soon as they have
// consumers.
type QueuesConsumers struct {
	c      *Client
	vhost  string
	accept func(queue string) bool
}

var _ engine.ConsumerLister = QueuesConsumers{}

// ForQueues returns the lister of the consumers of the queues of vhost
// whose names accept takes (one GET of the vhost's consumers, one of its channels,
// one of its connections per listing). It shares c's HTTP client.
func (c *Client) ForQueues(vhost string, accept func(queue string) bool) QueuesConsumers {
	return QueuesConsumers{c: c, vhost: vhost, accept: accept}
}

// Consumers lists the matching queues' consumers with their channel's
// unacknowledged messages and their connection's client-provided name and
// peer address. Errors wrap an engine sentinel, as Stats's do: a vhost
// that does not exist is ErrNotFound; a list that is not one, a consumer
// without a queue name, or more than maxConsumers matching consumers is
// ErrBadResponse.
func (l QueuesConsumers) Consumers(ctx context.Context) ([]engine.Consumer, error) {
	c := l.c
	var all []vhostConsumerJSON
	if err := c.getJSON(ctx, []string{"consumers", l.vhost}, "columns="+url.QueryEscape(consumerColumns), "", maxVHostConsumerBody, &all); err != nil {
		return nil, err
	}
	var matched []consumerJSON
	for i := range all {
		q := all[i].Queue
		if q == nil || q.Name == nil || len(*q.Name) > maxQueueName {
			return nil, c.badConsumers(fmt.Errorf("a consumer without its queue's name, or with one over %d bytes", maxQueueName))
		}
		if !l.accept(*q.Name) {
			continue
		}
		if len(matched) == maxConsumers {
			return nil, fail(engine.ErrBadResponse, nil, "more than %d consumers of the target's queues in vhost %q at %s: pod choice reads at most %d",
				maxConsumers, l.vhost, c.URL(), maxConsumers)
		}
		matched = append(matched, all[i].consumerJSON)
	}
	return c.withChannels(ctx, l.vhost, "", matched)
}
