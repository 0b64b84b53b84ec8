package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkE2E runs the built binary as `--auto --poll-interval 1s` against
// the real broker and apiserver (make bench-e2e) and reports:
//
//   - burst_to_scale_ms: from the moment the management API first reports a
//     burst (read every 10 ms) to the moment the apiserver has accepted the
//     scale update (the Deployment watch delivers the new spec.replicas);
//     the goal is within one poll interval plus 100 ms;
//   - cpu_ms/min and peak_rss_MB: utime+stime from /proc/PID/stat and VmHWM
//     from /proc/PID/status after one minute of running at a 1 s poll.
//
// It is one long measurement: run it with -benchtime 1x.
func BenchmarkE2E(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bin, w, history := burstWorld(ctx, b, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd, log, exited, started := startBurstAuto(b, bin, w, "1")
		latency, _ := burstToScale(ctx, b, w, history, log, 1)

		// One minute of running in all.
		time.Sleep(time.Until(started.Add(time.Minute)))
		cpu, hwm, err := procUsage(cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil {
			b.Errorf("after SIGTERM: %v", err)
		}
		elapsed := time.Since(started)
		b.ReportMetric(float64(latency.Microseconds())/1000, "burst_to_scale_ms")
		b.ReportMetric(float64(cpu.Milliseconds())/elapsed.Minutes(), "cpu_ms/min")
		b.ReportMetric(float64(hwm)/(1<<20), "peak_rss_MB")
		fmt.Printf("burst visible in the management API -> scale update accepted: %s (goal: <= 1.1s = one poll + 100ms)\n", latency.Round(time.Millisecond))
		fmt.Printf("--auto at a 1s poll over %s: CPU %s (utime+stime), peak RSS (VmHWM) %.1f MiB\n", elapsed.Round(time.Second), cpu, float64(hwm)/(1<<20))
		if latency > 1100*time.Millisecond {
			b.Errorf("latency %s exceeds one poll interval + 100 ms", latency)
		}
	}
}

// BenchmarkE2EWakeFromZero is BenchmarkE2E's burst on a Deployment asleep
// at 0 replicas (--min-replicas 0): the first burst the management API
// shows must give a scale update within one poll + 100 ms, sized by the
// policy (5,000 messages at 250 per replica: 20), not just to one.
func BenchmarkE2EWakeFromZero(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bin, w, history := burstWorld(ctx, b, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd, log, exited, _ := startBurstAuto(b, bin, w, "0")
		latency, woke := burstToScale(ctx, b, w, history, log, 0)
		cmd.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil {
			b.Errorf("after SIGTERM: %v", err)
		}
		b.ReportMetric(float64(latency.Microseconds())/1000, "wake_to_scale_ms")
		fmt.Printf("asleep at 0, burst visible in the management API -> scale update to %d accepted: %s (goal: <= 1.1s = one poll + 100ms, sized by the policy)\n", woke, latency.Round(time.Millisecond))
		if latency > 1100*time.Millisecond {
			b.Errorf("latency %s exceeds one poll interval + 100 ms", latency)
		}
		if woke < 2 {
			b.Errorf("woke to %d replicas: want the policy's size for 5,000 messages, not one", woke)
		}
	}
}

// burstWorld builds the binary and a world whose Deployment has replicas,
// waits until the broker shows the empty queue's statistics and watches the
// Deployment's spec.replicas until ctx ends.
func burstWorld(ctx context.Context, b *testing.B, replicas int32) (string, *world, func() []replicaChange) {
	b.Helper()
	bin := buildBinary(b)
	w := newWorld(b, false, replicas)
	w.waitMessages(30*time.Second, "the queue's statistics", func(n int64) bool { return n == 0 })
	return bin, w, watchReplicas(ctx, b, w)
}

// startBurstAuto starts the binary as `--auto --poll-interval 1s` on w with
// --min-replicas min and waits for its first decision.
func startBurstAuto(b *testing.B, bin string, w *world, min string) (*exec.Cmd, *syncBuffer, chan error, time.Time) {
	b.Helper()
	cmd := exec.Command(bin, "--auto", "--min-replicas", min, "--max-replicas", "40", "--target-messages", "250", "--poll-interval", "1s",
		"--kubeconfig", w.cp.Kubeconfig, "-n", w.ns, "--mgmt-url", w.broker.MgmtURL, "--vhost", w.vhost, "--queue", w.queue, "--log-format", "json")
	log, exited := startLogged(b, cmd, w.user, w.pass)
	started := time.Now()
	r := &autoRun{log: log}
	r.waitLog(b, 20*time.Second, "the first decision", func(ls []logLine) bool { return count(ls, "decision") >= 1 })
	return cmd, log, exited, started
}

// burstToScale publishes 5,000 messages and returns the time from the
// management API first showing them to the apiserver accepting a scale-up
// from the size from, and the size it went to.
func burstToScale(ctx context.Context, b *testing.B, w *world, history func() []replicaChange, log *syncBuffer, from int32) (time.Duration, int32) {
	b.Helper()
	before := len(history())
	published := make(chan error, 1)
	go func() { published <- w.broker.PublishN(ctx, w.vhost, w.queue, 5000) }()
	var visible time.Time
	if !poll(30*time.Second, 10*time.Millisecond, func() bool {
		n, err := w.messages(ctx)
		visible = time.Now()
		return err == nil && n > 0
	}) {
		b.Fatal("the management API never reported the burst")
	}
	if err := <-published; err != nil {
		b.Fatal(err)
	}
	var accepted time.Time
	var to int32
	if !poll(30*time.Second, 5*time.Millisecond, func() bool {
		h := history()
		if len(h) > before && h[len(h)-1].replicas > from {
			accepted, to = h[before].at, h[before].replicas
			return true
		}
		return false
	}) {
		b.Fatalf("no scale-up; log:\n%s", log)
	}
	return accepted.Sub(visible), to
}

// startLogged starts cmd with the broker credentials in its environment
// and its output (stdout and stderr) collected in log; exited receives
// its end.
func startLogged(b *testing.B, cmd *exec.Cmd, user, pass string) (log *syncBuffer, exited chan error) {
	b.Helper()
	cmd.Env = append(os.Environ(), "RABBITMQ_USERNAME="+user, "RABBITMQ_PASSWORD="+pass)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	log = &syncBuffer{}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited = make(chan error, 1)
	go func() { io.Copy(log, bufio.NewReader(pipe)); exited <- cmd.Wait() }()
	return log, exited
}

// procUsage reads a process's CPU time (utime + stime) and peak resident
// set size (VmHWM, bytes) from /proc.
func procUsage(pid int) (time.Duration, int64, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	s := string(stat)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("parsing /proc/%d/stat: %q", pid, s)
	}
	const clkTck = 100 // sysconf(_SC_CLK_TCK) on Linux
	cpu := time.Duration(ut+st) * time.Second / clkTck
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, err := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			if err != nil {
				return 0, 0, err
			}
			return cpu, kb << 10, nil
		}
	}
	return 0, 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
