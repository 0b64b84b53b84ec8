package cli

import (
	"math"

	"github.com/yeeter/yeetscale/engine"
)

// pollAttrs are the attributes of a poll's "decision" (or "decision not
// applied") log line, in the single-target and the fleet logs alike: the
// queue's counts, its rates (a rate the broker did not give is left out,
// never logged as 0) and where they came from, the replicas and the
// decision with its reason.
func pollAttrs(s engine.Snapshot) []any {
	st := s.Stats
	a := []any{"messages", st.Messages, "ready", st.Ready, "unacked", st.Unacked, "consumers", st.Consumers}
	for _, r := range []struct {
		name string
		rate engine.Rate
	}{{"publish_rate", st.PublishRate}, {"deliver_rate", st.DeliverRate}, {"ack_rate", st.AckRate}} {
		if r.rate.Known {
			a = append(a, r.name, math.Round(r.rate.PerSecond*100)/100)
		}
	}
	if st.RatesFrom != "" {
		a = append(a, "rates_from", engine.Printable(st.RatesFrom))
	}
	return append(a, "replicas", s.Scale.Desired, "ready_replicas", s.Scale.Ready, "desired", s.Decision.Desired, "reason", engine.Printable(s.Decision.Reason))
}
