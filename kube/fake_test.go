package kube

import (
	"strconv"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// fakeCluster is a fake clientset holding the yeeter/yeeter-worker
// Deployment, with the scale subresource served from its fields (the fake
// object tracker does not serve subresources), so the unit tests can
// script conflicts and failures with reactors.
type fakeCluster struct {
	client  *fake.Clientset
	dynamic *dynamicfake.FakeDynamicClient

	mu       sync.Mutex
	replicas int32   // spec.replicas of the scale subresource
	version  int     // its resourceVersion
	updates  []int   // resourceVersion each UpdateScale was sent with
	creates  int     // Events created
	patches  int     // Events patched
	failures []error // errors the next UpdateScale calls return, in order
	rereads  []error // errors the next GetScale calls return, in order
	bumps    int     // how many GetScale calls first bump the version (a status change)
	sets     []int32 // spec changes GetScale makes first (somebody else scales)
}

const (
	testNS  = "yeeter"
	testDep = "yeeter-worker"
)

// newFakeCluster returns a fakeCluster with the Deployment at replicas and
// objs (HPAs, ...) in the clientset; dynObjs go into the dynamic client.
func newFakeCluster(t *testing.T, replicas int32, objs []runtime.Object, dynObjs ...runtime.Object) *fakeCluster {
	t.Helper()
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: testDep, Namespace: testNS, UID: "uid-1"},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas}}
	f := &fakeCluster{client: fake.NewClientset(append([]runtime.Object{d}, objs...)...), replicas: replicas, version: 1}
	f.dynamic = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{ScaledObjectResource: "ScaledObjectList"}, dynObjs...)
	f.client.PrependReactor("get", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.rereads) > 0 {
			err := f.rereads[0]
			f.rereads = f.rereads[1:]
			if err != nil {
				return true, nil, err
			}
		}
		if f.bumps > 0 {
			f.bumps--
			f.version++
		}
		if len(f.sets) > 0 {
			f.replicas, f.sets = f.sets[0], f.sets[1:]
			f.version++
		}
		return true, f.scaleLocked(), nil
	})
	f.client.PrependReactor("update", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		sc := a.(k8stesting.UpdateAction).GetObject().(*autoscalingv1.Scale)
		f.mu.Lock()
		defer f.mu.Unlock()
		rv, _ := strconv.Atoi(sc.ResourceVersion)
		f.updates = append(f.updates, rv)
		if len(f.failures) > 0 {
			err := f.failures[0]
			f.failures = f.failures[1:]
			if err != nil {
				return true, nil, err
			}
		}
		f.replicas = sc.Spec.Replicas
		f.version++
		return true, f.scaleLocked(), nil
	})
	f.client.PrependReactor("*", "events", func(a k8stesting.Action) (bool, runtime.Object, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch a.GetVerb() {
		case "create":
			f.creates++
		case "patch":
			f.patches++
		}
		return false, nil, nil
	})
	return f
}

func (f *fakeCluster) scaleLocked() *autoscalingv1.Scale {
	return &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: testDep, Namespace: testNS, UID: "uid-1", ResourceVersion: strconv.Itoa(f.version)},
		Spec:       autoscalingv1.ScaleSpec{Replicas: f.replicas},
		Status:     autoscalingv1.ScaleStatus{Replicas: f.replicas},
	}
}

// scaler returns a Scaler on the fake clients; warnings go to warns.
func (f *fakeCluster) scaler(t *testing.T, force bool, warns *[]error) *Scaler {
	t.Helper()
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return newScaler(ScalerConfig{Namespace: testNS, Deployment: testDep, Force: force, Identity: "unit",
		Warn: func(err error) {
			mu.Lock()
			defer mu.Unlock()
			if warns != nil {
				*warns = append(*warns, err)
			}
		},
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); now = now.Add(time.Second); return now },
	}, f.client, f.dynamic, "https://fake:6443", "")
}

// counts returns the Event creates and patches so far.
func (f *fakeCluster) counts() (creates, patches int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creates, f.patches
}
