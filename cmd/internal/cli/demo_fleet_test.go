package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/yeeter/yeetscale/engine"
	"github.com/yeeter/yeetscale/engine/sim"
)

// TestDemoFleetRefusesBadInput: the flags of one simulated Deployment
// (--scenario, --shadow) are usage errors with --fleet, each a line that
// says what to drop; the single demo's checks still apply.
func TestDemoFleetRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a scenario", []string{"--scenario", "spike-train"}, "--fleet runs its own estate of scenarios: drop --scenario, or drop --fleet to watch spike-train alone"},
		{"a hostile scenario", []string{"--scenario", "x\x1b[31m"}, `drop --fleet to watch x\x1b[31m alone`},
		{"shadow", []string{"--shadow"}, "--fleet and --shadow exclude each other: the shadow of KEDA is shown for one Deployment; run 'demo --shadow' for it"},
		{"shadow and a mode", []string{"--shadow", "--mode", "manual"}, "--fleet and --shadow exclude each other"},
		{"bad mode", []string{"--mode", "yolo"}, `invalid --mode "yolo"`},
		{"zero speed", []string{"--speed", "0"}, "invalid --speed 0"},
		{"bad clamp", []string{"--min-replicas", "50", "--max-replicas", "5"}, "invalid --min-replicas 50"},
		{"no terminal", nil, "demo --fleet needs a terminal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"yeetscale", "demo", "--fleet"}, tt.args...)
			code := Main(args, strings.NewReader(""), &out, &errOut)
			msg := errOut.String()
			if code != ExitUsage || !strings.Contains(msg, tt.want) || strings.Count(strings.TrimSpace(msg), "\n") != 0 {
				t.Fatalf("exit %d, stderr %q; want exit %d and one line with %q", code, msg, ExitUsage, tt.want)
			}
			if out.Len() != 0 {
				t.Fatalf("stdout should stay empty, got %q", out.String())
			}
		})
	}
}

// TestDemoFleetFlagsAreDefaults: the policy flags are the estate's
// defaults, which each Deployment's annotations override, as in fleet mode
// on a cluster.
func TestDemoFleetFlagsAreDefaults(t *testing.T) {
	o := &demoOptions{cfg: engine.DefaultConfig()}
	c := demoCommand(&app{name: "yeetscale"}, o)
	if err := c.ParseFlags([]string{"--fleet", "--scale-down-window", "1m", "--max-replicas", "7", "--mode", "manual"}); err != nil {
		t.Fatal(err)
	}
	mode, cfg, err := o.fleetConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if mode != engine.ModeManual || cfg.ScaleDownWindow != time.Minute || cfg.MaxReplicas != 7 {
		t.Fatalf("mode %s, window %s, max %d; want manual, 1m, 7", mode, cfg.ScaleDownWindow, cfg.MaxReplicas)
	}
	e, err := sim.NewEstate(sim.DemoEstate(), cfg, engine.NewManualClock(sim.Epoch))
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range e.Targets() {
		if tg.Err != nil {
			continue
		}
		if tg.Config.ScaleDownWindow != time.Minute || tg.Config.MaxReplicas == 7 {
			t.Errorf("%s: window %s and max %d; want the flag's 1m and its own annotated max", tg.Key(), tg.Config.ScaleDownWindow, tg.Config.MaxReplicas)
		}
	}
}
