package engine

import "testing"

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"yeeter.simulation.orders", "yeeter.simulation.orders"},
		{"ünïcødé ✓", "ünïcødé ✓"},
		{"\x1b]0;pwned\a", `\x1b]0;pwned\x07`},
		{"\x1b[2J", `\x1b[2J`},
		{"a\nb\r\tc", `a\nb\r\tc`},
		{"del\x7f", `del\x7f`},
		{"c1\u009b31m", `c1\u009b31m`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Printable(tt.in); got != tt.want {
			t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPrintableCleanDoesNotAllocate(t *testing.T) {
	s := "yeeter.simulation.orders"
	if n := testing.AllocsPerRun(100, func() { _ = Printable(s) }); n != 0 {
		t.Fatalf("Printable of a clean string allocated %v times", n)
	}
}
