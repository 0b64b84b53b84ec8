package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/yeeter/yeetscale/engine"
)

// FleetFromKEDA is one ScaledObject turned into the fleet mode's
// annotations on its Deployment (manifests --from-keda).
type FleetFromKEDA struct {
	// ScaledObject, Namespace and Deployment are as the cluster names them
	// (escape them before printing).
	ScaledObject, Namespace, Deployment string
	// Annotations are the yeetscale.yeeter.io/ annotations that make the
	// fleet scale the Deployment as the ScaledObject's RabbitMQ trigger
	// asks (queue or queue-pattern, vhost, limits, target, timing).
	Annotations map[string]string
	// Active is true while KEDA scales the Deployment (not paused).
	Active bool
	// Notes say what was not carried over, escaped for printing.
	Notes []string
}

// kedaSettingsToFleet are the settings a ScaledObject determines (the ones
// ConfigFromScaledObject reads), written as annotations whatever their
// value, so that the fleet's own flags do not override them.
var kedaSettingsToFleet = []string{"min-replicas", "max-replicas", "target-messages", "count", "poll-interval", "scale-down-window", "tolerance"}

// kedaZeroSettings are written too when the ScaledObject scales to zero.
var kedaZeroSettings = []string{"activation-messages", "idle-before-zero"}

// FleetFromScaledObject turns a ScaledObject into fleet annotations: what
// ConfigFromScaledObject reads, plus a useRegex trigger as a queue-pattern
// with its operation as queue-combine. The annotations are read back with
// engine.ApplyAnnotations over base, so the fleet accepts what it returns.
func FleetFromScaledObject(obj *unstructured.Unstructured, base engine.Config) (FleetFromKEDA, error) {
	imp, md, err := importScaledObject(obj, base, true)
	if err != nil {
		return FleetFromKEDA{}, err
	}
	fail := func(err error) (FleetFromKEDA, error) {
		return FleetFromKEDA{}, fmt.Errorf("%w %s: %w", ErrScaledObjectSettings, engine.Printable(obj.GetName()), err)
	}
	c := imp.Config
	ann := map[string]string{}
	if md["useRegex"] == "true" {
		pattern, combine, err := fleetPattern(md["queueName"], md["operation"])
		if err != nil {
			return fail(err)
		}
		if names, ok := quotedNames(pattern); ok {
			ann[engine.AnnotationQueue] = strings.Join(names, ",")
		} else {
			ann[engine.AnnotationQueuePattern] = pattern
		}
		ann[engine.AnnotationQueueCombine] = combine
	} else {
		ann[engine.AnnotationQueue] = c.Queue
	}
	if md["vhostName"] != "" {
		ann[engine.AnnotationVHost] = c.VHost
	}
	names := kedaSettingsToFleet
	if c.MinReplicas == 0 {
		names = append(slices.Clone(names), kedaZeroSettings...)
	}
	for _, s := range engine.Settings() {
		if slices.Contains(names, s.Name) {
			ann[engine.AnnotationPrefix+s.Name] = s.Text(c)
		}
	}
	back, _, err := engine.ApplyAnnotations(base, ann)
	if err != nil {
		return fail(fmt.Errorf("the fleet would not take its annotations: %w", err))
	}
	for _, s := range engine.Settings() {
		if slices.Contains(names, s.Name) && s.Text(back) != s.Text(c) {
			return fail(fmt.Errorf("%s reads back as %s, not %s", s.Name, s.Text(back), s.Text(c)))
		}
	}
	return FleetFromKEDA{ScaledObject: obj.GetName(), Namespace: c.Namespace, Deployment: c.Deployment,
		Annotations: ann, Active: imp.Active, Notes: imp.Notes}, nil
}

// fleetPattern turns a useRegex trigger's queueName and operation into a
// queue-pattern (a Go regular expression matched against the whole queue
// name) and a queue-combine. RabbitMQ finds the pattern anywhere in a name,
// so an unanchored pattern P becomes .*(?:P).*; yeetscale's own export,
// ^(?:P)$, becomes P again. operation avg has no fleet equivalent.
func fleetPattern(re, op string) (string, string, error) {
	switch op {
	case "", "sum":
		op = string(engine.CombineSum)
	case "max":
		op = string(engine.CombineMax)
	default:
		return "", "", fmt.Errorf("trigger operation %s has no fleet equivalent (queue-combine is sum or max)", engine.Printable(strconv.Quote(op)))
	}
	if _, err := regexp.Compile(re); err != nil {
		return "", "", fmt.Errorf("trigger queueName %s is not a Go regular expression (RabbitMQ's are PCRE): write the fleet's queue-pattern by hand", engine.Printable(strconv.Quote(re)))
	}
	if inner, ok := strings.CutPrefix(re, "^(?:"); ok && strings.HasSuffix(inner, ")$") {
		inner = strings.TrimSuffix(inner, ")$")
		if _, err := regexp.Compile(inner); err == nil {
			return inner, op, nil
		}
	}
	return ".*(?:" + re + ").*", op, nil
}

// quotedNames reports whether pattern is names quoted with
// regexp.QuoteMeta and joined by "|" (how yeetscale exports a queue list),
// and returns the names. A name with a comma cannot be listed.
func quotedNames(pattern string) ([]string, bool) {
	var names []string
	var part, lit strings.Builder
	flush := func() bool {
		ok := part.Len() > 0 && regexp.QuoteMeta(lit.String()) == part.String() && !strings.Contains(lit.String(), ",")
		names = append(names, lit.String())
		part.Reset()
		lit.Reset()
		return ok
	}
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; {
		case c == '\\' && i+1 < len(pattern):
			part.WriteByte(c)
			part.WriteByte(pattern[i+1])
			lit.WriteByte(pattern[i+1])
			i++
		case c == '|':
			if !flush() {
				return nil, false
			}
		default:
			part.WriteByte(c)
			lit.WriteByte(c)
		}
	}
	if !flush() || len(names) > engine.MaxQueueNames {
		return nil, false
	}
	return names, true
}

// ListFleetFromKEDA reads the ScaledObjects of namespace ("" for all),
// narrowed by a label selector, and turns each into fleet annotations.
// Those that cannot be turned are returned as one line each in skipped.
func ListFleetFromKEDA(ctx context.Context, dyn dynamic.Interface, namespace, selector string, base engine.Config) (out []FleetFromKEDA, skipped []string, err error) {
	list, err := dyn.Resource(ScaledObjectResource).Namespace(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if apierrors.IsNotFound(err) {
		return nil, nil, fmt.Errorf("listing ScaledObjects: the cluster has no %s resource (KEDA is not installed): %w", ScaledObjectResource.GroupResource(), err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("listing ScaledObjects: %w", err)
	}
	items := list.Items
	sort.Slice(items, func(i, j int) bool {
		if items[i].GetNamespace() != items[j].GetNamespace() {
			return items[i].GetNamespace() < items[j].GetNamespace()
		}
		return items[i].GetName() < items[j].GetName()
	})
	for i := range items {
		f, err := FleetFromScaledObject(&items[i], base)
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("scaledobject %s/%s: %v", engine.Printable(items[i].GetNamespace()), engine.Printable(items[i].GetName()), err))
			continue
		}
		out = append(out, f)
	}
	return out, skipped, nil
}

// FleetFromKEDAScript renders fs as a shell script for review: per
// ScaledObject one `kubectl annotate deployment` (every value quoted for
// the shell) and, commented out, the command that deletes the ScaledObject:
// the fleet leaves a Deployment that a ScaledObject targets alone (status
// guard), paused or not, until it is gone.
func FleetFromKEDAScript(fs []FleetFromKEDA) ([]byte, error) {
	if len(fs) == 0 {
		return nil, errors.New("no ScaledObject to turn into fleet annotations")
	}
	var b bytes.Buffer
	b.WriteString("#!/bin/sh\n# yeetscale fleet annotations from KEDA ScaledObjects: review, then run with sh.\n" +
		"# The fleet leaves a Deployment alone (status guard) while a ScaledObject targets it, paused\n" +
		"# or not: delete the ScaledObject (the commented line of each block) to hand it to yeetscale.\nset -e\n")
	for _, f := range fs {
		fmt.Fprintf(&b, "\n# ScaledObject %s/%s -> Deployment %s\n", engine.Printable(f.Namespace), engine.Printable(f.ScaledObject), engine.Printable(f.Deployment))
		for _, n := range f.Notes {
			fmt.Fprintf(&b, "# note: %s\n", engine.Printable(n))
		}
		keys := make([]string, 0, len(f.Annotations))
		for k := range f.Annotations {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(&b, "kubectl annotate deployment --namespace %s %s --overwrite", shellQuote(f.Namespace), shellQuote(f.Deployment))
		for _, k := range keys {
			fmt.Fprintf(&b, " \\\n  %s", shellQuote(k+"="+f.Annotations[k]))
		}
		b.WriteString("\n")
		state := "KEDA scales it now"
		if !f.Active {
			state = "paused"
		}
		fmt.Fprintf(&b, "# %s: kubectl delete scaledobject --namespace %s %s\n", state, shellQuote(f.Namespace), shellQuote(f.ScaledObject))
	}
	return b.Bytes(), nil
}

// shellQuote quotes s for a POSIX shell: a plain word as it is, anything
// else in single quotes (a quote inside as '\”).
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
