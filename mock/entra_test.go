package mock

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/mock/store"
)

// entraFixture is a mock with the emulated Entra ID behind its proxy and
// an HTTP client that uses the proxy and trusts its CA.
type entraFixture struct {
	srv   *Server
	entra *Entra
	proxy *Proxy
	c     *http.Client
}

func newEntraFixture(t *testing.T, st store.Store) *entraFixture {
	t.Helper()
	srv, err := NewServer(Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e, err := srv.EnableEntra(EntraApp{ID: "11111111-2222-3333-4444-555555555555", Secret: "app-secret"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := srv.StartProxy("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.CA.CertPEM)
	pu, _ := url.Parse(p.URL())
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return &entraFixture{srv: srv, entra: e, proxy: p, c: c}
}

func (f *entraFixture) token(t *testing.T, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := f.c.PostForm("https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (f *entraFixture) graphGet(t *testing.T, token, path string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "https://graph.microsoft.com/v1.0"+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := f.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestEntraClientCredentialsThroughProxy(t *testing.T) {
	f := newEntraFixture(t, store.NewMemory())
	app := "11111111-2222-3333-4444-555555555555"
	for _, tt := range []struct {
		name   string
		form   url.Values
		status int
		code   float64
	}{
		{"bad secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {app}, "client_secret": {"nope"}, "scope": {"https://graph.microsoft.com/.default"}}, 401, 7000215},
		{"unknown app", url.Values{"grant_type": {"client_credentials"}, "client_id": {"nope"}, "client_secret": {"x"}}, 400, 700016},
		{"no consent", url.Values{"grant_type": {"client_credentials"}, "client_id": {NoConsentAppID}, "client_secret": {"app-secret"}}, 400, 65001},
		{"public client flows off", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {ConfidentialOnlyAppID}, "device_code": {"x"}}, 401, 7000218},
	} {
		status, body := f.token(t, tt.form)
		codes, _ := body["error_codes"].([]any)
		if status != tt.status || len(codes) != 1 || codes[0] != tt.code || !strings.Contains(body["error_description"].(string), "Trace ID:") {
			t.Errorf("%s: %d %v", tt.name, status, body)
		}
	}
	status, body := f.token(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {app}, "client_secret": {"app-secret"}, "scope": {"https://graph.microsoft.com/.default"}})
	at, _ := body["access_token"].(string)
	if status != 200 || at == "" {
		t.Fatalf("%d %v", status, body)
	}
	if got := f.graphGet(t, at, "/users/adele.vance@contoso.example"); got != 200 {
		t.Errorf("Graph with the app token: %d", got)
	}
	if got := f.graphGet(t, at+"x", "/users/adele.vance@contoso.example"); got != 401 {
		t.Errorf("Graph with a forged token: %d", got)
	}
	// The static tokens keep working through the proxy.
	if got := f.graphGet(t, DefaultAdminToken, "/users/adele.vance@contoso.example"); got != 200 {
		t.Errorf("Graph with the static token: %d", got)
	}
}

// A device code approved as a tenant user gives a delegated token with
// the user's roles: an Authentication Administrator cannot manage an
// admin's methods, and the refresh token works.
func TestEntraDeviceCodeAsUser(t *testing.T) {
	f := newEntraFixture(t, store.NewMemory())
	app := "11111111-2222-3333-4444-555555555555"
	resp, err := f.c.PostForm("https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode", url.Values{"client_id": {app}, "scope": {"https://graph.microsoft.com/.default offline_access"}})
	if err != nil {
		t.Fatal(err)
	}
	var dc struct {
		UserCode   string `json:"user_code"`
		DeviceCode string `json:"device_code"`
	}
	json.NewDecoder(resp.Body).Decode(&dc)
	resp.Body.Close()
	grant := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "client_id": {app}, "device_code": {dc.DeviceCode}}
	if status, body := f.token(t, grant); status != 400 || body["error"] != "authorization_pending" {
		t.Fatalf("before approval: %d %v", status, body)
	}
	if _, err := f.entra.Approve(dc.UserCode, "nobody@contoso.example"); err == nil {
		t.Error("approved as a user who does not exist")
	}
	if _, err := f.entra.Approve(dc.UserCode, "helpdesk@contoso.example"); err != nil {
		t.Fatal(err)
	}
	status, body := f.token(t, grant)
	at, _ := body["access_token"].(string)
	rt, _ := body["refresh_token"].(string)
	if status != 200 || at == "" || rt == "" {
		t.Fatalf("after approval: %d %v", status, body)
	}
	if got := f.graphGet(t, at, "/users/adele.vance@contoso.example/authentication/methods"); got != 200 {
		t.Errorf("helpdesk reads a user's methods: %d", got)
	}
	req, _ := http.NewRequest("POST", "https://graph.microsoft.com/v1.0/users/megan.bowen@contoso.example/authentication/phoneMethods", strings.NewReader(`{"phoneNumber":"+1 4255550199","phoneType":"alternateMobile"}`))
	req.Header.Set("Authorization", "Bearer "+at)
	req.Header.Set("Content-Type", "application/json")
	wr, err := f.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	wr.Body.Close()
	if wr.StatusCode != 403 {
		t.Errorf("helpdesk adds a phone to an admin: %d, want 403", wr.StatusCode)
	}
	if status, body := f.token(t, grant); status != 400 {
		t.Errorf("a device code redeemed twice: %d %v", status, body)
	}
	status, body = f.token(t, url.Values{"grant_type": {"refresh_token"}, "client_id": {app}, "refresh_token": {rt}})
	if status != 200 || body["access_token"] == nil {
		t.Errorf("refresh: %d %v", status, body)
	}
}

// Only the emulated hosts are served; anything else is refused by name.
func TestProxyRefusesOtherHosts(t *testing.T) {
	f := newEntraFixture(t, store.NewMemory())
	_, err := f.c.Get("https://example.com/")
	if err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("CONNECT example.com: %v", err)
	}
	pu, _ := url.Parse(f.proxy.URL())
	plain := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
	resp, err := plain.Get("http://example.com/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(b), "example.com") || !strings.Contains(string(b), "nothing is forwarded") {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
}

// The CA and the signing key live in the state: a restarted mock is
// trusted by the same CA, and accepts the tokens it issued before.
func TestProxyCASurvivesRestart(t *testing.T) {
	st := store.NewMemory()
	f1 := newEntraFixture(t, st)
	_, body := f1.token(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {"11111111-2222-3333-4444-555555555555"}, "client_secret": {"app-secret"}})
	at, _ := body["access_token"].(string)
	f1.proxy.Close()
	f2 := newEntraFixture(t, st)
	if string(f1.proxy.CA.CertPEM) != string(f2.proxy.CA.CertPEM) {
		t.Error("a new CA after restart")
	}
	if got := f2.graphGet(t, at, "/users/adele.vance@contoso.example"); got != 200 {
		t.Errorf("old token after restart: %d", got)
	}
	// The CA vouches for the emulated hosts only.
	if len(f2.proxy.CA.Cert.PermittedDNSDomains) != 2 || !f2.proxy.CA.Cert.PermittedDNSDomainsCritical {
		t.Errorf("CA constraints %v", f2.proxy.CA.Cert.PermittedDNSDomains)
	}
}
