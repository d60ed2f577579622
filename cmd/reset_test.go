package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/factory"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/runbook"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
)

const gradyUPN = "grady.archie@contoso.example"

// resetJSON is the JSON summary of a reset, as scripts read it.
type resetJSON struct {
	User          methods.User          `json:"user"`
	Ticket        string                `json:"ticket"`
	DryRun        bool                  `json:"dryRun"`
	Status        string                `json:"status"`
	Before        []methods.Method      `json:"before"`
	After         []methods.Method      `json:"after"`
	DefaultBefore methods.DefaultMethod `json:"defaultBefore"`
	DefaultAfter  methods.DefaultMethod `json:"defaultAfter"`
	Steps         []runbook.StepResult  `json:"steps"`
	Keep          []runbook.Choice      `json:"keep"`
	LeftWithout   bool                  `json:"leftWithoutMfa"`
	Warnings      []string              `json:"warnings"`
	TAP           *methods.Method       `json:"temporaryAccessPass"`
	Requests      []json.RawMessage     `json:"requests"`
}

func kinds(ms []methods.Method) []methods.Kind {
	var out []methods.Kind
	for _, m := range ms {
		out = append(out, m.Kind)
	}
	return out
}

func stepStatuses(steps []runbook.StepResult) []string {
	var out []string
	for _, s := range steps {
		out = append(out, string(s.Action)+":"+string(s.Status))
	}
	return out
}

// The everyday call: a lost phone whose Authenticator is the default.
func TestResetLostPhone(t *testing.T) {
	cli := newTestCLI(t)
	var rep resetJSON
	cli.jsonOf(&rep, "reset", adeleUPN, "--lost-device", "iphone 15", "--revoke-sessions", "--tap", "--lifetime", "2h", "--once", "--ticket", "INC-1234", "--yes")
	want := []string{"setDefault:done", "remove:done", "remove:done", "revokeSessions:done", "issueTemporaryAccessPass:done"}
	if !slices.Equal(stepStatuses(rep.Steps), want) || rep.Status != "completed: 5 of 5 steps done" || rep.Ticket != "INC-1234" {
		t.Fatalf("%v %q", stepStatuses(rep.Steps), rep.Status)
	}
	if rep.Steps[0].Default != methods.DefaultSMS || rep.DefaultBefore != methods.DefaultPush || rep.DefaultAfter != methods.DefaultSMS {
		t.Errorf("default %+v", rep)
	}
	if !slices.Equal(kinds(rep.Before), []methods.Kind{methods.KindPassword, methods.KindPhone, methods.KindAuthenticator, methods.KindSoftwareOath}) ||
		!slices.Equal(kinds(rep.After), []methods.Kind{methods.KindPassword, methods.KindPhone, methods.KindTemporaryAccess}) {
		t.Errorf("before %v after %v", kinds(rep.Before), kinds(rep.After))
	}
	// -o json carries the pass (once); the tenant agrees with the summary.
	if rep.TAP == nil || len(rep.TAP.Pass) != 8 || rep.TAP.LifetimeInMinutes != 120 || rep.LeftWithout {
		t.Fatalf("tap %+v", rep.TAP)
	}
	var d defaultView
	cli.jsonOf(&d, "default", "show", adeleUPN)
	if d.Default != methods.DefaultSMS {
		t.Errorf("tenant default %s", d.Default)
	}
	// The audit record: ticket, target, before and after, every write.
	rs := cli.auditRecords()
	last := rs[len(rs)-1]
	if last.Ticket != "INC-1234" || last.Outcome != audit.OutcomeSucceeded || len(last.Requests) != 5 || !last.HasTarget(adeleUPN) ||
		len(last.Targets[0].Before) != 4 || len(last.Targets[0].After) != 3 || bytes.Contains(mustJSON(t, last), []byte(rep.TAP.Pass)) {
		t.Fatalf("audit %+v", last)
	}
	// Running it again finds nothing bound to the device any more.
	cli.fails(cmdutil.ExitNotFound, []string{`no method is bound to a device named "iPhone 15"`, "the user has no method bound to a device"},
		"reset", adeleUPN, "--lost-device", "iPhone 15", "--yes")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A lost hardware token, by serial: the office phone becomes the default
// and the token goes back to the inventory.
func TestResetLostHardwareToken(t *testing.T) {
	cli := newTestCLI(t)
	var rep resetJSON
	cli.jsonOf(&rep, "reset", gradyUPN, "--lost-device", "HWT-1001", "--tap", "--yes")
	if !slices.Equal(stepStatuses(rep.Steps), []string{"setDefault:done", "remove:done", "issueTemporaryAccessPass:done"}) ||
		rep.Steps[0].Default != methods.DefaultVoiceOffice || rep.Steps[1].Method.Kind != methods.KindHardwareOath {
		t.Fatalf("%v", stepStatuses(rep.Steps))
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "`mfactl token delete HWT-1001`") {
		t.Errorf("warnings %q", rep.Warnings)
	}
	out := cli.ok("token", "list", "-o", "json")
	if !strings.Contains(out, `"serialNumber": "HWT-1001"`) || strings.Contains(out, "Grady") {
		t.Errorf("inventory:\n%s", out)
	}
	var list []methods.Method
	cli.jsonOf(&list, "methods", "list", gradyUPN)
	if slices.Contains(kinds(list), methods.KindHardwareOath) {
		t.Errorf("token still assigned: %v", kinds(list))
	}
}

// A user with one method: refused (nothing changed) without --tap or --yes.
func TestResetSingleMethodUser(t *testing.T) {
	cli := newTestCLI(t)
	before := cli.state()
	cli.fails(cmdutil.ExitUsage, []string{"nothing was changed: this reset leaves diego.siciliani@contoso.example with no MFA method", "add --tap", "or --yes"},
		"reset", diegoUPN, "--method", "mobile")
	if !strings.Contains(cli.stderr.String(), "warning: Diego Siciliani <diego.siciliani@contoso.example> will have no MFA method left") {
		t.Errorf("warning: %s", cli.stderr)
	}
	if !bytes.Equal(before, cli.state()) {
		t.Fatal("the refused reset changed the tenant")
	}
	// With --tap it still needs the usual confirmation (no terminal: --yes).
	cli.fails(cmdutil.ExitUsage, []string{"needs confirmation", "pass --yes"}, "reset", diegoUPN, "--method", "mobile", "--tap")
	if !bytes.Equal(before, cli.state()) {
		t.Fatal("the unconfirmed reset changed the tenant")
	}
	var rep resetJSON
	cli.jsonOf(&rep, "reset", diegoUPN, "--method", "mobile", "--tap", "--once", "--yes")
	if !rep.LeftWithout || rep.TAP == nil || !slices.Equal(kinds(rep.After), []methods.Kind{methods.KindPassword, methods.KindTemporaryAccess}) || rep.DefaultAfter != "" {
		t.Fatalf("%+v", rep)
	}
	// --yes alone accepts leaving the user with nothing.
	out := cli.ok("reset", johannaUPN, "--all", "--yes")
	if !strings.Contains(out, "Left with no MFA method") || !strings.Contains(out, "completed: 4 of 4 steps done") {
		t.Errorf("%s", out)
	}
}

// The Authentication Administrator cannot reset an admin: refused with
// the role hint, nothing changed.
func TestResetAdminNeedsPrivilegedRole(t *testing.T) {
	cli := newTestCLI(t)
	cli.token = mock.AuthAdminToken
	before := cli.state()
	cli.fails(cmdutil.ExitAuth, []string{"reset of megan.bowen@contoso.example stopped at step 1 of 2", "of megan.bowen@contoso.example", "HTTP 403 Authorization_RequestDenied",
		"Privileged Authentication Administrator reaches everyone"},
		"reset", meganUPN, "--lost-device", "Surface Duo", "--revoke-sessions", "--yes")
	if !bytes.Equal(before, cli.state()) {
		t.Fatal("a refused reset changed the tenant")
	}
	if !strings.Contains(cli.stdout.String(), "failed at step 1 of 2: nothing was changed") || !strings.Contains(cli.stdout.String(), "[notRun] revoke sign-in sessions") {
		t.Errorf("summary:\n%s", cli.stdout)
	}
	// The helpdesk can still reset a user without a role.
	cli.ok("reset", adeleUPN, "--lost-device", "iPhone 15", "--keep-oath", "--yes")
	rs := cli.auditRecords()
	if rs[0].Outcome != audit.OutcomeFailed || rs[0].ExitCode != 4 || rs[0].Actor.UPN != "helpdesk@contoso.example" || rs[1].Outcome != audit.OutcomeSucceeded {
		t.Fatalf("%+v", rs)
	}
}

// --dry-run reads, plans and prints the requests, and changes nothing.
func TestResetDryRunChangesNothing(t *testing.T) {
	cli := newTestCLI(t)
	before := cli.state()
	cases := [][]string{
		{adeleUPN, "--lost-device", "iPhone 15", "--revoke-sessions", "--tap", "--lifetime", "1h"},
		{gradyUPN, "--lost-device", "HWT-1001"},
		{"lee.gu@contoso.example", "--all", "--tap"},
		{diegoUPN, "--method", "mobile"},
		{meganUPN, "--lost-device", "Surface Duo", "--revoke-sessions"},
	}
	for _, args := range cases {
		var rep resetJSON
		cli.jsonOf(&rep, append(append([]string{"reset"}, args...), "--dry-run")...)
		if !rep.DryRun || len(rep.Requests) != len(rep.Steps) || rep.TAP != nil || !strings.HasPrefix(rep.Status, "planned") {
			t.Errorf("%v: %+v", args, rep)
		}
		for _, s := range rep.Steps {
			if s.Status != runbook.StatusPlanned {
				t.Errorf("%v: step %+v", args, s)
			}
		}
		if !bytes.Equal(before, cli.state()) {
			t.Fatalf("%v: the dry run changed the tenant", args)
		}
	}
	out := cli.ok("reset", adeleUPN, "--lost-device", "iPhone 15", "--dry-run")
	if !strings.Contains(out, "Requests (dry run, not sent):\n  PATCH http://localhost/beta/users/") || !strings.Contains(cli.stderr.String(), "Dry run: nothing was changed. 3 requests would be sent.") {
		t.Errorf("%s\n%s", out, cli.stderr)
	}
	if rs := cli.auditRecords(); len(rs) != 0 {
		t.Errorf("dry runs were recorded: %+v", rs)
	}
}

// failNth answers the nth DELETE with status (before or after the mock
// handled it; the answer of one it handled is lost).
type failNth struct {
	next   http.RoundTripper
	n      int
	status int
	after  bool
	mu     sync.Mutex
	seen   int
	// reached counts the DELETEs that reached the mock.
	reached int
}

func (f *failNth) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodDelete {
		return f.next.RoundTrip(req)
	}
	f.mu.Lock()
	f.seen++
	hit := f.seen == f.n
	if !hit || f.after {
		f.reached++
	}
	f.mu.Unlock()
	if !hit {
		return f.next.RoundTrip(req)
	}
	if f.after {
		resp, err := f.next.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
	}
	body := fmt.Sprintf(`{"error":{"code":"testFault","message":"%s (test fault)"}}`, http.StatusText(f.status))
	return &http.Response{StatusCode: f.status, Status: fmt.Sprint(f.status), Request: req, Body: io.NopCloser(strings.NewReader(body)),
		Header: http.Header{"Content-Type": {"application/json"}}, ContentLength: int64(len(body))}, nil
}

// A removal answered 500 has an unknown outcome: the run re-reads the
// user's methods and finishes without removing anything twice, whether
// the removal took effect or not, and the audit record says succeeded.
func TestResetSettlesAFailedRemoval(t *testing.T) {
	for _, after := range []bool{false, true} {
		name := "fault before the removal"
		if after {
			name = "fault after the removal took effect"
		}
		t.Run(name, func(t *testing.T) {
			cli := newTestCLI(t)
			f := &failNth{n: 2, status: 500, after: after}
			cli.transport = func(next http.RoundTripper) http.RoundTripper { f.next = next; return f }
			var rep resetJSON
			cli.jsonOf(&rep, "reset", "lee.gu@contoso.example", "--all", "--revoke-sessions", "--tap", "--ticket", "INC-77", "--yes")
			wantSteps := []string{"remove:done", "remove:done", "remove:done", "revokeSessions:done", "issueTemporaryAccessPass:done"}
			if !slices.Equal(stepStatuses(rep.Steps), wantSteps) || !slices.Equal(kinds(rep.After), []methods.Kind{methods.KindPassword, methods.KindTemporaryAccess}) {
				t.Fatalf("run %v after %v", stepStatuses(rep.Steps), kinds(rep.After))
			}
			// Three removals reached the mock: the lost one was not repeated,
			// the refused one was sent again.
			if f.reached != 3 {
				t.Errorf("%d removals reached the mock, want 3", f.reached)
			}
			rs := cli.auditRecords()
			if len(rs) != 1 || rs[0].Outcome != audit.OutcomeSucceeded || rs[0].Ticket != "INC-77" || rs[0].Requests[1].Status != 500 {
				t.Fatalf("audit %+v", rs)
			}
		})
	}
}

// A run interrupted by a refusal stops, says what was done, and a re-run
// finishes without repeating it.
func TestResetInterruptedAndRerun(t *testing.T) {
	cli := newTestCLI(t)
	cli.transport = func(next http.RoundTripper) http.RoundTripper { return &failNth{next: next, n: 2, status: 409} }
	args := []string{"reset", "lee.gu@contoso.example", "--all", "--revoke-sessions", "--tap", "--ticket", "INC-77", "--yes"}
	cli.fails(cmdutil.ExitPartial, []string{"reset of lee.gu@contoso.example stopped at step 2 of 5 (remove Hardware OATH token", "HTTP 409",
		"1 step was done; run the same command again to finish"}, args...)
	out := cli.stdout.String()
	for _, want := range []string{"stopped at step 2 of 5: 1 done, 4 not done", "1. [done] remove Phone \"alternateMobile", "2. [failed] remove Hardware OATH token", "5. [notRun] issue a Temporary Access Pass"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	cli.transport = nil
	var rep resetJSON
	cli.jsonOf(&rep, args...)
	wantSteps := []string{"remove:done", "remove:done", "revokeSessions:done", "issueTemporaryAccessPass:done"}
	if !slices.Equal(stepStatuses(rep.Steps), wantSteps) || !slices.Equal(kinds(rep.After), []methods.Kind{methods.KindPassword, methods.KindTemporaryAccess}) {
		t.Fatalf("re-run %v after %v", stepStatuses(rep.Steps), kinds(rep.After))
	}
	rs := cli.auditRecords()
	if len(rs) != 2 || rs[0].Outcome != audit.OutcomePartial || rs[0].ExitCode != cmdutil.ExitPartial || rs[1].Outcome != audit.OutcomeSucceeded || rs[0].Ticket != "INC-77" {
		t.Fatalf("audit %+v", rs)
	}
	if rs[0].Requests[1].Status != 409 {
		t.Errorf("the failed request is not recorded: %+v", rs[0].Requests)
	}
}

// On a terminal the plan is shown and confirmed; declining changes nothing.
func TestResetConfirmsOnATerminal(t *testing.T) {
	t.Setenv("CI", "")
	cli := newTestCLI(t)
	cli.tty = true
	before := cli.state()
	cli.stdin = "n\n"
	cli.fails(cmdutil.ExitFailure, []string{"canceled: nothing was changed"}, "reset", adeleUPN, "--lost-device", "iPhone 15")
	errOut := cli.stderr.String()
	if !strings.Contains(errOut, "1. [planned] make sms the default MFA method") || !strings.Contains(errOut, "Apply 3 changes to Adele Vance <adele.vance@contoso.example>? [y/N]") {
		t.Errorf("%s", errOut)
	}
	if !bytes.Equal(before, cli.state()) {
		t.Fatal("a declined reset changed the tenant")
	}
	cli.stdin = "y\n"
	out := cli.ok("reset", adeleUPN, "--lost-device", "iPhone 15", "--tap")
	if !strings.Contains(out, "completed: 4 of 4 steps done") || !strings.Contains(cli.stderr.String(), "shown only now and not in the summary") {
		t.Errorf("%s\n%s", out, cli.stderr)
	}
}

// The summary formats: Markdown for the ticket (never the pass), CSV of
// the steps.
func TestResetSummaryFormats(t *testing.T) {
	cli := newTestCLI(t)
	out := cli.ok("reset", adeleUPN, "--lost-device", "iPhone 15", "--tap", "--ticket", "INC-9", "--yes", "-o", "md")
	for _, want := range []string{"### MFA reset: Adele Vance <adele.vance@contoso.example>", "| Ticket | INC-9 |", "| Default method | push → sms |",
		"| 2 | remove Microsoft Authenticator \"iPhone 15\"", "| **removed** |", "| - | added |", "handed over separately"} {
		if !strings.Contains(out, want) {
			t.Errorf("md lacks %q:\n%s", want, out)
		}
	}
	pass := strings.TrimSpace(strings.SplitN(strings.SplitN(cli.stderr.String(), "<adele.vance@contoso.example>: ", 2)[1], " (", 2)[0])
	if len(pass) != 8 || strings.Contains(out, pass) {
		t.Errorf("pass %q in the ticket summary or not on stderr:\n%s", pass, cli.stderr)
	}
	out = cli.ok("reset", johannaUPN, "--method", "office,alternateMobile", "--yes", "-o", "csv")
	if !strings.HasPrefix(out, "step,action,target,status,why,error\n1,remove,") || strings.Count(out, "\n") != 3 {
		t.Errorf("csv:\n%s", out)
	}
	// Nothing to do: ids already gone.
	out = cli.ok("reset", johannaUPN, "--method", "office")
	if !strings.Contains(out, "Status:       nothing to do") || !strings.Contains(cli.stderr.String(), "--method office: the user has no such method") {
		t.Errorf("%s\n%s", out, cli.stderr)
	}
}

func TestResetFlagErrors(t *testing.T) {
	cli := newTestCLI(t)
	before := cli.state()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{adeleUPN}, "exactly one of --lost-device NAME, --method ID and --all"},
		{[]string{adeleUPN, "--all", "--lost-device", "x"}, "exactly one of --lost-device NAME, --method ID and --all"},
		{[]string{adeleUPN, "--all", "--lifetime", "1h"}, "--lifetime and --once describe the pass: add --tap"},
		{[]string{adeleUPN, "--all", "--keep-oath"}, "--keep-oath goes with --lost-device"},
		{[]string{adeleUPN, "--all", "--tap", "--lifetime", "9h"}, "--lifetime 9h is outside the tenant's Temporary Access Pass policy"},
		{[]string{adeleUPN, "--all", "--tap", "--lifetime", "soon"}, "--lifetime"},
		{[]string{adeleUPN, "--method", methods.PasswordMethodID}, "is the password, which a reset never removes"},
		{[]string{adeleUPN, "--lost-device", "Galaxy"}, `the user's devices are "iPhone 15" (Microsoft Authenticator)`},
		{[]string{"nobody@contoso.example", "--all"}, `user "nobody@contoso.example" not found`},
	}
	for _, tt := range tests {
		code := cli.run(append(append([]string{"reset"}, tt.args...), "--yes")...)
		if code == 0 || !strings.Contains(cli.stderr.String(), tt.want) {
			t.Errorf("%v: exit %d\n%s", tt.args, code, cli.stderr)
		}
	}
	if !bytes.Equal(before, cli.state()) {
		t.Fatal("a refused reset changed the tenant")
	}
}

func TestResetFlagParsing(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := factory.New(ios, "test")
	var got *ResetOptions
	c := NewCmdReset(f, func(_ context.Context, o *ResetOptions) error { got = o; return nil })
	c.SetArgs([]string{"a@b.example", "--method", "mobile,office", "--method", "abc", "--tap", "--lifetime", "2h", "--once", "--revoke-sessions", "--ticket", "INC-1", "-y"})
	if err := c.Execute(); err != nil || !slices.Equal(got.MethodIDs, []string{"mobile", "office", "abc"}) || !got.TAP || got.Lifetime != "2h" || !got.Once ||
		!got.RevokeSessions || got.Ticket != "INC-1" || !got.Yes || got.User != "a@b.example" {
		t.Fatalf("%+v %v", got, err)
	}
	// Validate ran before runF and kept the pass --tap asks for.
	if spec := got.tap; spec == nil || spec.LifetimeMinutes != 120 || !spec.Once {
		t.Fatalf("%+v", spec)
	}
}

// --require-verify: the user proves who they are with a method they keep,
// or nothing changes.
func TestResetRequiresVerification(t *testing.T) {
	cli := newVerifyCLI(t)
	// Verification keeps challenges in the mock's state: compare methods.
	before := cli.ok("methods", "list", adeleUPN, "-o", "json")
	lost := []string{"reset", adeleUPN, "--lost-device", "iPhone 15", "--keep-oath", "--require-verify", "--yes"}
	cli.fails(cmdutil.ExitUsage, []string{"nothing was changed: --require-verify needs a terminal", "--verify-code"}, lost...)
	cli.fails(cmdutil.ExitUsage, []string{"--verify-method push: adele.vance@contoso.example has no such method that stays after this reset", "use one of app, sms, voice"},
		append(lost, "--verify-method", "push")...)
	cli.fails(cmdutil.ExitFailure, []string{"nothing was changed: adele.vance@contoso.example did not prove their identity with app", "wrong code"},
		append(lost, "--verify-method", "app", "--verify-code", "000000")...)
	if before != cli.ok("methods", "list", adeleUPN, "-o", "json") {
		t.Fatal("an unverified reset changed the tenant")
	}
	var rep resetJSON
	var raw map[string]any
	cli.jsonOf(&raw, append(lost, "--verify-method", "app", "--verify-code", cli.code(adeleUPN))...)
	b, _ := json.Marshal(raw)
	_ = json.Unmarshal(b, &rep)
	if v, _ := raw["verification"].(map[string]any); v["method"] != "app" || v["verified"] != true || rep.Status != "completed: 2 of 2 steps done" {
		t.Fatalf("%v %q", raw["verification"], rep.Status)
	}
	// The code never reaches the audit log.
	rs := cli.auditRecords()
	last := rs[len(rs)-1]
	if !strings.Contains(last.Command, "--verify-code [REDACTED]") || len(last.Requests) != 4 || !strings.Contains(string(last.Requests[1].Body), "[REDACTED]") {
		t.Fatalf("%s %+v", last.Command, last.Requests)
	}
	// --verify-first without a terminal goes on, and says so.
	out := cli.ok("reset", nestorUPN, "--lost-device", "iPhone 15 Pro", "--verify-first", "--yes")
	if !strings.Contains(out, "Identity:     not verified (no terminal)") || !strings.Contains(cli.stderr.String(), "no terminal to verify") {
		t.Errorf("%s\n%s", out, cli.stderr)
	}
	cli.fails(cmdutil.ExitUsage, []string{"--verify-method and --verify-code go with --verify-first or --require-verify"}, "reset", adeleUPN, "--all", "--verify-method", "sms")
	cli.fails(cmdutil.ExitUsage, []string{"--verify-code needs --verify-method app, hardware or tap"}, "reset", adeleUPN, "--all", "--verify-first", "--verify-method", "sms", "--verify-code", "1")
}

// The seed pages' "lost your phone? sign in with your security questions":
// on a terminal the user answers them, then the reset runs.
func TestResetVerifiedWithSecurityQuestions(t *testing.T) {
	t.Setenv("CI", "")
	cli := newVerifyCLI(t)
	answers := map[string]string{"City of birth?": "Springfield", "First pet?": "Rex the dog", "First school?": "Lincoln Elementary", "Favourite teacher?": "Mrs Krabappel"}
	cli.stdin = "City of birth? | Springfield\nFirst pet? | Rex the dog\nFirst school? | Lincoln Elementary\nFavourite teacher? | Mrs Krabappel\n"
	cli.ok("enroll", "questions", diegoUPN, "--file", "-")
	cli.tty = true
	var prompts []string
	cli.answer = func(prompt string) string {
		prompts = append(prompts, prompt)
		if len(prompts) > 20 {
			t.Fatalf("prompted again and again: %q\n%s", prompts, cli.stderr)
		}
		switch {
		case strings.HasPrefix(prompt, "Choose"):
			return "questions"
		case strings.HasSuffix(prompt, "[y/N]"):
			return "y"
		}
		return answers[prompt]
	}
	out := cli.ok("reset", diegoUPN, "--method", "mobile", "--tap", "--verify-first")
	if !strings.Contains(out, "Identity:     verified with questions") || !strings.Contains(out, "completed: 2 of 2 steps done") {
		t.Fatalf("%s\n%s\nprompts %q", out, cli.stderr, prompts)
	}
	if !strings.Contains(cli.stderr.String(), "Verify Diego Siciliani <diego.siciliani@contoso.example> first, with a method they keep:") ||
		strings.Contains(cli.stderr.String(), "Springfield") || strings.Contains(cli.stderr.String(), "Rex the dog") {
		t.Errorf("stderr:\n%s", cli.stderr)
	}
	// A failed verification may be overridden on a terminal with
	// --verify-first, never with --require-verify.
	cli.answer = func(prompt string) string {
		switch {
		case strings.HasPrefix(prompt, "Choose"):
			return "questions"
		case strings.HasPrefix(prompt, "Reset anyway"):
			return "n"
		}
		return "not the answer"
	}
	before := cli.ok("methods", "list", diegoUPN, "-o", "json")
	cli.fails(cmdutil.ExitFailure, []string{"canceled: nothing was changed"}, "reset", diegoUPN, "--all", "--verify-first")
	if !strings.Contains(cli.stderr.String(), "did not prove their identity with questions") {
		t.Errorf("%s", cli.stderr)
	}
	if code := cli.run("reset", diegoUPN, "--all", "--require-verify"); code == 0 || !strings.Contains(cli.stderr.String(), "nothing was changed: diego.siciliani@contoso.example did not prove their identity with questions") ||
		strings.Contains(cli.stderr.String(), "Reset anyway") {
		t.Errorf("exit %d\n%s", code, cli.stderr)
	}
	if before != cli.ok("methods", "list", diegoUPN, "-o", "json") {
		t.Fatal("an unverified reset changed the tenant")
	}
}

// --revoke-sessions also forgets the devices where the user ticked
// "remember me": a token issued before the reset no longer skips MFA.
func TestResetRevokesRememberedDevices(t *testing.T) {
	cli := newVerifyCLI(t)
	done := cli.jsonOut("verify", adeleUPN, "--method", "app", "--code", cli.code(adeleUPN), "--remember")
	tok := done["deviceToken"].(map[string]any)["token"].(string)
	cli.must(0, "verify", adeleUPN, "--device-token", tok)
	cli.ok("reset", adeleUPN, "--lost-device", "iPhone 15", "--revoke-sessions", "--yes")
	cli.must(1, "verify", adeleUPN, "--device-token", tok)
	if !strings.Contains(cli.stderr.String(), "revoked") {
		t.Errorf("%s", cli.stderr)
	}
	if rs := cli.auditRecords(); strings.Contains(string(mustJSON(t, rs)), tok) {
		t.Error("the device token reached the audit log")
	}
}
