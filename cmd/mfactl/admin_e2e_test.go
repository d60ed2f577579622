package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// The admin verbs through the built binary: changes persist in the mock's
// state file from one process to the next; a dry run and a refused
// confirmation change nothing.
func TestAdminVerbsPersistAcrossRuns(t *testing.T) {
	e := newEnv(t)
	const alex = "alex.wilber@contoso.example"
	r := e.run(nil, "--mock", "phone", "add", alex, "(425) 555-0142", "--country", "US", "--type", "mobile", "-o", "json")
	if r.code != 0 {
		t.Fatalf("phone add: exit %d: %s", r.code, r.stderr)
	}
	var m struct {
		ID          string `json:"id"`
		PhoneNumber string `json:"phoneNumber"`
		Pass        string `json:"temporaryAccessPass"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || m.PhoneNumber != "+1 4255550142" {
		t.Fatalf("phone add output %q: %v", r.stdout, err)
	}
	r = e.run(nil, "--mock", "user", "show", alex)
	if r.code != 0 || !strings.Contains(r.stdout, "mobile +1 4255550142") || !strings.Contains(r.stderr, "only one MFA method (Mobile phone)") {
		t.Fatalf("user show after add: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	before := e.run(nil, "--mock", "methods", "list", alex, "-o", "json")
	r = e.run(nil, "--mock", "phone", "remove", alex, "--type", "mobile", "--dry-run")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "DELETE http://localhost/v1.0/users/") || !strings.Contains(r.stdout, "/authentication/phoneMethods/3179e48a-750b-4051-897c-87b9720928f7") {
		t.Fatalf("dry run: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// No terminal and no --yes: refused with exit 2.
	r = e.run(nil, "--mock", "phone", "remove", alex, "--type", "mobile")
	if r.code != 2 || !strings.Contains(r.stderr, "pass --yes") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("no-TTY refusal: %d %q", r.code, r.stderr)
	}
	if after := e.run(nil, "--mock", "methods", "list", alex, "-o", "json"); after.stdout != before.stdout {
		t.Fatalf("a dry run or a refusal changed the tenant:\n%s\n---\n%s", before.stdout, after.stdout)
	}

	r = e.run(nil, "--mock", "tap", "create", alex, "--lifetime", "2h", "--once", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &m); r.code != 0 || err != nil || len(m.Pass) != 8 {
		t.Fatalf("tap create: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = e.run(nil, "--mock", "tap", "show", alex, "-o", "json")
	if r.code != 0 || strings.Contains(r.stdout, m.Pass) || strings.Contains(r.stdout, "\"temporaryAccessPass\":") {
		t.Fatalf("tap show shows the pass: %q", r.stdout)
	}
	r = e.run(nil, "--mock", "tap", "create", alex, "--lifetime", "12h")
	if r.code != 2 || !strings.Contains(r.stderr, "between 1h and 8h") {
		t.Fatalf("lifetime bounds: %d %q", r.code, r.stderr)
	}
	r = e.run(nil, "--mock", "phone", "remove", alex, "--type", "mobile", "--yes")
	if r.code != 0 || !strings.Contains(r.stderr, "Removed the Phone") {
		t.Fatalf("remove: %d %q", r.code, r.stderr)
	}
}

// The same verbs against `mfactl mock serve` over TCP, with the roles of
// the static tokens.
func TestAdminVerbsAgainstServe(t *testing.T) {
	e := newEnv(t)
	url := startServe(t, e, filepath.Join(e.dir, "served.db"))
	admin := []string{"MFACTL_ENDPOINT=" + url, "MFACTL_TOKEN=mock-admin-token"}
	r := e.run(admin, "phone", "sms-signin", "diego.siciliani@contoso.example", "--enable", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"smsSignInState": "ready"`) {
		t.Fatalf("sms-signin: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = e.run(admin, "default", "set", "nestor.wilke@contoso.example", "sms")
	if r.code != 0 {
		t.Fatalf("default set: %d %q", r.code, r.stderr)
	}
	r = e.run(admin, "password", "reset", "alex.wilber@contoso.example", "--yes")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "New password for alex.wilber@contoso.example: ") {
		t.Fatalf("password reset: %d %q %q", r.code, r.stdout, r.stderr)
	}
	helpdesk := []string{"MFACTL_ENDPOINT=" + url, "MFACTL_TOKEN=mock-authadmin-token"}
	r = e.run(helpdesk, "fido2", "remove", "megan.bowen@contoso.example", "--yes")
	if r.code != 4 || !strings.Contains(r.stderr, "Authorization_RequestDenied") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("auth admin on an admin: %d %q", r.code, r.stderr)
	}
	r = e.run(helpdesk, "sessions", "revoke", "alex.wilber@contoso.example", "--yes")
	if r.code != 0 {
		t.Fatalf("helpdesk revokes a user's sessions: %d %q", r.code, r.stderr)
	}
}
