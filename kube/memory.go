package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/yeeter/yeetscale/engine"
)

// AnnotationMemory is the Deployment annotation that keeps what the
// controller must remember between processes (engine.MemoryStore): an
// opaque text that the engine encodes and validates.
const AnnotationMemory = "yeetscale.yeeter.io/memory"

// MaxMemory is the largest memory SaveMemory stores and LoadMemory
// accepts (16 KiB; an annotation may hold 256 KiB in all, for every
// annotation of the object together).
const MaxMemory = 16 << 10

var _ engine.MemoryStore = (*Scaler)(nil)

// LoadMemory returns the AnnotationMemory annotation of the Deployment,
// "" when it has none. An annotation larger than MaxMemory or not valid
// UTF-8 is refused with an error wrapping engine.ErrBadResponse: somebody
// other than yeetscale wrote it, and it is not decided on.
func (s *Scaler) LoadMemory(ctx context.Context) (string, error) {
	d, err := s.client.AppsV1().Deployments(s.cfg.Namespace).Get(ctx, s.cfg.Deployment, metav1.GetOptions{})
	if err != nil {
		return "", classify(err, s.op("get", "deployments"))
	}
	v := d.Annotations[AnnotationMemory]
	switch {
	case len(v) > MaxMemory:
		return "", &Error{Kind: engine.ErrBadResponse, Msg: fmt.Sprintf(
			"bad annotation: %s on deployment %s/%s holds %d bytes, more than yeetscale writes (%d): remove it with `kubectl -n %s annotate deployment %s %s-`",
			AnnotationMemory, s.cfg.Namespace, s.cfg.Deployment, len(v), MaxMemory, s.cfg.Namespace, s.cfg.Deployment, AnnotationMemory)}
	case !utf8.ValidString(v):
		return "", &Error{Kind: engine.ErrBadResponse, Msg: fmt.Sprintf(
			"bad annotation: %s on deployment %s/%s is not valid UTF-8: remove it with `kubectl -n %s annotate deployment %s %s-`",
			AnnotationMemory, s.cfg.Namespace, s.cfg.Deployment, s.cfg.Namespace, s.cfg.Deployment, AnnotationMemory)}
	}
	return v, nil
}

// SaveMemory stores memory in the AnnotationMemory annotation with a merge
// patch of that one annotation (no resourceVersion: it touches nothing
// else). It refuses memory larger than MaxMemory or not valid UTF-8.
func (s *Scaler) SaveMemory(ctx context.Context, memory string) error {
	if len(memory) > MaxMemory || !utf8.ValidString(memory) {
		return fmt.Errorf("kube: memory of %d bytes not saved: at most %d bytes of UTF-8 fit in %s", len(memory), MaxMemory, AnnotationMemory)
	}
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]string{AnnotationMemory: memory}},
	})
	if err != nil {
		return fmt.Errorf("encoding %s patch: %w", AnnotationMemory, err)
	}
	_, err = s.client.AppsV1().Deployments(s.cfg.Namespace).Patch(ctx, s.cfg.Deployment, types.MergePatchType, patch,
		metav1.PatchOptions{FieldManager: Component})
	if err != nil {
		return fmt.Errorf("saving %s: %w", AnnotationMemory, classify(err, s.op("patch", "deployments")))
	}
	return nil
}
