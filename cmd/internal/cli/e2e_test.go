package cli

// End-to-end tests of the headless faces (issue #5) on the real RabbitMQ of
// rabbit/rabbittest and the real etcd + kube-apiserver (+ controller manager
// and kwok) of kube/kubetest. Each test has its own vhost, queue, user and
// namespace, so they run in parallel on the shared servers.

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestE2ENoTTYNoModeExplains(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	code := runCLI(t.Context(), []string{"yeetscale"}, &out, &errOut)
	if code != ExitUsage {
		t.Errorf("exit %d, want %d (usage)", code, ExitUsage)
	}
	for _, want := range []string{"no terminal", "yeetscale --once", "yeetscale --auto", "yeetscale demo"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
}

func TestE2EOnceDryRunThenApply(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 1)
	w.broker.Publish(t, w.vhost, w.queue, 1234)
	w.waitMessages(30*time.Second, "1234 messages", func(n int64) bool { return n == 1234 })

	// ceil(1234/100) = 13 within [1, 40].
	code, out, errOut := once(t, w.args("--once", "--dry-run", "--target-messages", "100", "--max-replicas", "40"))
	if code != ExitOK {
		t.Fatalf("--once --dry-run: exit %d; stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"1,234 messages", "decision    13 replicas", "applied     no (--dry-run)", w.ns + "/" + w.name} {
		if !strings.Contains(out, want) {
			t.Errorf("--once --dry-run output lacks %q:\n%s", want, out)
		}
	}
	// Clamped: ceil(1234/100) = 13 > --max-replicas 5.
	code, out, errOut = once(t, w.args("--once", "--dry-run", "--target-messages", "100", "--max-replicas", "5"))
	if code != ExitOK || !strings.Contains(out, "decision    5 replicas") {
		t.Errorf("clamped --once --dry-run: exit %d, want the decision 5 replicas; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	// Defaults: --target-messages 50, --max-replicas 10: ceil(1234/50) = 25, clamped to 10.
	code, out, errOut = once(t, w.args("--once", "--dry-run"))
	if code != ExitOK || !strings.Contains(out, "decision    10 replicas") {
		t.Errorf("default --once --dry-run: exit %d, want the decision 10 replicas; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if n := w.replicas(); n != 1 {
		t.Fatalf("--dry-run changed the deployment: %d replicas, want 1", n)
	}
	if ev := w.rescaleEvents(); len(ev) != 0 {
		t.Fatalf("--dry-run recorded %d SuccessfulRescale events", len(ev))
	}

	code, out, errOut = once(t, w.args("--once", "--dry-run", "--output", "json", "--target-messages", "100", "--max-replicas", "40"))
	if code != ExitOK {
		t.Fatalf("--once --dry-run -o json: exit %d; stderr:\n%s", code, errOut)
	}
	var res onceResult
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("--output json is not one JSON object of the documented fields: %v\n%s", err, out)
	}
	if dec.More() {
		t.Errorf("--output json printed more than one JSON value:\n%s", out)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"queue", "deployment", "policy", "desired", "reason", "applied", "dry_run"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks field %q: %s", k, out)
		}
	}
	if res.Desired == nil || res.Queue.Messages == nil || res.Deployment.Replicas == nil {
		t.Fatalf("--output json has null numbers after a good poll:\n%s", out)
	}
	if *res.Desired != 13 || res.Applied || !res.DryRun || *res.Queue.Messages != 1234 || res.Queue.Name != w.queue ||
		res.Deployment.Namespace != w.ns || res.Deployment.Name != w.name || *res.Deployment.Replicas != 1 || res.Reason == "" || res.Policy == "" || res.Error != "" {
		t.Errorf("JSON result %+v: want desired 13, not applied, dry_run, 1234 messages, deployment %s/%s at 1", res, w.ns, w.name)
	}

	// --once applies and records the Event.
	code, out, errOut = once(t, w.args("--once", "--output", "json", "--target-messages", "100", "--max-replicas", "40"))
	if code != ExitOK {
		t.Fatalf("--once: exit %d; stderr:\n%s", code, errOut)
	}
	res = onceResult{}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--once -o json: %v\n%s", err, out)
	}
	if !res.Applied || res.DryRun || res.Desired == nil || *res.Desired != 13 {
		t.Errorf("--once result %+v: want applied 13", res)
	}
	if n := w.replicas(); n != 13 {
		t.Fatalf("after --once: %d replicas, want 13", n)
	}
	ev := w.rescaleEvents()
	if len(ev) != 1 {
		t.Fatalf("after --once: %d SuccessfulRescale events on the deployment, want 1", len(ev))
	}
	if !strings.Contains(ev[0].Message, "13") {
		t.Errorf("event message %q does not name the new size 13", ev[0].Message)
	}

	// A second --once finds nothing to change.
	code, out, errOut = once(t, w.args("--once", "--target-messages", "100", "--max-replicas", "40"))
	if code != ExitOK || !strings.Contains(out, "nothing to change") {
		t.Errorf("second --once: exit %d, want nothing to change; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if ev := w.rescaleEvents(); len(ev) != 1 {
		t.Errorf("second --once recorded another event: %d in all", len(ev))
	}
}

func TestE2EWrongPasswordExits3(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 1)
	wrong := "not-the-password-" + w.pass[:4]
	args := w.args("--once")
	for i, a := range args {
		if a == w.pass {
			args[i] = wrong
		}
	}
	code, out, errOut := once(t, args)
	if code != ExitBroker {
		t.Errorf("exit %d, want %d (broker); stdout:\n%s\nstderr:\n%s", code, ExitBroker, out, errOut)
	}
	if !strings.Contains(errOut, w.user) {
		t.Errorf("the error does not name the user %q:\n%s", w.user, errOut)
	}
	if strings.Contains(out+errOut, wrong) || strings.Contains(out+errOut, w.pass) {
		t.Errorf("the output contains the password:\n%s\n%s", out, errOut)
	}
	if n := w.replicas(); n != 1 {
		t.Errorf("a failed --once changed the deployment to %d", n)
	}
}

func TestE2EMissingDeploymentExits4(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 1)
	w.waitMessages(30*time.Second, "the queue's statistics", func(n int64) bool { return n == 0 })
	code, out, errOut := once(t, w.args("--once", "--deployment", "no-such-worker"))
	if code != ExitCluster {
		t.Errorf("exit %d, want %d (cluster); stdout:\n%s\nstderr:\n%s", code, ExitCluster, out, errOut)
	}
	if !strings.Contains(errOut, `"no-such-worker"`) || !strings.Contains(errOut, `"`+w.ns+`"`) {
		t.Errorf("the error does not name namespace %s and deployment no-such-worker:\n%s", w.ns, errOut)
	}
}

// backoffLines checks that every failed poll logged exactly one line, with
// consecutive counts 1, 2, 3, ... and a doubling retry_in, and returns them.
func backoffLines(t *testing.T, ls []logLine, kind string) []logLine {
	t.Helper()
	var failed []logLine
	for _, l := range ls {
		if l.msg() == "poll failed" {
			failed = append(failed, l)
		}
	}
	for i, l := range failed {
		if got := int(l.num("consecutive")); got != i+1 {
			t.Errorf("failure line %d says consecutive %d, want %d (one line per backoff step, no success between): %v\n%v", i+1, got, i+1, l, ls)
		}
		if l.str("kind") != kind {
			t.Errorf("failure line %d: kind %q, want %q: %v", i+1, l.str("kind"), kind, l)
		}
		if i > 0 {
			prev, _ := time.ParseDuration(failed[i-1].str("retry_in"))
			cur, _ := time.ParseDuration(l.str("retry_in"))
			if cur < prev {
				t.Errorf("retry_in went down from %s to %s", prev, cur)
			}
		}
	}
	return failed
}

func TestE2EBrokerOutageHoldsAndRecovers(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 1)
	p := newProxy(t, strings.TrimPrefix(w.broker.MgmtURL, "http://"))
	args := w.args("--auto", "--log-format", "json", "--poll-interval", "1s", "--target-messages", "100", "--max-replicas", "20")
	for i, a := range args {
		if a == w.broker.MgmtURL {
			args[i] = "http://" + p.addr
		}
	}
	w.broker.Publish(t, w.vhost, w.queue, 500)
	w.waitMessages(30*time.Second, "500 messages", func(n int64) bool { return n == 500 })
	r := startAuto(t, args)
	w.waitReplicas(30*time.Second, 5, r.log)
	r.waitLog(t, 10*time.Second, `a "scaled" line`, func(ls []logLine) bool { return count(ls, "scaled") == 1 })

	p.cut()
	// More work arrives while yeetscale cannot see it.
	w.broker.Publish(t, w.vhost, w.queue, 500)
	ls := r.waitLog(t, 30*time.Second, "three failed polls", func(ls []logLine) bool { return count(ls, "poll failed") >= 3 })
	failed := backoffLines(t, ls, "unavailable")
	if n := w.replicas(); n != 5 {
		t.Errorf("during the broker outage the deployment went to %d, want 5 held", n)
	}
	if got := failed[0].num("holding"); got != 5 {
		t.Errorf("failure line says holding %v, want 5", got)
	}
	if r1, _ := time.ParseDuration(failed[0].str("retry_in")); r1 != time.Second {
		t.Errorf("first retry_in %s, want the poll interval 1s", r1)
	}
	if r3, _ := time.ParseDuration(failed[2].str("retry_in")); r3 != 4*time.Second {
		t.Errorf("third retry_in %s, want 4s (doubling)", r3)
	}
	if !r.running() {
		t.Fatalf("--auto exited during the outage; log:\n%s", r.log)
	}
	nFailed := count(ls, "poll failed")

	p.restore()
	w.waitReplicas(30*time.Second, 10, r.log)
	ls = r.waitLog(t, 10*time.Second, "the second scale change", func(ls []logLine) bool { return count(ls, "scaled") >= 2 })
	backoffLines(t, ls, "unavailable")
	if count(ls, "scaled") != 2 {
		t.Errorf("%d scale changes, want 2 (5, then 10 after recovery); log:\n%s", count(ls, "scaled"), r.log)
	}
	// Nothing was logged as a failure after recovery, and the
	// failures were logged once each (checked by backoffLines).
	var sawDecisionAfter bool
	for i, l := range ls {
		if l.msg() == "poll failed" && int(l.num("consecutive")) == nFailed {
			for _, l2 := range ls[i+1:] {
				sawDecisionAfter = sawDecisionAfter || l2.msg() == "decision"
			}
		}
	}
	if !sawDecisionAfter {
		t.Errorf("no decision logged after the broker came back; log:\n%s", r.log)
	}
	if code := r.stop(t); code != ExitOK {
		t.Errorf("--auto exit %d after cancellation, want 0", code)
	}
	if !strings.Contains(r.log.String(), `"msg":"stopped"`) {
		t.Errorf("no stopped line; log:\n%s", r.log)
	}
}

func TestE2EClusterOutageRetriesWithoutScaling(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 1)
	p := newProxy(t, strings.TrimPrefix(w.cp.URL, "https://"))
	args := w.args("--auto", "--log-format", "json", "--poll-interval", "1s", "--target-messages", "100", "--max-replicas", "20")
	for i, a := range args {
		if a == w.cp.Kubeconfig {
			args[i] = kubeconfigVia(t, w.cp, p.addr)
		}
	}
	w.broker.Publish(t, w.vhost, w.queue, 300)
	w.waitMessages(30*time.Second, "300 messages", func(n int64) bool { return n == 300 })
	r := startAuto(t, args)
	w.waitReplicas(30*time.Second, 3, r.log)
	// The apiserver shows 3 a moment before yeetscale has its answer: cut
	// only once the change is logged, or the cut may lose the response of
	// an update that took effect.
	r.waitLog(t, 10*time.Second, "the first scale change", func(ls []logLine) bool { return count(ls, "scaled") >= 1 })

	p.cut()
	w.broker.Publish(t, w.vhost, w.queue, 500)
	w.waitMessages(30*time.Second, "800 messages", func(n int64) bool { return n == 800 })
	ls := r.waitLog(t, 45*time.Second, "three failed polls", func(ls []logLine) bool { return count(ls, "poll failed") >= 3 })
	backoffLines(t, ls, "unavailable")
	if n := w.replicas(); n != 3 {
		t.Errorf("during the apiserver outage the deployment went to %d, want 3", n)
	}
	if count(ls, "scaled") != 1 {
		t.Errorf("scaled while the apiserver was unreachable; log:\n%s", r.log)
	}
	if !r.running() {
		t.Fatalf("--auto exited during the apiserver outage; log:\n%s", r.log)
	}

	p.restore()
	w.waitReplicas(45*time.Second, 8, r.log)
	ls = r.waitLog(t, 10*time.Second, "the second scale change", func(ls []logLine) bool { return count(ls, "scaled") >= 2 })
	// The scale-up after recovery came from a successful poll of both sides.
	for _, l := range ls {
		if l.msg() == "scaled" && l.num("to") == 8 && l.num("from") != 3 {
			t.Errorf("recovery scaled from %v, want 3: %v", l.num("from"), l)
		}
	}
	if code := r.stop(t); code != ExitOK {
		t.Errorf("--auto exit %d after cancellation, want 0", code)
	}
}

func TestE2EDryRunAutoNeverApplies(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false, 1)
	w.broker.Publish(t, w.vhost, w.queue, 400)
	w.waitMessages(30*time.Second, "400 messages", func(n int64) bool { return n == 400 })
	r := startAuto(t, w.args("--auto", "--dry-run", "--log-format", "json", "--poll-interval", "1s", "--target-messages", "100"))
	ls := r.waitLog(t, 20*time.Second, "three decisions", func(ls []logLine) bool { return count(ls, "decision") >= 3 })
	for _, l := range ls {
		if l.msg() == "decision" && (l.num("desired") != 4 || l.str("reason") == "") {
			t.Errorf("decision line %v: want desired 4 with a reason", l)
		}
	}
	if count(ls, "scaled") != 0 || w.replicas() != 1 || len(w.rescaleEvents()) != 0 {
		t.Errorf("--auto --dry-run applied something: %d replicas; log:\n%s", w.replicas(), r.log)
	}
	if code := r.stop(t); code != ExitOK {
		t.Errorf("exit %d, want 0", code)
	}
}
