package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/factory"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
	"github.com/mfactl/mfactl/mock"
	"github.com/mfactl/mfactl/mock/store"
)

// newVerifyCLI is newTestCLI with a cheap PBKDF2 cost for PINs and
// answers: the same algorithm, only faster.
func newVerifyCLI(t *testing.T) *testCLI {
	t.Helper()
	cfg := verify.DefaultConfig()
	cfg.Hash = verify.HashParams{Iterations: 10}
	st := store.NewMemory()
	srv, err := mock.NewServer(mock.Options{Store: st, Verify: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	t.Setenv("MFACTL_CONFIG", t.TempDir()+"/config.yaml")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	return &testCLI{t: t, srv: srv, store: st, token: mock.DefaultAdminToken}
}

// must runs args and fails unless the exit code is want.
func (c *testCLI) must(want int, args ...string) string {
	c.t.Helper()
	if got := c.run(args...); got != want {
		c.t.Fatalf("mfactl %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), got, want, c.stdout, c.stderr)
	}
	return c.stdout.String()
}

// jsonOut runs args with -o json and decodes stdout.
func (c *testCLI) jsonOut(args ...string) map[string]any {
	c.t.Helper()
	out := c.must(0, append(args, "-o", "json")...)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		c.t.Fatalf("mfactl %s: not JSON: %q", strings.Join(args, " "), out)
	}
	return m
}

// outboxCode is the newest code texted or read to user.
func (c *testCLI) outboxCode(user string) string {
	c.t.Helper()
	out := c.must(0, "mock", "outbox", "--user", user, "-o", "json")
	var msgs []map[string]any
	if err := json.Unmarshal([]byte(out), &msgs); err != nil || len(msgs) == 0 {
		c.t.Fatalf("outbox: %q %v", out, err)
	}
	text := msgs[len(msgs)-1]["text"].(string)
	return strings.ReplaceAll(regexp.MustCompile(`[0-9](?: ?[0-9]){5}`).FindString(text), " ", "")
}

func (c *testCLI) code(user string, args ...string) string {
	c.t.Helper()
	return strings.TrimSpace(c.must(0, append([]string{"mock", "code", user}, args...)...))
}

const (
	uAdele  = "adele.vance@contoso.example"
	uAlex   = "alex.wilber@contoso.example"
	uGrady  = "grady.archie@contoso.example"
	uLee    = "lee.gu@contoso.example"
	uMegan  = "megan.bowen@contoso.example"
	uNestor = "nestor.wilke@contoso.example"
	uJo     = "johanna.lorenz@contoso.example"
)

func TestVerifyAppCodeAndReplay(t *testing.T) {
	cli := newVerifyCLI(t)
	code := cli.code(uAdele)
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) {
		t.Fatalf("mock code printed %q", code)
	}
	out := cli.must(0, "verify", uAdele, "--method", "app", "--code", code)
	if !strings.Contains(out, "verified") || !strings.Contains(out, uAdele+" with app") {
		t.Errorf("verified output: %s", out)
	}
	cli.must(1, "verify", uAdele, "--method", "app", "--code", code)
	if !strings.Contains(cli.stderr.String(), "already used") || !strings.Contains(cli.stderr.String(), "next code") {
		t.Errorf("replay message: %s", cli.stderr)
	}
	// A hardware token: Grady's activated HWT-1001.
	cli.must(0, "verify", uGrady, "--method", "hardware", "--code", cli.code(uGrady, "--method", "hardware"))
}

func TestVerifySMSSendResendAndExpiry(t *testing.T) {
	cli := newVerifyCLI(t)
	sent := cli.jsonOut("verify", uAdele, "--method", "sms", "--send")
	id := sent["challenge"].(map[string]any)["id"].(string)
	code := cli.outboxCode(uAdele)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	cli.must(1, "verify", uAdele, "--challenge", id, "--code", wrong)
	if !strings.Contains(cli.stderr.String(), "wrong code; 2 attempts left") {
		t.Errorf("wrong code: %s", cli.stderr)
	}
	// "Get a new code".
	again := cli.jsonOut("verify", uAdele, "--challenge", id, "--resend")
	newID := again["challengeId"].(string)
	cli.must(1, "verify", uAdele, "--challenge", id, "--code", code)
	if !strings.Contains(cli.stderr.String(), "was replaced by a newer one, "+newID) {
		t.Errorf("old code after resend: %s", cli.stderr)
	}
	cli.must(0, "verify", uAdele, "--challenge", newID, "--code", cli.outboxCode(uAdele))

	// A code left for longer than its 3 minutes expires.
	sent = cli.jsonOut("verify", uAdele, "--method", "sms", "--send")
	id = sent["challenge"].(map[string]any)["id"].(string)
	code = cli.outboxCode(uAdele)
	cli.must(0, "mock", "clock", "advance", "4m")
	cli.must(1, "verify", uAdele, "--challenge", id, "--code", code)
	if !strings.Contains(cli.stderr.String(), "expired") || !strings.Contains(cli.stderr.String(), "--send") {
		t.Errorf("expired: %s", cli.stderr)
	}
}

func TestVerifyPINCallFraudAndUnblock(t *testing.T) {
	cli := newVerifyCLI(t)
	cli.stdin = "1111\n"
	cli.must(2, "enroll", "pin", uLee, "--pin-stdin")
	if !strings.Contains(cli.stderr.String(), "repeated") {
		t.Errorf("weak PIN: %s", cli.stderr)
	}
	cli.stdin = "20482048\n"
	cli.must(0, "enroll", "pin", uLee, "--pin-stdin")
	if strings.Contains(cli.stderr.String()+cli.stdout.String(), "20482048") {
		t.Error("the PIN was printed")
	}
	id := cli.jsonOut("verify", uLee, "--method", "voice-pin", "--send")["challenge"].(map[string]any)["id"].(string)
	cli.must(1, "verify", uLee, "--challenge", id, "--keys", "20482049#")
	cli.must(0, "verify", uLee, "--challenge", id, "--keys", "20482048#")

	// 0# in a call reports fraud: exit 4, and the user is blocked.
	id = cli.jsonOut("verify", uLee, "--method", "voice", "--phone", "alternateMobile", "--send")["challenge"].(map[string]any)["id"].(string)
	cli.must(4, "verify", uLee, "--challenge", id, "--keys", "0#")
	if !strings.Contains(cli.stderr.String(), "fraud was reported") {
		t.Errorf("fraud: %s", cli.stderr)
	}
	cli.must(4, "verify", uLee, "--method", "voice", "--send")
	if !strings.Contains(cli.stderr.String(), "blocked from MFA after a fraud report") || !strings.Contains(cli.stderr.String(), "mfactl mock unblock "+uLee) {
		t.Errorf("blocked: %s", cli.stderr)
	}
	st := cli.jsonOut("mock", "verification", uLee)
	if st["blocked"] != true || len(st["fraudReports"].([]any)) != 1 || st["pinRegistered"] != true {
		t.Errorf("status: %v", st)
	}
	cli.must(0, "mock", "unblock", uLee)
	cli.must(0, "verify", uLee, "--method", "voice", "--send")
	// An admin block.
	cli.must(0, "mock", "block", uLee)
	cli.must(4, "verify", uLee, "--method", "voice", "--send")
	if !strings.Contains(cli.stderr.String(), "blocked from MFA by an admin") {
		t.Errorf("admin block: %s", cli.stderr)
	}
}

func TestVerifyLockoutAndUnblock(t *testing.T) {
	cli := newVerifyCLI(t)
	for i := range 5 {
		code := "000000"
		if cli.code(uAdele) == code {
			code = "111111"
		}
		want := 1
		if i == 4 {
			want = 4
		}
		cli.must(want, "verify", uAdele, "--method", "app", "--code", code)
	}
	if !strings.Contains(cli.stderr.String(), "locked") || !strings.Contains(cli.stderr.String(), "try again after") {
		t.Errorf("locked: %s", cli.stderr)
	}
	cli.must(4, "verify", uAdele, "--method", "app", "--code", cli.code(uAdele))
	if st := cli.jsonOut("mock", "verification", uAdele); st["locked"] != true {
		t.Errorf("status: %v", st)
	}
	cli.must(0, "mock", "unblock", uAdele)
	cli.must(0, "verify", uAdele, "--method", "app", "--code", cli.code(uAdele))
}

func TestVerifyPushRememberAndRevoke(t *testing.T) {
	cli := newVerifyCLI(t)
	sent := cli.jsonOut("verify", uAdele, "--method", "push", "--send")["challenge"].(map[string]any)
	id, number := sent["id"].(string), int(sent["number"].(float64))
	pending := cli.must(0, "mock", "device", "pending", uAdele, "-o", "json")
	if !strings.Contains(pending, id) || strings.Contains(pending, `"number"`) {
		t.Errorf("pending: %s", pending)
	}
	cli.must(0, "mock", "device", "approve", uAdele, "--number", itoa(number))
	done := cli.jsonOut("verify", uAdele, "--challenge", id, "--wait", "--remember")
	tok := done["deviceToken"].(map[string]any)["token"].(string)
	if done["verified"] != true || tok == "" {
		t.Fatalf("wait: %v", done)
	}
	cli.must(0, "verify", uAdele, "--device-token", tok)
	if !strings.Contains(cli.stdout.String(), "MFA is not needed") {
		t.Errorf("device check: %s", cli.stdout)
	}
	cli.must(0, "sessions", "revoke", uAdele, "--yes")
	cli.must(1, "verify", uAdele, "--device-token", tok)
	if !strings.Contains(cli.stderr.String(), "MFA sessions were revoked") {
		t.Errorf("after revocation: %s", cli.stderr)
	}

	// A wrong number, a denial and a fraud report.
	// The wrong number is derived from this push's own number (each push
	// draws a new one, so the first push's number could be this one's).
	sent = cli.jsonOut("verify", uAdele, "--method", "push", "--send")["challenge"].(map[string]any)
	id, number = sent["id"].(string), int(sent["number"].(float64))
	wrong := number%90 + 11
	if wrong > 99 || wrong == number {
		wrong = 10
	}
	cli.must(1, "mock", "device", "approve", uAdele, "--number", itoa(wrong))
	cli.must(1, "verify", uAdele, "--challenge", id, "--wait")
	cli.jsonOut("verify", uAdele, "--method", "push", "--send")
	cli.must(0, "mock", "device", "deny", uAdele)
	id = cli.jsonOut("verify", uAdele, "--method", "push", "--send")["challenge"].(map[string]any)["id"].(string)
	cli.must(0, "mock", "device", "report", uAdele)
	cli.must(4, "verify", uAdele, "--challenge", id, "--wait")
	// A push nobody answers expires at the emulated clock.
	cli.must(0, "mock", "unblock", uAdele)
	id = cli.jsonOut("verify", uAdele, "--method", "push", "--send")["challenge"].(map[string]any)["id"].(string)
	cli.must(0, "mock", "clock", "advance", "2m")
	cli.must(1, "verify", uAdele, "--challenge", id, "--wait")
	if !strings.Contains(cli.stderr.String(), "expired") {
		t.Errorf("push expiry: %s", cli.stderr)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestVerifySecurityQuestions(t *testing.T) {
	cli := newVerifyCLI(t)
	cli.stdin = "City of birth? | Springfield\nFirst pet? | Rex the dog\n# comment\nFirst school? | Lincoln Elementary\n"
	cli.must(0, "enroll", "questions", uAlex, "--file", "-")
	if strings.Contains(cli.stderr.String(), "Springfield") {
		t.Error("an answer was printed")
	}
	cli.stdin = "City of birth? | Springfield\nFirst pet? | Rex the dog\nFirst school? | Lincoln Elementary\n"
	cli.must(2, "enroll", "questions", uMegan, "--file", "-")
	if !strings.Contains(cli.stderr.String(), "not available to administrators") {
		t.Errorf("admin: %s", cli.stderr)
	}
	sent := cli.jsonOut("verify", uAlex, "--method", "questions", "--send")["challenge"].(map[string]any)
	answers := map[string]string{"City of birth?": "springfield", "First pet?": "Rex the dog", "First school?": "lincoln elementary"}
	var given []string
	for _, q := range sent["questions"].([]any) {
		given = append(given, answers[q.(string)])
	}
	raw, _ := json.Marshal(given)
	cli.must(0, "verify", uAlex, "--challenge", sent["id"].(string), "--answers", string(raw))
	sent = cli.jsonOut("verify", uAlex, "--method", "questions", "--send")["challenge"].(map[string]any)
	cli.must(1, "verify", uAlex, "--challenge", sent["id"].(string), "--answers", "a1x;b2x;c3x")
	if !strings.Contains(cli.stderr.String(), "answers are wrong") {
		t.Errorf("wrong answers: %s", cli.stderr)
	}
}

func TestVerifyTemporaryAccessPassOnce(t *testing.T) {
	cli := newVerifyCLI(t)
	created := cli.jsonOut("tap", "create", uAlex, "--once")
	pass := created["temporaryAccessPass"].(string)
	cli.must(0, "verify", uAlex, "--method", "tap", "--code", pass)
	cli.must(1, "verify", uAlex, "--method", "tap", "--code", pass)
	if !strings.Contains(cli.stderr.String(), "already used") {
		t.Errorf("used pass: %s", cli.stderr)
	}
}

// appCode is the code an authenticator app holding secret shows now (the
// test mock runs on real time).
func appCode(t *testing.T, secret string) string {
	t.Helper()
	s, err := methods.ParseOATHSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	code, err := methods.NewTOTPKey(s).Code(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestEnrollAppTwoStepsPNGAndExpiry(t *testing.T) {
	cli := newVerifyCLI(t)
	png := filepath.Join(t.TempDir(), "qr.png")
	en := cli.jsonOut("enroll", "app", uAlex, "--qr-png", png)
	uri, secret := en["uri"].(string), en["secret"].(string)
	if !strings.HasPrefix(uri, "otpauth://totp/mfactl:alex.wilber") || !strings.Contains(uri, "secret="+secret) || en["account"] != uAlex {
		t.Fatalf("enrolment: %v", en)
	}
	fi, err := os.Stat(png)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("PNG: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(png); !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Error("not a PNG")
	}
	cli.must(1, "enroll", "app", uAlex, "--code", "000000")
	out := cli.jsonOut("enroll", "app", uAlex, "--code", appCode(t, secret))
	if out["type"] != string(methods.KindSoftwareOath) {
		t.Errorf("confirmed: %v", out)
	}
	// The new app verifies sign-ins, from its next code on: the first
	// one confirmed the enrolment and cannot be used again.
	cli.must(1, "verify", uAlex, "--method", "app", "--code", cli.code(uAlex))
	cli.must(0, "mock", "clock", "advance", "30s")
	cli.must(0, "verify", uAlex, "--method", "app", "--code", cli.code(uAlex))

	// An enrolment left unconfirmed expires and never becomes a method.
	en = cli.jsonOut("enroll", "app", uAlex)
	cli.must(0, "mock", "clock", "advance", "11m")
	cli.must(1, "enroll", "app", uAlex, "--code", appCode(t, en["secret"].(string)))
	if !strings.Contains(cli.stderr.String(), "expired") {
		t.Errorf("late code: %s", cli.stderr)
	}
	list := cli.must(0, "methods", "list", uAlex, "-o", "json")
	if n := strings.Count(list, `"softwareOath"`); n != 1 {
		t.Errorf("%d software OATH methods after an expired enrolment", n)
	}
	// Without a terminal and without -o json: the URI and key, and how to confirm.
	out2 := cli.must(0, "enroll", "app", uAlex)
	if !strings.Contains(out2, "otpauth://") || !strings.Contains(cli.stderr.String(), "--code CODE") {
		t.Errorf("non-interactive start: %s / %s", out2, cli.stderr)
	}
}

func TestEnrollAppFiveMethodLimit(t *testing.T) {
	cli := newVerifyCLI(t)
	// Nestor has Authenticator, a software OATH app and a hardware token: 3.
	for range 2 {
		en := cli.jsonOut("enroll", "app", uNestor)
		cli.must(0, "enroll", "app", uNestor, "--code", appCode(t, en["secret"].(string)))
	}
	cli.must(1, "enroll", "app", uNestor, "-o", "json")
	if !strings.Contains(cli.stderr.String(), "at most 5") {
		t.Errorf("limit: %s", cli.stderr)
	}
}

func TestEnrollAppInteractiveShowsQR(t *testing.T) {
	cli := newVerifyCLI(t)
	cli.tty = true
	cli.stdin = "12\n\n"
	cli.must(1, "enroll", "app", uAlex)
	out := cli.stdout.String()
	if !strings.ContainsAny(out, "▀▄█") || !strings.Contains(out, "account name: "+uAlex) || !strings.Contains(out, "otpauth://") {
		t.Errorf("interactive output: %s", out)
	}
	if !strings.Contains(cli.stderr.String(), "a code is 6 digits") || !strings.Contains(cli.stderr.String(), "no code entered") {
		t.Errorf("prompts: %s", cli.stderr)
	}
	if list := cli.must(0, "methods", "list", uAlex, "-o", "json"); strings.Contains(list, "softwareOath") {
		t.Error("an unconfirmed app became a method")
	}
}

func TestEnrollPhoneByTextAndCall(t *testing.T) {
	cli := newVerifyCLI(t)
	sent := cli.jsonOut("enroll", "phone", uAlex, "(425) 555-0177", "--type", "mobile", "--country", "US", "--send")
	c := sent["challenge"].(map[string]any)
	if c["phoneNumber"] != "+1 4255550177" || c["purpose"] != "registration" {
		t.Fatalf("test text: %v", c)
	}
	cli.must(0, "enroll", "phone", uAlex, "(425) 555-0177", "--type", "mobile", "--country", "US", "--challenge", c["id"].(string), "--code", cli.outboxCode(uAlex))
	if !strings.Contains(cli.stdout.String(), "+1 4255550177") {
		t.Errorf("saved phone: %s", cli.stdout)
	}
	// An office phone, tested by a call: # once the call reaches the extension, then #.
	sent = cli.jsonOut("enroll", "phone", uAlex, "+1 425 555 0178 x12", "--type", "office", "--send")
	id := sent["challenge"].(map[string]any)["id"].(string)
	cli.must(1, "enroll", "phone", uAlex, "+1 425 555 0178 x12", "--type", "office", "--challenge", id, "--keys", "#")
	cli.must(0, "enroll", "phone", uAlex, "+1 425 555 0178 x12", "--type", "office", "--challenge", id, "--keys", "#")
	list := cli.must(0, "methods", "list", uAlex, "-o", "json")
	if !strings.Contains(list, "+1 4255550178x12") {
		t.Errorf("office phone not saved: %s", list)
	}
	// The rules of phone add apply before anything is sent.
	cli.must(1, "enroll", "phone", uJo, "+1 4255550179", "--type", "mobile", "--send")
	if !strings.Contains(cli.stderr.String(), "already has a phone") {
		t.Errorf("existing type: %s", cli.stderr)
	}
	cli.must(2, "enroll", "phone", uAlex, "+1 4255550179", "--type", "alternateMobile", "--method", "sms", "--send")
	if !strings.Contains(cli.stderr.String(), "mobile phone only") {
		t.Errorf("sms to an alternate: %s", cli.stderr)
	}
}

func TestEnrollEmailByMailedCode(t *testing.T) {
	cli := newVerifyCLI(t)
	const addr = "alex.wilber@outlook.example"
	sent := cli.jsonOut("enroll", "email", uAlex, addr, "--send")
	c := sent["challenge"].(map[string]any)
	if c["emailAddress"] != addr || c["method"] != "email" || c["purpose"] != "registration" {
		t.Fatalf("--send: %v", c)
	}
	// The email is in the outbox, code in clear (the outbox is the mailbox).
	out := cli.must(0, "mock", "outbox", "--user", uAlex)
	if !strings.Contains(out, "email") || !strings.Contains(out, addr) || !regexp.MustCompile(`Use verification code [0-9]{6}`).MatchString(out) {
		t.Errorf("outbox: %s", out)
	}
	first := cli.outboxCode(uAlex)
	id := c["id"].(string)
	// Nothing saved yet; a wrong code saves nothing (exit 1).
	if list := cli.must(0, "methods", "list", uAlex, "-o", "json"); strings.Contains(list, addr) {
		t.Fatalf("email saved before its code: %s", list)
	}
	cli.must(1, "enroll", "email", uAlex, addr, "--challenge", id, "--code", wrongDigit(first))
	// "Resend code": a new challenge and code; the old id no longer verifies.
	re := cli.jsonOut("enroll", "email", uAlex, addr, "--challenge", id, "--resend")
	nid := re["challenge"].(map[string]any)["id"].(string)
	cli.must(1, "enroll", "email", uAlex, addr, "--challenge", id, "--code", first)
	// An id of another address is refused before any code is spent.
	cli.must(2, "enroll", "email", uAlex, "other@outlook.example", "--challenge", nid, "--code", "123456")
	cli.must(0, "enroll", "email", uAlex, addr, "--challenge", nid, "--code", cli.outboxCode(uAlex))
	if !strings.Contains(cli.stdout.String(), addr) || !strings.Contains(cli.stderr.String(), "Verified: added the email address") {
		t.Errorf("saved: %s %s", cli.stdout, cli.stderr)
	}
	if list := cli.must(0, "methods", "list", uAlex, "-o", "json"); !strings.Contains(list, addr) {
		t.Errorf("email not saved: %s", list)
	}
	// One email method per user, checked before a code is mailed.
	cli.must(1, "enroll", "email", uJo, "jo@outlook.example", "--send")
	if !strings.Contains(cli.stderr.String(), "already has an email") {
		t.Errorf("second email: %s", cli.stderr)
	}
	cli.must(2, "enroll", "email", uAlex, "Alex <a@outlook.example>", "--send")
	cli.must(2, "enroll", "email", uAlex, addr) // no terminal, no --send
	cli.must(2, "enroll", "email", uAlex, addr, "--code", "123456")
	// On a terminal: asked for the code; "new" mails another, then nothing.
	cli.tty = true
	cli.stdin = "new\n\n"
	cli.must(1, "enroll", "email", uAdele, "adele@outlook.example")
	if !strings.Contains(cli.stderr.String(), "We just sent a code to adele@outlook.example") {
		t.Errorf("prompt: %s", cli.stderr)
	}
	if out := cli.must(0, "mock", "outbox", "--user", uAdele, "-o", "json"); strings.Count(out, `"channel": "email"`) != 2 {
		t.Errorf("emails after new: %s", out)
	}
}

// wrongDigit changes the first digit of a code.
func wrongDigit(code string) string {
	return string('0'+(code[0]-'0'+1)%10) + code[1:]
}

func TestEnrollEmailRefusesRealGraph(t *testing.T) {
	client, err := graph.New(graph.Options{Credential: graph.StaticToken("t")})
	if err != nil {
		t.Fatal(err)
	}
	ios, _, _, _ := iostreams.Test()
	f := factory.New(ios, "test")
	opts := &EnrollEmailOptions{IO: ios, Printer: f.Printer,
		Graph:   func() (*graph.Client, error) { return client, nil },
		Backend: func() cmdutil.Backend { return cmdutil.Backend{Kind: "graph"} },
		User:    "kim@contoso.com", Address: "kim@fabrikam.com", Send: true}
	t.Setenv("MFACTL_CONFIG", filepath.Join(t.TempDir(), "c.yaml"))
	err = enrollEmailRun(context.Background(), opts)
	if cmdutil.ExitCodeOf(err) != 2 || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "email set kim@contoso.com kim@fabrikam.com") {
		t.Errorf("against real Graph: %v", err)
	}
}

func TestVerifyInteractiveOfferAndPrompts(t *testing.T) {
	cli := newVerifyCLI(t)
	cli.tty = true
	// Adele's default is push; she picks the app and types its code.
	cli.stdin = "app\n" + cli.code(uAdele) + "\n"
	cli.must(0, "verify", uAdele)
	if e := cli.stderr.String(); !strings.Contains(e, "1. push") || !strings.Contains(e, "(default)") || !strings.Contains(e, "2. app") {
		t.Errorf("offer: %s", e)
	}
	// A PIN call answered on the "phone".
	cli.stdin = "20482048\n"
	cli.must(0, "enroll", "pin", uLee, "--pin-stdin")
	cli.stdin = "20482048#\n"
	cli.must(0, "verify", uLee, "--method", "voice-pin")
	// "Get a new code", then nothing: two texts, nothing verified.
	cli.stdin = "new\n\n"
	cli.must(1, "verify", uAdele, "--method", "sms")
	out := cli.must(0, "mock", "outbox", "--user", uAdele, "-o", "json")
	if n := strings.Count(out, `"channel": "sms"`); n != 2 {
		t.Errorf("%d texts after new: %s", n, out)
	}
}

func TestVerifyWithoutATerminalSaysHow(t *testing.T) {
	cli := newVerifyCLI(t)
	cli.must(2, "verify", uAdele, "--method", "sms")
	if !strings.Contains(cli.stderr.String(), "--send") {
		t.Errorf("no terminal: %s", cli.stderr)
	}
	cli.must(2, "enroll", "pin", uLee)
	cli.must(2, "enroll", "questions", uAlex)
	// Without --method, scripts get the default method (push for Adele).
	sent := cli.jsonOut("verify", uAdele, "--send")
	if sent["method"] != "push" {
		t.Errorf("default method: %v", sent)
	}
	cli.must(3, "verify", "nobody@contoso.example", "--send")
	cli.must(3, "verify", uAlex, "--method", "push", "--send")
}

func TestVerifyFlagValidation(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
	}{
		{[]string{uAdele, "--method", "sms", "--send"}, true},
		{[]string{uAdele, "--challenge", "x", "--code", "123456"}, true},
		{[]string{uAdele, "--challenge", "x", "--keys", "1234 5678#"}, true},
		{[]string{uAdele, "--challenge", "x", "--answers", "a;b;c"}, true},
		{[]string{uAdele, "--method", "app", "--code", "123456", "--remember"}, true},
		{[]string{uAdele, "--device-token", "t"}, true},
		{[]string{uAdele, "--method", "fax"}, false},
		{[]string{uAdele, "--send", "--code", "1"}, false},
		{[]string{uAdele, "--challenge", "x"}, false},
		{[]string{uAdele, "--keys", "#"}, false},
		{[]string{uAdele, "--challenge", "x", "--keys", "12a#"}, false},
		{[]string{uAdele, "--challenge", "x", "--keys", "1234"}, false},
		{[]string{uAdele, "--challenge", "x", "--answers", "a;;c"}, false},
		{[]string{uAdele, "--challenge", "x", "--code", "1", "--wait"}, false},
		{[]string{uAdele, "--device-token", "t", "--remember"}, false},
		{[]string{uAdele, "--method", "sms", "--code", "123456"}, false},
		{[]string{uAdele, "--method", "sms", "--send", "--remember"}, false},
		{[]string{uAdele, "--phone", "fax"}, false},
	}
	for _, tt := range tests {
		called := false
		ios, _, _, _ := iostreams.Test()
		cmd := NewCmdVerify(factory.New(ios, "test"), func(_ context.Context, _ *VerifyOptions) error { called = true; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if (err == nil) != tt.ok || called != tt.ok {
			t.Errorf("%v: err %v, called %v", tt.args, err, called)
		}
	}
}

func TestParseKeys(t *testing.T) {
	for in, want := range map[string]string{"#": "#", "2048 2048#": "20482048#", "0#": "0#", "#1234#": "#1234#", "*#": "*#"} {
		if got, err := parseKeys(in); err != nil || got != want {
			t.Errorf("parseKeys(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "1234", "12a4#", strings.Repeat("1", 70) + "#", "# x"} {
		if _, err := parseKeys(in); err == nil {
			t.Errorf("parseKeys(%q) accepted", in)
		} else if strings.Contains(err.Error(), in) && in != "" {
			t.Errorf("the error repeats the keys: %v", err)
		}
	}
}

func TestParseAnswers(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Paris;Rex;Smith", []string{"Paris", "Rex", "Smith"}},
		{" Paris ; Rex ", []string{"Paris", "Rex"}},
		{`a\;b;c\\d`, []string{"a;b", `c\d`}},
		{`["a;b", "c"]`, []string{"a;b", "c"}},
		{"one", []string{"one"}},
	}
	for _, tt := range tests {
		got, err := parseAnswers(tt.in)
		if err != nil || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("parseAnswers(%q) = %q, %v", tt.in, got, err)
		}
	}
	for _, in := range []string{"", ";", "a;;b", `["a",""]`, `["a"] ["b"]`, `[1,2]`, strings.Repeat("a;", 25) + "a"} {
		if _, err := parseAnswers(in); err == nil {
			t.Errorf("parseAnswers(%q) accepted", in)
		}
	}
}

func TestParseQuestionsFile(t *testing.T) {
	qs, err := parseQuestionsFile([]byte("# mine\nCity? | Paris\r\n\nPet? | Rex | the dog\n"))
	if err != nil || len(qs) != 2 || qs[0].Answer != "Paris" || qs[1].Answer != "Rex | the dog" {
		t.Errorf("lines: %+v %v", qs, err)
	}
	qs, err = parseQuestionsFile([]byte(`[{"question":"City?","answer":"Paris"}]`))
	if err != nil || len(qs) != 1 || qs[0].Question != "City?" {
		t.Errorf("JSON: %+v %v", qs, err)
	}
	for _, in := range []string{"", "no bar here", " | answer", "q | ", `[{"question":"q","answer":"a","x":1}]`, "\xff | a"} {
		if _, err := parseQuestionsFile([]byte(in)); err == nil {
			t.Errorf("parseQuestionsFile(%q) accepted", in)
		}
	}
}

func FuzzParseKeys(f *testing.F) {
	for _, s := range []string{"#", "20482048#", "0#", "#1234#", "12a#", " # ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		keys, err := parseKeys(in)
		if err != nil {
			return
		}
		if !strings.HasSuffix(keys, "#") || strings.Trim(keys, "0123456789*#") != "" {
			t.Errorf("parseKeys(%q) = %q", in, keys)
		}
		if _, err := verify.ParseDTMF(keys); err != nil {
			t.Errorf("normalised keys %q do not parse: %v", keys, err)
		}
	})
}

func FuzzParseAnswers(f *testing.F) {
	for _, s := range []string{"a;b;c", `["x","y"]`, `a\;b`, ";", `["a"`, "\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		as, err := parseAnswers(in)
		if err != nil {
			return
		}
		if len(as) == 0 || len(as) > maxAnswers {
			t.Errorf("%q: %d answers", in, len(as))
		}
		for _, a := range as {
			if a == "" || a != strings.TrimSpace(a) {
				t.Errorf("%q: answer %q", in, a)
			}
		}
	})
}

func FuzzParseQuestionsFile(f *testing.F) {
	for _, s := range []string{"q | a\nr | b\n", `[{"question":"q","answer":"a"}]`, "#\n", "x"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		qs, err := parseQuestionsFile(in)
		if err != nil {
			return
		}
		for _, q := range qs {
			if strings.TrimSpace(q.Question) == "" || strings.TrimSpace(q.Answer) == "" {
				t.Errorf("%q: empty question or answer accepted", in)
			}
		}
	})
}

// The README shows every enrolment, verification and emulated-phone verb,
// and every --method name.
func TestREADMEShowsVerificationCommands(t *testing.T) {
	b, err := os.ReadFile("../docs/verification.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	ios, _, _, _ := iostreams.Test()
	f := factory.New(ios, "test")
	var want []string
	for _, c := range NewCmdEnroll(f).Commands() {
		want = append(want, "mfactl --mock enroll "+c.Name()+" ")
	}
	for _, c := range NewCmdMockDevice(f, nil).Commands() {
		want = append(want, "mfactl --mock mock device "+c.Name()+" ")
	}
	for _, v := range []string{"outbox", "code", "block", "unblock", "verification"} {
		want = append(want, "mfactl --mock mock "+v+" ")
	}
	for _, m := range verifyMethodNames() {
		want = append(want, "`"+m+"`")
	}
	want = append(want, "--send", "--challenge ID --resend", "--wait --remember", "--device-token", "--keys \"20482048#\"", "--answers",
		"--qr-png", "--pin-stdin", "--verify-config", "MFACTL_MOCK_VERIFY_CONFIG", "--lockout-denials", "--code-ttl", "--remember-days")
	for _, w := range want {
		if !strings.Contains(readme, w) {
			t.Errorf("README does not show %q", w)
		}
	}
}

func TestEnrollPINAndQuestionsOnATerminal(t *testing.T) {
	cli := newVerifyCLI(t)
	cli.tty = true
	cli.stdin = "20482048\n20482049\n"
	cli.must(2, "enroll", "pin", uLee)
	if !strings.Contains(cli.stderr.String(), "the two PINs differ") {
		t.Errorf("mismatch: %s", cli.stderr)
	}
	cli.stdin = "20482048\n20482048\n"
	cli.must(0, "enroll", "pin", uLee)
	cli.stdin = "City of birth?\nSpringfield\nFirst pet?\nRex\n\n"
	cli.must(2, "enroll", "questions", uAlex)
	cli.stdin = "City of birth?\nSpringfield\nFirst pet?\nRex\nFirst school?\nLincoln\nFavourite teacher?\nKrabappel\n\n"
	cli.must(0, "enroll", "questions", uAlex)
	st := cli.jsonOut("mock", "verification", uAlex)
	if qs, _ := st["questions"].([]any); len(qs) != 4 {
		t.Errorf("questions registered: %v", st)
	}
	if st := cli.jsonOut("mock", "verification", uLee); st["pinRegistered"] != true {
		t.Errorf("PIN: %v", st)
	}
	// The outbox as a table, and what an empty one says.
	cli.tty = false
	cli.must(0, "mock", "outbox")
	if !strings.Contains(cli.stderr.String(), "empty") {
		t.Errorf("empty outbox: %s", cli.stderr)
	}
	cli.must(0, "verify", uAdele, "--method", "sms", "--send")
	out := cli.must(0, "mock", "outbox")
	if !strings.Contains(out, "+1 4255550100") || !strings.Contains(out, "Use verification code") || !strings.Contains(out, uAdele) {
		t.Errorf("outbox table: %s", out)
	}
}

func TestMockServeVerificationKnobs(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "v.json")
	os.WriteFile(good, []byte(`{"codeTtl":"5m","lockoutDenials":3}`), 0o600)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"codeTtl":"5 minutes"}`), 0o600)
	tests := []struct {
		args  []string
		check func(*verify.Config) bool
	}{
		{nil, func(c *verify.Config) bool { return c == nil }},
		{[]string{"--verify-config", good}, func(c *verify.Config) bool { return c.CodeTTL == 5*time.Minute && c.LockoutDenials == 3 }},
		{[]string{"--verify-config", good, "--lockout-denials", "0", "--remember-days", "90"}, func(c *verify.Config) bool {
			return c.CodeTTL == 5*time.Minute && c.LockoutDenials == 0 && c.RememberDeviceDays == 90
		}},
		{[]string{"--code-ttl", "1m"}, func(c *verify.Config) bool { return c.CodeTTL == time.Minute && c.LockoutDenials == 5 }},
		{[]string{"--remember-days", "400"}, nil},
		{[]string{"--verify-config", bad}, nil},
		{[]string{"--verify-config", filepath.Join(dir, "missing.json")}, nil},
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		var got *MockServeOptions
		c := NewCmdMockServe(factory.New(ios, "test"), func(_ context.Context, o *MockServeOptions) error { got = o; return nil })
		c.SetArgs(tt.args)
		c.SetOut(&bytes.Buffer{})
		c.SetErr(&bytes.Buffer{})
		err := c.Execute()
		switch {
		case tt.check == nil && (err == nil || cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage):
			t.Errorf("%v: err %v, want a usage error", tt.args, err)
		case tt.check != nil && (err != nil || !tt.check(got.Verify)):
			t.Errorf("%v: err %v, config %+v", tt.args, err, got)
		}
	}
}

func TestVerifyWaitGivesUp(t *testing.T) {
	cli := newVerifyCLI(t)
	c := cli.jsonOut("verify", uAdele, "--method", "push", "--send")["challenge"].(map[string]any)
	id := c["id"].(string)
	cli.must(1, "verify", uAdele, "--challenge", id, "--wait", "--timeout", "1ns")
	if !strings.Contains(cli.stderr.String(), "no decision") || !strings.Contains(cli.stderr.String(), "mock device approve") {
		t.Errorf("timeout: %s", cli.stderr)
	}
	// The challenge is still open: the phone can still approve it.
	cli.must(0, "mock", "device", "approve", uAdele, "--number", itoa(int(c["number"].(float64))))
	cli.must(0, "verify", uAdele, "--challenge", id, "--wait")
}

// Input that ends while questions are asked interactively ends the command
// instead of asking again forever.
func TestVerifyQuestionsEndOfInputStops(t *testing.T) {
	cli := newVerifyCLI(t)
	cli.stdin = "City of birth? | Springfield\nFirst pet? | Rex the dog\nFirst school? | Lincoln Elementary\n"
	cli.must(0, "enroll", "questions", uAlex, "--file", "-")
	cli.stdin, cli.tty = "", true
	done := make(chan int, 1)
	go func() { done <- cli.run("verify", uAlex, "--method", "questions") }()
	select {
	case code := <-done:
		if code == 0 || !strings.Contains(cli.stderr.String(), "input ended") {
			t.Errorf("exit %d: %s", code, cli.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("verify kept asking after the input ended")
	}
}

// verify's menu offers the usable methods, one entry per phone, marks the
// default only when one is set and deliverable, and asks for a hardware
// token's code as such.
func TestVerifyMenu(t *testing.T) {
	t.Setenv("CI", "")
	menu := func(user, stdin string) string {
		cli := newTestCLI(t)
		cli.tty = true
		cli.stdin = stdin
		cli.run("verify", user)
		return cli.stderr.String()
	}
	out := menu(johannaUPN, "")
	for _, want := range []string{
		"1. voice (mobile): call to the mobile phone +49 ", ": answer and press # (default)",
		"sms (mobile): code by text message to +49 ", "voice (alternateMobile): call to the alternateMobile phone", "voice (office): call to the office phone",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Johanna's menu lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "(default)") != 1 {
		t.Errorf("Johanna's menu marks %d defaults:\n%s", strings.Count(out, "(default)"), out)
	}
	// No default set: nothing is marked.
	if out := menu(miriamUPN, ""); !strings.Contains(out, "1. tap: Temporary Access Pass\n") || strings.Contains(out, "(default)") {
		t.Errorf("Miriam's menu:\n%s", out)
	}
	// A token whose activation failed is not offered.
	if out := menu(nestorUPN, ""); strings.Contains(out, "hardware") || !strings.Contains(out, "1. app: code from an authenticator app (default)") {
		t.Errorf("Nestor's menu:\n%s", out)
	}
	// A hardware token's code is asked for as such.
	if out := menu("grady.archie@contoso.example", "1\n"); !strings.Contains(out, "1. hardware: code from a hardware token (default)") || !strings.Contains(out, "Enter the code from the hardware token") {
		t.Errorf("Grady's menu:\n%s", out)
	}
}
