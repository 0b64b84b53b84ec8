package kube

import (
	"context"
	"unicode/utf8"

	"github.com/yeeter/yeetscale/engine"
)

// cachedMemory is a fleet target's memory store: it loads the memory from
// the informer's cache (no GET per target when a fleet of a thousand
// starts), and from the API server when the cache may be stale or holds
// none that is valid (the Scaler then says what is wrong with it). Saving
// goes to the API server.
type cachedMemory struct {
	*Scaler
	t        *TargetInformer
	ns, name string
}

// LoadMemory returns the Deployment's AnnotationMemory.
func (m *cachedMemory) LoadMemory(ctx context.Context) (string, error) {
	if v, ok := m.t.cachedMemory(m.ns, m.name); ok {
		return v, nil
	}
	return m.Scaler.LoadMemory(ctx)
}

// cachedMemory is the memory of ns/name from the cache, unless the cache
// may be stale (see cachedScale) or the Deployment has an invalid memory
// annotation (slim drops it).
func (t *TargetInformer) cachedMemory(ns, name string) (string, bool) {
	if !t.fresh() {
		return "", false
	}
	d, err := t.lister.Deployments(ns).Get(name)
	if err != nil {
		return "", false
	}
	v := d.Annotations[AnnotationMemory]
	if !validMemory(v) { // slim's stand-in for an invalid one: the Scaler says why
		return "", false
	}
	return v, true
}

// invalidMemory stands in the cache for a memory annotation too large or
// not UTF-8 (see slim): itself invalid, and small.
const invalidMemory = "\xff"

// validMemory reports whether v can be yeetscale's memory: at most
// MaxMemory bytes of UTF-8.
func validMemory(v string) bool { return len(v) <= MaxMemory && utf8.ValidString(v) }

// cachedScale is the scale of ns/name from the cache, unless the cache
// may be stale: not synced yet, or its list/watch failed since it last
// delivered anything (the Scaler then asks the API server).
func (t *TargetInformer) cachedScale(ns, name string) (engine.Scale, bool) {
	if !t.fresh() {
		return engine.Scale{}, false
	}
	d, err := t.lister.Deployments(ns).Get(name)
	if err != nil || d.Spec.Replicas == nil {
		return engine.Scale{}, false
	}
	return engine.Scale{Desired: *d.Spec.Replicas, Current: d.Status.Replicas, Ready: d.Status.ReadyReplicas,
		Version: d.ResourceVersion}, true
}

// fresh reports whether the cache can be read as current: synced, and
// nothing failed since it last delivered.
func (t *TargetInformer) fresh() bool {
	t.mu.Lock()
	stale := !t.errAt.IsZero() && !t.eventAt.After(t.errAt)
	t.mu.Unlock()
	return !stale && t.informer.HasSynced()
}
