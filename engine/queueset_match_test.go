package engine_test

import (
	"testing"

	"github.com/yeeter/yeetscale/engine"
)

// TestQueueSetMatcher: a set's matcher accepts its named queues, or the
// whole names its pattern matches (as a fleet round matches them), and
// nothing else.
func TestQueueSetMatcher(t *testing.T) {
	tests := []struct {
		name    string
		set     engine.QueueSet
		in, out []string
	}{
		{"names", engine.QueueSet{Names: []string{"eu", "us"}}, []string{"eu", "us"}, []string{"e", "eu.x", "", "asia"}},
		{"pattern, whole name", engine.QueueSet{Pattern: `orders\..*`}, []string{"orders.eu", "orders."}, []string{"orders", "x.orders.eu", "orders.eu\n"}},
		{"alternation anchored as a whole", engine.QueueSet{Pattern: "a|b"}, []string{"a", "b"}, []string{"ab", "xa", "bx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			match, err := tt.set.Matcher()
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range tt.in {
				if !match(q) {
					t.Errorf("%q not matched", q)
				}
			}
			for _, q := range tt.out {
				if match(q) {
					t.Errorf("%q matched", q)
				}
			}
		})
	}
	if _, err := (engine.QueueSet{Pattern: "("}).Matcher(); err == nil {
		t.Error("a pattern that does not compile gave a matcher")
	}
}
