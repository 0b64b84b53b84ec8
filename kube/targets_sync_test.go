package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/yeeter/yeetscale/engine"
)

// TestTargetInformerScaleFromCache: GetScale answers from the cache (no
// request), and from the API server while the watch is failing.
func TestTargetInformerScaleFromCache(t *testing.T) {
	ti, client := startFake(t, TargetInformerOptions{Namespace: "shop"}, fleetObjects()...)
	var orders engine.Target
	for _, tg := range ti.Targets() {
		if tg.Key() == "shop/orders" {
			orders = tg
		}
	}
	client.ClearActions()
	sc, err := orders.Scaler.GetScale(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sc.Desired != 2 || sc.Current != 2 || sc.Ready != 2 || sc.Version == "" {
		t.Errorf("GetScale = %+v, want 2/2/2 and a version", sc)
	}
	if a := client.Actions(); len(a) != 0 {
		t.Errorf("GetScale from the cache made %d requests (%v)", len(a), a[0])
	}

	// The API server's answer differs from the cache's (11 replicas).
	client.PrependReactor("get", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		return true, &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{ResourceVersion: "live"},
			Spec: autoscalingv1.ScaleSpec{Replicas: 11}}, nil
	})
	ti.watchFailed(context.Background(), nil, apierrors.NewServiceUnavailable("etcd is down"))
	if sc, err := orders.Scaler.GetScale(context.Background()); err != nil || sc.Desired != 11 || sc.Version != "live" {
		t.Errorf("GetScale after a watch failure = %+v, %v, want the API server's 11", sc, err)
	}
	// Anything delivered afterwards shows the watch works again.
	drain(ti)
	update(t, client, "shop", "orders", func(d *appsv1.Deployment) { d.Status.ReadyReplicas = 1 })
	waitChanged(t, ti)
	client.ClearActions()
	if sc, err := orders.Scaler.GetScale(context.Background()); err != nil || sc.Ready != 1 || len(client.Actions()) != 0 {
		t.Errorf("GetScale after recovery = %+v, %v with %d requests, want ready 1 from the cache", sc, err, len(client.Actions()))
	}
}

// TestWaitForSyncFails: a forbidden list fails at once, naming the user
// and the manifests that grant it; an unavailable or unreachable server
// after SyncTimeout, with the last error, naming the server without its
// credentials. Every error is one line.
func TestWaitForSyncFails(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "",
		errors.New(`User "system:serviceaccount:shop:yeetscale" cannot list resource "deployments"`))
	tests := []struct {
		name      string
		namespace string
		listErr   error // the fake's answer; nil: a real client on an unreachable server
		kind      error
		want      []string
		within    time.Duration
	}{
		{"forbidden in a namespace", "shop", forbidden, engine.ErrForbidden,
			[]string{"manifests --fleet -n shop", "system:serviceaccount:shop:yeetscale"}, 2 * time.Second},
		{"forbidden in all namespaces", "", forbidden, engine.ErrForbidden,
			[]string{"manifests --fleet -A", "in all namespaces"}, 2 * time.Second},
		{"unavailable", "shop", apierrors.NewServiceUnavailable("etcd is down"), engine.ErrUnavailable,
			[]string{"within 300ms", "etcd is down"}, 3 * time.Second},
		{"unreachable", "shop", nil, engine.ErrUnavailable,
			[]string{"within 300ms", "https://127.0.0.1:1", "connection refused"}, 8 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := TargetInformerOptions{Namespace: tt.namespace, Force: true, SyncTimeout: 300 * time.Millisecond}
			if errors.Is(tt.kind, engine.ErrForbidden) {
				o.SyncTimeout = time.Minute // it must not wait for it
			}
			var ti *TargetInformer
			var err error
			if tt.listErr != nil {
				client := fake.NewClientset()
				client.PrependReactor("list", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
					return true, nil, tt.listErr
				})
				ti, err = NewTargetInformer(client, o)
			} else {
				ko := NewOptions()
				ko.RESTConfig = &rest.Config{Host: "https://admin:pw@127.0.0.1:1", BearerToken: "sekret-token", Timeout: time.Second}
				ti, err = ko.NewTargetInformer(o)
			}
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer func() { cancel(); ti.Shutdown() }()
			if err := ti.WaitForSync(ctx); err == nil || !strings.Contains(err.Error(), "Start") {
				t.Errorf("WaitForSync before Start = %v", err)
			}
			ti.Start(ctx)
			began := time.Now()
			err = ti.WaitForSync(ctx)
			msg := fmt.Sprint(err)
			if !errors.Is(err, tt.kind) || strings.ContainsAny(msg, "\n\r") || strings.Contains(msg, "sekret") || strings.Contains(msg, "pw@") {
				t.Fatalf("WaitForSync = %q, want one %v line without credentials", msg, tt.kind)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("WaitForSync = %q, lacks %q", msg, w)
				}
			}
			if d := time.Since(began); d > tt.within {
				t.Errorf("WaitForSync took %s, want at most %s", d, tt.within)
			}
		})
	}
	if _, err := (&Options{}).NewTargetInformer(TargetInformerOptions{}); err == nil {
		t.Error("NewTargetInformer before Complete succeeded")
	}
}

// TestTargetInformerWatchWarnings: after the sync, a failing watch is
// warned about once a kind every warnEvery; a watch that ends normally
// is not a warning.
func TestTargetInformerWatchWarnings(t *testing.T) {
	var warns []error
	ti, _ := startFake(t, TargetInformerOptions{Namespace: "shop", Warn: func(err error) { warns = append(warns, err) }},
		fleetObjects()...)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ti.now = func() time.Time { return now }
	ctx := context.Background()
	steps := []struct {
		err   error
		after time.Duration
		warns int
	}{
		{io.EOF, 0, 0},
		{apierrors.NewResourceExpired("too old resource version"), 0, 0},
		{apierrors.NewServiceUnavailable("etcd is down"), 0, 1},
		{apierrors.NewServiceUnavailable("etcd is down"), time.Second, 1},
		{apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "", errors.New("no")), 0, 2},
		{apierrors.NewServiceUnavailable("etcd is down"), 31 * time.Second, 3},
	}
	for i, s := range steps {
		now = now.Add(s.after)
		ti.watchFailed(ctx, nil, s.err)
		if len(warns) != s.warns {
			t.Fatalf("step %d (%v): %d warnings, want %d", i, s.err, len(warns), s.warns)
		}
	}
	if !strings.Contains(warns[1].Error(), "manifests --fleet -n shop") {
		t.Errorf("forbidden warning %q lacks the manifests hint", warns[1])
	}
}

// TestTargetScalerDistrustsALaggingCache: after an update (applied, or
// refused because somebody else scaled), the cache still shows the
// version the update was sent from until the watch catches up; GetScale
// must then ask the API server rather than decide on the old size. (The
// fake's scale subresource never reaches its tracker: its cache lags
// forever.)
func TestTargetScalerDistrustsALaggingCache(t *testing.T) {
	tests := []struct {
		name     string
		conflict bool  // somebody else scales to 9 first
		want     int32 // Desired of the GetScale after SetScale
	}{
		{"applied", false, 5},
		{"conflict", true, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ti, client := startFake(t, TargetInformerOptions{Namespace: "shop", Force: true}, fleetObjects()...)
			live, version := int32(2), 10
			client.PrependReactor("*", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if a.GetSubresource() != "scale" {
					return false, nil, nil
				}
				if u, ok := a.(k8stesting.UpdateAction); ok {
					sc := u.GetObject().(*autoscalingv1.Scale)
					if tt.conflict {
						live = 9
						return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "orders", errors.New("changed"))
					}
					live = sc.Spec.Replicas
				}
				version++
				return true, &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{ResourceVersion: fmt.Sprint(version)},
					Spec: autoscalingv1.ScaleSpec{Replicas: live}}, nil
			})
			var orders engine.Target
			for _, tg := range ti.Targets() {
				if tg.Key() == "shop/orders" {
					orders = tg
				}
			}
			ctx := context.Background()
			from, err := orders.Scaler.GetScale(ctx)
			if err != nil || from.Desired != 2 || from.Version != "1" {
				t.Fatalf("first GetScale = %+v, %v, want 2 at version 1 from the cache", from, err)
			}
			err = orders.Scaler.SetScale(ctx, engine.ScaleRequest{From: from, Replicas: 5, Reason: "test", By: "auto"})
			if tt.conflict != errors.Is(err, engine.ErrConflict) {
				t.Fatalf("SetScale = %v", err)
			}
			got, err := orders.Scaler.GetScale(ctx)
			if err != nil || got.Desired != tt.want {
				t.Errorf("GetScale after SetScale = %+v, %v, want %d from the API server", got, err, tt.want)
			}
		})
	}
}
