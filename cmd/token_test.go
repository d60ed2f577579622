package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/throttling"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
)

// tokClock is the mock's clock in these tests: codes are computed for it.
var tokClock = time.Date(2025, 6, 1, 9, 0, 10, 0, time.UTC)

func newTokenCLI(t *testing.T) *testCLI {
	t.Helper()
	return newTestCLIWith(t, mock.Options{Now: func() time.Time { return tokClock }})
}

// Seeds of the test files (base32, distinct).
const (
	seedA = "MZXW6YTBOIZDEMRSMZXW6YTBOIZDEMRS"
	seedB = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJA"
	seedC = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJB"
	seedD = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJC"
	seedE = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJD"
)

var allSeeds = []string{seedA, seedB, seedC, seedD, seedE, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func csvFile(t *testing.T, rows ...string) string {
	t.Helper()
	return writeFile(t, "tokens.csv", "upn,serial number,secret key,time interval,manufacturer,model\n"+strings.Join(rows, "\n")+"\n")
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := methods.NewTOTPKey(methods.OATHSecret(secret)).Code(at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// notTheCode is a 6-digit code the 30 s token does not show around at.
func notTheCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	near := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		near[code(t, secret, at.Add(d))] = true
	}
	for _, c := range []string{"000000", "111111", "222222"} {
		if !near[c] {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// inventory lists the mock's tokens by serial.
func inventory(t *testing.T, cli *testCLI) map[string]methods.HardwareToken {
	t.Helper()
	if code := cli.run("token", "list", "-o", "json"); code != 0 {
		t.Fatalf("token list: exit %d: %s", code, cli.stderr)
	}
	var ts []methods.HardwareToken
	if err := json.Unmarshal(cli.stdout.Bytes(), &ts); err != nil {
		t.Fatal(err)
	}
	out := map[string]methods.HardwareToken{}
	for _, tok := range ts {
		out[tok.SerialNumber] = tok
	}
	return out
}

// noSeed fails when any seed shows in the run's output.
func noSeed(t *testing.T, cli *testCLI) {
	t.Helper()
	for _, s := range allSeeds {
		for _, out := range []string{cli.stdout.String(), cli.stderr.String()} {
			if strings.Contains(strings.ToUpper(out), s) {
				t.Fatalf("a seed appears in the output:\n%s", out)
			}
		}
	}
}

func TestTokenImportAllOrNothing(t *testing.T) {
	cli := newTokenCLI(t)
	file := csvFile(t,
		"alex.wilber@contoso.example,IMP-1,"+seedA+",30,Contoso,OTP-C200",
		",IMP-2,"+seedB+",45,Contoso,OTP-C200",
		",IMP-3,"+seedC+"1,30,Contoso,OTP-C200",
		",IMP-4,"+seedD[:9]+",30,Contoso,OTP-C200",
		",IMP-5,"+seedE+",60,Contoso,OTP-C200",
	)
	if code := cli.run("token", "import", file); code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, cli.stderr)
	}
	noSeed(t, cli)
	errOut := cli.stderr.String()
	for _, want := range []string{
		"line 3 (serial IMP-2): time interval must be 30 or 60 seconds",
		"line 4 (serial IMP-3): secret key has a character that is not base32 at position 33",
		"line 5 (serial IMP-4): secret key has 9 characters",
		"3 of 5 tokens in " + file + " are invalid; nothing was imported",
		"--skip-invalid",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if cli.stdout.Len() != 0 {
		t.Errorf("stdout: %s", cli.stdout)
	}
	if inv := inventory(t, cli); len(inv) != 5 {
		t.Fatalf("an all-or-nothing import that failed imported something: %v", inv)
	}
}

func TestTokenImportSkipInvalidAndReimport(t *testing.T) {
	cli := newTokenCLI(t)
	file := csvFile(t,
		"alex.wilber@contoso.example,IMP-1,"+seedA+",30,Contoso,OTP-C200",
		",IMP-2,"+seedB+",45,Contoso,OTP-C200",
		"nobody@contoso.example,IMP-3,"+seedC+",30,Contoso,OTP-C200",
		"isaiah.langer_fabrikam.example#EXT#@contoso.example,IMP-4,"+seedD+",30,Contoso,OTP-C200",
		",IMP-5,"+seedE+",60,Contoso,OTP-C200",
	)
	errorsOut := filepath.Join(t.TempDir(), "rejected.csv")
	if err := os.WriteFile(errorsOut, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := cli.run("token", "import", file, "--skip-invalid", "--errors-out", errorsOut); code != 5 {
		t.Fatalf("exit %d, want 5: %s", code, cli.stderr)
	}
	noSeed(t, cli)
	if !strings.Contains(cli.stderr.String(), "Imported 2 tokens") || !strings.Contains(cli.stderr.String(), "3 rejected") {
		t.Fatalf("%s", cli.stderr)
	}
	fi, err := os.Stat(errorsOut)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("errors file mode %v %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(errorsOut)
	got := string(b)
	for _, want := range []string{
		"line,upn,serial number,secret key,time interval,manufacturer,model,hash function,reason\n",
		"3,,IMP-2,GE…JA,45,Contoso,OTP-C200,,time interval must be 30 or 60 seconds\n",
		"4,nobody@contoso.example,IMP-3,GE…JB,30,Contoso,OTP-C200,hmacsha1,no user nobody@contoso.example in the tenant\n",
		"5,isaiah.langer_fabrikam.example#EXT#@contoso.example,IMP-4,GE…JC,30,Contoso,OTP-C200,hmacsha1,\"user isaiah.langer_fabrikam.example#EXT#@contoso.example is a guest",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors file lacks %q:\n%s", want, got)
		}
	}
	for _, s := range allSeeds {
		if strings.Contains(got, s) {
			t.Fatalf("errors file holds a seed:\n%s", got)
		}
	}
	inv := inventory(t, cli)
	if len(inv) != 7 || inv["IMP-1"].Status != methods.TokenAssigned || inv["IMP-1"].AssignedTo.DisplayName != "Alex Wilber" || inv["IMP-5"].Status != methods.TokenAvailable || inv["IMP-5"].TimeIntervalInSeconds != 60 {
		t.Fatalf("%+v", inv)
	}

	// The same file again: nothing duplicated, the two imported tokens are
	// skipped and reported, the bad rows rejected again.
	if code := cli.run("token", "import", file, "--skip-invalid", "-o", "json"); code != 5 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	var res importResult
	if err := json.Unmarshal(cli.stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Imported != 0 || res.Skipped != 2 || res.Rejected != 3 || len(res.Rows) != 5 || res.Rows[0].Outcome != "skipped" || res.Rows[0].Line != 2 || res.Rows[0].Detail != "already in the inventory, assigned to Alex Wilber" {
		t.Fatalf("%+v", res)
	}
	if len(inventory(t, cli)) != 7 {
		t.Fatal("a re-import duplicated tokens")
	}
}

func TestTokenImportIsIdempotent(t *testing.T) {
	cli := newTokenCLI(t)
	file := csvFile(t,
		"diego.siciliani@contoso.example,IMP-1,"+seedA+",30,Contoso,OTP-C200",
		",IMP-2,"+seedB+",30,Contoso,OTP-C200",
	)
	if code := cli.run("token", "import", file); code != 0 || cli.stdout.Len() != 0 {
		t.Fatalf("exit %d: %s %s", code, cli.stdout, cli.stderr)
	}
	if !strings.Contains(cli.stderr.String(), "Imported 2 tokens from "+file+"; 0 skipped") {
		t.Fatalf("%s", cli.stderr)
	}
	if code := cli.run("token", "import", file); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if !strings.Contains(cli.stderr.String(), "Imported 0 tokens from "+file+"; 2 skipped") || !strings.Contains(cli.stdout.String(), "already in the inventory") {
		t.Fatalf("%s\n%s", cli.stdout, cli.stderr)
	}
	if inv := inventory(t, cli); len(inv) != 7 {
		t.Fatalf("%d tokens", len(inv))
	}
}

// Serials already in the inventory: the same token is skipped, a different
// one under the same serial is a rejected row; duplicates within the file
// are rejected on both lines; the fifth OATH method of a user is the last.
func TestTokenImportTenantRules(t *testing.T) {
	cli := newTokenCLI(t)
	file := csvFile(t,
		",HWT-1002,"+seedA+",30,Contoso,OTP-C200", // the demo token: skipped
		",HWT-1003,"+seedB+",30,Contoso,OTP-C200", // Fabrikam KeyFob 60 in the inventory
		",DUP-1,"+seedC+",30,Contoso,OTP-C200",
		",dup-1,"+seedD+",30,Contoso,OTP-C200",
		"adele.vance@contoso.example,LIM-1,GEAAAAAAAAAAAAAA,30,Contoso,OTP-C200",
		"adele.vance@contoso.example,LIM-2,GEBAAAAAAAAAAAAA,30,Contoso,OTP-C200",
		"adele.vance@contoso.example,LIM-3,GECAAAAAAAAAAAAA,30,Contoso,OTP-C200",
		"adele.vance@contoso.example,LIM-4,GEDAAAAAAAAAAAAA,30,Contoso,OTP-C200",
	)
	if code := cli.run("token", "import", file); code != 2 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	errOut := cli.stderr.String()
	for _, want := range []string{
		"line 3 (serial HWT-1003): serial number HWT-1003 is already in the inventory as a different token (manufacturer Fabrikam, not Contoso; model KeyFob 60, not OTP-C200; interval 60s, not 30s; hash hmacsha256, not hmacsha1)",
		"line 4 (serial DUP-1): serial number DUP-1 is also on line 5",
		"line 5 (serial dup-1): serial number dup-1 is also on line 4",
		"line 9 (serial LIM-4): user adele.vance@contoso.example would have more than 5 OATH methods",
		"4 of 8 tokens",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "HWT-1002") || strings.Contains(errOut, "LIM-3") {
		t.Errorf("a good row was reported:\n%s", errOut)
	}
}

func TestTokenImportSmallCases(t *testing.T) {
	cli := newTokenCLI(t)
	header := writeFile(t, "empty.csv", "upn,serial number,secret key,time interval,manufacturer,model\n")
	if code := cli.run("token", "import", header); code != 0 || !strings.Contains(cli.stderr.String(), "Nothing to import") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if code := cli.run("token", "import", header, "--model", "X"); code != 2 || !strings.Contains(cli.stderr.String(), "--model applies to PSKC files only") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	noHeader := writeFile(t, "bad.csv", "alex@contoso.example,1,"+seedA+",30,C,M\n")
	if code := cli.run("token", "import", noHeader); code != 2 || !strings.Contains(cli.stderr.String(), "line 1") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	noSeed(t, cli)
	if code := cli.run("token", "import", filepath.Join(t.TempDir(), "missing.csv")); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if code := cli.run("token", "import", header, "--format", "xls"); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if code := cli.run("token", "import", header, "--concurrency", "0"); code != 2 {
		t.Fatalf("exit %d", code)
	}
}

// A dry run reads the tenant, prints the creates with the seed redacted,
// and changes nothing. (The --debug trace is checked end to end in
// cmd/mfactl, where the real factory builds the client.)
func TestTokenImportDryRun(t *testing.T) {
	cli := newTokenCLI(t)
	file := csvFile(t, "alex.wilber@contoso.example,IMP-1,"+seedA+",30,Contoso,OTP-C200")
	if code := cli.run("token", "import", file, "--dry-run"); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	noSeed(t, cli)
	out := cli.stdout.String()
	if !strings.Contains(out, "POST http://localhost/beta/directory/authenticationMethodDevices/hardwareOathDevices") || !strings.Contains(out, `"secretKey":"[REDACTED]"`) || !strings.Contains(out, `"assignTo":{"id":"`) {
		t.Fatalf("%s", out)
	}
	if _, ok := inventory(t, cli)["IMP-1"]; ok {
		t.Fatal("a dry run imported")
	}
}

func TestTokenImportPSKC(t *testing.T) {
	cli := newTokenCLI(t)
	dir := "../methods/seedfile/testdata/pskc/"
	if code := cli.run("token", "import", dir+"gen-totp-aes128.pskcxml"); code != 2 || !strings.Contains(cli.stderr.String(), "key") {
		t.Fatalf("an encrypted file without a key: exit %d: %s", code, cli.stderr)
	}
	if code := cli.run("token", "import", dir+"gen-totp-aes128.pskcxml", "--pskc-key", "30313233343536373839616263646566"); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	inv := inventory(t, cli)
	if inv["TOTP000001"].Model != "Hardware Token 1000" || inv["TOTP000002"].HashFunction != "hmacsha256" || inv["TOTP000001"].Status != methods.TokenAvailable {
		t.Fatalf("%+v", inv)
	}
	// A vendor file without Model: refused until --model fills it in.
	if code := cli.run("token", "import", dir+"vendor-no-model.pskcxml"); code != 2 || !strings.Contains(cli.stderr.String(), "no Model") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if code := cli.run("token", "import", dir+"vendor-no-model.pskcxml", "--model", "KeyFob 60"); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if tok := inventory(t, cli)["2600000000001"]; tok.Model != "KeyFob 60" || tok.Manufacturer != "Fabrikam Tokens Co." || tok.TimeIntervalInSeconds != 60 {
		t.Fatalf("%+v", tok)
	}
	// A password-protected file: the password from the environment, or
	// asked for on a terminal.
	t.Setenv(pskcPasswordEnv, "correct horse battery staple")
	if code := cli.run("token", "import", dir+"gen-totp-pbkdf2.pskcxml", "--pskc-password", "--dry-run"); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	t.Setenv(pskcPasswordEnv, "")
	if code := cli.run("token", "import", dir+"gen-totp-pbkdf2.pskcxml", "--pskc-password", "--dry-run"); code != 2 || !strings.Contains(cli.stderr.String(), pskcPasswordEnv) {
		t.Fatalf("no terminal: exit %d: %s", code, cli.stderr)
	}
	cli.tty, cli.stdin = true, "wrong password\n"
	if code := cli.run("token", "import", dir+"gen-totp-pbkdf2.pskcxml", "--pskc-password", "--dry-run"); code != 2 || strings.Contains(cli.stderr.String(), "wrong password") {
		t.Fatalf("wrong password: exit %d: %s", code, cli.stderr)
	}
	cli.stdin = "correct horse battery staple\n"
	if code := cli.run("token", "import", dir+"gen-totp-pbkdf2.pskcxml", "--pskc-password", "--dry-run"); code != 0 || !strings.Contains(cli.stderr.String(), "Password of") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
}

// End to end against the mock: import with a user, activate with the code
// the token shows at the mock's clock, a wrong code, unassign, delete.
func TestTokenImportAssignActivate(t *testing.T) {
	cli := newTokenCLI(t)
	file := csvFile(t,
		"alex.wilber@contoso.example,E2E-1,"+seedA+",30,Contoso,OTP-C200",
		",E2E-2,"+seedB+",30,Contoso,OTP-C200",
	)
	if code := cli.run("token", "import", file); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	// A wrong code: failedActivation, exit 1 and a message naming the token.
	if code := cli.run("token", "activate", "E2E-1", "--code", notTheCode(t, seedA, tokClock)); code != 1 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if errOut := cli.stderr.String(); !strings.Contains(errOut, "activate E2E-1 for Alex Wilber: the code is not the one E2E-1 shows now; the token is failedActivation") || !strings.Contains(errOut, "press the token's button") {
		t.Fatalf("%s", errOut)
	}
	if inventory(t, cli)["E2E-1"].Status != methods.TokenFailedActivation {
		t.Fatal("not failedActivation")
	}
	c := code(t, seedA, tokClock)
	if code := cli.run("token", "activate", "E2E-1", "--code", c[:3]+" "+c[3:], "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	var res activationResult
	if err := json.Unmarshal(cli.stdout.Bytes(), &res); err != nil || res.Result != "activated" || res.SerialNumber != "E2E-1" {
		t.Fatalf("%s %v", cli.stdout, err)
	}
	if tok := inventory(t, cli)["E2E-1"]; tok.Status != methods.TokenActivated || tok.LastUsed == nil {
		t.Fatalf("%+v", tok)
	}
	// Idempotent: activating an activated token is a note, not an error.
	if code := cli.run("token", "activate", "E2E-1", "--code", c); code != 0 || !strings.Contains(cli.stderr.String(), "already activated") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	// An unassigned token needs a user; with one, assign and activate.
	if code := cli.run("token", "activate", "E2E-2", "--code", code(t, seedB, tokClock)); code != 2 || !strings.Contains(cli.stderr.String(), "not assigned") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	cli.token = mock.AuthAdminToken // the helpdesk: no inventory role needed
	if code := cli.run("token", "activate", "E2E-2", "diego.siciliani@contoso.example", "--code", code(t, seedB, tokClock), "--display-name", "Diego's fob"); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if !strings.Contains(cli.stderr.String(), "Activated E2E-2 for Diego Siciliani") {
		t.Fatalf("%s", cli.stderr)
	}
	if code := cli.run("token", "list", "--user", "diego.siciliani@contoso.example", "-o", "json"); code != 0 || !strings.Contains(cli.stdout.String(), `"displayName": "Diego's fob"`) {
		t.Fatalf("exit %d: %s %s", code, cli.stdout, cli.stderr)
	}
	cli.token = mock.DefaultAdminToken
	// Unassign needs confirmation; without a terminal, --yes.
	if code := cli.run("token", "unassign", "E2E-1"); code != 2 || !strings.Contains(cli.stderr.String(), "--yes") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if code := cli.run("token", "delete", "E2E-1", "--yes"); code != 1 || !strings.Contains(cli.stderr.String(), "token unassign E2E-1") {
		t.Fatalf("delete of an assigned token: exit %d: %s", code, cli.stderr)
	}
	if code := cli.run("token", "unassign", "E2E-1", "--yes"); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if tok := inventory(t, cli)["E2E-1"]; tok.Status != methods.TokenAvailable || tok.AssignedTo != nil {
		t.Fatalf("%+v", tok)
	}
	if code := cli.run("token", "unassign", "E2E-1", "--yes"); code != 0 || !strings.Contains(cli.stderr.String(), "nothing to do") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if code := cli.run("token", "assign", "E2E-1", "lee.gu@contoso.example", "--dry-run"); code != 0 || !strings.Contains(cli.stdout.String(), `"device":{"id":"`) {
		t.Fatalf("exit %d: %s %s", code, cli.stdout, cli.stderr)
	}
	if code := cli.run("token", "delete", "E2E-1", "--yes"); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if _, ok := inventory(t, cli)["E2E-1"]; ok {
		t.Fatal("not deleted")
	}
	if code := cli.run("token", "delete", "E2E-1", "--yes"); code != 3 {
		t.Fatalf("deleting an unknown token: exit %d: %s", code, cli.stderr)
	}
	noSeed(t, cli)
}

func TestTokenAssignRules(t *testing.T) {
	cli := newTokenCLI(t)
	if code := cli.run("token", "assign", "HWT-1004", "alex.wilber@contoso.example"); code != 1 || !strings.Contains(cli.stderr.String(), "HWT-1004 is assigned (assigned to Lee Gu), not available") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if code := cli.run("token", "assign", "HWT-1002", "isaiah.langer_fabrikam.example#EXT#@contoso.example"); code != 2 || !strings.Contains(cli.stderr.String(), "guest") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if code := cli.run("token", "assign", "NOPE", "alex.wilber@contoso.example"); code != 3 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if code := cli.run("token", "assign", "HWT-1002", "alex.wilber@contoso.example", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	var tok methods.HardwareToken
	if err := json.Unmarshal(cli.stdout.Bytes(), &tok); err != nil || tok.Status != methods.TokenAssigned || tok.AssignedTo.DisplayName != "Alex Wilber" {
		t.Fatalf("%s %v", cli.stdout, err)
	}
	// Grady's token delivers his default method: Graph refuses to unassign it.
	if code := cli.run("token", "unassign", "HWT-1001", "--yes"); code != 1 || !strings.Contains(cli.stderr.String(), "defaultMethodInUse") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	cli.token = mock.AuthAdminToken
	if code := cli.run("token", "list"); code != 4 || !strings.Contains(cli.stderr.String(), "Authentication Policy Administrator") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
}

func TestTokenList(t *testing.T) {
	cli := newTokenCLI(t)
	if code := cli.run("token", "list", "--status", "available", "-o", "csv"); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	want := "serial,status,assigned to,manufacturer,model,interval,hash,last used,id\nHWT-1002,available,-,Contoso,OTP-C200,30s,hmacsha1,-,"
	if !strings.HasPrefix(cli.stdout.String(), want) || strings.Count(cli.stdout.String(), "\n") != 3 {
		t.Fatalf("%s", cli.stdout)
	}
	if code := cli.run("token", "list", "--status", "lost"); code != 2 {
		t.Fatalf("exit %d", code)
	}
	if code := cli.run("token", "list", "--user", "alex.wilber@contoso.example"); code != 0 || !strings.Contains(cli.stderr.String(), "No hardware tokens in alex.wilber@contoso.example") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if code := cli.run("token", "list", "--user", "alex.wilber@contoso.example", "-o", "json"); code != 0 || strings.TrimSpace(cli.stdout.String()) != "[]" {
		t.Fatalf("exit %d: %q", code, cli.stdout)
	}
	if code := cli.run("token", "list", "--user", "nobody@contoso.example"); code != 3 {
		t.Fatalf("exit %d", code)
	}
}

// A token whose clock drifted is refused until `token check` resyncs it
// from two consecutive codes.
func TestTokenCheckResyncsADriftedToken(t *testing.T) {
	cli := newTokenCLI(t)
	const secret = "KRUGS4ZANFZSAYJAOBZGK5DUPEQGQYLS" // HWT-1004, assigned to Lee Gu
	fob := tokClock.Add(4 * time.Minute)              // the fob runs 8 steps ahead
	if code := cli.run("token", "activate", "HWT-1004", "--code", code(t, secret, fob)); code != 1 {
		t.Fatalf("a drifted code was accepted: exit %d", code)
	}
	if code := cli.run("token", "check", "HWT-1004", "--code", code(t, secret, fob), "--code", code(t, secret, fob.Add(30*time.Second))); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if !strings.Contains(cli.stderr.String(), "HWT-1004's clock runs 270 s (9 steps) ahead. Resynchronised") {
		t.Fatalf("%s", cli.stderr)
	}
	if code := cli.run("token", "activate", "HWT-1004", "--code", code(t, secret, fob.Add(60*time.Second))); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	for _, args := range [][]string{
		{"token", "check", "HWT-1004", "--code", "123456"},
		{"token", "check", "HWT-1004", "--code", "123456", "--code", "123456"},
		{"token", "check", "HWT-1004", "--code", "12345", "--code", "123456"},
	} {
		if code := cli.run(args...); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
	}
	if code := cli.run("token", "check", "HWT-1004", "--code", "123456", "--code", "654321"); code != 1 || !strings.Contains(cli.stderr.String(), "tokenResyncFailed") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	// A resync changes the token, so each run that reached the mock is in
	// the audit log, its codes redacted.
	var checks []audit.Record
	for _, r := range cli.auditRecords() {
		if strings.HasPrefix(r.Command, "mfactl token check HWT-1004") {
			checks = append(checks, r)
		}
	}
	if len(checks) != 2 || checks[0].Outcome != audit.OutcomeSucceeded || checks[1].Outcome != audit.OutcomeFailed ||
		checks[1].Command != "mfactl token check HWT-1004 --code [REDACTED] --code [REDACTED]" {
		t.Errorf("token check records: %+v", checks)
	}
}

// token activate --file: every row is checked first; activations are
// paced to the budget with a visible wait; failures are listed (exit 5)
// and a re-run skips what is done.
func TestTokenActivateFile(t *testing.T) {
	cli := newTokenCLI(t)
	file := csvFile(t,
		"alex.wilber@contoso.example,F-1,"+seedA+",30,Contoso,OTP-C200",
		",F-2,"+seedB+",30,Contoso,OTP-C200",
		",F-3,"+seedC+",30,Contoso,OTP-C200",
	)
	if code := cli.run("token", "import", file); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	bad := writeFile(t, "bad.csv", "serial,upn,code\nF-1,,12345\nF-2,nobody@contoso.example,123456\nF-3,isaiah.langer_fabrikam.example#EXT#@contoso.example,123456\n")
	if code := cli.run("token", "activate", "--file", bad); code != 2 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	for _, want := range []string{"line 2 (serial F-1): code must be the 6 digits", "line 3 (serial F-2): no user nobody@contoso.example", "line 4 (serial F-3): user isaiah", "3 of 3 rows"} {
		if !strings.Contains(cli.stderr.String(), want) {
			t.Errorf("stderr lacks %q: %s", want, cli.stderr)
		}
	}
	if strings.Contains(cli.stderr.String(), "12345") {
		t.Errorf("a code was echoed: %s", cli.stderr)
	}

	acts := writeFile(t, "acts.csv", fmt.Sprintf("serial,upn,code\nF-1,,%s\nF-2,diego.siciliani@contoso.example,%s\nF-3,johanna.lorenz@contoso.example,%s\nHWT-1004,,%s\n",
		code(t, seedA, tokClock), code(t, seedB, tokClock), notTheCode(t, seedC, tokClock), code(t, "KRUGS4ZANFZSAYJAOBZGK5DUPEQGQYLS", tokClock)))
	now := tokClock
	var waits []time.Duration
	ios, _, out, errOut := iostreams.Test()
	f := cli.factory(ios)
	opts := &TokenActivateOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit, File: acts, Limit: 2, Window: 5 * time.Minute,
		Now: func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error {
			waits = append(waits, d)
			now = now.Add(d)
			return nil
		}}
	if err := opts.Validate(); err != nil {
		t.Fatal(err)
	}
	err := tokenActivateRun(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "1 of 4 activations failed") {
		t.Fatalf("%v\n%s", err, errOut)
	}
	// Two activations fit the window; the third waits the full window (the
	// fake clock does not move otherwise); the fourth fits with it.
	if len(waits) != 1 || waits[0] != 5*time.Minute || !strings.Contains(errOut.String(), "waiting 5m0s (2 of 4 done)") {
		t.Fatalf("waits %v\n%s", waits, errOut)
	}
	var rows []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n")[1:] {
		f := strings.Fields(line)
		rows = append(rows, f[0]+" "+f[1]+" "+f[len(f)-1])
		if f[1] == "F-3" && (!strings.Contains(line, "failedActivation  activate F-3 for Johanna Lorenz") || !strings.Contains(line, "invalidVerificationCode")) {
			t.Errorf("%s", line)
		}
	}
	if got := strings.Join(rows, ", "); !strings.HasPrefix(got, "2 F-1 -, 3 F-2 -, 4 F-3 ") || !strings.HasSuffix(got, ", 5 HWT-1004 -") {
		t.Errorf("rows: %s\n%s", got, out)
	}
	inv := inventory(t, cli)
	if inv["F-1"].Status != methods.TokenActivated || inv["F-2"].Status != methods.TokenActivated || inv["F-3"].Status != methods.TokenFailedActivation || inv["HWT-1004"].Status != methods.TokenActivated {
		t.Fatalf("%+v", inv)
	}
	// Re-run with a fixed code for F-3: the activated rows are skipped.
	fixed := writeFile(t, "fixed.csv", fmt.Sprintf("serial,upn,code\nF-1,,%s\nF-3,johanna.lorenz@contoso.example,%s\n", code(t, seedA, tokClock), code(t, seedC, tokClock)))
	if code := cli.run("token", "activate", "--file", fixed, "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	var results []activationResult
	if err := json.Unmarshal(cli.stdout.Bytes(), &results); err != nil || len(results) != 2 || results[0].Result != "alreadyActivated" || results[1].Result != "activated" {
		t.Fatalf("%s %v", cli.stdout, err)
	}
}

func TestPacer(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var slept []time.Duration
	p := &pacer{limit: 3, window: time.Minute, now: func() time.Time { return now },
		sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); now = now.Add(d); return nil }}
	ctx := context.Background()
	steps := []time.Duration{0, 10 * time.Second, 10 * time.Second, 0, 45 * time.Second, 0, 0}
	for _, gap := range steps {
		now = now.Add(gap)
		if err := p.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Sends at 0, 10 and 20 s; the 4th (asked at 20) waits until 60, when
	// the send at 0 leaves the window; the 5th and 6th (at 105) fit beside
	// 60; the 7th waits until 120, when 60 leaves.
	if fmt.Sprint(slept) != "[40s 15s]" {
		t.Fatalf("slept %v", slept)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	p.sleep = throttling.Sleep
	if err := p.wait(canceled); err == nil {
		t.Fatal("a canceled wait returned")
	}
}

func TestTokenFlagParsing(t *testing.T) {
	cli := newTokenCLI(t)
	for _, args := range [][]string{
		{"token", "activate"},
		{"token", "activate", "HWT-1004"},
		{"token", "activate", "HWT-1004", "--code", "12"},
		{"token", "activate", "HWT-1004", "--file", "x.csv"},
		{"token", "activate", "--file", "x.csv", "--code", "123456"},
		{"token", "activate", "HWT-1004", "not-a-user", "--code", "123456"},
		{"token", "import"},
		{"token", "import", "a.csv", "--pskc-key", "00", "--pskc-password"},
		{"token", "assign", "HWT-1002"},
		{"token", "list", "extra"},
	} {
		if code := cli.run(args...); code != 2 {
			t.Errorf("%v: exit %d: %s", args, code, cli.stderr)
		}
	}
}

// A progress bar shows on a terminal's stderr for a large file, never on
// stdout and never without a terminal.
func TestTokenImportProgressOnlyOnATerminal(t *testing.T) {
	var rows []string
	for i := 0; i < progressMinTokens; i++ {
		seed := methods.OATHSecret(fmt.Sprintf("GEZDGNBVGY3TQOJQGEZDGNBV%08d", i))
		rows = append(rows, fmt.Sprintf(",P-%d,%s,30,Contoso,OTP-C200", i, strings.NewReplacer("0", "A", "1", "B", "8", "C", "9", "D").Replace(string(seed))))
	}
	file := csvFile(t, rows...)
	cli := newTokenCLI(t)
	if code := cli.run("token", "import", file); code != 0 || strings.Contains(cli.stderr.String(), "Importing tokens") {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	cli = newTokenCLI(t)
	cli.tty = true
	if code := cli.run("token", "import", file); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if !strings.Contains(cli.stderr.String(), "Importing tokens") || !strings.Contains(cli.stderr.String(), fmt.Sprintf("%d/%d", progressMinTokens, progressMinTokens)) || strings.Contains(cli.stdout.String(), "Importing") {
		t.Fatalf("stdout %q\nstderr %q", cli.stdout, cli.stderr)
	}
}

// An admin activates a token with the code the fob shows, read through
// `mock code --serial` before the token is activated; a drifted fob is
// rehearsed with --steps and resynchronised with `token check`.
func TestMockCodeOfAFobBySerial(t *testing.T) {
	cli := newTestCLI(t)
	code := strings.TrimSpace(cli.ok("mock", "code", "--serial", "HWT-1004"))
	if len(code) != 6 {
		t.Fatalf("code %q", code)
	}
	cli.ok("token", "activate", "HWT-1004", "--code", code)
	if out := cli.ok("token", "list", "--status", "activated"); !strings.Contains(out, "HWT-1004") {
		t.Fatalf("HWT-1004 is not activated:\n%s", out)
	}
	// An available token (no user) shows codes too.
	var c map[string]any
	cli.jsonOf(&c, "mock", "code", "--serial", "HWT-1002", "--steps", "2")
	if c["serialNumber"] != "HWT-1002" || len(c["code"].(string)) != 6 || c["kind"] != "hardwareOath" {
		t.Errorf("json %v", c)
	}
	// A fob 5 steps fast: its codes fail until `token check` learns the drift.
	a := strings.TrimSpace(cli.ok("mock", "code", "--serial", "HWT-1001", "--steps", "4"))
	b := strings.TrimSpace(cli.ok("mock", "code", "--serial", "HWT-1001", "--steps", "5"))
	cli.ok("token", "check", "HWT-1001", "--code", a, "--code", b)
	if s := cli.stdout.String() + cli.stderr.String(); !strings.Contains(s, "(5 steps) ahead") {
		t.Errorf("token check: %s", s)
	}
	cli.fails(3, []string{"HWT-9999"}, "mock", "code", "--serial", "HWT-9999")
	cli.fails(2, []string{"not both"}, "mock", "code", alexUPN, "--serial", "HWT-1002")
	cli.fails(2, []string{"--steps goes with --serial"}, "mock", "code", "grady.archie@contoso.example", "--steps", "1")
	cli.fails(2, []string{"between -100 and 100"}, "mock", "code", "--serial", "HWT-1002", "--steps", "500")
}
