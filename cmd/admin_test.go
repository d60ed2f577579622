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

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/factory"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
	"github.com/mfactl/mfactl/mock/store"
	"github.com/mfactl/mfactl/reports"
)

const (
	adeleUPN    = "adele.vance@contoso.example"
	alexUPN     = "alex.wilber@contoso.example"
	diegoUPN    = "diego.siciliani@contoso.example"
	johannaUPN  = "johanna.lorenz@contoso.example"
	meganUPN    = "megan.bowen@contoso.example"
	miriamUPN   = "miriam.graham@contoso.example"
	henriettaUP = "henrietta.mueller@contoso.example"
	nestorUPN   = "nestor.wilke@contoso.example"
)

// state serialises every bucket of the in-memory tenant.
func (c *testCLI) state() []byte {
	c.t.Helper()
	b, err := json.Marshal(c.store.(*store.Memory).Snapshot())
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

// ok runs args and fails the test unless they succeed.
func (c *testCLI) ok(args ...string) string {
	c.t.Helper()
	if code := c.run(args...); code != 0 {
		c.t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", args, code, c.stdout, c.stderr)
	}
	return c.stdout.String()
}

// jsonOf runs args with -o json and decodes stdout into v.
func (c *testCLI) jsonOf(v any, args ...string) {
	c.t.Helper()
	out := c.ok(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("%v: not JSON: %v\n%s", args, err, out)
	}
}

// fails runs args and checks the exit code and that stderr is one line
// containing every want.
func (c *testCLI) fails(code int, wants []string, args ...string) {
	c.t.Helper()
	if got := c.run(args...); got != code {
		c.t.Fatalf("%v: exit %d, want %d\nstderr: %s", args, got, code, c.stderr)
	}
	// The error is the one line holding "mfactl: " (a flag error adds a
	// usage pointer after it; a declined prompt leaves its question before).
	var last string
	n := 0
	for _, line := range strings.Split(c.stderr.String(), "\n") {
		if i := strings.Index(line, "mfactl: "); i >= 0 {
			last, n = line[i:], n+1
		}
	}
	if n != 1 {
		c.t.Errorf("%v: want exactly one error line: %q", args, c.stderr)
	}
	for _, w := range wants {
		if !strings.Contains(last, w) {
			c.t.Errorf("%v: error lacks %q:\n%s", args, w, last)
		}
	}
}

func userID(t *testing.T, cli *testCLI, upn string) string {
	var v userView
	cli.jsonOf(&v, "user", "show", upn)
	return v.User.ID
}

// CLI-level parsing: the number as typed, the flags, and what goes on the
// wire (read from the dry-run plan) or the one-line refusal.
func TestPhoneNumberArgumentsCLI(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string // in the plan body (code 0) or the error line
	}{
		{[]string{"(425) 555-0100", "--country", "US"}, 0, `"phoneNumber":"+1 4255550100"`},
		{[]string{"+14255550100"}, 0, `"phoneNumber":"+1 4255550100"`},
		{[]string{"+1 (425) 555-0100", "--type", "alternate"}, 0, `"phoneType":"alternateMobile"`},
		{[]string{"+44 20 7183 8750", "--type", "office"}, 0, `"phoneNumber":"+44 2071838750"`},
		{[]string{"020 7183 8750", "--country", "uk", "--type", "office"}, 0, `"phoneNumber":"+44 2071838750"`},
		{[]string{"425-555-0100 ext. 123", "--country", "US", "--type", "office"}, 0, `"phoneNumber":"+1 4255550100x123"`},
		{[]string{"0151 23456789", "--country", "DE"}, 0, `"phoneNumber":"+49 15123456789"`},
		{[]string{"+91 98765 43210"}, 0, `"phoneNumber":"+91 9876543210"`},
		{[]string{"+1 4255550100x12"}, 2, "mfactl allows extensions only on office phones"},
		{[]string{"(425) 555-0100"}, 2, "has no country code"},
		{[]string{"+1 425 555"}, 2, "too short"},
		{[]string{"+1 425 FLOWERS"}, 2, "contains letters"},
		{[]string{"+999 12345678"}, 2, "+999 is not a country calling code"},
		{[]string{"425 555 0100", "--country", "XX"}, 2, `unknown country "XX"`},
		{[]string{"+14255550100", "--type", "pager"}, 2, "unknown phone type"},
		{[]string{"+14255550100", "--duplicate-budget", "0"}, 2, "--duplicate-budget"},
	}
	cli := newTestCLI(t)
	for _, tt := range tests {
		args := append([]string{"phone", "add", alexUPN}, tt.args...)
		args = append(args, "--dry-run")
		code := cli.run(args...)
		if code != tt.code {
			t.Errorf("%v: exit %d, want %d: %s", tt.args, code, tt.code, cli.stderr)
			continue
		}
		where := cli.stdout.String()
		if tt.code != 0 {
			where = cli.stderr.String()
		}
		if !strings.Contains(where, tt.want) {
			t.Errorf("%v: %q not in\n%s", tt.args, tt.want, where)
		}
	}
}

func TestPhoneVerbsEndToEnd(t *testing.T) {
	cli := newTestCLI(t)
	var added methods.Method
	cli.jsonOf(&added, "phone", "add", alexUPN, "(425) 555-0160", "--country", "US", "--type", "mobile")
	if added.ID != methods.MobilePhoneID || added.PhoneNumber != "+1 4255550160" || added.SMSSignInState != "ready" {
		t.Fatalf("added %+v", added)
	}
	if !strings.Contains(cli.stderr.String(), "Added the mobile phone +1 4255550160 of Alex Wilber") {
		t.Errorf("note: %s", cli.stderr)
	}
	var updated methods.Method
	cli.jsonOf(&updated, "phone", "update", alexUPN, "+1 425 555 0161", "--type", "mobile")
	if updated.PhoneNumber != "+1 4255550161" {
		t.Fatalf("updated %+v", updated)
	}
	var sms methods.Method
	cli.jsonOf(&sms, "phone", "sms-signin", alexUPN, "--enable")
	if sms.SMSSignInState != "ready" {
		t.Fatalf("sms sign-in %+v", sms)
	}
	var list []methods.Method
	cli.jsonOf(&list, "phone", "list", alexUPN)
	if len(list) != 1 || list[0].SMSSignInState != "ready" {
		t.Fatalf("list %+v", list)
	}
	cli.jsonOf(&sms, "phone", "sms-signin", alexUPN, "--disable")
	if sms.SMSSignInState != "notEnabled" {
		t.Fatalf("disable %+v", sms)
	}
	var removed methods.Method
	cli.jsonOf(&removed, "phone", "remove", alexUPN, "--type", "mobile", "--yes")
	if removed.ID != methods.MobilePhoneID {
		t.Fatalf("removed %+v", removed)
	}
	cli.ok("phone", "list", alexUPN)
	if !strings.Contains(cli.stderr.String(), "has no Phone method") {
		t.Errorf("empty list note: %s", cli.stderr)
	}
	cli.fails(cmdutil.ExitNotFound, []string{"has no mobile phone"}, "phone", "remove", alexUPN, "--type", "mobile", "--yes")
	cli.fails(cmdutil.ExitNotFound, []string{"has no mobile phone", "phone add"}, "phone", "sms-signin", alexUPN, "--enable")
	cli.fails(cmdutil.ExitUsage, []string{"exactly one of --enable and --disable"}, "phone", "sms-signin", alexUPN)
	cli.fails(cmdutil.ExitNotFound, []string{`user "nobody@contoso.example" not found`}, "phone", "add", "nobody@contoso.example", "+14255550100")
}

func TestSMSSignInNeedsAUniqueNumber(t *testing.T) {
	cli := newTestCLI(t)
	cli.ok("phone", "sms-signin", adeleUPN, "--enable")
	cli.ok("phone", "update", diegoUPN, "+1 4255550100", "--type", "mobile", "--check-duplicates")
	if !strings.Contains(cli.stderr.String(), "warning: +1 4255550100 is already registered to adele.vance@contoso.example (mobile)") {
		t.Errorf("no duplicate warning: %s", cli.stderr)
	}
	cli.fails(1, []string{"enable SMS sign-in for diego.siciliani@contoso.example", "registered to another user", "phoneNumberNotUnique", "no other user has"},
		"phone", "sms-signin", diegoUPN, "--enable")
	// A number nobody has: the check says how far it looked.
	cli.ok("phone", "add", alexUPN, "+1 4255550199", "--check-duplicates", "--duplicate-budget", "5")
	if !strings.Contains(cli.stderr.String(), "No other user has +1 4255550199 among the first 5 other users (raise --duplicate-budget") {
		t.Errorf("bounded scan note: %s", cli.stderr)
	}
	// Masked numbers cannot be compared.
	cli.token = mock.AuthAdminToken
	cli.ok("phone", "add", nestorUPN, "+1 4255550100", "--type", "office", "--check-duplicates", "--dry-run")
	if !strings.Contains(cli.stderr.String(), "masked for your role") {
		t.Errorf("masked: %s", cli.stderr)
	}
}

// Each rule error of the mock, as the CLI prints it: one line naming what
// was refused, Graph's code, and how to get past the rule.
func TestRuleErrorMessages(t *testing.T) {
	cli := newTestCLI(t)
	cli.fails(1, []string{"add mobile phone for adele.vance@contoso.example", "phoneTypeAlreadyExists", "`mfactl phone update`"},
		"phone", "add", adeleUPN, "+1 4255550170", "--type", "mobile")
	cli.fails(1, []string{"add alternateMobile phone for alex.wilber@contoso.example", "mobilePhoneRequired", "add the mobile phone first"},
		"phone", "add", alexUPN, "+1 4255550171", "--type", "alternateMobile")
	// One message: the rule once, the fix once.
	if msg := cli.stderr.String(); strings.Count(msg, "requires a mobile phone")+strings.Count(msg, "needs a mobile phone") != 1 || strings.Count(msg, "add the mobile") != 1 {
		t.Errorf("said twice: %s", msg)
	}
	cli.fails(1, []string{"mobilePhoneRequired", "remove the alternateMobile first"},
		"phone", "remove", johannaUPN, "--type", "mobile", "--yes")
	cli.fails(1, []string{"of adele.vance@contoso.example", "default sign-in method (push)", "defaultMethodInUse", "`mfactl default set <user> <method>`"},
		"authenticator", "remove", adeleUPN, "--yes")
	cli.fails(2, []string{"--lifetime 9h is outside the tenant's Temporary Access Pass policy", "between 1h and 8h", "minimum 60, maximum 480 minutes"},
		"tap", "create", alexUPN, "--lifetime", "9h")
	cli.fails(2, []string{"--lifetime 30m is outside"}, "tap", "create", alexUPN, "--lifetime", "30 minutes")
	cli.fails(2, []string{"has no usable method for push", "Microsoft Authenticator registration", "allow: sms, voiceMobile"},
		"default", "set", diegoUPN, "push")
	cli.fails(2, []string{"has no usable method for sms", "register it first"}, "default", "set", alexUPN, "sms")

	// The Authentication Administrator cannot read the TAP policy: mfactl
	// says so and Graph (the mock) enforces the bounds.
	cli.token = mock.AuthAdminToken
	cli.fails(1, []string{"create a Temporary Access Pass for alex.wilber@contoso.example", "outside the policy's range of 60 to 480 minutes", "temporaryAccessPassLifetimeOutOfRange", "within the tenant's Temporary Access Pass policy"},
		"tap", "create", alexUPN, "--lifetime", "9h")
	if !strings.Contains(cli.stderr.String(), "warning: could not read the tenant's Temporary Access Pass policy (Authorization_RequestDenied)") {
		t.Errorf("no policy warning: %s", cli.stderr)
	}
	// Missing roles.
	cli.fails(4, []string{"remove microsoftAuthenticator method", "of megan.bowen@contoso.example", "Insufficient privileges", "HTTP 403 Authorization_RequestDenied", "Privileged Authentication Administrator reaches everyone"},
		"authenticator", "remove", meganUPN, "--device", "Surface Duo", "--yes")
	cli.fails(4, []string{"per-user MFA state", "Authentication Policy Administrator"}, "mfa-state", "set", alexUPN, "enforced")
	cli.token = mock.GlobalReaderToken
	cli.fails(4, []string{"add email method for alex.wilber@contoso.example", "HTTP 403 Authorization_RequestDenied"}, "email", "set", alexUPN, "alex@outlook.example")
	cli.fails(4, []string{"revoke the sign-in sessions", "User.RevokeSessions.All", "Helpdesk Administrator, Authentication Administrator, User Administrator"}, "sessions", "revoke", alexUPN, "--yes")
	cli.token = mock.ReportsReaderToken
	cli.fails(4, []string{"HTTP 403"}, "tap", "create", alexUPN)
}

// Every mutating verb's --dry-run: exit 0, the requests on stdout, and a
// tenant byte-identical afterwards.
func TestDryRunChangesNothing(t *testing.T) {
	cli := newTestCLI(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"phone", "add", alexUPN, "+14255550180"}, "POST http://localhost/v1.0/users/"},
		{[]string{"phone", "update", adeleUPN, "+14255550181"}, "PATCH http://localhost/v1.0/users/"},
		{[]string{"phone", "remove", adeleUPN, "--type", "mobile"}, "DELETE http://localhost/v1.0/users/"},
		{[]string{"phone", "sms-signin", adeleUPN, "--enable"}, "/phoneMethods/3179e48a-750b-4051-897c-87b9720928f7/enableSmsSignIn"},
		{[]string{"authenticator", "remove", nestorUPN, "--device", "iPhone 15 Pro"}, "/microsoftAuthenticatorMethods/"},
		{[]string{"oath", "remove", adeleUPN}, "/softwareOathMethods/"},
		{[]string{"fido2", "remove", henriettaUP}, "/fido2Methods/"},
		{[]string{"whfb", "remove", henriettaUP}, "/windowsHelloForBusinessMethods/"},
		{[]string{"platform", "remove", henriettaUP}, "/platformCredentialMethods/"},
		{[]string{"email", "set", alexUPN, "alex@outlook.example"}, `{"@odata.type":"#microsoft.graph.emailAuthenticationMethod","emailAddress":"alex@outlook.example"}`},
		{[]string{"email", "set", miriamUPN, "m@outlook.example"}, "PATCH http://localhost/v1.0/users/"},
		{[]string{"email", "remove", miriamUPN}, "/emailMethods/3ddfcfc8-9383-446f-83cc-3ab9be4be18f"},
		{[]string{"tap", "create", alexUPN, "--lifetime", "2h", "--once"}, `"isUsableOnce":true,"lifetimeInMinutes":120`},
		{[]string{"tap", "remove", miriamUPN}, "/temporaryAccessPassMethods/"},
		{[]string{"default", "set", adeleUPN, "sms"}, "PATCH http://localhost/beta/users/"},
		{[]string{"mfa-state", "set", adeleUPN, "enforced"}, `{"perUserMfaState":"enforced"}`},
		{[]string{"sessions", "revoke", adeleUPN}, "/revokeSignInSessions"},
		{[]string{"password", "reset", adeleUPN}, "/authentication/methods/28c10230-6103-485e-b985-444c60001490/resetPassword"},
	}
	before := cli.state()
	for _, tc := range cases {
		out := cli.ok(append(tc.args, "--dry-run")...)
		if !strings.Contains(out, tc.want) {
			t.Errorf("%v: plan lacks %q:\n%s", tc.args, tc.want, out)
		}
		if !strings.Contains(cli.stderr.String(), "Dry run: nothing was changed. 1 request would be sent") {
			t.Errorf("%v: no dry-run note: %s", tc.args, cli.stderr)
		}
		if after := cli.state(); !bytes.Equal(before, after) {
			t.Fatalf("%v: the dry run changed the tenant", tc.args)
		}
	}
	// JSON plans, and secrets redacted.
	cli.stdin = "Sup3r-Secret!\n"
	var plan planView
	cli.jsonOf(&plan, "password", "reset", adeleUPN, "--password-stdin", "--dry-run")
	var body bytes.Buffer
	if len(plan.Requests) == 1 {
		_ = json.Compact(&body, plan.Requests[0].Body)
	}
	if !plan.DryRun || len(plan.Requests) != 1 || body.String() != `{"newPassword":"[REDACTED]"}` || strings.Contains(cli.stdout.String(), "Sup3r") {
		t.Fatalf("plan %+v", plan)
	}
}

func TestDestructiveVerbsConfirm(t *testing.T) {
	cli := newTestCLI(t)
	before := cli.state()
	cli.fails(cmdutil.ExitUsage, []string{"needs confirmation and there is no terminal", "pass --yes"}, "phone", "remove", johannaUPN, "--type", "office")
	cli.fails(cmdutil.ExitUsage, []string{"pass --yes"}, "sessions", "revoke", alexUPN)
	cli.fails(cmdutil.ExitUsage, []string{"Reset the password of Alex Wilber <alex.wilber@contoso.example> needs confirmation and there is no terminal to ask on", "pass --yes"}, "password", "reset", alexUPN)
	if !bytes.Equal(before, cli.state()) {
		t.Fatal("a refused verb changed the tenant")
	}
	t.Setenv("CI", "")
	cli.tty = true
	cli.stdin = "n\n"
	cli.fails(cmdutil.ExitFailure, []string{"canceled: nothing was changed"}, "phone", "remove", johannaUPN, "--type", "office")
	if !strings.Contains(cli.stderr.String(), `Remove the Phone "office +49 8912345678x42" (e37fc753-ff3b-4958-9484-eaa9425c82bc) of Johanna Lorenz <johanna.lorenz@contoso.example>? [y/N]`) {
		t.Errorf("question: %s", cli.stderr)
	}
	if !bytes.Equal(before, cli.state()) {
		t.Fatal("a declined verb changed the tenant")
	}
	cli.stdin = "y\n"
	cli.ok("phone", "remove", johannaUPN, "--type", "office")
	if !strings.Contains(cli.stderr.String(), "Removed the Phone") {
		t.Errorf("note: %s", cli.stderr)
	}
}

func TestMethodSelection(t *testing.T) {
	cli := newTestCLI(t)
	nestor := userID(t, cli, nestorUPN)
	// A second Authenticator with the same device name as the first.
	err := cli.store.Update(func(tx store.Tx) error {
		return store.PutJSON(tx, "methods", nestor+"/00000000-0000-4000-8000-000000000001", map[string]any{
			"id": "00000000-0000-4000-8000-000000000001", "type": "microsoftAuthenticator", "displayName": "iPhone 15 Pro", "userId": nestor,
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	cli.fails(cmdutil.ExitUsage, []string{`--device "iphone 15 pro" matches 2 Microsoft Authenticator methods`, "(00000000-0000-4000-8000-000000000001)", "select one by its id"},
		"authenticator", "remove", nestorUPN, "--device", "iphone 15 pro", "--yes")
	cli.fails(cmdutil.ExitUsage, []string{"has 2 Microsoft Authenticator methods", "--device NAME"}, "authenticator", "remove", nestorUPN, "--yes")
	cli.fails(cmdutil.ExitNotFound, []string{`no Microsoft Authenticator method with device "Pixel"`, "are \"iPhone 15 Pro\""}, "authenticator", "remove", nestorUPN, "--device", "Pixel", "--yes")
	cli.fails(cmdutil.ExitNotFound, []string{"has no FIDO2 security key method"}, "fido2", "remove", nestorUPN, "--yes")
	cli.fails(cmdutil.ExitUsage, []string{"either a method id or --device"}, "authenticator", "remove", nestorUPN, "x", "--device", "y")
	var list []methods.Method
	cli.jsonOf(&list, "authenticator", "list", nestorUPN)
	if len(list) != 2 {
		t.Fatalf("list %+v", list)
	}
	// By id: the added one is not the default's only backing, so it goes.
	var removed methods.Method
	cli.jsonOf(&removed, "authenticator", "remove", nestorUPN, "00000000-0000-4000-8000-000000000001", "--yes")
	if removed.ID != "00000000-0000-4000-8000-000000000001" {
		t.Fatalf("removed %+v", removed)
	}
	// Software OATH, FIDO2, WHfB and platform credentials.
	cli.ok("oath", "remove", adeleUPN, "--yes")
	for _, noun := range []string{"fido2", "whfb", "platform"} {
		cli.jsonOf(&list, noun, "list", henriettaUP)
		if len(list) != 1 {
			t.Fatalf("%s list %+v", noun, list)
		}
		cli.jsonOf(&removed, noun, "remove", henriettaUP, list[0].ID, "--yes")
		if removed.ID != list[0].ID {
			t.Errorf("%s removed %+v", noun, removed)
		}
	}
	var v userView
	cli.jsonOf(&v, "user", "show", henriettaUP)
	if v.MFAMethodCount != 0 || len(v.Warnings) != 1 {
		t.Errorf("after removing every method: %+v", v)
	}
}

func TestEmailSetAndRemove(t *testing.T) {
	cli := newTestCLI(t)
	var m methods.Method
	cli.jsonOf(&m, "email", "set", alexUPN, "alex@outlook.example")
	if m.ID != methods.EmailMethodID || m.EmailAddress != "alex@outlook.example" {
		t.Fatalf("%+v", m)
	}
	cli.jsonOf(&m, "email", "set", alexUPN, "alex2@outlook.example")
	if m.EmailAddress != "alex2@outlook.example" || !strings.Contains(cli.stderr.String(), "Changed the email method") {
		t.Fatalf("%+v %s", m, cli.stderr)
	}
	var list []methods.Method
	cli.jsonOf(&list, "email", "show", alexUPN)
	if len(list) != 1 || list[0].EmailAddress != "alex2@outlook.example" {
		t.Fatalf("%+v", list)
	}
	cli.ok("email", "remove", alexUPN, "--yes")
	cli.fails(cmdutil.ExitUsage, []string{`"Alex <a@b.example>" is not an email address`}, "email", "set", alexUPN, "Alex <a@b.example>")
}

// The pass is shown once, on create (also in -o json), never again.
func TestTAPShownOnce(t *testing.T) {
	cli := newTestCLI(t)
	var m methods.Method
	cli.jsonOf(&m, "tap", "create", alexUPN, "--lifetime", "1 hour 30 minutes", "--start", "+1h", "--once")
	if len(m.Pass) != 8 || m.LifetimeInMinutes != 90 || m.IsUsableOnce == nil || !*m.IsUsableOnce || m.MethodUsabilityReason != "NotYetValid" {
		t.Fatalf("created %+v", m)
	}
	pass := m.Pass
	cli.ok("tap", "show", alexUPN)
	out := cli.stdout.String()
	cli.jsonOf(&[]methods.Method{}, "tap", "show", alexUPN)
	out += cli.stdout.String()
	cli.ok("user", "show", alexUPN, "-o", "yaml")
	out += cli.stdout.String()
	if strings.Contains(out, pass) || strings.Contains(out, "temporaryAccessPass:") {
		t.Fatalf("the pass showed again:\n%s", out)
	}
	// Table output: the pass on stdout, the warning to hand it over on stderr.
	out = cli.ok("tap", "create", alexUPN)
	if !strings.HasPrefix(out, "Temporary Access Pass for Alex Wilber <alex.wilber@contoso.example>: ") || !strings.Contains(out, "for 1h (reusable)") {
		t.Errorf("table: %s", out)
	}
	if !strings.Contains(cli.stderr.String(), "already has a Temporary Access Pass") || !strings.Contains(cli.stderr.String(), "shown only now") {
		t.Errorf("stderr: %s", cli.stderr)
	}
	cli.ok("tap", "remove", alexUPN, "--yes")
	cli.fails(cmdutil.ExitNotFound, []string{"has no Temporary Access Pass method"}, "tap", "remove", alexUPN, "--yes")
	cli.fails(cmdutil.ExitUsage, []string{"--lifetime", "without a unit"}, "tap", "create", alexUPN, "--lifetime", "90")
	cli.fails(cmdutil.ExitUsage, []string{"--start", "lies in the past"}, "tap", "create", alexUPN, "--start", "2020-01-01T00:00:00Z")
}

func TestDefaultAndMFAState(t *testing.T) {
	cli := newTestCLI(t)
	var v defaultView
	cli.jsonOf(&v, "default", "show", nestorUPN, "--system-preferred")
	// The hardware token whose activation failed delivers nothing.
	if v.Default != methods.DefaultOath || len(v.Backing) != 2 || v.SystemEnabled == nil || *v.SystemEnabled {
		t.Fatalf("%+v", v)
	}
	cli.jsonOf(&v, "default", "set", nestorUPN, "voiceMobile")
	if v.Default != methods.DefaultVoiceMobile {
		t.Fatalf("%+v", v)
	}
	out := cli.ok("default", "show", nestorUPN)
	if !strings.Contains(out, "Default method:  voiceMobile") || !strings.Contains(out, "delivered by:  Phone mobile +1 4255550103") {
		t.Errorf("table: %s", out)
	}
	var st mfaStateView
	cli.jsonOf(&st, "mfa-state", "show", nestorUPN)
	if st.State != methods.MFADisabled {
		t.Fatalf("%+v", st)
	}
	cli.jsonOf(&st, "mfa-state", "set", nestorUPN, "enforced")
	if st.State != methods.MFAEnforced {
		t.Fatalf("%+v", st)
	}
	cli.ok("mfa-state", "set", nestorUPN, "disabled")
	if !strings.Contains(cli.stderr.String(), "changed from enforced to disabled") || !strings.Contains(cli.stderr.String(), "Conditional Access") {
		t.Errorf("%s", cli.stderr)
	}
	// Nestor has an MFA method: Entra stores enabled as enforced
	// (strongauthenticationrequirements.md), and mfactl says what it stored.
	cli.jsonOf(&st, "mfa-state", "set", nestorUPN, "enabled")
	if st.State != methods.MFAEnforced || !strings.Contains(cli.stderr.String(), "changed from disabled to enforced") ||
		!strings.Contains(cli.stderr.String(), "Entra stored enforced rather than enabled") {
		t.Errorf("%+v %s", st, cli.stderr)
	}
	cli.fails(cmdutil.ExitUsage, []string{"unknown MFA state"}, "mfa-state", "set", nestorUPN, "on")
	cli.fails(cmdutil.ExitUsage, []string{"unknown default method"}, "default", "set", nestorUPN, "email")
}

func TestSessionsAndPassword(t *testing.T) {
	cli := newTestCLI(t)
	var r revokedView
	cli.jsonOf(&r, "sessions", "revoke", alexUPN, "--yes")
	if !r.Revoked || r.User != alexUPN {
		t.Fatalf("%+v", r)
	}
	var p passwordView
	cli.jsonOf(&p, "password", "reset", alexUPN, "--yes")
	if len(p.NewPassword) < 8 || p.Operation.Status != "succeeded" {
		t.Fatalf("%+v", p)
	}
	out := cli.ok("password", "reset", alexUPN, "--yes")
	if !strings.HasPrefix(out, "New password for alex.wilber@contoso.example: ") || !strings.Contains(cli.stderr.String(), "is a secret") {
		t.Errorf("table: %s / %s", out, cli.stderr)
	}
	cli.stdin = "Correct-Horse-Battery-9\n"
	out = cli.ok("password", "reset", alexUPN, "--password-stdin", "--yes")
	if out != "" || strings.Contains(cli.stderr.String(), "Correct-Horse") {
		t.Errorf("an admin-chosen password must not be printed: %q %q", out, cli.stderr)
	}
	cli.stdin = "weak\n"
	cli.fails(1, []string{"passwordPolicyViolation", "three of"}, "password", "reset", alexUPN, "--password-stdin", "--yes")
	cli.stdin = ""
	cli.fails(cmdutil.ExitUsage, []string{"standard input held no password"}, "password", "reset", alexUPN, "--password-stdin", "--yes")
	cli.fails(cmdutil.ExitUsage, []string{"mfa.admin@contoso.example is your own account", "self-service password reset"}, "password", "reset", "mfa.admin@contoso.example", "--yes")
	cli.token = mock.AuthAdminToken
	cli.fails(4, []string{"reset the password of megan.bowen@contoso.example", "403"}, "password", "reset", meganUPN, "--yes")
}

func TestUserShowOneScreen(t *testing.T) {
	cli := newTestCLI(t)
	out := cli.ok("user", "show", nestorUPN)
	for _, want := range []string{"Default:      oath (system-preferred MFA: off)", "Per-user MFA: disabled", "MFA methods:  3 (two or more: yes), strongest: authenticatorApp", "iPhone 15 Pro (default)", "HWT-1005 Fabrikam KeyFob 60 (activation failed, not usable)", "Email", "2025-"} {
		if want == "2025-" {
			continue
		}
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "KeyFob 60 (default)") {
		t.Errorf("a token whose activation failed is marked the default:\n%s", out)
	}
	var v userView
	// Lee Gu's hardware token is assigned, not activated: no method, as in
	// the coverage report; Lee holds a directory role.
	if out := cli.ok("user", "show", "lee.gu@contoso.example"); !strings.Contains(out, "Account:      Member, enabled, holds an admin role") || !strings.Contains(out, "HWT-1004 Contoso OTP-C200 (not activated yet)") {
		t.Errorf("lee.gu:\n%s", out)
	}
	cli.jsonOf(&v, "user", "show", "lee.gu@contoso.example")
	if v.MFAMethodCount != 2 || v.Coverage.StrongestClass != methods.ClassPhone || !v.Coverage.SMSVoiceOnly || !v.Coverage.IsAdmin ||
		!slices.Contains(v.Coverage.Findings, reports.FindingAdminNoPhishResistant) || !slices.Contains(v.Coverage.Findings, reports.FindingSMSVoiceOnly) {
		t.Errorf("lee.gu: %+v", v.Coverage)
	}
	cli.jsonOf(&v, "user", "show", diegoUPN)
	if v.DefaultMethod != methods.DefaultSMS || v.MFAState != methods.MFADisabled || !v.Coverage.SMSVoiceOnly || v.MeetsTwoMethods || len(v.Warnings) != 2 {
		t.Fatalf("%+v", v)
	}
	if !strings.Contains(cli.stderr.String(), "has only SMS/voice methods") || !strings.Contains(cli.stderr.String(), "has only one MFA method (Mobile phone)") {
		t.Errorf("warnings: %s", cli.stderr)
	}
	cli.jsonOf(&v, "user", "show", alexUPN)
	if v.MFAMethodCount != 0 || len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "no MFA method") {
		t.Fatalf("%+v", v)
	}
	cli.jsonOf(&v, "user", "show", "lynne.robbins@contoso.example")
	if !strings.Contains(strings.Join(v.Warnings, "\n"), "is disabled but still holds 2 methods") {
		t.Errorf("%v", v.Warnings)
	}
	// Readers without the beta states still get the screen.
	cli.token = mock.GlobalReaderToken
	cli.jsonOf(&v, "user", "show", diegoUPN)
	if v.Methods[1].PhoneNumber != "+44 XXXXXXXX23" {
		t.Errorf("masked: %+v", v.Methods)
	}
}

func TestMutatingFlagParsing(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := factory.New(ios, "test")
	var phone *PhoneSetOptions
	c := NewCmdPhoneAdd(f, func(_ context.Context, o *PhoneSetOptions) error { phone = o; return nil })
	c.SetArgs([]string{"a@b.example", "+14255550100", "--type", "office", "--country", "US", "--dry-run", "--check-duplicates"})
	if err := c.Execute(); err != nil || phone.Type != "office" || phone.Country != "US" || !phone.DryRun || !phone.CheckDuplicates || phone.DuplicateBudget != defaultDuplicateBudget {
		t.Fatalf("%+v %v", phone, err)
	}
	var rm *KindRemoveOptions
	c = NewCmdKindRemove(f, kindNoun{kind: methods.KindFido2, use: "fido2", devices: true}, func(_ context.Context, o *KindRemoveOptions) error { rm = o; return nil })
	c.SetArgs([]string{"a@b.example", "--device", "Red key", "-y"})
	if err := c.Execute(); err != nil || rm.Selector.Device != "Red key" || !rm.Yes || rm.Kind != methods.KindFido2 {
		t.Fatalf("%+v %v", rm, err)
	}
	var tap *TAPCreateOptions
	c = NewCmdTAPCreate(f, func(_ context.Context, o *TAPCreateOptions) error { tap = o; return nil })
	c.SetArgs([]string{"a@b.example", "--lifetime", "2h", "--once", "--start", "now"})
	if err := c.Execute(); err != nil || tap.Lifetime != "2h" || !tap.Once || tap.Start != "now" {
		t.Fatalf("%+v %v", tap, err)
	}
	// oath has no device names, so no --device.
	c = NewCmdKindRemove(f, kindNoun{kind: methods.KindSoftwareOath, use: "oath"}, func(context.Context, *KindRemoveOptions) error { return nil })
	c.SetArgs([]string{"a@b.example", "--device", "x"})
	c.SetOut(ios.Out)
	c.SetErr(ios.ErrOut)
	if err := c.Execute(); err == nil {
		t.Fatal("oath remove accepted --device")
	}
}

// Every rule error the mock can answer with has a hint in cmd, and the hint
// reaches the error line of a graph error with that code.
func TestEveryMockRuleHasAHint(t *testing.T) {
	for _, r := range mock.RuleErrors() {
		if r.Code == entra.CodeAuthorizationDenied {
			continue
		}
		if ruleHints[r.Code] == "" {
			t.Errorf("no hint for the mock's rule code %s", r.Code)
			continue
		}
		err := fmt.Errorf("wrapped: %w", &graph.Error{Op: "op", Status: r.Status, Code: string(r.Code), Message: "m"})
		if got := hintOf(err); got != ruleHints[r.Code] {
			t.Errorf("%s: hint %q", r.Code, got)
		}
		if got := hintOf(cmdutil.WithExit(1, err, "outer")); got != "outer" {
			t.Errorf("%s: an outer hint must win, got %q", r.Code, got)
		}
	}
	if got := hintOf(&graph.Error{Status: 400, Code: "somethingElse"}); got != "" {
		t.Errorf("unknown code got hint %q", got)
	}
}

// Every verb of the admin nouns is in the README or the guides in docs/
// with an example.
func TestREADMEShowsEveryAdminVerb(t *testing.T) {
	files, _ := filepath.Glob("../docs/*.md")
	var all []string
	for _, f := range append([]string{"../README.md"}, files...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, string(b))
	}
	readme := strings.Join(all, "\n")
	ios, _, _, _ := iostreams.Test()
	root := NewCmdRoot(factory.New(ios, "test"))
	for _, noun := range []string{"phone", "authenticator", "oath", "email", "fido2", "whfb", "platform", "tap", "default", "mfa-state", "sessions", "password", "token"} {
		c, _, err := root.Find([]string{noun})
		if err != nil || c.Name() != noun {
			t.Fatalf("no command %s", noun)
		}
		for _, verb := range c.Commands() {
			if !strings.Contains(readme, "mfactl "+noun+" "+verb.Name()+" ") {
				t.Errorf("README has no example of `mfactl %s %s`", noun, verb.Name())
			}
		}
	}
	if !strings.Contains(readme, "mfactl reset ") || !strings.Contains(readme, "## Audit log") {
		t.Error("the docs have no runbook or audit log section")
	}
}
