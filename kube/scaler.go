package kube

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/yeeter/yeetscale/engine"
)

// Component is the name yeetscale reports as the source of its Events and
// the field manager of its writes.
const Component = "yeetscale"

// ScalerConfig is what a Scaler needs besides a rest.Config.
type ScalerConfig struct {
	// Namespace and Deployment name the worker Deployment.
	Namespace  string
	Deployment string
	// Force applies changes even while an HPA or a KEDA ScaledObject targets
	// the Deployment (--force).
	Force bool
	// Identity says who applies changes, in annotations and Events
	// (default: DefaultIdentity()).
	Identity string
	// Warn receives problems that do not fail SetScale because the scale
	// change itself was applied (the annotation or the Event could not be
	// written). Nil drops them.
	Warn func(error)
	// Now is the clock for annotation and Event timestamps (default time.Now).
	Now func() time.Time
}

// Scaler reads and changes the worker Deployment's size; it implements
// engine.Scaler.
type Scaler struct {
	cfg       ScalerConfig
	client    kubernetes.Interface
	dynamic   dynamic.Interface
	discovery discovery.DiscoveryInterface
	server    string
	user      string

	evMu   sync.Mutex             // serialises Event writes
	series map[string]eventSeries // Events written, by aggregation key

	// fromCache, when set, answers GetScale from an informer's cache
	// (ok false: read the API server instead).
	fromCache func() (sc engine.Scale, ok bool)
	// sent are the resourceVersions of the last updates sent (applied or
	// refused with a conflict): the server has moved past them, so a
	// cache still showing one of them is behind.
	sentMu sync.Mutex
	sent   []string
}

// maxSent bounds Scaler.sent.
const maxSent = 8

var _ engine.Scaler = (*Scaler)(nil)

// NewScaler returns a Scaler that talks to the API server of restConfig.
func NewScaler(restConfig *rest.Config, cfg ScalerConfig) (*Scaler, error) {
	if cfg.Namespace == "" || cfg.Deployment == "" {
		return nil, fmt.Errorf("kube: namespace and deployment must be set (got %q/%q)", cfg.Namespace, cfg.Deployment)
	}
	if cfg.Identity == "" {
		cfg.Identity = DefaultIdentity()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c, err := newClients(restConfig)
	if err != nil {
		return nil, err
	}
	return newScaler(cfg, c.client, c.dynamic, c.server, c.user), nil
}

// clients are the clients of one rest.Config, and how errors name the
// server and the user.
type clients struct {
	client       kubernetes.Interface
	dynamic      dynamic.Interface
	server, user string
}

// newClients makes the clientset and the dynamic client of restConfig
// (user agent yeetscale unless set), which remember the credentials they
// send to scrub them from the API server's answers (recordCredentials).
func newClients(restConfig *rest.Config) (clients, error) {
	rc := rest.CopyConfig(restConfig)
	recordCredentials(rc)
	if rc.UserAgent == "" {
		rc.UserAgent = Component
	}
	c := clients{server: redactURL(rc.Host), user: rc.Impersonate.UserName}
	var err error
	if c.client, err = kubernetes.NewForConfig(rc); err != nil {
		return clients{}, fmt.Errorf("kube: client for %s: %w", c.server, err)
	}
	if c.dynamic, err = dynamic.NewForConfig(rc); err != nil {
		return clients{}, fmt.Errorf("kube: dynamic client for %s: %w", c.server, err)
	}
	return c, nil
}

// newScaler returns a Scaler on the given clients (the fake clientsets of
// the unit tests, or the real ones of NewScaler); cfg must be complete.
func newScaler(cfg ScalerConfig, client kubernetes.Interface, dyn dynamic.Interface, server, user string) *Scaler {
	return &Scaler{
		cfg:       cfg,
		client:    client,
		dynamic:   dyn,
		discovery: client.Discovery(),
		server:    server,
		user:      user,
		series:    map[string]eventSeries{},
	}
}

// DefaultIdentity returns hostname-pid, the default identity for annotations,
// Events and the leader-election Lease.
func DefaultIdentity() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// Namespace returns the namespace of the worker Deployment.
func (s *Scaler) Namespace() string { return s.cfg.Namespace }

// Deployment returns the name of the worker Deployment.
func (s *Scaler) Deployment() string { return s.cfg.Deployment }

// Client returns the clientset the Scaler uses, for leader election and
// other calls with the same credentials.
func (s *Scaler) Client() kubernetes.Interface { return s.client }

func (s *Scaler) op(verb, resource string) op {
	return op{Verb: verb, Resource: resource, Namespace: s.cfg.Namespace, Name: s.cfg.Deployment,
		Kind: "deployment", Server: s.server, User: s.user}
}

// GetScale reads the scale subresource (spec and status replicas, and the
// resourceVersion as Version) and the Deployment's status.readyReplicas.
// A Scaler of a TargetInformer answers from the informer's cache while
// that cache is synced and its watch healthy, saving both requests.
func (s *Scaler) GetScale(ctx context.Context) (engine.Scale, error) {
	if s.fromCache != nil {
		if sc, ok := s.fromCache(); ok && !s.behind(sc.Version) {
			return sc, nil
		}
	}
	deployments := s.client.AppsV1().Deployments(s.cfg.Namespace)
	sc, err := deployments.GetScale(ctx, s.cfg.Deployment, metav1.GetOptions{})
	if err != nil {
		return engine.Scale{}, classify(err, s.op("get", "deployments/scale"))
	}
	d, err := deployments.Get(ctx, s.cfg.Deployment, metav1.GetOptions{})
	if err != nil {
		return engine.Scale{}, classify(err, s.op("get", "deployments"))
	}
	return engine.Scale{
		Desired: sc.Spec.Replicas,
		Current: sc.Status.Replicas,
		Ready:   d.Status.ReadyReplicas,
		Version: sc.ResourceVersion,
	}, nil
}

// SetScale changes spec.replicas through the scale subresource, on condition
// that the Deployment is still at req.From.Version: a change of
// spec.replicas made since then fails with an error wrapping
// engine.ErrConflict (a change of the status only is retried, see
// updateScale). It refuses with engine.ErrRefused while an HPA or KEDA
// ScaledObject targets the Deployment, unless Force is set. An applied change is recorded as the
// last-scale annotation and a SuccessfulRescale Event; a failed update as a
// FailedRescale warning Event.
func (s *Scaler) SetScale(ctx context.Context, req engine.ScaleRequest) error {
	if req.Replicas < 0 {
		return fmt.Errorf("kube: cannot scale %s/%s to %d replicas", s.cfg.Namespace, s.cfg.Deployment, req.Replicas)
	}
	if req.From.Version == "" {
		return &Error{Kind: engine.ErrConflict, Msg: fmt.Sprintf(
			"conflict: no resourceVersion to scale %s/%s from; read the scale first", s.cfg.Namespace, s.cfg.Deployment)}
	}
	if !s.cfg.Force {
		if err := s.refuseIfManaged(ctx, req); err != nil {
			return err
		}
	}
	updated, err := s.updateScale(ctx, req)
	if err != nil {
		err = classify(err, s.op("update", "deployments/scale"))
		if !errors.Is(err, engine.ErrConflict) && !errors.Is(err, context.Canceled) {
			s.warnEvent(ctx, engine.ErrorKind(err), fmt.Sprintf("New size: %d; reason: %s; error: %v", req.Replicas, req.Reason, err))
		}
		return err
	}
	s.endSeries(ReasonFailedRescale)
	// The change is made: its record must not be cut short by a context
	// that ends now (a stop, a poll's deadline).
	wctx, cancel := writeContext(ctx)
	defer cancel()
	now := s.cfg.Now()
	if err := s.annotate(wctx, req, now); err != nil {
		s.warn(err)
	}
	msg := fmt.Sprintf("New size: %d; reason: %s", req.Replicas, req.Reason)
	if err := s.recordEvent(wctx, updated.UID, eventNormal, ReasonSuccessfulRescale, "", msg, now); err != nil {
		s.warn(err)
	}
	return nil
}

// maxStatusRetries bounds how often updateScale retries after a conflict
// that left spec.replicas unchanged.
const maxStatusRetries = 3

// updateScale writes req.Replicas on condition of req.From.Version. The
// Deployment's resourceVersion also changes when only its status does (the
// deployment controller updates it as pods come and go), so after a
// conflict it re-reads the scale: if spec.replicas is still the one the
// decision was based on, it retries with the new resourceVersion; if
// somebody changed spec.replicas, it returns the conflict.
func (s *Scaler) updateScale(ctx context.Context, req engine.ScaleRequest) (*autoscalingv1.Scale, error) {
	deployments := s.client.AppsV1().Deployments(s.cfg.Namespace)
	version := req.From.Version
	for attempt := 0; ; attempt++ {
		sc := &autoscalingv1.Scale{
			ObjectMeta: metav1.ObjectMeta{Name: s.cfg.Deployment, Namespace: s.cfg.Namespace, ResourceVersion: version},
			Spec:       autoscalingv1.ScaleSpec{Replicas: req.Replicas},
		}
		updated, err := deployments.UpdateScale(ctx, s.cfg.Deployment, sc, metav1.UpdateOptions{FieldManager: Component})
		if err == nil || apierrors.IsConflict(err) {
			s.markSent(version)
		}
		if err == nil || !apierrors.IsConflict(err) || attempt == maxStatusRetries {
			return updated, err
		}
		cur, gerr := deployments.GetScale(ctx, s.cfg.Deployment, metav1.GetOptions{})
		if gerr != nil {
			// The conflict stays the error's kind; the failed re-read is
			// kept as its cause too, for errors.Is and the log.
			return nil, &Error{Kind: engine.ErrConflict,
				Msg: fmt.Sprintf("conflict: %s/%s changed since it was read, and reading it again failed: %v",
					s.cfg.Namespace, s.cfg.Deployment, classify(gerr, s.op("get", "deployments/scale"))),
				Err: errors.Join(err, gerr)}
		}
		if cur.Spec.Replicas != req.From.Desired {
			return nil, err
		}
		version = cur.ResourceVersion
	}
}

// markSent notes that the server has moved past version (see behind).
func (s *Scaler) markSent(version string) {
	if s.fromCache == nil {
		return
	}
	s.sentMu.Lock()
	defer s.sentMu.Unlock()
	s.sent = append(s.sent, version)
	if len(s.sent) > maxSent {
		s.sent = s.sent[1:]
	}
}

// behind reports whether a cached scale at version predates an update
// this Scaler sent: right after a change or a conflict, until the watch
// delivers the new version, GetScale reads the API server.
func (s *Scaler) behind(version string) bool {
	s.sentMu.Lock()
	defer s.sentMu.Unlock()
	return slices.Contains(s.sent, version)
}

// warnEvent records a FailedRescale warning Event. Repeats with the same
// key (the error's kind) add to one Event's count instead of creating a new
// Event each time (see recordEvent); a write that fails is not remembered,
// so the next identical warning is written again.
func (s *Scaler) warnEvent(ctx context.Context, key, msg string) {
	wctx, cancel := writeContext(ctx)
	defer cancel()
	if err := s.recordEvent(wctx, "", eventWarning, ReasonFailedRescale, key, msg, s.cfg.Now()); err != nil {
		s.warn(err)
	}
}

func (s *Scaler) warn(err error) {
	if s.cfg.Warn != nil {
		s.cfg.Warn(err)
	}
}
