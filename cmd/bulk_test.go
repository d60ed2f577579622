package cmd

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfactl/mfactl/internal/bulk"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/mock"
)

var bulkClock = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// newBulkCLI runs against a mock whose clock, like the CLI's, stands
// still: sessions revoked by an apply are then revoked "within 24h".
func newBulkCLI(t *testing.T) *testCLI {
	t.Helper()
	cli := newTestCLIWith(t, mock.Options{Now: func() time.Time { return bulkClock }})
	cli.now = func() time.Time { return bulkClock }
	return cli
}

// writeBulkInput writes a test input and returns its path.
func writeBulkInput(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// planOf plans file and returns the plan's summary (-o json).
func planOf(t *testing.T, cli *testCLI, args ...string) planSummaryView {
	t.Helper()
	var v planSummaryView
	code := cli.run(append(append([]string{"bulk", "plan"}, args...), "-o", "json")...)
	if code != 0 && code != 5 {
		t.Fatalf("bulk plan %v: exit %d\n%s", args, code, cli.stderr)
	}
	if err := json.Unmarshal(cli.stdout.Bytes(), &v); err != nil {
		t.Fatalf("plan output: %v\n%s", err, cli.stdout)
	}
	return v
}

// planOps lists a plan file's operations as "upn: op".
func planOps(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	if err := streamPlan(path, func(u bulk.UserPlan) error {
		for _, op := range u.Ops {
			out = append(out, u.UPN+": "+op.String())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

const bulkAllColumns = `user,mobile,alternateMobile,office,email,smsSignIn,default,tap,remove,revokeSessions,mfaState
alex.wilber@contoso.example,(425) 555-0140,+1 425 555 0141,+1 425 555 0142 ext. 7,alex@fabrikam.example,enabled,sms,8h once,,yes,enforced
lee.gu@contoso.example,,,,,,oath,,alternateMobile;mobile,,
nestor.wilke@contoso.example,,,,-,,push,,softwareOath,,
reports@contoso.example,,,,,,push,,sms,,
diego.siciliani@contoso.example,+44 7700 900124,,,,,,,,,enabled
johanna.lorenz@contoso.example,,,-,,,,,,,
`

// Every column through plan and apply; the plan after the apply is empty;
// the pass goes only to --secrets-out; the audit record carries the plan.
func TestBulkPlanApplyEveryColumnThenNothingLeft(t *testing.T) {
	cli := newBulkCLI(t)
	dir := t.TempDir()
	in := writeBulkInput(t, dir, "in.csv", bulkAllColumns)
	plan := filepath.Join(dir, "plan.json")
	v := planOf(t, cli, in, "--out", plan, "--country", "US")
	if v.Summary.Rows != 6 || v.Summary.Refused != 0 || v.Summary.Users != 6 {
		t.Fatalf("summary %+v refused %+v", v.Summary, v.RefusedRows)
	}
	if fi, err := os.Stat(plan); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("plan file: %v %v", fi, err)
	}
	got := planOps(t, plan)
	want := []string{
		alexUPN + ": add mobile phone +1 4255550140",
		alexUPN + ": add alternateMobile phone +1 4255550141",
		alexUPN + ": add office phone +1 4255550142x7",
		alexUPN + ": add email alex@fabrikam.example",
		alexUPN + ": enable SMS sign-in",
		alexUPN + ": set default sms",
		alexUPN + ": issue a Temporary Access Pass for 8h, one use",
		alexUPN + ": set per-user MFA enforced",
		alexUPN + ": revoke sign-in sessions",
		"lee.gu@contoso.example: set default oath",
		"lee.gu@contoso.example: remove alternateMobile phone",
		"lee.gu@contoso.example: remove mobile phone",
		nestorUPN + ": set default push",
		nestorUPN + ": remove email 3ddfcfc8-9383-446f-83cc-3ab9be4be18f",
	}
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Fatalf("operations:\n%s", strings.Join(got, "\n"))
	}
	for _, w := range []string{"reports@contoso.example: set default push", "reports@contoso.example: remove mobile phone",
		diegoUPN + ": change mobile phone to +44 7700900124", diegoUPN + ": set per-user MFA enabled", johannaUPN + ": remove office phone"} {
		if !slices.Contains(got, w) {
			t.Errorf("missing %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
	// The markdown summary for a ticket.
	cli.ok("bulk", "plan", in, "--out", filepath.Join(dir, "md.json"), "--country", "US", "-o", "md")
	if !strings.Contains(cli.stdout.String(), "| setDefault | 4 |") {
		t.Errorf("md:\n%s", cli.stdout)
	}

	secrets := filepath.Join(dir, "taps.csv")
	results := filepath.Join(dir, "results.json")
	cli.tty = true
	cli.ok("bulk", "apply", plan, "--yes", "--secrets-out", secrets, "--results", results)
	cli.tty = false
	stdout, stderr := cli.stdout.String(), cli.stderr.String()
	if !strings.Contains(stderr, "Applying") || !strings.Contains(stderr, "operations applied, 0 failed") {
		t.Errorf("stderr: %s", stderr)
	}
	var res []bulkResult
	if b, err := os.ReadFile(results); err != nil || json.Unmarshal(b, &res) != nil || len(res) != len(got) {
		t.Fatalf("results %s: %v (%d rows)", results, err, len(res))
	}
	for _, r := range res {
		if r.Outcome != "applied" {
			t.Errorf("result %+v", r)
		}
	}
	// The pass is in the secrets file, 0600, and nowhere else.
	fi, err := os.Stat(secrets)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file %v %v", fi, err)
	}
	b, _ := os.ReadFile(secrets)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], alexUPN+",") {
		t.Fatalf("secrets file:\n%s", b)
	}
	pass := strings.Split(lines[1], ",")[2]
	if len(pass) < 8 {
		t.Fatalf("pass %q", pass)
	}
	files := map[string]string{"stdout": stdout, "stderr": stderr}
	for _, p := range []string{plan, plan + ".journal", results, AuditLogPath(nil)} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		files[p] = string(b)
	}
	for name, content := range files {
		if strings.Contains(content, pass) {
			t.Errorf("the pass is in %s", name)
		}
	}
	// The tenant is as asked: planning again finds nothing to do.
	v2 := planOf(t, cli, in, "--out", filepath.Join(dir, "again.json"), "--country", "US")
	if v2.Summary.Ops != 0 || v2.Summary.Unchanged != 6 {
		t.Fatalf("plan after apply: %+v %v", v2.Summary, planOps(t, filepath.Join(dir, "again.json")))
	}
	// Lee's alternate went before the mobile (the mock refuses the other order).
	out := cli.ok("methods", "list", "lee.gu@contoso.example", "-o", "json")
	if strings.Contains(out, `"phone"`) {
		t.Errorf("lee still has phones: %s", out)
	}
	// The apply's records carry the plan id: one a chunk of users with its
	// writes (here one chunk), then the run's own record, both naming the
	// run's intent record.
	var recs []map[string]any
	cli.jsonOf(&recs, "audit", "log", "--plan", v.ID)
	if len(recs) != 2 {
		t.Fatalf("audit log --plan: %d records: %v", len(recs), recs)
	}
	for i, r := range recs {
		if r["plan"] != v.ID || r["outcome"] != "succeeded" || r["intent"] == nil {
			t.Errorf("record %d: %v", i, r)
		}
	}
	if reqs, _ := recs[0]["requests"].([]any); len(reqs) == 0 {
		t.Errorf("the chunk's record holds no writes: %v", recs[0])
	}
	if _, ok := recs[1]["requests"]; ok {
		t.Errorf("the run's record repeats writes already recorded: %v", recs[1])
	}
	cli.ok("audit", "log", "--plan", "bp-0000")
	if !strings.Contains(cli.stderr.String(), "No recorded changes") {
		t.Errorf("another plan id: %s", cli.stdout)
	}
	var st bulkStatusView
	cli.jsonOf(&st, "bulk", "status", plan)
	if st.Users != 6 || st.UsersDone != 6 || st.ByOutcome["applied"] != len(got) {
		t.Errorf("status %+v", st)
	}
	// Applying the finished plan again sends nothing.
	cli.ok("bulk", "apply", plan, "--yes", "--secrets-out", secrets)
	if !strings.Contains(cli.stderr.String(), "was applied already: nothing to send") {
		t.Errorf("stderr: %s", cli.stderr)
	}
}

// A bad cell anywhere refuses the whole file before anything is read or
// written, naming every bad row with its line.
func TestBulkPlanRefusesABadFileNamingEveryRow(t *testing.T) {
	cli := newBulkCLI(t)
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.json")
	in := writeBulkInput(t, dir, "bad.csv", `user,mobile,office,email,smsSignIn,default,tap,remove,revokeSessions,mfaState
alex.wilber@contoso.example,12,,,,,,,,
adele.vance@contoso.example,,,kim at contoso,,,,,,
diego.siciliani@contoso.example,,,,maybe,fax,8 hours,carrier pigeon,perhaps,sometimes
lee.gu@contoso.example,,+1 425 555 0199,,,,,,,
,+14255550100,,,,,,,,
alex.wilber@contoso.example,,,,,,,,,
`)
	code := cli.run("bulk", "plan", in, "--out", plan)
	if code != 2 {
		t.Fatalf("exit %d\n%s", code, cli.stderr)
	}
	stderr := cli.stderr.String()
	for _, w := range []string{"line 2: mobile:", "line 3: email:", "line 4: smsSignIn:", "line 4: default:", "line 4: tap:", "line 4: remove:",
		"line 4: revokeSessions:", "line 4: mfaState:", "line 6: user: is empty", "line 7: user: alex.wilber@contoso.example is also on line 2",
		"5 of 6 rows of " + in + " are invalid; nothing was planned"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	if strings.Contains(stderr, "line 5") {
		t.Errorf("a good row was named:\n%s", stderr)
	}
	if _, err := os.Stat(plan); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a plan was written: %v", err)
	}
	for _, c := range []struct {
		content string
		want    string
	}{
		{"mail,user\nx,y\n", `"mail" is not a column`},
		{"mobile\n+14255550100\n", `no "user" column`},
		{"", "is empty"},
		{"user\n\"open\n", "not valid CSV"},
		{"{\"user\":\"alex.wilber@contoso.example\",\"phone\":\"1\"}\n", `line 1: phone: "phone" is not a column`},
	} {
		p := writeBulkInput(t, dir, "c.csv", c.content)
		if code := cli.run("bulk", "plan", p, "--out", plan); code != 2 || !strings.Contains(cli.stderr.String(), c.want) {
			t.Errorf("%q: exit %d %s", c.content, code, cli.stderr)
		}
	}
	cli.fails(2, []string{"--from-report needs --finding"}, "bulk", "plan", "--from-report", in)
	cli.fails(2, []string{"not a column"}, "bulk", "plan", in, "--set", "fax=1")
	cli.fails(2, []string{"needs a FILE"}, "bulk", "plan")
}

// Rows that break Entra's rules, or name unknown users, are refused with
// the rule's code; the others are planned; exit 5.
func TestBulkPlanRefusesRowsBreakingRules(t *testing.T) {
	cli := newBulkCLI(t)
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.json")
	in := writeBulkInput(t, dir, "in.csv", `user,alternateMobile,remove,default,smsSignIn,tap
alex.wilber@contoso.example,+14255550150,,,,
reports@contoso.example,,sms,,,
adele.vance@contoso.example,,,voiceOffice,,
grady.archie@contoso.example,,,,enabled,
nobody@contoso.example,,,,,1h
diego.siciliani@contoso.example,,,,,99d
nestor.wilke@contoso.example,,softwareOath,,,
isaiah.langer_fabrikam.example#EXT#@contoso.example,,,push,,
`)
	v := planOf(t, cli, in, "--out", plan)
	codes := map[string]string{}
	for _, r := range v.RefusedRows {
		codes[r.User] = r.Code + "|" + r.Reason
	}
	for user, code := range map[string]string{alexUPN: bulk.CodeMobileRequired, "reports@contoso.example": bulk.CodeDefaultMethodInUse,
		adeleUPN: bulk.CodePreferredNotRegistered, "grady.archie@contoso.example": bulk.CodeSMSSignInNotSupported, diegoUPN: bulk.CodeTAPLifetime} {
		if !strings.HasPrefix(codes[user], code+"|") {
			t.Errorf("%s: %q, want %s", user, codes[user], code)
		}
	}
	if !strings.Contains(codes["nobody@contoso.example"], "not found") || v.Summary.Refused != 6 || v.Summary.Ops != 1 {
		t.Errorf("summary %+v refused %v", v.Summary, codes)
	}
	if v.Summary.Unchanged != 1 {
		t.Errorf("the guest's row: %+v", v.Summary)
	}
	if code := cli.run("bulk", "plan", in, "--out", plan); code != 5 || !strings.Contains(cli.stderr.String(), "6 of 8 rows were refused") {
		t.Errorf("exit %d %s", code, cli.stderr)
	}
}

// The rule codes the planner refuses with are the mock's.
func TestBulkRuleCodesAreTheMocks(t *testing.T) {
	var known []string
	for _, r := range mock.RuleErrors() {
		known = append(known, string(r.Code))
	}
	for _, c := range bulk.RuleCodes {
		if !slices.Contains(known, c) {
			t.Errorf("%s is not a rule code of the mock", c)
		}
	}
}

// A user changed since the plan is skipped, never overwritten; exit 5.
func TestBulkApplySkipsConflicts(t *testing.T) {
	cli := newBulkCLI(t)
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.json")
	in := writeBulkInput(t, dir, "in.csv", "user,mobile,email\nalex.wilber@contoso.example,+14255550160,\ndiego.siciliani@contoso.example,,diego@fabrikam.example\n")
	planOf(t, cli, in, "--out", plan)
	cli.ok("phone", "add", alexUPN, "+14255550161", "--type", "mobile")
	if code := cli.run("bulk", "apply", plan, "--yes"); code != 5 {
		t.Fatalf("exit %d %s", code, cli.stderr)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "plan.results.csv"))
	if !strings.Contains(string(b), alexUPN+",add mobile phone +1 4255550160,conflict,\"the user's methods") ||
		!strings.Contains(string(b), diegoUPN+",add email diego@fabrikam.example,applied,") {
		t.Errorf("results:\n%s", b)
	}
	if out := cli.ok("phone", "list", alexUPN); !strings.Contains(out, "+1 4255550161") {
		t.Errorf("alex's phone was overwritten: %s", out)
	}
}

// Apply refuses without --yes and a terminal, and a plan with passes
// without --secrets-out: exit 2, nothing sent, no journal.
func TestBulkApplyRefusesWithoutConsent(t *testing.T) {
	cli := newBulkCLI(t)
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.json")
	in := writeBulkInput(t, dir, "in.csv", "user,tap\nalex.wilber@contoso.example,1h\n")
	planOf(t, cli, in, "--out", plan)
	before := cli.state()
	cli.fails(2, []string{"--secrets-out"}, "bulk", "apply", plan, "--yes")
	cli.fails(2, []string{"needs confirmation", "--yes"}, "bulk", "apply", plan, "--secrets-out", filepath.Join(dir, "s.csv"))
	cli.fails(2, []string{"not a plan file"}, "bulk", "apply", in, "--yes")
	if !bytes.Equal(before, cli.state()) {
		t.Error("the tenant changed")
	}
	if _, err := os.Stat(plan + ".journal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("journal: %v", err)
	}
	// On a terminal, "no" cancels.
	cli.tty, cli.stdin = true, "n\n"
	if code := cli.run("bulk", "apply", plan, "--secrets-out", filepath.Join(dir, "s.csv")); code != 1 {
		t.Errorf("declined: exit %d %s", code, cli.stderr)
	}
	// A plan file must not be overwritten while its apply is unfinished.
	os.WriteFile(plan+".journal", []byte("{}\n"), 0o600)
	cli.fails(2, []string{"apply journal"}, "bulk", "plan", in, "--out", plan)
}

// --from-report takes a finding's users, with --set as their cells.
func TestBulkPlanFromReport(t *testing.T) {
	cli := newBulkCLI(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "coverage.json")
	cli.ok("report", "coverage", "-o", "json", "--out", report)
	plan := filepath.Join(dir, "plan.json")
	planOf(t, cli, "--from-report", report, "--finding", "noMfaMethod", "--set", "tap=8h once", "--out", plan)
	got := planOps(t, plan)
	if !slices.Contains(got, alexUPN+": issue a Temporary Access Pass for 8h, one use") || slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, miriamUPN) }) {
		t.Errorf("ops %v", got)
	}
	// Counts of one are singular ("1 operation on 1 user", not "1 operations on 1 users").
	if e := cli.stderr.String(); !strings.Contains(e, ": 1 operation on 1 user; 1 already as asked, 0 refused.") {
		t.Errorf("plan summary: %s", e)
	}
	cli.ok("bulk", "apply", plan, "--yes", "--secrets-out", filepath.Join(dir, "taps.csv"))
	if e := cli.stderr.String(); !strings.Contains(e, ": 1 operation applied, 0 failed") || !strings.Contains(e, "; 0 rows were refused at planning.") {
		t.Errorf("apply summary: %s", e)
	}
	cli.fails(2, []string{"--set"}, "bulk", "plan", "--from-report", report, "--finding", "noMfaMethod")
	cli.fails(2, []string{"not a user finding"}, "bulk", "plan", "--from-report", report, "--finding", "tokenUnassigned", "--set", "tap=1h")
}

// crashTransport simulates the CLI dying around its first write $batch:
// before it is sent, or after the service applied it and before the answer
// was read. It counts every write step the service received.
type crashTransport struct {
	next   http.RoundTripper
	stage  string // "before" or "after"; "" forwards everything
	cancel context.CancelFunc
	mu     *sync.Mutex
	writes map[string]int // "METHOD url" -> times received
}

var batchStep = regexp.MustCompile(`"method":"(POST|PATCH|DELETE)","url":"([^"]+)","headers":\{[^}]*\}(?:,"body":(\{[^}]*\}))?`)

func (c *crashTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	plain := body
	if r.Header.Get("Content-Encoding") == "gzip" {
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			plain, _ = io.ReadAll(zr)
		}
	}
	steps := batchStep.FindAllStringSubmatch(string(plain), -1)
	if len(steps) == 0 || c.stage == "" {
		c.count(steps)
		return c.next.RoundTrip(r)
	}
	stage := c.stage
	c.stage = ""
	if stage == "before" {
		c.cancel()
		return nil, errors.New("killed before sending")
	}
	c.count(steps)
	resp, err := c.next.RoundTrip(r)
	if err == nil {
		resp.Body.Close()
	}
	c.cancel()
	return nil, errors.New("killed before reading the answer")
}

func (c *crashTransport) count(steps [][]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range steps {
		c.writes[s[1]+" "+s[2]+" "+s[3]]++
	}
}

// runCtx is testCLI.run with a context the transport can cancel.
func (c *testCLI) runCtx(ctx context.Context, args ...string) int {
	ios, _, out, errOut := iostreams.Test()
	c.stdout, c.stderr = out, errOut
	return Execute(ctx, c.factory(ios), args)
}

const bulkResumeInput = `user,mobile,alternateMobile,email,default,remove,revokeSessions
alex.wilber@contoso.example,+14255550170,+14255550171,alex@fabrikam.example,sms,,yes
lee.gu@contoso.example,,,,oath,alternateMobile;mobile,
nestor.wilke@contoso.example,,,-,push,softwareOath,
diego.siciliani@contoso.example,+447700900125,,,,,yes
`

// Killed before its first write batch went out, or after the service
// applied it but before the answer was read, or with a torn journal line,
// the same apply run again ends with the tenant an undisturbed run leaves,
// and no write reaches the service twice.
func TestBulkApplyResumesAfterACrashAtEachStage(t *testing.T) {
	undisturbed := newBulkCLI(t)
	dir := t.TempDir()
	in := writeBulkInput(t, dir, "in.csv", bulkResumeInput)
	plan := filepath.Join(dir, "undisturbed.json")
	want := planOf(t, undisturbed, in, "--out", plan)
	undisturbed.ok("bulk", "apply", plan, "--yes")
	wantState := undisturbed.state()

	for _, stage := range []string{"before", "after", "torn"} {
		t.Run(stage, func(t *testing.T) {
			cli := newBulkCLI(t)
			plan := filepath.Join(t.TempDir(), "plan.json")
			if v := planOf(t, cli, in, "--out", plan); v.Summary.Ops != want.Summary.Ops {
				t.Fatalf("plan %+v, want %+v", v.Summary, want.Summary)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ct := &crashTransport{stage: stage, cancel: cancel, mu: &sync.Mutex{}, writes: map[string]int{}}
			if stage == "torn" {
				ct.stage = ""
			}
			cli.transport = func(next http.RoundTripper) http.RoundTripper { ct.next = next; return ct }
			if stage == "torn" {
				cli.ok("bulk", "apply", plan, "--yes")
				// The last outcome was being written when the CLI died.
				b, _ := os.ReadFile(plan + ".journal")
				lines := strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
				last := lines[len(lines)-1]
				torn := strings.Join(lines[:len(lines)-1], "") + last[:len(last)/2]
				os.WriteFile(plan+".journal", []byte(torn), 0o600)
			} else if code := cli.runCtx(ctx, "bulk", "apply", plan, "--yes"); code == 0 {
				t.Fatalf("the killed run exited 0: %s", cli.stderr)
			}
			var st bulkStatusView
			cli.jsonOf(&st, "bulk", "status", plan)
			if stage != "torn" && st.ByOutcome["unknown"] == 0 {
				t.Errorf("no intent without an outcome after the kill: %+v", st)
			}
			cli.ok("bulk", "apply", plan, "--yes", "--settle-delay", "0s")
			if stage != "torn" && !strings.Contains(cli.stderr.String(), "Resuming plan") {
				t.Errorf("stderr: %s", cli.stderr)
			}
			if !bytes.Equal(cli.state(), wantState) {
				t.Errorf("the tenant differs from an undisturbed run's")
			}
			for w, n := range ct.writes {
				if n != 1 {
					t.Errorf("%s reached the service %d times", w, n)
				}
			}
			if len(ct.writes) != want.Summary.Ops {
				t.Errorf("%d distinct writes, want %d: %v", len(ct.writes), want.Summary.Ops, ct.writes)
			}
			cli.jsonOf(&st, "bulk", "status", plan)
			if st.ByOutcome["applied"] != want.Summary.Ops || st.UsersDone != st.Users {
				t.Errorf("status %+v", st)
			}
			if v := planOf(t, cli, in, "--out", filepath.Join(t.TempDir(), "again.json")); v.Summary.Ops != 0 {
				t.Errorf("plan after resume: %+v", v.Summary)
			}
		})
	}
}

// A pass whose answer was lost is reported as issued and lost, not issued
// again, and never reaches stdout.
func TestBulkApplyLostPassAnswer(t *testing.T) {
	cli := newBulkCLI(t)
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.json")
	in := writeBulkInput(t, dir, "in.csv", "user,tap\nalex.wilber@contoso.example,8h\n")
	planOf(t, cli, in, "--out", plan)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ct := &crashTransport{stage: "after", cancel: cancel, mu: &sync.Mutex{}, writes: map[string]int{}}
	cli.transport = func(next http.RoundTripper) http.RoundTripper { ct.next = next; return ct }
	secrets := filepath.Join(dir, "taps.csv")
	cli.runCtx(ctx, "bulk", "apply", plan, "--yes", "--secrets-out", secrets)
	cli.ok("bulk", "apply", plan, "--yes", "--settle-delay", "0s", "--secrets-out", secrets)
	if !strings.Contains(cli.stderr.String(), "1 Temporary Access Passes were issued but their answer was lost") {
		t.Errorf("stderr: %s", cli.stderr)
	}
	if n := len(ct.writes); n != 1 {
		t.Errorf("writes %v", ct.writes)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "plan.results.csv"))
	if !strings.Contains(string(b), "applied,the pass was issued but its answer was lost") {
		t.Errorf("results:\n%s", b)
	}
	fmt.Fprint(io.Discard, cli.stdout)
}

// On a terminal the apply's bar shows the users done and the throttled
// waits beside the operations.
func TestBulkProgressShowsUsersAndWaits(t *testing.T) {
	ios, _, _, stderr := iostreams.Test()
	if p := newBulkProgress(ios, 10, 0, 4); p != nil {
		t.Fatal("a bar without a terminal")
	}
	ios.SetTTY(true)
	p := newBulkProgress(ios, 10, 0, 4)
	p.add(3)
	p.usersDone(2)
	p.throttled()
	p.finish()
	out := stderr.String()
	for _, want := range []string{"Applying: 2/4 users (1 throttled wait)", "10/10"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar lacks %q: %q", want, out)
		}
	}
}
