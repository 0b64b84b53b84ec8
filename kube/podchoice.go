package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/yeeter/yeetscale/engine"
)

// Pod deletion costs (controller.kubernetes.io/pod-deletion-cost): the
// ReplicaSet controller removes the pods of lowest cost first. yeetscale
// marks each cost it sets with AnnotationCostSet holding the same value, so
// that a cost someone else set (no mark, or a mark that no longer equals
// the cost) is never changed or removed.
const (
	AnnotationDeletionCost = "controller.kubernetes.io/pod-deletion-cost"
	AnnotationCostSet      = "yeetscale.yeeter.io/deletion-cost-set"
	// CostIdle is an idle worker's cost: it goes first.
	CostIdle = -1000
	// CostBusy is a busy worker's cost, plus its unacknowledged messages
	// (up to MaxBusyExtra): the busiest goes last. Pods whose consumers
	// could not be mapped keep the default, 0.
	CostBusy     = 1000
	MaxBusyExtra = engine.MaxRankedUnacked
	// SettleTimeout bounds how long the marks stay after a scale-down
	// while the Deployment settles.
	SettleTimeout = 2 * time.Minute
)

// PodChooser marks the pods of a Deployment with deletion costs from the
// queue's consumers before a scale-down; it implements engine.PodChooser.
type PodChooser struct {
	client     kubernetes.Interface
	ns, deploy string
	consumers  engine.ConsumerLister
	// Poll is how often After checks whether the Deployment settled.
	Poll time.Duration
	wg   sync.WaitGroup
}

var (
	_ engine.PodChooser  = (*PodChooser)(nil)
	_ engine.PodObserver = (*PodChooser)(nil)
)

// NewPodChooser returns a chooser for Deployment ns/deploy whose workers
// consume what consumers lists.
func NewPodChooser(client kubernetes.Interface, ns, deploy string, consumers engine.ConsumerLister) *PodChooser {
	return &PodChooser{client: client, ns: ns, deploy: deploy, consumers: consumers, Poll: time.Second}
}

// Wait waits for the clean-ups that After started.
func (p *PodChooser) Wait() { p.wg.Wait() }

// PrepareScaleDown maps the queue's consumers to the Deployment's pods (by
// client-provided connection name = pod name, failing that by peer address
// = pod IP) and sets the deletion costs: idle pods CostIdle, busy ones
// CostBusy plus their unacknowledged messages. It returns an error wrapping
// engine.ErrNotMapped when no consumer maps to a pod, and one wrapping
// engine.ErrPodChoiceOff when pods may not be listed or patched.
func (p *PodChooser) PrepareScaleDown(ctx context.Context, from, to int32) (engine.PodChoice, error) {
	pods, states, err := p.observe(ctx)
	if err != nil {
		return engine.PodChoice{}, err
	}
	choice := engine.ChoosePods(states, int(from-to))
	for _, st := range states {
		if err := p.mark(ctx, pods[st.Name], podCost(st), st.Mapped); err != nil {
			return engine.PodChoice{}, err
		}
	}
	choice.After = p.after(to)
	return choice, nil
}

// ObservePods returns the Deployment's pods in the order a scale-down
// would remove them (idle first, then those not mapped, then the busy ones,
// least busy first), changing nothing; it implements engine.PodObserver.
func (p *PodChooser) ObservePods(ctx context.Context) ([]engine.PodState, error) {
	_, states, err := p.observe(ctx)
	return states, err
}

// observe lists the pods and the consumers and maps one to the other: the
// pods by name, and their states in the order a scale-down removes them.
func (p *PodChooser) observe(ctx context.Context) (map[string]*corev1.Pod, []engine.PodState, error) {
	pods, err := p.pods(ctx)
	if err != nil {
		return nil, nil, err
	}
	cs, err := p.consumers.Consumers(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("consumers: %w", err)
	}
	unacked, mapped := mapConsumers(pods, cs)
	if mapped == 0 {
		return nil, nil, fmt.Errorf("%w: none of %d consumers has a connection named after one of the %d pods of deployment %s/%s or comes from a pod's IP (set connection_name to the pod's name)",
			engine.ErrNotMapped, len(cs), len(pods), p.ns, p.deploy)
	}
	byName := make(map[string]*corev1.Pod, len(pods))
	states := make([]engine.PodState, 0, len(pods))
	for i := range pods {
		n, ok := unacked[pods[i].Name]
		byName[pods[i].Name] = &pods[i]
		states = append(states, engine.PodState{Name: pods[i].Name, Mapped: ok, Unacked: n})
	}
	engine.SortForRemoval(states, func(st engine.PodState) engine.PodState { return st })
	return byName, states, nil
}

// podCost is the deletion cost of a pod in state st: CostIdle when idle,
// CostBusy plus its unacknowledged messages when busy, 0 when not mapped.
func podCost(st engine.PodState) int {
	switch {
	case !st.Mapped:
		return 0
	case st.Unacked == 0:
		return CostIdle
	}
	return CostBusy + min(st.Unacked, MaxBusyExtra)
}

// pods lists the Deployment's pods that are not on their way out.
func (p *PodChooser) pods(ctx context.Context) ([]corev1.Pod, error) {
	d, err := p.client.AppsV1().Deployments(p.ns).Get(ctx, p.deploy, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("deployment %s/%s: %w", p.ns, p.deploy, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("deployment %s/%s selector: %w", p.ns, p.deploy, err)
	}
	list, err := p.client.CoreV1().Pods(p.ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, p.podError("list", err)
	}
	var out []corev1.Pod
	for _, pod := range list.Items {
		if pod.DeletionTimestamp == nil && pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
			out = append(out, pod)
		}
	}
	return out, nil
}

// mapConsumers sums the unacknowledged messages of the consumers of each
// pod and counts the consumers mapped. A consumer whose connection name is
// a pod's name is that pod's; otherwise one whose peer host is the IP of
// exactly one pod is that pod's. A consumer's count is its channel's, of
// every consumer on it (a worker may consume several queues, or one queue
// several times, on one channel), so each named channel counts once.
func mapConsumers(pods []corev1.Pod, cs []engine.Consumer) (map[string]int, int) {
	names := map[string]bool{}
	byIP := map[string]string{}
	for _, pod := range pods {
		names[pod.Name] = true
		if ip := pod.Status.PodIP; ip != "" {
			if _, dup := byIP[ip]; dup {
				byIP[ip] = "" // shared (hostNetwork): tells nothing
			} else {
				byIP[ip] = pod.Name
			}
		}
	}
	unacked := map[string]int{}
	counted := map[string]bool{} // channels whose count is in
	mapped := 0
	for _, c := range cs {
		pod := ""
		switch {
		case names[c.ConnectionName]:
			pod = c.ConnectionName
		case byIP[c.PeerHost] != "":
			pod = byIP[c.PeerHost]
		default:
			continue
		}
		n := c.Unacked
		if c.Channel != "" {
			if counted[c.Channel] {
				n = 0
			}
			counted[c.Channel] = true
		}
		unacked[pod] += n
		mapped++
	}
	return unacked, mapped
}

// mark sets pod's cost when known (removes yeetscale's when not). A cost
// someone else set is left alone; a pod gone meanwhile is skipped.
func (p *PodChooser) mark(ctx context.Context, pod *corev1.Pod, cost int, known bool) error {
	cur, has := pod.Annotations[AnnotationDeletionCost]
	set, ours := pod.Annotations[AnnotationCostSet]
	if has && (!ours || set != cur) {
		return nil // someone else's
	}
	value := strconv.Itoa(cost)
	switch {
	case !known && !has:
		return nil
	case !known:
		return p.unmark(ctx, pod.Name, cur)
	case has && cur == value:
		return nil
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"resourceVersion": pod.ResourceVersion, // changed meanwhile: skip it this time
		"annotations":     map[string]string{AnnotationDeletionCost: value, AnnotationCostSet: value},
	}})
	_, err := p.client.CoreV1().Pods(p.ns).Patch(ctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: Component})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return p.podError("patch", err)
}

// unmark removes yeetscale's cost from pod if it still is value.
func (p *PodChooser) unmark(ctx context.Context, pod, value string) error {
	path := func(k string) string { return "/metadata/annotations/" + jsonPointerEscape(k) }
	patch, _ := json.Marshal([]map[string]string{
		{"op": "test", "path": path(AnnotationDeletionCost), "value": value},
		{"op": "test", "path": path(AnnotationCostSet), "value": value},
		{"op": "remove", "path": path(AnnotationDeletionCost)},
		{"op": "remove", "path": path(AnnotationCostSet)},
	})
	_, err := p.client.CoreV1().Pods(p.ns).Patch(ctx, pod, types.JSONPatchType, patch, metav1.PatchOptions{FieldManager: Component})
	if err == nil || apierrors.IsNotFound(err) || apierrors.IsInvalid(err) || apierrors.IsConflict(err) {
		return nil // gone, or the cost is no longer ours
	}
	return p.podError("patch", err)
}

// Unmark removes the costs yeetscale set from the Deployment's pods.
func (p *PodChooser) Unmark(ctx context.Context) error {
	pods, err := p.pods(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, pod := range pods {
		cur, has := pod.Annotations[AnnotationDeletionCost]
		if set, ours := pod.Annotations[AnnotationCostSet]; has && ours && set == cur {
			errs = append(errs, p.unmark(ctx, pod.Name, cur))
		}
	}
	return errors.Join(errs...)
}

// after returns the clean-up of a scale-down to `to` replicas: once the
// Deployment has settled (or SettleTimeout passed, or the scale was not
// applied) the marks go.
func (p *PodChooser) after(to int32) func(applied bool) {
	return func(applied bool) {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), SettleTimeout+10*time.Second)
			defer cancel()
			for deadline := time.Now().Add(SettleTimeout); applied && time.Now().Before(deadline); time.Sleep(p.Poll) {
				d, err := p.client.AppsV1().Deployments(p.ns).Get(ctx, p.deploy, metav1.GetOptions{})
				if err != nil || d.Spec.Replicas == nil || *d.Spec.Replicas != to || settled(d) {
					break // settled, or changed again (the next scale-down marks afresh)
				}
			}
			_ = p.Unmark(ctx)
		}()
	}
}

// settled reports whether the Deployment's controllers have caught up with
// its spec: no pod is left to remove, so no cost matters any more.
func settled(d *appsv1.Deployment) bool {
	return d.Spec.Replicas != nil && d.Status.ObservedGeneration >= d.Generation && d.Status.Replicas == *d.Spec.Replicas
}

// WaitFor waits, at most timeout, for the clean-ups that After started, and
// reports whether they finished (a --once run waits a little before it
// exits; what it leaves, the next run's Tidy removes).
func (p *PodChooser) WaitFor(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Tidy removes the costs that an earlier process left on the Deployment's
// pods (a --once run that exited before its scale-down settled), once the
// Deployment has settled; while it has not, they still matter and stay.
func (p *PodChooser) Tidy(ctx context.Context) error {
	d, err := p.client.AppsV1().Deployments(p.ns).Get(ctx, p.deploy, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("deployment %s/%s: %w", p.ns, p.deploy, err)
	}
	if !settled(d) {
		return nil
	}
	return p.Unmark(ctx)
}

// podError wraps a pods list or patch failure; Forbidden turns pod choice
// off (engine.ErrPodChoiceOff).
func (p *PodChooser) podError(verb string, err error) error {
	if err == nil {
		return nil
	}
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("%w: may not %s pods in namespace %s (%s; %s)", engine.ErrPodChoiceOff, verb, p.ns, engine.Printable(reason(err)), ManifestsHint)
	}
	return fmt.Errorf("%s pods in namespace %s: %w", verb, p.ns, err)
}

// jsonPointerEscape escapes a key for a JSON pointer (RFC 6901).
func jsonPointerEscape(k string) string {
	out := make([]byte, 0, len(k)+4)
	for i := 0; i < len(k); i++ {
		switch k[i] {
		case '~':
			out = append(out, "~0"...)
		case '/':
			out = append(out, "~1"...)
		default:
			out = append(out, k[i])
		}
	}
	return string(out)
}
