package kubetest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// KEDANamespace is where StartKEDA registers the metrics adapter's Service.
const KEDANamespace = "keda"

// kedaAdapterPort is the adapter's secure port inside its namespace.
const kedaAdapterPort = 6443

// StartKEDA builds KEDA once (EnsureKEDA) and starts its operator and
// metrics adapter beside the control plane, which must have been started
// with Options Aggregation, HPA and Workloads: it installs KEDA's CRDs
// (server-side apply), makes the adapter's test host (a network namespace
// with a veth pair, see KEDAHostAddr), gives both processes their
// certificates, registers v1beta1.external.metrics.k8s.io to the adapter
// and waits until that API answers. Stop undoes all of it.
func (cp *ControlPlane) StartKEDA(ctx context.Context) error {
	if !cp.opts.Aggregation || !cp.opts.HPA || !cp.opts.Workloads {
		return fmt.Errorf("kubetest: StartKEDA needs a control plane started with Options{Workloads: true, Aggregation: true, HPA: true}")
	}
	began := time.Now()
	k, err := EnsureKEDA(ctx)
	if err != nil {
		return err
	}
	kubectl, err := EnsureTools(ctx, Kubectl)
	if err != nil {
		return err
	}
	if err := cp.Kubectl(ctx, kubectl, nil, "apply", "--server-side", "-f", k.CRDDir()); err != nil {
		return err
	}
	if err := cp.Kubectl(ctx, kubectl, nil, "wait", "--for=condition=established", "--timeout=60s", "crd", "--all"); err != nil {
		return err
	}
	nsKubeconfig, err := cp.startKEDAHost(ctx, k)
	if err != nil {
		return err
	}
	certs := filepath.Join(cp.Dir, "keda-certs")
	if err := kedaCerts(certs); err != nil {
		return err
	}
	if err := cp.Kubectl(ctx, kubectl, []byte(kedaRegistration(kedaAdapterPort)), "apply", "--server-side", "-f", "-"); err != nil {
		return err
	}
	op, adapter, err := cp.startKEDAProcesses(k, certs, nsKubeconfig)
	if err != nil {
		return err
	}
	if err := cp.waitExternalMetrics(ctx, op, adapter, 120*time.Second); err != nil {
		return err
	}
	cp.logf("kubetest: KEDA %s operator + metrics adapter ready in %s (adapter on %s in netns %s)",
		KEDAVersion, time.Since(began).Round(time.Millisecond), KEDAAdapterAddr, kedaNetns)
	return nil
}

// startKEDAHost makes the adapter's test host, forwards the API server's
// port from KEDAHostAddr to it, and returns the path of a kubeconfig that
// reaches the API server from inside the host.
func (cp *ControlPlane) startKEDAHost(ctx context.Context, k KEDATools) (string, error) {
	host, err := newTestHost(ctx, k.Dir)
	if err != nil {
		return "", err
	}
	cp.onStop(host.remove)
	_, apiPort, err := net.SplitHostPort(strings.TrimPrefix(cp.URL, "https://"))
	if err != nil {
		return "", fmt.Errorf("kubetest: %w", err)
	}
	fwd, err := newTCPForward(net.JoinHostPort(KEDAHostAddr, apiPort), net.JoinHostPort("127.0.0.1", apiPort))
	if err != nil {
		return "", err
	}
	cp.onStop(fwd.close)
	nsKubeconfig := filepath.Join(cp.Dir, "kubeconfig-keda-adapter")
	if err := writeKubeconfig(nsKubeconfig, "https://"+net.JoinHostPort(KEDAHostAddr, apiPort), cp.pki.CAData, AdminUser, cp.pki.AdminToken); err != nil {
		return "", err
	}
	return nsKubeconfig, nil
}

// startKEDAProcesses starts KEDA's operator on loopback and its metrics
// adapter in the test host (reaching the API server through nsKubeconfig),
// both with the certificates in certs.
func (cp *ControlPlane) startKEDAProcesses(k KEDATools, certs, nsKubeconfig string) (op, adapter *process, err error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, nil, err
	}
	grpcAddr := net.JoinHostPort(KEDAHostAddr, strconv.Itoa(ports[2]))
	env := []string{"WATCH_NAMESPACE=", "POD_NAMESPACE=" + KEDANamespace, "KEDA_CLUSTER_OBJECT_NAMESPACE=" + KEDANamespace}
	opArgs := append(append([]string{}, env...), "KUBECONFIG="+cp.Kubeconfig, k.Bin(KEDAOperator),
		"--kubeconfig="+cp.Kubeconfig, "--leader-elect=false",
		"--metrics-bind-address=127.0.0.1:"+strconv.Itoa(ports[0]),
		"--health-probe-bind-address=127.0.0.1:"+strconv.Itoa(ports[1]),
		"--metrics-service-bind-address="+grpcAddr,
		"--cert-dir="+certs, "--enable-cert-rotation=false",
		"--enable-webhook-patching=false", "--enable-apiservice-patching=false")
	if op, err = startProcess(cp.Dir, "keda-operator", "env", opArgs...); err != nil {
		return nil, nil, err
	}
	cp.add(op)
	bin, args := netnsCommand(append(env, "KUBECONFIG="+nsKubeconfig), k.Bin(KEDAAdapter),
		"--kubeconfig="+nsKubeconfig, "--lister-kubeconfig="+nsKubeconfig,
		"--authentication-kubeconfig="+nsKubeconfig, "--authorization-kubeconfig="+nsKubeconfig,
		"--bind-address="+KEDAAdapterAddr, "--secure-port="+strconv.Itoa(kedaAdapterPort),
		"--cert-dir="+certs, "--tls-cert-file="+filepath.Join(certs, "tls.crt"),
		"--tls-private-key-file="+filepath.Join(certs, "tls.key"),
		"--client-ca-file="+filepath.Join(certs, "ca.crt"),
		"--metrics-service-address="+grpcAddr, "--port=8080")
	if adapter, err = startProcess(cp.Dir, "keda-adapter", bin, args...); err != nil {
		return nil, nil, err
	}
	cp.add(adapter)
	return op, adapter, nil
}

// waitExternalMetrics polls /apis/external.metrics.k8s.io/v1beta1 until
// it answers, a KEDA process exits, or timeout.
func (cp *ControlPlane) waitExternalMetrics(ctx context.Context, op, adapter *process, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		for _, p := range []*process{op, adapter} {
			if p.exited() {
				return p.failure("exited before the external metrics API answered")
			}
		}
		_, lastErr = cp.Client.Discovery().RESTClient().Get().AbsPath("/apis/external.metrics.k8s.io/v1beta1").DoRaw(ctx)
		if lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kubetest: waiting for KEDA: %w", ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
	return adapter.failure(fmt.Sprintf("external metrics API not answering after %s (%v)", timeout, lastErr))
}

// Kubectl runs the built kubectl with the admin kubeconfig, stdin from in
// (when not nil), and returns its output in the error when it fails.
func (cp *ControlPlane) Kubectl(ctx context.Context, t Tools, in []byte, args ...string) error {
	cmd := exec.CommandContext(ctx, t.Bin(Kubectl), append([]string{"--kubeconfig=" + cp.Kubeconfig}, args...)...)
	if in != nil {
		cmd.Stdin = bytes.NewReader(in)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kubetest: kubectl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// kedaRegistration is the keda namespace, the adapter's selectorless
// Service and EndpointSlice, and the APIService that routes
// external.metrics.k8s.io to it.
func kedaRegistration(port int) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata: {name: %[1]s}
---
apiVersion: v1
kind: Service
metadata: {name: keda-metrics-apiserver, namespace: %[1]s}
spec:
  ports: [{name: https, port: 443, targetPort: %[2]d, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: keda-metrics-apiserver-1
  namespace: %[1]s
  labels: {kubernetes.io/service-name: keda-metrics-apiserver}
addressType: IPv4
ports: [{name: https, port: %[2]d, protocol: TCP}]
endpoints: [{addresses: ["%[3]s"], conditions: {ready: true}}]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.external.metrics.k8s.io}
spec:
  service: {name: keda-metrics-apiserver, namespace: %[1]s, port: 443}
  group: external.metrics.k8s.io
  version: v1beta1
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 100
  versionPriority: 100
`, KEDANamespace, port, KEDAAdapterAddr)
}
