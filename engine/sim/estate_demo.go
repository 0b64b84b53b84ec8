package sim

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/yeeter/yeetscale/engine"
)

// DemoEstate returns the estate of `yeetscale demo --fleet`: eight
// Deployments in three namespaces, each annotated with its own queue and
// settings (those its scenario was written for). They run the demo's own
// burst, every built-in scenario, a Deployment that sleeps at zero between
// bursts, one driven by two queues (the deeper counts) and one whose
// annotation is invalid, so that it is shown and never scaled. Each world
// ran for a different while before the estate starts, so that no two
// targets look alike at once.
func DemoEstate() []EstateDeployment {
	builtin := func(name string) Scenario {
		sc, ok := Builtin(name)
		if !ok {
			panic("sim: no built-in scenario " + name) // ruled out by the tests
		}
		return sc
	}
	second := builtin("steady-noisy")
	seven := uint64(7)
	second.Seed = &seven
	return []EstateDeployment{
		estateDeployment("yeeter", "yeeter-worker", 2, nil,
			EstateQueue{Name: "yeeter.simulation.orders", Scenario: Demo(), Warm: 5 * time.Second}),
		estateDeployment("shop", "orders-worker", 2, nil,
			EstateQueue{Name: "shop.orders", Scenario: builtin("burst-10k"), Warm: 50 * time.Minute}),
		estateDeployment("shop", "search-indexer", 1, nil,
			EstateQueue{Name: "shop.search-index", Scenario: builtin("ramp"), Warm: 5 * time.Minute}),
		estateDeployment("shop", "mailer", 1, nil,
			EstateQueue{Name: "shop.mail", Scenario: builtin("trickle-after-burst"), Warm: 20 * time.Minute}),
		estateDeployment("billing", "invoice-worker", 2, nil,
			EstateQueue{Name: "billing.invoices", Scenario: builtin("spike-train"), Warm: 200 * time.Second}),
		estateDeployment("billing", "ledger-sync", 1, map[string]string{engine.AnnotationQueueCombine: "max"},
			EstateQueue{Name: "billing.ledger.eu", Scenario: builtin("steady-noisy"), Warm: time.Minute},
			EstateQueue{Name: "billing.ledger.us", Scenario: second, Warm: 2 * time.Minute}),
		estateDeployment("billing", "reports", 0, map[string]string{engine.AnnotationPrefix + "idle-before-zero": "2m"},
			EstateQueue{Name: "billing.reports", Scenario: sleeperScenario(), Warm: 5 * time.Second}),
		// Broken: the value is not a number. The queue is there and busy.
		estateDeployment("billing", "payouts", 2, map[string]string{engine.AnnotationPrefix + "target-messages": "lots"},
			EstateQueue{Name: "billing.payouts", Scenario: quietScenario(), Warm: time.Minute}),
	}
}

// estateDeployment is a Deployment of replicas pods consuming qs,
// annotated with its queues and the first scenario's min-replicas,
// max-replicas, target-messages and poll-interval, then extra (which may
// replace them).
func estateDeployment(ns, name string, replicas int, extra map[string]string, qs ...EstateQueue) EstateDeployment {
	cfg := qs[0].Scenario.Config()
	names := ""
	for i, q := range qs {
		if i > 0 {
			names += ","
		}
		names += q.Name
	}
	p := engine.AnnotationPrefix
	ann := map[string]string{
		engine.AnnotationQueue: names,
		p + "min-replicas":     fmt.Sprint(cfg.MinReplicas),
		p + "max-replicas":     fmt.Sprint(cfg.MaxReplicas),
		p + "target-messages":  fmt.Sprint(cfg.TargetMessages),
		p + "poll-interval":    cfg.PollInterval.String(),
	}
	for k, v := range extra {
		ann[k] = v
	}
	return EstateDeployment{Namespace: ns, Name: name, Annotations: ann, Replicas: replicas, Queues: qs}
}

// sleeperScenario is a nightly-report queue for a Deployment that may
// sleep: 600 messages a minute into every quarter hour and nothing in
// between, so that it wakes, drains and goes back to zero.
func sleeperScenario() Scenario {
	return loopScenario("reports", 900, []Arrival{{AtS: intPtr(60), Count: 600}},
		Settings{"min_replicas": json.RawMessage("0"), "max_replicas": json.RawMessage("10"),
			"target_messages": json.RawMessage("100"), "poll_interval_s": json.RawMessage("15")})
}

// quietScenario is a steady 0.5 message a second, which the broken
// target's two pods keep up with while nothing scales them.
func quietScenario() Scenario {
	return loopScenario("payouts", 600, []Arrival{{FromS: intPtr(0), ToS: intPtr(600), RatePerS: 0.5, Poisson: true}},
		Settings{"min_replicas": json.RawMessage("1"), "max_replicas": json.RawMessage("10"),
			"target_messages": json.RawMessage("50"), "poll_interval_s": json.RawMessage("15")})
}

// loopScenario is an estate's own scenario of the built-ins' physics: a
// 1.5 s service time and pods that start in 20 s.
func loopScenario(name string, period int, arrivals []Arrival, policy Settings) Scenario {
	seed := uint64(len(name))
	return Scenario{Name: name, DurationS: period, ServiceTimeS: 1.5, ServiceJitter: "fixed", WorkerConcurrency: 1,
		PodStartupS: 20, StatsIntervalS: 5, Seed: &seed, Arrivals: arrivals, Policy: policy}
}

func intPtr(n int) *int { return &n }
