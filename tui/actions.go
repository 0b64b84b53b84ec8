package tui

import (
	"fmt"
	"math"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/yeeter/yeetscale/engine"
)

// key turns a key press into an engine command.
func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	k := &m.keys
	if m.form != nil {
		return m.formKey(msg)
	}
	if c := m.confirm; c != nil {
		switch {
		case key.Matches(msg, k.Yes):
			m.confirm = nil
			return c.yes()
		case msg.String() == "ctrl+c":
			return tea.Quit
		case key.Matches(msg, k.No), key.Matches(msg, k.Quit):
			m.confirm, m.notice = nil, "cancelled"
		}
		return nil
	}
	m.notice = ""
	switch {
	case key.Matches(msg, k.Quit):
		return tea.Quit
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.layout()
		return nil
	case key.Matches(msg, k.Refresh):
		return m.do("poll now", "polling now", func() error { m.eng.PollNow(); return nil })
	case key.Matches(msg, k.Pods):
		return m.togglePods()
	}
	if m.opts.ReadOnly {
		return nil // bindings are disabled; this is a second lock on the door
	}
	switch {
	case key.Matches(msg, k.Approve):
		return m.approve()
	case key.Matches(msg, k.Auto):
		return m.toggleAuto()
	case key.Matches(msg, k.DryRun):
		return m.toggle(engine.ModeDryRun)
	case key.Matches(msg, k.Pause):
		return m.toggle(engine.ModePaused)
	case key.Matches(msg, k.Set):
		m.form, m.notice = newSetForm(m.cfg.MinReplicas, m.cfg.MaxReplicas, m.cfg.TargetMessages), ""
		return nil
	case key.Matches(msg, k.MinDown):
		return m.adjustClamp(-1, 0)
	case key.Matches(msg, k.MinUp):
		return m.adjustClamp(+1, 0)
	case key.Matches(msg, k.MaxDown):
		return m.adjustClamp(0, -1)
	case key.Matches(msg, k.MaxUp):
		return m.adjustClamp(0, +1)
	case key.Matches(msg, k.TargetDn):
		return m.stepTarget(-1)
	case key.Matches(msg, k.TargetUp):
		return m.stepTarget(+1)
	}
	return nil
}

// approve applies the proposal, asking first when it removes more than half
// of the replicas.
func (m *Model) approve() tea.Cmd {
	s := m.snap
	run := func() tea.Cmd {
		note := "approved"
		if s.Pending {
			note = fmt.Sprintf("approved: scaling %d → %d replicas", s.Scale.Desired, s.Proposed)
		}
		ctx, eng, by := m.ctx, m.eng, m.opts.By
		from, to := s.Scale.Desired, s.Proposed
		return m.do("approve", note, func() error { return eng.ApproveProposal(ctx, by, from, to) })
	}
	if s.Pending && largeScaleDown(s.Scale.Desired, s.Proposed) {
		m.confirm = &confirmation{
			question: fmt.Sprintf("Scale DOWN %d → %d, removing %d of %d replicas?", s.Scale.Desired, s.Proposed, s.Scale.Desired-s.Proposed, s.Scale.Desired),
			yes:      run,
		}
		return nil
	}
	return run()
}

// toggleAuto turns auto-apply off at once, or on after a confirmation.
func (m *Model) toggleAuto() tea.Cmd {
	eng, by := m.eng, m.opts.By
	if m.snap.Mode == engine.ModeAuto {
		return m.do("auto-apply off", "auto-apply off: proposals wait for approval", func() error { eng.SetMode(engine.ModeManual, by); return nil })
	}
	q := "Turn auto-apply ON? Every proposal will be applied without asking"
	if s := m.snap; s.Pending && s.Proposed >= 0 {
		q += fmt.Sprintf(", starting with %d → %d", s.Scale.Desired, s.Proposed)
	}
	m.confirm = &confirmation{question: q + ".", yes: func() tea.Cmd {
		return m.do("auto-apply on", "auto-apply on", func() error { eng.SetMode(engine.ModeAuto, by); return nil })
	}}
	return nil
}

// toggle switches dry-run or pause on or off.
func (m *Model) toggle(mode engine.Mode) tea.Cmd {
	eng, by := m.eng, m.opts.By
	note := mode.String() + " on"
	if m.snap.Mode == mode {
		note = mode.String() + " off"
	}
	return m.do(mode.String(), note, func() error { eng.Toggle(mode, by); return nil })
}

// adjustClamp moves the replica range by (dMin, dMax). The engine applies
// the step to the range in force when it runs, so quick presses add up in
// any order; the model's copy moves at once for the screen and for
// refusing steps outside what the engine accepts without a round trip.
func (m *Model) adjustClamp(dMin, dMax int32) tea.Cmd {
	minR, maxR := m.cfg.MinReplicas+dMin, m.cfg.MaxReplicas+dMax
	if problem := clampProblem(minR, maxR); problem != "" {
		m.notice = problem
		return nil
	}
	m.cfg.MinReplicas, m.cfg.MaxReplicas = minR, maxR
	eng, by := m.eng, m.opts.By
	return m.do("clamp", fmt.Sprintf("clamp set to %d–%d replicas", minR, maxR), func() error { return eng.AdjustClamp(dMin, dMax, by) })
}

// clampProblem says why [minR, maxR] cannot be the clamp ("" if it can).
func clampProblem(minR, maxR int32) string {
	switch {
	case minR < 0:
		return "min replicas is already 0"
	case maxR < 1:
		return "max replicas must stay at least 1"
	case minR > maxR:
		return fmt.Sprintf("min %d cannot exceed max %d", minR, maxR)
	case maxR > engine.MaxReplicasLimit:
		return fmt.Sprintf("max replicas is at most %d", engine.MaxReplicasLimit)
	}
	return ""
}

// stepTarget moves the target messages per replica one round step up
// (dir > 0) or down; like adjustClamp, the engine takes the step from the
// target in force when it runs.
func (m *Model) stepTarget(dir int) tea.Cmd {
	n := stepTarget(m.cfg.TargetMessages, dir)
	if n == m.cfg.TargetMessages {
		return nil
	}
	m.cfg.TargetMessages = n
	eng, by := m.eng, m.opts.By
	step := func(cur int64) int64 { return stepTarget(cur, dir) }
	return m.do("target", fmt.Sprintf("target set to %s messages per replica", commas(n)), func() error { return eng.AdjustTarget(step, by) })
}

// stepTarget returns the next round target above (dir > 0) or below n:
// 1, 1.5, 2, 2.5, 3, 4, 5, 7.5 times a power of ten.
func stepTarget(n int64, dir int) int64 {
	var ladder []int64
	for p := int64(1); p <= engine.MaxTargetMessages; p *= 10 {
		for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 7.5} {
			if v := int64(math.Round(m * float64(p))); v >= 1 && v <= engine.MaxTargetMessages && (len(ladder) == 0 || v > ladder[len(ladder)-1]) {
				ladder = append(ladder, v)
			}
		}
	}
	if dir > 0 {
		for _, v := range ladder {
			if v > n {
				return v
			}
		}
		return engine.MaxTargetMessages
	}
	for i := len(ladder) - 1; i >= 0; i-- {
		if ladder[i] < n {
			return ladder[i]
		}
	}
	return 1
}
