package kubetest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestKwokRestartsOnlyAfterItsKnownRace checks that StartWorkloads starts
// kwok again only when it exited on its known start-up race, and at most
// kwokAttempts times in all.
func TestKwokRestartsOnlyAfterItsKnownRace(t *testing.T) {
	for _, tt := range []struct {
		name, script string
		wantStarts   int
	}{
		{"always the easycel race", "echo 'fatal error: concurrent map writes'; echo 'github.com/wzshiming/easycel.getTrait(...)'; exit 2", kwokAttempts},
		{"another crash", "echo 'Error: unknown flag: --nope'; exit 1", 1},
		{"still running", "exec sleep 30", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "fake-kwok")
			if err := os.WriteFile(bin, []byte("#!/bin/sh\n"+tt.script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			var logged []string
			cp := &ControlPlane{Dir: dir, logf: func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }}
			defer func() {
				for _, p := range cp.procs {
					p.stop(time.Second)
				}
			}()
			k := &kwokRun{cp: cp, bin: bin, stages: filepath.Join(dir, "stages.yaml")}
			if err := k.start(); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < kwokAttempts+2; i++ {
				select {
				case <-k.p.done:
				case <-time.After(200 * time.Millisecond):
				}
				if err := k.restartAfterKnownRace(); err != nil {
					t.Fatal(err)
				}
			}
			if k.attempts != tt.wantStarts || len(cp.procs) != tt.wantStarts {
				t.Errorf("kwok started %d times (%d processes), want %d; logged %q", k.attempts, len(cp.procs), tt.wantStarts, logged)
			}
			if len(logged) != tt.wantStarts-1 {
				t.Errorf("logged %q, want one line a restart", logged)
			}
		})
	}
}
