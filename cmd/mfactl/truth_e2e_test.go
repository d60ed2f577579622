package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// jsonRun runs a command that must succeed and decodes its JSON.
func (e *env) jsonRun(v any, args ...string) {
	e.t.Helper()
	r := e.run(nil, append(args, "-o", "json")...)
	if r.code != 0 {
		e.t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		e.t.Fatalf("%v: %v\n%s", args, err, r.stdout)
	}
}

type methodsOut []struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

func (m methodsOut) has(kind string) bool {
	for _, x := range m {
		if x.Type == kind {
			return true
		}
	}
	return false
}

// A mistyped lost device stops the reset before any change, whatever else
// was asked, and lists the user's devices.
func TestResetWithAMistypedDeviceChangesNothing(t *testing.T) {
	e := newEnv(t)
	const adele = "adele.vance@contoso.example"
	r := e.run(nil, "--mock", "reset", adele, "--lost-device", "iphone15", "--revoke-sessions", "--tap", "--yes")
	if r.code != 3 || !strings.Contains(r.stderr, `no method is bound to a device named "iphone15"`) ||
		!strings.Contains(r.stderr, `did you mean "iPhone 15"?`) || !strings.Contains(r.stderr, `the user's devices are "iPhone 15" (Microsoft Authenticator)`) {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "Temporary Access Pass for") {
		t.Errorf("a pass was issued: %s %s", r.stdout, r.stderr)
	}
	var ms methodsOut
	e.jsonRun(&ms, "--mock", "methods", "list", adele)
	if !ms.has("microsoftAuthenticator") || ms.has("temporaryAccessPass") {
		t.Errorf("methods after a refused reset: %+v", ms)
	}
	var records []struct {
		Verb    string `json:"verb"`
		Outcome string `json:"outcome"`
	}
	e.jsonRun(&records, "--mock", "audit", "log")
	for _, rec := range records {
		if rec.Outcome == "succeeded" {
			t.Errorf("audited as succeeded: %+v", rec)
		}
	}
}

// A reset never leaves a default that no usable method delivers: Nestor's
// default (oath) moves to sms, not to a token whose activation failed, and
// verify with the default then works.
func TestResetMovesTheDefaultToAUsableMethod(t *testing.T) {
	e := newEnv(t)
	const nestor = "nestor.wilke@contoso.example"
	var rep struct {
		DefaultAfter string `json:"defaultAfter"`
	}
	e.jsonRun(&rep, "--mock", "reset", nestor, "--lost-device", "iPhone 15 Pro", "--tap", "--yes")
	if rep.DefaultAfter != "sms" {
		t.Fatalf("default after the reset: %q", rep.DefaultAfter)
	}
	var d struct {
		Default string `json:"defaultMethod"`
	}
	e.jsonRun(&d, "--mock", "default", "show", nestor)
	if d.Default != "sms" {
		t.Errorf("tenant default %q", d.Default)
	}
	if r := e.run(nil, "--mock", "verify", nestor, "--send"); r.code != 0 {
		t.Errorf("verify with the default: exit %d %s", r.code, r.stderr)
	}
}

// coverageFacts are the facts `user show` and `report coverage` must agree on.
type coverageFacts struct {
	UserPrincipalName string   `json:"userPrincipalName"`
	IsAdmin           bool     `json:"isAdmin"`
	Methods           []string `json:"methods"`
	MethodCount       int      `json:"methodCount"`
	MFAMethodCount    int      `json:"mfaMethodCount"`
	DefaultMethod     string   `json:"defaultMethod"`
	StrongestClass    string   `json:"strongestClass"`
	SMSVoiceOnly      bool     `json:"smsVoiceOnly"`
	Findings          []string `json:"findings"`
}

// One model of a usable method, a default and an admin: on every user of
// the demo tenant, `user show` and the coverage report (from either
// source) say the same.
func TestUserShowAgreesWithTheCoverageReport(t *testing.T) {
	e := newEnv(t)
	for _, source := range []string{"registration", "methods"} {
		var rep struct {
			Users []coverageFacts `json:"users"`
		}
		e.jsonRun(&rep, "--mock", "report", "coverage", "--source", source)
		if len(rep.Users) < 10 {
			t.Fatalf("%s: %d users", source, len(rep.Users))
		}
		admins := 0
		for _, want := range rep.Users {
			var v struct {
				Coverage       coverageFacts `json:"coverage"`
				MFAMethodCount int           `json:"mfaMethodCount"`
			}
			e.jsonRun(&v, "--mock", "user", "show", want.UserPrincipalName)
			got := v.Coverage
			if !sameFacts(got, want) || v.MFAMethodCount != want.MFAMethodCount {
				t.Errorf("%s (%s source):\n user show %+v\n coverage  %+v", want.UserPrincipalName, source, got, want)
			}
			if want.IsAdmin {
				admins++
			}
		}
		if admins == 0 {
			t.Errorf("%s: no admin in the demo tenant: the comparison of isAdmin proves nothing", source)
		}
	}
}

func sameFacts(a, b coverageFacts) bool {
	return a.UserPrincipalName == b.UserPrincipalName && a.IsAdmin == b.IsAdmin && strings.Join(a.Methods, ",") == strings.Join(b.Methods, ",") &&
		a.MethodCount == b.MethodCount && a.MFAMethodCount == b.MFAMethodCount && a.DefaultMethod == b.DefaultMethod &&
		a.StrongestClass == b.StrongestClass && a.SMSVoiceOnly == b.SMSVoiceOnly && strings.Join(a.Findings, ",") == strings.Join(b.Findings, ",")
}

// trace is the --debug trace in a run's standard error: the exchange lines.
func trace(stderr string) string {
	var b strings.Builder
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "> ") || strings.HasPrefix(line, "< ") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// No secret is in clear in a --debug trace, whatever the verb: each verb
// below carries one (in its request or its response), and its trace is
// searched for it.
func TestDebugTracesHideEverySecret(t *testing.T) {
	e := newEnv(t)
	const adele, alex = "adele.vance@contoso.example", "alex.wilber@contoso.example"
	noSecret := func(what, secret string, r result) {
		t.Helper()
		tr := trace(r.stderr)
		if tr == "" {
			t.Fatalf("%s: no trace (exit %d): %s", what, r.code, r.stderr)
		}
		if secret == "" || strings.Contains(tr, secret) {
			t.Errorf("%s: the secret %q is in the trace:\n%s", what, secret, tr)
		}
		if !strings.Contains(tr, "[REDACTED]") {
			t.Errorf("%s: nothing redacted:\n%s", what, tr)
		}
	}
	// A pass in the create response, then given as a code.
	r := e.run(nil, "--mock", "--debug", "tap", "create", adele, "-o", "json")
	var tap struct {
		Pass string `json:"temporaryAccessPass"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &tap); err != nil || r.code != 0 {
		t.Fatalf("tap create: exit %d %v %s", r.code, err, r.stderr)
	}
	noSecret("tap create", tap.Pass, r)
	r = e.run(nil, "--mock", "--debug", "verify", adele, "--method", "tap", "--code", tap.Pass)
	if r.code != 0 {
		t.Fatalf("verify tap: exit %d %s", r.code, r.stderr)
	}
	noSecret("verify --method tap", tap.Pass, r)

	// An app code, then the remembered-device token it earns.
	code := strings.TrimSpace(e.run(nil, "--mock", "mock", "code", adele).stdout)
	r = e.run(nil, "--mock", "--debug", "verify", adele, "--method", "app", "--code", code, "--remember", "-o", "json")
	var verified struct {
		DeviceToken struct {
			Token string `json:"token"`
		} `json:"deviceToken"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &verified); err != nil || r.code != 0 || verified.DeviceToken.Token == "" {
		t.Fatalf("verify app --remember: exit %d %v %s %s", r.code, err, r.stdout, r.stderr)
	}
	noSecret("verify --method app", code, r)
	noSecret("verify --remember", verified.DeviceToken.Token, r)
	r = e.run(nil, "--mock", "--debug", "verify", adele, "--device-token", verified.DeviceToken.Token)
	noSecret("verify --device-token", verified.DeviceToken.Token, r)

	// An app enrolment's seed.
	r = e.run(nil, "--mock", "--debug", "enroll", "app", alex, "-o", "json")
	var enrol struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &enrol); err != nil || r.code != 0 {
		t.Fatalf("enroll app: exit %d %v %s", r.code, err, r.stderr)
	}
	noSecret("enroll app", enrol.Secret, r)

	// A new password.
	r = e.run(nil, "--mock", "--debug", "password", "reset", alex, "--yes", "-o", "json")
	var pw struct {
		Password string `json:"newPassword"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &pw); err != nil || r.code != 0 {
		t.Fatalf("password reset: exit %d %v %s %s", r.code, err, r.stdout, r.stderr)
	}
	noSecret("password reset", pw.Password, r)
}

// -o json never HTML-escapes: the otpauth:// URI of an app enrolment keeps
// its & signs.
func TestJSONOutputIsNotHTMLEscaped(t *testing.T) {
	e := newEnv(t)
	r := e.run(nil, "--mock", "enroll", "app", "alex.wilber@contoso.example", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, "&issuer=mfactl") || strings.Contains(r.stdout, `\u0026`) {
		t.Errorf("exit %d: %s", r.code, r.stdout)
	}
}

// No CSV mfactl writes lets a spreadsheet run a value as a formula: not a
// serial, manufacturer or model from an import file (token list -o csv,
// --errors-out), nor a --ticket (audit log -o csv). The rejected rows read
// back as they were.
func TestCSVOutputsDefuseFormulas(t *testing.T) {
	e := newEnv(t)
	in := writeE2EFile(t, e, "tokens.csv", "upn,serial number,secret key,time interval,manufacturer,model,hash function\n"+
		",=EVIL1,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP,30,@Evil,+Model,hmacsha1\n"+
		",-X1,notbase32!,30,Contoso,M,hmacsha1\n")
	errorsOut := filepath.Join(e.dir, "rejected.csv")
	r := e.run(nil, "--mock", "token", "import", in, "--skip-invalid", "--errors-out", errorsOut, "--ticket", "=SUM(1)")
	if r.code == 0 || !strings.Contains(r.stderr, "1 row of") {
		t.Fatalf("import: exit %d %s", r.code, r.stderr)
	}
	rejected, err := os.ReadFile(errorsOut)
	if err != nil || !strings.Contains(string(rejected), ",'-X1,") {
		t.Errorf("--errors-out: %v %q", err, rejected)
	}
	list := e.run(nil, "--mock", "token", "list", "-o", "csv")
	audit := e.run(nil, "--mock", "audit", "log", "-o", "csv")
	for what, out := range map[string]string{"token list": list.stdout, "audit log": audit.stdout, "--errors-out": string(rejected)} {
		records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(records) < 2 {
			t.Fatalf("%s: %v %q", what, err, out)
		}
		for _, rec := range records {
			for _, cell := range rec {
				if cell != "" && cell != "-" && strings.ContainsAny(cell[:1], "=+-@\t\r") {
					t.Errorf("%s: the cell %q would run as a formula", what, cell)
				}
			}
		}
	}
	if !strings.Contains(list.stdout, "'=EVIL1") || !strings.Contains(list.stdout, "'@Evil") || !strings.Contains(audit.stdout, "'=SUM(1)") {
		t.Errorf("token list:\n%s\naudit log:\n%s", list.stdout, audit.stdout)
	}
	// The fixed file imports again: the quote is read back off.
	fixed := strings.Replace(string(rejected), "notbase32!", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ", 1)
	fixed = strings.Replace(fixed, "…", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ", 1)
	r = e.run(nil, "--mock", "token", "import", writeE2EFile(t, e, "fixed.csv", fixed))
	if r.code != 0 || !strings.Contains(e.run(nil, "--mock", "token", "list", "-o", "csv").stdout, "'-X1,") {
		t.Errorf("re-import: exit %d %s", r.code, r.stderr)
	}
}

// The README's promise: a fictional 555-01xx number is accepted with a
// warning; tabs between digit groups separate them as spaces do.
func TestPhoneAddWarnsOfFictionalNumbersAndReadsTabs(t *testing.T) {
	e := newEnv(t)
	r := e.run(nil, "--mock", "phone", "add", "diego.siciliani@contoso.example", "(425) 555-0100", "--type", "office", "--country", "US", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stderr, "warning: +1 4255550100 is a possible number but not in a range assigned to subscribers") {
		t.Errorf("555-0100: exit %d %s", r.code, r.stderr)
	}
	r = e.run(nil, "--mock", "phone", "add", "diego.siciliani@contoso.example", "+1 312\t555\t0200", "--type", "office", "--dry-run")
	if r.code != 0 || strings.Contains(r.stderr, "warning") || !strings.Contains(r.stdout, `"phoneNumber":"+1 3125550200"`) {
		t.Errorf("tabs: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
}

// One key for the challenge id in every shape, and --resend names the new
// challenge, which a code for the old one is pointed to.
func TestChallengeIDAndResend(t *testing.T) {
	e := newEnv(t)
	const adele = "adele.vance@contoso.example"
	var sent, resent struct {
		ChallengeID string `json:"challengeId"`
	}
	e.jsonRun(&sent, "--mock", "verify", adele, "--method", "sms", "--send")
	e.jsonRun(&resent, "--mock", "verify", adele, "--challenge", sent.ChallengeID, "--resend")
	if sent.ChallengeID == "" || resent.ChallengeID == "" || resent.ChallengeID == sent.ChallengeID {
		t.Fatalf("sent %q, resent %q", sent.ChallengeID, resent.ChallengeID)
	}
	r := e.run(nil, "--mock", "verify", adele, "--challenge", sent.ChallengeID, "--code", "123456")
	if r.code != 1 || !strings.Contains(r.stderr, "replaced by a newer one, "+resent.ChallengeID) {
		t.Errorf("a code for the old challenge: exit %d %s", r.code, r.stderr)
	}
	var enrol struct {
		ChallengeID string `json:"challengeId"`
	}
	e.jsonRun(&enrol, "--mock", "enroll", "app", "alex.wilber@contoso.example")
	var pending []struct {
		ChallengeID string `json:"challengeId"`
	}
	e.jsonRun(&sent, "--mock", "verify", adele, "--method", "push", "--send")
	e.jsonRun(&pending, "--mock", "mock", "device", "pending", adele)
	if enrol.ChallengeID == "" || len(pending) != 1 || pending[0].ChallengeID != sent.ChallengeID {
		t.Errorf("enroll app %q, pending %+v, push %q", enrol.ChallengeID, pending, sent.ChallengeID)
	}
}
