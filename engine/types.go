package engine

import (
	"context"
	"errors"
	"time"
)

// Rate is a per-second rate reported by the broker. A rate the broker has not
// reported yet (no traffic since the queue was declared, or before the first
// statistics refresh) is unknown, which is not the same as zero.
type Rate struct {
	PerSecond float64
	Known     bool
}

// KnownRate returns a known rate of v messages per second.
func KnownRate(v float64) Rate { return Rate{PerSecond: v, Known: true} }

// QueueStats is one observation of the queue as the broker reported it.
type QueueStats struct {
	// Messages is ready + unacknowledged, as the broker counts "messages".
	Messages int64
	// Ready is the number of messages waiting for a consumer.
	Ready int64
	// Unacked is the number of messages delivered and not yet acknowledged.
	Unacked int64
	// Consumers is the number of consumers attached to the queue.
	Consumers int
	// ConsumerUtilisation is the fraction of time the queue could deliver
	// immediately to consumers (0..1); unknown when the broker omits it.
	ConsumerUtilisation Rate
	// PublishRate, DeliverRate and AckRate come from message_stats.
	PublishRate Rate
	DeliverRate Rate
	AckRate     Rate
	// RatesFrom says how the rates were measured: RatesFromBroker (the
	// broker's own rate fields) or RatesFromCounters (the difference of the
	// cumulative publish, deliver_get and ack counters between two polls,
	// used when the broker's rate is missing, zero while the counters move,
	// or spiky). Empty when no rate is known.
	RatesFrom string
}

// Where QueueStats' rates came from.
const (
	RatesFromBroker   = "broker"
	RatesFromCounters = "counters"
)

// Scale is the worker deployment's size as last read.
type Scale struct {
	// Desired is spec.replicas: the size the deployment is asked to have.
	Desired int32
	// Current is status.replicas: pods that exist.
	Current int32
	// Ready is status.readyReplicas.
	Ready int32
	// Version is an opaque token (the resourceVersion in Kubernetes) that
	// SetScale uses to refuse overwriting a change made since this read.
	Version string
}

// ScaleRequest asks a Scaler to change the deployment's size.
type ScaleRequest struct {
	// From is the Scale the decision was based on; a Scaler must fail with
	// ErrConflict rather than overwrite a newer change.
	From Scale
	// Replicas is the new spec.replicas.
	Replicas int32
	// Reason is the decision's reason, recorded with the change.
	Reason string
	// By says who applied it: "auto", "operator", "once", ...
	By string
}

// QueueSource reads the queue's statistics (implemented by rabbit and sim).
type QueueSource interface {
	Stats(ctx context.Context) (QueueStats, error)
}

// Scaler reads and changes the worker deployment's size (implemented by kube
// and sim).
type Scaler interface {
	GetScale(ctx context.Context) (Scale, error)
	SetScale(ctx context.Context, req ScaleRequest) error
}

// MemoryStore keeps what a controller must remember between processes (the
// recent recommendations and the last change that the scale-down window
// needs), so that successive `--once` runs decide as one continuous
// controller would. The engine encodes and validates the text; the store
// only keeps it (kube keeps it in an annotation on the Deployment).
type MemoryStore interface {
	LoadMemory(ctx context.Context) (string, error)
	SaveMemory(ctx context.Context, memory string) error
}

// Clock is the controller's source of time, injected so that tests and the
// simulator run in virtual time.
type Clock interface {
	Now() time.Time
	// After waits for d like time.After.
	After(d time.Duration) <-chan time.Time
}

// Sentinel errors that adapters wrap (with %w) so that the engine, logs and
// metrics can classify a failure without knowing the adapter.
var (
	ErrNotFound     = errors.New("not found")
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	ErrUnavailable  = errors.New("unavailable")
	ErrConflict     = errors.New("conflict")
	ErrBadResponse  = errors.New("bad response")
	// ErrRefused is returned when a command is not allowed now (read-only,
	// stale data, an outdated proposal, another autoscaler in charge).
	ErrRefused = errors.New("refused")
)

// ErrorKind names the class of err for metrics and JSON output: one of
// not_found, unauthorized, forbidden, unavailable, conflict, bad_response,
// refused, canceled or other ("" for nil).
func ErrorKind(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrUnauthorized):
		return "unauthorized"
	case errors.Is(err, ErrForbidden):
		return "forbidden"
	case errors.Is(err, ErrConflict):
		return "conflict"
	case errors.Is(err, ErrBadResponse):
		return "bad_response"
	case errors.Is(err, ErrRefused):
		return "refused"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return "unavailable"
	default:
		return "other"
	}
}
