package tui

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// commas formats n with thousands separators: 12345 -> "12,345".
func commas(n int64) string { return engine.Thousands(n) }

// rate formats a broker rate; an unknown rate is "—", never 0.
func rate(r engine.Rate) string {
	if !r.Known || math.IsNaN(r.PerSecond) || math.IsInf(r.PerSecond, 0) {
		return "—"
	}
	v := r.PerSecond
	switch {
	case v >= 10_000:
		return compact(v) + "/s"
	case v >= 100:
		return commas(int64(math.Round(v))) + "/s"
	default:
		return strconv.FormatFloat(v, 'f', 1, 64) + "/s"
	}
}

// compact formats v in at most 6 cells: 950, 9,999, 12.3k, 123k, 1.23M, 1e+30.
func compact(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "?"
	case v < 0:
		return "-" + compact(-v)
	case v < 10_000:
		if v == math.Trunc(v) || v >= 100 {
			return commas(int64(math.Round(v)))
		}
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	for _, u := range []struct {
		div  float64
		unit string
	}{{1e3, "k"}, {1e6, "M"}, {1e9, "G"}, {1e12, "T"}} {
		x := v / u.div
		switch {
		case x < 100:
			return strconv.FormatFloat(x, 'f', 1, 64) + u.unit
		case x < 999.5:
			return strconv.FormatFloat(x, 'f', 0, 64) + u.unit
		}
	}
	return strconv.FormatFloat(v, 'e', 0, 64)
}

// age formats a duration for "polled 3s ago": 3s, 2m05s, 1h02m.
func age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 100*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

// label returns s with its control characters escaped (names come from
// flags and the kubeconfig), or "?" when it is empty.
func label(s string) string {
	if s == "" {
		return "?"
	}
	return engine.Printable(s)
}

// replicaCount says "1 replica" or "N replicas".
func replicaCount(n int32) string {
	if n == 1 {
		return "1 replica"
	}
	return commas(int64(n)) + " replicas"
}
