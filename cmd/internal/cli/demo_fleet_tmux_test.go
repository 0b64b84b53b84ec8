package cli

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDemoFleetInTmux runs 'demo --fleet' in a real terminal: the fleet
// console lists every target of the simulated estate within seconds, in
// AUTO mode with the demo's burst already scaled; the broken target shows
// its error and cannot be opened; enter opens a target's console (its
// scale in the events, its pods on o: those of the two-queue Deployment
// busy on both queues; its header's hint following its mode), esc returns
// to the list, o there sorts, q quits.
func TestDemoFleetInTmux(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary and drives it in tmux")
	}
	bin := buildBinary(t)
	start := time.Now()
	s := startTmux(t, 160, 40, bin, "demo", "--fleet", "--speed", "10")

	// Every target, the sleeper asleep, the two queues by max, the broken
	// one in error.
	s.waitFor("the fleet list", containsAll("NAMESPACE/DEPLOYMENT", "demo (simulated)", "all namespaces", "8 targets", "[AUTO]", "1 error",
		"billing/invoice-worker ", "billing/ledger-sync ", "billing/payouts ", "billing/reports ", "shop/mailer ", "shop/orders-worker ",
		"shop/search-indexer ", "yeeter/yeeter-worker ", "max(billing.ledger.eu,", "asleep", "invalid annotation yeetscale.yeeter.io/"))
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the list took %s to show every target, want a few seconds", d.Round(time.Millisecond))
	}
	// In AUTO mode the demo's burst is scaled by itself: the row shows 40
	// replicas, not a proposal of 2 → 40.
	scaled := regexp.MustCompile(`yeeter/yeeter-worker +yeeter\.simulation\.orders +\S+ .* 40 auto +ok`)
	s.waitFor("yeeter-worker scaled to 40", scaled.MatchString)

	// The broken target: its whole error under the cursor; it cannot be
	// opened. Each key waits for the screen to show the one before (keys
	// read together arrive as one key).
	s.run("send-keys", "-t", "demo", "j")
	s.waitFor("the cursor on ledger-sync", containsAll("▶ billing/ledger-sync"))
	s.run("send-keys", "-t", "demo", "j")
	s.waitFor("the broken target's error", containsAll("▶ billing/payouts", `✗ billing/payouts: invalid annotation yeetscale.yeeter.io/target-messages="lots": must be`))
	s.run("send-keys", "-t", "demo", "Enter")
	s.waitFor("the refusal to open it", containsAll("billing/payouts cannot be opened: invalid annotation"))

	// ledger-sync's pods consume both its queues: a pod holding a message
	// of each (one at a time per queue) shows busy 2.
	s.run("send-keys", "-t", "demo", "k")
	s.waitFor("the cursor on ledger-sync again", containsAll("▶ billing/ledger-sync"))
	s.run("send-keys", "-t", "demo", "Enter")
	s.waitFor("ledger-sync's console", containsAll("billing/ledger-sync · vhost / max(billing.ledger.eu,billing.ledger.us)", "esc list", "max of billing.ledger.eu ", " · billing.ledger.us "))
	s.run("send-keys", "-t", "demo", "o")
	s.waitFor("ledger-sync's pods busy on both queues", regexp.MustCompile(`ledger-sync-7d4b9c8f6-\S+ +busy 2\b`).MatchString)
	s.run("send-keys", "-t", "demo", "o")
	s.waitFor("ledger-sync's events", containsAll("EVENTS newest first"))
	s.run("send-keys", "-t", "demo", "Escape")
	s.waitFor("the list on ledger-sync", containsAll("NAMESPACE/DEPLOYMENT", "▶ billing/ledger-sync"))

	// enter on yeeter-worker opens its console with its scale in the
	// events; o shows its simulated pods, o again the events.
	s.run("send-keys", "-t", "demo", "G")
	s.waitFor("the cursor on yeeter-worker", containsAll("▶ yeeter/yeeter-worker"))
	s.run("send-keys", "-t", "demo", "Enter")
	s.waitFor("yeeter-worker's console", containsAll("yeeter/yeeter-worker · vhost / yeeter.simulation.orders", "QUEUE", "REPLICAS", "┤",
		"simulated estate at 10× speed · A: auto off, approve by hand", "SCALE  auto     scaled 2 -> 40", "esc list"))
	// A turns this target's auto-apply off: its header's hint follows.
	s.run("send-keys", "-t", "demo", "A")
	s.waitFor("yeeter-worker in manual mode", containsAll("[MANUAL]", "simulated estate at 10× speed · A: auto on"))
	s.run("send-keys", "-t", "demo", "o")
	s.waitFor("the pod view", containsAll("PODS", "yeeter-worker-7d4b9c8f6-", "goes first"))
	s.run("send-keys", "-t", "demo", "o")
	s.waitFor("the events again", containsAll("EVENTS newest first"))

	// esc: back to the list, on the same row; o there sorts by depth.
	s.run("send-keys", "-t", "demo", "Escape")
	s.waitFor("the list again", containsAll("NAMESPACE/DEPLOYMENT", "▶ yeeter/yeeter-worker", "sort: name"))
	s.run("send-keys", "-t", "demo", "o")
	s.waitFor("the list by depth", containsAll("sort: depth"))

	s.run("send-keys", "-t", "demo", "q")
	if st := s.exitStatus(); st != "0" {
		t.Fatalf("demo --fleet exited with status %s; pane:\n%s", st, s.pane())
	}
	if p := s.pane(); strings.Contains(p, "NAMESPACE/DEPLOYMENT") {
		t.Fatalf("the list is still on screen after quitting (terminal not restored):\n%s", p)
	}
}

// BenchmarkDemoFleetResources measures 'demo --fleet' as
// BenchmarkDemoResources measures the demo: CPU and peak memory in a real
// terminal for BENCH_SECONDS seconds (default 60).
func BenchmarkDemoFleetResources(b *testing.B) {
	benchConsoleResources(b, "demo --fleet console", "demo", "--fleet")
}

// benchConsoleResources runs the binary with args at 160x48 and speed 10
// for BENCH_SECONDS seconds (default 60), and prints its CPU use and peak
// memory on a line that starts with what.
func benchConsoleResources(b *testing.B, what string, args ...string) {
	secs, _ := strconv.Atoi(os.Getenv("BENCH_SECONDS"))
	if secs <= 0 {
		secs = 60
	}
	s := startTmux(b, 160, 48, append([]string{buildBinary(b)}, args...)...)
	s.waitFor("the console", func(p string) bool {
		return strings.Contains(p, "REPLICAS") && (strings.Contains(p, "QUEUE") || strings.Contains(p, "NAMESPACE/DEPLOYMENT"))
	})
	pid := s.programPID()
	start, t0 := cpuTicks(b, pid), time.Now()
	// Sample the private (anonymous) memory once a second for its peak:
	// VmHWM also counts the binary's file-backed pages, shared and
	// reclaimable, which dominate a client-go binary.
	var peakAnon int64
	for time.Since(t0) < time.Duration(secs)*time.Second {
		peakAnon = max(peakAnon, procKB(b, pid, "RssAnon:"))
		time.Sleep(time.Second)
	}
	used, wall := cpuTicks(b, pid)-start, time.Since(t0)
	cpu := float64(used) / 100 / wall.Seconds() * 100 // USER_HZ is 100 on Linux
	fmt.Printf("%s at 160x48, speed 10, %s: CPU %.2f%% of one core; peak RSS (VmHWM) %.1f MB, of which file-backed now %.1f MB; peak anonymous RSS %.1f MB; anonymous RSS at the end %.1f MB\n",
		what, wall.Round(time.Second), cpu, float64(procKB(b, pid, "VmHWM:"))/1024, float64(procKB(b, pid, "RssFile:"))/1024, float64(peakAnon)/1024,
		float64(procKB(b, pid, "RssAnon:"))/1024)
	s.run("send-keys", "-t", "demo", "q")
}
