package kube

import (
	"context"
	"slices"
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

// TestObservePodsCountsEachChannelOnce: a consumer's Unacked is its
// channel's messages_unacknowledged, the messages of every consumer on the
// channel, of every queue. A worker of a Deployment scaled on two queues
// that consumes both on one channel shows up as one consumer of each
// queue, each with the channel's whole count (seen on RabbitMQ 3.10: 2 +
// 3 messages held on one channel read 5 on both queues' consumers): the
// pod holds them once. Two channels of one pod add up; consumers without a
// channel name count each.
func TestObservePodsCountsEachChannelOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		consumers fixedConsumers
		want      []engine.PodState
	}{
		{
			name: "one channel consuming two queues",
			consumers: fixedConsumers{
				{ConnectionName: "a", Channel: "10.0.0.1:4000 -> 10.0.0.9:5672 (1)", Unacked: 5},
				{ConnectionName: "b", Channel: "10.0.0.2:4000 -> 10.0.0.9:5672 (1)", Unacked: 1},
				{ConnectionName: "c", Channel: "10.0.0.3:4000 -> 10.0.0.9:5672 (1)"},
				{ConnectionName: "a", Channel: "10.0.0.1:4000 -> 10.0.0.9:5672 (1)", Unacked: 5},
				{ConnectionName: "b", Channel: "10.0.0.2:4000 -> 10.0.0.9:5672 (2)", Unacked: 2},
				{ConnectionName: "c", Channel: "10.0.0.3:4000 -> 10.0.0.9:5672 (1)"},
			},
			want: []engine.PodState{{Name: "c", Mapped: true}, {Name: "b", Mapped: true, Unacked: 3}, {Name: "a", Mapped: true, Unacked: 5}},
		},
		{
			name: "two consumers of one queue on one channel, one mapped by IP",
			consumers: fixedConsumers{
				{ConnectionName: "a", Channel: "ch-a", Unacked: 4},
				{PeerHost: "10.0.0.1", Channel: "ch-a", Unacked: 4},
				{ConnectionName: "b", Channel: "ch-b", Unacked: 1},
			},
			want: []engine.PodState{{Name: "c"}, {Name: "b", Mapped: true, Unacked: 1}, {Name: "a", Mapped: true, Unacked: 4}},
		},
		{
			name: "no channel names",
			consumers: fixedConsumers{
				{ConnectionName: "a", Unacked: 1},
				{ConnectionName: "a", Unacked: 2},
				{ConnectionName: "b", Unacked: 2},
			},
			want: []engine.PodState{{Name: "c"}, {Name: "b", Mapped: true, Unacked: 2}, {Name: "a", Mapped: true, Unacked: 3}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := choiceClient(choicePod("a", "10.0.0.1", nil), choicePod("b", "10.0.0.2", nil), choicePod("c", "10.0.0.3", nil))
			got, err := NewPodChooser(c, "ns", "w", tc.consumers).ObservePods(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("pods %+v, want %+v", got, tc.want)
			}
		})
	}
}
