package cli

import (
	"context"
	"errors"
	"strings"
	"sync"

	"k8s.io/client-go/kubernetes"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/rabbit"
)

// fleetPodChoice gives each fleet target a pod chooser (scale-in that
// spares busy workers), unless --pod-choice=false or this identity may not
// list and patch pods in the namespace followed (ns, "" for all): then it
// says so once, through warn, and returns targets as they are. The chooser
// of a target of several queues, or of a pattern, lists the consumers of
// the queues it names or matches at that moment.
func fleetPodChoice(ctx context.Context, lo *liveOptions, broker *rabbit.Client, targets engine.TargetSource, ns string, warn func(error)) engine.TargetSource {
	if !lo.pods.enabled {
		return targets
	}
	client, err := kubernetes.NewForConfig(lo.kube.RESTConfig)
	if err == nil {
		err = kube.CheckPodChoice(ctx, client, ns)
	}
	if err != nil {
		if !errors.Is(err, engine.ErrPodChoiceOff) {
			err = errors.Join(engine.ErrPodChoiceOff, err)
		}
		warn(err)
		return targets
	}
	return &podTargets{TargetSource: targets, client: client, broker: broker}
}

// podTargets adds a pod chooser to each target of a source. A target keeps
// its chooser while its vhost and queue names (or pattern) stay the same,
// so that the chooser its controller got is the one --once waits for
// (settle).
type podTargets struct {
	engine.TargetSource
	client kubernetes.Interface
	broker *rabbit.Client

	mu       sync.Mutex
	choosers map[string]fleetChooser // by target key
}

// fleetChooser is a target's pod chooser and the queues it reads.
type fleetChooser struct {
	queues    string // see queuesKey
	namespace string
	*kube.PodChooser
}

func (s *podTargets) Targets() []engine.Target {
	ts := s.TargetSource.Targets()
	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[string]fleetChooser, len(ts))
	for i := range ts {
		t := &ts[i]
		if t.Err != nil || t.Scaler == nil || len(t.Queues.Names) == 0 && t.Queues.Pattern == "" {
			continue
		}
		key, queues := t.Key(), queuesKey(t)
		c, ok := s.choosers[key]
		if !ok || c.queues != queues {
			cs, err := s.consumers(t)
			if err != nil {
				continue
			}
			c = fleetChooser{queues: queues, namespace: t.Namespace, PodChooser: kube.NewPodChooser(s.client, t.Namespace, t.Deployment, cs)}
		}
		next[key] = c
		t.Pods = c.PodChooser
	}
	s.choosers = next
	return ts
}

// current returns the targets' choosers.
func (s *podTargets) current() []fleetChooser {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]fleetChooser, 0, len(s.choosers))
	for _, c := range s.choosers {
		out = append(out, c)
	}
	return out
}

// queuesKey is what a target's chooser reads: its vhost and queue names,
// or its pattern, NUL-separated.
func queuesKey(t *engine.Target) string {
	if t.Queues.Pattern != "" {
		return t.Config.VHost + "\x00/\x00" + t.Queues.Pattern
	}
	return t.Config.VHost + "\x00\x00" + strings.Join(t.Queues.Names, "\x00")
}

// consumers lists the consumers of t's queues: for one named queue, that
// queue's (its consumer_details); for several, or a pattern, those of the
// vhost filtered by queue name, so that the vhost's channels and
// connections are read once, not once per queue.
func (s *podTargets) consumers(t *engine.Target) (engine.ConsumerLister, error) {
	if len(t.Queues.Names) == 1 && t.Queues.Pattern == "" {
		return s.broker.ForQueue(t.Config.VHost, t.Queues.Names[0]), nil
	}
	match, err := t.Queues.Matcher()
	if err != nil {
		return nil, err // the annotation's check refuses it first
	}
	return s.broker.ForQueues(t.Config.VHost, match), nil
}
