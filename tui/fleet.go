package tui

import (
	"context"
	"errors"
	"strings"

	"github.com/yeeter/yeetscale/engine"
)

// Fleet is what the fleet console uses of an engine.Fleet.
type Fleet interface {
	// Subscribe returns a channel that always holds the newest snapshot and
	// a function that unsubscribes.
	Subscribe() (<-chan engine.FleetSnapshot, func())
	// Controller returns the engine of the target "namespace/deployment",
	// nil when it cannot run. A target whose settings change gets a new
	// one: the console looks it up again after every snapshot.
	Controller(key string) *engine.Controller
	// SetMode switches every target (read-only puts them in dry-run).
	SetMode(m engine.Mode, by string)
}

// Optional: a Fleet that can also poll at once (r on the list) and
// republish after a command on one target (so that the list shows it at
// once) does so.
type (
	pollNower interface{ PollNow() }
	refresher interface{ Refresh() }
)

var _ Fleet = (*engine.Fleet)(nil)

// NewList returns the fleet console's model on fleet. It subscribes at once
// and shows the fleet's current snapshot from the first frame; Close
// unsubscribes.
func NewList(ctx context.Context, fleet Fleet, opts FleetOptions) *List {
	return newList(ctx, fleetSource(fleet), opts)
}

// fleetSource reads fleet's snapshots as rows; the conversion runs in the
// reading command, not in Update.
func fleetSource(fleet Fleet) listSource {
	ch, unsub := fleet.Subscribe()
	src := listSource{
		recv: func(done <-chan struct{}, block bool) (FleetRows, bool) {
			var s engine.FleetSnapshot
			var ok bool
			if block {
				select {
				case s, ok = <-ch:
				case <-done:
				}
			} else {
				select {
				case s, ok = <-ch:
				default:
				}
			}
			if !ok {
				return FleetRows{}, false
			}
			return FleetRows{Mode: s.Mode, Rows: RowsFrom(s)}, true
		},
		engine: func(key string) Engine {
			if c := fleet.Controller(key); c != nil {
				return c
			}
			return nil // not a typed nil in an interface
		},
		unsub: unsub,
	}
	if p, ok := fleet.(pollNower); ok {
		src.pollNow = p.PollNow
	}
	if r, ok := fleet.(refresher); ok {
		src.refresh = r.Refresh
	}
	return src
}

// RowsFrom turns a fleet snapshot into the list's rows.
func RowsFrom(s engine.FleetSnapshot) []TargetRow {
	rows := make([]TargetRow, len(s.Targets))
	for i, t := range s.Targets {
		c := t.Snapshot
		r := TargetRow{
			Namespace: t.Namespace, Deployment: t.Deployment, VHost: c.Config.VHost, Queues: t.Queues.String(),
			Recent: t.Recent, Current: -1, Proposed: -1, Status: t.Status,
		}
		if c.Seq > 0 {
			r.Mode, r.MinZero = c.Mode.String(), c.Config.MinReplicas == 0
			if !c.LastGoodPoll.IsZero() {
				r.Current, r.Proposed = c.Scale.Desired, c.Proposed
			}
		}
		if t.Err != nil {
			// The row names the Deployment: its error need not.
			r.Err = strings.TrimPrefix(t.Err.Error(), "deployment "+t.Key()+": ")
		}
		if c.Seq > 0 && c.Polls > 0 && t.Depths == nil && t.Err != nil {
			// The last round could not read the queues: no depth is
			// current, whatever the history's last one was.
			r.NoDepth, r.Missing = true, errors.Is(t.Err, engine.ErrNotFound)
		}
		if len(t.Depths) > 1 {
			parts := make([]string, len(t.Depths))
			for j, d := range t.Depths {
				parts[j] = d.Name + " " + commas(d.Messages)
			}
			r.PerQueue = strings.Join(parts, " · ")
		}
		rows[i] = r
	}
	return rows
}
