package cli

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/pflag"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube"
	"github.com/yeeter/yeetscale/rabbit"
)

// liveOptions are the flags that reach the real broker and cluster, shared
// by the console and the headless modes.
type liveOptions struct {
	rabbit rabbit.Options
	kube   *kube.Options
	leader *kube.LeaderOptions
	// from is --from-scaledobject (keda.go).
	from scaledObjectImport
	// pods is --pod-choice (podchoice.go).
	pods podChoiceOptions
}

func newLiveOptions() *liveOptions {
	return &liveOptions{rabbit: rabbit.DefaultOptions(), kube: kube.NewOptions(), leader: kube.NewLeaderOptions()}
}

func (o *liveOptions) addFlags(fs *pflag.FlagSet) {
	o.rabbit.AddFlags(fs)
	o.kube.AddFlags(fs)
	o.leader.AddFlags(fs)
	o.from.addFlags(fs)
	o.pods.addFlags(fs)
}

// live is the wired real world: the queue source, the scaler and where they
// point.
type live struct {
	source *rabbit.Client
	scaler *kube.Scaler
	target kube.Target
	// timeout bounds each call: a little over --mgmt-timeout, so that the
	// broker client's own "did not answer within" error is the one seen,
	// and at least 10 s for the API server.
	timeout time.Duration
	// imported is what --from-scaledobject read (nil without it).
	imported *kube.KEDAImport
	pods     podChoiceOptions
	chooser  *kube.PodChooser // withPodChoice's (nil: none)
}

// connect completes the options, fills cfg's names from them and builds the
// RabbitMQ source and the Kubernetes scaler. Bad options are usage errors;
// a cluster that cannot be configured is a cluster error.
func (o *liveOptions) connect(cfg *engine.Config, warn func(error)) (*live, error) {
	if err := o.pods.check(*cfg); err != nil {
		return nil, usage(err)
	}
	if err := o.complete(); err != nil {
		return nil, err
	}
	imported, err := o.importScaledObject(cfg)
	if err != nil {
		return nil, err
	}
	src, err := rabbit.New(o.rabbit)
	if err != nil {
		return nil, usage(err)
	}
	scaler, target, err := o.kube.NewScaler(warn)
	if err != nil {
		return nil, clusterErr(err)
	}
	cfg.Queue, cfg.VHost = o.rabbit.Queue, o.rabbit.VHost
	cfg.Namespace, cfg.Deployment = target.Namespace, target.Deployment
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &live{source: src, scaler: scaler, target: target, timeout: max(o.rabbit.Timeout+time.Second, 10*time.Second), imported: imported, pods: o.pods}, nil
}

// complete completes and validates the options: bad ones are usage
// errors; a cluster that cannot be configured is a cluster error.
func (o *liveOptions) complete() error {
	if err := o.rabbit.Complete(); err != nil {
		return usage(err)
	}
	if err := o.rabbit.Validate(); err != nil {
		return usage(err)
	}
	if err := o.rabbit.CheckCAFile(); err != nil {
		return usage(err)
	}
	if err := o.leader.Validate(); err != nil {
		return usage(err)
	}
	if err := o.kube.Complete(); err != nil {
		if errors.Is(err, kube.ErrBadKubeconfig) {
			return usage(err)
		}
		return clusterErr(err)
	}
	if err := o.kube.Validate(); err != nil {
		return usage(err)
	}
	return nil
}

// Tagged adapters: errors from the broker and the cluster carry their side,
// so that the process exit code says which one failed.
type brokerSource struct{ engine.QueueSource }

func (s brokerSource) Stats(ctx context.Context) (engine.QueueStats, error) {
	st, err := s.QueueSource.Stats(ctx)
	return st, brokerErr(err)
}

type clusterScaler struct{ engine.Scaler }

func (s clusterScaler) GetScale(ctx context.Context) (engine.Scale, error) {
	sc, err := s.Scaler.GetScale(ctx)
	return sc, clusterErr(err)
}

func (s clusterScaler) SetScale(ctx context.Context, req engine.ScaleRequest) error {
	err := s.Scaler.SetScale(ctx, req)
	if errors.Is(err, engine.ErrRefused) {
		return err
	}
	return clusterErr(err)
}

// controller returns an engine controller on the live world. The headless
// modes remember (engine.Options.Memory, an annotation on the Deployment),
// so that --once runs from cron, and an --auto that restarts, decide as one
// continuous controller would; the console, an operator's session, does not
// write it.
func (l *live) controller(cfg engine.Config, mode engine.Mode, remember bool) (*engine.Controller, error) {
	o := engine.Options{Config: cfg, Source: brokerSource{l.source}, Scaler: clusterScaler{l.scaler}, Mode: mode, RequestTimeout: l.timeout}
	if remember {
		o.Memory = l.scaler
	}
	return l.withPodChoice(engine.New(o))
}
