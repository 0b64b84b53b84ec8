package kubetest

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestScaledObjectManifest: the plain variant has no behavior (KEDA's HPA
// then takes the legacy path); the behavior variant carries the HPA's
// documented defaults; the credentials only ever sit in the Secret.
func TestScaledObjectManifest(t *testing.T) {
	for _, tc := range []struct {
		behavior bool
		want     string
	}{
		{false, ""},
		{true, `{"scaleDown":{"policies":[{"periodSeconds":15,"type":"Percent","value":100}],"selectPolicy":"Max","stabilizationWindowSeconds":300},` +
			`"scaleUp":{"policies":[{"periodSeconds":15,"type":"Percent","value":100},{"periodSeconds":15,"type":"Pods","value":4}],"selectPolicy":"Max","stabilizationWindowSeconds":0}}`},
	} {
		so := ScaledObject{Namespace: "n", Name: "w", Deployment: "d", Queue: "q", HostURL: "http://u:secret@127.0.0.1:1/v",
			Target: 250, Min: 2, Max: 40, Behavior: tc.behavior}
		b, err := so.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			Items []map[string]json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(b, &list); err != nil || len(list.Items) != 3 {
			t.Fatalf("manifest %s: %v", b, err)
		}
		var spec struct {
			Polling  int `json:"pollingInterval"`
			Min      int `json:"minReplicaCount"`
			Max      int `json:"maxReplicaCount"`
			Advanced *struct {
				HPA struct {
					Behavior json.RawMessage `json:"behavior"`
				} `json:"horizontalPodAutoscalerConfig"`
			} `json:"advanced"`
			Triggers []struct {
				Type     string            `json:"type"`
				Metadata map[string]string `json:"metadata"`
			} `json:"triggers"`
		}
		if err := json.Unmarshal(list.Items[2]["spec"], &spec); err != nil {
			t.Fatal(err)
		}
		got := ""
		if spec.Advanced != nil {
			got = string(spec.Advanced.HPA.Behavior)
		}
		if got != tc.want {
			t.Errorf("behavior=%v: got %s, want %s", tc.behavior, got, tc.want)
		}
		md := spec.Triggers[0].Metadata
		if spec.Polling != 15 || spec.Min != 2 || spec.Max != 40 || spec.Triggers[0].Type != "rabbitmq" ||
			md["mode"] != "QueueLength" || md["value"] != "250" || md["protocol"] != "http" || md["queueName"] != "q" {
			t.Errorf("spec %s", list.Items[2]["spec"])
		}
		if strings.Count(string(b), "secret@") != 1 || !strings.Contains(string(list.Items[0]["stringData"]), "secret@") {
			t.Errorf("credentials outside the Secret: %s", b)
		}
	}
}

// TestKEDACerts: one leaf for the operator's gRPC and the adapter, both
// server and client, valid for the test host's addresses, from ca.crt.
func TestKEDACerts(t *testing.T) {
	dir := t.TempDir()
	if err := kedaCerts(dir); err != nil {
		t.Fatal(err)
	}
	read := func(name string) *x509.Certificate {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ca, leaf := read("ca.crt"), read("tls.crt")
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	for _, host := range []string{"127.0.0.1", KEDAHostAddr, KEDAAdapterAddr, "keda-operator.keda.svc", "keda-metrics-apiserver.keda.svc.cluster.local"} {
		for _, u := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			if _, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: pool, KeyUsages: []x509.ExtKeyUsage{u}}); err != nil {
				t.Errorf("%s usage %v: %v", host, u, err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "tls.key")); err != nil {
		t.Error(err)
	}
}

// TestFrontProxyFlags: the aggregation flags name files that exist and a
// client certificate with the allowed name.
func TestFrontProxyFlags(t *testing.T) {
	dir := t.TempDir()
	flags, err := frontProxyFlags(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(flags, "--enable-aggregator-routing=true") || !slices.Contains(flags, "--requestheader-allowed-names="+FrontProxyClientName) {
		t.Errorf("flags %v", flags)
	}
	for _, f := range flags {
		if k, v, ok := strings.Cut(f, "="); ok && strings.HasSuffix(k, "-file") {
			if _, err := os.Stat(v); err != nil {
				t.Errorf("%s: %v", k, err)
			}
		}
	}
}

// TestNetnsCommand: the adapter runs inside the namespace with its
// environment (an empty WATCH_NAMESPACE included) before the binary.
func TestNetnsCommand(t *testing.T) {
	bin, args := netnsCommand([]string{"WATCH_NAMESPACE=", "A=b"}, "/x/adapter", "--flag")
	got := bin + " " + strings.Join(args, " ")
	if want := "ip netns exec " + kedaNetns + " env WATCH_NAMESPACE= A=b /x/adapter --flag"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
