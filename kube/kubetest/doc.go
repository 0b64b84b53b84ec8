// Package kubetest starts a real Kubernetes control plane for tests and for
// the lab: etcd and kube-apiserver built from the Go module proxy (the
// tools module in ./tools, pinned to Kubernetes v1.37.2), optionally
// kube-controller-manager and kwok with a fake Node so that Deployments get
// Running and Ready pods without containers.
//
// In a test package:
//
//	func TestMain(m *testing.M) { kubetest.Main(m) }
//
//	func TestX(t *testing.T) {
//		cp := kubetest.Shared(t)          // one control plane per package process
//		ns := cp.Namespace(t)             // isolation: a namespace per test
//		cp.CreateWorkload(ctx, ns, "yeeter-worker", 2)
//		... cp.Config, cp.Client, cp.Kubeconfig, cp.ConfigAs("bob"), cp.NobodyConfig() ...
//	}
//
// SharedWorkloads also starts the controller manager and kwok. Programs use
// StartLab / Stop, or RunLab for a lab that runs until Ctrl-C.
//
// The binaries are built on first use into $YEETSCALE_KUBETOOLS_DIR/bin
// (default $HOME/.cache/yeetscale/kubetools-v1.37.2), under a file lock so
// that parallel test processes build once; only missing binaries are
// built. A cold build takes minutes: run tests with -timeout 30m (or more)
// on a fresh machine. Logs of every server are in the control plane's
// directory (Dir); YEETSCALE_KUBETEST_KEEP=1 keeps it after Stop. If a
// server cannot start or a tool cannot be built, tests fail with the reason
// and the tail of the log; they never skip.
package kubetest
