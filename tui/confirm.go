package tui

import tea "github.com/charmbracelet/bubbletea"

// confirmation is a y/n question asked before a risky command.
type confirmation struct {
	question string
	yes      func() tea.Cmd
}

// largeScaleDown reports whether going from cur to next replicas removes
// more than half of them.
func largeScaleDown(cur, next int32) bool {
	return next >= 0 && cur > 0 && 2*(cur-next) > cur
}
