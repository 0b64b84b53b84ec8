package kube

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"github.com/yeeter/yeetscale/engine"
)

// ScaledObjectResource is KEDA's ScaledObject resource.
var ScaledObjectResource = schema.GroupVersionResource{Group: "keda.sh", Version: "v1alpha1", Resource: "scaledobjects"}

// Autoscaler is another autoscaler that targets the worker Deployment.
type Autoscaler struct {
	// Kind is "HorizontalPodAutoscaler" or "ScaledObject".
	Kind string
	// Name is the object's name (in the Deployment's namespace).
	Name string
}

// String returns e.g. `HorizontalPodAutoscaler "yeeter-worker"`.
func (a Autoscaler) String() string { return fmt.Sprintf("%s %q", a.Kind, a.Name) }

// Autoscalers returns the HPAs (autoscaling/v2) and, when the KEDA CRD is
// installed, the KEDA ScaledObjects that target the worker Deployment.
func (s *Scaler) Autoscalers(ctx context.Context) ([]Autoscaler, error) {
	var out []Autoscaler
	hpas, err := s.client.AutoscalingV2().HorizontalPodAutoscalers(s.cfg.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, s.listFailed("horizontalpodautoscalers", "an HPA", err)
	}
	for _, h := range hpas.Items {
		ref := h.Spec.ScaleTargetRef
		if targetsDeployment(ref.APIVersion, ref.Kind, ref.Name, s.cfg.Deployment) {
			out = append(out, Autoscaler{Kind: "HorizontalPodAutoscaler", Name: h.Name})
		}
	}
	keda, err := HasKEDA(ctx, s.discovery)
	if err != nil {
		return nil, fmt.Errorf("checking for KEDA (--force skips the check): %w", classify(err, op{Verb: "discover",
			Resource: ScaledObjectResource.GroupVersion().String(), Namespace: s.cfg.Namespace, Server: s.server, User: s.user}))
	}
	if !keda {
		return out, nil
	}
	sos, err := s.dynamic.Resource(ScaledObjectResource).Namespace(s.cfg.Namespace).List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return out, nil // the CRD went away between discovery and list
	}
	if err != nil {
		return nil, s.listFailed("scaledobjects.keda.sh", "a KEDA ScaledObject", err)
	}
	for _, so := range sos.Items {
		spec, _ := so.Object["spec"].(map[string]any) // missing on a half-written object
		ref, _ := spec["scaleTargetRef"].(map[string]any)
		name, _ := ref["name"].(string)
		kind, _ := ref["kind"].(string)
		apiVersion, _ := ref["apiVersion"].(string)
		if kind == "" {
			kind = "Deployment" // KEDA's default
		}
		if targetsDeployment(apiVersion, kind, name, s.cfg.Deployment) {
			out = append(out, Autoscaler{Kind: "ScaledObject", Name: so.GetName()})
		}
	}
	return out, nil
}

// listFailed words a failed list of resource while checking for what
// targets the Deployment.
func (s *Scaler) listFailed(resource, what string, err error) error {
	o := s.op("list", resource)
	o.Name = ""
	return fmt.Errorf("checking for %s on %s/%s (--force skips the check): %w",
		what, s.cfg.Namespace, s.cfg.Deployment, classify(err, o))
}

// targetsDeployment reports whether a scaleTargetRef names the Deployment.
func targetsDeployment(apiVersion, kind, name, deployment string) bool {
	if kind != "Deployment" || name != deployment {
		return false
	}
	group := ""
	if i := strings.Index(apiVersion, "/"); i >= 0 {
		group = apiVersion[:i]
	}
	return apiVersion == "" || group == "apps" || group == "extensions"
}

// HasKEDA reports whether the API server serves KEDA's ScaledObjects
// (keda.sh/v1alpha1). A missing group version is "no KEDA", not an error.
// Use it to decide ManifestOptions.KEDA.
func HasKEDA(ctx context.Context, d discovery.ServerResourcesInterface) (bool, error) {
	list, err := discovery.ToServerResourcesInterfaceWithContext(d).
		ServerResourcesForGroupVersionWithContext(ctx, ScaledObjectResource.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, r := range list.APIResources {
		if r.Name == ScaledObjectResource.Resource {
			return true, nil
		}
	}
	return false, nil
}

// refuseIfManaged returns an error wrapping engine.ErrRefused while another
// autoscaler targets the Deployment, and records a FailedRescale Event.
func (s *Scaler) refuseIfManaged(ctx context.Context, req engine.ScaleRequest) error {
	as, err := s.Autoscalers(ctx)
	if err != nil {
		return err
	}
	if len(as) == 0 {
		return nil
	}
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = a.String()
	}
	msg := fmt.Sprintf("refused: %s manages deployment %s/%s; yeetscale does not fight another autoscaler "+
		"(delete it, or pass --force to apply anyway)", strings.Join(names, " and "), s.cfg.Namespace, s.cfg.Deployment)
	s.warnEvent(ctx, "refused by "+strings.Join(names, ","), fmt.Sprintf("New size: %d not applied (by %s); %s", req.Replicas, req.By, msg))
	return &Error{Kind: engine.ErrRefused, Msg: msg}
}
