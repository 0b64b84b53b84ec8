package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
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
// connection "<pod>" that the worker named after its pod. It serves each
// queue's consumer_details and the vhost's consumer list, and counts the
// GETs it answers.
func consumerBroker(t *testing.T, queues map[string][]string, channels map[string]int) (*rabbit.Client, *atomic.Int32) {
	t.Helper()
	type chanDetails struct {
		Name           string `json:"name"`
		ConnectionName string `json:"connection_name"`
		PeerHost       string `json:"peer_host"`
		PeerPort       int    `json:"peer_port"`
	}
	type queueName struct {
		Name string `json:"name"`
	}
	type consumer struct {
		Tag     string      `json:"consumer_tag"`
		Channel chanDetails `json:"channel_details"`
		Queue   *queueName  `json:"queue,omitempty"`
	}
	pod := func(ch string) string { return ch[:len(ch)-2] }
	mux := http.NewServeMux()
	var all []consumer
	for q, chs := range queues {
		var cs []consumer
		for i, ch := range chs {
			c := consumer{Tag: q + string(rune('0'+i)), Channel: chanDetails{Name: ch, ConnectionName: "conn " + pod(ch), PeerHost: "10.9.9.9", PeerPort: 4000}}
			cs = append(cs, c)
			c.Queue = &queueName{Name: q}
			all = append(all, c)
		}
		body, _ := json.Marshal(map[string]any{"consumer_details": cs})
		mux.HandleFunc("/api/queues/v/"+q, func(w http.ResponseWriter, _ *http.Request) { w.Write(body) })
	}
	var chs, conns []map[string]any
	for name, n := range channels {
		chs = append(chs, map[string]any{"name": name, "messages_unacknowledged": n})
		conns = append(conns, map[string]any{"name": "conn " + pod(name), "user_provided_name": pod(name)})
	}
	allBody, _ := json.Marshal(all)
	chBody, _ := json.Marshal(chs)
	connBody, _ := json.Marshal(conns)
	mux.HandleFunc("/api/consumers/v", func(w http.ResponseWriter, _ *http.Request) { w.Write(allBody) })
	mux.HandleFunc("/api/vhosts/v/channels", func(w http.ResponseWriter, _ *http.Request) { w.Write(chBody) })
	mux.HandleFunc("/api/vhosts/v/connections", func(w http.ResponseWriter, _ *http.Request) { w.Write(connBody) })
	gets := new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	o := rabbit.DefaultOptions()
	o.MgmtURL, o.Username, o.Password = srv.URL, "u", rabbit.Secret("p")
	c, err := rabbit.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c, gets
}

// ledgerPods are the apiserver's Deployment ns/ledger and its running pods.
func ledgerPods(names ...string) *fake.Clientset {
	objs := []runtime.Object{&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "ledger", Namespace: "ns"},
		Spec:       appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "ledger"}}},
	}}
	for _, name := range names {
		objs = append(objs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": "ledger"}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning}})
	}
	return fake.NewSimpleClientset(objs...)
}

// observeTarget gives tg a pod chooser through podTargets and returns the
// pods its pod view shows.
func observeTarget(t *testing.T, tg engine.Target, client *fake.Clientset, broker *rabbit.Client) []engine.PodState {
	t.Helper()
	src := &podTargets{TargetSource: fixedTargets{tg}, client: client, broker: broker}
	ts := src.Targets()
	obs, ok := ts[0].Pods.(engine.PodObserver)
	if !ok {
		t.Fatalf("the target's pods %T do not observe", ts[0].Pods)
	}
	got, err := obs.ObservePods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return got
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
			tg := engine.Target{Namespace: "ns", Deployment: "ledger", Config: engine.Config{VHost: "v"},
				Queues: engine.QueueSet{Names: []string{"eu", "us"}, Combine: engine.CombineMax}, Scaler: nopScaler{}}
			broker, _ := consumerBroker(t, tc.queues, tc.channels)
			got := observeTarget(t, tg, ledgerPods("a", "b", "c"), broker)
			if !slices.Equal(got, tc.want) {
				t.Errorf("pods %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestFleetPodViewOfPatternTarget: a fleet target whose queues are a
// pattern gets pod choice too: its pod view reads the consumers of the
// queues the pattern matches now (whole names, as the fleet's round
// matches them), never those of other queues of the vhost, each channel's
// count once per pod.
func TestFleetPodViewOfPatternTarget(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pattern  string
		queues   map[string][]string
		channels map[string]int
		want     []engine.PodState
	}{
		{
			name:     "two matching queues, one other",
			pattern:  `orders\..*`,
			queues:   map[string][]string{"orders.eu": {"a.1", "b.1", "c.1"}, "orders.us": {"a.2", "b.2", "c.2"}, "audit": {"a.3"}},
			channels: map[string]int{"a.1": 0, "b.1": 1, "c.1": 0, "a.2": 0, "b.2": 2, "c.2": 4, "a.3": 9},
			want:     []engine.PodState{{Name: "a", Mapped: true}, {Name: "b", Mapped: true, Unacked: 3}, {Name: "c", Mapped: true, Unacked: 4}},
		},
		{
			name:     "one channel consuming both matches",
			pattern:  `orders\..*`,
			queues:   map[string][]string{"orders.eu": {"a.1", "b.1"}, "orders.us": {"a.1", "b.1"}},
			channels: map[string]int{"a.1": 2, "b.1": 0},
			want:     []engine.PodState{{Name: "b", Mapped: true}, {Name: "a", Mapped: true, Unacked: 2}},
		},
		{
			name:     "a pod consuming only an unmatched queue is not mapped",
			pattern:  `orders\..*`,
			queues:   map[string][]string{"orders.eu": {"a.1", "b.1"}, "x.orders.eu": {"c.1"}},
			channels: map[string]int{"a.1": 1, "b.1": 0, "c.1": 5},
			want:     []engine.PodState{{Name: "b", Mapped: true}, {Name: "c"}, {Name: "a", Mapped: true, Unacked: 1}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := engine.Target{Namespace: "ns", Deployment: "ledger", Config: engine.Config{VHost: "v"},
				Queues: engine.QueueSet{Pattern: tc.pattern, Combine: engine.CombineSum}, Scaler: nopScaler{}}
			broker, _ := consumerBroker(t, tc.queues, tc.channels)
			var pods []string
			for _, p := range tc.want {
				pods = append(pods, p.Name)
			}
			got := observeTarget(t, tg, ledgerPods(pods...), broker)
			if !slices.Equal(got, tc.want) {
				t.Errorf("pods %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestFleetPodChoiceReadsPerListing: listing a target's consumers costs
// three GETs of the management API, however many queues it names or its
// pattern matches (the vhost's consumers, channels and connections once,
// not per queue).
func TestFleetPodChoiceReadsPerListing(t *testing.T) {
	queues := map[string][]string{"eu": {"a.1"}, "us": {"a.2"}, "asia": {"a.3"}}
	channels := map[string]int{"a.1": 1, "a.2": 0, "a.3": 0}
	for _, tc := range []struct {
		name string
		set  engine.QueueSet
	}{
		{"one queue", engine.QueueSet{Names: []string{"eu"}}},
		{"two queues", engine.QueueSet{Names: []string{"eu", "us"}}},
		{"three queues", engine.QueueSet{Names: []string{"asia", "eu", "us"}}},
		{"a pattern", engine.QueueSet{Pattern: "eu|us|asia"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			broker, gets := consumerBroker(t, queues, channels)
			tg := engine.Target{Namespace: "ns", Deployment: "ledger", Config: engine.Config{VHost: "v"}, Queues: tc.set, Scaler: nopScaler{}}
			got := observeTarget(t, tg, ledgerPods("a"), broker)
			if n := gets.Load(); n != 3 || len(got) != 1 || got[0].Unacked != 1 {
				t.Errorf("%d GETs for pods %+v, want 3 for a busy with 1", n, got)
			}
		})
	}
}
