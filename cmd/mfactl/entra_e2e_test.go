package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// entraServe is `mfactl mock serve --proxy`: the Graph URL, the proxy URL
// and the CA file clients trust.
type entraServe struct {
	url, proxy, ca string
}

func startEntraServe(t *testing.T, e *env, extra ...string) entraServe {
	t.Helper()
	ca := filepath.Join(e.dir, "ca.pem")
	ctx, cancel := context.WithCancel(context.Background())
	args := append([]string{"mock", "serve", "--addr", "127.0.0.1:0", "--state", filepath.Join(e.dir, "served.db"),
		"--proxy", "127.0.0.1:0", "--ca-out", ca}, extra...)
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = e.vars
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	ready := make(chan entraServe, 1)
	go func() {
		var s entraServe
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if u, ok := strings.CutPrefix(line, "listening on "); ok {
				s.url = u
			}
			if p, ok := strings.CutPrefix(line, "proxy:        "); ok {
				s.proxy, _, _ = strings.Cut(p, " ")
			}
			if strings.HasPrefix(line, "Press Ctrl-C") {
				s.ca = ca
				ready <- s
			}
		}
	}()
	select {
	case s := <-ready:
		return s
	case <-time.After(60 * time.Second):
		t.Fatal("mock serve --proxy did not start")
	}
	return entraServe{}
}

// mfactl signs in to the emulated Entra ID and calls the emulated Graph
// exactly as it would Microsoft's: no --endpoint, no --mock, only the
// proxy and its CA in the environment.
func TestEntraBehindProxyClientSecret(t *testing.T) {
	e := newEnv(t)
	const app, secret = "5a1b8c2d-0000-4000-8000-00000000e2e1", "e2e-app-secret"
	s := startEntraServe(t, e, "--app-id", app, "--app-secret", secret)
	profile := fmt.Sprintf("e2e-secret-%d", os.Getpid())
	net := []string{"HTTPS_PROXY=" + s.proxy, "SSL_CERT_FILE=" + s.ca, "MFACTL_PROFILE=" + profile}
	if r := e.run(nil, "config", "set", "cloud", "global", "--profile", profile); r.code != 0 {
		t.Fatal(r.stderr)
	}
	// A wrong secret: Entra's whole answer and the hint.
	r := e.run(append(net, "MFACTL_CLIENT_SECRET=wrong"), "auth", "login", "--auth", "client-secret", "--tenant-id", "contoso.example", "--client-id", app)
	if r.code != 4 || !strings.Contains(r.stderr, "AADSTS7000215: Invalid client secret provided") || !strings.Contains(r.stderr, "Correlation ID:") || !strings.Contains(r.stderr, "not its Secret ID") {
		t.Fatalf("wrong secret: exit %d\n%s", r.code, r.stderr)
	}
	withSecret := append(net, "MFACTL_CLIENT_SECRET="+secret)
	r = e.run(withSecret, "auth", "login", "--auth", "client-secret", "--tenant-id", "contoso.example", "--client-id", app)
	if r.code != 0 || !strings.Contains(r.stdout, "signed in as application "+app) {
		t.Fatalf("login: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Later commands need neither --auth nor the ids: the saved sign-in.
	for _, args := range [][]string{
		{"user", "show", "adele.vance@contoso.example"},
		{"report", "coverage", "-o", "json"},
		{"phone", "add", "adele.vance@contoso.example", "+1 4255550177", "--type", "alternateMobile"},
		{"auth", "status"},
	} {
		r := e.run(withSecret, args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		if args[0] == "auth" && (!strings.Contains(r.stdout, "signed in (a token was obtained silently") || !strings.Contains(r.stdout, "Microsoft Graph https://graph.microsoft.com")) {
			t.Errorf("auth status:\n%s", r.stdout)
		}
	}
	// --debug traces the token request too, its secret and token redacted.
	r = e.run(withSecret, "--debug", "user", "show", "adele.vance@contoso.example")
	if r.code != 0 || !strings.Contains(r.stderr, "> POST https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token") ||
		!strings.Contains(r.stderr, "client_secret=[REDACTED]") || strings.Contains(r.stderr, secret) || strings.Contains(r.stderr, "eyJ") {
		t.Errorf("--debug: exit %d\n%s", r.code, r.stderr)
	}
	// Logout forgets it: the secret alone no longer says which app.
	if r := e.run(withSecret, "auth", "logout"); r.code != 0 || !strings.Contains(r.stdout, "signed out of profile "+profile) {
		t.Fatalf("logout: %d %s%s", r.code, r.stdout, r.stderr)
	}
	if r := e.run(withSecret, "auth", "status"); r.code != 4 {
		t.Errorf("status after logout: exit %d\n%s", r.code, r.stdout)
	}
	// Another host through the proxy is refused, not forwarded.
	r = e.run(append(net, "MFACTL_CLIENT_SECRET="+secret), "auth", "login", "--auth", "client-secret", "--tenant-id", "contoso.example", "--client-id", app, "--cloud", "usgov")
	if r.code != 4 || !strings.Contains(r.stderr, "Forbidden") {
		t.Errorf("usgov through the proxy: exit %d\n%s", r.code, r.stderr)
	}
}

// A person signs in with a device code approved as a tenant user; the
// delegated token carries the user's roles (an Authentication
// Administrator is refused on an admin), and the next command, without a
// terminal, gets its token silently: login and Graph calls ask for the
// same (CAE) token from the same cache.
func TestEntraBehindProxyDeviceCode(t *testing.T) {
	e := newEnv(t)
	const app = "5a1b8c2d-0000-4000-8000-00000000e2e2"
	s := startEntraServe(t, e, "--app-id", app, "--app-secret", "unused")
	profile := fmt.Sprintf("e2e-device-%d", os.Getpid())
	net := []string{"HTTPS_PROXY=" + s.proxy, "SSL_CERT_FILE=" + s.ca, "MFACTL_PROFILE=" + profile}
	if r := e.run(nil, "config", "set", "cloud", "global", "--profile", profile); r.code != 0 {
		t.Fatal(r.stderr)
	}
	t.Cleanup(func() { e.run(net, "auth", "logout") })

	login := exec.Command(binary, "auth", "login", "--auth", "device-code", "--tenant-id", "contoso.example", "--client-id", app)
	login.Env = append(append([]string{}, e.vars...), net...)
	stderr, err := login.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	login.Stdout = &stdout
	if err := login.Start(); err != nil {
		t.Fatal(err)
	}
	codes := make(chan string, 1)
	var prompt strings.Builder
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`enter the code ([A-Z0-9]+)`)
		for sc.Scan() {
			prompt.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				codes <- m[1]
			}
		}
	}()
	var code string
	select {
	case code = <-codes:
	case <-time.After(60 * time.Second):
		login.Process.Kill()
		t.Fatalf("no device code prompt:\n%s", prompt.String())
	}
	r := e.run([]string{"MFACTL_ENDPOINT=" + s.url, "MFACTL_TOKEN=mock-admin-token"}, "mock", "signin", "approve", code, "--user", "helpdesk@contoso.example")
	if r.code != 0 || !strings.Contains(r.stdout, "helpdesk@contoso.example signs in to app "+app) {
		t.Fatalf("approve: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if err := login.Wait(); err != nil {
		t.Fatalf("login: %v\n%s%s", err, stdout.String(), prompt.String())
	}
	if !strings.Contains(stdout.String(), "signed in as helpdesk@contoso.example") {
		t.Errorf("login said: %s", stdout.String())
	}
	// Refused on an admin (403: exit 4), with the role in the hint.
	r = e.run(net, "phone", "add", "megan.bowen@contoso.example", "+1 4255550178", "--type", "alternateMobile")
	if r.code != 4 || !strings.Contains(r.stderr, "Privileged Authentication Administrator") {
		t.Errorf("helpdesk on an admin: exit %d\n%s", r.code, r.stderr)
	}
	// Silent: no terminal, no prompt, a token from the cache.
	r = e.run(net, "user", "show", "adele.vance@contoso.example")
	if r.code != 0 {
		t.Fatalf("second command: exit %d\n%s", r.code, r.stderr)
	}
	r = e.run(net, "auth", "status")
	if r.code != 0 || !strings.Contains(r.stdout, "helpdesk@contoso.example") {
		t.Errorf("status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// The other ways in and the refusals admins meet: a certificate (OpenSSL
// 3's default PFX, which azidentity alone cannot read), an app without
// admin consent (65001) and device code on an app whose public client
// flows are off (7000218), each with its hint.
func TestEntraBehindProxyCertificateAndRefusals(t *testing.T) {
	e := newEnv(t)
	const app = "5a1b8c2d-0000-4000-8000-00000000e2e3"
	testdata := filepath.Join("..", "..", "internal", "certfile", "testdata")
	certPEM, err := filepath.Abs(filepath.Join(testdata, "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pfx, _ := filepath.Abs(filepath.Join(testdata, "openssl3.pfx"))
	s := startEntraServe(t, e, "--app-id", app, "--app-secret", "e2e-secret", "--app-cert", certPEM)
	profile := fmt.Sprintf("e2e-cert-%d", os.Getpid())
	net := []string{"HTTPS_PROXY=" + s.proxy, "SSL_CERT_FILE=" + s.ca, "MFACTL_PROFILE=" + profile}
	if r := e.run(nil, "config", "set", "cloud", "global", "--profile", profile); r.code != 0 {
		t.Fatal(r.stderr)
	}
	t.Cleanup(func() { e.run(net, "auth", "logout") })
	r := e.run(append(net, "MFACTL_CLIENT_CERTIFICATE_PASSWORD=test-password", "MFACTL_CLIENT_CERTIFICATE="+pfx), "auth", "login", "--auth", "client-certificate", "--tenant-id", "contoso.example", "--client-id", app)
	if r.code != 0 {
		t.Fatalf("certificate login: exit %d\n%s", r.code, r.stderr)
	}
	if r := e.run(append(net, "MFACTL_CLIENT_CERTIFICATE_PASSWORD=test-password", "MFACTL_CLIENT_CERTIFICATE="+pfx), "user", "show", "adele.vance@contoso.example"); r.code != 0 {
		t.Fatalf("user show: exit %d\n%s", r.code, r.stderr)
	}
	for _, tt := range []struct {
		env  []string
		args []string
		want []string
	}{
		{[]string{"MFACTL_CLIENT_SECRET=e2e-secret"}, []string{"--auth", "client-secret", "--client-id", "00000000-0000-0000-0000-000000065001"}, []string{"AADSTS65001", "Grant admin consent"}},
		{nil, []string{"--auth", "device-code", "--client-id", "00000000-0000-0000-0000-000007000218"}, []string{"AADSTS7000218", "Allow public client flows"}},
		{[]string{"MFACTL_CLIENT_CERTIFICATE_PASSWORD=wrong", "MFACTL_CLIENT_CERTIFICATE=" + pfx}, []string{"--auth", "client-certificate", "--client-id", app}, []string{"the password does not decrypt the file", "the certificate password is wrong"}},
	} {
		r := e.run(append(net, tt.env...), append([]string{"auth", "login", "--tenant-id", "contoso.example"}, tt.args...)...)
		for _, w := range tt.want {
			if r.code != 4 || !strings.Contains(r.stderr, w) {
				t.Errorf("%v: exit %d, want %q in\n%s", tt.args, r.code, w, r.stderr)
			}
		}
	}
}
