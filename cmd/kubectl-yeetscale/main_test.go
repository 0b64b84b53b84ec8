package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/yeeter/yeetscale/kube/kubetest"
	"github.com/yeeter/yeetscale/rabbit"
	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// The version stamped into the binaries by make with -ldflags.
const (
	testVersion = "v9.8.7-test"
	testCommit  = "c0ffee1"
	testDate    = "2001-02-03T04:05:06Z"
	wantVersion = "yeetscale " + testVersion + " (commit " + testCommit + ", built " + testDate + ")"
)

var (
	// root is a temporary directory for the installed binaries, removed by
	// TestMain.
	root     string
	install  sync.Once
	prefix   string // make install PREFIX=; binaries in prefix/bin
	buildErr error
	buildOut []byte

	// sharedCP is the control plane a test started, stopped by TestMain.
	sharedCP *kubetest.ControlPlane
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedCP != nil {
		sharedCP.Stop()
	}
	if root != "" {
		os.RemoveAll(root)
	}
	os.Exit(code)
}

// repoRoot is the module's root, two levels above this package.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "Makefile")); err != nil {
		t.Fatalf("no Makefile at the repository root: %v", err)
	}
	return dir
}

// installed runs `make install` (which runs `make build`) once, with the
// test version stamped in, into a temporary PREFIX, and returns PREFIX/bin.
func installed(t testing.TB) string {
	t.Helper()
	install.Do(func() {
		root, buildErr = os.MkdirTemp("", "kubectl-yeetscale-test-")
		if buildErr != nil {
			return
		}
		prefix = filepath.Join(root, "prefix")
		cmd := exec.Command("make", "-C", repoRoot(t), "install",
			"PREFIX="+prefix, "BIN="+filepath.Join(root, "build"),
			"VERSION="+testVersion, "COMMIT="+testCommit, "DATE="+testDate)
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("make install: %v\n%s", buildErr, buildOut)
	}
	return filepath.Join(prefix, "bin")
}

// kubectl returns the harness's kubectl (built by kubetest's tools module).
func kubectl(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	tools, err := kubetest.EnsureTools(ctx, kubetest.Kubectl)
	if err != nil {
		t.Fatalf("building kubectl: %v", err)
	}
	return tools.Bin(kubetest.Kubectl)
}

// pluginEnv is the environment with only the installed binaries (and the
// system's) on PATH, plus extra.
func pluginEnv(bin string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "KUBECONFIG=") &&
			!strings.HasPrefix(kv, "RABBITMQ_") {
			env = append(env, kv)
		}
	}
	env = append(env, "PATH="+bin+":/usr/bin:/bin")
	return append(env, extra...)
}

// run runs name with args and env, bounded in time, and returns stdout,
// stderr and the exit code.
func run(t testing.TB, env []string, name string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok || ctx.Err() != nil {
			t.Fatalf("%s %s: %v (ctx: %v)\nstderr: %s", name, strings.Join(args, " "), err, ctx.Err(), errOut.String())
		}
		code = ee.ExitCode()
	}
	return out.String(), errOut.String(), code
}

// mustRun is run that fails the test unless the command exits 0.
func mustRun(t testing.TB, env []string, name string, args ...string) string {
	t.Helper()
	out, errOut, code := run(t, env, name, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\nstdout: %s\nstderr: %s", filepath.Base(name), strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func TestPluginArgs(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{nil, []string{"kubectl-yeetscale"}},
		{[]string{"/usr/local/bin/kubectl-yeetscale", "--once"}, []string{"/usr/local/bin/kubectl-yeetscale", "--once"}},
		{[]string{"kubectl-ys", "demo"}, []string{"kubectl-ys", "demo"}},
		{[]string{"/tmp/go-build123/exe/main", "version"}, []string{"kubectl-yeetscale", "version"}},
	} {
		if got := pluginArgs(tc.in); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("pluginArgs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestMakeInstall checks that make install PREFIX=... installs both
// binaries and the completion helper, executable, and that version and
// --version print what -ldflags stamped in.
func TestMakeInstall(t *testing.T) {
	bin := installed(t)
	for _, name := range []string{"yeetscale", "kubectl-yeetscale", "kubectl_complete-yeetscale"} {
		fi, err := os.Stat(filepath.Join(bin, name))
		if err != nil {
			t.Fatalf("make install PREFIX=%s: %v", prefix, err)
		}
		if fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v, want 0755", name, fi.Mode().Perm())
		}
	}
	env := pluginEnv(bin)
	for _, name := range []string{"yeetscale", "kubectl-yeetscale"} {
		for _, args := range [][]string{{"version"}, {"--version"}} {
			if got := strings.TrimSpace(mustRun(t, env, filepath.Join(bin, name), args...)); got != wantVersion {
				t.Errorf("%s %s = %q, want %q", name, args[0], got, wantVersion)
			}
		}
	}
	// Through kubectl, as the plugin.
	if got := strings.TrimSpace(mustRun(t, env, kubectl(t), "yeetscale", "version")); got != wantVersion {
		t.Errorf("kubectl yeetscale version = %q, want %q", got, wantVersion)
	}
}

// TestPluginList checks that kubectl finds the installed plugin on PATH.
func TestPluginList(t *testing.T) {
	bin := installed(t)
	out, errOut, code := run(t, pluginEnv(bin), kubectl(t), "plugin", "list")
	if code != 0 {
		t.Fatalf("kubectl plugin list: exit %d\n%s%s", code, out, errOut)
	}
	want := filepath.Join(bin, "kubectl-yeetscale")
	if !strings.Contains(out, want+"\n") {
		t.Errorf("kubectl plugin list does not list %s:\n%s", want, out)
	}
	if strings.Contains(errOut, "yeetscale") {
		t.Errorf("kubectl plugin list warns about the plugin:\n%s", errOut)
	}
}

// TestPluginHelp checks that usage and examples read "kubectl yeetscale"
// when kubectl runs the plugin, "yeetscale" otherwise, and that the plugin
// takes kubectl's kubeconfig flags.
func TestPluginHelp(t *testing.T) {
	bin := installed(t)
	env := pluginEnv(bin)
	help := mustRun(t, env, kubectl(t), "yeetscale", "--help")
	for _, want := range []string{
		"Usage:\n  kubectl yeetscale [flags]\n  kubectl yeetscale [command]\n",
		"\n  kubectl yeetscale demo\n",
		"\n  kubectl yeetscale --once --dry-run --output json\n",
		"Use \"kubectl yeetscale [command] --help\"",
		"      --kubeconfig string", "      --context string", "  -n, --namespace string",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("kubectl yeetscale --help lacks %q:\n%s", want, help)
		}
	}
	// No usage or example line names the bare binary.
	if m := regexp.MustCompile(`(?m)^  (yeetscale|kubectl-yeetscale)\b.*$`).FindString(help); m != "" {
		t.Errorf("kubectl yeetscale --help has a line without 'kubectl yeetscale': %q", m)
	}
	sub := mustRun(t, env, kubectl(t), "yeetscale", "demo", "--help")
	for _, want := range []string{"Usage:\n  kubectl yeetscale demo [flags]\n", "\n  kubectl yeetscale demo --mode manual --speed 5\n"} {
		if !strings.Contains(sub, want) {
			t.Errorf("kubectl yeetscale demo --help lacks %q:\n%s", want, sub)
		}
	}
	// Errors name the plugin the way the user typed it.
	_, errOut, code := run(t, env, kubectl(t), "yeetscale", "--no-such-flag")
	if code != 2 || !strings.Contains(errOut, "kubectl yeetscale: unknown flag: --no-such-flag (see 'kubectl yeetscale --help')") {
		t.Errorf("kubectl yeetscale --no-such-flag: exit %d, stderr %q; want exit 2 naming 'kubectl yeetscale'", code, errOut)
	}
	plain := mustRun(t, env, filepath.Join(bin, "yeetscale"), "--help")
	if !strings.Contains(plain, "Usage:\n  yeetscale [flags]\n  yeetscale [command]\n") || strings.Contains(plain, "kubectl yeetscale") {
		t.Errorf("yeetscale --help should read 'yeetscale', not 'kubectl yeetscale':\n%s", plain)
	}
}

// TestCompletion checks the scripts of 'completion bash|zsh|fish' for both
// names, runs the bash one in a real bash, and completes through kubectl's
// plugin completion (kubectl_complete-yeetscale).
func TestCompletion(t *testing.T) {
	bin := installed(t)
	env := pluginEnv(bin)
	for _, name := range []string{"yeetscale", "kubectl-yeetscale"} {
		heads := map[string]string{
			"bash": "# bash completion V2 for " + name + " ",
			"zsh":  "#compdef " + name + "\ncompdef _" + name + " " + name + "\n",
			"fish": "# fish completion for " + name + " ",
		}
		for shell, head := range heads {
			script := mustRun(t, env, filepath.Join(bin, name), "completion", shell)
			if !strings.HasPrefix(script, head) {
				first, _, _ := strings.Cut(script, "\n")
				t.Errorf("%s completion %s starts %q, want %q", name, shell, first, head)
			}
			// The plugin's scripts must never take over kubectl's own completion.
			for _, bad := range []string{"compdef _kubectl kubectl", "-F __start_kubectl kubectl\n", "complete -c kubectl "} {
				if strings.Contains(script, bad) {
					t.Errorf("%s completion %s registers kubectl itself (%q)", name, shell, bad)
				}
			}
		}
		if out, err := exec.Command("bash", "-c", name+" completion bash | bash -n").CombinedOutput(); err != nil {
			t.Errorf("%s completion bash: not valid bash: %v\n%s", name, err, out)
		}
		// Complete "NAME de" in a real bash with the generated script. Cobra's
		// bash script needs the bash-completion package's helpers: load it
		// when installed, as an interactive shell does; otherwise define
		// _get_comp_words_by_ref's documented result from COMP_WORDS.
		fn := "__start_" + name
		script := `if [ -r /usr/share/bash-completion/bash_completion ]; then
  . /usr/share/bash-completion/bash_completion
else
  echo "bash-completion is not installed: using a minimal _get_comp_words_by_ref" >&2
  _get_comp_words_by_ref() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
fi
source <(` + name + ` completion bash)
COMP_LINE="` + name + ` de"; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(` + name + ` de); COMP_CWORD=1
` + fn + `
printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil || !regexp.MustCompile(`(?m)^demo\b`).Match(out) {
			t.Errorf("bash completion of %q: %v, got %q, want demo", name+" de", err, out)
		}
	}
	// kubectl completes 'kubectl yeetscale ...' by running
	// kubectl_complete-yeetscale from PATH.
	k := kubectl(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "yeetscale", "de"}, "demo"},
		{[]string{"__complete", "yeetscale", "--kubecon"}, "--kubeconfig"},
		{[]string{"__complete", "yeetscale", "--once", "--dry-r"}, "--dry-run"},
	} {
		out := mustRun(t, env, k, tc.args...)
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(tc.want) + `(\t|$)`).MatchString(out) {
			t.Errorf("kubectl %s: want %s among\n%s", strings.Join(tc.args, " "), tc.want, out)
		}
	}
}

// TestPluginOnceDryRun runs 'kubectl yeetscale --once --dry-run -n yeeter'
// through a real kubectl against a real kube-apiserver and a real RabbitMQ
// whose queue holds 1000 messages: it reports a scale-up and changes
// nothing.
func TestPluginOnceDryRun(t *testing.T) {
	bin := installed(t)
	k := kubectl(t)
	b := rabbittest.Start(t)
	cp := kubetest.Shared(t)
	sharedCP = cp
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := cp.CreateYeeter(ctx, 2); err != nil {
		t.Fatalf("creating yeeter/yeeter-worker: %v", err)
	}
	queue := b.NewQueue(t, "/")
	b.Publish(t, "/", queue, 1000)
	waitMessages(t, b, queue, 1000)
	user, password := b.NewUser(t, "monitoring", "/")
	env := pluginEnv(bin, "RABBITMQ_USERNAME="+user, "RABBITMQ_PASSWORD="+password)
	args := []string{"yeetscale", "--once", "--dry-run", "-n", "yeeter",
		"--kubeconfig", cp.Kubeconfig, "--mgmt-url", b.MgmtURL, "--queue", queue}

	out := mustRun(t, env, k, args...)
	t.Logf("kubectl %s:\n%s", strings.Join(args, " "), out)
	for _, re := range []string{
		`(?m)^queue +` + regexp.QuoteMeta(queue) + ` \(vhost /\): 1,000 messages \(1,000 ready, 0 unacked\)`,
		`(?m)^deployment +yeeter/yeeter-worker \(context ` + kubetest.ContextName + `\): 2 replicas`,
		`(?m)^decision +10 replicas \(policy adaptive\): \S`,
		`(?m)^applied +no \(--dry-run\)$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output does not match %s", re)
		}
	}
	if strings.Contains(out, password) {
		t.Error("output contains the RabbitMQ password")
	}

	jsonOut := mustRun(t, env, k, append(args, "-o", "json")...)
	var res struct {
		Queue      struct{ Messages int64 }
		Deployment struct {
			Namespace, Name string
			Replicas        int32
		}
		Desired int32
		Reason  string
		Applied bool
		DryRun  bool `json:"dry_run"`
	}
	if err := json.Unmarshal([]byte(jsonOut), &res); err != nil {
		t.Fatalf("-o json: %v\n%s", err, jsonOut)
	}
	if res.Queue.Messages != 1000 || res.Deployment.Namespace != "yeeter" || res.Deployment.Name != "yeeter-worker" ||
		res.Deployment.Replicas != 2 || res.Desired != 10 || res.Reason == "" || res.Applied || !res.DryRun {
		t.Errorf("-o json = %+v; want 1000 messages, yeeter/yeeter-worker at 2, desired 10 with a reason, not applied, dry run", res)
	}

	d, err := cp.Client.AppsV1().Deployments(kubetest.YeeterNamespace).Get(ctx, kubetest.YeeterDeployment, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 || d.Generation != 1 {
		t.Errorf("after --dry-run the Deployment has spec.replicas %v, generation %d; want 2, 1 (untouched)", d.Spec.Replicas, d.Generation)
	}
	sc, err := cp.Client.AppsV1().Deployments(kubetest.YeeterNamespace).GetScale(ctx, kubetest.YeeterDeployment, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Spec.Replicas != 2 {
		t.Errorf("after --dry-run the scale subresource says %d replicas, want 2", sc.Spec.Replicas)
	}
}

// waitMessages waits until the management API reports n messages in queue
// (the harness broker refreshes its statistics every 5 s, RabbitMQ's
// default; hence the generous timeout).
func waitMessages(t *testing.T, b *rabbittest.Broker, queue string, n int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var last string
	for {
		// The same columns as yeetscale asks for: the broker can answer the
		// plain request with counts while a columns request still gets no
		// statistics (seen once: the plugin then exited 3).
		status, body, err := b.Do(ctx, "GET", rabbittest.APIPath("queues", "/", queue)+"?columns="+url.QueryEscape(rabbit.Columns), nil)
		if err == nil && status == 200 {
			var q struct {
				Messages  int64
				Consumers *int64
			}
			if json.Unmarshal(body, &q) == nil && q.Messages == n && q.Consumers != nil {
				return
			}
			last = string(body)
		} else {
			last = fmt.Sprintf("status %d, error %v", status, err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("queue %s never showed %d messages in the management API; last: %.300s", queue, n, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
