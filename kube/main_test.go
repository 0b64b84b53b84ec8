package kube_test

import (
	"testing"

	"github.com/yeeter/yeetscale/kube/kubetest"
)

// TestMain stops the control plane shared by this package's integration
// tests (started on first use by kubetest.Shared).
func TestMain(m *testing.M) { kubetest.Main(m) }
