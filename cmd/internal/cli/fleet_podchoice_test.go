package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/rabbit"
)

// fixedTargets is a TargetSource that never changes.
type fixedTargets []engine.Target

func (f fixedTargets) Targets() []engine.Target { return slices.Clone(f) }
func (f fixedTargets) Changed() <-chan struct{} { return nil }

// nopScaler is a Deployment's scale that is never read.
type nopScaler struct{}

func (nopScaler) GetScale(context.Context) (engine.Scale, error)      { return engine.Scale{}, nil }
func (nopScaler) SetScale(context.Context, engine.ScaleRequest) error { return nil }

// consumerBroker is a management API on vhost "v" whose queues have the
// consumers given (queue -> channel names), on the channels given (name
// -> unacknowledged messages), each channel "<pod>.<n>" on the
// connection "<pod>" that the worker named after its pod.
func consumerBroker(t *testing.T, queues map[string][]string, channels map[string]int) *rabbit.Client {
	t.Helper()
	type chanDetails struct {
		Name           string `json:"name"`
		ConnectionName string `json:"connection_name"`
		PeerHost       string `json:"peer_host"`
		PeerPort       int    `json:"peer_port"`
	}
	type consumer struct {
		Tag     string      `json:"consumer_tag"`
		Channel chanDetails `json:"channel_details"`
	}
	pod := func(ch string) string { return ch[:len(ch)-2] }
	mux := http.NewServeMux()
	for q, chs := range queues {
		var cs []consumer
		for i, ch := range chs {
			cs = append(cs, consumer{Tag: q + string(rune('0'+i)), Channel: chanDetails{Name: ch, ConnectionName: "conn " + pod(ch), PeerHost: "10.9.9.9", PeerPort: 4000}})
		}
		body, _ := json.Marshal(map[string]any{"consumer_details": cs})
		mux.HandleFunc("/api/queues/v/"+q, func(w http.ResponseWriter, _ *http.Request) { w.Write(body) })
	}
	var chs, conns []map[string]any
	for name, n := range channels {
		chs = append(chs, map[string]any{"name": name, "messages_unacknowledged": n})
		conns = append(conns, map[string]any{"name": "conn " + pod(name), "user_provided_name": pod(name)})
	}
	chBody, _ := json.Marshal(chs)
	connBody, _ := json.Marshal(conns)
	mux.HandleFunc("/api/vhosts/v/channels", func(w http.ResponseWriter, _ *http.Request) { w.Write(chBody) })
	mux.HandleFunc("/api/vhosts/v/connections", func(w http.ResponseWriter, _ *http.Request) { w.Write(connBody) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	o := rabbit.DefaultOptions()
	o.MgmtURL, o.Username, o.Password = srv.URL, "u", rabbit.Secret("p")
	c, err := rabbit.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFleetPodViewOfTwoQueues: the pod view of a fleet target scaled on two
// queues reads the consumers of both (the pods from the apiserver, the
// consumers from the management API, mapped by the connection name the
// worker set to its pod's name): a pod busy on either queue is busy, with
// the messages it holds on both, each channel's counted once even when it
// consumes both queues.
func TestFleetPodViewOfTwoQueues(t *testing.T) {
	for _, tc := range []struct {
		name     string
		queues   map[string][]string
		channels map[string]int
		want     []engine.PodState
	}{
		{
			name:     "a channel a queue",
			queues:   map[string][]string{"eu": {"a.1", "b.1", "c.1"}, "us": {"a.2", "b.2", "c.2"}},
			channels: map[string]int{"a.1": 0, "b.1": 1, "c.1": 0, "a.2": 0, "b.2": 2, "c.2": 4},
			want:     []engine.PodState{{Name: "a", Mapped: true}, {Name: "b", Mapped: true, Unacked: 3}, {Name: "c", Mapped: true, Unacked: 4}},
		},
		{
			name:     "one channel consuming both queues",
			queues:   map[string][]string{"eu": {"a.1", "b.1", "c.1"}, "us": {"a.1", "b.1", "c.1"}},
			channels: map[string]int{"a.1": 0, "b.1": 3, "c.1": 4},
			want:     []engine.PodState{{Name: "a", Mapped: true}, {Name: "b", Mapped: true, Unacked: 3}, {Name: "c", Mapped: true, Unacked: 4}},
		},
		{
			name:     "work on the second queue only",
			queues:   map[string][]string{"eu": {"a.1", "b.1", "c.1"}, "us": {"a.2", "b.2", "c.2"}},
			channels: map[string]int{"a.1": 0, "b.1": 0, "c.1": 0, "a.2": 1, "b.2": 0, "c.2": 2},
			want:     []engine.PodState{{Name: "b", Mapped: true}, {Name: "a", Mapped: true, Unacked: 1}, {Name: "c", Mapped: true, Unacked: 2}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := []runtime.Object{&appsv1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: "ledger", Namespace: "ns"},
				Spec:       appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "ledger"}}},
			}}
			for _, name := range []string{"a", "b", "c"} {
				objs = append(objs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": "ledger"}},
					Status: corev1.PodStatus{Phase: corev1.PodRunning}})
			}
			tg := engine.Target{Namespace: "ns", Deployment: "ledger", Config: engine.Config{VHost: "v"},
				Queues: engine.QueueSet{Names: []string{"eu", "us"}, Combine: engine.CombineMax}, Scaler: nopScaler{}}
			src := &podTargets{TargetSource: fixedTargets{tg}, client: fake.NewSimpleClientset(objs...), broker: consumerBroker(t, tc.queues, tc.channels)}
			ts := src.Targets()
			obs, ok := ts[0].Pods.(engine.PodObserver)
			if !ok {
				t.Fatalf("the target's pods %T do not observe", ts[0].Pods)
			}
			got, err := obs.ObservePods(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("pods %+v, want %+v", got, tc.want)
			}
		})
	}
}
