package tui

import (
	"testing"

	"github.com/charmbracelet/lipgloss"
)

// TestCellsWithoutDepthOrQueues: a target whose last poll could not read
// its queues shows no depth ("missing" when a queue is not on the broker),
// never its last or a zero one; one that cannot run (an invalid
// annotation) shows "—" for its queues, not "?".
func TestCellsWithoutDepthOrQueues(t *testing.T) {
	tests := []struct {
		name          string
		row           TargetRow
		depth, queues string
	}{
		{"read", TargetRow{Queues: "orders", Recent: []int64{0, 7}}, "7", "orders"},
		{"read empty", TargetRow{Queues: "orders", Recent: []int64{0}}, "0", "orders"},
		{"queue missing, never read", TargetRow{Queues: "orders", NoDepth: true, Missing: true}, "missing", "orders"},
		{"queue gone since", TargetRow{Queues: "orders", Recent: []int64{5, 5}, NoDepth: true, Missing: true}, "missing", "orders"},
		{"vhost forbidden", TargetRow{Queues: "orders", Recent: []int64{5}, NoDepth: true}, "—", "orders"},
		{"invalid annotation", TargetRow{Current: -1, Proposed: -1, Err: "bad"}, "—", "—"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.row.cells(listColumns(120))
			if c[colDepth] != tt.depth || c[colQueues] != tt.queues {
				t.Fatalf("depth %q queues %q, want %q %q", c[colDepth], c[colQueues], tt.depth, tt.queues)
			}
		})
	}
}

// TestNameCell: a name too long for its column keeps the deployment's
// name: the namespace is cut first, then the deployment's middle.
func TestNameCell(t *testing.T) {
	tests := []struct {
		ns, dep string
		w       int
		want    string
	}{
		{"prod", "orders", 20, "prod/orders"},
		{"prod", "orders", 11, "prod/orders"},
		{"team-payments-eu-west", "orders-worker", 24, "team-paym…/orders-worker"},
		{"team-payments-eu-west", "orders-worker", 18, "tea…/orders-worker"},
		{"team-payments-eu-west", "orders-worker", 17, "te…/orders-worker"},
		{"team-payments-eu-west", "orders-worker", 16, "…/orders-worker"},
		{"team-payments-eu-west", "orders-worker", 14, "…/order…worker"},
		{"ns", "a-very-long-deployment-name-indeed", 20, "…/a-very-l…me-indeed"},
		{"ns", "日本語の長いデプロイメント", 12, "…/日本…ント"},
		{"ns", "deploy", 2, "…/"},
	}
	for _, tt := range tests {
		got := nameCell(tt.ns, tt.dep, tt.w)
		if got != tt.want || lipgloss.Width(got) > max(tt.w, 2) {
			t.Errorf("nameCell(%q, %q, %d) = %q (%d cells), want %q", tt.ns, tt.dep, tt.w, got, lipgloss.Width(got), tt.want)
		}
	}
}
