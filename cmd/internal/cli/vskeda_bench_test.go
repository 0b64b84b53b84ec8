package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guptarohit/asciigraph"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/engine/sim"
)

// vsScenario is one load pattern of make bench-vs-keda, shortened to a
// couple of minutes of wall time: 80 ms per message instead of seconds
// (so 40 workers drain 10,000 messages in about 20 s) keeps the shape of
// the operations guide's burst while the HPA's 15 s sync stays real.
type vsScenario struct {
	Name             string
	DurationS        int
	Work             time.Duration
	Startup          time.Duration // pod start-up: kwok's ready delay and the model's pod_startup_s
	Min, Max, Target int
	Drain            bool  // report the time to drain everything published
	Arrivals         []int // messages published at each second
}

func (sc vsScenario) arrivalsAt(s int) int {
	if s < len(sc.Arrivals) {
		return sc.Arrivals[s]
	}
	return 0
}

func (sc vsScenario) total() int {
	n := 0
	for _, a := range sc.Arrivals {
		n += a
	}
	return n
}

// vsScenarios are the benchmark's worlds: the guide's burst, a spike
// train and a steady noisy (Poisson, fixed seed) load.
func vsScenarios() []vsScenario {
	burst := make([]int, 1)
	burst[0] = 10000
	spikes := make([]int, 81)
	spikes[0], spikes[40], spikes[80] = 3000, 3000, 3000
	rng := rand.New(rand.NewPCG(1, 2))
	steady := make([]int, 90)
	for i := range steady {
		steady[i] = poisson(rng, 60)
	}
	base := vsScenario{Work: 80 * time.Millisecond, Startup: 5 * time.Second, Min: 2, Max: 40, Target: 250}
	b, s, n := base, base, base
	b.Name, b.DurationS, b.Drain, b.Arrivals = "burst", 120, true, burst
	s.Name, s.DurationS, s.Drain, s.Arrivals = "spike-train", 130, true, spikes
	n.Name, n.DurationS, n.Arrivals = "steady-noisy", 100, steady
	return []vsScenario{b, s, n}
}

// poisson draws from a Poisson distribution (Knuth; fine for small means).
func poisson(rng *rand.Rand, mean float64) int {
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// modelRun runs sc through the simulator with policy (hpa-keda-default or
// hpa-keda), pods ready sc.Startup after they are asked for as kwok's are
// (kwok's own reaction, under a second, falls within the model's second).
// phase is the second on the HPA's 15 s grid at which the model decides
// (the real run's, syncPhase).
func modelRun(sc vsScenario, policy string, phase int) (sim.Result, error) {
	arr := []map[string]int{}
	for at, n := range sc.Arrivals {
		if n > 0 {
			arr = append(arr, map[string]int{"at_s": at, "count": n})
		}
	}
	js, err := json.Marshal(map[string]any{"name": sc.Name, "duration_s": sc.DurationS, "service_time_s": sc.Work.Seconds(),
		"pod_startup_s": int(sc.Startup / time.Second), "stats_interval_s": 5, "initial_replicas": sc.Min, "arrivals": arr})
	if err != nil {
		return sim.Result{}, err
	}
	s, err := sim.Parse(js) // fills the defaults (fixed service, one slot per pod)
	if err != nil {
		return sim.Result{}, err
	}
	cfg := engine.DefaultConfig()
	cfg.Policy, cfg.MinReplicas, cfg.MaxReplicas, cfg.TargetMessages = policy, int32(sc.Min), int32(sc.Max), int64(sc.Target)
	return sim.Run(context.Background(), s, cfg, sim.Options{SyncPhaseS: &phase})
}

// BenchmarkKEDADrivesHPA is the proof that the lab's real KEDA drives the
// real HPA: a plain ScaledObject on the guide's burst takes the Deployment
// from 2 to 40 replicas along the HPA's legacy path (at most
// max(2 x current, 4) per sync).
func BenchmarkKEDADrivesHPA(b *testing.B) {
	lab := startKEDALab(b)
	sc := vsScenarios()[0]
	sc.DurationS = 90
	for range b.N {
		run := lab.runWorld(b, sc, "plain")
		fmt.Printf("keda plain burst: replicas %v, drain %s, pod-s %.0f\n", run.Changes, fmtPtr(run.DrainS), run.PodS)
		if !slices.Contains(run.Changes, 40) {
			b.Fatalf("KEDA's HPA never reached 40 replicas: %v", run.Changes)
		}
		prev := int32(sc.Min)
		for _, r := range run.Changes {
			if r > max(2*prev, 4) {
				b.Errorf("step %d -> %d exceeds the legacy limit max(2x, 4): %v", prev, r, run.Changes)
			}
			prev = r
		}
	}
}

// BenchmarkVsKEDA is make bench-vs-keda: each scenario (VSKEDA_SCENARIOS,
// comma-separated, default all) three times on the same lab: a plain
// ScaledObject, one with the HPA's default behavior, and yeetscale --auto;
// then the simulator's models of the first two. Timelines go to CSV files
// in VSKEDA_OUT (default a temporary folder); VSKEDA_PLOT=1 draws them.
func BenchmarkVsKEDA(b *testing.B) {
	want, err := pickScenarios(os.Getenv("VSKEDA_SCENARIOS"))
	if err != nil {
		b.Fatal(err)
	}
	out := os.Getenv("VSKEDA_OUT")
	if out == "" {
		out = filepath.Join(os.TempDir(), "yeetscale-vs-keda")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		b.Fatal(err)
	}
	lab := startKEDALab(b)
	var lines []string
	for range b.N {
		for _, sc := range vsScenarios() {
			if len(want) > 0 && !want[sc.Name] {
				continue
			}
			runs := map[string]vsRun{}
			for _, kind := range []string{"plain", "behavior", "yeetscale"} {
				runs[kind] = lab.runWorld(b, sc, kind)
				path := filepath.Join(out, sc.Name+"-"+kind+".csv")
				if err := runs[kind].writeCSV(path); err != nil {
					b.Fatal(err)
				}
				fmt.Printf("%-12s %-9s %s   (%s)\n", sc.Name, kind, runs[kind].summary(), path)
			}
			y := runs["yeetscale"]
			for _, v := range []struct{ variant, policy string }{{"plain", "hpa-keda-default"}, {"behavior", "hpa-keda"}} {
				k := runs[v.variant]
				phase := syncPhase(k)
				m, err := modelRun(sc, v.policy, phase)
				if err != nil {
					b.Fatal(err)
				}
				mDrain := &m.DrainS
				if !sc.Drain {
					mDrain = nil
				}
				fmt.Printf("%-12s model %-16s drain %s  p50 %.1fs  p95 %.1fs  pod-s %.0f  events %d  reversals %d  (HPA syncs at t = %d mod 15, as the real one)\n",
					sc.Name, v.policy, fmtPtr(mDrain), m.WaitP50S, m.WaitP95S, m.PodSeconds, m.ScaleEvents, m.Reversals, phase)
				fmt.Printf("%-12s ratios yeetscale/%s: drain %s  pod-s %s  p95 %s\n", sc.Name, v.variant,
					ratio(y.DrainS, k.DrainS), ratio(&y.PodS, &k.PodS), ratio(percentile(y.Waits, .95), percentile(k.Waits, .95)))
				if os.Getenv("VSKEDA_PLOT") == "1" {
					plotRuns(sc.Name+" "+v.variant, k, y)
				}
				lines = append(lines, vsKedaLine(sc.Name, v.variant, k, y, mDrain, m.PodSeconds))
			}
		}
	}
	for _, l := range lines {
		fmt.Println(l)
	}
}

// vsKedaLine is the machine-readable last line of one scenario and variant
// (the format: numbers only after =, null where a figure does not
// apply).
func vsKedaLine(scenario, variant string, keda, yeet vsRun, modelDrain *float64, modelPodS float64) string {
	return fmt.Sprintf("vs-keda: scenario=%s variant=%s keda_drain_s=%s yeetscale_drain_s=%s keda_pod_s=%.0f yeetscale_pod_s=%.0f keda_p95_s=%s yeetscale_p95_s=%s model_drain_s=%s model_pod_s=%.0f",
		scenario, variant, num(keda.DrainS), num(yeet.DrainS), keda.PodS, yeet.PodS, num(percentile(keda.Waits, .95)), num(percentile(yeet.Waits, .95)), num(modelDrain), modelPodS)
}

// pickScenarios parses a comma-separated list of scenario names (empty: all)
// and refuses a name that is not a scenario, naming the valid ones.
func pickScenarios(list string) (map[string]bool, error) {
	var names []string
	for _, sc := range vsScenarios() {
		names = append(names, sc.Name)
	}
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if !slices.Contains(names, n) {
			return nil, fmt.Errorf("SCENARIO \"%s\" is not a scenario of bench-vs-keda: use one or more of %s, comma-separated", engine.Printable(n), strings.Join(names, ", "))
		}
		want[n] = true
	}
	return want, nil
}

func (r vsRun) summary() string {
	return fmt.Sprintf("drain %s  p50 %s  p95 %s  pod-s %.0f  events %d  reversals %d  replicas %v",
		fmtPtr(r.DrainS), fmtPtr(percentile(r.Waits, .5)), fmtPtr(percentile(r.Waits, .95)), r.PodS, r.Events, r.Reversal, r.Changes)
}

func fmtPtr(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.1fs", *v)
}

func num(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprintf("%.1f", *v)
}

func ratio(a, b *float64) string {
	if a == nil || b == nil || *b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", *a / *b)
}

// plotRuns draws the two replica curves and the two queue depths.
func plotRuns(title string, keda, yeet vsRun) {
	series := func(r vsRun, f func(vsRow) float64) []float64 {
		s := make([]float64, len(r.Rows))
		for i, row := range r.Rows {
			s[i] = f(row)
		}
		return s
	}
	rep := func(row vsRow) float64 { return float64(row.Replicas) }
	dep := func(row vsRow) float64 { return float64(row.Depth) }
	fmt.Println(asciigraph.PlotMany([][]float64{series(keda, rep), series(yeet, rep)}, asciigraph.Height(10), asciigraph.Width(100),
		asciigraph.SeriesColors(asciigraph.Red, asciigraph.Green), asciigraph.Caption(title+": replicas (red KEDA+HPA, green yeetscale)")))
	fmt.Println(asciigraph.PlotMany([][]float64{series(keda, dep), series(yeet, dep)}, asciigraph.Height(10), asciigraph.Width(100),
		asciigraph.SeriesColors(asciigraph.Red, asciigraph.Green), asciigraph.Caption(title+": queue depth (red KEDA+HPA, green yeetscale)")))
}
