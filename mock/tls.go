package mock

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"slices"
	"strings"
	"time"
)

// `mock serve --tls` serves HTTPS, for Graph clients that follow only https
// nextLinks or send tokens over https only. The certificate is generated
// at start unless one is given: self-signed ECDSA P-256, valid for a year,
// for 127.0.0.1, ::1, localhost and the listen host. Clients trust it by
// its PEM (mfactl: --ca-cert or MFACTL_CA_CERT).

// TLSCert is a server certificate with its PEM forms.
type TLSCert struct {
	Cert    tls.Certificate
	CertPEM []byte
	KeyPEM  []byte
}

// SelfSignedCert generates a certificate for 127.0.0.1, ::1, localhost and
// the given extra hosts (names or IP addresses).
func SelfSignedCert(hosts ...string) (*TLSCert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("mock: generate TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "mfactl mock Graph server", Organization: []string{"mfactl"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		// A self-signed certificate is its own root: clients put it in
		// their trust store, so it is marked as a CA that can sign only
		// itself.
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range append([]string{"127.0.0.1", "::1", "localhost"}, hosts...) {
		h = strings.Trim(h, "[]")
		if h == "" {
			continue
		}
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(tmpl.IPAddresses, ip.Equal) {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			}
		} else if !slices.Contains(tmpl.DNSNames, h) {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("mock: create TLS certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	c := &TLSCert{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
	c.Cert, err = tls.X509KeyPair(c.CertPEM, c.KeyPEM)
	return c, err
}

// LoadTLSCert reads a certificate and its key from PEM files.
func LoadTLSCert(certFile, keyFile string) (*TLSCert, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %s and key %s do not form a pair: %w", certFile, keyFile, err)
	}
	return &TLSCert{Cert: cert, CertPEM: bytes.Clone(certPEM), KeyPEM: keyPEM}, nil
}

// ListenTLS serves the handler over HTTPS on addr; URL() and nextLinks then
// use https.
func (s *Server) ListenTLS(addr string, cert *TLSCert) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mock: listen on %s: %w", addr, err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert.Cert},
		MinVersion:   tls.VersionTLS12,
		// HTTP/1.1 only: a dropped-connection fault hijacks the connection.
		NextProtos: []string{"http/1.1"},
	}
	return s.Serve(tls.NewListener(ln, cfg), "https")
}

// ListenHost is the host to put in the certificate for a listen address:
// its host, or the machine's name for an unspecified address (0.0.0.0,
// ::), where clients reach the server by name.
func ListenHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if name, err := os.Hostname(); err == nil {
			return name
		}
		return ""
	}
	return host
}
