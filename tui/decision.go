package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/yeeter/yeetscale/engine"
)

// decisionHeight is the decision panel's lines: what happens next, and why
// (wrapped on up to two lines).
const decisionHeight = 3

// decision says in plain words what will happen next and why.
type decision struct {
	st       *Styles
	keys     *KeyMap
	readOnly bool
	w        int
	snap     engine.Snapshot
	now      time.Time
}

// SetSize implements component (the height is fixed).
func (d *decision) SetSize(w, _ int) { d.w = w }

// View implements component.
func (d *decision) View() string {
	st := d.st
	why := engine.Printable(d.snap.Decision.Reason)
	if why == "" {
		why = st.Dim.Render("no decision yet")
	}
	lines := []string{fit(st.Bold.Render("NEXT ")+" "+d.next(), d.w)}
	why = lipgloss.NewStyle().Width(d.w - 6).Render(why)
	for i, l := range strings.SplitN(why, "\n", decisionHeight) {
		head := "      "
		if i == 0 {
			head = st.Dim.Render("WHY  ") + " "
		}
		if i == decisionHeight-2 && strings.Count(why, "\n") > i {
			l += "…"
		}
		if i < decisionHeight-1 {
			lines = append(lines, fit(head+l, d.w))
		}
	}
	for len(lines) < decisionHeight {
		lines = append(lines, strings.Repeat(" ", d.w))
	}
	return strings.Join(lines, "\n")
}

// next is what the console expects to happen next.
func (d *decision) next() string {
	st, s := d.st, d.snap
	from, to := s.Scale.Desired, s.Proposed
	move := fmt.Sprintf("%d → %d replicas", from, to)
	switch {
	case s.Polls == 0:
		return st.Dim.Render("waiting for the first poll…")
	case s.LastGoodPoll.IsZero():
		// Not "holding at 0": the size may never have been read.
		return st.Warn.Render("no decision possible") + ": no poll has succeeded yet, nothing is applied"
	case s.Mode == engine.ModePaused:
		return st.Warn.Render("paused") + ": polling continues, nothing is proposed or applied" + d.hint(d.keys.Pause, "resume")
	case s.Decision.Held || (s.Err != nil && s.ConsecutiveErrors > 0):
		return st.Warn.Render("holding at "+replicaCount(from)) + ": the data cannot be trusted"
	case !s.Pending || to < 0:
		t := st.OK.Render("steady at " + replicaCount(from))
		if s.Mode == engine.ModeAuto && !d.readOnly {
			t += st.Dim.Render(" · auto-apply is on")
		}
		return t
	case d.readOnly:
		return "read-only: would scale " + st.Warn.Render(move) + ", nothing is applied"
	case s.Mode == engine.ModeDryRun:
		return "dry-run: would scale " + st.Warn.Render(move) + ", nothing is applied"
	case s.Mode == engine.ModeAuto:
		t := "auto-apply: scaling " + st.Warn.Render(move) + " at the next poll"
		if n := s.NextPoll.Sub(d.now); !s.NextPoll.IsZero() && n > 0 {
			t += " (in " + age(n) + ")"
		}
		return t
	default:
		return "proposed: scale " + st.Warn.Render(move) + d.hint(d.keys.Approve, "approve")
	}
}

// hint is " · press K to VERB" for an enabled binding.
func (d *decision) hint(b key.Binding, verb string) string {
	if !b.Enabled() {
		return ""
	}
	return d.st.Dim.Render(" · press ") + d.st.Key.Render(b.Help().Key) + d.st.Dim.Render(" to "+verb)
}
