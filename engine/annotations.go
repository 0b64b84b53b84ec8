package engine

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AnnotationPrefix starts every annotation yeetscale reads or writes on a
// Deployment.
const AnnotationPrefix = "yeetscale.yeeter.io/"

// The annotations that name a target's queues (the settings' annotations
// are the prefix and the setting's flag name: AnnotationPrefix+"min-replicas").
const (
	// AnnotationQueue is one queue name or a comma-separated list; a
	// Deployment with it (or AnnotationQueuePattern) is a target.
	AnnotationQueue = AnnotationPrefix + "queue"
	// AnnotationQueuePattern is a Go regular expression matched against the
	// whole name of every queue of the vhost.
	AnnotationQueuePattern = AnnotationPrefix + "queue-pattern"
	// AnnotationQueueCombine is how several queues make one depth: "sum"
	// (the default) or "max".
	AnnotationQueueCombine = AnnotationPrefix + "queue-combine"
	// AnnotationVHost is the queues' vhost (default: the --vhost flag).
	AnnotationVHost = AnnotationPrefix + "vhost"
)

// Limits of annotation values.
const (
	// MaxAnnotationValue is the longest value read, in bytes (a regular
	// expression included).
	MaxAnnotationValue = 1024
	// MaxQueueNames is the most queues one AnnotationQueue list may name.
	MaxQueueNames = 100
	// MaxQueueName is RabbitMQ's limit on a queue name, in bytes.
	MaxQueueName = 255
)

// annotationsWritten are yeetscale's own annotations that are not settings
// (kube writes them): ApplyAnnotations ignores them.
var annotationsWritten = []string{AnnotationPrefix + "last-scale", AnnotationPrefix + "memory"}

// AnnotationKeys returns every annotation ApplyAnnotations reads, in the
// order a README lists them: the queue annotations, then one per setting
// with a flag, in the order of Settings.
func AnnotationKeys() []string {
	keys := []string{AnnotationQueue, AnnotationQueuePattern, AnnotationQueueCombine, AnnotationVHost}
	for _, s := range settingsTable() {
		if s.Flag {
			keys = append(keys, AnnotationPrefix+s.Name)
		}
	}
	return keys
}

// annotationNames lists AnnotationKeys without the prefix.
func annotationNames() string {
	keys := AnnotationKeys()
	for i, k := range keys {
		keys[i] = strings.TrimPrefix(k, AnnotationPrefix)
	}
	return strings.Join(keys, ", ")
}

// AnnotationError reports one invalid annotation: its key, its value
// (escaped and truncated) and what is allowed. Err, when set, is the
// underlying *ConfigError.
type AnnotationError struct {
	Annotation string
	Value      string
	Allowed    string
	// Unset is true when the annotation at fault is not set: it is required
	// (Value ""), or the flag's value (Value) does not fit the other
	// annotations.
	Unset bool
	Err   error
}

func (e *AnnotationError) Error() string {
	if e.Unset && e.Value == "" {
		return fmt.Sprintf("annotation %s is missing: it %s", e.Annotation, e.Allowed)
	}
	if e.Unset {
		return fmt.Sprintf("annotation %s is not set and the flag's value %s does not fit the others: %s", e.Annotation, e.Value, e.Allowed)
	}
	return fmt.Sprintf("invalid annotation %s=%s: %s", e.Annotation, e.Value, e.Allowed)
}

// Unwrap returns the underlying *ConfigError, if any.
func (e *AnnotationError) Unwrap() error { return e.Err }

// annotationValue is a value as an error message shows it: in quotes,
// escaped (see Printable), at most maxSettingsValue bytes of it, cut
// between characters.
func annotationValue(v string) string {
	if len(v) > maxSettingsValue {
		cut := maxSettingsValue
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		return `"` + Printable(v[:cut]) + `"...`
	}
	return `"` + Printable(v) + `"`
}

// ApplyAnnotations returns defaults with a Deployment's annotations laid
// over it, and the queues they name. It reads AnnotationQueue or
// AnnotationQueuePattern (exactly one is required), AnnotationQueueCombine,
// AnnotationVHost and, for every setting with a flag, AnnotationPrefix plus
// the flag's name, with the value written as on the command line ("5m",
// "0.1", "40"). The result passes Config.Validate; its Queue is the queue
// set as shown to an operator. Annotations outside the prefix and
// yeetscale's own (last-scale, memory) are ignored; any other key under the
// prefix is refused, so that a typo does not silently do nothing. The
// first problem, in key order, is returned as an *AnnotationError.
func ApplyAnnotations(defaults Config, ann map[string]string) (Config, QueueSet, error) {
	cfg := defaults
	var qs QueueSet
	keys := make([]string, 0, len(ann))
	for k := range ann {
		if strings.HasPrefix(k, AnnotationPrefix) && !slices.Contains(annotationsWritten, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	given := map[string]bool{}
	for _, k := range keys {
		v := ann[k]
		if allowed := checkAnnotationValue(v); allowed != "" {
			return defaults, QueueSet{}, &AnnotationError{Annotation: Printable(k), Value: annotationValue(v), Allowed: allowed}
		}
		allowed := ""
		switch k {
		case AnnotationQueue:
			qs.Names, allowed = parseQueueList(v)
		case AnnotationQueuePattern:
			qs.Pattern, allowed = v, checkQueuePattern(v)
		case AnnotationQueueCombine:
			qs.Combine = Combine(v)
			if qs.Combine != CombineSum && qs.Combine != CombineMax {
				allowed = `must be "sum" (add the queues' depths) or "max" (the deepest queue)`
			}
		case AnnotationVHost:
			cfg.VHost = v
			if v == "" {
				allowed = "must not be empty"
			}
		default:
			s, ok := settingByName(strings.TrimPrefix(k, AnnotationPrefix))
			if !ok {
				allowed = "is not a yeetscale annotation (known after " + AnnotationPrefix + ": " + annotationNames() + ")"
				break
			}
			given[s.Name] = true
			// Checked once all are set: one may depend on another.
			allowed = s.setText(&cfg, v)
		}
		if allowed != "" {
			return defaults, QueueSet{}, &AnnotationError{Annotation: Printable(k), Value: annotationValue(v), Allowed: allowed}
		}
	}
	if err := checkQueueSet(&qs, ann); err != nil {
		return defaults, QueueSet{}, err
	}
	cfg.Queue = qs.String()
	for _, s := range settingsTable() {
		if allowed := s.check(cfg); given[s.Name] && allowed != "" {
			k := AnnotationPrefix + s.Name
			return defaults, QueueSet{}, &AnnotationError{Annotation: k, Value: annotationValue(ann[k]), Allowed: allowed}
		}
	}
	if err := validateAnnotated(cfg, ann, given); err != nil {
		return defaults, QueueSet{}, err
	}
	return cfg, qs, nil
}

// checkAnnotationValue returns what is allowed when v is too long or holds
// control characters ("" when it is fine).
func checkAnnotationValue(v string) string {
	if len(v) > MaxAnnotationValue {
		return fmt.Sprintf("must be at most %d bytes (it has %d)", MaxAnnotationValue, len(v))
	}
	if Printable(v) != v {
		return "must not contain control characters (newlines, tabs, escapes) or invalid UTF-8"
	}
	return ""
}

// parseQueueList splits a comma-separated list of queue names, trimming
// the spaces around each.
func parseQueueList(v string) ([]string, string) {
	parts := strings.Split(v, ",")
	if len(parts) > MaxQueueNames {
		return nil, fmt.Sprintf("must name at most %d queues (it names %d): use %s for more", MaxQueueNames, len(parts), AnnotationQueuePattern)
	}
	names := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
			return nil, "must be a queue name or a comma-separated list of them, with no empty name"
		case len(p) > MaxQueueName:
			return nil, fmt.Sprintf("must name queues of at most %d bytes (RabbitMQ's limit)", MaxQueueName)
		case slices.Contains(names, p):
			return nil, fmt.Sprintf("must not name a queue twice (%q is repeated)", p)
		}
		names = append(names, p)
	}
	return names, ""
}

// checkQueuePattern returns what is allowed when p does not compile.
func checkQueuePattern(p string) string {
	if p == "" {
		return "must be a regular expression matching queue names, e.g. orders\\..*"
	}
	if _, err := compileQueuePattern(p); err != nil {
		var re *syntax.Error
		msg := err.Error()
		if errors.As(err, &re) {
			msg = string(re.Code)
		}
		return "must be a Go regular expression (RE2 syntax): " + Printable(msg)
	}
	return ""
}

// compileQueuePattern compiles a queue pattern anchored at both ends.
func compileQueuePattern(p string) (*regexp.Regexp, error) {
	return regexp.Compile("^(?:" + p + ")$")
}

// checkQueueSet requires exactly one of the queue annotations and sets the
// default combination.
func checkQueueSet(qs *QueueSet, ann map[string]string) error {
	_, hasList := ann[AnnotationQueue]
	_, hasPattern := ann[AnnotationQueuePattern]
	switch {
	case hasList && hasPattern:
		return &AnnotationError{Annotation: AnnotationQueuePattern, Value: annotationValue(qs.Pattern),
			Allowed: "must not be set together with " + AnnotationQueue + " (set exactly one of them)"}
	case !hasList && !hasPattern:
		return &AnnotationError{Annotation: AnnotationQueue, Unset: true,
			Allowed: "is required (or " + AnnotationQueuePattern + "): the queue(s) whose depth drives the Deployment"}
	}
	if qs.Combine == "" {
		qs.Combine = CombineSum
	}
	return nil
}

// validateAnnotated checks cfg as Config.Validate does, naming the
// annotation at fault: the one that gave the invalid value, or, when the
// value is a flag's that other annotations made invalid (min-replicas
// above an annotated max-replicas), the annotation that would fix it.
func validateAnnotated(cfg Config, ann map[string]string, given map[string]bool) error {
	err := cfg.Validate()
	var ce *ConfigError
	if err == nil || !errors.As(err, &ce) {
		return err
	}
	key := AnnotationPrefix + ce.Flag
	if ce.Flag == "queue" {
		key = AnnotationQueue
	}
	if v, ok := ann[key]; ok && (given[ce.Flag] || ce.Flag == "vhost" || ce.Flag == "queue") {
		return &AnnotationError{Annotation: key, Value: annotationValue(v), Allowed: ce.Allowed, Err: ce}
	}
	return &AnnotationError{Annotation: key, Value: ce.Value, Allowed: ce.Allowed, Unset: true, Err: ce}
}

func settingByName(name string) (Setting, bool) {
	for _, s := range settingsTable() {
		if s.Flag && s.Name == name {
			return s, true
		}
	}
	return Setting{}, false
}

// setText sets s in c from a value written as on the command line (the
// syntax of the flag package: integers in any Go base, durations such as
// "90s" or "5m"), returning what is allowed when it does not parse ("" when
// it was set: the caller checks the value). Integers out of the field's range
// saturate, so that the setting's check reports its own bounds.
func (s Setting) setText(c *Config, v string) string {
	switch p := s.ptr(c).(type) {
	case *int32:
		n, err := strconv.ParseInt(v, 0, 32)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return "must be a whole number"
		}
		*p = int32(n)
	case *int64:
		n, err := strconv.ParseInt(v, 0, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return "must be a whole number"
		}
		*p = n
	case *float64:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return "must be a number"
		}
		*p = f
	case *time.Duration:
		d, err := time.ParseDuration(v)
		if err != nil {
			return "must be a duration with a unit, such as 30s, 5m or 1h30m"
		}
		*p = d
	case *string:
		*p = v
	case *Count:
		*p = Count(v)
	default:
		return "cannot be set by an annotation"
	}
	return ""
}
