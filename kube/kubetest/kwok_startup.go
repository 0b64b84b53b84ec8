package kubetest

import (
	"bytes"
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PodStartupAnnotation on a pod delays kwok's pod-ready stage by its value
// (a Go duration, "5s"): the pod stays Pending and not Ready that long after
// it is bound, as a real worker's container start and readiness probe would.
// Pods without it are Ready at once, as before.
const PodStartupAnnotation = "pod-ready.stage.kwok.x-k8s.io/delay"

// kwokReadyDelay is the delay block added to the fast pod-ready stage: no
// delay unless the pod carries PodStartupAnnotation.
const kwokReadyDelay = `  delay:
    durationMilliseconds: 0
    durationFrom:
      expressionFrom: '.metadata.annotations["` + PodStartupAnnotation + `"]'
`

// withReadyDelay returns a kwok stage document with kwokReadyDelay added
// when it is the pod-ready stage (and has no delay yet); other documents
// come back unchanged.
func withReadyDelay(doc []byte) []byte {
	if !bytes.Contains(doc, []byte("\n  name: pod-ready\n")) || bytes.Contains(doc, []byte("\n  delay:")) {
		return doc
	}
	i := bytes.Index(doc, []byte("\n  next:\n"))
	if i < 0 {
		return doc
	}
	out := append([]byte{}, doc[:i+1]...)
	out = append(out, kwokReadyDelay...)
	return append(out, doc[i+1:]...)
}

// CreateWorkloadWithStartup is CreateWorkload whose pods become Ready
// startup after they are bound (PodStartupAnnotation), not at once.
func (cp *ControlPlane) CreateWorkloadWithStartup(ctx context.Context, ns, name string, replicas int32, startup time.Duration) (*appsv1.Deployment, error) {
	if err := cp.EnsureNamespace(ctx, ns); err != nil {
		return nil, err
	}
	d := WorkloadDeployment(ns, name, replicas)
	SetPodStartup(d, startup)
	created, err := cp.Client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("kubetest: creating deployment %s/%s: %w", ns, name, err)
	}
	return created, nil
}

// SetPodStartup sets d's pod template to become Ready startup after
// binding (no annotation when startup is 0 or less).
func SetPodStartup(d *appsv1.Deployment, startup time.Duration) {
	if startup <= 0 {
		return
	}
	if d.Spec.Template.Annotations == nil {
		d.Spec.Template.Annotations = map[string]string{}
	}
	d.Spec.Template.Annotations[PodStartupAnnotation] = startup.String()
}
