package cli

import (
	"context"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// hpaMetric is the queue length KEDA's HPA in ns read at its last sync: the
// external metric's average value times the replicas it was read at (the
// QueueLength trigger is an AverageValue target), or -1 for yeetscale's
// runs, before the first read and when the last read failed.
func (l *kedaLab) hpaMetric(ctx context.Context, ns, kind string) int64 {
	if kind == "yeetscale" {
		return -1
	}
	list, err := l.cp.Client.AutoscalingV2().HorizontalPodAutoscalers(ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) == 0 {
		return -1
	}
	return hpaReadTotal(list.Items[0].Status)
}

// hpaReadTotal is hpaMetric's reading of one HPA status.
func hpaReadTotal(st autoscalingv2.HorizontalPodAutoscalerStatus) int64 {
	for _, c := range st.Conditions {
		if c.Type == autoscalingv2.ScalingActive && c.Status != corev1.ConditionTrue {
			return -1
		}
	}
	for _, m := range st.CurrentMetrics {
		if m.External == nil {
			continue
		}
		switch {
		case m.External.Current.AverageValue != nil:
			return (m.External.Current.AverageValue.MilliValue()*int64(st.CurrentReplicas) + 500) / 1000
		case m.External.Current.Value != nil:
			return m.External.Current.Value.Value()
		}
	}
	return -1
}

// syncPhase is the second, on the HPA's 15 s grid, at which the real HPA of
// run synced: the first change of replicas it made happened in (row-1, row],
// which the simulator's whole seconds count as row-1. Without a change it
// is the simulator's default, 7.
func syncPhase(run vsRun) int {
	prev := int32(-1)
	for _, row := range run.Rows {
		if prev >= 0 && row.Replicas != prev {
			return (row.T - 1 + 15) % 15
		}
		prev = row.Replicas
	}
	return 7
}
