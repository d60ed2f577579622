package graph

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/mfactl/mfactl/internal/certfile"
)

func clearAzureEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_CERTIFICATE_PASSWORD"} {
		t.Setenv(k, "")
	}
}

// Later commands build the credential login built: the session's method,
// cloud, tenant and client apply unless a setting or AZURE_* says
// otherwise, and the record only for the same method and client.
func TestResolveUsesTheSession(t *testing.T) {
	clearAzureEnv(t)
	path := filepath.Join(t.TempDir(), "auth", "p.json")
	rec := azidentity.AuthenticationRecord{Authority: "login.microsoftonline.com", ClientID: "app-1", HomeAccountID: "h.t", TenantID: "tid", Username: "admin@contoso.example", Version: "1.0"}
	if err := SaveSession(path, Session{Method: AuthDeviceCode, Cloud: CloudUSGov, TenantID: "contoso.example", ClientID: "app-1", Record: &rec}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                  string
		o                     CredentialOptions
		env                   map[string]string
		fresh                 bool
		method, cloud, tenant string
		client                string
		record                bool
	}{
		{name: "session", o: CredentialOptions{}, method: AuthDeviceCode, cloud: CloudUSGov, tenant: "contoso.example", client: "app-1", record: true},
		{name: "fresh login ignores it", o: CredentialOptions{}, fresh: true, method: AuthDeviceCode, cloud: CloudGlobal},
		{name: "setting wins", o: CredentialOptions{TenantID: "other.example"}, method: AuthDeviceCode, cloud: CloudUSGov, tenant: "other.example", client: "app-1", record: true},
		{name: "AZURE_TENANT_ID wins", env: map[string]string{"AZURE_TENANT_ID": "env.example"}, method: AuthDeviceCode, cloud: CloudUSGov, tenant: "env.example", client: "app-1", record: true},
		{name: "other client: no record", o: CredentialOptions{ClientID: "app-2"}, method: AuthDeviceCode, cloud: CloudUSGov, tenant: "contoso.example", client: "app-2"},
		{name: "other method: nothing of it", o: CredentialOptions{Method: AuthClientSecret, ClientSecret: "s"}, method: AuthClientSecret, cloud: CloudGlobal},
		{name: "other cloud: nothing of it", o: CredentialOptions{Cloud: "china"}, method: AuthDeviceCode, cloud: CloudChina},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			tt.o.RecordPath = path
			r, err := Resolve(tt.o, tt.fresh)
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != tt.method || r.Cloud.Name != tt.cloud || r.TenantID != tt.tenant || r.ClientID != tt.client || (r.Record.HomeAccountID != "") != tt.record {
				t.Errorf("got %s %s %q %q record=%v", r.Method, r.Cloud.Name, r.TenantID, r.ClientID, r.Record.HomeAccountID != "")
			}
		})
	}
}

func TestSessionFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth", "default.json")
	if _, ok, err := LoadSession(path); ok || err != nil {
		t.Fatalf("missing session: %v %v", ok, err)
	}
	if err := SaveSession(path, Session{Method: AuthClientSecret, TenantID: "t", ClientID: "c"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("session mode %v", st.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), `"secret`) || strings.Contains(string(b), `"clientSecret`) {
		t.Errorf("session holds a secret field: %s", b)
	}
	for _, tt := range []struct {
		name, content string
		ok            bool
		damaged       bool
	}{
		{"legacy record", `{"authority":"login.microsoftonline.com","clientId":"c","homeAccountId":"h.t","tenantId":"t","username":"a@contoso.example","version":"1.0"}`, true, false},
		{"not JSON", `{`, false, true},
		{"newer format", `{"format":99,"method":"device-code"}`, false, true},
		{"neither", `{"foo":1}`, false, true},
	} {
		os.WriteFile(path, []byte(tt.content), 0o600)
		s, ok, err := LoadSession(path)
		var d *DamagedSessionError
		if ok != tt.ok || errors.As(err, &d) != tt.damaged {
			t.Errorf("%s: ok=%v err=%v", tt.name, ok, err)
		}
		if tt.ok && (s.Record == nil || s.Record.Username != "a@contoso.example" || s.ClientID != "c") {
			t.Errorf("%s: %+v", tt.name, s)
		}
	}
	if err := RemoveSession(path); err != nil {
		t.Fatal(err)
	}
	if err := RemoveSession(path); err != nil {
		t.Errorf("removing twice: %v", err)
	}
}

func TestLookupCloud(t *testing.T) {
	for _, tt := range []struct{ in, want, root string }{
		{"", CloudGlobal, "https://graph.microsoft.com"},
		{"AzurePublic", CloudGlobal, "https://graph.microsoft.com"},
		{"USGov", CloudUSGov, "https://graph.microsoft.us"},
		{"AzureGovernment", CloudUSGov, "https://graph.microsoft.us"},
		{"dod", CloudUSGovDoD, "https://dod-graph.microsoft.us"},
		{"azure-china", CloudChina, "https://microsoftgraph.chinacloudapi.cn"},
		{"mars", "", ""},
	} {
		c, err := LookupCloud(tt.in)
		if (err != nil) != (tt.want == "") || c.Name != tt.want || c.GraphRoot != tt.root {
			t.Errorf("LookupCloud(%q) = %+v, %v", tt.in, c, err)
		}
		if err == nil && c.Scope() != tt.root+"/.default" {
			t.Errorf("scope %s", c.Scope())
		}
	}
}

func TestCredentialNeedsItsSettings(t *testing.T) {
	clearAzureEnv(t)
	for _, tt := range []struct {
		o    CredentialOptions
		env  map[string]string
		want string
	}{
		{o: CredentialOptions{Method: AuthClientSecret}, want: "tenant-id, client-id and client-secret"},
		{o: CredentialOptions{Method: AuthClientCertificate, TenantID: "t", ClientID: "c", CertificatePath: "/nonexistent.pem"}, want: "client certificate /nonexistent.pem"},
		{o: CredentialOptions{Method: AuthWorkloadIdentity}, want: "AZURE_FEDERATED_TOKEN_FILE"},
		{o: CredentialOptions{Method: AuthEnvironment}, want: "holds no credential"},
		{o: CredentialOptions{Method: AuthEnvironment}, env: map[string]string{"AZURE_CLIENT_SECRET": "s"}, want: "also set AZURE_TENANT_ID"},
		{o: CredentialOptions{Cloud: "mars"}, want: "unknown cloud"},
	} {
		for k, v := range tt.env {
			t.Setenv(k, v)
		}
		_, _, err := NewCredential(tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.o, err, tt.want)
		}
		for k := range tt.env {
			t.Setenv(k, "")
		}
	}
}

// AZURE_FEDERATED_TOKEN_FILE makes environment mode a workload identity
// (it failed before: azidentity's EnvironmentCredential does not read it).
func TestEnvironmentWorkloadIdentity(t *testing.T) {
	clearAzureEnv(t)
	file := filepath.Join(t.TempDir(), "token")
	os.WriteFile(file, []byte("federated"), 0o600)
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", file)
	t.Setenv("AZURE_TENANT_ID", "contoso.example")
	t.Setenv("AZURE_CLIENT_ID", "app")
	if m, _ := ResolveMethod(CredentialOptions{}); m != AuthEnvironment {
		t.Fatalf("method %s", m)
	}
	cred, _, err := NewCredential(CredentialOptions{})
	if err != nil || cred.name != "WorkloadIdentityCredential" {
		t.Fatalf("%v %+v", err, cred)
	}
}

// An OpenSSL 3 PFX, which azidentity.ParseCertificates refuses, builds a
// certificate credential; a wrong password is certfile's error.
func TestCertificateCredentialReadsOpenSSL3(t *testing.T) {
	clearAzureEnv(t)
	pfx := filepath.Join("..", "internal", "certfile", "testdata", "openssl3.pfx")
	o := CredentialOptions{Method: AuthClientCertificate, TenantID: "contoso.example", ClientID: "app", CertificatePath: pfx, CertPassword: "test-password"}
	if _, _, err := NewCredential(o); err != nil {
		t.Fatal(err)
	}
	o.CertPassword = "wrong"
	_, _, err := NewCredential(o)
	if !errors.Is(err, certfile.ErrWrongPassword) {
		t.Errorf("wrong password: %v", err)
	}
}

// Every token request is a CAE request, whatever the caller asked for.
func TestCredentialAlwaysAsksForCAE(t *testing.T) {
	inner := &captureCAE{}
	c := &Credential{inner: inner, name: "test"}
	c.GetToken(context.Background(), TokenRequest([]string{DefaultScope}))
	tro := TokenRequest([]string{DefaultScope})
	tro.EnableCAE = false
	c.GetToken(context.Background(), tro)
	if len(inner.seen) != 2 || !inner.seen[0] || !inner.seen[1] {
		t.Errorf("EnableCAE seen %v", inner.seen)
	}
}

// An Entra refusal keeps its AADSTS code and whole description even when
// MSAL drained the response body (device code polling does).
func TestSignInFailureFromRecordedBody(t *testing.T) {
	body := `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: 1\r\nCorrelation ID: 2","error_codes":[7000215]}`
	rec := &failureRecorder{next: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 401, Body: io.NopCloser(strings.NewReader(body)), Header: http.Header{}}, nil
	})}
	req, _ := http.NewRequest("POST", "https://login.microsoftonline.com/t/oauth2/v2.0/token", nil)
	resp, _ := rec.RoundTrip(req)
	io.ReadAll(resp.Body) // MSAL drains it
	err := newSignInFailure("ClientSecretCredential", &azidentity.AuthenticationFailedError{RawResponse: resp}, rec)
	if SignInCode(err) != AADSTSInvalidClientSecret || !strings.Contains(err.Error(), "not the client secret ID. Trace ID: 1 Correlation ID: 2") {
		t.Errorf("%d %v", SignInCode(err), err)
	}
	// Waiting for the user is no failure.
	pending := `{"error":"authorization_pending","error_description":"AADSTS70016: pending"}`
	rec2 := &failureRecorder{next: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(pending)), Header: http.Header{}}, nil
	})}
	rec2.RoundTrip(req)
	if rec2.last != nil {
		t.Errorf("authorization_pending recorded as a failure")
	}
}

// Token requests and answers are traced with their secrets redacted.
func TestRedactTokenTraffic(t *testing.T) {
	form := "client_id=app&client_secret=S3cr3t~x&grant_type=refresh_token&refresh_token=0.AAA-rt&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&device_code=DAQABAA&client_assertion=eyJ.a.b"
	answer := `{"token_type":"Bearer","access_token":"eyJ0eXAi.x.y","refresh_token":"0.AAA","id_token":"eyJ.i.d","client_info":"eyJ1aWQ"}`
	got := Redact(form) + Redact(answer)
	for _, secret := range []string{"S3cr3t", "0.AAA", "DAQABAA", "eyJ", "eyJ1aWQ"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q left in %s", secret, got)
		}
	}
	if !strings.Contains(got, "client_id=app") || !strings.Contains(got, "grant_type=refresh_token") {
		t.Errorf("too much redacted: %s", got)
	}
}

type captureCAE struct{ seen []bool }

func (c *captureCAE) GetToken(_ context.Context, tro policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.seen = append(c.seen, tro.EnableCAE)
	return azcore.AccessToken{Token: "t"}, nil
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
