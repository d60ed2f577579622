package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
)

const e2eSeedCSV = `upn,serial number,secret key,time interval,manufacturer,model
alex.wilber@contoso.example,E2E-1,MZXW6YTBOIZDEMRSMZXW6YTBOIZDEMRS,30,Contoso,OTP-C200
,E2E-2,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJA,60,Contoso,OTP-C200
`

var e2eSeeds = []string{"MZXW6YTBOIZDEMRSMZXW6YTBOIZDEMRS", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJA"}

func writeE2EFile(t *testing.T, e *env, name, content string) string {
	t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func assertNoSeed(t *testing.T, r result) {
	t.Helper()
	for _, s := range e2eSeeds {
		if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
			t.Fatalf("a seed appears in the output:\n%s\n%s", r.stdout, r.stderr)
		}
	}
}

// The --debug trace of an import shows the requests with every seed
// redacted, and a second run of the same file imports nothing again.
func TestTokenImportDebugRedactsSeedsAndReimportSkips(t *testing.T) {
	e := newEnv(t)
	file := writeE2EFile(t, e, "tokens.csv", e2eSeedCSV)
	r := e.run(nil, "--mock", "--debug", "token", "import", file)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	assertNoSeed(t, r)
	if !strings.Contains(r.stderr, `"secretKey":"[REDACTED]"`) || !strings.Contains(r.stderr, "hardwareOathDevices") {
		t.Fatalf("no redacted create in the trace:\n%s", r.stderr)
	}
	// The file's users are read through $batch with their method lists,
	// not one GET at a time.
	if strings.Contains(r.stderr, "> GET http://localhost/v1.0/users/") || strings.Contains(r.stderr, "> GET http://localhost/beta/users/") ||
		!strings.Contains(r.stderr, `"method":"GET","url":"/users/alex.wilber%40contoso.example?%24select=`) ||
		!strings.Contains(r.stderr, `"method":"GET","url":"/users/alex.wilber%40contoso.example/authentication/methods"`) {
		t.Fatalf("the import did not read its users through $batch:\n%s", r.stderr)
	}
	r = e.run(nil, "--mock", "token", "import", file, "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var res struct {
		Imported, Skipped int
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || res.Imported != 0 || res.Skipped != 2 {
		t.Fatalf("%s %v", r.stdout, err)
	}
	r = e.run(nil, "--mock", "token", "list", "-o", "json")
	var tokens []methods.HardwareToken
	if err := json.Unmarshal([]byte(r.stdout), &tokens); err != nil || len(tokens) != 7 {
		t.Fatalf("%d tokens: %s %v", len(tokens), r.stdout, err)
	}
}

// Against `mock serve`: import, list, and the emulator's resync of a token
// whose clock runs ahead (codes computed from the served mock's clock; the
// resync searches a thousand steps either way, so the test does not race
// the clock).
func TestTokenImportAndCheckAgainstServe(t *testing.T) {
	e := newEnv(t)
	url := startServe(t, e, filepath.Join(e.dir, "served.db"))
	vars := []string{"MFACTL_ENDPOINT=" + url, "MFACTL_TOKEN=mock-admin-token"}
	file := writeE2EFile(t, e, "tokens.csv", e2eSeedCSV)
	r := e.run(vars, "token", "import", file)
	if r.code != 0 || !strings.Contains(r.stderr, "Imported 2 tokens") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	assertNoSeed(t, r)
	r = e.run(vars, "token", "list", "--status", "assigned", "-o", "csv")
	if r.code != 0 || !strings.Contains(r.stdout, "E2E-1,assigned,Alex Wilber,Contoso,OTP-C200,30s,hmacsha1") {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	key := methods.NewTOTPKey(methods.OATHSecret(e2eSeeds[0]))
	fob := time.Now().Add(10 * time.Minute) // 20 steps ahead
	c1, _ := key.Code(fob)
	c2, _ := key.Code(fob.Add(30 * time.Second))
	r = e.run(vars, "token", "check", "E2E-1", "--code", c1, "--code", c2, "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var res struct {
		DriftSteps int64 `json:"driftSteps"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || res.DriftSteps < 19 || res.DriftSteps > 23 {
		t.Fatalf("%s %v", r.stdout, err)
	}
	// The helpdesk token cannot read the inventory: exit 4 with the role.
	r = e.run([]string{"MFACTL_ENDPOINT=" + url, "MFACTL_TOKEN=mock-authadmin-token"}, "token", "list")
	if r.code != 4 || !strings.Contains(r.stderr, "Authentication Policy Administrator") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}
