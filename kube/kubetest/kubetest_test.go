package kubetest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// TestStartLabAndStop exercises the non-testing entry point: the written
// kubeconfig works for a client built the way kubectl builds one, the
// restricted users are what they claim, and Stop ends every process and
// removes the directory.
func TestStartLabAndStop(t *testing.T) {
	// No deadline for StartLab: it may have to build the tools (minutes,
	// cold); each server's start-up has its own timeout.
	cp, err := StartLab(context.Background(), Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stopped := false
	defer func() {
		if !stopped {
			cp.Stop()
		}
	}()

	cfg, err := clientcmd.BuildConfigFromFlags("", cp.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err != nil {
		t.Fatalf("admin kubeconfig: %v", err)
	}
	nobody, err := kubernetes.NewForConfig(cp.NobodyConfig())
	if err != nil {
		t.Fatal(err)
	}
	_, err = nobody.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{})
	if err == nil || !strings.Contains(err.Error(), `User "`+NobodyUser+`" cannot get`) {
		t.Fatalf("nobody user: err = %v, want forbidden", err)
	}
	path, err := cp.WriteKubeconfig("nobody.kubeconfig", NobodyUser, cp.NobodyToken())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clientcmd.BuildConfigFromFlags("", path); err != nil {
		t.Fatalf("nobody kubeconfig: %v", err)
	}

	procs := append([]*process(nil), cp.procs...)
	cp.Stop()
	stopped = true
	for _, p := range procs {
		if !p.exited() {
			t.Errorf("%s still running after Stop", p.name)
		}
	}
	if _, err := os.Stat(cp.Dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after Stop (%v)", cp.Dir, err)
	}
	cp.Stop() // a second Stop is harmless
}

func TestTailFile(t *testing.T) {
	path := t.TempDir() + "/log"
	if err := os.WriteFile(path, []byte("1\n2\n3\n4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		n    int
		want string
	}{{2, "  3\n  4"}, {10, "  1\n  2\n  3\n  4"}}
	for _, tt := range tests {
		if got := tailFile(path, tt.n); got != tt.want {
			t.Errorf("tailFile(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// cancelOnWrite records what is written and cancels a context on the
// first write.
type cancelOnWrite struct {
	cancel context.CancelFunc
	buf    strings.Builder
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	w.buf.Write(p)
	w.cancel()
	return len(p), nil
}

// TestRunLab runs the lab until its instructions are printed, then stops
// it the way Ctrl-C would.
func TestRunLab(t *testing.T) {
	labCtx, stop := context.WithCancel(context.Background())
	defer stop()
	out := &cancelOnWrite{cancel: stop}
	dir := t.TempDir() + "/lab"
	if err := RunLab(labCtx, LabOptions{Options: Options{Dir: dir}, Replicas: 2, Out: out}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"export KUBECONFIG=" + dir + "/kubeconfig", "yeeter/yeeter-worker created with 2 replica(s)"} {
		if !strings.Contains(out.buf.String(), want) {
			t.Errorf("instructions lack %q:\n%s", want, out.buf.String())
		}
	}
}

// TestKwokKnownRaceDetection checks which kwok crashes StartWorkloads starts
// kwok again for: only its known start-up race, never another failure.
func TestKwokKnownRaceDetection(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, log string
		want      bool
	}{
		{"the easycel race", "fatal error: concurrent map writes\n\ngoroutine 39 [running]:\ngithub.com/wzshiming/easycel.getTrait(...)\n", true},
		{"another concurrent map write", "fatal error: concurrent map writes\n\ngoroutine 1 [running]:\nmain.main()\n", false},
		{"a bad flag", "Error: unknown flag: --nope\n", false},
		{"no log", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &process{logPath: filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".log")}
			if tt.log != "" {
				if err := os.WriteFile(p.logPath, []byte(tt.log), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := p.crashedOnKnownRace(); got != tt.want {
				t.Errorf("crashedOnKnownRace() = %v, want %v", got, tt.want)
			}
		})
	}
}
