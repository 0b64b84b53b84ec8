package kube

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/yeeter/yeetscale/engine"
)

// maxHPAWindow is the longest stabilization window the HPA accepts
// (autoscaling/v2 HPAScalingRules.stabilizationWindowSeconds).
const maxHPAWindow = time.Hour

// kedaHeader is the comment at the top of `manifests --keda`: what the
// ScaledObject carries over and what only yeetscale does. It holds no
// user value.
const kedaHeader = `# A KEDA ScaledObject and TriggerAuthentication equivalent to yeetscale's
# settings: RabbitMQ trigger in QueueLength mode over the management API
# (HTTP), value = --target-messages per replica, min/max replicas,
# pollingInterval = --poll-interval, activationValue = --activation-messages,
# cooldownPeriod = --idle-before-zero, and the HPA's behavior carrying
# --scale-down-window, --tolerance and --max-step-up/--max-step-down.
# The TriggerAuthentication reads the RabbitMQ user and password from the same
# Secret keys (username, password) as yeetscale's own manifests.
#
# What yeetscale does that this ScaledObject cannot:
# - its policy (--policy): the HPA sizes by ceil(depth / value) only; the
#   adaptive policy's use of arrival and ack rates has no KEDA equivalent;
# - pod choice: yeetscale picks which pods to remove on scale-down; the HPA
#   leaves that to the ReplicaSet;
# - --drain-within: sizing to clear a backlog within a deadline while keeping
#   up with arrivals;
# - refusing to scale on stale, missing or implausible queue statistics.
# Without --max-step-up the scale-up policy allows maxReplicaCount pods per
# poll: the HPA's default (double, or 4 pods, per 15 s) is a cap yeetscale
# does not have.
# activationValue and cooldownPeriod only matter with minReplicaCount 0:
# KEDA goes to 0 from any size once the queue held no more than
# activationValue for cooldownPeriod; yeetscale only from one replica, after
# the queue read empty, with nothing unacknowledged or arriving, that long.
# Tolerance in the HPA behavior needs Kubernetes' HPAConfigurableTolerance
# feature (beta); clusters without it drop the field and use 10%.
`

// KEDAObjects returns the TriggerAuthentication and the ScaledObject that
// make KEDA scale o's Deployment on o's queue the way c sets yeetscale up
// (see kedaHeader for what carries over). o is validated like Manifests
// (its Image is unused) and c like a command line's settings.
func KEDAObjects(opts ManifestOptions, c engine.Config) ([]*unstructured.Unstructured, error) {
	o := opts.withDefaults()
	authName := o.Deployment + "-rabbitmq"
	if len(authName) > 253 {
		authName = authName[:253]
	}
	so, err := kedaScaledObject(o, c, engine.QueueSet{Names: []string{o.Queue}}, authName)
	if err != nil {
		return nil, err
	}
	return []*unstructured.Unstructured{kedaAuth(authName, o), so}, nil
}

// kedaAuth is the TriggerAuthentication name in o's namespace that reads
// the RabbitMQ user and password from o's Secret.
func kedaAuth(name string, o ManifestOptions) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "keda.sh/v1alpha1",
		"kind":       "TriggerAuthentication",
		"metadata":   map[string]any{"name": name, "namespace": o.Namespace},
		"spec": map[string]any{"secretTargetRef": []any{
			map[string]any{"parameter": "username", "name": o.Secret, "key": "username"},
			map[string]any{"parameter": "password", "name": o.Secret, "key": "password"},
		}},
	}}
}

// kedaScaledObject is the ScaledObject of o's Deployment on the queues qs
// of o's vhost, with c's settings and the TriggerAuthentication authName.
// o (with its defaults) is validated like Manifests (its Image is unused)
// and c like a command line's settings.
func kedaScaledObject(o ManifestOptions, c engine.Config, qs engine.QueueSet, authName string) (*unstructured.Unstructured, error) {
	if o.Image == "" {
		o.Image = ImageRepository // unused here; validate wants one
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("manifests --keda: %w", err)
	}
	if c.ScaleDownWindow > maxHPAWindow {
		return nil, fmt.Errorf("manifests --keda: --scale-down-window %s is longer than the HPA's limit of 1h (stabilizationWindowSeconds at most 3600); use at most 1h", c.ScaleDownWindow)
	}
	md := map[string]any{
		"protocol":              "http",
		"host":                  o.RabbitURL,
		"vhostName":             o.VHost,
		"mode":                  "QueueLength",
		"value":                 strconv.FormatInt(c.TargetMessages, 10),
		"activationValue":       strconv.FormatInt(c.ActivationMessages, 10),
		"excludeUnacknowledged": strconv.FormatBool(c.Count == engine.CountReady),
	}
	for k, v := range kedaQueues(qs) {
		md[k] = v
	}
	trigger := map[string]any{
		"type":              "rabbitmq",
		"name":              "yeetscale-queue",
		"metadata":          md,
		"metricType":        "AverageValue",
		"authenticationRef": map[string]any{"name": authName},
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "keda.sh/v1alpha1",
		"kind":       "ScaledObject",
		"metadata":   map[string]any{"name": o.Deployment, "namespace": o.Namespace},
		"spec": map[string]any{
			"scaleTargetRef":  map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": o.Deployment},
			"minReplicaCount": int64(c.MinReplicas),
			"maxReplicaCount": int64(c.MaxReplicas),
			"pollingInterval": max(ceilSeconds(c.PollInterval), 1),
			"cooldownPeriod":  ceilSeconds(c.IdleBeforeZero),
			"advanced": map[string]any{"horizontalPodAutoscalerConfig": map[string]any{
				"behavior": kedaBehavior(c),
			}},
			"triggers": []any{trigger},
		},
	}}, nil
}

// kedaQueues is the trigger's metadata naming qs: one queue by name;
// several queues, or a pattern, as a regular expression anchored at both
// ends (yeetscale matches whole names) with useRegex, and operation sum or
// max as the queues combine.
func kedaQueues(qs engine.QueueSet) map[string]any {
	if qs.Pattern == "" && len(qs.Names) == 1 {
		return map[string]any{"queueName": qs.Names[0]}
	}
	re := qs.Pattern
	if re == "" {
		quoted := make([]string, len(qs.Names))
		for i, n := range qs.Names {
			quoted[i] = regexp.QuoteMeta(n)
		}
		re = strings.Join(quoted, "|")
	}
	op := string(qs.Combine)
	if op == "" {
		op = string(engine.CombineSum)
	}
	return map[string]any{"queueName": "^(?:" + re + ")$", "useRegex": "true", "operation": op}
}

// kedaBehavior is the HPA behavior of c: the scale-down window, the
// tolerance on both sides, and the step caps as Pods policies per poll.
// Without --max-step-up the scale-up policy allows MaxReplicas pods per
// poll: the HPA's default (double or 4 pods per 15 s) is a cap yeetscale
// does not have.
func kedaBehavior(c engine.Config) map[string]any {
	up := c.MaxStepUp
	if up == 0 {
		up = c.MaxReplicas
	}
	tol := strconv.FormatFloat(c.Tolerance, 'f', -1, 64)
	rules := func(window time.Duration, step int32) map[string]any {
		r := map[string]any{"stabilizationWindowSeconds": ceilSeconds(window), "tolerance": tol}
		if step > 0 {
			r["policies"] = []any{map[string]any{"type": "Pods", "value": int64(step), "periodSeconds": max(ceilSeconds(c.PollInterval), 1)}}
		}
		return r
	}
	return map[string]any{
		"scaleUp":   rules(0, up),
		"scaleDown": rules(c.ScaleDownWindow, c.MaxStepDown),
	}
}

// ceilSeconds returns d in whole seconds, rounded up.
func ceilSeconds(d time.Duration) int64 {
	return int64(math.Ceil(d.Seconds()))
}

// KEDAManifests returns KEDAObjects as YAML documents under a comment that
// says what the ScaledObject cannot do. The objects are marshalled, never
// templated, so no value can change the documents' structure.
func KEDAManifests(opts ManifestOptions, c engine.Config) ([]byte, error) {
	objs, err := KEDAObjects(opts, c)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(kedaHeader)
	if err := writeYAML(&b, objs); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeYAML writes objs to b as YAML documents.
func writeYAML(b *bytes.Buffer, objs []*unstructured.Unstructured) error {
	for _, obj := range objs {
		y, err := yaml.Marshal(obj.Object)
		if err != nil {
			return fmt.Errorf("manifests --keda: %w", err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return nil
}
