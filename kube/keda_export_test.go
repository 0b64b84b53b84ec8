package kube_test

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// TestKEDAObjectsCarrySettings checks where each yeetscale setting lands in
// the ScaledObject and that the TriggerAuthentication reads the Secret's
// username and password keys.
func TestKEDAObjectsCarrySettings(t *testing.T) {
	c := engine.DefaultConfig()
	c.MinReplicas, c.MaxReplicas, c.TargetMessages = 2, 40, 75
	c.PollInterval, c.ScaleDownWindow, c.Tolerance = 1500*time.Millisecond, 90*time.Second, 0.05
	c.MaxStepDown, c.Count = 3, engine.CountReady
	c.ActivationMessages, c.IdleBeforeZero = 6, 10*time.Minute
	objs, err := kube.KEDAObjects(kube.ManifestOptions{Namespace: "shop", Deployment: "order-worker", Queue: "orders", VHost: "v1", Secret: "rmq", RabbitURL: "https://rabbit.shop.svc:15671"}, c)
	if err != nil {
		t.Fatal(err)
	}
	auth, so := objs[0].Object, objs[1].Object
	str := func(m map[string]any, path ...string) any {
		v, ok, err := unstructured.NestedFieldNoCopy(m, path...)
		if !ok || err != nil {
			t.Fatalf("%v: missing (%v)", path, err)
		}
		return v
	}
	trig := str(so, "spec", "triggers").([]any)[0].(map[string]any)
	down := []string{"spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown"}
	for _, tt := range []struct {
		got, want any
		what      string
	}{
		{str(so, "metadata", "namespace"), "shop", "namespace"},
		{str(so, "spec", "scaleTargetRef", "name"), "order-worker", "target"},
		{str(so, "spec", "minReplicaCount"), int64(2), "min"},
		{str(so, "spec", "maxReplicaCount"), int64(40), "max"},
		{str(so, "spec", "pollingInterval"), int64(2), "pollingInterval (1.5s rounded up)"},
		{str(so, "spec", "cooldownPeriod"), int64(600), "cooldownPeriod = --idle-before-zero"},
		{str(so, append(down, "stabilizationWindowSeconds")...), int64(90), "scale-down window"},
		{str(so, append(down, "tolerance")...), "0.05", "tolerance"},
		{str(so, append(down, "policies")...).([]any)[0].(map[string]any)["value"], int64(3), "max step down"},
		{trig["type"], "rabbitmq", "trigger type"},
		{str(trig, "metadata", "mode"), "QueueLength", "mode"},
		{str(trig, "metadata", "protocol"), "http", "protocol"},
		{str(trig, "metadata", "value"), "75", "value"},
		{str(trig, "metadata", "activationValue"), "6", "activationValue = --activation-messages"},
		{str(trig, "metadata", "queueName"), "orders", "queue"},
		{str(trig, "metadata", "vhostName"), "v1", "vhost"},
		{str(trig, "metadata", "host"), "https://rabbit.shop.svc:15671", "host"},
		{str(trig, "metadata", "excludeUnacknowledged"), "true", "--count ready"},
		{str(trig, "authenticationRef", "name"), objs[0].GetName(), "authenticationRef"},
		{str(auth, "spec", "secretTargetRef").([]any)[1].(map[string]any)["key"], "password", "password key"},
		{str(auth, "spec", "secretTargetRef").([]any)[0].(map[string]any)["name"], "rmq", "secret"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s = %#v, want %#v", tt.what, tt.got, tt.want)
		}
	}
	// No --max-step-up: the HPA's default scale-up cap (double or 4 pods
	// per 15 s) must be lifted to MaxReplicas pods per poll.
	up := str(so, "spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleUp", "policies").([]any)[0].(map[string]any)
	if up["type"] != "Pods" || up["value"] != int64(40) || up["periodSeconds"] != int64(2) {
		t.Errorf("scaleUp policy = %v, want 40 Pods per 2 s", up)
	}
}

// TestKEDAManifestsRefuse checks the refusals: control characters in any
// text (not echoed raw), credentials in --mgmt-url, a window the HPA
// cannot hold and an invalid setting.
func TestKEDAManifestsRefuse(t *testing.T) {
	long := engine.DefaultConfig()
	long.ScaleDownWindow = 2 * time.Hour
	bad := engine.DefaultConfig()
	bad.MaxReplicas = 0
	for _, tt := range []struct {
		name string
		o    kube.ManifestOptions
		c    engine.Config
		want string
	}{
		{"newline in queue", kube.ManifestOptions{Queue: "q\n---\nkind: ClusterRoleBinding"}, engine.DefaultConfig(), "--queue holds a control character"},
		{"escape in vhost", kube.ManifestOptions{VHost: "v\x1b[2J"}, engine.DefaultConfig(), "--vhost holds a control character"},
		{"credentials in URL", kube.ManifestOptions{RabbitURL: "http://u:s3cr3t@rabbit:15672"}, engine.DefaultConfig(), "holds credentials"},
		{"window over 1h", kube.ManifestOptions{}, long, "longer than the HPA's limit"},
		{"invalid max", kube.ManifestOptions{}, bad, "max-replicas"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			y, err := kube.KEDAManifests(tt.o, tt.c)
			if err == nil || !strings.Contains(err.Error(), tt.want) || y != nil {
				t.Fatalf("err = %v, want %q and no YAML", err, tt.want)
			}
			if msg := err.Error(); strings.Contains(msg, "s3cr3t") || strings.ContainsAny(msg, "\n\x1b") {
				t.Errorf("the error repeats a secret or a control character: %q", msg)
			}
		})
	}
}
