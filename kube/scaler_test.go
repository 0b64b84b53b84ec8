package kube

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	k8stesting "k8s.io/client-go/testing"

	"github.com/yeeter/yeetscale/engine"
)

var (
	scaleGR      = schema.GroupResource{Group: "apps", Resource: "deployments/scale"}
	conflictErr  = apierrors.NewConflict(scaleGR, testDep, errors.New("the object has been modified"))
	forbiddenErr = apierrors.NewForbidden(scaleGR, testDep, errors.New(`User "bob" cannot update resource "deployments/scale"`))
)

// TestSetScaleConflicts checks updateScale's answer to conflicts: one that
// only the status caused is retried with the new resourceVersion, a real
// change of spec.replicas is ErrConflict, and a failed re-read keeps both
// the conflict and the re-read's error.
func TestSetScaleConflicts(t *testing.T) {
	tests := []struct {
		name      string
		failures  []error // UpdateScale answers
		rereads   []error // GetScale answers after a conflict
		bumps     int     // status-only changes seen by the re-read
		sets      []int32 // spec changes seen by the re-read
		wantErr   error   // sentinel, nil for success
		wantCause func(error) bool
		wantSent  []int // resourceVersions the updates carried
		wantSpec  int32
	}{
		{name: "no conflict", wantSent: []int{1}, wantSpec: 5},
		{name: "status-only conflict is retried", failures: []error{conflictErr}, bumps: 1,
			wantSent: []int{1, 2}, wantSpec: 5},
		{name: "two status-only conflicts", failures: []error{conflictErr, conflictErr}, bumps: 2,
			wantSent: []int{1, 2, 3}, wantSpec: 5},
		{name: "somebody changed spec.replicas", failures: []error{conflictErr}, sets: []int32{7},
			wantErr: engine.ErrConflict, wantSent: []int{1}, wantSpec: 7},
		{name: "conflicts beyond the retries", failures: []error{conflictErr, conflictErr, conflictErr, conflictErr}, bumps: 4,
			wantErr: engine.ErrConflict, wantSent: []int{1, 2, 3, 4}, wantSpec: 2},
		{name: "the re-read fails", failures: []error{conflictErr}, rereads: []error{forbiddenErr},
			wantErr: engine.ErrConflict, wantCause: func(err error) bool { return errors.Is(err, forbiddenErr) && apierrors.IsConflict(err) }, wantSent: []int{1}, wantSpec: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCluster(t, 2, nil)
			f.failures, f.rereads, f.bumps, f.sets = tt.failures, tt.rereads, tt.bumps, tt.sets
			s := f.scaler(t, true, nil)
			err := s.SetScale(context.Background(), engine.ScaleRequest{
				From: engine.Scale{Desired: 2, Version: "1"}, Replicas: 5, Reason: "test", By: "auto"})
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("SetScale: %v", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("SetScale = %v, want %v", err, tt.wantErr)
			}
			if tt.wantCause != nil && !tt.wantCause(err) {
				t.Errorf("the re-read's error is lost: %v", err)
			}
			if tt.wantCause != nil && !strings.Contains(err.Error(), "reading it again failed") {
				t.Errorf("message does not say the re-read failed: %v", err)
			}
			if got := f.updates; !slices.Equal(got, tt.wantSent) {
				t.Errorf("updates sent with resourceVersions %v, want %v", got, tt.wantSent)
			}
			if f.replicas != tt.wantSpec {
				t.Errorf("spec.replicas = %d, want %d", f.replicas, tt.wantSpec)
			}
		})
	}
}

// TestGuard checks that an HPA or a KEDA ScaledObject on the Deployment
// refuses the change (with a FailedRescale Event), that one on another
// Deployment does not, and that Force skips the check.
func TestGuard(t *testing.T) {
	hpa := func(name, kind, target string) runtime.Object {
		return &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS},
			Spec: autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{
				APIVersion: "apps/v1", Kind: kind, Name: target}}}
	}
	so := func(name, target string) runtime.Object {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("keda.sh/v1alpha1")
		u.SetKind("ScaledObject")
		u.SetNamespace(testNS)
		u.SetName(name)
		_ = unstructured.SetNestedField(u.Object, target, "spec", "scaleTargetRef", "name")
		return u
	}
	tests := []struct {
		name    string
		objs    []runtime.Object
		dyn     []runtime.Object
		keda    bool
		force   bool
		refused string // substring of the refusal, "" when applied
	}{
		{name: "nothing else"},
		{name: "an HPA on it", objs: []runtime.Object{hpa("h", "Deployment", testDep)}, refused: `HorizontalPodAutoscaler "h"`},
		{name: "an HPA on another deployment", objs: []runtime.Object{hpa("h", "Deployment", "other")}},
		{name: "an HPA on a StatefulSet of the same name", objs: []runtime.Object{hpa("h", "StatefulSet", testDep)}},
		{name: "a ScaledObject on it", keda: true, dyn: []runtime.Object{so("s", testDep)}, refused: `ScaledObject "s"`},
		{name: "a ScaledObject without KEDA served", dyn: []runtime.Object{so("s", testDep)}},
		{name: "a ScaledObject on another", keda: true, dyn: []runtime.Object{so("s", "other")}},
		{name: "force", objs: []runtime.Object{hpa("h", "Deployment", testDep)}, force: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCluster(t, 2, tt.objs, tt.dyn...)
			if tt.keda {
				f.client.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{{
					GroupVersion: "keda.sh/v1alpha1", APIResources: []metav1.APIResource{{Name: "scaledobjects", Namespaced: true, Kind: "ScaledObject"}}}}
			}
			s := f.scaler(t, tt.force, nil)
			err := s.SetScale(context.Background(), engine.ScaleRequest{From: engine.Scale{Desired: 2, Version: "1"}, Replicas: 4, By: "auto"})
			creates, _ := f.counts()
			if tt.refused == "" {
				if err != nil || f.replicas != 4 {
					t.Fatalf("SetScale = %v, replicas %d; want applied", err, f.replicas)
				}
				return
			}
			if !errors.Is(err, engine.ErrRefused) || !strings.Contains(err.Error(), tt.refused) {
				t.Fatalf("SetScale = %v, want refused naming %s", err, tt.refused)
			}
			if len(f.updates) != 0 || f.replicas != 2 {
				t.Errorf("updated anyway: %v, replicas %d", f.updates, f.replicas)
			}
			if creates != 1 {
				t.Errorf("%d FailedRescale Events created, want 1", creates)
			}
		})
	}
}

// failedEvents returns the FailedRescale Events in the fake cluster.
func failedEvents(t *testing.T, f *fakeCluster) []corev1.Event {
	t.Helper()
	list, err := f.client.CoreV1().Events(testNS).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []corev1.Event
	for _, e := range list.Items {
		if e.Reason == ReasonFailedRescale {
			out = append(out, e)
		}
	}
	return out
}

// TestFailedRescaleEventsAggregate checks that repeated failures of the
// same kind add to one Event's count (the message changes with the replica
// count, so the message cannot be the key), that another kind starts its
// own Event, and that a success ends the series.
func TestFailedRescaleEventsAggregate(t *testing.T) {
	f := newFakeCluster(t, 2, nil)
	s := f.scaler(t, true, nil)
	set := func(n int32) error {
		sc, err := s.GetScale(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return s.SetScale(context.Background(), engine.ScaleRequest{From: sc, Replicas: n, Reason: "r", By: "auto"})
	}
	f.failures = []error{forbiddenErr, forbiddenErr, forbiddenErr}
	for i, n := range []int32{5, 6, 7} {
		if err := set(n); !errors.Is(err, engine.ErrForbidden) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	creates, patches := f.counts()
	evs := failedEvents(t, f)
	if creates != 1 || patches != 2 || len(evs) != 1 {
		t.Fatalf("%d creates, %d patches, %d Events; want 1, 2, 1", creates, patches, len(evs))
	}
	if e := evs[0]; e.Count != 3 || !strings.Contains(e.Message, "New size: 7") || !e.LastTimestamp.After(e.FirstTimestamp.Time) {
		t.Errorf("Event count %d, message %q, first %v, last %v; want 3, the last size, a later lastTimestamp",
			e.Count, e.Message, e.FirstTimestamp, e.LastTimestamp)
	}

	// Another kind of failure is another Event.
	f.failures = []error{apierrors.NewInternalError(errors.New("etcd is sad"))}
	_ = set(8)
	if creates, _ := f.counts(); creates != 2 {
		t.Errorf("an unavailable after forbidden: %d creates, want 2", creates)
	}
	// A success ends the series: the next failure is a new Event.
	if err := set(3); err != nil {
		t.Fatal(err)
	}
	f.failures = []error{forbiddenErr}
	_ = set(9)
	if n := len(failedEvents(t, f)); n != 3 {
		t.Errorf("%d FailedRescale Events after a success and a new failure, want 3", n)
	}
}

// TestWarnEventRetriedAfterAFailedWrite checks that a FailedRescale Event
// whose write failed does not silence the next identical warning.
func TestWarnEventRetriedAfterAFailedWrite(t *testing.T) {
	f := newFakeCluster(t, 2, nil)
	failed := false
	f.client.PrependReactor("create", "events", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if !failed {
			failed = true
			return true, nil, apierrors.NewServiceUnavailable("try later")
		}
		return false, nil, nil
	})
	var warns []error
	s := f.scaler(t, true, &warns)
	f.failures = []error{forbiddenErr, forbiddenErr}
	for i := 0; i < 2; i++ {
		err := s.SetScale(context.Background(), engine.ScaleRequest{From: engine.Scale{Desired: 2, Version: "1"}, Replicas: 5, Reason: "r", By: "auto"})
		if !errors.Is(err, engine.ErrForbidden) {
			t.Fatalf("SetScale %d: %v", i, err)
		}
	}
	if len(warns) != 1 || !errors.Is(warns[0], engine.ErrUnavailable) {
		t.Errorf("warnings %v, want the one failed Event write", warns)
	}
	if evs := failedEvents(t, f); len(evs) != 1 || evs[0].Count != 1 {
		t.Errorf("FailedRescale Events %+v, want one written by the second warning", evs)
	}
}

// TestWriteContextOutlivesItsParent checks that the context Events and
// annotations are written with survives the end of the poll's context and
// is still bounded.
func TestWriteContextOutlivesItsParent(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	cancel()
	ctx, stop := writeContext(parent)
	defer stop()
	if ctx.Err() != nil {
		t.Fatalf("the write context ended with its parent: %v", ctx.Err())
	}
	if dl, ok := ctx.Deadline(); !ok || dl.IsZero() {
		t.Errorf("the write context has no deadline")
	}
}

// ctxClient is the fake clientset with Events that honour their context,
// as a real client does (the fake ignores it).
type ctxClient struct{ *fake.Clientset }

func (c ctxClient) CoreV1() typedcorev1.CoreV1Interface { return ctxCoreV1{c.Clientset.CoreV1()} }

type ctxCoreV1 struct{ typedcorev1.CoreV1Interface }

func (c ctxCoreV1) Events(ns string) typedcorev1.EventInterface {
	return ctxEvents{c.CoreV1Interface.Events(ns)}
}

type ctxEvents struct{ typedcorev1.EventInterface }

func (e ctxEvents) Create(ctx context.Context, ev *corev1.Event, o metav1.CreateOptions) (*corev1.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return e.EventInterface.Create(ctx, ev, o)
}

// TestEventsOutliveAnExpiredContext fails an update because its context
// expired: the FailedRescale Event is still written (on a context of its
// own), and so is the SuccessfulRescale of a change whose context ends
// while the update is in flight.
func TestEventsOutliveAnExpiredContext(t *testing.T) {
	f := newFakeCluster(t, 2, nil)
	s := f.scaler(t, true, nil)
	s.client = ctxClient{f.client}
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	f.failures = []error{ctx.Err()}
	if err := s.SetScale(ctx, engine.ScaleRequest{From: engine.Scale{Desired: 2, Version: "1"}, Replicas: 5, Reason: "r", By: "auto"}); err == nil {
		t.Fatal("SetScale succeeded")
	}
	if evs := failedEvents(t, f); len(evs) != 1 {
		t.Errorf("%d FailedRescale Events after an update that timed out, want 1", len(evs))
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	f.client.PrependReactor("update", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		cancel2() // the stop arrives while the update is in flight
		return false, nil, nil
	})
	if err := s.SetScale(ctx2, engine.ScaleRequest{From: engine.Scale{Desired: 2, Version: "2"}, Replicas: 6, Reason: "r", By: "auto"}); err != nil {
		t.Fatal(err)
	}
	list, err := f.client.CoreV1().Events(testNS).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.Items) - 1; n != 1 {
		t.Errorf("%d SuccessfulRescale Events after a change whose context ended, want 1", n)
	}
}
