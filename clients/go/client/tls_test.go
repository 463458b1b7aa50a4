package client

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testCA is a throwaway certificate authority and a server certificate it signed for
// 127.0.0.1, ::1 and localhost, written as PEM files for srsr's --tls-cert and --tls-key.
type testCA struct {
	pool              *x509.CertPool
	certFile, keyFile string
	// caFile is the CA's own certificate, for Config.CAFile.
	caFile string
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	dir := t.TempDir()
	notBefore := time.Now().Add(-time.Hour)
	notAfter := time.Now().Add(48 * time.Hour)

	caKey := mustKey(t)
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "srsr test CA"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}

	serverKey := mustKey(t)
	serverTemplate := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	serverDER, err := x509.CreateCertificate(rand.Reader, serverTemplate, caCert, &serverKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(serverKey)
	if err != nil {
		t.Fatal(err)
	}

	ca := testCA{pool: x509.NewCertPool(), certFile: filepath.Join(dir, "server.pem"), keyFile: filepath.Join(dir, "server.key"),
		caFile: filepath.Join(dir, "ca.pem")}
	ca.pool.AddCert(caCert)
	writePEM(t, ca.caFile, "CERTIFICATE", caDER)
	writePEM(t, ca.certFile, "CERTIFICATE", serverDER)
	writePEM(t, ca.keyFile, "PRIVATE KEY", keyDER)
	return ca
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func writePEM(t *testing.T, path, label string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: label, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// transport trusts the test's CA and nothing else.
func (ca testCA) transport() *http.Transport {
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}}
}

func TestRegisterAndLookupOverHTTPSTrustingTheServersCA(t *testing.T) {
	ca := newTestCA(t)
	transport := ca.transport()
	defer transport.CloseIdleConnections()
	server, err := launchServerWith(0, "30", &serverTLS{certFile: ca.certFile, keyFile: ca.keyFile, transport: transport})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.stop)
	name := serviceName(t)

	c := NewServiceRegistryClient(name, "http://10.0.0.7:8080", server.URL,
		WithHTTPClient(&http.Client{Transport: transport, Timeout: DefaultRequestTimeout}))
	if err := c.Register(); err != nil {
		t.Fatalf("Register over HTTPS: %v", err)
	}
	if address, found := mustLookup(t, c, name); !found || address != "http://10.0.0.7:8080" {
		t.Fatalf("Lookup(%q) = %q, %v; want http://10.0.0.7:8080, true", name, address, found)
	}
	c.Deregister()
	if address, found := mustLookup(t, c, name); found {
		t.Fatalf("Lookup(%q) after Deregister = %q, true; want not found", name, address)
	}

	// The default client trusts only the system's CAs: the test's certificate is refused.
	untrusting := NewServiceRegistryClient(name, "http://10.0.0.7:8080", server.URL)
	err = untrusting.Register()
	var unknownAuthority x509.UnknownAuthorityError
	if !errors.As(err, &unknownAuthority) {
		t.Fatalf("Register without the CA = %v; want an x509.UnknownAuthorityError", err)
	}
}
