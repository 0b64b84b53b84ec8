package cli

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/yeeter/yeetscale/kube"
)

// fleetTidyWorkers bounds the targets whose costs a fleet --once tidies at
// once (each reads its Deployment and lists its pods).
const fleetTidyWorkers = 16

// tidyPods removes the pod costs that an earlier --once left on the
// fleet's targets once their Deployments have settled (see live.tidyPods).
// Only the targets of namespaces where some pod carries yeetscale's mark
// are looked at (one paged list of the pods' metadata finds them), a few
// at once, within onceSettleWait in all. Failures are left to the poll.
func (fl *fleetLive) tidyPods(ctx context.Context) {
	if fl.pods == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, onceSettleWait)
	defer cancel()
	cs := fl.pods.current()
	if marked, err := markedNamespaces(ctx, fl.kube.RESTConfig, fl.namespace); err == nil {
		n := 0
		for _, c := range cs {
			if marked[c.namespace] {
				cs[n] = c
				n++
			}
		}
		cs = cs[:n]
	}
	sem := make(chan struct{}, fleetTidyWorkers)
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_ = c.Tidy(ctx)
		}()
	}
	wg.Wait()
}

// markedNamespaces returns the namespaces (of ns, "" for all) where some
// pod carries yeetscale's cost mark, from the pods' metadata, 500 a page.
func markedNamespaces(ctx context.Context, rc *rest.Config, ns string) (map[string]bool, error) {
	mc, err := metadata.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	pods := mc.Resource(corev1.SchemeGroupVersion.WithResource("pods")).Namespace(ns)
	out := map[string]bool{}
	opts := metav1.ListOptions{Limit: 500}
	for {
		list, err := pods.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for _, p := range list.Items {
			if _, ok := p.Annotations[kube.AnnotationCostSet]; ok {
				out[p.Namespace] = true
			}
		}
		if opts.Continue = list.Continue; opts.Continue == "" {
			return out, nil
		}
	}
}

// settlePods waits, at most onceSettleWait for all the targets together,
// for this run's scale-downs to settle and their pod costs to go.
func (fl *fleetLive) settlePods() {
	if fl.pods == nil {
		return
	}
	cs := fl.pods.current()
	ws := make([]settler, len(cs))
	for i, c := range cs {
		ws[i] = c
	}
	settleAll(ws, onceSettleWait)
}

// settler is what settleAll waits on: a kube.PodChooser.
type settler interface {
	WaitFor(timeout time.Duration) bool
}

// settleAll waits for every one of ws in parallel, at most d in all; it
// reports whether all of them finished.
func settleAll(ws []settler, d time.Duration) bool {
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	var mu sync.Mutex
	all := true
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !w.WaitFor(time.Until(deadline)) {
				mu.Lock()
				all = false
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return all
}
