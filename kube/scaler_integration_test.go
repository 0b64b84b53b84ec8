package kube_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// TestScaleUpAndDown scales through the subresource both ways and checks
// the Events and the annotation each applied change leaves.
func TestScaleUpAndDown(t *testing.T) {
	cp, ns := workload(t, 2)
	s := newScaler(t, cp.Config, ns, false)
	ctx := testCtx(t)

	steps := []struct {
		to     int32
		reason string
		by     string
	}{
		{17, "4,250 messages / 250 per replica", "auto"},
		{3, "750 messages / 250 per replica", "operator"},
	}
	for _, st := range steps {
		from := mustGetScale(t, s)
		if err := s.SetScale(ctx, engine.ScaleRequest{From: from, Replicas: st.to, Reason: st.reason, By: st.by}); err != nil {
			t.Fatalf("SetScale(%d): %v", st.to, err)
		}
		got := mustGetScale(t, s)
		if got.Desired != st.to {
			t.Fatalf("after SetScale(%d): Desired = %d", st.to, got.Desired)
		}
		if got.Version == from.Version {
			t.Errorf("Version did not change after a write: %q", got.Version)
		}

		d, err := cp.Client.AppsV1().Deployments(ns).Get(ctx, kube.DefaultDeployment, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ls, ok, err := kube.ParseLastScale(d.Annotations)
		if err != nil || !ok {
			t.Fatalf("annotation %s: ok=%v err=%v (annotations %v)", kube.AnnotationLastScale, ok, err, d.Annotations)
		}
		if ls.Replicas != st.to || ls.From != from.Desired || ls.By != st.by || ls.Reason != st.reason ||
			ls.Identity != "test-"+t.Name() || ls.Time.IsZero() {
			t.Errorf("annotation = %+v, want replicas %d from %d by %s reason %q", ls, st.to, from.Desired, st.by, st.reason)
		}
	}

	events := deploymentEvents(t, cp, ns, kube.ReasonSuccessfulRescale)
	var msgs []string
	for _, e := range events {
		if e.Type != "Normal" || e.Source.Component != kube.Component {
			t.Errorf("event %s: type %s source %q", e.Name, e.Type, e.Source.Component)
		}
		msgs = append(msgs, e.Message)
	}
	for _, want := range []string{
		"New size: 17; reason: 4,250 messages / 250 per replica",
		"New size: 3; reason: 750 messages / 250 per replica",
	} {
		if !contains(msgs, want) {
			t.Errorf("no SuccessfulRescale event %q; have %q", want, msgs)
		}
	}
}

// TestConflictKeepsOutOfBandChange: a decision based on a stale read fails
// with ErrConflict and the change made in between survives.
func TestConflictKeepsOutOfBandChange(t *testing.T) {
	cp, ns := workload(t, 2)
	s := newScaler(t, cp.Config, ns, false)
	ctx := testCtx(t)
	stale := mustGetScale(t, s)

	// Somebody else scales to 7 in between.
	_, err := cp.Client.AppsV1().Deployments(ns).UpdateScale(ctx, kube.DefaultDeployment, &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: kube.DefaultDeployment, Namespace: ns},
		Spec:       autoscalingv1.ScaleSpec{Replicas: 7},
	}, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	err = s.SetScale(ctx, engine.ScaleRequest{From: stale, Replicas: 5, Reason: "stale", By: "auto"})
	if !errors.Is(err, engine.ErrConflict) {
		t.Fatalf("SetScale with a stale version: err = %v, want ErrConflict", err)
	}
	if got := mustGetScale(t, s); got.Desired != 7 {
		t.Fatalf("Desired = %d after the conflict, want the out-of-band 7", got.Desired)
	}
	if ev := deploymentEvents(t, cp, ns, kube.ReasonSuccessfulRescale); len(ev) != 0 {
		t.Errorf("a refused change recorded %d SuccessfulRescale events", len(ev))
	}

	// Re-reading and deciding again works.
	fresh := mustGetScale(t, s)
	if err := s.SetScale(ctx, engine.ScaleRequest{From: fresh, Replicas: 5, Reason: "fresh", By: "auto"}); err != nil {
		t.Fatalf("SetScale after re-reading: %v", err)
	}
	if got := mustGetScale(t, s); got.Desired != 5 {
		t.Fatalf("Desired = %d, want 5", got.Desired)
	}
}

// TestRefusesWhileHPATargetsDeployment: an HPA on the same Deployment makes
// SetScale refuse (naming it) unless Force; an HPA on another Deployment
// does not.
func TestRefusesWhileHPATargetsDeployment(t *testing.T) {
	cp, ns := workload(t, 2)
	ctx := testCtx(t)
	createHPA(t, cp, ns, "other-hpa", "other-deployment")
	createHPA(t, cp, ns, "worker-hpa", kube.DefaultDeployment)

	s := newScaler(t, cp.Config, ns, false)
	as, err := s.Autoscalers(ctx)
	if err != nil || len(as) != 1 || as[0].Name != "worker-hpa" {
		t.Fatalf("Autoscalers = %v, %v; want only worker-hpa", as, err)
	}
	from := mustGetScale(t, s)
	err = s.SetScale(ctx, engine.ScaleRequest{From: from, Replicas: 6, Reason: "r", By: "auto"})
	if !errors.Is(err, engine.ErrRefused) {
		t.Fatalf("SetScale with an HPA: err = %v, want ErrRefused", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `HorizontalPodAutoscaler "worker-hpa"`) || !strings.Contains(msg, "--force") ||
		strings.Contains(msg, "other-hpa") {
		t.Errorf("refusal message %q should name worker-hpa (only) and --force", msg)
	}
	if got := mustGetScale(t, s); got.Desired != 2 {
		t.Fatalf("Desired = %d after a refusal, want 2", got.Desired)
	}
	if ev := deploymentEvents(t, cp, ns, kube.ReasonFailedRescale); len(ev) != 1 || ev[0].Type != "Warning" ||
		!strings.Contains(ev[0].Message, "worker-hpa") {
		t.Errorf("want one FailedRescale warning naming worker-hpa, got %+v", ev)
	}

	forced := newScaler(t, cp.Config, ns, true)
	if err := forced.SetScale(ctx, engine.ScaleRequest{From: from, Replicas: 6, Reason: "forced", By: "operator"}); err != nil {
		t.Fatalf("SetScale with Force: %v", err)
	}
	if got := mustGetScale(t, s); got.Desired != 6 {
		t.Fatalf("Desired = %d after a forced change, want 6", got.Desired)
	}
}

// TestErrorsAgainstTheServer checks the wording and classification of
// Forbidden, NotFound and Unauthorized as the real API server returns them.
func TestErrorsAgainstTheServer(t *testing.T) {
	cp, ns := workload(t, 2)
	ctx := testCtx(t)
	from := mustGetScale(t, newScaler(t, cp.Config, ns, false))
	hint := "grant it with the Role from `yeetscale manifests`"
	// quiet returns a Scaler whose warnings (its FailedRescale Events are
	// forbidden too) are expected and dropped.
	quiet := func(cfg *rest.Config, force bool) *kube.Scaler {
		s, err := kube.NewScaler(cfg, kube.ScalerConfig{Namespace: ns, Deployment: kube.DefaultDeployment, Force: force})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	tests := []struct {
		name     string
		scaler   *kube.Scaler
		set      bool // SetScale instead of GetScale
		sentinel error
		want     string
	}{
		{"impersonated user cannot get the scale", quiet(cp.ConfigAs("bob"), false), false,
			engine.ErrForbidden, "forbidden: user bob cannot get deployments/scale in namespace " + ns + ": " + hint},
		{"impersonated user cannot update the scale", quiet(cp.ConfigAs("bob"), true), true,
			engine.ErrForbidden, "forbidden: user bob cannot update deployments/scale in namespace " + ns + ": " + hint},
		{"impersonated user cannot check for HPAs", quiet(cp.ConfigAs("bob"), false), true,
			engine.ErrForbidden, "forbidden: user bob cannot list horizontalpodautoscalers in namespace " + ns + ": " + hint},
		{"token user without bindings", quiet(cp.NobodyConfig(), false), false,
			engine.ErrForbidden, "forbidden: user " + "yeetscale-nobody" + " cannot get deployments/scale in namespace " + ns},
		{"wrong token", quiet(cp.ConfigForToken("not-a-valid-token"), false), false,
			engine.ErrUnauthorized, "unauthorized: " + cp.URL + " rejected the credentials (401)"},
		{"missing deployment", func() *kube.Scaler {
			s, err := kube.NewScaler(cp.Config, kube.ScalerConfig{Namespace: ns, Deployment: "no-such-worker"})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}(), false, engine.ErrNotFound, `not found: deployment "no-such-worker" in namespace "` + ns + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.set {
				err = tt.scaler.SetScale(ctx, engine.ScaleRequest{From: from, Replicas: 4, Reason: "r", By: "auto"})
			} else {
				_, err = tt.scaler.GetScale(ctx)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v, want %v", err, tt.sentinel)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("message:\n  %s\nwant it to contain:\n  %s", err, tt.want)
			}
			for _, secret := range []string{cp.Config.BearerToken, "not-a-valid-token", cp.NobodyToken()} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("message leaks a token: %s", err)
				}
			}
		})
	}
	if got := mustGetScale(t, newScaler(t, cp.Config, ns, false)); got.Desired != 2 {
		t.Errorf("Desired = %d after failed attempts, want 2", got.Desired)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestStaleVersionWithSameReplicasIsApplied: a write that changed the
// Deployment but not spec.replicas (here an annotation; in real life the
// deployment controller's status updates) does not block the decision.
func TestStaleVersionWithSameReplicasIsApplied(t *testing.T) {
	cp, ns := workload(t, 2)
	s := newScaler(t, cp.Config, ns, false)
	ctx := testCtx(t)
	stale := mustGetScale(t, s)
	patch := []byte(`{"metadata":{"annotations":{"example.com/touched":"yes"}}}`)
	if _, err := cp.Client.AppsV1().Deployments(ns).Patch(ctx, kube.DefaultDeployment, types.MergePatchType, patch,
		metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if now := mustGetScale(t, s); now.Version == stale.Version {
		t.Fatalf("the patch did not change the resourceVersion %s", now.Version)
	}
	if err := s.SetScale(ctx, engine.ScaleRequest{From: stale, Replicas: 5, Reason: "r", By: "auto"}); err != nil {
		t.Fatalf("SetScale after an unrelated change: %v", err)
	}
	if got := mustGetScale(t, s); got.Desired != 5 {
		t.Fatalf("Desired = %d, want 5", got.Desired)
	}
}

// TestFailedUpdateRecordsWarningEvent: a user who may read the scale and
// record Events but not update the scale gets a Forbidden error naming the
// update, and a FailedRescale warning Event is left on the Deployment.
func TestFailedUpdateRecordsWarningEvent(t *testing.T) {
	cp, ns := workload(t, 2)
	ctx := testCtx(t)
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "read-only-scaler", Namespace: ns},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "deployments/scale"}, Verbs: []string{"get"}},
			{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: []string{"list"}},
			{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
		},
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "carol", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: "rbac.authorization.k8s.io", Kind: "User", Name: "carol"}},
	}
	if _, err := cp.Client.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cp.Client.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s := newScaler(t, cp.ConfigAs("carol"), ns, false)
	// The apiserver's RBAC authorizer learns of a new binding through its
	// informer, a moment after the create returns.
	var from engine.Scale
	deadline := time.Now().Add(15 * time.Second)
	for {
		var gerr error
		if from, gerr = s.GetScale(ctx); gerr == nil {
			break
		} else if !errors.Is(gerr, engine.ErrForbidden) || time.Now().After(deadline) {
			t.Fatalf("GetScale as carol: %v", gerr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	err := s.SetScale(ctx, engine.ScaleRequest{From: from, Replicas: 9, Reason: "9,000 messages", By: "auto"})
	want := "forbidden: user carol cannot update deployments/scale in namespace " + ns
	if !errors.Is(err, engine.ErrForbidden) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want ErrForbidden containing %q", err, want)
	}
	ev := deploymentEvents(t, cp, ns, kube.ReasonFailedRescale)
	if len(ev) != 1 || ev[0].Type != "Warning" || !strings.Contains(ev[0].Message, "New size: 9; reason: 9,000 messages; error: "+want) {
		t.Fatalf("want one FailedRescale warning about the update, got %+v", ev)
	}
	// Repeated failures (each with another size, so another message) add
	// to the same Event's count, as the Kubernetes event series does.
	for n := int32(10); n <= 12; n++ {
		if err := s.SetScale(ctx, engine.ScaleRequest{From: from, Replicas: n, Reason: "more messages", By: "auto"}); !errors.Is(err, engine.ErrForbidden) {
			t.Fatalf("SetScale %d: %v", n, err)
		}
	}
	ev = deploymentEvents(t, cp, ns, kube.ReasonFailedRescale)
	if len(ev) != 1 || ev[0].Count != 4 || !strings.Contains(ev[0].Message, "New size: 12;") || ev[0].LastTimestamp.Before(&ev[0].FirstTimestamp) {
		t.Fatalf("after 4 failures want one FailedRescale Event with count 4, the last size and lastTimestamp not before firstTimestamp; got %d: %+v", len(ev), ev)
	}
}
