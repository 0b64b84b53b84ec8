package kube

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/yeeter/yeetscale/engine"
)

// DefaultSyncTimeout bounds WaitForSync when TargetInformerOptions.SyncTimeout
// is zero.
const DefaultSyncTimeout = 30 * time.Second

// TargetInformerOptions configure NewTargetInformer.
type TargetInformerOptions struct {
	// Namespace is watched; "" watches all namespaces (-A).
	Namespace string
	// Selector narrows the Deployments by label (-l), kubectl's syntax.
	Selector string
	// Defaults are the settings (the flags) that annotations override.
	Defaults engine.Config
	// Force applies changes beside an HPA or ScaledObject (--force).
	Force bool
	// Dynamic lists KEDA ScaledObjects for the guard; it is required unless
	// Force is set (NewTargetInformerForConfig makes one).
	Dynamic dynamic.Interface
	// Identity says who applies changes (default DefaultIdentity()).
	Identity string
	// Warn receives the Scalers' warnings and the watch's failures after
	// the first sync (at most one a kind every warnEvery). Nil drops them.
	Warn func(error)
	// ResyncPeriod re-delivers every Deployment to the handlers (0: never);
	// a resync alone never signals Changed.
	ResyncPeriod time.Duration
	// SyncTimeout bounds WaitForSync (default DefaultSyncTimeout).
	SyncTimeout time.Duration
	// Server and User name the API server (no credentials) and the user
	// in errors; NewTargetInformerForConfig fills them in.
	Server string
	User   string
}

// TargetInformer follows the annotated Deployments of a namespace (or of
// all namespaces) with a client-go informer and implements
// engine.TargetSource: a Deployment with engine.AnnotationQueue or
// engine.AnnotationQueuePattern is a target, its other annotations override the
// defaults, and each target gets a Scaler that reads its scale from the
// informer's cache.
type TargetInformer struct {
	o        TargetInformerOptions
	client   kubernetes.Interface
	factory  informers.SharedInformerFactory
	informer cache.SharedIndexInformer
	handled  func() bool // the handler has seen the initial list
	lister   appslisters.DeploymentLister
	changed  chan struct{}

	mu        sync.Mutex
	started   bool
	entries   map[string]*targetEntry // by key, the targets of the last Targets
	lastErr   error                   // the last list/watch failure
	errAt     time.Time               // when it happened
	eventAt   time.Time               // when the informer last delivered anything
	warnedAt  map[string]time.Time    // by error kind
	now       func() time.Time
	warnEvery time.Duration
	delivered atomic.Uint64 // handler calls done, for tests
}

// targetEntry is one target and what survives its changes: its Scaler.
type targetEntry struct {
	uid      types.UID
	version  string // the resourceVersion last looked at
	built    bool   // target is built
	settings string // settingsOf the annotations it was built from
	target   engine.Target
	scaler   *Scaler
	memory   *cachedMemory
}

var _ engine.TargetSource = (*TargetInformer)(nil)

// NewTargetInformer returns an informer on the Deployments of
// o.Namespace matching o.Selector; call Start, then WaitForSync.
func NewTargetInformer(client kubernetes.Interface, o TargetInformerOptions) (*TargetInformer, error) {
	sel, err := labels.Parse(o.Selector)
	if err != nil {
		return nil, fmt.Errorf("invalid -l/--selector %s: %v (like app=worker,tier!=batch)", shorten(o.Selector), err)
	}
	if msgs := validation.IsDNS1123Label(o.Namespace); o.Namespace != "" && len(msgs) > 0 {
		return nil, fmt.Errorf("invalid --namespace %s: %s", shorten(o.Namespace), strings.Join(msgs, "; "))
	}
	if o.Dynamic == nil && !o.Force {
		return nil, errors.New("kube: a dynamic client is needed to check for KEDA ScaledObjects (or set Force)")
	}
	if o.Identity == "" {
		o.Identity = DefaultIdentity()
	}
	if o.SyncTimeout <= 0 {
		o.SyncTimeout = DefaultSyncTimeout
	}
	o.Selector = sel.String()
	factory := informers.NewSharedInformerFactoryWithOptions(client, o.ResyncPeriod,
		informers.WithNamespace(o.Namespace),
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = o.Selector }))
	deployments := factory.Apps().V1().Deployments()
	t := &TargetInformer{
		o: o, client: client, factory: factory,
		informer: deployments.Informer(), lister: deployments.Lister(),
		changed: make(chan struct{}, 1), entries: map[string]*targetEntry{}, warnedAt: map[string]time.Time{},
		now: time.Now, warnEvery: 30 * time.Second,
	}
	if err := t.informer.SetTransform(slim); err != nil {
		return nil, fmt.Errorf("kube: informer transform: %w", err)
	}
	if err := t.informer.SetWatchErrorHandlerWithContext(t.watchFailed); err != nil {
		return nil, fmt.Errorf("kube: informer error handler: %w", err)
	}
	reg, err := t.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { t.seen(isTarget(obj)) },
		UpdateFunc: func(old, cur any) { t.seen(relevantUpdate(old, cur)) },
		DeleteFunc: func(obj any) { t.seen(isTarget(obj)) },
	})
	if err != nil {
		return nil, fmt.Errorf("kube: informer handler: %w", err)
	}
	t.handled = reg.HasSynced
	return t, nil
}

// NewTargetInformerForConfig is NewTargetInformer with the clients (and
// o.Server, o.User) made from restConfig.
func NewTargetInformerForConfig(restConfig *rest.Config, o TargetInformerOptions) (*TargetInformer, error) {
	c, err := newClients(restConfig)
	if err != nil {
		return nil, err
	}
	if o.Dynamic == nil {
		o.Dynamic = c.dynamic
	}
	o.Server, o.User = c.server, c.user
	return NewTargetInformer(c.client, o)
}

// Start runs the informer until ctx ends.
func (t *TargetInformer) Start(ctx context.Context) {
	t.mu.Lock()
	t.started = true
	t.mu.Unlock()
	t.factory.Start(ctx.Done())
}

// Shutdown waits for the informer's goroutines to end (after Start's
// context ended).
func (t *TargetInformer) Shutdown() { t.factory.Shutdown() }

// Changed receives when a target appeared, disappeared, or changed its
// annotations, its spec.replicas or its status.
func (t *TargetInformer) Changed() <-chan struct{} { return t.changed }

// Targets returns the annotated Deployments in the informer's cache,
// sorted by key. An invalid annotation is that target's Err (and it has
// no Scaler); each valid target's Scaler is kept while the Deployment
// exists, so its Event series survive changes of the annotations.
func (t *TargetInformer) Targets() []engine.Target {
	list, err := t.lister.List(labels.Everything())
	if err != nil { // the cache's lister does not fail with Everything
		t.warn(fmt.Errorf("kube: listing the informer's deployments: %w", err))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]engine.Target, 0, len(list))
	seen := make(map[string]bool, len(list))
	for _, d := range list {
		if !isTarget(d) {
			continue
		}
		key := d.Namespace + "/" + d.Name
		seen[key] = true
		e := t.entries[key]
		if e == nil || e.uid != d.UID {
			sc := t.newScaler(d.Namespace, d.Name)
			e = &targetEntry{uid: d.UID, scaler: sc, memory: &cachedMemory{Scaler: sc, t: t, ns: d.Namespace, name: d.Name}}
			t.entries[key] = e
		}
		if !e.built || e.version != d.ResourceVersion {
			// A new version may change anything but the settings (the
			// status, mostly): build again only when they changed.
			if settings := settingsOf(d.Annotations); !e.built || e.settings != settings {
				e.settings, e.target, e.built = settings, t.build(d, e), true
			}
			e.version = d.ResourceVersion
		}
		out = append(out, e.target)
	}
	for key := range t.entries {
		if !seen[key] {
			delete(t.entries, key)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// build makes the target of d: the defaults under d's annotations.
func (t *TargetInformer) build(d *appsv1.Deployment, e *targetEntry) engine.Target {
	tg := annotatedTarget(d, t.o.Defaults)
	if tg.Err == nil {
		tg.Scaler, tg.Memory = e.scaler, e.memory
	}
	return tg
}

// annotatedTarget is the target of d without its Scaler: defaults under
// d's annotations, or the error of an invalid one.
func annotatedTarget(d *appsv1.Deployment, defaults engine.Config) engine.Target {
	defaults.Namespace, defaults.Deployment = d.Namespace, d.Name
	tg := engine.Target{Namespace: d.Namespace, Deployment: d.Name}
	cfg, queues, err := engine.ApplyAnnotations(defaults, d.Annotations)
	if err != nil {
		tg.Config = defaults
		tg.Config.Queue = clip(firstNonEmpty(d.Annotations[engine.AnnotationQueue], d.Annotations[engine.AnnotationQueuePattern]))
		tg.Err = fmt.Errorf("deployment %s/%s: %w", d.Namespace, d.Name, err)
		return tg
	}
	cfg.Namespace, cfg.Deployment = d.Namespace, d.Name
	tg.Config, tg.Queues = cfg, queues
	return tg
}

// newScaler returns the Scaler of one target, reading its scale from the
// informer's cache.
func (t *TargetInformer) newScaler(ns, name string) *Scaler {
	s := newScaler(ScalerConfig{Namespace: ns, Deployment: name, Force: t.o.Force, Identity: t.o.Identity,
		Warn: t.o.Warn, Now: time.Now}, t.client, t.o.Dynamic, t.o.Server, t.o.User)
	s.fromCache = func() (engine.Scale, bool) { return t.cachedScale(ns, name) }
	return s
}

// seen notes that the informer delivered something, and signals Changed
// when it matters.
func (t *TargetInformer) seen(signal bool) {
	t.mu.Lock()
	t.eventAt = t.now()
	t.mu.Unlock()
	if signal {
		select {
		case t.changed <- struct{}{}:
		default:
		}
	}
	t.delivered.Add(1)
}

// isTarget reports whether obj (a Deployment, or the last state of a
// deleted one) carries a queue annotation.
func isTarget(obj any) bool {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return false
	}
	_, q := d.Annotations[engine.AnnotationQueue]
	_, p := d.Annotations[engine.AnnotationQueuePattern]
	return q || p
}

// relevantUpdate reports whether an update matters to a target: a new
// resourceVersion (not a resync) of a Deployment that is or was a target,
// with other settings annotations, spec.replicas or status replicas.
func relevantUpdate(old, cur any) bool {
	o, ok1 := old.(*appsv1.Deployment)
	c, ok2 := cur.(*appsv1.Deployment)
	if !ok1 || !ok2 || o.ResourceVersion == c.ResourceVersion || (!isTarget(o) && !isTarget(c)) {
		return false
	}
	return settingsOf(o.Annotations) != settingsOf(c.Annotations) || replicas(o) != replicas(c) ||
		o.Status.Replicas != c.Status.Replicas || o.Status.ReadyReplicas != c.Status.ReadyReplicas
}

func replicas(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return -1
	}
	return *d.Spec.Replicas
}

// settingsOf is the canonical text of the settings annotations (those
// under engine.AnnotationPrefix but yeetscale's own records).
func settingsOf(ann map[string]string) string {
	keys := make([]string, 0, 8)
	for k := range ann {
		if isSetting(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(ann[k])
		b.WriteByte(0)
	}
	return b.String()
}

func isSetting(key string) bool {
	return strings.HasPrefix(key, engine.AnnotationPrefix) && key != AnnotationLastScale && key != AnnotationMemory
}

// slim keeps in the cache only what targets need: names, UID, version,
// labels, the settings annotations, the memory (at most MaxMemory bytes,
// so that LoadMemory needs no GET per target at start-up; an invalid one
// is replaced by invalidMemory), spec.replicas and the status replicas. A Deployment's pod template, managed fields and other
// annotations (kubectl's last-applied-configuration copies the whole
// object) would multiply the informer's memory on a large estate.
func slim(obj any) (any, error) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return obj, nil
	}
	var ann map[string]string
	for k, v := range d.Annotations {
		if k == AnnotationMemory && !validMemory(v) {
			v = invalidMemory
		}
		if isSetting(k) || k == AnnotationMemory {
			if ann == nil {
				ann = map[string]string{}
			}
			ann[k] = v
		}
	}
	d.ObjectMeta = metav1.ObjectMeta{Name: d.Name, Namespace: d.Namespace, UID: d.UID,
		ResourceVersion: d.ResourceVersion, Generation: d.Generation, Labels: d.Labels, Annotations: ann}
	d.Spec = appsv1.DeploymentSpec{Replicas: d.Spec.Replicas, Selector: d.Spec.Selector}
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Status.ObservedGeneration, Replicas: d.Status.Replicas,
		ReadyReplicas: d.Status.ReadyReplicas, UpdatedReplicas: d.Status.UpdatedReplicas,
		AvailableReplicas: d.Status.AvailableReplicas}
	return d, nil
}

// shorten is v escaped, cut to 64 characters and quoted, for a message.
func shorten(v string) string { return `"` + clip(v) + `"` }

// clip is v cut to 64 characters and escaped, for display.
func clip(v string) string {
	if r := []rune(v); len(r) > 64 {
		v = string(r[:64]) + "..."
	}
	return engine.Printable(v)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
