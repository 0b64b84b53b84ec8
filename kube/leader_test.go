package kube

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/yeeter/yeetscale/engine"
)

// TestLeaseResultsAreReported runs leader election on the fake clientset:
// with every Lease request forbidden each attempt is reported as a
// forbidden error and run never starts; with a working Lease the answers
// are reported as nil and run starts.
func TestLeaseResultsAreReported(t *testing.T) {
	tests := []struct {
		name    string
		refuse  error
		wantErr error
		wantRun bool
	}{
		{"forbidden", apierrors.NewForbidden(schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, "l",
			errors.New(`User "system:serviceaccount:yeeter:yeetscale" cannot get resource "leases"`)), engine.ErrForbidden, false},
		{"unavailable", apierrors.NewServiceUnavailable("etcd is down"), engine.ErrUnavailable, false},
		{"working", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewClientset()
			if tt.refuse != nil {
				client.PrependReactor("*", "leases", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, tt.refuse })
			}
			var mu sync.Mutex
			var results []error
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			ran := false
			err := RunWithLeaderElection(ctx, LeaderConfig{Client: client, Namespace: "yeeter", Name: "l", Identity: "me",
				LeaseDuration: 300 * time.Millisecond, RenewDeadline: 200 * time.Millisecond, RetryPeriod: 50 * time.Millisecond,
				OnLeaseResult: func(err error) { mu.Lock(); results = append(results, err); mu.Unlock() },
			}, func(ctx context.Context) { ran = true; cancel() })
			if err != nil {
				t.Fatalf("RunWithLeaderElection: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if ran != tt.wantRun || len(results) == 0 {
				t.Fatalf("ran %v, %d results; want ran %v and results", ran, len(results), tt.wantRun)
			}
			for _, r := range results {
				if (tt.wantErr == nil) != (r == nil) || (r != nil && !errors.Is(r, tt.wantErr)) {
					t.Fatalf("result %v, want %v", r, tt.wantErr)
				}
			}
			if tt.wantErr == engine.ErrForbidden && len(results) < 3 {
				t.Errorf("%d results in a second at a 50ms retry period: not every attempt is reported", len(results))
			}
		})
	}
}
