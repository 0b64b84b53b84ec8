package kube

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/rest"

	"github.com/yeeter/yeetscale/engine"
)

// kedaFleetHeader follows kedaHeader in a fleet's export.
const kedaFleetHeader = `#
# One ScaledObject per Deployment that fleet mode would scale (annotated with
# yeetscale.yeeter.io/queue or queue-pattern), its settings from its
# yeetscale.yeeter.io/ annotations over the --arg settings, and one
# TriggerAuthentication per namespace (each namespace needs the Secret).
# Several queues, or a queue-pattern, become useRegex with operation sum or
# max: the pattern is anchored at both ends (yeetscale matches whole names)
# and runs on RabbitMQ's regular expressions (PCRE), not Go's.
`

// fleetListPage is how many Deployments one list call returns.
const fleetListPage = 500

// FleetTargets lists, on the cluster of restConfig, the Deployments fleet
// mode follows in namespace ("" for all, -A) matching selector (-l):
// those annotated with engine.AnnotationQueue or
// engine.AnnotationQueuePattern, their annotations over defaults, sorted
// by key, without Scalers. A Deployment whose annotations are invalid is a
// target with Err. A failed list is a *kube.Error worded for an operator.
func FleetTargets(ctx context.Context, restConfig *rest.Config, namespace, selector string, defaults engine.Config) ([]engine.Target, error) {
	c, err := newClients(restConfig)
	if err != nil {
		return nil, err
	}
	return fleetTargets(ctx, c, namespace, selector, defaults)
}

// fleetTargets is FleetTargets on c.
func fleetTargets(ctx context.Context, c clients, namespace, selector string, defaults engine.Config) ([]engine.Target, error) {
	sel, err := labels.Parse(selector)
	if err != nil {
		return nil, fmt.Errorf("invalid -l/--selector %s: %v (like app=worker,tier!=batch)", shorten(selector), err)
	}
	var out []engine.Target
	opts := metav1.ListOptions{LabelSelector: sel.String(), Limit: fleetListPage}
	for {
		list, err := c.client.AppsV1().Deployments(namespace).List(ctx, opts)
		if err != nil {
			where := namespace
			if where == "" {
				where = "(all)"
			}
			return nil, classify(err, op{Verb: "list", Resource: "deployments", Namespace: where, Server: c.server, User: c.user})
		}
		for i := range list.Items {
			if d := &list.Items[i]; isTarget(d) {
				out = append(out, annotatedTarget(d, defaults))
			}
		}
		if opts.Continue = list.Continue; opts.Continue == "" {
			break
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out, nil
}

// ValidateKEDAFleet checks the options of a fleet's KEDA export before
// the cluster is read: the names, the Secret, --mgmt-url (no credentials)
// and the selector.
func (o ManifestOptions) ValidateKEDAFleet() error {
	o = o.withDefaults()
	o.Image = ImageRepository // unused here; validate wants one
	return o.validate()
}

// KEDAFleetManifests returns the ScaledObject of every target (see
// KEDAObjects; the queues and vhost are the target's), after a
// TriggerAuthentication named <opts.Name>-rabbitmq once per namespace,
// under a comment that says what the ScaledObjects cannot do. A target
// with an error, or whose settings have no ScaledObject, is left out and
// named in skipped (escaped). It fails when no target is left.
func KEDAFleetManifests(opts ManifestOptions, targets []engine.Target) (out []byte, skipped []string, err error) {
	base := opts.withDefaults()
	authName := base.Name + "-rabbitmq"
	var objs []*unstructured.Unstructured
	authIn := map[string]bool{}
	for _, t := range targets {
		so, err := fleetScaledObject(base, t, authName)
		if err != nil {
			skipped = append(skipped, engine.Printable(err.Error()))
			continue
		}
		if !authIn[t.Namespace] {
			authIn[t.Namespace] = true
			o := base
			o.Namespace = t.Namespace
			objs = append(objs, kedaAuth(authName, o))
		}
		objs = append(objs, so)
	}
	if len(objs) == 0 {
		return nil, skipped, fmt.Errorf("manifests --keda: no Deployment to export: %d annotated, %d skipped (annotate Deployments with %s, or check -n, -A and -l)",
			len(targets), len(skipped), engine.AnnotationQueue)
	}
	var b bytes.Buffer
	b.WriteString(kedaHeader)
	b.WriteString(kedaFleetHeader)
	if err := writeYAML(&b, objs); err != nil {
		return nil, skipped, err
	}
	return b.Bytes(), skipped, nil
}

// fleetScaledObject is t's ScaledObject (base with t's names, queues and
// vhost), or why it has none.
func fleetScaledObject(base ManifestOptions, t engine.Target, authName string) (*unstructured.Unstructured, error) {
	if t.Err != nil {
		return nil, t.Err
	}
	o := base
	o.Namespace, o.Deployment, o.Queue, o.VHost = t.Namespace, t.Deployment, t.Config.Queue, t.Config.VHost
	o.Fleet, o.AllNamespaces, o.Selector = false, false, ""
	so, err := kedaScaledObject(o, t.Config, t.Queues, authName)
	if err != nil {
		return nil, fmt.Errorf("deployment %s/%s: %w", t.Namespace, t.Deployment, err)
	}
	return so, nil
}
