package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

// TestPollNotesChangesOutsideYeetscale: a size that somebody else set
// between polls is an event by "outside"; yeetscale's own changes, the
// first read and an unchanged size are not.
func TestPollNotesChangesOutsideYeetscale(t *testing.T) {
	ctx := context.Background()
	outside := func(s engine.Snapshot) []string {
		var out []string
		for _, e := range s.Events {
			if e.By == engine.OutsideBy {
				out = append(out, e.Message)
			}
		}
		return out
	}
	r := newRig(t, testConfig("seed"), engine.ModeAuto)
	r.ctl.Poll(ctx) // first read: 2, and yeetscale scales to 17
	r.ctl.Poll(ctx) // 17, as set
	if got := outside(r.ctl.Snapshot()); len(got) != 0 {
		t.Fatalf("events by %s after yeetscale's own change: %q", engine.OutsideBy, got)
	}
	r.sc.change(5) // kubectl scale --replicas 5
	s := r.ctl.Poll(ctx)
	if got := outside(s); len(got) != 1 || !strings.HasPrefix(got[0], "replicas 17 → 5, not by yeetscale") {
		t.Fatalf("events by %s: %q, want one for 17 → 5", engine.OutsideBy, got)
	}

	// In dry-run (a shadow of KEDA) every step of the other autoscaler is
	// one event; a failed queue read still notes it.
	d := newRig(t, testConfig("seed"), engine.ModeDryRun)
	d.ctl.Poll(ctx)
	d.sc.change(6)
	d.src.setFail(context.DeadlineExceeded)
	d.ctl.Poll(ctx)
	d.src.setFail(nil)
	d.sc.change(12)
	s = d.ctl.Poll(ctx)
	if got := outside(s); len(got) != 2 || !strings.HasPrefix(got[0], "replicas 6 → 12") || !strings.HasPrefix(got[1], "replicas 2 → 6") {
		t.Fatalf("dry-run events by %s (newest first): %q, want 6 → 12 and 2 → 6", engine.OutsideBy, got)
	}

	// An update of yeetscale's own whose response was lost (an error) but
	// which took effect is not an outside change.
	e := newRig(t, testConfig("seed"), engine.ModeAuto)
	e.sc.beforeSet = func(s *fakeScaler) { s.changeLocked(17) } // lands...
	e.sc.setErrs = []error{errors.New("unexpected EOF")}        // ...and reports an error
	if s := e.ctl.Poll(ctx); s.Err == nil {
		t.Fatal("the apply did not report its error")
	}
	e.sc.beforeSet = nil
	s = e.ctl.Poll(ctx)
	if got := outside(s); len(got) != 0 {
		t.Fatalf("yeetscale's own update taken for an outside change: %q", got)
	}
	if !strings.Contains(s.Events[0].Message, "replicas 2 → 17: the update that reported") || !strings.Contains(s.Events[0].Message, "took effect after all") {
		t.Errorf("newest event %q, want that the update took effect after all", s.Events[0].Message)
	}
}
