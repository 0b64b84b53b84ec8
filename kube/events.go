package kube

import (
	"context"
	"fmt"
	"os"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
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
)

// recordEvent writes one core/v1 Event about the Deployment synchronously,
// so that it is stored before a one-shot process exits. The name follows
// client-go's recorder (object name + hex nanoseconds).
func (s *Scaler) recordEvent(ctx context.Context, uid types.UID, typ, reason, msg string, now time.Time) error {
	if len(msg) > maxEventMessage {
		// Cut on a character boundary: a split UTF-8 sequence is invalid.
		cut := maxEventMessage - 3
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "..."
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
	if _, err := s.client.CoreV1().Events(s.cfg.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		o := s.op("create", "events")
		o.Name = ev.Name
		return fmt.Errorf("recording %s event: %w", reason, classify(err, o))
	}
	return nil
}
