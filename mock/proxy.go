package mock

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mfactl/mfactl/mock/store"
)

// The mock's HTTPS proxy: any Graph client that honours HTTPS_PROXY (and
// trusts the proxy's CA) reaches the emulated tenant as if it were
// Microsoft's. CONNECT to graph.microsoft.com:443 or
// login.microsoftonline.com:443 is answered by the proxy itself: it
// terminates TLS with a certificate of its own CA and serves the mock's
// Graph or the emulated Entra ID. Every other host is refused with 403:
// nothing is ever forwarded.

// ProxiedHosts are the hosts the proxy serves (port 443).
var ProxiedHosts = []string{GraphHost, EntraHost}

// ProxyCA is the proxy's certificate authority, kept in the state so that
// clients that trust it keep trusting it across restarts. It is
// name-constrained to ProxiedHosts: even if its key leaked, it could not
// vouch for any other host.
type ProxyCA struct {
	Cert    *x509.Certificate
	CertPEM []byte
	key     crypto.Signer
}

// proxyCA loads the CA from the state, making it once.
func (s *Server) proxyCA() (*ProxyCA, error) {
	var ca *ProxyCA
	err := s.store.Update(func(tx store.Tx) error {
		certPEM, ok1 := tx.Get(entraBucket, "ca-cert")
		keyPEM, ok2 := tx.Get(entraBucket, "ca-key")
		if ok1 && ok2 {
			c, err := parseCA(certPEM, keyPEM)
			ca = c
			return err
		}
		c, keyDER, err := newProxyCA()
		if err != nil {
			return err
		}
		ca = c
		if err := tx.Put(entraBucket, "ca-cert", c.CertPEM); err != nil {
			return err
		}
		return tx.Put(entraBucket, "ca-key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	})
	return ca, err
}

func parseCA(certPEM, keyPEM []byte) (*ProxyCA, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, errors.New("mock: the state's proxy CA is damaged")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, err
	}
	return &ProxyCA{Cert: cert, CertPEM: certPEM, key: key}, nil
}

func newProxyCA() (*ProxyCA, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "mfactl mock proxy CA", Organization: []string{"mfactl"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(5, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		// RFC 5280 §4.2.1.10: the CA vouches for these hosts only.
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         ProxiedHosts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return &ProxyCA{Cert: cert, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}, keyDER, nil
}

// leaf issues a server certificate for host, valid 90 days.
func (ca *ProxyCA) leaf(host string) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(0, 0, 90),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der, ca.Cert.Raw}, PrivateKey: key}, nil
}

// Proxy is the running HTTPS proxy.
type Proxy struct {
	CA    *ProxyCA
	addr  string
	outer *http.Server
	inner *http.Server
	conns *connListener
	ln    net.Listener
}

// StartProxy listens on addr and serves the emulated Graph and Entra ID
// to CONNECT requests (EnableEntra must have been called).
func (s *Server) StartProxy(addr string) (*Proxy, error) {
	s.mu.Lock()
	e := s.entra
	s.mu.Unlock()
	if e == nil {
		return nil, errors.New("mock: the proxy needs the emulated Entra ID (EnableEntra)")
	}
	ca, err := s.proxyCA()
	if err != nil {
		return nil, err
	}
	certs := map[string]*tls.Certificate{}
	for _, h := range ProxiedHosts {
		c, err := ca.leaf(h)
		if err != nil {
			return nil, err
		}
		certs[h] = c
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mock: proxy: listen on %s: %w", addr, err)
	}
	p := &Proxy{CA: ca, addr: ln.Addr().String(), ln: ln, conns: newConnListener(ln.Addr())}
	byHost := map[string]http.Handler{GraphHost: s.Handler(), EntraHost: e}
	p.inner = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			host := strings.ToLower(hostOnly(r.Host))
			if h, ok := byHost[host]; ok {
				h.ServeHTTP(w, r)
				return
			}
			http.Error(w, fmt.Sprintf("mfactl mock proxy: %s is not emulated here", host), http.StatusMisdirectedRequest)
		}),
		TLSConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			// HTTP/1.1, as the Graph listener (a dropped-connection fault
			// hijacks the connection).
			NextProtos: []string{"http/1.1"},
			GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
				if c, ok := certs[strings.ToLower(hello.ServerName)]; ok {
					return c, nil
				}
				return nil, fmt.Errorf("mfactl mock proxy: no certificate for %q", hello.ServerName)
			},
		},
		ReadHeaderTimeout: 30 * time.Second,
	}
	p.outer = &http.Server{Handler: http.HandlerFunc(p.serveProxy), ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = p.inner.Serve(tls.NewListener(p.conns, p.inner.TLSConfig)) }()
	go func() { _ = p.outer.Serve(ln) }()
	return p, nil
}

// Addr is the proxy's listen address (host:port).
func (p *Proxy) Addr() string { return p.addr }

// URL is the proxy's URL for HTTPS_PROXY.
func (p *Proxy) URL() string { return "http://" + p.addr }

// Close stops the proxy.
func (p *Proxy) Close() error {
	err := p.outer.Close()
	p.conns.Close()
	return errors.Join(err, p.inner.Close())
}

// serveProxy answers a request to the proxy itself: CONNECT to an
// emulated host is tunnelled into the inner TLS server; anything else is
// refused, naming the host, and never forwarded.
func (p *Proxy) serveProxy(w http.ResponseWriter, r *http.Request) {
	target := r.Host
	if r.Method != http.MethodConnect {
		if r.URL.Host != "" {
			target = r.URL.Host
		}
		http.Error(w, fmt.Sprintf("mfactl mock proxy: refused %s %s: only HTTPS (CONNECT) to %s on port 443 is served; nothing is forwarded", r.Method, target, strings.Join(ProxiedHosts, " and ")), http.StatusForbidden)
		return
	}
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		host, port = target, "443"
	}
	if port != "443" || !isProxied(host) {
		http.Error(w, fmt.Sprintf("mfactl mock proxy: refused CONNECT %s: only %s on port 443 are emulated; nothing is forwarded", target, strings.Join(ProxiedHosts, " and ")), http.StatusForbidden)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "mfactl mock proxy: cannot tunnel", http.StatusInternalServerError)
		return
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		conn.Close()
		return
	}
	// Bytes the client sent after the CONNECT (its ClientHello) may sit in
	// the server's read buffer.
	if n := rw.Reader.Buffered(); n > 0 {
		conn = &bufferedConn{Conn: conn, r: rw.Reader}
	}
	if !p.conns.put(conn) {
		conn.Close()
	}
}

func isProxied(host string) bool {
	for _, h := range ProxiedHosts {
		if strings.EqualFold(host, h) {
			return true
		}
	}
	return false
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// connListener hands tunnelled connections to the inner server.
type connListener struct {
	addr   net.Addr
	ch     chan net.Conn
	once   sync.Once
	closed chan struct{}
}

func newConnListener(addr net.Addr) *connListener {
	return &connListener{addr: addr, ch: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *connListener) put(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.closed:
		return false
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }
