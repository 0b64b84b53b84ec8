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
// says so once, through warn, and returns targets as they are. A target
// whose queues are a pattern gets none (its queues change from round to
// round).
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
// its chooser while its vhost and queues stay the same, so that the
// chooser its controller got is the one --once waits for (settle).
type podTargets struct {
	engine.TargetSource
	client kubernetes.Interface
	broker *rabbit.Client

	mu       sync.Mutex
	choosers map[string]fleetChooser // by target key
}

// fleetChooser is a target's pod chooser and the queues it reads.
type fleetChooser struct {
	queues    string // the vhost and the names, NUL-separated
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
		if t.Err != nil || t.Scaler == nil || len(t.Queues.Names) == 0 {
			continue
		}
		key, queues := t.Key(), t.Config.VHost+"\x00"+strings.Join(t.Queues.Names, "\x00")
		c, ok := s.choosers[key]
		if !ok || c.queues != queues {
			var cs queuesConsumers
			for _, q := range t.Queues.Names {
				cs = append(cs, s.broker.ForQueue(t.Config.VHost, q))
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

// queuesConsumers lists the consumers of several queues (a target of
// several queues).
type queuesConsumers []engine.ConsumerLister

func (qs queuesConsumers) Consumers(ctx context.Context) ([]engine.Consumer, error) {
	var out []engine.Consumer
	for _, q := range qs {
		cs, err := q.Consumers(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}
