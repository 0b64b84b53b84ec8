package sim

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

// goalRun is one scenario at one seed: the default policy against hpa-keda.
type goalRun struct {
	file      string
	seed      uint64
	lat, pods float64
	ok        bool
	def, keda Result
}

// goalSweep runs every scenario at every seed under policy and hpa-keda,
// on two goroutines.
func goalSweep(tb testing.TB, scs map[string]Scenario, seeds []uint64, policy string) []goalRun {
	tb.Helper()
	names := make([]string, 0, len(scs))
	for n := range scs {
		names = append(names, n)
	}
	sort.Strings(names)
	var jobs []goalRun
	for _, name := range names {
		for _, seed := range seeds {
			jobs = append(jobs, goalRun{file: name, seed: seed})
		}
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := &jobs[i]
				sc := scs[j.file]
				s := j.seed
				sc.Seed = &s
				res := [2]Result{}
				for k, p := range []string{policy, "hpa-keda"} {
					cfg := sc.Config()
					cfg.Policy = p
					r, err := Run(context.Background(), sc, cfg, Options{})
					if err != nil {
						errs[i] = fmt.Errorf("%s/%s seed %d: %w", j.file, p, s, err)
					}
					res[k] = r
				}
				j.def, j.keda = res[0], res[1]
				j.lat, j.pods, j.ok = Goal(res[0], res[1])
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	return jobs
}

// loadDir loads every scenario file in dir, by file name.
func loadDir(tb testing.TB, dir string, into map[string]Scenario) {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no scenarios in %s: %v", dir, err)
	}
	for _, f := range files {
		sc, err := Load(f)
		if err != nil {
			tb.Fatal(err)
		}
		into[strings.TrimSuffix(filepath.Base(f), ".json")] = sc
	}
}

// summarize returns the geometric means of the latency and pod-seconds
// ratios over runs and the misses by file.
func summarize(runs []goalRun) (lat, pods float64, misses map[string]int) {
	misses = map[string]int{}
	var sl, sp float64
	for _, r := range runs {
		sl += math.Log(r.lat)
		sp += math.Log(r.pods)
		if !r.ok {
			misses[r.file]++
		}
	}
	n := float64(len(runs))
	return math.Exp(sl / n), math.Exp(sp / n), misses
}

// BenchmarkGoalSweep reports the default policy's goal against hpa-keda
// over every pattern, plus the scenarios in $YEETSCALE_SCENARIOS if set
// (YEETSCALE_SWEEP_ONLY=a,b keeps only those files), at seeds 1-20
// (YEETSCALE_SWEEP_FIRST_SEED=21: seeds 21-40, and so on): file by
// file (latency and pod-seconds geometric means, misses and why), then
// overall. YEETSCALE_SWEEP_POLICY=name scores that policy instead of the
// default. `make sweep-sim` runs it once.
func BenchmarkGoalSweep(b *testing.B) {
	for i := 0; i < b.N; i++ {
		goalSweepReport(b)
	}
}

func goalSweepReport(t testing.TB) {
	scs := map[string]Scenario{}
	loadDir(t, filepath.Join("testdata", "patterns"), scs)
	if d := os.Getenv("YEETSCALE_SCENARIOS"); d != "" {
		loadDir(t, d, scs)
	}
	if only := os.Getenv("YEETSCALE_SWEEP_ONLY"); only != "" {
		keep := map[string]Scenario{}
		for _, n := range strings.Split(only, ",") {
			sc, ok := scs[n]
			if !ok {
				t.Fatalf("YEETSCALE_SWEEP_ONLY names %q, which is no pattern and no file of $YEETSCALE_SCENARIOS", n)
			}
			keep[n] = sc
		}
		scs = keep
	}
	first := uint64(1)
	if f := os.Getenv("YEETSCALE_SWEEP_FIRST_SEED"); f != "" {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil || n == 0 {
			t.Fatalf("YEETSCALE_SWEEP_FIRST_SEED=%q: want a seed from 1", f)
		}
		first = n
	}
	var seeds []uint64
	for s := first; s < first+20; s++ {
		seeds = append(seeds, s)
	}
	policy := engine.DefaultPolicyName
	if p := os.Getenv("YEETSCALE_SWEEP_POLICY"); p != "" {
		policy = p
	}
	runs := goalSweep(t, scs, seeds, policy)
	lat, pods, misses := summarize(runs)
	byFile := map[string][]goalRun{}
	for _, r := range runs {
		byFile[r.file] = append(byFile[r.file], r)
	}
	names := make([]string, 0, len(byFile))
	for n := range byFile {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		l, p, _ := summarize(byFile[n])
		var why []string
		// The worst of the seeds (what a goalException must allow).
		var wl, wp float64
		wr := math.MinInt
		for _, r := range byFile[n] {
			wl, wp, wr = max(wl, r.lat), max(wp, r.pods), max(wr, r.def.Reversals-r.keda.Reversals)
			if !r.ok {
				why = append(why, fmt.Sprintf("s%d:lat%.3f,pods%.3f,rev%d/%d", r.seed, r.lat, r.pods, r.def.Reversals, r.keda.Reversals))
			}
		}
		t.Logf("%-22s lat %.4f pods %.4f misses %2d (worst: lat %.3f pods %.3f reversals %+d) %s", n, l, p, misses[n], wl, wp, wr, strings.Join(why, " "))
	}
	total := 0
	for _, m := range misses {
		total += m
	}
	t.Logf("ALL: latency %.4f pod-seconds %.4f misses %d of %d", lat, pods, total, len(runs))
}
