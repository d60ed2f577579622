package graph

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
)

func newMockClient(t *testing.T, token string, debug *bytes.Buffer) *Client {
	t.Helper()
	srv, err := mock.NewServer(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	opts := Options{Root: mock.InProcessRoot, Credential: StaticToken(token), Transport: srv.Transport()}
	if debug != nil {
		opts.Debug = debug
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNormaliseRoot(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"", PublicCloudRoot, false},
		{"https://graph.microsoft.com/v1.0", PublicCloudRoot, false},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080", false},
		{"http://localhost:9000/beta", "http://localhost:9000", false},
		{"https://mock.internal:8443", "https://mock.internal:8443", false},
		{"http://mock.internal:8080", "", true}, // token over plain http to a remote host
		{"ftp://x", "", true},
		{"127.0.0.1:8080", "", true},
	}
	for _, tt := range tests {
		got, err := normaliseRoot(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("normaliseRoot(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestValidateUserRef(t *testing.T) {
	for _, ok := range []string{"adele@contoso.com", "isaiah_fabrikam.example#EXT#@contoso.example", "5F0C1D2E-1111-4222-8333-444455556666"} {
		if err := ValidateUserRef(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "adele", "@contoso.com", "adele@", "a b@c.d", "a/b@c.d", "x@y?z"} {
		err := ValidateUserRef(bad)
		var ue *UsageError
		if !errors.As(err, &ue) || ue.ExitCode() != 2 {
			t.Errorf("%q accepted or wrong error: %v", bad, err)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"secretKey":"JBSWY3DPEHPK3PXP","serialNumber":"S1"}`, `{"secretKey":"[REDACTED]","serialNumber":"S1"}`},
		{`{"temporaryAccessPass": "+drkzqAD"}`, `{"temporaryAccessPass": "[REDACTED]"}`},
		{`{"newPassword":"Cuyo\"5459"}`, `{"newPassword":"[REDACTED]"}`},
		{`{"verificationCode":"588651","displayName":"x"}`, `{"verificationCode":"[REDACTED]","displayName":"x"}`},
		{`{"answers":["a","b"]}`, `{"answers":"[REDACTED]"}`},
		{`otpauth://totp/x?secret=JBSWY3DP&issuer=mfactl`, `otpauth://totp/x?secret=[REDACTED]&issuer=mfactl`},
		{`{"error":{"code":"Request_ResourceNotFound"}}`, `{"error":{"code":"Request_ResourceNotFound"}}`},
		{`{"code":"123456"}`, `{"code":"[REDACTED]"}`},
		{`{"keys":"12345678#"}`, `{"keys":"[REDACTED]"}`},
		{`{"codes":["123456","234567"]}`, `{"codes":"[REDACTED]"}`},
		{`{"token":"rmb-abc"}`, `{"token":"[REDACTED]"}`},
		// A Temporary Access Pass given as a code is no digit string.
		{`{"code":"ZKZG+GCE"}`, `{"code":"[REDACTED]"}`},
		{`{"code": "ab\"c", "method":"tap"}`, `{"code": "[REDACTED]", "method":"tap"}`},
		{`{"pin":{"a":[1,2]},"x":1}`, `{"pin":"[REDACTED]","x":1}`},
		{`[{"code":"x1"},{"error":{"code":"Forbidden","details":[{"code":"Too_Many"}]}}]`, `[{"code":"[REDACTED]"},{"error":{"code":"Forbidden","details":[{"code":"Too_Many"}]}}]`},
		{`{"verdict":{"code":"wrongCode","reason":"wrong"},"code":"PASS-word"}`, `{"verdict":{"code":"wrongCode","reason":"wrong"},"code":"[REDACTED]"}`},
		{`{"requests":[{"body":{"temporaryAccessPass":"x"}}]}`, `{"requests":[{"body":{"temporaryAccessPass":"[REDACTED]"}}]}`},
		{`{"uri":"otpauth://totp/a?secret=JBSW&issuer=x"}`, `{"uri":"otpauth://totp/a?secret=[REDACTED]&issuer=x"}`},
		{`/users/x/check?deviceToken=rmb-1&x=1`, `/users/x/check?deviceToken=[REDACTED]&x=1`},
		// A Microsoft Authenticator registration: the code and the QR payload.
		{`{"activationCode":"518227904","qrPayload":"phonefactor://activate_account?code=518227904&url=https%3a%2f%2fx"}`, `{"activationCode":"[REDACTED]","qrPayload":"phonefactor://activate_account?code=[REDACTED]&url=https%3a%2f%2fx"}`},
		{`{"activationCode":"518227904","url":"https://x`, `{"activationCode":"[REDACTED]","url":"https://x`},
		// A clipped body falls back to the patterns.
		{`{"secretKey":"JBSW","code":"123`, `{"secretKey":"[REDACTED]","code":"123`},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestClientReadsUsersAndMethods(t *testing.T) {
	c := newMockClient(t, mock.DefaultAdminToken, nil)
	ctx := context.Background()
	u, err := c.GetUser(ctx, "lynne.robbins@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	if u.AccountEnabled == nil || *u.AccountEnabled || u.UserType != "Member" {
		t.Errorf("lynne: %+v", u)
	}
	var n int
	err = c.ListUsers(ctx, ListUsersOptions{PageSize: 3}, func(u methods.User) bool { n++; return true })
	if err != nil || n != len(mock.DemoUsers()) {
		t.Errorf("ListUsers over pages of 3: %d users, %v", n, err)
	}
	n = 0
	c.ListUsers(ctx, ListUsersOptions{PageSize: 3}, func(methods.User) bool { n++; return n < 4 })
	if n != 4 {
		t.Errorf("stopping early: %d", n)
	}

	ms, err := c.ListMethods(ctx, "grady.archie@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	var hw *methods.Method
	for i := range ms {
		if ms[i].Kind == methods.KindHardwareOath {
			hw = &ms[i]
		}
	}
	if hw == nil || hw.Token == nil || hw.Token.SerialNumber != "HWT-1001" || hw.Token.Status != methods.TokenActivated || hw.Created == nil {
		t.Fatalf("hardware method not converted: %+v", hw)
	}
	ms, _ = c.ListMethods(ctx, "miriam.graham@contoso.example")
	for _, m := range ms {
		if m.Kind == methods.KindTemporaryAccess && (m.LifetimeInMinutes == 0 || m.IsUsable == nil || m.Pass != "") {
			t.Errorf("TAP: %+v", m)
		}
	}
}

func TestErrorsTranslate(t *testing.T) {
	ctx := context.Background()
	c := newMockClient(t, mock.DefaultAdminToken, nil)
	_, err := c.GetUser(ctx, "nobody@contoso.example")
	var ge *Error
	if !errors.As(err, &ge) || ge.ExitCode() != 3 || !strings.Contains(ge.Error(), `"nobody@contoso.example"`) || ge.RequestID == "" {
		t.Errorf("404: %v", err)
	}
	if !IsNotFound(err) || CodeOf(err) != "Request_ResourceNotFound" || StatusOf(err) != 404 {
		t.Errorf("helpers: %v %v %v", IsNotFound(err), CodeOf(err), StatusOf(err))
	}

	bad := newMockClient(t, "nope", nil)
	_, err = bad.ListMethods(ctx, "adele.vance@contoso.example")
	if !errors.As(err, &ge) || ge.ExitCode() != 4 || ge.Advice != AdviceTokenRejected || ge.HintText() != "" {
		t.Errorf("401: %v", err)
	}
	reports := newMockClient(t, mock.ReportsReaderToken, nil)
	_, err = reports.ListMethods(ctx, "adele.vance@contoso.example")
	if !errors.As(err, &ge) || ge.Status != 403 || ge.Access != RoleReadMethods || ge.HintText() != "" {
		t.Errorf("403: %v", err)
	}

	unreachable, _ := New(Options{Root: "http://127.0.0.1:1", Credential: StaticToken("x"), MaxRetries: 1})
	_, err = unreachable.GetUser(ctx, "a@b.c")
	if !errors.As(err, &ge) || ge.Status != 0 || ge.Advice != AdviceNothingListening || ge.HintText() != "" {
		t.Errorf("connection refused: %v / hint %q", err, ge.HintText())
	}
}

func TestDebugTraceRedactsToken(t *testing.T) {
	var trace bytes.Buffer
	c := newMockClient(t, mock.DefaultAdminToken, &trace)
	if _, err := c.GetUser(context.Background(), "adele.vance@contoso.example"); err != nil {
		t.Fatal(err)
	}
	out := trace.String()
	if !strings.Contains(out, "> GET http://localhost/v1.0/users/adele.vance%40contoso.example") || !strings.Contains(out, "< 200 OK") {
		t.Errorf("trace:\n%s", out)
	}
	if strings.Contains(out, mock.DefaultAdminToken) || !strings.Contains(out, "Authorization: Bearer [REDACTED]") {
		t.Errorf("token leaked or not shown redacted:\n%s", out)
	}
}

func TestResolveMethod(t *testing.T) {
	for _, k := range []string{"AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE"} {
		t.Setenv(k, "")
	}
	tests := []struct {
		o    CredentialOptions
		env  string
		want string
		err  bool
	}{
		{CredentialOptions{}, "", AuthDeviceCode, false},
		{CredentialOptions{Method: "Browser"}, "", AuthBrowser, false},
		{CredentialOptions{ClientSecret: "s"}, "", AuthClientSecret, false},
		{CredentialOptions{CertificatePath: "c.pem"}, "", AuthClientCertificate, false},
		{CredentialOptions{}, "AZURE_CLIENT_SECRET", AuthEnvironment, false},
		{CredentialOptions{Method: "password"}, "", "", true},
	}
	for _, tt := range tests {
		if tt.env != "" {
			t.Setenv(tt.env, "x")
		}
		got, err := ResolveMethod(tt.o)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("%+v: %q %v, want %q", tt.o, got, err, tt.want)
		}
		if tt.env != "" {
			t.Setenv(tt.env, "")
		}
	}
}
