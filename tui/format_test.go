package tui

import "testing"

func TestReplicaCount(t *testing.T) {
	for n, want := range map[int32]string{0: "0 replicas", 1: "1 replica", 2: "2 replicas", 1500: "1,500 replicas"} {
		if got := replicaCount(n); got != want {
			t.Errorf("replicaCount(%d) = %q, want %q", n, got, want)
		}
	}
}
