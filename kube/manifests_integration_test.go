package kube_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// TestManifestsApplyAndGrantOnlyWhatIsNeeded applies the manifests with
// server-side apply, checks the ServiceAccount's rights with
// SubjectAccessReviews, and then runs the Scaler and leader election with
// a token of that ServiceAccount.
func TestManifestsApplyAndGrantOnlyWhatIsNeeded(t *testing.T) {
	cp, ns := workload(t, 2)
	ctx := testCtx(t)
	// As `yeetscale manifests` does: include the KEDA rule only with KEDA.
	keda, err := kube.HasKEDA(ctx, cp.Client.Discovery())
	if err != nil {
		t.Fatal(err)
	}
	objs, err := kube.ManifestObjects(kube.ManifestOptions{Namespace: ns, KEDA: keda, Image: kube.ImageRepository + ":v0.0.0-test"})
	if err != nil {
		t.Fatal(err)
	}
	kinds := applyObjects(t, cp, objs)
	if want := "[ServiceAccount Role RoleBinding Deployment]"; fmt.Sprint(kinds) != want {
		t.Errorf("kinds = %v, want %s", kinds, want)
	}

	sa := "system:serviceaccount:" + ns + ":" + kube.DefaultManifestName
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
	lease := kube.LeaseName(kube.DefaultDeployment)
	tests := []struct {
		verb, group, resource, sub, name string
		allowed                          bool
	}{
		{"get", "apps", "deployments", "", kube.DefaultDeployment, true},
		{"patch", "apps", "deployments", "", kube.DefaultDeployment, true},
		{"get", "apps", "deployments", "scale", kube.DefaultDeployment, true},
		{"update", "apps", "deployments", "scale", kube.DefaultDeployment, true},
		{"create", "", "events", "", "", true},
		{"patch", "", "events", "", "", true},
		{"get", "coordination.k8s.io", "leases", "", lease, true},
		// Verbs the code never calls: not granted.
		{"patch", "apps", "deployments", "scale", kube.DefaultDeployment, false},
		{"watch", "autoscaling", "horizontalpodautoscalers", "", "", false},
		{"watch", "keda.sh", "scaledobjects", "", "", false},
		{"update", "", "events", "", "", false},
		{"list", "", "events", "", "", false},
		{"list", "apps", "deployments", "", "", false},
		{"create", "coordination.k8s.io", "leases", "", "", true},
		{"update", "coordination.k8s.io", "leases", "", lease, true},
		{"list", "autoscaling", "horizontalpodautoscalers", "", "", true},
		{"delete", "apps", "deployments", "", kube.DefaultDeployment, false},
		{"update", "apps", "deployments", "", kube.DefaultDeployment, false},
		{"update", "apps", "deployments", "scale", "some-other-deployment", false},
		{"get", "", "secrets", "", "yeeter-secrets", false},
		{"list", "", "secrets", "", "", false},
		{"update", "coordination.k8s.io", "leases", "", "someone-elses-lease", false},
		{"create", "", "pods", "", "", false},
	}
	waitAllowed(t, cp, sa, groups, authorizationv1.ResourceAttributes{Namespace: ns, Verb: "get", Group: "apps",
		Resource: "deployments", Name: kube.DefaultDeployment})
	for _, tt := range tests {
		checkAccess(t, cp, sa, groups, authorizationv1.ResourceAttributes{Namespace: ns, Verb: tt.verb, Group: tt.group,
			Resource: tt.resource, Subresource: tt.sub, Name: tt.name}, tt.allowed)
	}

	// The Role is enough for the real thing: scale, annotate, record an
	// Event, check for HPAs and hold the Lease, as the ServiceAccount.
	token, err := cp.ServiceAccountToken(ctx, ns, kube.DefaultManifestName)
	if err != nil {
		t.Fatal(err)
	}
	s := newScaler(t, cp.ConfigForToken(token), ns, false)
	ran := false
	err = kube.RunWithLeaderElection(ctx, kube.LeaderConfig{Client: s.Client(), Namespace: ns, Name: lease,
		LeaseDuration: 3 * time.Second, RenewDeadline: 2 * time.Second, RetryPeriod: 200 * time.Millisecond},
		func(ctx context.Context) {
			ran = true
			from, err := s.GetScale(ctx)
			if err != nil {
				t.Errorf("GetScale as the ServiceAccount: %v", err)
				return
			}
			if err := s.SetScale(ctx, engine.ScaleRequest{From: from, Replicas: 4, Reason: "as the ServiceAccount", By: "auto"}); err != nil {
				t.Errorf("SetScale as the ServiceAccount: %v", err)
			}
		})
	if err != nil || !ran {
		t.Fatalf("leader election as the ServiceAccount: ran=%v err=%v", ran, err)
	}
	if got := mustGetScale(t, s); got.Desired != 4 {
		t.Errorf("Desired = %d, want 4", got.Desired)
	}
	if ev := deploymentEvents(t, cp, ns, kube.ReasonSuccessfulRescale); len(ev) != 1 {
		t.Errorf("%d SuccessfulRescale events, want 1", len(ev))
	}

	// The rest of what the Scaler does, as the ServiceAccount: keep the
	// memory, and refuse twice beside an HPA (the second refusal patches
	// the first FailedRescale Event's count).
	if err := s.SaveMemory(ctx, "remembered"); err != nil {
		t.Errorf("SaveMemory as the ServiceAccount: %v", err)
	}
	if m, err := s.LoadMemory(ctx); err != nil || m != "remembered" {
		t.Errorf("LoadMemory as the ServiceAccount = %q, %v", m, err)
	}
	createHPA(t, cp, ns, "hpa", kube.DefaultDeployment)
	for i := 0; i < 2; i++ {
		from := mustGetScale(t, s)
		if err := s.SetScale(ctx, engine.ScaleRequest{From: from, Replicas: 6, Reason: "beside an HPA", By: "auto"}); !errors.Is(err, engine.ErrRefused) {
			t.Errorf("SetScale beside an HPA as the ServiceAccount = %v, want refused", err)
		}
	}
	if ev := deploymentEvents(t, cp, ns, kube.ReasonFailedRescale); len(ev) != 1 || ev[0].Count != 2 {
		t.Errorf("FailedRescale Events %d (want 1 with count 2)", len(ev))
	}
}

// TestKwokPodsBecomeReady proves the harness's workload option: with
// kube-controller-manager and kwok, a Deployment scaled to 3 through the
// Scaler reports 3 ready replicas through GetScale.
func TestKwokPodsBecomeReady(t *testing.T) {
	cp := kubetest.SharedWorkloads(t)
	ns := cp.Namespace(t)
	ctx := testCtx(t)
	if _, err := cp.CreateWorkload(ctx, ns, kube.DefaultDeployment, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.WaitReady(ctx, ns, kube.DefaultDeployment, 1); err != nil {
		t.Fatal(err)
	}
	s := newScaler(t, cp.Config, ns, false)
	from := mustGetScale(t, s)
	if from.Ready != 1 || from.Current != 1 {
		t.Fatalf("before scaling: %+v, want 1 ready", from)
	}
	if err := s.SetScale(ctx, engine.ScaleRequest{From: from, Replicas: 3, Reason: "kwok", By: "auto"}); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.WaitReady(ctx, ns, kube.DefaultDeployment, 3); err != nil {
		t.Fatal(err)
	}
	got := mustGetScale(t, s)
	if got.Desired != 3 || got.Current != 3 || got.Ready != 3 {
		t.Fatalf("GetScale = %+v, want desired, current and ready 3", got)
	}
}
