package cli

import (
	"context"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/pflag"

	"github.com/yeeter/yeetscale/cmd/internal/labworld"
	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/tui"
)

// The lab's rates test (issue 13, part 4): 4 ready pods, one simulated
// worker each at labRatesWork a message, a backlog and a steady publisher
// slower than the workers, so that they stay saturated for well over a
// minute while the queue drains slowly. The queue stays under the target per
// replica, and the workers it keeps busy are all 4, so the policy holds 4
// replicas (--min-replicas is 2) and says at what rate it believes each
// worker acks.
const (
	labRatesPods    = 4
	labRatesWork    = 250 * time.Millisecond // at most 4/s a worker, 16/s in all
	labRatesBacklog = 800                    // under 4 x 250: the target adds no replicas
	labRatesPublish = 6.0                    // messages/s: the backlog drains at about 9/s
	labRatesTol     = 0.20                   // learned vs real per-worker throughput
)

// eachRE is the learned per-worker throughput in an adaptive reason
// ("... at 3.85/s each (from the broker)").
var eachRE = regexp.MustCompile(`at ([0-9][0-9,]*\.?[0-9]*)/s each`)

// TestE2ELabRatesAreReal is the lab on the real broker (RabbitMQ's default
// statistics interval) and the real apiserver with kwok pods: while the
// workers consume, `--once --output json` reports non-zero publish, deliver
// and ack rates; `--auto` learns a per-worker throughput within 20% of what
// the workers really do (measured from the workers: acks over consumer
// time); and the console's queue panel, drawn from a live snapshot, shows
// the real rates. Checked against the client made to read every rate as 0
// and to ignore the counters, it fails: --once reports 0s and the policy
// never learns a throughput (the test stops there). With the broker's
// rates 0 but the counters in use (the old harness's 1 s statistics
// interval), --once reports 0s and the first learned rates are 50-78% low.
func TestE2ELabRatesAreReal(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true, labRatesPods)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := w.cp.WaitReady(ctx, w.ns, w.name, labRatesPods); err != nil {
		t.Fatalf("%d ready pods: %v", labRatesPods, err)
	}
	sim := labworld.New(labworld.Config{AMQPURL: w.broker.AMQPURL, VHost: w.vhost, Queue: w.queue, WorkTime: labRatesWork, Reconcile: 100 * time.Millisecond},
		labworld.DeploymentReady(w.cp.Client, w.ns, w.name))
	simDone := make(chan struct{})
	go func() { defer close(simDone); sim.Run(ctx) }()
	defer func() { cancel(); <-simDone }()
	if !poll(30*time.Second, 50*time.Millisecond, func() bool { return sim.Consumers() == labRatesPods }) {
		t.Fatalf("worker simulator: %d consumers, want %d (error: %s)", sim.Consumers(), labRatesPods, sim.LastError())
	}
	if err := w.broker.PublishN(ctx, w.vhost, w.queue, labRatesBacklog); err != nil {
		t.Fatalf("publishing the backlog: %v", err)
	}
	w.broker.StartLoad(t, w.vhost, w.queue, labRatesPublish, 0)
	acked0, _ := sim.Usage()
	start := time.Now()

	w.waitMessages(30*time.Second, "the backlog", func(n int64) bool { return n > 0 })
	visible := time.Now()
	console := startConsoleController(ctx, t, w)
	checkOnceRates(t, w)
	// The broker's rates are its last statistics sample: the one that
	// showed the backlog may have begun while the workers were idle (a
	// learned rate 17% low was seen). The policy learns from full samples.
	time.Sleep(time.Until(visible.Add(statsRefresh + time.Second)))

	// The lab's settings. A fresh --auto has learned nothing at its first
	// poll; with a backlog under 750 the target asks for 3, and the 4
	// replicas it found must stay (they count as its first recommendation:
	// 4 -> 3 was once seen here).
	policy := "--poll-interval 2s --min-replicas 2 --max-replicas 40 --target-messages 250"
	// The workers' pace is measured over the span the policy learns from
	// (from a statistics sample before --auto starts to its last learned
	// poll): on a loaded machine their pace over the whole run differs
	// (3.10/s per worker over the run against 4.00/s at its end was seen).
	ackedA, busyA := sim.Usage()
	auto := startAuto(t, w.args(append(strings.Fields(policy), "--auto", "--log-format", "json")...))
	learned := waitLearned(t, auto, 5)

	acked1, busy1 := sim.Usage()
	actual := float64(acked1-ackedA) / (busy1 - busyA).Seconds()
	total := float64(acked1-acked0) / time.Since(start).Seconds()
	t.Logf("workers: %d acks in %s of consumer time since --auto started: %.2f/s per worker (work time %s); %.1f/s in all over the run",
		acked1-ackedA, (busy1 - busyA).Round(time.Millisecond), actual, labRatesWork, total)
	// The first learned figures rest on a few 5 s broker samples, some
	// from before --auto started, when a loaded machine may have slowed
	// the workers (3.15/s against 3.95/s was seen, converging to 3.58/s
	// within five polls): the estimate the policy settles on must match.
	for _, l := range learned {
		t.Logf("learned %.2f/s each (%+.1f%%): %s", l.rate, 100*(l.rate/actual-1), l.reason)
	}
	if l := learned[len(learned)-1]; math.Abs(l.rate/actual-1) > labRatesTol {
		t.Errorf("the policy settled on %.2f/s per worker, the workers really do %.2f/s: more than %.0f%% off; reason: %s",
			l.rate, actual, 100*labRatesTol, l.reason)
	}
	if code := auto.stop(t); code != 0 {
		t.Errorf("--auto exited %d; log:\n%s", code, auto.log)
	}
	if r := w.replicas(); r != labRatesPods {
		t.Errorf("the Deployment has %d replicas, want %d held (the backlog stays under the target); log:\n%s", r, labRatesPods, auto.log)
	}

	// The console shows the broker's latest 5 s sample: compare it with
	// what the workers acked over the last two samples, not over the whole
	// run, whose pace varies on a loaded machine (15.2/s shown against
	// 10.6/s over the run, 2.66/s per worker for 250 ms messages, was seen).
	a0, _ := sim.Usage()
	t0 := time.Now()
	time.Sleep(2 * statsRefresh)
	a1, _ := sim.Usage()
	checkConsoleRates(t, console, float64(a1-a0)/time.Since(t0).Seconds())
}

// checkOnceRates runs `--once --dry-run --output json` every second until
// its rates are non-zero: within four statistics refreshes of the load
// starting, deliver and ack must read more than 0 (and publish, from the
// steady publisher).
func checkOnceRates(t *testing.T, w *world) {
	t.Helper()
	var last string
	ok := poll(4*statsRefresh, time.Second, func() bool {
		code, out, errOut := once(t, w.args("--once", "--dry-run", "--output", "json", "--target-messages", "250", "--max-replicas", "40"))
		last = out + errOut
		if code != 0 {
			return false
		}
		var res onceResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("--once --output json: %v\n%s", err, out)
		}
		q := res.Queue
		if q.PublishRate == nil || q.DeliverRate == nil || q.AckRate == nil {
			return false
		}
		if *q.PublishRate > 0 && *q.DeliverRate > 0 && *q.AckRate > 0 {
			t.Logf("--once: publish_rate %.1f, deliver_rate %.1f, ack_rate %.1f, %d consumers; reason: %s",
				*q.PublishRate, *q.DeliverRate, *q.AckRate, *q.Consumers, res.Reason)
			return true
		}
		return false
	})
	if !ok {
		t.Errorf("--once --output json never reported non-zero publish, deliver and ack rates within %s while the workers consume; last output:\n%s", 4*statsRefresh, last)
	}
}

// learnedRate is one decision's learned per-worker throughput.
type learnedRate struct {
	rate   float64
	reason string
}

// waitLearned waits (at most 75 s) until n decisions of --auto have stated
// a learned per-worker throughput, and returns them.
func waitLearned(t *testing.T, r *autoRun, n int) []learnedRate {
	t.Helper()
	var got []learnedRate
	ok := poll(75*time.Second, 100*time.Millisecond, func() bool {
		got = got[:0]
		for _, l := range lines(t, r.log.String()) {
			if l.msg() != "decision" {
				continue
			}
			m := eachRE.FindStringSubmatch(l.str("reason"))
			if m == nil {
				continue
			}
			v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
			if err != nil {
				t.Fatalf("learned rate %q in %q: %v", m[1], l.str("reason"), err)
			}
			got = append(got, learnedRate{v, l.str("reason")})
		}
		return len(got) >= n
	})
	if !ok {
		t.Fatalf("--auto stated a learned throughput (\"at X/s each\") in %d decisions within 75s, want %d; log:\n%s", len(got), n, r.log)
	}
	// A decision that learned from rates logs them and where they came from
	// (an operator reading the log must not have to guess).
	for _, l := range lines(t, r.log.String()) {
		if l.msg() == "decision" && eachRE.MatchString(l.str("reason")) && (l.num("ack_rate") <= 0 || l.str("rates_from") == "") {
			t.Errorf("a decision stating a learned throughput logs ack_rate %v and rates_from %q, want > 0 and a source: %v", l.num("ack_rate"), l.str("rates_from"), l)
			break
		}
	}
	return got
}

// startConsoleController starts, on the live world, the controller the
// console would run (dry-run, so that it never competes with --auto), with
// the lab's settings.
func startConsoleController(ctx context.Context, t *testing.T, w *world) *engine.Controller {
	t.Helper()
	cfg := engine.DefaultConfig()
	cfg.MinReplicas, cfg.MaxReplicas, cfg.TargetMessages, cfg.PollInterval = 4, 40, 250, 2*time.Second
	lo := newLiveOptions()
	fs := pflag.NewFlagSet("console", pflag.ContinueOnError)
	lo.addFlags(fs)
	if err := fs.Parse(w.args()[1:]); err != nil {
		t.Fatal(err)
	}
	lv, err := lo.connect(&cfg, func(error) {})
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	ctl, err := lv.controller(cfg, engine.ModeDryRun, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); ctl.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; ctl.Close() })
	return ctl
}

// rateLineRE is the queue panel's rates line.
var rateLineRE = regexp.MustCompile(`publish ([0-9.,]+)/s · deliver ([0-9.,]+)/s · ack ([0-9.,]+)/s`)

// checkConsoleRates draws the console on the controller's newest snapshot
// and checks that its queue panel shows non-zero publish, deliver and ack
// rates, the ack rate within 20% of the workers' real one (total, msg/s).
func checkConsoleRates(t *testing.T, ctl *engine.Controller, total float64) {
	t.Helper()
	m := tui.New(context.Background(), ctl, tui.Options{Namespace: "lab", Deployment: "workers", VHost: "lab", Queue: "orders", ReadOnly: true, NoColor: true, Tick: -1})
	defer m.Close()
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	view := m.View()
	match := rateLineRE.FindStringSubmatch(view)
	if match == nil {
		t.Fatalf("the console shows no rates line (publish …/s · deliver …/s · ack …/s):\n%s", view)
	}
	rates := make([]float64, 3)
	for i, s := range match[1:] {
		v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
		if err != nil {
			t.Fatalf("rate %q: %v", s, err)
		}
		rates[i] = v
	}
	t.Logf("console: %s (workers: %.1f/s in all; the controller's rates from %q)", match[0], total, ctl.Snapshot().Stats.RatesFrom)
	for i, name := range []string{"publish", "deliver", "ack"} {
		if rates[i] <= 0 {
			t.Errorf("the console shows %s %.1f/s while the workers ack %.1f/s:\n%s", name, rates[i], total, view)
		}
	}
	if math.Abs(rates[2]/total-1) > labRatesTol {
		t.Errorf("the console shows ack %.1f/s, the workers ack %.1f/s: more than %.0f%% off", rates[2], total, 100*labRatesTol)
	}
}
