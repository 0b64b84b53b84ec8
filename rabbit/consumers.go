package rabbit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/yeeter/yeetscale/engine"
)

// Listing the queue's consumers for a scale-in that spares busy workers.
//
// On RabbitMQ 3.10 three GETs are needed, since no one object has it all:
//   - /api/queues/{vhost}/{queue}?columns=consumer_details: each consumer's
//     consumer_tag and channel_details {name, connection_name, peer_host,
//     peer_port}; channel_details.connection_name is the broker's name of
//     the connection ("127.0.0.1:60944 -> 127.0.0.1:5672"), not the one
//     the client provided;
//   - /api/vhosts/{vhost}/channels?columns=name,messages_unacknowledged: the
//     channels' unacknowledged messages (as of the last statistics
//     interval);
//   - /api/vhosts/{vhost}/connections?columns=name,user_provided_name: the
//     client-provided connection name (client property connection_name).
const (
	// maxConsumerBody bounds each of the three bodies: 10,000 channels with
	// 255-byte names are about 4 MB.
	maxConsumerBody = 8 << 20
	// maxConsumers bounds the consumers of one queue that are considered.
	maxConsumers = 10000
	// maxName bounds a channel, connection or host name accepted.
	maxName = 1024
)

var _ engine.ConsumerLister = (*Client)(nil)

type consumerDetailsJSON struct {
	ConsumerDetails *[]consumerJSON `json:"consumer_details"`
}

// consumerJSON is one consumer, as a queue's consumer_details and the
// vhost's consumer list both give it.
type consumerJSON struct {
	Tag     string `json:"consumer_tag"`
	Channel *struct {
		Name           *string `json:"name"`
		ConnectionName *string `json:"connection_name"`
		PeerHost       string  `json:"peer_host"`
		PeerPort       any     `json:"peer_port"` // a number, or "unknown" for direct connections
	} `json:"channel_details"`
}

type channelJSON struct {
	Name    *string         `json:"name"`
	Unacked json.RawMessage `json:"messages_unacknowledged"`
}

type connectionJSON struct {
	Name         *string `json:"name"`
	ProvidedName *string `json:"user_provided_name"`
}

// Consumers lists the queue's consumers with their channel's unacknowledged
// messages and their connection's client-provided name and peer address.
// Errors wrap an engine sentinel, as Stats's do.
func (c *Client) Consumers(ctx context.Context) ([]engine.Consumer, error) {
	var q consumerDetailsJSON
	if err := c.getJSON(ctx, []string{"queues", c.vhost, c.queue}, "columns=consumer_details", c.queue, maxConsumerBody, &q); err != nil {
		return nil, err
	}
	if q.ConsumerDetails == nil {
		return nil, c.badConsumers(fmt.Errorf("no consumer_details in the queue object"))
	}
	if len(*q.ConsumerDetails) > maxConsumers {
		return nil, c.badConsumers(fmt.Errorf("%d consumers, more than %d", len(*q.ConsumerDetails), maxConsumers))
	}
	return c.withChannels(ctx, c.vhost, c.queue, *q.ConsumerDetails)
}

// withChannels completes consumers of vhost with their channel's
// unacknowledged messages and their connection's client-provided name: one
// GET of the vhost's channels and one of its connections, however many
// queues the consumers are of. queue names the queue for errors ("" for
// several).
func (c *Client) withChannels(ctx context.Context, vhost, queue string, consumers []consumerJSON) ([]engine.Consumer, error) {
	var chans []channelJSON
	if err := c.getJSON(ctx, []string{"vhosts", vhost, "channels"}, "columns="+url.QueryEscape("name,messages_unacknowledged"), queue, maxConsumerBody, &chans); err != nil {
		return nil, err
	}
	unacked := make(map[string]int, len(chans))
	for _, ch := range chans {
		n, ok, err := count("messages_unacknowledged", ch.Unacked)
		if err != nil || ch.Name == nil {
			return nil, c.badConsumers(fmt.Errorf("channel: %v", err))
		}
		if ok {
			unacked[*ch.Name] = int(n)
		}
	}
	var conns []connectionJSON
	if err := c.getJSON(ctx, []string{"vhosts", vhost, "connections"}, "columns="+url.QueryEscape("name,user_provided_name"), queue, maxConsumerBody, &conns); err != nil {
		return nil, err
	}
	provided := make(map[string]string, len(conns))
	for _, cn := range conns {
		if cn.Name != nil && cn.ProvidedName != nil && len(*cn.ProvidedName) <= maxName {
			provided[*cn.Name] = *cn.ProvidedName
		}
	}
	out := make([]engine.Consumer, 0, len(consumers))
	for _, d := range consumers {
		if d.Channel == nil || d.Channel.Name == nil || d.Channel.ConnectionName == nil ||
			len(*d.Channel.Name) > maxName || len(d.Channel.PeerHost) > maxName {
			return nil, c.badConsumers(fmt.Errorf("a consumer without a channel or its connection's name"))
		}
		n, known := unacked[*d.Channel.Name]
		if !known {
			continue // the channel closed between the two reads, or has no statistics yet
		}
		port, _ := d.Channel.PeerPort.(float64)
		out = append(out, engine.Consumer{
			Tag: d.Tag, Channel: *d.Channel.Name, ConnectionName: provided[*d.Channel.ConnectionName],
			PeerHost: d.Channel.PeerHost, PeerPort: int(port), Unacked: n,
		})
	}
	return out, nil
}

// getJSON GETs one object or list (at most limit bytes) and
// decodes it into v; a non-200 answer is classified as Stats's are, for
// queue on parts[1] (the vhost; queue "" for the vhost's lists).
func (c *Client) getJSON(ctx context.Context, parts []string, query, queue string, limit int, v any) error {
	status, body, err := c.getCapped(ctx, parts, query, limit)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return c.classify(ctx, status, body, parts[1], queue)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return c.badConsumers(err)
	}
	return nil
}

// badConsumers is the error of an answer about consumers that cannot be
// read.
func (c *Client) badConsumers(err error) error {
	return fail(engine.ErrBadResponse, err, "unreadable list of consumers from %s (%s): check that --mgmt-url is the RabbitMQ management API",
		c.URL(), c.scrub.excerpt(err.Error(), maxExcerpt))
}
