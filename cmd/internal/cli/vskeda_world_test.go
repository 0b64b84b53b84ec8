package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/yeeter/yeetscale/cmd/internal/labworld"
	"github.com/yeeter/yeetscale/kube/kubetest"
	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// kedaLab is the real broker and a control plane with the aggregation
// layer, the HPA controller and KEDA's operator and metrics adapter.
type kedaLab struct {
	broker *rabbittest.Broker
	cp     *kubetest.ControlPlane
	bin    string // the yeetscale binary
}

// startKEDALab starts the lab (building KEDA on first use) and stops it
// when the benchmark ends.
func startKEDALab(b *testing.B) *kedaLab {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	broker := rabbittest.Start(b)
	logf := func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
	cp, err := kubetest.StartLab(ctx, kubetest.Options{Workloads: true, Aggregation: true, HPA: true, Logf: logf})
	if err != nil {
		b.Fatalf("control plane: %v", err)
	}
	b.Cleanup(cp.Stop)
	if err := cp.StartKEDA(ctx); err != nil {
		b.Fatalf("KEDA: %v", err)
	}
	return &kedaLab{broker: broker, cp: cp, bin: buildBinary(b)}
}

// vsRow is one second of a run.
type vsRow struct {
	T                int
	Published, Acked int64
	Depth            int64
	Replicas, Ready  int32
	Consumers        int
	// HPAMetric is the queue length KEDA's HPA last read (-1: no HPA, or
	// its last read failed).
	HPAMetric int64
}

// vsRun is what one run measured.
type vsRun struct {
	Kind     string // plain, behavior or yeetscale
	Rows     []vsRow
	Changes  []int32 // spec.replicas after each change
	Waits    []float64
	DrainS   *float64
	PodS     float64
	Events   int
	Reversal int
}

// vsScaler starts and stops the scaler of one run.
type vsScaler struct {
	start func(ctx context.Context) error
	stop  func()
}

// runWorld runs one scenario once on a fresh namespace, vhost, queue and
// Deployment with the scaler of kind, and measures it.
func (l *kedaLab) runWorld(b *testing.B, sc vsScenario, kind string) vsRun {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	vhost := l.broker.NewVHost(b)
	queue := l.broker.NewQueue(b, vhost)
	user, pass := l.broker.NewUser(b, "monitoring", vhost)
	ns := fmt.Sprintf("vs-%s-%s-%d", sc.Name, kind, time.Now().UnixNano()%1e6)
	const name = "worker"
	if _, err := l.cp.CreateWorkloadWithStartup(ctx, ns, name, int32(sc.Min), sc.Startup); err != nil {
		b.Fatalf("deployment: %v", err)
	}
	defer l.cp.Client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	rctx, rcancel := context.WithTimeout(ctx, time.Minute)
	_, err := l.cp.WaitReady(rctx, ns, name, int32(sc.Min))
	rcancel()
	if err != nil {
		b.Fatal(err)
	}
	workers := labworld.New(labworld.Config{AMQPURL: l.broker.AMQPURL, VHost: vhost, Queue: queue, WorkTime: sc.Work, Reconcile: 100 * time.Millisecond},
		labworld.DeploymentReady(l.cp.Client, ns, name))
	wctx, wcancel := context.WithCancel(ctx)
	wdone := make(chan struct{})
	go func() { defer close(wdone); _ = workers.Run(wctx) }()
	defer func() { wcancel(); <-wdone }()

	scaler := l.scaler(b, sc, kind, ns, name, vhost, queue, user, pass)
	if err := scaler.start(ctx); err != nil {
		b.Fatalf("%s: %v", kind, err)
	}
	defer scaler.stop()
	return l.measure(ctx, b, sc, kind, ns, name, vhost, queue, workers)
}

// scaler returns run A's ScaledObject (plain or behavior) or run B's
// yeetscale --auto.
func (l *kedaLab) scaler(b *testing.B, sc vsScenario, kind, ns, name, vhost, queue, user, pass string) vsScaler {
	if kind == "yeetscale" {
		var p *exec.Cmd
		return vsScaler{
			start: func(ctx context.Context) error {
				p = exec.Command(l.bin, "--auto", "--kubeconfig", l.cp.Kubeconfig, "-n", ns, "--deployment", name,
					"--mgmt-url", l.broker.MgmtURL, "--vhost", vhost, "--queue", queue,
					"--min-replicas", fmt.Sprint(sc.Min), "--max-replicas", fmt.Sprint(sc.Max),
					"--target-messages", fmt.Sprint(sc.Target), "--poll-interval", "1s")
				p.Env = append(os.Environ(), "RABBITMQ_USERNAME="+user, "RABBITMQ_PASSWORD="+pass)
				if err := p.Start(); err != nil {
					return err
				}
				time.Sleep(2 * time.Second) // its first poll
				return nil
			},
			stop: func() { _ = p.Process.Kill(); _ = p.Wait() },
		}
	}
	u, err := url.Parse(l.broker.MgmtURL)
	if err != nil {
		b.Fatal(err)
	}
	u.User = url.UserPassword(user, pass)
	u.Path = "/" + vhost
	so := kubetest.ScaledObject{Namespace: ns, Name: name, Deployment: name, Queue: queue, HostURL: u.String(),
		Target: sc.Target, Min: sc.Min, Max: sc.Max, Behavior: kind == "behavior"}
	return vsScaler{
		start: func(ctx context.Context) error {
			if err := l.cp.ApplyScaledObject(ctx, so); err != nil {
				return err
			}
			return l.waitHPAActive(ctx, ns)
		},
		stop: func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_ = l.cp.DeleteScaledObject(ctx, so)
		},
	}
}

// waitHPAActive waits until KEDA's HPA in ns reports ScalingActive (it
// reads the external metric).
func (l *kedaLab) waitHPAActive(ctx context.Context, ns string) error {
	deadline := time.Now().Add(90 * time.Second)
	last := "no HPA yet"
	for time.Now().Before(deadline) {
		list, err := l.cp.Client.AutoscalingV2().HorizontalPodAutoscalers(ns).List(ctx, metav1.ListOptions{})
		if err == nil && len(list.Items) > 0 {
			last = "HPA without ScalingActive"
			for _, c := range list.Items[0].Status.Conditions {
				if c.Type == autoscalingv2.ScalingActive {
					last = fmt.Sprintf("ScalingActive=%s (%s: %s)", c.Status, c.Reason, c.Message)
					if c.Status == corev1.ConditionTrue {
						return nil
					}
				}
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("KEDA's HPA in %s not active after 90s: %s", ns, last)
}

// measure publishes the scenario's arrivals and samples the world until
// the scenario's duration has passed.
func (l *kedaLab) measure(ctx context.Context, b *testing.B, sc vsScenario, kind, ns, name, vhost, queue string, workers *labworld.Workers) vsRun {
	run := vsRun{Kind: kind}
	start := time.Now()
	var published atomic.Int64
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		for s := 0; s < sc.DurationS; s++ {
			if n := sc.arrivalsAt(s); n > 0 {
				if err := labworld.PublishStamped(ctx, l.broker.AMQPURL, vhost, queue, n); err != nil {
					b.Errorf("publish: %v", err)
					return
				}
				published.Add(int64(n))
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(start.Add(time.Duration(s+1) * time.Second))):
			}
		}
	}()
	var last int32 = int32(sc.Min)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	nextRow := 0
	for time.Since(start) < time.Duration(sc.DurationS)*time.Second {
		<-tick.C
		now := time.Now()
		a := workers.Acked()
		pub := published.Load()
		if run.DrainS == nil && sc.Drain && pub >= int64(sc.total()) && a >= pub {
			d := now.Sub(start).Seconds()
			run.DrainS = &d
		}
		if int(now.Sub(start)/time.Second) < nextRow {
			continue
		}
		d, err := l.cp.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		r := *d.Spec.Replicas
		if r != last {
			run.Changes = append(run.Changes, r)
			last = r
		}
		run.Rows = append(run.Rows, vsRow{T: nextRow, Published: pub, Acked: a, Depth: max(0, pub-a),
			Replicas: r, Ready: d.Status.ReadyReplicas, Consumers: workers.Consumers(), HPAMetric: l.hpaMetric(ctx, ns, kind)})
		run.PodS += float64(r)
		nextRow++
	}
	<-pubDone
	waits, unstamped := workers.Waits()
	if unstamped > 0 {
		b.Errorf("%s %s: the workers took %d messages without a publish stamp", sc.Name, kind, unstamped)
	}
	if left := published.Load() - int64(len(waits)); left > 0 {
		fmt.Printf("%-12s %-9s %d messages not taken by the end: their wait is not counted\n", sc.Name, kind, left)
	}
	run.Waits = waits
	run.Events = len(run.Changes)
	run.Reversal = reversals(int32(sc.Min), run.Changes)
	sort.Float64s(run.Waits)
	return run
}

// reversals counts changes of direction in a sequence of replica counts.
func reversals(from int32, seq []int32) int {
	n, dir := 0, 0
	for _, r := range seq {
		d := 1
		if r < from {
			d = -1
		}
		if dir != 0 && d != dir {
			n++
		}
		dir, from = d, r
	}
	return n
}

// percentile of sorted values (null when empty).
func percentile(sorted []float64, p float64) *float64 {
	if len(sorted) == 0 {
		return nil
	}
	v := sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
	return &v
}

// writeCSV writes a run's timeline.
func (r vsRun) writeCSV(path string) error {
	var sb strings.Builder
	sb.WriteString("t_s,published,acked,depth,spec_replicas,ready_replicas,consumers,hpa_metric\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&sb, "%d,%d,%d,%d,%d,%d,%d,%d\n", row.T, row.Published, row.Acked, row.Depth, row.Replicas, row.Ready, row.Consumers, row.HPAMetric)
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}
