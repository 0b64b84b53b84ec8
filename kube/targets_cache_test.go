package kube

import (
	"context"
	"strings"
	"testing"
)

// TestTargetMemoryFromCache: a fleet target loads its memory from the
// informer's cache, with no GET of its Deployment (1,000 targets made
// 1,000 at start-up); an invalid memory (too large, not UTF-8) is not
// kept in the cache, and loading it asks the API server, whose answer
// says what is wrong.
func TestTargetMemoryFromCache(t *testing.T) {
	tests := []struct {
		name    string
		memory  *string
		want    string
		gets    int
		wantErr string
	}{
		{"remembered", ptr(`{"v":1}`), `{"v":1}`, 0, ""},
		{"none", nil, "", 0, ""},
		{"too large", ptr(strings.Repeat("x", MaxMemory+1)), "", 1, "more than yeetscale writes"},
		{"not UTF-8", ptr("\xff\xfe"), "", 1, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ann := queue("orders")
			if tt.memory != nil {
				ann[AnnotationMemory] = *tt.memory
			}
			ti, client := startFake(t, TargetInformerOptions{Namespace: "shop", Force: true}, deployment("shop", "orders", 2, nil, ann))
			ts := ti.Targets()
			if len(ts) != 1 || ts[0].Memory == nil {
				t.Fatalf("targets %+v", ts)
			}
			client.ClearActions()
			got, err := ts[0].Memory.LoadMemory(context.Background())
			gets := 0
			for _, a := range client.Actions() {
				if a.GetVerb() == "get" && a.GetResource().Resource == "deployments" {
					gets++
				}
			}
			if got != tt.want || gets != tt.gets || (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("LoadMemory = %.40q, %v after %d GETs; want %.40q, %q after %d", got, err, gets, tt.want, tt.wantErr, tt.gets)
			}
		})
	}
}

func ptr(s string) *string { return &s }
