package kubetest

import (
	"context"
	"log"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The control plane shared by the tests of one package process.
var shared struct {
	once sync.Once
	cp   *ControlPlane
	err  error
}

// Main runs the package's tests and then stops the shared control plane
// (if a test started one). Call it from TestMain:
//
//	func TestMain(m *testing.M) { kubetest.Main(m) }
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main without the exit: it runs the package's tests, stops the
// shared control plane and returns the exit code, for a TestMain that has
// its own cleanup to do before exiting.
func Run(m *testing.M) int {
	code := m.Run()
	if shared.cp != nil {
		shared.cp.Stop()
	}
	return code
}

// Shared returns the package's control plane, starting it (and building
// the tools, if needed) on first use. Use it with Main, which stops it
// after the last test. If the control plane cannot start, the test fails
// with the reason and the tail of the server's log; it never skips.
func Shared(t testing.TB) *ControlPlane {
	t.Helper()
	shared.once.Do(func() {
		shared.cp, shared.err = StartLab(context.Background(), Options{Logf: verboseLogf})
	})
	if shared.err != nil {
		t.Fatalf("kubetest: control plane: %v", shared.err)
	}
	return shared.cp
}

// SharedWorkloads is Shared plus StartWorkloads (kube-controller-manager,
// kwok and the fake Node), started once.
func SharedWorkloads(t testing.TB) *ControlPlane {
	t.Helper()
	cp := Shared(t)
	if err := cp.StartWorkloads(context.Background()); err != nil {
		t.Fatalf("kubetest: workloads: %v", err)
	}
	return cp
}

// verboseLogf logs the shared control plane's progress under go test -v
// (it belongs to no single test, so t.Logf does not fit).
func verboseLogf(format string, args ...any) {
	if testing.Verbose() {
		log.Printf(format, args...)
	}
}

// Namespace creates a namespace with a name derived from the test's name
// and deletes it when the test ends, so that tests sharing one control
// plane do not see each other's objects.
func (cp *ControlPlane) Namespace(t testing.TB) string {
	t.Helper()
	prefix := strings.ToLower(t.Name())
	prefix = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return '-'
	}, prefix)
	if len(prefix) > 40 {
		prefix = prefix[:40]
	}
	prefix = strings.Trim(prefix, "-") + "-"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns, err := cp.Client.CoreV1().Namespaces().Create(ctx,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("kubetest: creating namespace: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = cp.Client.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{})
	})
	return ns.Name
}
