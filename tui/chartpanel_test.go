package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// TestChartPanelsFillTheirSize checks the component's promise for both
// panels: after SetSize (and after a snapshot), the view is exactly w x h
// cells, chart and legend included; too small for a border, it is empty.
func TestChartPanelsFillTheirSize(t *testing.T) {
	st := NewStyles(nil, true)
	panels := map[string]func(*Styles, *time.Location) *chartPanel{"queue": newQueuePanel, "replicas": newReplicasPanel}
	for name, newPanel := range panels {
		for _, sz := range [][2]int{{96, 40}, {48, 18}, {30, 6}, {20, 5}} {
			t.Run(fmt.Sprintf("%s %dx%d", name, sz[0], sz[1]), func(t *testing.T) {
				p := newPanel(st, time.UTC)
				p.SetSnapshot(handSnapshot(6, 3, engine.ModeManual))
				p.SetSize(sz[0], sz[1])
				v := p.View()
				lines := strings.Split(v, "\n")
				if len(lines) != sz[1] {
					t.Fatalf("%d lines, want %d:\n%s", len(lines), sz[1], v)
				}
				for i, l := range lines {
					if w := lipglossWidth(l); w != sz[0] {
						t.Errorf("line %d is %d cells, want %d: %q", i, w, sz[0], l)
					}
				}
			})
		}
	}
	p := newQueuePanel(st, time.UTC)
	if p.SetSize(4, 2); p.View() != "" {
		t.Errorf("a 4x2 panel has no room inside its border: want an empty view, got %q", p.View())
	}
}
