package cli

import (
	"regexp"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestPickScenarios(t *testing.T) {
	for _, tt := range []struct {
		list string
		want []string
		err  string
	}{
		{"", nil, ""},
		{"burst", []string{"burst"}, ""},
		{" burst , steady-noisy,", []string{"burst", "steady-noisy"}, ""},
		{"bursts", nil, `SCENARIO "bursts" is not a scenario of bench-vs-keda: use one or more of burst, spike-train, steady-noisy`},
		{"burst,\x1b[31m", nil, `SCENARIO "\x1b[31m"`},
	} {
		t.Run(tt.list, func(t *testing.T) {
			got, err := pickScenarios(tt.list)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "\x1b") {
					t.Errorf("error %q carries a raw escape", err)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
			for _, n := range tt.want {
				if !got[n] {
					t.Errorf("%s not picked: %v", n, got)
				}
			}
		})
	}
}

// TestVsKedaLineFormat checks the last lines against the exact
// format: numbers only after =, null where a figure does not apply.
func TestVsKedaLineFormat(t *testing.T) {
	numOrNull := `(?:[0-9]+(?:\.[0-9]+)?|null)`
	n := `[0-9]+(?:\.[0-9]+)?`
	re := regexp.MustCompile(`^vs-keda: scenario=[a-z-]+ variant=(?:plain|behavior) keda_drain_s=` + numOrNull + ` yeetscale_drain_s=` + numOrNull +
		` keda_pod_s=` + n + ` yeetscale_pod_s=` + n + ` keda_p95_s=` + numOrNull + ` yeetscale_p95_s=` + numOrNull + ` model_drain_s=` + numOrNull + ` model_pod_s=` + n + `$`)
	d := 71.26
	full := vsRun{DrainS: &d, PodS: 2770.4, Waits: []float64{1, 2, 3}}
	for _, tt := range []struct {
		name       string
		keda, yeet vsRun
		model      *float64
	}{
		{"burst", full, full, &d},
		{"steady (no drain)", vsRun{PodS: 456}, vsRun{PodS: 545, Waits: []float64{0.5}}, nil},
		{"nothing taken", vsRun{}, vsRun{}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			line := vsKedaLine("burst", "plain", tt.keda, tt.yeet, tt.model, 1930)
			if !re.MatchString(line) {
				t.Errorf("line %q does not match the issue's format", line)
			}
		})
	}
}

// TestModelRunUsesTheStartUp checks that the model's pods start as slowly
// as the lab's: a longer start-up drains the burst later.
func TestModelRunUsesTheStartUp(t *testing.T) {
	sc := vsScenarios()[0]
	var drains []float64
	for _, s := range []time.Duration{time.Second, 5 * time.Second} {
		sc.Startup = s
		r, err := modelRun(sc, "hpa-keda", 7)
		if err != nil {
			t.Fatal(err)
		}
		drains = append(drains, r.DrainS)
	}
	if drains[1] <= drains[0] {
		t.Errorf("drain with a 5 s start-up %.1fs, with 1 s %.1fs: the start-up is not in the model", drains[1], drains[0])
	}
}

func TestSyncPhase(t *testing.T) {
	rows := func(reps ...int32) vsRun {
		var r vsRun
		for i, n := range reps {
			r.Rows = append(r.Rows, vsRow{T: i, Replicas: n})
		}
		return r
	}
	for _, tt := range []struct {
		name string
		run  vsRun
		want int
	}{
		{"no change: the default", rows(2, 2, 2), 7},
		{"no rows", vsRun{}, 7},
		{"first change seen at row 15", rows(append(repeat(2, 15), 4, 4)...), 14},
		{"at row 23", rows(append(repeat(2, 23), 6)...), 7},
		{"at row 1", rows(2, 4), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := syncPhase(tt.run); got != tt.want {
				t.Errorf("syncPhase = %d, want %d", got, tt.want)
			}
		})
	}
}

func repeat(n int32, k int) []int32 {
	s := make([]int32, k)
	for i := range s {
		s[i] = n
	}
	return s
}

func TestHPAReadTotal(t *testing.T) {
	q := func(s string) *resource.Quantity { v := resource.MustParse(s); return &v }
	ext := func(c autoscalingv2.MetricValueStatus) []autoscalingv2.MetricStatus {
		return []autoscalingv2.MetricStatus{{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricStatus{Current: c}}}
	}
	active := func(s corev1.ConditionStatus) []autoscalingv2.HorizontalPodAutoscalerCondition {
		return []autoscalingv2.HorizontalPodAutoscalerCondition{{Type: autoscalingv2.ScalingActive, Status: s}}
	}
	for _, tt := range []struct {
		name string
		st   autoscalingv2.HorizontalPodAutoscalerStatus
		want int64
	}{
		{"average 4990 at 2 replicas", autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, CurrentMetrics: ext(autoscalingv2.MetricValueStatus{AverageValue: q("4990")})}, 9980},
		{"milli average", autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 3, CurrentMetrics: ext(autoscalingv2.MetricValueStatus{AverageValue: q("333334m")})}, 1000},
		{"value", autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 3, CurrentMetrics: ext(autoscalingv2.MetricValueStatus{Value: q("700")})}, 700},
		{"no metric yet", autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 2}, -1},
		{"last read failed", autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, Conditions: active(corev1.ConditionFalse),
			CurrentMetrics: ext(autoscalingv2.MetricValueStatus{AverageValue: q("10")})}, -1},
		{"active", autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, Conditions: active(corev1.ConditionTrue),
			CurrentMetrics: ext(autoscalingv2.MetricValueStatus{AverageValue: q("10")})}, 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := hpaReadTotal(tt.st); got != tt.want {
				t.Errorf("hpaReadTotal = %d, want %d", got, tt.want)
			}
		})
	}
}
