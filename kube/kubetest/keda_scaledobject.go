package kubetest

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// ScaledObject describes a KEDA ScaledObject on a RabbitMQ queue's length
// (the rabbitmq trigger over the management API, mode QueueLength), with
// the Secret and TriggerAuthentication that carry the management URL.
type ScaledObject struct {
	Namespace, Name, Deployment string
	// Queue is the queue on vhost / whose length drives the scaling.
	Queue string
	// HostURL is the management API's URL with credentials
	// (http://user:pass@127.0.0.1:port/); it only goes into a Secret.
	HostURL string
	// Target is the trigger's value (messages per replica).
	Target int
	// Min and Max replicas.
	Min, Max int
	// Polling is KEDA's pollingInterval (default 15s).
	Polling time.Duration
	// Behavior sets advanced.horizontalPodAutoscalerConfig.behavior to the
	// HPA's documented defaults; without it KEDA creates its HPA without
	// spec.behavior and the HPA takes its legacy path.
	Behavior bool
}

// hpaDefaultBehavior is autoscaling/v2's documented default behavior.
var hpaDefaultBehavior = map[string]any{
	"scaleUp": map[string]any{
		"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
		"policies": []any{
			map[string]any{"type": "Percent", "value": 100, "periodSeconds": 15},
			map[string]any{"type": "Pods", "value": 4, "periodSeconds": 15},
		},
	},
	"scaleDown": map[string]any{
		"stabilizationWindowSeconds": 300, "selectPolicy": "Max",
		"policies": []any{map[string]any{"type": "Percent", "value": 100, "periodSeconds": 15}},
	},
}

// Manifest returns the Secret, TriggerAuthentication and ScaledObject as
// one JSON list (kubectl apply reads it).
func (s ScaledObject) Manifest() ([]byte, error) {
	polling := s.Polling
	if polling <= 0 {
		polling = 15 * time.Second
	}
	meta := func(name string) map[string]any { return map[string]any{"name": name, "namespace": s.Namespace} }
	spec := map[string]any{
		"scaleTargetRef":  map[string]any{"name": s.Deployment},
		"pollingInterval": int(polling / time.Second), "minReplicaCount": s.Min, "maxReplicaCount": s.Max,
		"triggers": []any{map[string]any{
			"type":              "rabbitmq",
			"metadata":          map[string]any{"protocol": "http", "queueName": s.Queue, "mode": "QueueLength", "value": fmt.Sprint(s.Target)},
			"authenticationRef": map[string]any{"name": s.Name},
		}},
	}
	if s.Behavior {
		spec["advanced"] = map[string]any{"horizontalPodAutoscalerConfig": map[string]any{"behavior": hpaDefaultBehavior}}
	}
	list := map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{
		map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": meta(s.Name), "stringData": map[string]any{"host": s.HostURL}},
		map[string]any{"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication", "metadata": meta(s.Name),
			"spec": map[string]any{"secretTargetRef": []any{map[string]any{"parameter": "host", "name": s.Name, "key": "host"}}}},
		map[string]any{"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": meta(s.Name), "spec": spec},
	}}
	return json.Marshal(list)
}

// ApplyScaledObject creates or updates s's objects (server-side apply).
func (cp *ControlPlane) ApplyScaledObject(ctx context.Context, s ScaledObject) error {
	b, err := s.Manifest()
	if err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	t, err := EnsureTools(ctx, Kubectl)
	if err != nil {
		return err
	}
	return cp.Kubectl(ctx, t, b, "apply", "--server-side", "-f", "-")
}

// DeleteScaledObject deletes s's ScaledObject, TriggerAuthentication and
// Secret (KEDA deletes its HPA with the ScaledObject).
func (cp *ControlPlane) DeleteScaledObject(ctx context.Context, s ScaledObject) error {
	t, err := EnsureTools(ctx, Kubectl)
	if err != nil {
		return err
	}
	return cp.Kubectl(ctx, t, nil, "delete", "-n", s.Namespace, "--wait=true", "--ignore-not-found",
		"scaledobject.keda.sh/"+s.Name, "triggerauthentication.keda.sh/"+s.Name, "secret/"+s.Name)
}
