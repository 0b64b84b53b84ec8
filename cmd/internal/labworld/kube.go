package labworld

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// DeploymentReady returns a target that is the ready replicas of Deployment
// ns/name (readyReplicas, capped at spec.replicas so that pods on their way
// out stop consuming at once).
func DeploymentReady(client kubernetes.Interface, ns, name string) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		d, err := client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return 0, err
		}
		n := d.Status.ReadyReplicas
		if d.Spec.Replicas != nil && *d.Spec.Replicas < n {
			n = *d.Spec.Replicas
		}
		return int(n), nil
	}
}
