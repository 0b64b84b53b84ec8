package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// An Estate is a simulated cluster and broker for `yeetscale demo --fleet`:
// annotated Deployments, each with the queues that drive it, every queue a
// Live world on one shared clock. It is the fleet's engine.TargetSource
// (the Deployments' annotations read as kube reads them) and its
// engine.QueueLister (every queue of the vhost). Each world advances
// lazily to the clock when it is read or scaled, and replays its scenario
// in a loop, so that the estate never goes still and its memory stays
// flat however long it runs.
type Estate struct {
	vhost   string
	targets []engine.Target
	queues  map[string]*estateWorld
	names   []string // the queues' names, sorted
}

var (
	_ engine.TargetSource = (*Estate)(nil)
	_ engine.QueueLister  = (*Estate)(nil)
)

// EstateDeployment is one simulated Deployment of an estate.
type EstateDeployment struct {
	Namespace, Name string
	// Annotations are the Deployment's, read as kube reads them
	// (engine.ApplyAnnotations over the defaults): an invalid one makes
	// the target's Err, and the target is shown and never scaled.
	Annotations map[string]string
	// Replicas is spec.replicas at the start.
	Replicas int
	// Queues are the queues its pods consume, each driven by its own
	// scenario. The pods of a Deployment with several queues consume every
	// one of them: each queue's world has the Deployment's pods.
	Queues []EstateQueue
}

// EstateQueue is one queue of an estate and the scenario that fills it,
// replayed every Scenario.DurationS seconds.
type EstateQueue struct {
	Name     string
	Scenario Scenario
	// Warm is how long the queue's world ran, at the Deployment's starting
	// size, before the estate starts (whole seconds): what yeetscale finds
	// when it arrives.
	Warm time.Duration
}

// NewEstate starts the worlds of ds on clock, with the queues on
// defaults.VHost; a Deployment's settings are defaults under its
// annotations. Queue names must be unique, and every Deployment needs a
// name, a namespace and a queue.
func NewEstate(ds []EstateDeployment, defaults engine.Config, clock engine.Clock) (*Estate, error) {
	e := &Estate{vhost: defaults.VHost, queues: map[string]*estateWorld{}}
	for _, d := range ds {
		if d.Namespace == "" || d.Name == "" || len(d.Queues) == 0 {
			return nil, fmt.Errorf("estate: deployment %q/%q needs a namespace, a name and a queue", d.Namespace, d.Name)
		}
		worlds := make([]*estateWorld, len(d.Queues))
		for i, q := range d.Queues {
			if _, dup := e.queues[q.Name]; dup || q.Name == "" {
				return nil, fmt.Errorf("estate: queue %q of %s/%s is empty or not unique", q.Name, d.Namespace, d.Name)
			}
			if err := q.Scenario.Validate(); err != nil {
				return nil, fmt.Errorf("estate: queue %s: %w", q.Name, err)
			}
			w := newEstateWorld(q, d.Replicas, clock)
			w.SetPodPrefix(d.Name)
			e.queues[q.Name], worlds[i] = w, w
			e.names = append(e.names, q.Name)
		}
		e.targets = append(e.targets, estateTarget(d, defaults, worlds))
	}
	slices.SortFunc(e.targets, func(a, b engine.Target) int { return strings.Compare(a.Key(), b.Key()) })
	slices.Sort(e.names)
	return e, nil
}

// estateTarget is d as the fleet sees it: the defaults under its
// annotations (or the error of an invalid one, as kube words it), its
// scaler and its pods.
func estateTarget(d EstateDeployment, defaults engine.Config, worlds []*estateWorld) engine.Target {
	defaults.Namespace, defaults.Deployment = d.Namespace, d.Name
	t := engine.Target{Namespace: d.Namespace, Deployment: d.Name}
	cfg, queues, err := engine.ApplyAnnotations(defaults, d.Annotations)
	if err != nil {
		t.Config = defaults
		t.Config.Queue = d.Annotations[engine.AnnotationQueue]
		t.Err = fmt.Errorf("deployment %s/%s: %w", d.Namespace, d.Name, err)
		return t
	}
	cfg.Namespace, cfg.Deployment = d.Namespace, d.Name
	t.Config, t.Queues = cfg, queues
	t.Scaler = deploymentScaler(worlds)
	// Every queue's world has the same pods, by the same names: the pod
	// view and the pod choice see their work on every queue.
	t.Pods = deploymentPods(worlds)
	return t
}

// Targets implements engine.TargetSource: the Deployments, sorted by key.
func (e *Estate) Targets() []engine.Target { return slices.Clone(e.targets) }

// Changed implements engine.TargetSource: an estate's Deployments never
// change.
func (e *Estate) Changed() <-chan struct{} { return nil }

// ErrNoVHost is ListQueues' error for a vhost the estate does not have.
var ErrNoVHost = errors.New("no such vhost in the simulated broker")

// ListQueues implements engine.QueueLister: every queue's statistics, each
// world advanced to the clock's current second.
func (e *Estate) ListQueues(ctx context.Context, vhost string) (map[string]engine.QueueStats, error) {
	if vhost != e.vhost {
		return nil, fmt.Errorf("vhost %q: %w (it has %q)", engine.Printable(vhost), ErrNoVHost, e.vhost)
	}
	out := make(map[string]engine.QueueStats, len(e.queues))
	for _, name := range e.names {
		s, err := e.queues[name].Stats(ctx)
		if err != nil {
			return nil, err
		}
		out[name] = s
	}
	return out, nil
}

// QueueNames returns the names of the estate's queues, sorted.
func (e *Estate) QueueNames() []string { return slices.Clone(e.names) }

// deploymentScaler scales the Deployment of one or more queues' worlds:
// its scale is the first world's, and a change is made to every world
// (the others follow the first, without its version check).
type deploymentScaler []*estateWorld

// GetScale implements engine.Scaler.
func (d deploymentScaler) GetScale(ctx context.Context) (engine.Scale, error) {
	return d[0].GetScale(ctx)
}

// SetScale implements engine.Scaler.
func (d deploymentScaler) SetScale(ctx context.Context, req engine.ScaleRequest) error {
	if err := d[0].SetScale(ctx, req); err != nil {
		return err
	}
	for _, w := range d[1:] {
		if err := w.SetScale(ctx, engine.ScaleRequest{Replicas: req.Replicas, Reason: req.Reason, By: req.By}); err != nil {
			return err
		}
	}
	return nil
}
