package cli

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/yeeter/yeetscale/engine"
)

// TestScaleInFleetPattern: on the real broker and apiserver, a fleet
// target whose queues are a pattern (its worker queue and an empty second
// one) at 6 pods, 3 busy, scaled to 3 keeps the 3 busy pods and nothing is
// redelivered. An idle pod's name also holds 5 messages of a queue the
// pattern does not match: were that queue's consumers counted, that pod
// would look the busiest and a busy one would go.
func TestScaleInFleetPattern(t *testing.T) {
	t.Parallel()
	w := newReadyScaleInWorld(t, 6)
	w.broker.Queue(t, w.vhost, w.queue+".b")
	w.broker.Queue(t, w.vhost, "decoy")
	w.publishLong(3, 40*time.Second)
	busy := w.waitBusy(3)
	idle := ""
	for _, p := range w.livePods() {
		if !strings.Contains(","+strings.Join(busy, ",")+",", ","+p+",") {
			idle = p
		}
	}
	holdAs(t, w, idle, "decoy", 5)

	pattern := regexp.QuoteMeta(w.queue) + `(\.b)?`
	ann, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{
		engine.AnnotationQueuePattern:            pattern,
		engine.AnnotationPrefix + "min-replicas": "3", engine.AnnotationPrefix + "max-replicas": "3",
	}}})
	if _, err := w.cp.Client.AppsV1().Deployments(w.ns).Patch(context.Background(), w.name, types.MergePatchType, ann, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	before := w.redeliveries()
	code, out, errOut := once(t, []string{"yeetscale", "--fleet", "--once", "--kubeconfig", w.cp.Kubeconfig, "-n", w.ns,
		"--mgmt-url", w.broker.MgmtURL, "--vhost", w.vhost, "--username", w.user, "--password", w.pass})
	if code != 0 || !strings.Contains(out, "chooses its pods: 3 idle, 3 busy") {
		t.Fatalf("fleet --once: exit %d, want 0 choosing among 3 idle and 3 busy pods\n%s\n%s", code, out, errOut)
	}
	w.waitPods(3)
	if got := w.livePods(); strings.Join(got, ",") != strings.Join(busy, ",") {
		t.Errorf("survivors %v, want the busy pods %v (pod %s holds the decoy queue's messages)\n%s\n%s", got, busy, idle, out, errOut)
	}
	time.Sleep(3 * time.Second) // a statistics interval or two
	if n := w.redeliveries() - before; n != 0 || w.workers.KilledBusy() != 0 {
		t.Errorf("%d redelivered, %d busy workers killed; want none", n, w.workers.KilledBusy())
	}
}

// holdAs publishes n messages to queue and holds them on a connection
// named pod (as pod's worker would name it) until the broker's channel
// statistics show them.
func holdAs(t *testing.T, w *scaleInWorld, pod, queue string, n int) {
	t.Helper()
	conn, err := amqp.DialConfig(w.broker.AMQPURL, amqp.Config{Vhost: w.vhost, Properties: amqp.Table{"connection_name": pod}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Qos(n, 0, false); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.Consume(queue, "", false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	w.broker.Publish(t, w.vhost, queue, n)
	c := consumersClient(t, w.world).ForQueues(w.vhost, func(q string) bool { return q == queue })
	if !poll(60*time.Second, 200*time.Millisecond, func() bool {
		cs, err := c.Consumers(context.Background())
		return err == nil && len(cs) == 1 && cs[0].Unacked == n && cs[0].ConnectionName == pod
	}) {
		t.Fatalf("the broker never showed %s holding %d messages of %s", pod, n, queue)
	}
}
