package tui

import (
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/golden"
)

func TestChartSurvivesBadSeries(t *testing.T) {
	long := make([]float64, 100_000)
	for i := range long {
		long[i] = float64(i % 977)
	}
	inf, nan := math.Inf(1), math.NaN()
	tests := []struct {
		name         string
		main, second []float64
		w, h         int
		integer      bool
	}{
		{"nil", nil, nil, 40, 10, false},
		{"empty", []float64{}, []float64{}, 40, 10, false},
		{"single point", []float64{7}, nil, 40, 10, false},
		{"flat zero", []float64{0, 0, 0, 0}, []float64{0, 0, 0, 0}, 40, 10, false},
		{"flat", []float64{5000, 5000, 5000}, nil, 40, 10, false},
		{"flat integer", []float64{3, 3, 3}, []float64{3, 3, 3}, 30, 8, true},
		{"all NaN", []float64{nan, nan, nan}, []float64{nan}, 40, 10, false},
		{"NaN inside", []float64{1, nan, 3, nan}, []float64{nan, 2, nan, 4}, 40, 10, true},
		{"+Inf", []float64{1, inf, 3}, nil, 40, 10, false},
		{"-Inf and negative", []float64{math.Inf(-1), -5, 3}, []float64{-1, -2, -3}, 40, 10, false},
		{"huge", []float64{1e300, math.MaxFloat64, 0}, []float64{1e18}, 40, 10, false},
		{"long series", long, long[:50_000], 150, 30, false},
		{"mismatched lengths", []float64{1, 2, 3, 4, 5, 6}, []float64{9, 8}, 40, 10, true},
		{"tiny width", []float64{1, 2, 3}, nil, 5, 10, false},
		{"minimum width", []float64{1, 2, 3}, nil, 12, 2, false},
		{"height one", []float64{1, 2, 3}, nil, 40, 1, false},
		{"zero size", []float64{1, 2, 3}, nil, 0, 0, false},
		{"negative size", []float64{1, 2, 3}, nil, -3, -1, false},
	}
	st := NewStyles(nil, true)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := renderChart(st, chartSpec{Width: tt.w, Height: tt.h, Main: tt.main, Second: tt.second, Integer: tt.integer, Empty: "no data"})
			if tt.w <= 0 || tt.h <= 0 {
				if out != "" {
					t.Fatalf("want nothing for a %dx%d chart, got %q", tt.w, tt.h, out)
				}
				return
			}
			lines := strings.Split(out, "\n")
			if len(lines) != tt.h {
				t.Fatalf("got %d lines, want %d:\n%s", len(lines), tt.h, out)
			}
			for i, l := range lines {
				if w := lipgloss.Width(l); w != tt.w {
					t.Fatalf("line %d is %d cells, want %d: %q", i, w, tt.w, l)
				}
			}
			if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
				t.Fatalf("chart shows NaN or Inf:\n%s", out)
			}
		})
	}
}

func TestDownsampleKeepsSpikes(t *testing.T) {
	s := make([]float64, 1000)
	s[517] = 99
	got := downsample(s, 10)
	if len(got) != 10 || got[5] != 99 {
		t.Fatalf("downsample lost the spike: %v", got)
	}
	if got := downsample([]float64{1, 2}, 10); len(got) != 2 {
		t.Fatalf("short series changed: %v", got)
	}
}

func TestChartColoursOnlyWhenAllowed(t *testing.T) {
	series := []float64{1, 5, 3, 8}
	plain := renderChart(NewStyles(nil, true), chartSpec{Width: 30, Height: 6, Main: series, Second: series})
	if strings.Contains(plain, "\x1b[") {
		t.Fatalf("no-colour chart has escape codes: %q", plain)
	}
	t.Setenv("NO_COLOR", "1")
	if out := renderChart(NewStyles(colourRenderer(), false), chartSpec{Width: 30, Height: 6, Main: series}); strings.Contains(out, "\x1b[") {
		t.Fatalf("NO_COLOR chart has escape codes: %q", out)
	}
	t.Setenv("NO_COLOR", "")
	if out := renderChart(NewStyles(colourRenderer(), false), chartSpec{Width: 30, Height: 6, Main: series}); !strings.Contains(out, "\x1b[") {
		t.Fatalf("colour chart has no colour: %q", out)
	}
}

func TestChartGolden(t *testing.T) {
	var burst, unacked []float64
	for i := 0; i < 120; i++ {
		v := 10000 * math.Exp(-float64(i)/30)
		if i < 3 {
			v = float64(i) * 100
		}
		burst, unacked = append(burst, v), append(unacked, math.Min(40, v))
	}
	out := renderChart(NewStyles(nil, true), chartSpec{Width: 60, Height: 12, Main: burst, Second: unacked})
	golden.RequireEqual(t, []byte(out))
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{commas(0), "0"}, {commas(999), "999"}, {commas(1000), "1,000"}, {commas(-1234567), "-1,234,567"},
		{compact(0), "0"}, {compact(9999), "9,999"}, {compact(12345), "12.3k"}, {compact(123456), "123k"},
		{compact(2.5e6), "2.5M"}, {compact(0.25), "0.2"}, {compact(math.Inf(1)), "?"}, {compact(1e300), "1e+300"},
		{rate(engineRate(0, false)), "—"}, {rate(engineRate(0, true)), "0.0/s"}, {rate(engineRate(1234.4, true)), "1,234/s"},
		{rate(engineRate(math.NaN(), true)), "—"}, {age(0), "0s"}, {age(125e9), "2m05s"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestStepTarget(t *testing.T) {
	tests := []struct {
		n    int64
		dir  int
		want int64
	}{{50, 1, 75}, {50, -1, 40}, {250, 1, 300}, {1, -1, 1}, {1, 1, 2}, {63, 1, 75}, {63, -1, 50}, {1_000_000_000, 1, 1_000_000_000}}
	for _, tt := range tests {
		if got := stepTarget(tt.n, tt.dir); got != tt.want {
			t.Errorf("stepTarget(%d, %d) = %d, want %d", tt.n, tt.dir, got, tt.want)
		}
	}
}
