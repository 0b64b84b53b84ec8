package kube

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/kube/kubetest"
)

// benchTargets is the size of the estate of BenchmarkTargetInformer.
const benchTargets = 1000

// BenchmarkTargetInformer measures the informer on 1,000 annotated
// Deployments on the real API server (no pods: no kcm, no kwok): time to
// sync, heap held by the cache (against a plain client-go informer that
// keeps whole Deployments), CPU while syncing and while idle, and the
// cost of Targets(). Run with
//
//	go test -run '^$' -bench BenchmarkTargetInformer -benchtime 1x ./kube/
func BenchmarkTargetInformer(b *testing.B) {
	cp := kubetest.Shared(b)
	ns := cp.Namespace(b)
	ctx := context.Background()
	began := time.Now()
	if _, err := kubetest.CreateAnnotatedDeployments(ctx, cp.Client, ns, benchTargets, func(i int) map[string]string {
		return map[string]string{engine.AnnotationQueue: fmt.Sprintf("orders.%04d", i),
			engine.AnnotationPrefix + "max-replicas": "20", engine.AnnotationPrefix + "target-messages": "100"}
	}); err != nil {
		b.Fatal(err)
	}
	b.Logf("created %d deployments in %s", benchTargets, time.Since(began).Round(time.Millisecond))
	client, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		b.Run("yeetscale", func(b *testing.B) { benchTargetInformer(b, client, ns) })
		b.Run("plain-client-go", func(b *testing.B) { benchPlainInformer(b, client, ns) })
	}
}

// benchTargetInformer syncs a TargetInformer and reports its figures.
func benchTargetInformer(b *testing.B, client kubernetes.Interface, ns string) {
	ti, err := NewTargetInformer(client, TargetInformerOptions{Namespace: ns, Defaults: engine.DefaultConfig(), Force: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); ti.Shutdown() }()
	m := startMeasure()
	ti.Start(ctx)
	if err := ti.WaitForSync(ctx); err != nil {
		b.Fatal(err)
	}
	m.report(b, "sync")
	began := time.Now()
	targets := ti.Targets()
	first := time.Since(began)
	began = time.Now()
	ti.Targets()
	again := time.Since(began)
	if len(targets) != benchTargets {
		b.Fatalf("%d targets, want %d", len(targets), benchTargets)
	}
	b.ReportMetric(float64(first.Microseconds())/1000, "targets_first_ms")
	b.ReportMetric(float64(again.Microseconds())/1000, "targets_again_ms")
	began = time.Now()
	for _, tg := range targets {
		if _, err := tg.Scaler.GetScale(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(began).Microseconds())/benchTargets, "getscale_us")
	m.memory(b)
	idle(b)
	runtime.KeepAlive(ti)
}

// benchPlainInformer syncs a plain client-go Deployment informer (whole
// objects in the cache) for comparison.
func benchPlainInformer(b *testing.B, client kubernetes.Interface, ns string) {
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace(ns))
	inf := factory.Apps().V1().Deployments().Informer()
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); factory.Shutdown() }()
	m := startMeasure()
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	m.report(b, "sync")
	m.memory(b)
	runtime.KeepAlive(inf)
}

// measure is where a measurement began: wall clock, CPU and heap.
type measure struct {
	at   time.Time
	cpu  time.Duration
	heap uint64
}

func startMeasure() measure {
	return measure{at: time.Now(), cpu: cpuTime(), heap: heapAlloc()}
}

// report reports the wall and CPU time since m as <what>_ms and <what>_cpu_ms.
func (m measure) report(b *testing.B, what string) {
	b.ReportMetric(float64(time.Since(m.at).Microseconds())/1000, what+"_ms")
	b.ReportMetric(float64((cpuTime()-m.cpu).Microseconds())/1000, what+"_cpu_ms")
}

// memory reports the heap retained since m (after a GC) and the RSS.
func (m measure) memory(b *testing.B) {
	b.ReportMetric(float64(int64(heapAlloc())-int64(m.heap))/(1<<20), "heap_MB")
	b.ReportMetric(rssMB(), "rss_MB")
}

// idle reports the CPU used over 10 s with nothing changing, in percent
// of one core.
func idle(b *testing.B) {
	const d = 10 * time.Second
	c := cpuTime()
	time.Sleep(d)
	b.ReportMetric(100*float64(cpuTime()-c)/float64(d), "idle_cpu_pct")
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssMB is the process's resident set (VmRSS), in MiB.
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
