package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Outcomes and exit codes that match the README's tables: each case is a
// run whose exit code used to disagree with what happened.

// An output format a command does not offer is a usage error found before
// anything is sent: exit 2, nothing printed on stdout, nothing changed.
func TestOutputFormatIsCheckedBeforeTheCommandRuns(t *testing.T) {
	e := newEnv(t)
	const adele = "adele.vance@contoso.example"
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"user show has no md", []string{"--mock", "--debug", "user", "show", adele, "-o", "md"}, 2},
		{"an unknown format", []string{"--mock", "--debug", "methods", "list", adele, "-o", "xml"}, 2},
		{"a write with md changes nothing", []string{"--mock", "--debug", "phone", "add", adele, "+1 4255550123", "--type", "office", "-o", "md"}, 2},
		{"reset offers md", []string{"--mock", "reset", adele, "--all", "--dry-run", "-o", "md"}, 0},
		{"reports read -o themselves", []string{"--mock", "report", "tokens", "-o", "md"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.run(nil, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tc.code, r.stderr)
			}
			if tc.code == 2 {
				if r.stdout != "" || strings.Contains(r.stderr, "> GET") || strings.Contains(r.stderr, "> POST") {
					t.Fatalf("something ran before -o was refused:\n%s\n%s", r.stdout, r.stderr)
				}
				if !strings.Contains(r.stderr, "mfactl: -o") {
					t.Fatalf("stderr does not name -o: %s", r.stderr)
				}
			}
		})
	}
	r := e.run(nil, "--mock", "phone", "list", adele, "-o", "json")
	if strings.Contains(r.stdout, "4255550123") {
		t.Fatalf("the refused phone add changed the tenant: %s", r.stdout)
	}
}

// A device token is either valid (0) or rejected (1): another user's
// token and an expired one are both rejections, as the README's
// verification exit codes say.
func TestDeviceTokenRejectionsExit1(t *testing.T) {
	e := newEnv(t)
	const adele, diego = "adele.vance@contoso.example", "diego.siciliani@contoso.example"
	r := e.run(nil, "--mock", "verify", adele, "--method", "push", "--send", "-o", "json")
	var sent struct {
		Challenge struct {
			ID     string
			Number int
		}
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &sent) != nil {
		t.Fatalf("send: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r = e.run(nil, "--mock", "mock", "device", "approve", adele, "--number", itoa(sent.Challenge.Number)); r.code != 0 {
		t.Fatalf("approve: %d %s", r.code, r.stderr)
	}
	r = e.run(nil, "--mock", "verify", adele, "--challenge", sent.Challenge.ID, "--wait", "--remember", "-o", "json")
	var done struct {
		Verified    bool
		DeviceToken struct{ Token string }
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &done) != nil || done.DeviceToken.Token == "" {
		t.Fatalf("remember: %d %s %s", r.code, r.stdout, r.stderr)
	}
	tok := done.DeviceToken.Token
	if r = e.run(nil, "--mock", "verify", adele, "--device-token", tok); r.code != 0 {
		t.Fatalf("own token: %d %s", r.code, r.stderr)
	}
	if r = e.run(nil, "--mock", "verify", diego, "--device-token", tok); r.code != 1 || !strings.Contains(r.stderr, "not remembered") {
		t.Errorf("another user's token: exit %d, want 1: %s", r.code, r.stderr)
	}
	if r = e.run(nil, "--mock", "mock", "clock", "advance", "745h"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r = e.run(nil, "--mock", "verify", adele, "--device-token", tok); r.code != 1 || !strings.Contains(r.stderr, "expired") {
		t.Errorf("expired token: exit %d, want 1: %s", r.code, r.stderr)
	}
}

// "#" at the extension of an office phone only gets the call through to
// the user: the step succeeds (exit 0) and the outcome shows the call
// still open; the PIN and # then verify.
func TestKeysAtTheExtensionReportTheOpenCall(t *testing.T) {
	e := newEnv(t)
	env := []string{"MFACTL_MOCK_VERIFY_CONFIG=" + cheapVerifyConfig(t, e.dir, "")}
	const grady = "grady.archie@contoso.example"
	if r := e.runIn("20482048\n", env, "--mock", "enroll", "pin", grady, "--pin-stdin"); r.code != 0 {
		t.Fatalf("enroll pin: %d %s", r.code, r.stderr)
	}
	r := e.run(env, "--mock", "verify", grady, "--method", "voice-pin", "--phone", "office", "--send", "-o", "json")
	var sent struct {
		Challenge struct{ ID, Extension string }
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &sent) != nil || sent.Challenge.Extension == "" {
		t.Fatalf("send: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = e.run(env, "--mock", "verify", grady, "--challenge", sent.Challenge.ID, "--keys", "#", "-o", "json")
	var step struct {
		Verified  bool
		Challenge struct{ State string }
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &step) != nil {
		t.Fatalf("extension: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	if step.Verified || step.Challenge.State == "" || step.Challenge.State == "verified" || step.Challenge.State == "failed" {
		t.Fatalf("the outcome does not show the open call: %s", r.stdout)
	}
	if !strings.Contains(r.stderr, "goes on") {
		t.Errorf("no word that the call goes on: %s", r.stderr)
	}
	r = e.run(env, "--mock", "verify", grady, "--challenge", sent.Challenge.ID, "--keys", "20482048#", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"verified": true`) {
		t.Fatalf("PIN: exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
}

// A reader's token import is refused on every row: "not allowed" (4),
// with the missing permission named, not a partial import (5).
func TestReaderTokenImportExits4(t *testing.T) {
	e := newEnv(t)
	file := writeE2EFile(t, e, "tokens.csv", e2eSeedCSV)
	r := e.run([]string{"MFACTL_TOKEN=mock-reader-token"}, "--mock", "token", "import", file)
	if r.code != 4 {
		t.Fatalf("exit %d, want 4: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "none of the 2 tokens was imported") || !strings.Contains(r.stderr, "Authentication Policy Administrator") {
		t.Errorf("stderr: %s", r.stderr)
	}
	assertNoSeed(t, r)
	// An admin's import of the same file still works (nothing was half done).
	if r = e.run(nil, "--mock", "token", "import", file); r.code != 0 {
		t.Fatalf("admin import: %d %s", r.code, r.stderr)
	}
}

// A state file in a directory that does not exist is refused (exit 2)
// and nothing is created; `mock seed --state` is how to ask for one.
func TestMockStateInAMissingDirectory(t *testing.T) {
	e := newEnv(t)
	missing := filepath.Join(e.dir, "no", "such", "dir")
	state := filepath.Join(missing, "x.db")
	for _, args := range [][]string{
		{"--mock", "--mock-state", state, "user", "show", "adele.vance@contoso.example"},
		{"user", "show", "adele.vance@contoso.example", "--mock"}, // through MFACTL_MOCK_STATE
		{"mock", "serve", "--state", state, "--addr", "127.0.0.1:0"},
	} {
		r := e.run([]string{"MFACTL_MOCK_STATE=" + state}, args...)
		if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "does not exist") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(e.dir, "no")); err == nil {
			t.Fatalf("%v created the directory tree", args)
		}
	}
	if r := e.run(nil, "mock", "seed", "--users", "5", "--state", state); r.code != 0 {
		t.Fatalf("mock seed --state: %d %s", r.code, r.stderr)
	}
	if r := e.run(nil, "--mock", "--mock-state", state, "report", "coverage", "-o", "json"); r.code != 0 {
		t.Fatalf("the seeded state: %d %s", r.code, r.stderr)
	}
}

// A boolean setting that is not a boolean is refused with one line naming
// where it came from, instead of being read as false (which would run
// against real Graph).
func TestConfigBooleansAreChecked(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(e.dir, "config", "mfactl")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "config.yaml")
	for _, tc := range []struct {
		name, yaml string
		env        []string
		code       int
		want       []string
	}{
		{"file string", "mock: \"yes please\"\n", nil, 2, []string{file, "mock", `"yes please"`}},
		{"profile value", "profiles:\n  default:\n    debug: sometimes\n", nil, 2, []string{file, "debug", `"sometimes"`}},
		{"a list", "mock: [1]\n", nil, 2, []string{file, "mock"}},
		{"environment", "", []string{"MFACTL_MOCK=maybe"}, 2, []string{"MFACTL_MOCK", `"maybe"`}},
		{"true", "mock: true\n", nil, 0, nil},
		{"quoted true", "mock: \"true\"\n", nil, 0, nil},
		{"environment 1", "", []string{"MFACTL_MOCK=1"}, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(file, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			r := e.run(tc.env, "user", "show", "adele.vance@contoso.example")
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d: %s", r.code, tc.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, r.stderr)
				}
			}
			if tc.code != 0 && strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("not one line: %q", r.stderr)
			}
		})
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// auth status against the mock: the static token is opaque, the roles
// come from Graph, and the helpdesk agent is told which commands Graph
// will refuse; a refused command then names the role.
func TestAuthStatusAndA403ThroughTheBinary(t *testing.T) {
	e := newEnv(t)
	helpdesk := []string{"MFACTL_TOKEN=mock-authadmin-token"}
	r := e.run(helpdesk, "--mock", "auth", "status")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"token:     opaque", "roles:     Authentication Administrator, Helpdesk Administrator (from Graph)", "refused:", "mfa-state set", "Authentication Policy Administrator"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("auth status lacks %q:\n%s", want, r.stdout)
		}
	}
	r = e.run(helpdesk, "--mock", "mfa-state", "set", "adele.vance@contoso.example", "enforced")
	if r.code != 4 || !strings.Contains(r.stderr, "Policy.ReadWrite.AuthenticationMethod") || !strings.Contains(r.stderr, "Authentication Policy Administrator") {
		t.Errorf("403: exit %d: %s", r.code, r.stderr)
	}
}

// A report run before signing in says so once, with the sign-in hint, like
// every other command (its probes used to be joined into one line
// repeating "not signed in" three times, without the hint).
func TestReportBeforeSignInIsOneLineWithTheHint(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{{"report", "coverage"}, {"report", "coverage", "--no-tokens"}, {"report", "tokens"}} {
		r := e.run(nil, args...)
		if r.code != 4 {
			t.Fatalf("%v: exit %d, want 4: %s", args, r.code, r.stderr)
		}
		if strings.Count(r.stderr, "\n") != 1 || strings.Count(r.stderr, "not signed in") != 1 || !strings.Contains(r.stderr, "mfactl auth login") {
			t.Errorf("%v: want one line saying not signed in once, with the hint: %q", args, r.stderr)
		}
	}
}
