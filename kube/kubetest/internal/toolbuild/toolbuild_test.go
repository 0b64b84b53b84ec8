package toolbuild

import "testing"

// TestJoinAnd checks the list wording of the progress line.
func TestJoinAnd(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{{nil, ""}, {[]string{"etcd"}, "etcd"}, {[]string{"etcd", "kwok"}, "etcd and kwok"}, {AllTools, "etcd, kube-apiserver, kube-controller-manager, kubectl and kwok"}} {
		if got := joinAnd(tt.in); got != tt.want {
			t.Errorf("joinAnd(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
