package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// setForm is the one-line form behind the Set key: the operator types the
// exact clamp and target ("2 40 250") instead of stepping there key by key.
type setForm struct {
	input textinput.Model
}

// newSetForm returns the form filled with the current min, max and target.
func newSetForm(minR, maxR int32, target int64) *setForm {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = "MIN MAX [TARGET]"
	in.CharLimit = 40
	in.Cursor.SetMode(cursor.CursorStatic) // no blink ticks: nothing to redraw
	in.SetValue(fmt.Sprintf("%d %d %d", minR, maxR, target))
	in.CursorEnd()
	in.Focus()
	return &setForm{input: in}
}

// parseSet reads "MIN MAX" or "MIN MAX TARGET"; target is 0 when absent.
func parseSet(s string) (minR, maxR int32, target int64, err error) {
	f := strings.Fields(s)
	if len(f) != 2 && len(f) != 3 {
		return 0, 0, 0, fmt.Errorf("type MIN MAX or MIN MAX TARGET, e.g. \"2 40 250\"")
	}
	n := make([]int64, len(f))
	for i, w := range f {
		v, perr := strconv.ParseInt(strings.ReplaceAll(w, ",", ""), 10, 64)
		if perr != nil || v < 0 {
			return 0, 0, 0, fmt.Errorf("%q is not a whole number of 0 or more", w)
		}
		n[i] = v
	}
	if n[0] > 1<<30 || n[1] > 1<<30 {
		return 0, 0, 0, fmt.Errorf("replica counts that large are a typo")
	}
	if len(n) == 3 {
		if n[2] < 1 {
			return 0, 0, 0, fmt.Errorf("the target must be at least 1 message per replica")
		}
		target = n[2]
	}
	return int32(n[0]), int32(n[1]), target, nil
}

// formKey handles a key while the form is open: enter applies, esc
// cancels, anything else edits the line.
func (m *Model) formKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.String() {
	case "ctrl+c":
		return tea.Quit
	case "esc":
		m.form, m.notice = nil, "cancelled"
		return nil
	case "enter":
		minR, maxR, target, err := parseSet(m.form.input.Value())
		if err != nil {
			m.notice = err.Error()
			return nil
		}
		if problem := clampProblem(minR, maxR); problem != "" {
			m.notice = problem
			return nil
		}
		m.form = nil
		m.cfg.MinReplicas, m.cfg.MaxReplicas = minR, maxR
		note := fmt.Sprintf("clamp set to %d–%d replicas", minR, maxR)
		if target > 0 {
			m.cfg.TargetMessages = target
			note += fmt.Sprintf(", target %s messages per replica", commas(target))
		}
		eng, by := m.eng, m.opts.By
		return m.do("set", note, func() error {
			if err := eng.SetClamp(minR, maxR, by); err != nil {
				return err
			}
			if target > 0 {
				return eng.SetTarget(target, by)
			}
			return nil
		})
	}
	m.notice = ""
	var cmd tea.Cmd
	m.form.input, cmd = m.form.input.Update(msg)
	return cmd
}
