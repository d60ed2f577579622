package mock

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/mfactl/mfactl/mock/store"
)

// BenchmarkProxyVsDirect measures Graph reads (GET a user, 32 concurrent
// clients, keep-alive connections, TLS session tickets on) straight to
// `mock serve --tls` and through the HTTPS proxy of the emulated Entra
// ID, with the static token and with a JWT the emulated Entra issued.
// Run it with
//
//	go test ./mock/ -run '^$' -bench ProxyVsDirect -benchtime 3s
func BenchmarkProxyVsDirect(b *testing.B) {
	srv, err := NewServer(Options{Store: store.NewMemory()})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	cert, err := SelfSignedCert()
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.ListenTLS("127.0.0.1:0", cert); err != nil {
		b.Fatal(err)
	}
	if _, err := srv.EnableEntra(EntraApp{ID: "bench-app", Secret: "bench-secret"}); err != nil {
		b.Fatal(err)
	}
	p, err := srv.StartProxy("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()

	directPool := x509.NewCertPool()
	directPool.AppendCertsFromPEM(cert.CertPEM)
	proxyPool := x509.NewCertPool()
	proxyPool.AppendCertsFromPEM(p.CA.CertPEM)
	pu, _ := url.Parse(p.URL())
	transport := func(pool *x509.CertPool, proxy bool) *http.Transport {
		t := &http.Transport{MaxIdleConnsPerHost: 64, TLSClientConfig: &tls.Config{RootCAs: pool, ClientSessionCache: tls.NewLRUClientSessionCache(64)}}
		if proxy {
			t.Proxy = http.ProxyURL(pu)
		}
		return t
	}
	proxied := &http.Client{Transport: transport(proxyPool, true)}
	// An app token from the emulated Entra, through the proxy.
	resp, err := proxied.PostForm("https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token",
		url.Values{"grant_type": {"client_credentials"}, "client_id": {"bench-app"}, "client_secret": {"bench-secret"}, "scope": {"https://graph.microsoft.com/.default"}})
	if err != nil {
		b.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.AccessToken == "" {
		b.Fatal("no token")
	}

	for _, bc := range []struct {
		name, root, token string
		client            *http.Client
	}{
		{"direct-https/static-token", srv.URL(), DefaultAdminToken, &http.Client{Transport: transport(directPool, false)}},
		{"proxy/static-token", "https://" + GraphHost, DefaultAdminToken, proxied},
		{"proxy/entra-jwt", "https://" + GraphHost, tok.AccessToken, proxied},
	} {
		b.Run(bc.name, func(b *testing.B) {
			target := bc.root + "/v1.0/users/adele.vance@contoso.example"
			b.SetParallelism(16) // 32 clients on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodGet, target, nil)
					req.Header.Set("Authorization", "Bearer "+bc.token)
					resp, err := bc.client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
