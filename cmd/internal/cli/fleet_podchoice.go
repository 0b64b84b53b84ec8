package cli

import (
	"context"
	"errors"

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
	return podTargets{TargetSource: targets, client: client, broker: broker}
}

// podTargets adds a pod chooser to each target of a source.
type podTargets struct {
	engine.TargetSource
	client kubernetes.Interface
	broker *rabbit.Client
}

func (s podTargets) Targets() []engine.Target {
	ts := s.TargetSource.Targets()
	for i := range ts {
		t := &ts[i]
		if t.Err != nil || t.Scaler == nil || len(t.Queues.Names) == 0 {
			continue
		}
		var cs queuesConsumers
		for _, q := range t.Queues.Names {
			cs = append(cs, s.broker.ForQueue(t.Config.VHost, q))
		}
		t.Pods = kube.NewPodChooser(s.client, t.Namespace, t.Deployment, cs)
	}
	return ts
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
