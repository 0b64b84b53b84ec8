// Command yeetscale-lab runs, on loopback, everything yeetscale needs to be
// tried for real: a RabbitMQ broker with the management API, etcd +
// kube-apiserver + kube-controller-manager + kwok with a fake node, the
// yeeter namespace with the yeeter-worker Deployment, and a worker simulator
// that keeps as many consumers on the queue as the Deployment has ready
// pods. It prints how to point yeetscale at it and stops everything on
// Ctrl-C. Run it with `make lab`.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/yeeter/yeetscale/cmd/internal/labworld"
	"github.com/yeeter/yeetscale/kube/kubetest"
	"github.com/yeeter/yeetscale/rabbit"
	"github.com/yeeter/yeetscale/rabbit/rabbittest"
)

const labUser = "yeetscale-lab"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, in io.Reader, out, errOut io.Writer) int {
	fs := flag.NewFlagSet("yeetscale-lab", flag.ContinueOnError)
	fs.SetOutput(errOut)
	work := fs.Duration("work-seconds", labworld.DefaultWorkTime, "time each simulated worker spends on one message before acknowledging it")
	queue := fs.String("queue", rabbit.DefaultQueue, "queue the workers consume (declared on vhost /)")
	replicas := fs.Int("replicas", 1, "initial replicas of the yeeter-worker Deployment")
	publish := fs.Int("publish", 0, "publish this many messages once everything is up (a burst to watch)")
	keda := fs.Bool("keda", false, "also run KEDA "+kubetest.KEDAVersion+"'s operator and metrics adapter and the HPA controller (first run builds KEDA: about 10 minutes; needs root)")
	yeetscale := fs.String("yeetscale", "yeetscale", "how to run yeetscale in the printed command lines (make lab passes bin/yeetscale)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(errOut, "yeetscale-lab: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	logger := log.New(errOut, "lab: ", log.Ltime)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o := labOptions{work: *work, queue: *queue, replicas: int32(*replicas), publish: *publish, yeetscale: *yeetscale, keda: *keda}
	if err := lab(ctx, logger, in, out, o); err != nil {
		logger.Printf("error: %v", err)
		return 1
	}
	logger.Printf("stopped")
	return 0
}

// labOptions are the lab's command-line settings.
type labOptions struct {
	work      time.Duration // --work-seconds
	queue     string        // --queue
	replicas  int32         // --replicas
	publish   int           // --publish
	yeetscale string        // --yeetscale
	keda      bool          // --keda
}

// lab runs the lab until ctx is cancelled.
func lab(ctx context.Context, logger *log.Logger, in io.Reader, out io.Writer, o labOptions) error {
	logger.Printf("starting RabbitMQ (first run may install it with apt-get)")
	broker, stopBroker, err := rabbittest.StartLab(ctx, logger.Printf)
	if err != nil {
		return fmt.Errorf("rabbitmq: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := stopBroker(sctx); err != nil {
			logger.Printf("stopping rabbitmq: %v", err)
		}
	}()
	cp, err := startCluster(ctx, logger, o)
	if err != nil {
		return err
	}
	defer cp.Stop()
	password, err := prepareBroker(ctx, broker, o.queue)
	if err != nil {
		return err
	}
	defer broker.DeleteUser(context.Background(), labUser)

	workers := labworld.New(labworld.Config{AMQPURL: broker.AMQPURL, VHost: "/", Queue: o.queue, WorkTime: o.work, Logf: logger.Printf},
		labworld.DeploymentReady(cp.Client, kubetest.YeeterNamespace, kubetest.YeeterDeployment))
	done := make(chan struct{})
	go func() {
		defer close(done)
		workers.Run(ctx)
	}()
	if o.publish > 0 {
		logger.Printf("publishing %d messages to %s", o.publish, o.queue)
		if err := broker.PublishN(ctx, "/", o.queue, o.publish); err != nil {
			logger.Printf("publish: %v", err)
		}
	}
	printLab(out, cp, broker, o, password)
	go publishFromInput(ctx, logger, in, broker, o.queue)
	<-ctx.Done()
	logger.Printf("stopping")
	<-done
	return nil
}

// startCluster starts the control plane with the workloads (and KEDA with
// --keda) and creates the yeeter-worker Deployment; it stops what it
// started when a step fails.
func startCluster(ctx context.Context, logger *log.Logger, o labOptions) (*kubetest.ControlPlane, error) {
	logger.Printf("starting etcd, kube-apiserver, kube-controller-manager and kwok (first run builds them: several minutes)")
	cp, err := kubetest.StartLab(ctx, kubetest.Options{Workloads: true, Aggregation: o.keda, HPA: o.keda, Logf: logger.Printf})
	if err != nil {
		return nil, fmt.Errorf("control plane: %w", err)
	}
	if o.keda {
		logger.Printf("starting KEDA %s (first run builds it: about 10 minutes)", kubetest.KEDAVersion)
		if err := cp.StartKEDA(ctx); err != nil {
			cp.Stop()
			return nil, fmt.Errorf("keda: %w", err)
		}
	}
	if _, err := cp.CreateYeeter(ctx, o.replicas); err != nil {
		cp.Stop()
		return nil, fmt.Errorf("deployment: %w", err)
	}
	return cp, nil
}

// prepareBroker declares queue on vhost / and creates the lab's monitoring
// user afresh, returning its password.
func prepareBroker(ctx context.Context, broker *rabbittest.Broker, queue string) (string, error) {
	if err := broker.DeclareQueue(ctx, "/", queue); err != nil {
		return "", fmt.Errorf("queue: %w", err)
	}
	password := randomHex(12)
	_ = broker.DeleteUser(ctx, labUser)
	if err := broker.CreateUser(ctx, labUser, password, "monitoring", "/"); err != nil {
		return "", fmt.Errorf("lab user: %w", err)
	}
	return password, nil
}

// printLab tells how to point yeetscale at the lab.
func printLab(out io.Writer, cp *kubetest.ControlPlane, broker *rabbittest.Broker, o labOptions, password string) {
	fmt.Fprintf(out, `
yeetscale lab is up (everything on loopback; Ctrl-C stops it all)

  kubeconfig      %[1]s   (context %[2]s)
  deployment      %[3]s/%[4]s, pods on the kwok node %[5]s
  management API  %[6]s
  queue           %[7]s on vhost /, drained by simulated workers (%[8]s per message, one consumer per ready pod)

Credentials of a throwaway monitoring user of this lab:
  export RABBITMQ_USERNAME=%[9]s RABBITMQ_PASSWORD=%[10]s

Then, in that shell:
  %[11]s --kubeconfig %[1]s -n %[3]s --mgmt-url %[6]s --queue %[7]s --poll-interval 2s
  %[11]s --auto --kubeconfig %[1]s -n %[3]s --mgmt-url %[6]s --queue %[7]s --min-replicas 2 --max-replicas 40 --target-messages 250 --poll-interval 1s

%[12]sType a number and Enter here to publish that many messages (e.g. 10000).
`,
		cp.Kubeconfig, kubetest.ContextName, kubetest.YeeterNamespace, kubetest.YeeterDeployment, kubetest.FakeNode,
		broker.MgmtURL, o.queue, o.work, labUser, password, o.yeetscale, kedaHint(o.keda))
}

// publishFromInput publishes to queue the number of messages on each line
// of in, until in ends.
func publishFromInput(ctx context.Context, logger *log.Logger, in io.Reader, broker *rabbittest.Broker, queue string) {
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		n, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
		if err != nil || n <= 0 {
			if strings.TrimSpace(sc.Text()) != "" {
				logger.Printf("type a positive number of messages to publish")
			}
			continue
		}
		start := time.Now()
		if err := broker.PublishN(ctx, "/", queue, n); err != nil {
			logger.Printf("publish: %v", err)
			continue
		}
		logger.Printf("published %d messages in %s", n, time.Since(start).Round(time.Millisecond))
	}
}

// kedaHint tells how to let KEDA scale the Deployment instead of yeetscale.
func kedaHint(keda bool) string {
	if !keda {
		return ""
	}
	return `KEDA is running (external.metrics.k8s.io answers; the HPA controller syncs every 15 s):
a ScaledObject with a rabbitmq trigger (protocol http, mode QueueLength, the host URL with
these credentials in a Secret through a TriggerAuthentication) makes KEDA's HPA scale it.
Let only one of KEDA and yeetscale scale the Deployment at a time.

`
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
