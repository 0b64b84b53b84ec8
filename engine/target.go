package engine

import (
	"context"
	"strings"
)

// Combine is how the depths of several queues make one (KEDA's
// "operation").
type Combine string

// Ways of combining several queues.
const (
	// CombineSum adds the queues' counts, consumers and known rates.
	CombineSum Combine = "sum"
	// CombineMax takes the deepest queue's statistics.
	CombineMax Combine = "max"
)

// QueueSet names the queues that drive a target.
type QueueSet struct {
	// Names is an explicit list (one name for today's --queue).
	Names []string
	// Pattern is a regular expression matched, anchored at both ends,
	// against the vhost's queue names; "" when Names is used.
	Pattern string
	// Combine is how several queues make one depth (default sum).
	Combine Combine
}

// String is the set as an operator reads it: "a", "a+b", "max(a,b)" or
// "/re/".
func (q QueueSet) String() string {
	s := strings.Join(q.Names, ",")
	if q.Pattern != "" {
		s = "/" + q.Pattern + "/"
	}
	if q.Combine == CombineMax && (q.Pattern != "" || len(q.Names) > 1) {
		s = "max(" + s + ")"
	}
	return Printable(s)
}

// Target is one Deployment, the queues that drive it and its settings.
type Target struct {
	Namespace  string
	Deployment string
	// Config holds the settings (the flags' values under the Deployment's
	// annotations); Config.VHost is the queues' vhost.
	Config Config
	Queues QueueSet
	// Err says why the target cannot run (an invalid annotation): it is
	// shown and held, never scaled.
	Err error
	// Scaler scales this Deployment (nil when Err is set).
	Scaler Scaler
	// Memory, when set, keeps the controller's memory between processes.
	Memory MemoryStore
	// Pods, when set, chooses the pods of its scale-downs (see
	// Controller.SetPodChooser).
	Pods PodChooser
}

// Key is "namespace/deployment", unique in a fleet.
func (t Target) Key() string { return t.Namespace + "/" + t.Deployment }

// TargetSource follows the set of targets: kube's informer on annotated
// Deployments, or one fixed target from the flags.
type TargetSource interface {
	// Targets returns the current set, sorted by key.
	Targets() []Target
	// Changed receives (capacity 1, never blocking the sender) when the
	// set or a target changed.
	Changed() <-chan struct{}
}

// QueueLister reads every queue of one vhost in one paginated request per
// page (implemented by rabbit).
type QueueLister interface {
	// ListQueues returns the statistics of every queue of vhost, by name.
	// A failure of the whole vhost (forbidden, unavailable) is an error.
	ListQueues(ctx context.Context, vhost string) (map[string]QueueStats, error)
}

// QueueDepth is one queue's share of a target, for the console.
type QueueDepth struct {
	Name     string
	Messages int64
	Ready    int64
	Unacked  int64
}
