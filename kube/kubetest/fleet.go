package kubetest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// CreateConcurrency is how many creates CreateAnnotatedDeployments keeps
// in flight.
const CreateConcurrency = 16

// FleetDeploymentName is the name of the i-th Deployment of
// CreateAnnotatedDeployments: worker-0000, worker-0001, ...
func FleetDeploymentName(i int) string { return fmt.Sprintf("worker-%04d", i) }

// CreateAnnotatedDeployments creates namespace ns (if missing) and n
// Deployments FleetDeploymentName(0..n-1) of one replica each (see
// WorkloadDeployment), the i-th with annotations(i) (nil: none), with at
// most CreateConcurrency creates in flight. They need no pods: without
// StartWorkloads nothing schedules them, and their scale subresource
// works all the same. It returns the names, or the first error (after
// the creates in flight end).
func CreateAnnotatedDeployments(ctx context.Context, client kubernetes.Interface, ns string, n int,
	annotations func(i int) map[string]string) ([]string, error) {
	if n < 0 {
		return nil, errNoDeployments
	}
	_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("kubetest: creating namespace %s: %w", ns, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	names := make([]string, n)
	jobs := make(chan int)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for w := 0; w < min(CreateConcurrency, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				d := WorkloadDeployment(ns, FleetDeploymentName(i), 1)
				if annotations != nil {
					d.Annotations = annotations(i)
				}
				if _, err := client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("kubetest: creating deployment %s/%s: %w", ns, d.Name, err)
						cancel()
					}
					mu.Unlock()
					continue
				}
				names[i] = d.Name
			}
		}()
	}
	for i := 0; i < n; i++ {
		select {
		case jobs <- i:
		case <-ctx.Done():
			i = n
		}
	}
	close(jobs)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = fmt.Errorf("kubetest: creating %d deployments in %s: %w", n, ns, ctx.Err())
	}
	if first != nil {
		return nil, first
	}
	return names, nil
}

// errNoDeployments is returned for a negative n.
var errNoDeployments = errors.New("kubetest: n must be 0 or more")
