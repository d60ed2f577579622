package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/internal/factory"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
)

// authenticators counts the user's Microsoft Authenticator methods and
// returns their display names.
func (c *testCLI) authenticators(user string) []string {
	c.t.Helper()
	var ms []map[string]any
	if err := json.Unmarshal([]byte(c.must(0, "methods", "list", user, "-o", "json")), &ms); err != nil {
		c.t.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		if m["type"] == string(methods.KindAuthenticator) {
			names = append(names, fmt.Sprint(m["displayName"]))
		}
	}
	return names
}

func TestEnrollAuthenticatorOutcomes(t *testing.T) {
	cases := []struct {
		name string
		user string
		// run plays the flow; it returns the exit code of the run that
		// reports the outcome.
		run      func(t *testing.T, cli *testCLI) int
		wantExit int
		wantErr  string
		// wantDevices are the user's Authenticator devices at the end.
		wantDevices []string
	}{
		{"approved in one run", uAlex, func(t *testing.T, cli *testCLI) int {
			out := cli.jsonOut("enroll", "authenticator", uAlex, "--device", "Pixel 9", "--approve")
			m, _ := out["method"].(map[string]any)
			if out["state"] != "approved" || m["displayName"] != "Pixel 9" || m["@odata.type"] != "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod" {
				t.Errorf("answer: %v", out)
			}
			code, _ := out["activationCode"].(string)
			if _, err := methods.NormalizeActivationCode(code); err != nil {
				t.Errorf("activation code %q: %v", code, err)
			}
			return 0
		}, 0, "", []string{"Pixel 9"}},
		{"a second Authenticator by QR code", uAdele, func(t *testing.T, cli *testCLI) int {
			return cli.run("enroll", "authenticator", uAdele, "--device", "iPad Air", "--approve")
		}, 0, "", []string{"iPhone 15", "iPad Air"}},
		{"approved on the phone between two runs", uAlex, func(t *testing.T, cli *testCLI) int {
			out := cli.jsonOut("enroll", "authenticator", uAlex)
			if out["state"] != "notificationSent" || out["methodId"] != nil {
				t.Errorf("first run: %v", out)
			}
			if !strings.Contains(cli.stderr.String(), "mfactl mock device approve "+uAlex+" --number") {
				t.Errorf("first run says: %s", cli.stderr)
			}
			cli.must(0, "mock", "device", "approve", uAlex, "--number", fmt.Sprint(out["number"]))
			return cli.run("enroll", "authenticator", uAlex, "--registration", out["registrationId"].(string))
		}, 0, "", []string{mock.DefaultAuthenticatorDevice}},
		{"denied on the phone", uAlex, func(t *testing.T, cli *testCLI) int {
			out := cli.jsonOut("enroll", "authenticator", uAlex)
			cli.must(0, "mock", "device", "deny", uAlex)
			return cli.run("enroll", "authenticator", uAlex, "--registration", out["registrationId"].(string))
		}, 1, "the test notification was denied", nil},
		{"fraud reported on the phone", uAlex, func(t *testing.T, cli *testCLI) int {
			out := cli.jsonOut("enroll", "authenticator", uAlex)
			cli.must(0, "mock", "device", "report", uAlex)
			return cli.run("enroll", "authenticator", uAlex, "--registration", out["registrationId"].(string))
		}, 4, "fraud was reported", nil},
		{"no answer before the notification expired", uAlex, func(t *testing.T, cli *testCLI) int {
			out := cli.jsonOut("enroll", "authenticator", uAlex)
			cli.must(0, "mock", "clock", "advance", "2m")
			return cli.run("enroll", "authenticator", uAlex, "--registration", out["registrationId"].(string))
		}, 1, "expired", nil},
		{"another user's registration", uAlex, func(t *testing.T, cli *testCLI) int {
			out := cli.jsonOut("enroll", "authenticator", uLee)
			return cli.run("enroll", "authenticator", uAlex, "--registration", out["registrationId"].(string))
		}, 2, "is not " + uAlex + "'s", nil},
		{"unknown registration", uAlex, func(t *testing.T, cli *testCLI) int {
			return cli.run("enroll", "authenticator", uAlex, "--registration", "00000000-0000-4000-8000-000000000000")
		}, 3, "no Microsoft Authenticator registration", nil},
		{"unknown user", uAlex, func(t *testing.T, cli *testCLI) int {
			return cli.run("enroll", "authenticator", "nobody@contoso.example", "--approve")
		}, 3, "not found", nil},
		{"at the limit of 5 OATH and app methods", uNestor, func(t *testing.T, cli *testCLI) int {
			// Nestor has Authenticator, a software OATH app and a hardware token.
			cli.must(0, "enroll", "authenticator", uNestor, "--device", "Pixel 9", "--approve")
			cli.must(0, "enroll", "authenticator", uNestor, "--device", "Pixel 10", "--approve")
			return cli.run("enroll", "authenticator", uNestor, "--device", "Pixel 11", "--approve")
		}, 1, "at most 5", []string{"iPhone 15 Pro", "Pixel 9", "Pixel 10"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cli := newVerifyCLI(t)
			before := cli.authenticators(tc.user)
			if got := tc.run(t, cli); got != tc.wantExit {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", got, tc.wantExit, cli.stdout, cli.stderr)
			}
			if tc.wantErr != "" && !strings.Contains(strings.ToLower(cli.stderr.String()), strings.ToLower(tc.wantErr)) {
				t.Errorf("stderr lacks %q: %s", tc.wantErr, cli.stderr)
			}
			want := tc.wantDevices
			if want == nil {
				want = before
			}
			got := cli.authenticators(tc.user)
			slices.Sort(got)
			want = slices.Sorted(slices.Values(want))
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("Authenticator devices %q (before %q), want %q", got, before, want)
			}
		})
	}
}

func TestEnrollAuthenticatorSetupPageAndPNG(t *testing.T) {
	cli := newVerifyCLI(t)
	png := filepath.Join(t.TempDir(), "qr.png")
	out := cli.must(0, "enroll", "authenticator", uAlex, "--approve", "--qr-png", png)
	for _, want := range []string{"Set up your account", `"Work or school"`, "Can't scan image?", "Code: ", "URL:  https://", "state:", "approved"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(cli.stderr.String(), "Let's try it out") || !strings.Contains(cli.stderr.String(), "Notification approved") {
		t.Errorf("stderr: %s", cli.stderr)
	}
	fi, err := os.Stat(png)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("PNG: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(png); !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Error("not a PNG")
	}
}

// On a terminal the command stops at each step of the page, shows the QR
// code, and waits for the approval made on the emulated phone.
func TestEnrollAuthenticatorOnATerminal(t *testing.T) {
	cli := newVerifyCLI(t)
	cli.tty = true
	cli.stdin = "\n\n"
	code := cli.run("enroll", "authenticator", uAlex, "--timeout", "1ms")
	if code != 1 || !strings.Contains(cli.stderr.String(), "no answer to the test notification") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	out := cli.stdout.String()
	if !strings.ContainsAny(out, "▀▄█") || !strings.Contains(out, "Can't scan image?") {
		t.Errorf("terminal output: %s", out)
	}
	for _, want := range []string{"Press Enter once the app has scanned it", "Press Enter to send the test notification", "--registration"} {
		if !strings.Contains(cli.stderr.String(), want) {
			t.Errorf("stderr lacks %q: %s", want, cli.stderr)
		}
	}
	// The notification is still pending on the phone.
	pending := cli.must(0, "mock", "device", "pending", uAlex, "-o", "json")
	if !strings.Contains(pending, `"registration"`) {
		t.Errorf("pending: %s", pending)
	}
}

func TestEnrollAuthenticatorFlagValidation(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
	}{
		{[]string{uAlex}, true},
		{[]string{uAlex, "--device", "Pixel 9", "--approve", "--qr-png", "x.png", "--yes"}, true},
		{[]string{uAlex, "--registration", "r"}, true},
		{[]string{uAlex, "--registration", "r", "--approve"}, false},
		{[]string{uAlex, "--registration", "r", "--device", "x"}, false},
		{[]string{uAlex, "--registration", "r", "--qr-png", "x"}, false},
		{[]string{uAlex, "--timeout", "0s"}, false},
		{[]string{}, false},
		{[]string{uAlex, uAdele}, false},
	}
	for _, tt := range tests {
		called := false
		ios, _, _, _ := iostreams.Test()
		cmd := NewCmdEnrollAuthenticator(factory.New(ios, "test"), func(_ context.Context, _ *EnrollAuthenticatorOptions) error { called = true; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if (err == nil) != tt.ok || called != tt.ok {
			t.Errorf("%v: err %v, called %v", tt.args, err, called)
		}
	}
}
