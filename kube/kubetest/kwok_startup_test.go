package kubetest

import (
	"context"
	"strings"
	"testing"
	"time"
)

// kwokFastPodReady is the head of kwok v0.8.0's kustomize/stage/pod/fast/pod-ready.yaml.
const kwokFastPodReady = `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  next:
    statusTemplate: |
      phase: Running
`

func TestWithReadyDelay(t *testing.T) {
	delayed := strings.Replace(kwokFastPodReady, "  next:\n", kwokReadyDelay+"  next:\n", 1)
	other := strings.Replace(kwokFastPodReady, "name: pod-ready", "name: pod-delete", 1)
	for _, tt := range []struct{ name, in, want string }{
		{"pod-ready gets the annotation's delay", kwokFastPodReady, delayed},
		{"a delay already there stays", delayed, delayed},
		{"other stages unchanged", other, other},
		{"no next: unchanged", "metadata:\n  name: pod-ready\n", "metadata:\n  name: pod-ready\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(withReadyDelay([]byte(tt.in))); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestPodStartupDelaysReady checks that kwok holds an annotated pod
// un-Ready for its start-up delay and that plain pods stay quick.
func TestPodStartupDelaysReady(t *testing.T) {
	cp := SharedWorkloads(t)
	for _, tt := range []struct {
		name     string
		startup  time.Duration
		min, max time.Duration
	}{
		{"startup-3s", 3 * time.Second, 3 * time.Second, 30 * time.Second},
		{"startup-none", 0, 0, 2500 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			ns := "startup-" + strings.ToLower(tt.name)
			began := time.Now()
			if _, err := cp.CreateWorkloadWithStartup(ctx, ns, "w", 1, tt.startup); err != nil {
				t.Fatal(err)
			}
			wctx, wcancel := context.WithTimeout(ctx, tt.max)
			defer wcancel()
			if _, err := cp.WaitReady(wctx, ns, "w", 1); err != nil {
				t.Fatalf("not Ready within %s: %v", tt.max, err)
			}
			if took := time.Since(began); took < tt.min {
				t.Errorf("Ready after %s, want at least the start-up %s", took, tt.min)
			}
		})
	}
}
