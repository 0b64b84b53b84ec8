package kube_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
)

// TestConfigFromScaledObjectRefuses feeds hostile and unsupported
// ScaledObjects (as a cluster without KEDA's schema could hold them) and
// expects a one-line error naming the field, with control characters
// escaped.
func TestConfigFromScaledObjectRefuses(t *testing.T) {
	obj := func(spec map[string]any, md map[string]any) *unstructured.Unstructured {
		s := map[string]any{"scaleTargetRef": map[string]any{"name": "w"},
			"triggers": []any{map[string]any{"type": "rabbitmq", "metadata": md}}}
		for k, v := range spec {
			s[k] = v
		}
		return &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "so\x1b[2J", "namespace": "ns"}, "spec": s}}
	}
	ok := map[string]any{"queueName": "q", "mode": "QueueLength", "value": "10"}
	with := func(k, v string) map[string]any {
		m := map[string]any{}
		for a, b := range ok {
			m[a] = b
		}
		m[k] = v
		return m
	}
	for _, tt := range []struct {
		name string
		o    *unstructured.Unstructured
		want string
	}{
		{"NaN value", obj(nil, with("value", "NaN")), "not a positive number"},
		{"huge value", obj(nil, with("value", "1e400")), "not a positive number"},
		{"negative value", obj(nil, with("value", "-5")), "not a positive number"},
		{"bad activation", obj(nil, with("activationValue", "x\n")), `"x\n"`},
		{"NaN activation", obj(nil, with("activationValue", "NaN")), "activationValue \"NaN\""},
		{"infinite activation", obj(nil, with("activationValue", "+Inf")), "activationValue \"+Inf\""},
		{"negative activation", obj(nil, with("activationValue", "-1")), "activationValue \"-1\""},
		{"fractional cooldown", obj(map[string]any{"minReplicaCount": int64(0), "cooldownPeriod": 2.5}, ok), "spec.cooldownPeriod is not a whole number"},
		{"cooldown over a day", obj(map[string]any{"minReplicaCount": int64(0), "cooldownPeriod": int64(90000)}, ok), "idle-before-zero"},
		{"regex", obj(nil, with("useRegex", "true")), "useRegex"},
		{"no queue", obj(nil, with("queueName", "")), "pass --queue"},
		{"fractional max", obj(map[string]any{"maxReplicaCount": 2.5}, ok), "spec.maxReplicaCount is not a whole number"},
		{"negative min", obj(map[string]any{"minReplicaCount": int64(-1)}, ok), "spec.minReplicaCount"},
		{"min above max", obj(map[string]any{"minReplicaCount": int64(9), "maxReplicaCount": int64(3)}, ok), "max-replicas"},
		{"statefulset", obj(map[string]any{"scaleTargetRef": map[string]any{"name": "w", "kind": "StatefulSet"}}, ok), "Deployments only"},
		{"bad tolerance", obj(map[string]any{"advanced": map[string]any{"horizontalPodAutoscalerConfig": map[string]any{"behavior": map[string]any{"scaleDown": map[string]any{"tolerance": "lots"}}}}}, ok), "not a quantity"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kube.ConfigFromScaledObject(tt.o, engine.DefaultConfig())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.ContainsAny(err.Error(), "\n\x1b") {
				t.Errorf("control character in %q", err.Error())
			}
		})
	}
	imp, err := kube.ConfigFromScaledObject(obj(map[string]any{"advanced": map[string]any{"horizontalPodAutoscalerConfig": map[string]any{"behavior": map[string]any{"scaleDown": map[string]any{"tolerance": "50m"}}}}}, with("value", "7.5")), engine.DefaultConfig())
	if err != nil || imp.Config.TargetMessages != 8 || imp.Config.Tolerance != 0.05 || len(imp.Notes) != 1 {
		t.Errorf("7.5 and 50m: %+v, %v; want target 8 (noted) and tolerance 0.05", imp, err)
	}
}
