package kube

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/dynamic"

	"github.com/yeeter/yeetscale/engine"
)

// KEDA's defaults for the fields a ScaledObject may leave out.
const (
	kedaDefaultPolling  = 30 * time.Second
	kedaDefaultMax      = 100
	kedaDefaultCooldown = 300 * time.Second
	hpaDefaultDownDelay = 300 * time.Second
)

// KEDA's pause annotations: while either is set, KEDA does not scale.
const (
	kedaPausedAnnotation         = "autoscaling.keda.sh/paused"
	kedaPausedReplicasAnnotation = "autoscaling.keda.sh/paused-replicas"
)

// KEDAImport is what ImportScaledObject read from a ScaledObject.
type KEDAImport struct {
	// Name is the ScaledObject's name, as the cluster holds it (unescaped).
	Name string
	// Config is the base Config with the ScaledObject's settings: names
	// (namespace, Deployment, queue, vhost), min/max, target messages,
	// activation messages, poll interval, scale-down window, tolerance and
	// count, and with minReplicaCount 0 the idle time before zero.
	Config engine.Config
	// Active is true while KEDA scales the Deployment (the ScaledObject
	// is not paused): then yeetscale must only shadow it (--dry-run).
	Active bool
	// Notes say what was not carried over (other triggers, rounding),
	// escaped for printing.
	Notes []string
}

// ErrScaledObjectNotFound is ImportScaledObject's error when no
// ScaledObject has the name.
var ErrScaledObjectNotFound = errors.New("ScaledObject not found")

// ErrScaledObjectSettings is ConfigFromScaledObject's error: a setting
// yeetscale cannot take over. Its text is "ScaledObject".
var ErrScaledObjectSettings = errors.New("ScaledObject")

// ImportScaledObject reads the ScaledObject name in namespace and returns
// base with its RabbitMQ trigger's and limits' settings (see
// ConfigFromScaledObject).
func ImportScaledObject(ctx context.Context, dyn dynamic.Interface, namespace, name string, base engine.Config) (KEDAImport, error) {
	if msgs := validation.IsDNS1123Subdomain(name); len(msgs) > 0 {
		return KEDAImport{}, fmt.Errorf("%w %s: not a valid name: %s", ErrScaledObjectSettings, engine.Printable(strconv.Quote(name)), msgs[0])
	}
	// A list by name needs only the list right yeetscale's Role already
	// has on ScaledObjects (its check for KEDA on the Deployment).
	list, err := dyn.Resource(ScaledObjectResource).Namespace(namespace).List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
	if err != nil {
		return KEDAImport{}, fmt.Errorf("--from-scaledobject: reading ScaledObject %s in namespace %s: %w", name, namespace, err)
	}
	if len(list.Items) != 1 {
		return KEDAImport{}, fmt.Errorf("--from-scaledobject: %w: no %s in namespace %s (kubectl -n %s get scaledobjects lists them)", ErrScaledObjectNotFound, name, namespace, namespace)
	}
	return ConfigFromScaledObject(&list.Items[0], base)
}

// ConfigFromScaledObject returns base with the ScaledObject's settings:
// its first RabbitMQ trigger (queueName, vhostName, value,
// activationValue, excludeUnacknowledged; mode must be QueueLength), its
// min/max replicas, pollingInterval, the HPA behavior's scale-down
// stabilization window and tolerance and, with minReplicaCount 0, its
// cooldownPeriod (as IdleBeforeZero), with KEDA's defaults for the fields
// it leaves out. Other triggers are named in Notes and ignored. The result
// is validated like a command line.
func ConfigFromScaledObject(obj *unstructured.Unstructured, base engine.Config) (KEDAImport, error) {
	imp, _, err := importScaledObject(obj, base, false)
	return imp, err
}

// importScaledObject is ConfigFromScaledObject, returning the RabbitMQ
// trigger's metadata too. With patterns, a trigger with useRegex is taken
// (its queueName is a pattern, left out of the Config's Queue) rather than
// refused.
func importScaledObject(obj *unstructured.Unstructured, base engine.Config, patterns bool) (KEDAImport, map[string]string, error) {
	name := engine.Printable(obj.GetName())
	fail := func(err error) (KEDAImport, map[string]string, error) {
		return KEDAImport{}, nil, fmt.Errorf("%w %s: %w", ErrScaledObjectSettings, name, err)
	}
	imp := KEDAImport{Name: obj.GetName(), Config: base}
	c := &imp.Config
	c.Namespace = obj.GetNamespace()
	kind, _, _ := unstructured.NestedString(obj.Object, "spec", "scaleTargetRef", "kind")
	target, _, _ := unstructured.NestedString(obj.Object, "spec", "scaleTargetRef", "name")
	if kind != "" && kind != "Deployment" {
		return fail(fmt.Errorf("scales a %s; yeetscale scales Deployments only", engine.Printable(kind)))
	}
	if target == "" {
		return fail(errors.New("has no spec.scaleTargetRef.name"))
	}
	c.Deployment = target
	trig, notes, err := rabbitTrigger(obj)
	if err != nil {
		return fail(err)
	}
	imp.Notes = notes
	if trig["useRegex"] == "true" && !patterns {
		return fail(errors.New("trigger uses useRegex (a pattern of queues); import a ScaledObject on one named queue, or use the fleet mode's queue-pattern annotation (manifests --from-keda prints it)"))
	}
	if err := applyTrigger(&imp, trig); err != nil {
		return fail(err)
	}
	if err := applyLimits(&imp, obj); err != nil {
		return fail(err)
	}
	ann := obj.GetAnnotations()
	imp.Active = ann[kedaPausedAnnotation] != "true" && ann[kedaPausedReplicasAnnotation] == ""
	if err := c.Validate(); err != nil {
		return fail(err)
	}
	return imp, trig, nil
}

// rabbitTrigger returns the first rabbitmq trigger's metadata and notes
// naming the other triggers.
func rabbitTrigger(obj *unstructured.Unstructured) (map[string]string, []string, error) {
	triggers, _, err := unstructured.NestedSlice(obj.Object, "spec", "triggers")
	if err != nil {
		return nil, nil, fmt.Errorf("spec.triggers: %w", err)
	}
	var found map[string]string
	var notes []string
	for i, t := range triggers {
		m, _ := t.(map[string]any)
		typ, _ := m["type"].(string)
		if typ != "rabbitmq" || found != nil {
			notes = append(notes, fmt.Sprintf("trigger %d (type %s) ignored: yeetscale follows the first RabbitMQ trigger only (KEDA scales to the largest of its triggers)", i, engine.Printable(strconv.Quote(typ))))
			continue
		}
		md, _, err := unstructured.NestedStringMap(m, "metadata")
		if err != nil {
			return nil, nil, fmt.Errorf("trigger %d: metadata: %w", i, err)
		}
		found = md
		if found == nil {
			found = map[string]string{}
		}
	}
	if found == nil {
		return nil, nil, errors.New("has no rabbitmq trigger: yeetscale imports the RabbitMQ trigger's queue and value")
	}
	return found, notes, nil
}

// applyTrigger sets the queue, vhost, target and count from a rabbitmq
// trigger's metadata.
func applyTrigger(imp *KEDAImport, md map[string]string) error {
	c := &imp.Config
	mode := md["mode"]
	value := md["value"]
	if mode == "" && md["queueLength"] != "" { // KEDA's deprecated form
		mode, value = "QueueLength", md["queueLength"]
	}
	if mode != "QueueLength" {
		return fmt.Errorf("trigger mode is %s; yeetscale scales on queue length only (mode QueueLength), not on message rates", engine.Printable(strconv.Quote(mode)))
	}
	if md["queueName"] == "" {
		return errors.New("trigger has no queueName (it may come from a TriggerAuthentication, which yeetscale does not read): pass --queue")
	}
	if md["useRegex"] != "true" {
		c.Queue = md["queueName"]
	}
	if v := md["vhostName"]; v != "" {
		c.VHost = v
	}
	v, err := strconv.ParseFloat(value, 64)
	if err != nil || !(v > 0) || v > math.MaxInt32 {
		return fmt.Errorf("trigger value %s is not a positive number of messages", engine.Printable(strconv.Quote(value)))
	}
	c.TargetMessages = int64(math.Ceil(v))
	if float64(c.TargetMessages) != v {
		imp.Notes = append(imp.Notes, fmt.Sprintf("trigger value %g rounded up to --target-messages %d", v, c.TargetMessages))
	}
	if a := md["activationValue"]; a != "" {
		if err := applyActivation(imp, a); err != nil {
			return err
		}
	}
	c.Count = engine.CountTotal
	if md["excludeUnacknowledged"] == "true" {
		c.Count = engine.CountReady
	}
	return nil
}

// applyActivation sets ActivationMessages from a trigger's activationValue:
// KEDA activates when the queue holds more than it, which for whole
// messages is more than its floor.
func applyActivation(imp *KEDAImport, a string) error {
	v, err := strconv.ParseFloat(a, 64)
	if err != nil || !(v >= 0) || v > engine.MaxTargetMessages {
		return fmt.Errorf("trigger activationValue %s is not a number of messages from 0 to %s", engine.Printable(strconv.Quote(a)), engine.Thousands(engine.MaxTargetMessages))
	}
	imp.Config.ActivationMessages = int64(math.Floor(v))
	if float64(imp.Config.ActivationMessages) != v {
		imp.Notes = append(imp.Notes, fmt.Sprintf("trigger activationValue %g taken as --activation-messages %d (KEDA wakes above %g, so at %d + 1 messages)",
			v, imp.Config.ActivationMessages, v, imp.Config.ActivationMessages))
	}
	return nil
}

// applyLimits sets min/max, the poll interval, the scale-down window and
// the tolerance, with KEDA's and the HPA's defaults for absent fields.
func applyLimits(imp *KEDAImport, obj *unstructured.Unstructured) error {
	c := &imp.Config
	num := func(def int64, path ...string) (int64, error) {
		v, ok, err := unstructured.NestedFieldNoCopy(obj.Object, path...)
		if !ok || err != nil {
			return def, nil
		}
		switch n := v.(type) {
		case int64:
			if n >= 0 && n <= math.MaxInt32 {
				return n, nil
			}
		case float64:
			if n >= 0 && n <= math.MaxInt32 && n == math.Trunc(n) {
				return int64(n), nil
			}
		}
		return 0, fmt.Errorf("%s is not a whole number from 0 to %d", joinPath(path), math.MaxInt32)
	}
	minR, err := num(0, "spec", "minReplicaCount")
	if err != nil {
		return err
	}
	maxR, err := num(kedaDefaultMax, "spec", "maxReplicaCount")
	if err != nil {
		return err
	}
	poll, err := num(int64(kedaDefaultPolling/time.Second), "spec", "pollingInterval")
	if err != nil {
		return err
	}
	down := []string{"spec", "advanced", "horizontalPodAutoscalerConfig", "behavior", "scaleDown"}
	window, err := num(int64(hpaDefaultDownDelay/time.Second), append(down, "stabilizationWindowSeconds")...)
	if err != nil {
		return err
	}
	c.MinReplicas, c.MaxReplicas = int32(minR), int32(maxR)
	c.PollInterval, c.ScaleDownWindow = time.Duration(poll)*time.Second, time.Duration(window)*time.Second
	if minR == 0 {
		cool, err := num(int64(kedaDefaultCooldown/time.Second), "spec", "cooldownPeriod")
		if err != nil {
			return err
		}
		c.IdleBeforeZero = time.Duration(cool) * time.Second
		if cool == 0 {
			c.IdleBeforeZero = time.Second
			imp.Notes = append(imp.Notes, "spec.cooldownPeriod 0 taken as --idle-before-zero 1s, its shortest")
		}
	}
	if tol, ok, _ := unstructured.NestedFieldNoCopy(obj.Object, append(down, "tolerance")...); ok {
		q, err := resource.ParseQuantity(fmt.Sprint(tol))
		if err != nil {
			return fmt.Errorf("%s %s is not a quantity like 0.1 or 100m", joinPath(append(down, "tolerance")), engine.Printable(strconv.Quote(fmt.Sprint(tol))))
		}
		c.Tolerance = q.AsApproximateFloat64()
	}
	return nil
}

// joinPath returns "spec.a.b".
func joinPath(path []string) string { return strings.Join(path, ".") }
