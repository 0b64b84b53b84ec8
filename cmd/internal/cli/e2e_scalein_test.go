package cli

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/yeeter/yeetscale/cmd/internal/labworld"
	"github.com/yeeter/yeetscale/rabbit"
	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// scaleInWorld is a world whose Deployment's pods each run a lab worker
// named after its pod (labworld.PodWorkers, prefetch 1).
type scaleInWorld struct {
	*world
	workers *labworld.PodWorkers
}

func newScaleInWorld(t testing.TB, replicas int32) *scaleInWorld {
	return newScaleInWorldWith(t, replicas, nil)
}

// newScaleInWorldWith is newScaleInWorld with setup called on the workers
// before they run (nil: none).
// newReadyScaleInWorld is newScaleInWorld once its pods run their workers
// and the queue's statistics read it empty: where every scale-in test and
// benchmark starts.
func newReadyScaleInWorld(t testing.TB, replicas int32) *scaleInWorld {
	w := newScaleInWorld(t, replicas)
	w.waitPods(int(replicas))
	w.waitMessages(30*time.Second, "the queue's statistics", func(n int64) bool { return n == 0 })
	return w
}

func newScaleInWorldWith(t testing.TB, replicas int32, setup func(*labworld.PodWorkers)) *scaleInWorld {
	w := newWorld(t, true, replicas)
	amqpURL := strings.TrimSuffix(w.broker.AMQPURL, "/") + "/" + amqpEscape(w.vhost)
	pw := labworld.NewPodWorkers(labworld.Config{AMQPURL: amqpURL, VHost: w.vhost, Queue: w.queue, Reconcile: 100 * time.Millisecond, Logf: t.Logf},
		w.cp.Client, w.ns, "app.kubernetes.io/name="+w.name, 1)
	if setup != nil {
		setup(pw)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); pw.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &scaleInWorld{world: w, workers: pw}
}

func amqpEscape(vhost string) string {
	r := strings.NewReplacer("%", "%25", "/", "%2F", "#", "%23", "?", "%3F")
	return r.Replace(vhost)
}

// publishLong publishes n messages that take work each.
func (w *scaleInWorld) publishLong(n int, work time.Duration) {
	w.t.Helper()
	conn, err := amqp.DialConfig(w.broker.AMQPURL, amqp.Config{Vhost: w.vhost})
	if err != nil {
		w.t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		w.t.Fatal(err)
	}
	for range n {
		err := ch.PublishWithContext(context.Background(), "", w.queue, false, false,
			amqp.Publishing{Headers: amqp.Table{labworld.HeaderWorkTime: work.String()}, Body: []byte("long")})
		if err != nil {
			w.t.Fatal(err)
		}
	}
}

// redeliveries is the queue's message_stats.redeliver (0 before any).
func (w *scaleInWorld) redeliveries() int64 {
	w.t.Helper()
	_, body, err := w.broker.Do(context.Background(), "GET", rabbittest.APIPath("queues", w.vhost, w.queue)+"?columns=message_stats.redeliver", nil)
	if err != nil {
		w.t.Fatal(err)
	}
	var q struct {
		MessageStats struct {
			Redeliver int64 `json:"redeliver"`
		} `json:"message_stats"`
	}
	_ = json.Unmarshal(body, &q) // [] or no message_stats: none yet
	return q.MessageStats.Redeliver
}

// livePods returns the names of the Deployment's pods not being deleted.
func (w *scaleInWorld) livePods() []string {
	w.t.Helper()
	list, err := w.cp.Client.CoreV1().Pods(w.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=" + w.name})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p.Name)
		}
	}
	sort.Strings(out)
	return out
}

// waitBusy waits until n workers hold a message and the broker's channel
// statistics (what yeetscale reads) say so, with a consumer listed for
// every worker (under load a worker's consumer was once missing, so its
// idle pod was not seen idle: "4 of 6 pods idle" where 5 were), and
// returns the busy pods.
func (w *scaleInWorld) waitBusy(n int) []string {
	w.t.Helper()
	var busy []string
	ok := poll(60*time.Second, 200*time.Millisecond, func() bool {
		busy = busy[:0]
		for p := range w.workers.Busy() {
			busy = append(busy, p)
		}
		if len(busy) != n {
			return false
		}
		c := consumersClient(w.t, w.world)
		cs, err := c.Consumers(context.Background())
		seen := 0
		for _, x := range cs {
			if x.Unacked > 0 {
				seen++
			}
		}
		return err == nil && seen == n && len(cs) == w.workers.Workers()
	})
	if !ok {
		w.t.Fatalf("never %d busy workers with the broker agreeing (busy now: %v)", n, busy)
	}
	sort.Strings(busy)
	return busy
}

// waitPods waits until the Deployment has n live pods and n workers.
func (w *scaleInWorld) waitPods(n int) {
	w.t.Helper()
	if !poll(90*time.Second, 200*time.Millisecond, func() bool { return len(w.livePods()) == n && w.workers.Workers() == n }) {
		w.t.Fatalf("never %d pods and workers (pods %v, workers %d)", n, w.livePods(), w.workers.Workers())
	}
}

func (w *scaleInWorld) scaleTo(n int32) {
	w.t.Helper()
	ctx := context.Background()
	s, err := w.cp.Client.AppsV1().Deployments(w.ns).GetScale(ctx, w.name, metav1.GetOptions{})
	if err != nil {
		w.t.Fatal(err)
	}
	s.Spec.Replicas = n
	if _, err := w.cp.Client.AppsV1().Deployments(w.ns).UpdateScale(ctx, w.name, s, metav1.UpdateOptions{}); err != nil {
		w.t.Fatal(err)
	}
}

// TestScaleInSparesBusyWorkers (issue #15): a Deployment of 10 pods, each
// running a worker named after its pod; 5 are busy on long messages, 5
// idle. yeetscale --once scales to 5: the real ReplicaSet controller
// removes the 5 idle pods, and the broker redelivers nothing. Then the same
// scale-down with --pod-choice=false, the busy pods being the newest (which
// the ReplicaSet controller removes first when costs are equal): their
// messages are redelivered.
func TestScaleInSparesBusyWorkers(t *testing.T) {
	t.Parallel()
	w := newReadyScaleInWorld(t, 10)
	const first = 45 * time.Second
	w.publishLong(5, first)
	busy := w.waitBusy(5)
	before := w.redeliveries()
	flags := []string{"--once", "--min-replicas", "5", "--max-replicas", "5", "--target-messages", "1"}
	code, out, errOut := once(t, w.args(flags...))
	t.Logf("yeetscale --once: exit %d\n%s\n%s", code, out, errOut)
	if code != 0 {
		t.Fatalf("--once exit %d", code)
	}
	w.waitPods(5)
	if got := w.livePods(); strings.Join(got, ",") != strings.Join(busy, ",") {
		t.Errorf("with pod choice the survivors are %v, want the busy pods %v", got, busy)
	}
	if !strings.Contains(out+errOut, "chooses its pods: 5 idle, 5 busy") {
		t.Errorf("--once output does not say the pod choice:\n%s\n%s", out, errOut)
	}
	time.Sleep(3 * time.Second) // a statistics interval or two
	withChoice := w.redeliveries() - before
	if withChoice != 0 || w.workers.Redelivered() != 0 || w.workers.KilledBusy() != 0 {
		t.Errorf("with pod choice: %d redelivered (broker), %d (workers), %d busy workers killed; want none", withChoice, w.workers.Redelivered(), w.workers.KilledBusy())
	}
	costsLeft := func() int {
		list, _ := w.cp.Client.CoreV1().Pods(w.ns).List(context.Background(), metav1.ListOptions{})
		n := 0
		for _, p := range list.Items {
			if _, ok := p.Annotations["yeetscale.yeeter.io/deletion-cost-set"]; ok {
				n++
			}
		}
		return n
	}
	t.Logf("pods still marked after --once: %d", costsLeft())

	// Without pod choice: 5 new pods, made busy while the old ones still
	// are, then the old ones finish: the busy pods are the newest.
	w.scaleTo(10)
	w.waitPods(10)
	w.publishLong(5, 10*time.Minute)
	if !poll(first+30*time.Second, 200*time.Millisecond, func() bool {
		b := w.workers.Busy()
		for _, p := range busy {
			if b[p] > 0 {
				return false
			}
		}
		return len(b) == 5
	}) {
		t.Fatalf("the first busy pods never finished (busy %v)", w.workers.Busy())
	}
	busy2 := w.waitBusy(5)
	before = w.redeliveries()
	killedBefore := w.workers.KilledBusy()
	code, out, errOut = once(t, w.args(append(flags, "--pod-choice=false")...))
	if code != 0 {
		t.Fatalf("--once --pod-choice=false exit %d\n%s\n%s", code, out, errOut)
	}
	w.waitPods(5)
	var without int64
	poll(20*time.Second, 200*time.Millisecond, func() bool { without = w.redeliveries() - before; return without >= 5 })
	killed := w.workers.KilledBusy() - killedBefore
	t.Logf("busy pods %v; survivors %v; redelivered with choice %d, without %d; busy workers killed without choice %d", busy2, w.livePods(), withChoice, without, killed)
	if without == 0 || killed == 0 {
		t.Errorf("without pod choice nothing was redelivered (%d) or no busy worker killed (%d): the test shows nothing", without, killed)
	}
}

// consumersClient is a rabbit client on w's queue with w's monitoring user.
func consumersClient(t testing.TB, w *world) *rabbit.Client {
	t.Helper()
	o := rabbit.DefaultOptions()
	o.MgmtURL, o.VHost, o.Queue, o.Username, o.Password = w.broker.MgmtURL, w.vhost, w.queue, w.user, rabbit.Secret(w.pass)
	o.Getenv = func(string) string { return "" }
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	c, err := rabbit.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
