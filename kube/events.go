package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Event reasons, the same as the HorizontalPodAutoscaler's so that
// dashboards and `kubectl describe` readers recognise them.
const (
	ReasonSuccessfulRescale = "SuccessfulRescale"
	ReasonFailedRescale     = "FailedRescale"
)

const (
	eventNormal  = corev1.EventTypeNormal
	eventWarning = corev1.EventTypeWarning
	// reportingController names yeetscale in events' reportingComponent.
	reportingController = "yeeter.io/yeetscale"
	// maxEventMessage is the API server's limit on an Event's message.
	maxEventMessage = 1024
	// writeTimeout bounds the writes that record a change (annotation,
	// Event) on a context of their own.
	writeTimeout = 10 * time.Second
)

// eventSeries is an Event already written, that later Events with the
// same reason and key add to.
type eventSeries struct {
	name  string
	count int32
}

// writeContext returns a context for recording what happened: it keeps
// ctx's values but not its cancellation or deadline (an expired poll or
// update context must not kill the record of the change), and ends after
// writeTimeout.
func writeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
}

// endSeries forgets the Events of reason, so that the next one starts a
// new Event (a success ends a run of failures).
func (s *Scaler) endSeries(reason string) {
	s.evMu.Lock()
	defer s.evMu.Unlock()
	for k := range s.series {
		if strings.HasPrefix(k, reason+"/") {
			delete(s.series, k)
		}
	}
}

// recordEvent writes one core/v1 Event about the Deployment synchronously,
// so that it is stored before a one-shot process exits. With a key, an
// Event of the same reason and key written before by this Scaler is
// updated instead, as Kubernetes' own event series do: its count goes up
// by one and its lastTimestamp and message become the new ones. The key
// must not hold what varies between repeats (the replica count). A series
// is remembered only once its write succeeded. The name follows
// client-go's recorder (object name + hex nanoseconds).
func (s *Scaler) recordEvent(ctx context.Context, uid types.UID, typ, reason, key, msg string, now time.Time) error {
	msg = truncateMessage(msg)
	s.evMu.Lock()
	defer s.evMu.Unlock()
	seriesKey := reason + "/" + key
	if prev, ok := s.series[seriesKey]; ok && key != "" {
		err := s.bumpEvent(ctx, prev, msg, now)
		if err == nil {
			s.series[seriesKey] = eventSeries{name: prev.name, count: prev.count + 1}
			return nil
		}
		delete(s.series, seriesKey)
		if !apierrors.IsNotFound(err) { // an expired Event starts a new one
			o := s.op("patch", "events")
			o.Name = prev.name
			return fmt.Errorf("recording %s event: %w", reason, classify(err, o))
		}
	}
	host, _ := os.Hostname()
	ts := metav1.NewTime(now)
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:      fmt.Sprintf("%s.%x", s.cfg.Deployment, now.UnixNano()),
			Namespace: s.cfg.Namespace,
		},
		InvolvedObject: corev1.ObjectReference{
			Kind:       "Deployment",
			APIVersion: "apps/v1",
			Namespace:  s.cfg.Namespace,
			Name:       s.cfg.Deployment,
			UID:        uid,
		},
		Reason:              reason,
		Message:             msg,
		Type:                typ,
		Source:              corev1.EventSource{Component: Component, Host: host},
		FirstTimestamp:      ts,
		LastTimestamp:       ts,
		Count:               1,
		Action:              "Scale",
		ReportingController: reportingController,
		ReportingInstance:   s.cfg.Identity,
	}
	created, err := s.client.CoreV1().Events(s.cfg.Namespace).Create(ctx, ev, metav1.CreateOptions{})
	if err != nil {
		o := s.op("create", "events")
		o.Name = ev.Name
		return fmt.Errorf("recording %s event: %w", reason, classify(err, o))
	}
	if key != "" {
		s.series[seriesKey] = eventSeries{name: created.Name, count: 1}
	}
	return nil
}

// bumpEvent merge-patches the count, lastTimestamp and message of an
// Event written before.
func (s *Scaler) bumpEvent(ctx context.Context, prev eventSeries, msg string, now time.Time) error {
	patch, err := json.Marshal(map[string]any{
		"count":         prev.count + 1,
		"lastTimestamp": metav1.NewTime(now),
		"message":       msg,
	})
	if err != nil {
		return err
	}
	_, err = s.client.CoreV1().Events(s.cfg.Namespace).Patch(ctx, prev.name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

// truncateMessage cuts msg to the API server's limit on a character
// boundary (a split UTF-8 sequence is invalid).
func truncateMessage(msg string) string {
	if len(msg) <= maxEventMessage {
		return msg
	}
	cut := maxEventMessage - 3
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "..."
}
