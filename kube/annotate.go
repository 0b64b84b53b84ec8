package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/yeeter/yeetscale/engine"
)

// AnnotationLastScale is the Deployment annotation that holds the last
// change yeetscale applied, as JSON (see LastScale).
const AnnotationLastScale = "yeetscale.yeeter.io/last-scale"

// LastScale is the JSON value of the AnnotationLastScale annotation.
type LastScale struct {
	// Replicas is the size applied; From the size it was based on.
	Replicas int32 `json:"replicas"`
	From     int32 `json:"from"`
	// By is the engine's ScaleRequest.By ("auto", "operator", "once", ...).
	By string `json:"by"`
	// Identity is the process that applied it (hostname-pid by default).
	Identity string `json:"identity"`
	// Time is when it was applied (RFC 3339, UTC).
	Time time.Time `json:"time"`
	// Reason is the decision's reason.
	Reason string `json:"reason"`
}

// annotate merge-patches the last-scale annotation onto the Deployment.
// The patch carries no resourceVersion: it only touches our own annotation.
func (s *Scaler) annotate(ctx context.Context, req engine.ScaleRequest, now time.Time) error {
	val, err := json.Marshal(LastScale{
		Replicas: req.Replicas, From: req.From.Desired, By: req.By,
		Identity: s.cfg.Identity, Time: now.UTC().Truncate(time.Second), Reason: req.Reason,
	})
	if err != nil {
		return fmt.Errorf("encoding %s: %w", AnnotationLastScale, err)
	}
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]string{AnnotationLastScale: string(val)}},
	})
	if err != nil {
		return fmt.Errorf("encoding %s patch: %w", AnnotationLastScale, err)
	}
	_, err = s.client.AppsV1().Deployments(s.cfg.Namespace).Patch(ctx, s.cfg.Deployment, types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: Component})
	if err != nil {
		return fmt.Errorf("annotating the deployment: %w", classify(err, s.op("patch", "deployments")))
	}
	return nil
}

// ParseLastScale decodes the AnnotationLastScale annotation from a
// Deployment's annotations; ok is false when it is absent.
func ParseLastScale(annotations map[string]string) (ls LastScale, ok bool, err error) {
	v, ok := annotations[AnnotationLastScale]
	if !ok {
		return LastScale{}, false, nil
	}
	if err := json.Unmarshal([]byte(v), &ls); err != nil {
		return LastScale{}, true, fmt.Errorf("decoding %s: %w", AnnotationLastScale, err)
	}
	return ls, true, nil
}
