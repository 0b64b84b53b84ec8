package kube

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/yeeter/yeetscale/engine"
)

type fixedConsumers []engine.Consumer

func (f fixedConsumers) Consumers(context.Context) ([]engine.Consumer, error) { return f, nil }

func choicePod(name, ip string, ann map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": "w"}, Annotations: ann},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip},
	}
}

func choiceClient(pods ...*corev1.Pod) *fake.Clientset {
	objs := []runtime.Object{&appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "w", Namespace: "ns"},
		Spec:       appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "w"}}},
	}}
	for _, p := range pods {
		objs = append(objs, p)
	}
	return fake.NewSimpleClientset(objs...)
}

func costs(t *testing.T, c *fake.Clientset) map[string]string {
	t.Helper()
	list, err := c.CoreV1().Pods("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range list.Items {
		out[p.Name] = p.Annotations[AnnotationDeletionCost] + "/" + p.Annotations[AnnotationCostSet]
	}
	return out
}

// TestPrepareScaleDown: consumers map to pods by connection name, failing
// that by peer IP; idle pods get CostIdle, busy ones CostBusy plus their
// unacked count, pods without a mapped consumer nothing; a cost someone
// else set stays; Unmark removes only yeetscale's.
func TestPrepareScaleDown(t *testing.T) {
	foreign := map[string]string{AnnotationDeletionCost: "5"}
	changed := map[string]string{AnnotationDeletionCost: "7", AnnotationCostSet: "-1000"}
	tests := []struct {
		name       string
		pods       []*corev1.Pod
		consumers  fixedConsumers
		wantErr    error
		want       map[string]string
		wantRemove []string
		afterClear map[string]string
	}{
		{
			name: "by name and by IP",
			pods: []*corev1.Pod{choicePod("a", "10.0.0.1", nil), choicePod("b", "10.0.0.2", nil), choicePod("c", "10.0.0.3", nil), choicePod("d", "10.0.0.4", nil)},
			consumers: fixedConsumers{
				{ConnectionName: "a", PeerHost: "127.0.0.1", Unacked: 2},
				{ConnectionName: "b", PeerHost: "127.0.0.1"},
				{PeerHost: "10.0.0.3", Unacked: 1},
			},
			want:       map[string]string{"a": "1002/1002", "b": "-1000/-1000", "c": "1001/1001", "d": "/"},
			wantRemove: []string{"b", "d"},
			afterClear: map[string]string{"a": "/", "b": "/", "c": "/", "d": "/"},
		},
		{
			name:       "someone else's cost stays",
			pods:       []*corev1.Pod{choicePod("a", "", foreign), choicePod("b", "", changed), choicePod("c", "", nil)},
			consumers:  fixedConsumers{{ConnectionName: "a"}, {ConnectionName: "b"}, {ConnectionName: "c", Unacked: 1}},
			want:       map[string]string{"a": "5/", "b": "7/-1000", "c": "1001/1001"},
			wantRemove: []string{"a", "b"},
			afterClear: map[string]string{"a": "5/", "b": "7/-1000", "c": "/"},
		},
		{
			name:      "not mapped",
			pods:      []*corev1.Pod{choicePod("a", "10.0.0.1", nil)},
			consumers: fixedConsumers{{ConnectionName: "other", PeerHost: "10.9.9.9"}},
			wantErr:   engine.ErrNotMapped,
			want:      map[string]string{"a": "/"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := choiceClient(tt.pods...)
			p := NewPodChooser(c, "ns", "w", tt.consumers)
			before := costs(t, c)
			states, oerr := p.ObservePods(context.Background())
			if !errors.Is(oerr, tt.wantErr) || !maps.Equal(costs(t, c), before) {
				t.Fatalf("ObservePods: error %v (want %v), costs %v (want unchanged %v)", oerr, tt.wantErr, costs(t, c), before)
			}
			for i, name := range tt.wantRemove {
				if states[i].Name != name {
					t.Errorf("ObservePods: %d-th to go %q, want %q (as the choice's)", i, states[i].Name, name)
				}
			}
			choice, err := p.PrepareScaleDown(context.Background(), int32(len(tt.pods)), int32(len(tt.pods)-len(tt.wantRemove)))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if got := costs(t, c); !maps.Equal(got, tt.want) {
				t.Errorf("costs %v, want %v", got, tt.want)
			}
			if err != nil {
				return
			}
			if !slices.Equal(choice.Remove, tt.wantRemove) {
				t.Errorf("remove %v, want %v", choice.Remove, tt.wantRemove)
			}
			choice.After(false)
			p.Wait()
			if got := costs(t, c); !maps.Equal(got, tt.afterClear) {
				t.Errorf("after: costs %v, want %v", got, tt.afterClear)
			}
		})
	}
}

// TestPrepareScaleDownForbidden: without list or patch on pods the choice
// turns itself off (engine.ErrPodChoiceOff), saying what to grant.
func TestPrepareScaleDownForbidden(t *testing.T) {
	for _, verb := range []string{"list", "patch"} {
		t.Run(verb, func(t *testing.T) {
			c := choiceClient(choicePod("a", "", nil))
			c.PrependReactor(verb, "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("nope"))
			})
			_, err := NewPodChooser(c, "ns", "w", fixedConsumers{{ConnectionName: "a"}}).PrepareScaleDown(context.Background(), 1, 0)
			if !errors.Is(err, engine.ErrPodChoiceOff) {
				t.Fatalf("error %v, want ErrPodChoiceOff", err)
			}
		})
	}
}

// TestPrepareScaleDownPodVanishes: a pod deleted between the listing and
// its patch is skipped; the others are marked.
func TestPrepareScaleDownPodVanishes(t *testing.T) {
	c := choiceClient(choicePod("a", "", nil), choicePod("b", "", nil))
	c.PrependReactor("patch", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.(k8stesting.PatchAction).GetName() == "a" {
			return true, nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, "a")
		}
		return false, nil, nil
	})
	choice, err := NewPodChooser(c, "ns", "w", fixedConsumers{{ConnectionName: "a"}, {ConnectionName: "b", Unacked: 1}}).PrepareScaleDown(context.Background(), 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := costs(t, c); got["b"] != "1001/1001" || got["a"] != "/" || choice.Idle != 1 || choice.Busy != 1 {
		t.Errorf("costs %v, choice %+v; want b marked busy, a skipped", got, choice)
	}
}
