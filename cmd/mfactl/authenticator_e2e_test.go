package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// regOut is what `enroll authenticator -o json` prints.
type regOut struct {
	RegistrationID string         `json:"registrationId"`
	State          string         `json:"state"`
	Reason         string         `json:"reason"`
	ActivationCode string         `json:"activationCode"`
	URL            string         `json:"url"`
	Number         int            `json:"number"`
	MethodID       string         `json:"methodId"`
	Method         map[string]any `json:"method"`
}

// Microsoft Authenticator registration end to end, through the binary and
// the mock's state file: the one-run approval with its trace and audit
// record, a second Authenticator, the two-run approval on the emulated
// phone, a denial, an expiry on the emulated clock, and a real tenant.
func TestEnrollAuthenticatorEndToEnd(t *testing.T) {
	e := newEnv(t)
	const alex = "alex.wilber@contoso.example"
	const adele = "adele.vance@contoso.example"
	decode := func(r result) regOut {
		t.Helper()
		var out regOut
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("not JSON (exit %d): %s %s", r.code, r.stdout, r.stderr)
		}
		return out
	}

	// One run, --approve, traced: the code is printed once and is not in
	// the trace nor in the audit log.
	r := e.run(nil, "--mock", "--debug", "enroll", "authenticator", alex, "--device", "Pixel 9", "--approve", "-o", "json")
	got := decode(r)
	if r.code != 0 || got.State != "approved" || got.Method["displayName"] != "Pixel 9" || len(got.ActivationCode) != 9 {
		t.Fatalf("exit %d: %+v\n%s", r.code, got, r.stderr)
	}
	if !strings.Contains(r.stderr, "/_mock/authenticator/activate") || strings.Contains(r.stderr, got.ActivationCode) {
		t.Errorf("the trace shows the activation code %s (or no activation):\n%s", got.ActivationCode, r.stderr)
	}
	auditLog, err := os.ReadFile(filepath.Join(e.dir, "state", "mfactl", "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(auditLog), "enroll authenticator") || strings.Contains(string(auditLog), got.ActivationCode) {
		t.Errorf("audit log (no record, or the code %s in it):\n%s", got.ActivationCode, auditLog)
	}
	r = e.run(nil, "--mock", "authenticator", "list", alex, "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, got.MethodID) || !strings.Contains(r.stdout, "Pixel 9") {
		t.Errorf("authenticator list: exit %d %s", r.code, r.stdout)
	}

	// A second Authenticator for a user who has one, approved on the
	// emulated phone between two runs.
	r = e.run(nil, "--mock", "enroll", "authenticator", adele, "--device", "iPad Air", "-o", "json")
	sent := decode(r)
	if r.code != 0 || sent.State != "notificationSent" || sent.Number < 10 {
		t.Fatalf("exit %d: %+v %s", r.code, sent, r.stderr)
	}
	if r = e.run(nil, "--mock", "mock", "device", "pending", adele, "-o", "json"); !strings.Contains(r.stdout, `"registration"`) {
		t.Errorf("pending: %s", r.stdout)
	}
	if r = e.run(nil, "--mock", "mock", "device", "approve", adele, "--number", fmt.Sprint(sent.Number)); r.code != 0 {
		t.Fatalf("approve: exit %d %s", r.code, r.stderr)
	}
	r = e.run(nil, "--mock", "enroll", "authenticator", adele, "--registration", sent.RegistrationID, "-o", "json")
	if done := decode(r); r.code != 0 || done.State != "approved" || done.MethodID == "" {
		t.Errorf("second run: exit %d %+v", r.code, done)
	}
	r = e.run(nil, "--mock", "user", "show", adele)
	if !strings.Contains(r.stdout, "iPhone 15") || !strings.Contains(r.stdout, "iPad Air") {
		t.Errorf("user show: %s", r.stdout)
	}

	// Denied on the phone: nothing added, exit 1.
	sent = decode(e.run(nil, "--mock", "enroll", "authenticator", alex, "-o", "json"))
	e.run(nil, "--mock", "mock", "device", "deny", alex)
	if r = e.run(nil, "--mock", "enroll", "authenticator", alex, "--registration", sent.RegistrationID); r.code != 1 || !strings.Contains(r.stderr, "denied") {
		t.Errorf("denied: exit %d %s", r.code, r.stderr)
	}

	// No answer: the emulated clock passes the notification's expiry.
	sent = decode(e.run(nil, "--mock", "enroll", "authenticator", alex, "-o", "json"))
	if r = e.run(nil, "--mock", "mock", "clock", "advance", "2m"); r.code != 0 {
		t.Fatalf("clock: %s", r.stderr)
	}
	if r = e.run(nil, "--mock", "enroll", "authenticator", alex, "--registration", sent.RegistrationID, "-o", "json"); r.code != 1 || !strings.Contains(r.stderr, "expired") {
		t.Errorf("expired: exit %d %s", r.code, r.stderr)
	}
	r = e.run(nil, "--mock", "authenticator", "list", alex, "-o", "json")
	if n := strings.Count(r.stdout, `"id"`); n != 1 {
		t.Errorf("%d Authenticator methods after a denial and an expiry, want 1: %s", n, r.stdout)
	}

	// A real tenant: one line, exit 2, before any sign-in.
	r = e.run(nil, "enroll", "authenticator", alex, "--approve")
	if r.code != 2 || !strings.Contains(r.stderr, "https://aka.ms/mysecurityinfo") || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("real tenant: exit %d %q", r.code, r.stderr)
	}
}
