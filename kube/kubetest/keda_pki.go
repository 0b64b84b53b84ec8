package kubetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certAuthority is a CA that issues the aggregation layer's and KEDA's
// certificates.
type certAuthority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

// newCertAuthority makes a self-signed CA called cn.
func newCertAuthority(cn string) (*certAuthority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("kubetest: %s key: %w", cn, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("kubetest: %s certificate: %w", cn, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("kubetest: %w", err)
	}
	return &certAuthority{cert: cert, key: key, pem: pemBytes("CERTIFICATE", der)}, nil
}

// issue writes a leaf certificate and its key (PEM) to certFile and keyFile.
func (ca *certAuthority) issue(certFile, keyFile, cn string, usage []x509.ExtKeyUsage, dns []string, ips []net.IP) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("kubetest: %s key: %w", cn, err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: usage,
		DNSNames: dns, IPAddresses: ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return fmt.Errorf("kubetest: %s certificate: %w", cn, err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	if err := os.WriteFile(certFile, pemBytes("CERTIFICATE", der), 0o600); err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	if err := os.WriteFile(keyFile, pemBytes("EC PRIVATE KEY", keyDER), 0o600); err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	return nil
}

// FrontProxyClientName is the common name of the aggregation layer's
// client certificate (the API server's --requestheader-allowed-names).
const FrontProxyClientName = "front-proxy-client"

// frontProxyFlags writes the front-proxy CA and client certificate into
// dir and returns the kube-apiserver flags of the aggregation layer.
func frontProxyFlags(dir string) ([]string, error) {
	ca, err := newCertAuthority("kubetest-front-proxy-ca")
	if err != nil {
		return nil, err
	}
	caFile := filepath.Join(dir, "front-proxy-ca.crt")
	if err := os.WriteFile(caFile, ca.pem, 0o600); err != nil {
		return nil, fmt.Errorf("kubetest: %w", err)
	}
	certFile, keyFile := filepath.Join(dir, "front-proxy-client.crt"), filepath.Join(dir, "front-proxy-client.key")
	if err := ca.issue(certFile, keyFile, FrontProxyClientName, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil, nil); err != nil {
		return nil, err
	}
	return []string{
		"--requestheader-client-ca-file=" + caFile,
		"--requestheader-allowed-names=" + FrontProxyClientName,
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + certFile,
		"--proxy-client-key-file=" + keyFile,
		"--enable-aggregator-routing=true",
	}, nil
}

// kedaCerts writes KEDA's CA and one leaf (serverAuth and clientAuth, for
// the operator-adapter gRPC mutual TLS and the adapter's serving port) as
// ca.crt, tls.crt and tls.key into dir.
func kedaCerts(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	ca, err := newCertAuthority("kubetest-keda-ca")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.crt"), ca.pem, 0o600); err != nil {
		return fmt.Errorf("kubetest: %w", err)
	}
	var dns []string
	for _, svc := range []string{"keda-operator", "keda-metrics-apiserver"} {
		dns = append(dns, svc, svc+".keda", svc+".keda.svc", svc+".keda.svc.cluster.local")
	}
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(KEDAHostAddr), net.ParseIP(KEDAAdapterAddr)}
	return ca.issue(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), "keda-operator",
		[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, dns, ips)
}
