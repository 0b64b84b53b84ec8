package labworld

import (
	"context"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

// TestPodWorkersFollowPods runs pod workers on the real broker over a fake
// cluster: one worker per running pod, each holding a long message; the
// worker of a deleted pod stops at once and its message is redelivered to
// another (counted as a redelivery and as a busy worker killed).
func TestPodWorkersFollowPods(t *testing.T) {
	t.Parallel()
	b := rabbittest.Start(t)
	vhost := b.NewVHost(t)
	queue := b.NewQueue(t, vhost)
	pod := func(name string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": "w"}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	}
	client := fake.NewSimpleClientset(pod("w-1"), pod("w-2"), pod("w-3"))
	pw := NewPodWorkers(Config{AMQPURL: b.AMQPURL, VHost: vhost, Queue: queue, WorkTime: time.Hour, Reconcile: 20 * time.Millisecond}, client, "ns", "app=w", 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); pw.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wait := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("never %s (workers %d, busy %v)", what, pw.Workers(), pw.Busy())
			}
		}
	}
	wait("3 workers", func() bool { return pw.Workers() == 3 })
	conn, err := amqp.DialConfig(b.AMQPURL, amqp.Config{Vhost: vhost})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	for _, work := range []string{"1h", "1h"} {
		if err := ch.PublishWithContext(ctx, "", queue, false, false, amqp.Publishing{Headers: amqp.Table{HeaderWorkTime: work}}); err != nil {
			t.Fatal(err)
		}
	}
	wait("2 busy", func() bool { return len(pw.Busy()) == 2 })
	var victim string
	for name := range pw.Busy() {
		victim = name
	}
	if err := client.CoreV1().Pods("ns").Delete(ctx, victim, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	wait("the victim's message redelivered to the idle worker", func() bool {
		busy := pw.Busy()
		return pw.Workers() == 2 && len(busy) == 2 && busy[victim] == 0 && pw.Redelivered() == 1
	})
	if pw.KilledBusy() != 1 || pw.Acked() != 0 {
		t.Errorf("killed busy %d, acked %d; want 1 and 0", pw.KilledBusy(), pw.Acked())
	}
}
