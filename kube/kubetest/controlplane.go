package kubetest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Environment variables that change the control plane's behaviour.
const (
	// EnvKeep, when set to 1, keeps the control plane's directory (logs,
	// etcd data, kubeconfig) after Stop instead of deleting it.
	EnvKeep = "YEETSCALE_KUBETEST_KEEP"
)

// ContextName is the context in the kubeconfig the harness writes.
const ContextName = "yeetscale-kubetest"

// Options configure StartLab.
type Options struct {
	// Workloads also starts kube-controller-manager and kwok with a fake
	// Node, so that Deployments get Running and Ready pods (no containers).
	Workloads bool
	// Dir is where the control plane keeps its files (default: a new
	// temporary directory, removed by Stop).
	Dir string
	// Logf, when set, is told about progress (e.g. t.Logf or log.Printf).
	Logf func(format string, args ...any)
	// Aggregation turns on the API server's aggregation layer (front-proxy
	// CA and client certificate, --enable-aggregator-routing) and adds
	// KEDAHostAddr to its serving certificate, as StartKEDA needs. Off by
	// default (make test runs without it).
	Aggregation bool
	// HPA adds the horizontalpodautoscaling controller to
	// kube-controller-manager (with Workloads), syncing every HPASyncPeriod
	// (default 15s, the upstream default).
	HPA           bool
	HPASyncPeriod time.Duration
}

// ControlPlane is a running etcd + kube-apiserver (and, with Workloads,
// kube-controller-manager + kwok).
type ControlPlane struct {
	// Dir holds logs (*.log), etcd data, certificates and the kubeconfig.
	Dir string
	// Kubeconfig is the path of a kubeconfig for the admin user (context
	// ContextName, no namespace).
	Kubeconfig string
	// URL is the API server's https URL.
	URL string
	// Config is a rest.Config for the admin user (system:masters).
	Config *rest.Config
	// Client is a clientset for the admin user.
	Client kubernetes.Interface
	// Tools are the binaries in use.
	Tools Tools
	// StartTime is how long etcd + kube-apiserver took to become ready
	// (without building).
	StartTime time.Duration

	pki      *pki
	opts     Options
	cleanups []func() // run by Stop after the processes, last first
	logf     func(string, ...any)
	keepDir  bool
	ownDir   bool
	mu       sync.Mutex
	procs    []*process
	workOnce sync.Once
	workErr  error
}

// StartLab builds the tools if needed and starts a control plane that runs
// until Stop. It is the entry point for programs (the lab command and
// end-to-end tests); tests in a package normally use Shared.
func StartLab(ctx context.Context, opts Options) (*ControlPlane, error) {
	names := []string{Etcd, KubeAPIServer}
	if opts.Workloads {
		names = append(names, KubeControllerManager, Kwok)
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	tools, err := EnsureTools(ctx, names...)
	if err != nil {
		return nil, err
	}
	if tools.BuildTime > 0 {
		logf("kubetest: built %v in %s", names, tools.BuildTime.Round(time.Second))
	}
	cp := &ControlPlane{Tools: tools, Dir: opts.Dir, opts: opts, logf: logf, keepDir: os.Getenv(EnvKeep) == "1"}
	if cp.Dir == "" {
		cp.Dir, err = os.MkdirTemp("", "yeetscale-kubetest-")
		if err != nil {
			return nil, fmt.Errorf("kubetest: %w", err)
		}
		cp.ownDir = true
	} else if err := os.MkdirAll(cp.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("kubetest: %w", err)
	}
	for attempt := 1; ; attempt++ {
		err = cp.start(ctx)
		// A free port picked for etcd or the API server can be taken by
		// another process before the server binds it: try new ports.
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			break
		}
		cp.logf("kubetest: port taken, retrying: %v", err)
		cp.stopProcesses()
	}
	if err != nil {
		cp.keepDir = true // the error quotes logs in it
		cp.Stop()
		return nil, err
	}
	if opts.Workloads {
		if err := cp.StartWorkloads(ctx); err != nil {
			cp.keepDir = true
			cp.Stop()
			return nil, err
		}
	}
	return cp, nil
}

// start runs etcd and kube-apiserver and waits for /readyz.
func (cp *ControlPlane) start(ctx context.Context) error {
	began := time.Now()
	var err error
	var extraIPs []string
	var aggFlags []string
	if cp.opts.Aggregation {
		extraIPs = append(extraIPs, KEDAHostAddr)
		if aggFlags, err = frontProxyFlags(cp.Dir); err != nil {
			return err
		}
	}
	if cp.pki, err = newPKI(cp.Dir, extraIPs...); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(cp.Dir, "etcd")); err != nil { // from a failed attempt
		return fmt.Errorf("kubetest: %w", err)
	}
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	etcd, err := startProcess(cp.Dir, "etcd", cp.Tools.Bin(Etcd),
		"--name=kubetest", "--data-dir="+filepath.Join(cp.Dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=kubetest="+peerURL, "--unsafe-no-fsync", "--log-level=warn")
	if err != nil {
		return err
	}
	cp.add(etcd)
	if err := waitHTTP(ctx, etcd, etcdURL+"/health", nil, "", 30*time.Second); err != nil {
		return err
	}

	cp.URL = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	apiserver, err := startProcess(cp.Dir, "kube-apiserver", cp.Tools.Bin(KubeAPIServer), append([]string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(ports[2]),
		"--tls-cert-file=" + cp.pki.CertFile, "--tls-private-key-file=" + cp.pki.KeyFile,
		"--client-ca-file=" + cp.pki.CAFile,
		"--token-auth-file=" + cp.pki.TokenFile, "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + cp.pki.SAPubFile,
		"--service-account-signing-key-file=" + cp.pki.SAKeyFile,
		"--service-cluster-ip-range=10.0.0.0/24",
		"--disable-admission-plugins=ServiceAccount",
		"--endpoint-reconciler-type=none",
		"--profiling=false",
		"--v=1"}, aggFlags...)...)
	if err != nil {
		return err
	}
	cp.add(apiserver)

	cp.Config = &rest.Config{
		Host:            cp.URL,
		BearerToken:     cp.pki.AdminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: cp.pki.CAData},
		UserAgent:       "kubetest",
		QPS:             100,
		Burst:           200,
	}
	if err := waitHTTP(ctx, apiserver, cp.URL+"/readyz", cp.pki.CAData, cp.pki.AdminToken, 90*time.Second); err != nil {
		return err
	}
	if cp.Client, err = kubernetes.NewForConfig(cp.Config); err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	cp.Kubeconfig = filepath.Join(cp.Dir, "kubeconfig")
	if err := writeKubeconfig(cp.Kubeconfig, cp.URL, cp.pki.CAData, AdminUser, cp.pki.AdminToken); err != nil {
		return err
	}
	cp.StartTime = time.Since(began)
	cp.logf("kubetest: etcd + kube-apiserver ready at %s in %s (files in %s)", cp.URL, cp.StartTime.Round(time.Millisecond), cp.Dir)
	return nil
}

func (cp *ControlPlane) add(p *process) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.procs = append(cp.procs, p)
}

// Stop stops every process in reverse start order and removes the
// directory it created (unless YEETSCALE_KUBETEST_KEEP=1, or the start
// failed: then the logs stay for the error message to point at). It is safe to
// call more than once.
func (cp *ControlPlane) Stop() {
	if cp == nil {
		return
	}
	cp.stopProcesses()
	cp.mu.Lock()
	cleanups := cp.cleanups
	cp.cleanups = nil
	cp.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	if cp.ownDir && !cp.keepDir && cp.Dir != "" {
		_ = os.RemoveAll(cp.Dir)
	}
}

// onStop registers f to run when the control plane stops, after its
// processes (last registered first).
func (cp *ControlPlane) onStop(f func()) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	cp.cleanups = append(cp.cleanups, f)
}

// stopProcesses stops every process in reverse start order.
func (cp *ControlPlane) stopProcesses() {
	cp.mu.Lock()
	procs := cp.procs
	cp.procs = nil
	cp.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].stop(10 * time.Second)
	}
}

// waitHTTP polls url until it answers 200, the process exits, or timeout.
func waitHTTP(ctx context.Context, p *process, url string, caData []byte, token string, timeout time.Duration) error {
	tr := &http.Transport{TLSClientConfig: &tls.Config{}}
	if caData != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(caData)
		tr.TLSClientConfig.RootCAs = pool
	}
	client := &http.Client{Transport: tr, Timeout: 2 * time.Second}
	defer tr.CloseIdleConnections()
	deadline := time.Now().Add(timeout)
	lastErr := errors.New("no answer yet")
	for time.Now().Before(deadline) {
		if p.exited() {
			return p.failure("exited before it was ready")
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("kubetest: %w", err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			lastErr = fmt.Errorf("%s answered %s", url, resp.Status)
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kubetest: waiting for %s: %w", p.name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return p.failure(fmt.Sprintf("not ready after %s (%v)", timeout, lastErr))
}

// writeKubeconfig writes a kubeconfig with one cluster, user and context.
func writeKubeconfig(path, server string, caData []byte, user, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ContextName] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caData}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[ContextName] = &clientcmdapi.Context{Cluster: ContextName, AuthInfo: user}
	cfg.CurrentContext = ContextName
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("kubetest: writing kubeconfig: %w", err)
	}
	return nil
}
