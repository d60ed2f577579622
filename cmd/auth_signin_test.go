package cmd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/certfile"
	"github.com/mfactl/mfactl/internal/cmdutil"
)

// A secret is never taken on the command line; it comes from standard
// input, and the file keeps it 0600.
func TestConfigSetSecretFromStdin(t *testing.T) {
	cli := newTestCLI(t)
	path := os.Getenv("MFACTL_CONFIG")
	cli.fails(cmdutil.ExitUsage, []string{"client-secret is a secret and is not taken on the command line", "config set client-secret"}, "config", "set", "client-secret", "S3cr3t")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a refused secret wrote the file: %v", err)
	}
	cli.stdin = "S3cr3t~value\n"
	cli.ok("config", "set", "client-secret", "--profile", "contoso")
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "client-secret: S3cr3t~value") {
		t.Errorf("file:\n%s", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	cli.stdin = ""
	cli.fails(cmdutil.ExitUsage, []string{"no client-secret was given on standard input"}, "config", "set", "client-secret")
	cli.fails(cmdutil.ExitUsage, []string{"config set needs <key> <value>"}, "config", "set", "tenant-id")
	cli.fails(cmdutil.ExitUsage, []string{`unknown cloud "mars"`}, "config", "set", "cloud", "mars")
	cli.ok("config", "set", "cloud", "usgov", "--profile", "contoso")
	// Readable by others: every command warns.
	os.Chmod(path, 0o644)
	cli.ok("config", "show", "--profile", "contoso")
	if !strings.Contains(cli.stderr.String(), "holds a secret and other users can read it (mode 0644): run `chmod 600 "+path+"`") {
		t.Errorf("no warning:\n%s", cli.stderr)
	}
	// The secret can be removed with an empty value.
	cli.ok("config", "set", "client-secret", "", "--profile", "contoso")
}

// `auth status` says signed in only when a token comes silently: with no
// saved sign-in, a device-code profile is not signed in (exit 4).
func TestAuthStatusTellsTheTruth(t *testing.T) {
	cli := newTestCLI(t)
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE"} {
		t.Setenv(k, "")
	}
	code := cli.run("auth", "status", "--auth", "device-code", "--tenant-id", "contoso.example")
	if code != cmdutil.ExitAuth || !strings.Contains(cli.stdout.String(), "status:    not signed in; run `mfactl auth login`") {
		t.Errorf("exit %d\n%s%s", code, cli.stdout, cli.stderr)
	}
	// A damaged saved sign-in is named, with the way out.
	rp := cmdutil.RecordPath("default")
	os.MkdirAll(filepath.Dir(rp), 0o700)
	os.WriteFile(rp, []byte("{"), 0o600)
	cli.fails(cmdutil.ExitAuth, []string{"is damaged", "mfactl auth logout"}, "auth", "status")
	// Logout removes it (and the profile's token cache).
	out := cli.ok("auth", "logout")
	if !strings.Contains(out, "signed out of profile default") && !strings.Contains(out, "was not signed in") {
		t.Errorf("logout: %s", out)
	}
	if _, err := os.Stat(rp); !os.IsNotExist(err) {
		t.Errorf("session still there: %v", err)
	}
}

// Known AADSTS codes and certificate problems get their hint ahead of the
// generic one; the exit code stays.
func TestSignInHints(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&graph.SignInFailure{Code: graph.AADSTSInvalidClientSecret, Description: "AADSTS7000215: Invalid client secret provided."}, "not its Secret ID"},
		{&graph.SignInFailure{Code: graph.AADSTSConsentRequired}, "Grant admin consent"},
		{&graph.SignInFailure{Code: graph.AADSTSPublicClientDisabled}, "Allow public client flows"},
		{&graph.SignInFailure{Code: graph.AADSTSMFARequired}, "multi-factor authentication"},
		{&graph.SignInFailure{Code: graph.AADSTSBlockedByCA}, "Conditional Access"},
		{&graph.Error{Op: "list", AuthFailed: true, Hint: "generic", Err: &graph.SignInFailure{Code: graph.AADSTSConsentRequired}}, "Grant admin consent"},
		{cmdutil.WithExit(cmdutil.ExitAuth, &graph.CertificateError{Path: "a.pfx", Err: &certfile.UnsupportedError{What: "x"}}, "see"), "openssl pkcs12 -in OLD.pfx -nodes"},
		{&graph.CertificateError{Path: "a.pem", Err: certfile.ErrPasswordRequired}, "client-certificate-password"},
	} {
		got := withSignInHint(tt.err)
		if h := cmdutil.HintOf(got); !strings.Contains(h, tt.want) {
			t.Errorf("%v: hint %q, want %q", tt.err, h, tt.want)
		}
		if cmdutil.ExitCodeOf(got) != cmdutil.ExitCodeOf(tt.err) {
			t.Errorf("%v: exit %d, was %d", tt.err, cmdutil.ExitCodeOf(got), cmdutil.ExitCodeOf(tt.err))
		}
	}
	plain := errors.New("x")
	if withSignInHint(plain) != plain {
		t.Error("an unrelated error was changed")
	}
}
