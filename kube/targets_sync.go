package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/yeeter/yeetscale/engine"
)

// WaitForSync waits until the informer has listed the Deployments, at
// most o.SyncTimeout. It returns at once, with a one-line error, when the
// list is forbidden or the credentials are refused: waiting would not
// help. Call Start first.
func (t *TargetInformer) WaitForSync(ctx context.Context) error {
	t.mu.Lock()
	started := t.started
	t.mu.Unlock()
	if !started {
		return errors.New("kube: call Start before WaitForSync")
	}
	ctx, cancel := context.WithTimeout(ctx, t.o.SyncTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if t.informer.HasSynced() && t.handled() {
			return nil
		}
		t.mu.Lock()
		last := t.lastErr
		t.mu.Unlock()
		if errors.Is(last, engine.ErrForbidden) || errors.Is(last, engine.ErrUnauthorized) {
			return last
		}
		select {
		case <-ctx.Done():
			return t.syncTimedOut(ctx, last)
		case <-tick.C:
		}
	}
}

// syncTimedOut words WaitForSync's failure when ctx ended first. Without
// a failure seen (client-go retries a refused connection without
// reporting it), one list of a single Deployment tells why.
func (t *TargetInformer) syncTimedOut(ctx context.Context, last error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	if last == nil {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
		defer cancel()
		_, err := t.client.AppsV1().Deployments(t.o.Namespace).List(pctx, metav1.ListOptions{Limit: 1, LabelSelector: t.o.Selector})
		if err != nil {
			last = t.listError(err)
		}
	}
	why := "no answer"
	if last != nil {
		why = "last error: " + last.Error()
	}
	return &Error{Kind: engine.ErrUnavailable, Err: errors.Join(ctx.Err(), last), Msg: fmt.Sprintf(
		"unavailable: listing the deployments %s did not complete within %s (%s)", t.scope(), t.o.SyncTimeout, why)}
}

// probeTimeout bounds the list that tells why WaitForSync timed out.
const probeTimeout = 5 * time.Second

// watchFailed is the informer's list/watch error handler: it keeps the
// failure for WaitForSync and cachedScale (the cache may be stale until
// the informer delivers again), and warns once a kind every warnEvery.
func (t *TargetInformer) watchFailed(ctx context.Context, _ *cache.Reflector, err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || apierrors.IsResourceExpired(err) ||
		apierrors.IsGone(err) || ctx.Err() != nil {
		return // the watch ended normally, or was stopped: it resumes or relists
	}
	err = t.listError(err)
	t.mu.Lock()
	t.lastErr, t.errAt = err, t.now()
	t.mu.Unlock()
	if t.informer.HasSynced() {
		t.warn(err)
	}
}

// listError words a failed list or watch of the Deployments; a Forbidden
// one says which manifests grant the rights.
func (t *TargetInformer) listError(err error) error {
	if !apierrors.IsForbidden(err) {
		return classify(err, op{Verb: "list/watch", Resource: "deployments", Namespace: t.o.Namespace,
			Server: t.o.Server, User: t.o.User})
	}
	user := t.o.User
	if m := forbiddenUser.FindStringSubmatch(err.Error()); m != nil {
		user = engine.Printable(m[1])
	}
	if user == "" {
		user = "(current user)"
	}
	grant := fmt.Sprintf("grant it with the Role from `yeetscale manifests --fleet -n %s`", t.o.Namespace)
	if t.o.Namespace == "" {
		grant = "grant it with the ClusterRole from `yeetscale manifests --fleet -A`"
	}
	return &Error{Kind: engine.ErrForbidden, Err: err, Msg: fmt.Sprintf(
		"forbidden: user %s cannot list and watch deployments %s, which the fleet mode follows: %s",
		user, t.scope(), grant)}
}

// scope is "in namespace X" or "in all namespaces".
func (t *TargetInformer) scope() string {
	if t.o.Namespace == "" {
		return "in all namespaces"
	}
	return "in namespace " + t.o.Namespace
}

// warn passes err to o.Warn, at most once a kind every warnEvery.
func (t *TargetInformer) warn(err error) {
	if t.o.Warn == nil {
		return
	}
	kind := engine.ErrorKind(err)
	t.mu.Lock()
	now := t.now()
	last, ok := t.warnedAt[kind]
	if ok && now.Sub(last) < t.warnEvery {
		t.mu.Unlock()
		return
	}
	t.warnedAt[kind] = now
	t.mu.Unlock()
	t.o.Warn(err)
}
