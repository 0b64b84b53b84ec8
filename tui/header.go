package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/yeeter/yeetscale/engine"
)

// headerHeight is the header's lines: what is watched and the mode, then
// the freshness of the data.
const headerHeight = 2

// header shows the context, deployment and queue, the mode badge, and how
// fresh the data is.
type header struct {
	st   *Styles
	opts Options
	keys *KeyMap
	w    int
	snap engine.Snapshot
	now  time.Time
}

// SetSize implements component (the height is fixed).
func (h *header) SetSize(w, _ int) { h.w = w }

// View implements component.
func (h *header) View() string {
	st, o := h.st, h.opts
	where := st.Title.Render("yeetscale") + "  " + label(o.Context) + st.Dim.Render(" · ") +
		label(o.Namespace) + "/" + st.Bold.Render(label(o.Deployment)) + st.Dim.Render(" · ") +
		"vhost " + label(o.VHost) + " " + st.Bold.Render(label(o.Queue))
	l1 := spread(where, st.badge(badgeName(h.snap.Mode, o.ReadOnly)), h.w, true)
	l2 := h.freshness()
	l2 = spread(l2, st.Dim.Render(h.hint(h.w-lipgloss.Width(l2)-2)), h.w, false)
	return l1 + "\n" + l2
}

// hint is Options.Hint and, with AutoHint, what the auto key does now,
// within w cells if it can: when both do not fit, the key's hint alone.
func (h *header) hint(w int) string {
	auto := h.autoHint()
	switch {
	case auto == "":
		return h.opts.Hint
	case h.opts.Hint == "":
		return auto
	}
	both := h.opts.Hint + " · " + auto
	if lipgloss.Width(both) > w && lipgloss.Width(auto) <= w {
		return auto
	}
	return both
}

// autoHint is what the auto key does in the mode shown, "" without
// Options.AutoHint or with the key disabled (read-only).
func (h *header) autoHint() string {
	if !h.opts.AutoHint || h.keys == nil || !h.keys.Auto.Enabled() {
		return ""
	}
	k := h.keys.Auto.Help().Key
	if h.snap.Mode == engine.ModeAuto {
		return k + ": auto off, approve by hand"
	}
	return k + ": auto on"
}

// freshness says when the data was last read, as a warning when stale.
func (h *header) freshness() string {
	st, s := h.st, h.snap
	switch {
	case s.Polls == 0:
		return st.Dim.Render("○ connecting: first poll running…")
	case s.LastGoodPoll.IsZero():
		return st.Warn.Render("⚠ NO DATA: " + plural(int64(s.ConsecutiveErrors), "poll") + " failed, none succeeded")
	}
	a := s.Age(h.now)
	if stale := s.Stale || a > 2*s.Config.PollInterval; stale || s.ConsecutiveErrors > 0 {
		// From the first failed poll on: the figures shown are that old.
		t := "⚠ last good poll " + age(a) + " ago"
		if stale {
			t = "⚠ STALE: last good poll " + age(a) + " ago"
		}
		if s.ConsecutiveErrors > 0 {
			t += " (" + plural(int64(s.ConsecutiveErrors), "failed poll") + " since)"
		}
		return st.Warn.Render(t)
	}
	parts := []string{st.OK.Render("●") + " polled " + age(a) + " ago"}
	if !s.NextPoll.IsZero() {
		if n := s.NextPoll.Sub(h.now); n > 0 {
			parts = append(parts, "next in "+age(n))
		} else {
			parts = append(parts, "polling…")
		}
	}
	parts = append(parts, "every "+age(s.Config.PollInterval))
	return strings.Join(parts, st.Dim.Render(" · "))
}
