package cmd

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mfactl/mfactl/mock"
)

type coverageJSON struct {
	Users []struct {
		ID                string   `json:"id"`
		UserPrincipalName string   `json:"userPrincipalName"`
		AccountEnabled    bool     `json:"accountEnabled"`
		IsAdmin           bool     `json:"isAdmin"`
		Methods           []string `json:"methods"`
		StrongestClass    string   `json:"strongestClass"`
		HasBackup         bool     `json:"hasBackup"`
		SMSVoiceOnly      bool     `json:"smsVoiceOnly"`
		Findings          []string `json:"findings"`
	} `json:"users"`
	Summary struct {
		Sources []struct {
			Part, Source, Scope string
			Count               int
		} `json:"sources"`
		Users struct {
			Total int `json:"total"`
		} `json:"users"`
		Findings map[string]struct {
			Count int `json:"count"`
		} `json:"findings"`
		Tokens *struct {
			Total int `json:"total"`
		} `json:"tokens"`
	} `json:"summary"`
}

func (c *testCLI) coverage(args ...string) coverageJSON {
	c.t.Helper()
	var r coverageJSON
	c.jsonOf(&r, append([]string{"report", "coverage"}, args...)...)
	return r
}

func TestReportCoverageOfTheDemoTenant(t *testing.T) {
	cli := newTestCLI(t)
	r := cli.coverage()
	if r.Summary.Users.Total != len(mock.DemoUsers()) || len(r.Users) != len(mock.DemoUsers()) {
		t.Fatalf("%d users (summary %d), want every demo user (%d)", len(r.Users), r.Summary.Users.Total, len(mock.DemoUsers()))
	}
	byUPN := map[string]int{}
	for i, u := range r.Users {
		byUPN[u.UserPrincipalName] = i
	}
	check := func(upn string, f func(i int) bool, what string) {
		t.Helper()
		i, ok := byUPN[upn]
		if !ok || !f(i) {
			t.Errorf("%s: want %s, got %+v", upn, what, r.Users[i])
		}
	}
	check(alexUPN, func(i int) bool {
		return r.Users[i].StrongestClass == "none" && has(r.Users[i].Findings, "noMfaMethod")
	}, "no MFA")
	check(diegoUPN, func(i int) bool { return r.Users[i].SMSVoiceOnly && has(r.Users[i].Findings, "singleMfaMethod") }, "SMS only, single method")
	check("lee.gu@contoso.example", func(i int) bool {
		return r.Users[i].IsAdmin && has(r.Users[i].Findings, "adminWithoutPhishingResistant")
	}, "an admin without a phishing-resistant method")
	check("lynne.robbins@contoso.example", func(i int) bool {
		return !r.Users[i].AccountEnabled && has(r.Users[i].Findings, "disabledWithMethods")
	}, "a disabled user holding methods (read through the methods source)")
	check(miriamUPN, func(i int) bool { return has(r.Users[i].Findings, "temporaryAccessPass") }, "an outstanding TAP")
	// Sources: the report for the enabled users, methods for the disabled.
	var sources []string
	for _, s := range r.Summary.Sources {
		sources = append(sources, s.Part+":"+s.Source+":"+s.Scope)
	}
	if got := strings.Join(sources, ","); got != "users:registration:enabled users,users:methods:disabled users,tokens:hardwareOathDevices:" {
		t.Errorf("sources %s", got)
	}
	if r.Summary.Tokens == nil || r.Summary.Tokens.Total != 5 {
		t.Errorf("token inventory %+v, want the 5 demo tokens", r.Summary.Tokens)
	}
	if r.Summary.Findings["tokenUnassigned"].Count == 0 || r.Summary.Findings["tokenNotActivated"].Count == 0 {
		t.Errorf("token findings %+v", r.Summary.Findings)
	}

	// Every source gives the same row for every user it sees.
	meth := cli.coverage("--source", "methods")
	reg := cli.coverage("--source", "registration")
	if len(meth.Users) != len(r.Users) || len(reg.Users) != len(r.Users)-1 {
		t.Fatalf("methods %d users, registration %d, auto %d", len(meth.Users), len(reg.Users), len(r.Users))
	}
	if !strings.Contains(cli.stderr.String(), "leaves out disabled users") {
		t.Errorf("registration source says nothing of the disabled users: %s", cli.stderr)
	}
	rows := func(c coverageJSON) map[string]string {
		m := map[string]string{}
		for _, u := range c.Users {
			b, _ := json.Marshal(u)
			m[u.ID] = string(b)
		}
		return m
	}
	all, regRows := rows(meth), rows(reg)
	for id, row := range rows(r) {
		if all[id] != row {
			t.Errorf("auto and methods differ:\n%s\n%s", row, all[id])
		}
		if rr, ok := regRows[id]; ok && rr != row {
			t.Errorf("auto and registration differ:\n%s\n%s", row, rr)
		}
	}
}

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestReportCoverageFormatsAndOut(t *testing.T) {
	cli := newTestCLI(t)
	table := cli.ok("report", "coverage")
	for _, want := range []string{alexUPN, "noMfaMethod (2):", "Hardware tokens: 5"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	rows, err := csv.NewReader(strings.NewReader(cli.ok("report", "coverage", "-o", "csv"))).ReadAll()
	if err != nil || len(rows) != len(mock.DemoUsers())+1 {
		t.Fatalf("csv: %d rows, %v", len(rows), err)
	}
	if md := cli.ok("report", "coverage", "-o", "md", "--filter", "admins"); !strings.Contains(md, "| ") || strings.Contains(md, alexUPN) {
		t.Errorf("md --filter admins:\n%s", md)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "coverage.html")
	if stdout := cli.ok("report", "coverage", "-o", "html", "--out", out); stdout != "" {
		t.Errorf("--out also wrote to stdout: %q", stdout)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s is %v, want 0600", out, st.Mode().Perm())
	}
	page, _ := os.ReadFile(out)
	if !strings.Contains(string(page), "<html") || strings.Contains(string(page), "http://") && strings.Contains(string(page), "src=\"http") {
		t.Error("html report is not a self-contained page")
	}
	if !strings.Contains(cli.stderr.String(), "wrote "+out) {
		t.Errorf("no note of the file written: %s", cli.stderr)
	}
}

func TestReportCoverageBadInput(t *testing.T) {
	cli := newTestCLI(t)
	cli.fails(2, []string{"--source", "registry"}, "report", "coverage", "--source", "registry")
	cli.fails(2, []string{"--filter", "owners"}, "report", "coverage", "--filter", "owners")
	cli.fails(2, []string{"guests and members"}, "report", "coverage", "--filter", "guests,members")
	cli.fails(2, []string{`"yaml"`, "html"}, "report", "coverage", "-o", "yaml")
	cli.fails(2, []string{"--concurrency"}, "report", "coverage", "--concurrency", "0")
	cli.fails(2, []string{"no arguments"}, "report", "coverage", "extra")
	cli.fails(2, []string{"-o html"}, "report", "tokens", "-o", "html")
	cli.fails(2, []string{"two JSON coverage reports"}, "report", "diff", "one.json")
	cli.fails(2, []string{"no such file"}, "report", "diff", "/nonexistent/a.json", "/nonexistent/b.json")
	cli.token = "not-a-token"
	cli.fails(4, []string{"401"}, "report", "coverage")
}

// failAfter answers every request after the first n with a transport error:
// the network going away in the middle of a report.
type failAfter struct {
	next http.RoundTripper
	n    int64
	seen atomic.Int64
}

func (f *failAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.seen.Add(1) > f.n {
		return nil, errors.New("network unreachable")
	}
	return f.next.RoundTrip(r)
}

func TestReportCoverageInterruptedLeavesNoFile(t *testing.T) {
	cli := newTestCLI(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "coverage.json")
	if err := os.WriteFile(out, []byte("last quarter"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The counts and the first page get through; the rest fails.
	cli.transport = func(next http.RoundTripper) http.RoundTripper { return &failAfter{next: next, n: 4} }
	if code := cli.run("report", "coverage", "-o", "json", "--out", out); code == 0 {
		t.Fatalf("a report whose reads failed exited 0: %s", cli.stderr)
	}
	if !strings.Contains(cli.stderr.String(), "nothing written to "+out) {
		t.Errorf("stderr: %s", cli.stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != "last quarter" {
		t.Errorf("the previous file changed: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestReportCoverageWithLimitedRoles(t *testing.T) {
	cli := newTestCLI(t)
	// Reports Reader: the report, not the methods or the token inventory.
	cli.token = "mock-reports-token"
	r := cli.coverage()
	if len(r.Users) != len(mock.DemoUsers())-1 {
		t.Errorf("Reports Reader: %d users", len(r.Users))
	}
	if s := cli.stderr.String(); !strings.Contains(s, "the 1 disabled user is left out") || !strings.Contains(s, "token inventory was not read") {
		t.Errorf("stderr: %s", s)
	}
	// Authentication Administrator: methods but not the report.
	cli.token = "mock-authadmin-token"
	r = cli.coverage("--no-tokens")
	if len(r.Users) != len(mock.DemoUsers()) || r.Summary.Tokens != nil {
		t.Errorf("Authentication Administrator: %d users, tokens %+v", len(r.Users), r.Summary.Tokens)
	}
	if !strings.Contains(cli.stderr.String(), "registration report was refused") {
		t.Errorf("stderr: %s", cli.stderr)
	}
	cli.fails(4, []string{"Reports Reader"}, "report", "coverage", "--source", "registration")
}

func TestReportCoverageStats(t *testing.T) {
	cli := newTestCLI(t)
	cli.ok("report", "coverage", "-o", "csv", "--stats")
	s := cli.stderr.String()
	if !strings.Contains(s, "plan: registration for enabled users") || !strings.Contains(s, "stats: 16 users") || !strings.Contains(s, "0 throttled") {
		t.Errorf("stderr: %s", s)
	}
}

func TestReportTokens(t *testing.T) {
	cli := newTestCLI(t)
	var r struct {
		Total    int             `json:"total"`
		ByStatus json.RawMessage `json:"byStatus"`
	}
	cli.jsonOf(&r, "report", "tokens")
	if r.Total != 5 || len(r.ByStatus) == 0 {
		t.Fatalf("tokens %+v", r)
	}
	if out := cli.ok("report", "tokens"); !strings.Contains(out, "failedActivation") || !strings.Contains(out, "Contoso") {
		t.Errorf("table:\n%s", out)
	}
	cli.ok("report", "tokens", "--status", "activated", "-o", "csv")
	cli.fails(2, []string{"--status"}, "report", "tokens", "--status", "lost")
	cli.token = "mock-reports-token"
	cli.fails(4, []string{"hardware tokens"}, "report", "tokens")
}

func TestReportDiffAfterAChange(t *testing.T) {
	cli := newTestCLI(t)
	dir := t.TempDir()
	before, after := filepath.Join(dir, "before.json"), filepath.Join(dir, "after.json")
	cli.ok("report", "coverage", "-o", "json", "--out", before)
	// Diego's only method goes: he loses MFA.
	cli.ok("phone", "remove", diegoUPN, "--type", "mobile", "--yes")
	cli.ok("report", "coverage", "-o", "json", "--out", after)
	var d struct {
		Changes []struct {
			UserPrincipalName string   `json:"userPrincipalName"`
			Changes           []string `json:"changes"`
		} `json:"changes"`
	}
	cli.jsonOf(&d, "report", "diff", before, after)
	if len(d.Changes) != 1 || d.Changes[0].UserPrincipalName != diegoUPN || !strings.Contains(strings.Join(d.Changes[0].Changes, ","), "lostMfa") {
		t.Fatalf("diff %+v", d)
	}
	if out := cli.ok("report", "diff", before, after); !strings.Contains(out, diegoUPN) {
		t.Errorf("table:\n%s", out)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte("{not json"), 0o600)
	cli.fails(2, []string{"JSON coverage reports"}, "report", "diff", bad, after)
}

func TestUnknownCommandsExit2(t *testing.T) {
	cli := newTestCLI(t)
	cli.fails(2, []string{`unknown command "nosuch" for "mfactl"`}, "nosuch")
	cli.fails(2, []string{`unknown command "nosuch" for "mfactl phone"`}, "phone", "nosuch")
	cli.fails(2, []string{`did you mean "coverage"?`}, "report", "coverag")
	// A noun alone shows its commands.
	if out := cli.ok("report"); !strings.Contains(out, "coverage") || !strings.Contains(out, "diff") {
		t.Errorf("mfactl report:\n%s", out)
	}
}

func TestReportCoverageProgressOnATerminalOnly(t *testing.T) {
	cli := newTestCLI(t)
	cli.ok("report", "coverage", "-o", "csv")
	if strings.Contains(cli.stderr.String(), "Reading users") {
		t.Errorf("a progress bar without a terminal: %q", cli.stderr)
	}
	cli.tty = true
	cli.ok("report", "coverage", "-o", "csv", "--out", filepath.Join(t.TempDir(), "c.csv"))
	if s := cli.stderr.String(); !strings.Contains(s, "Reading users") || !strings.Contains(s, "plan: ") {
		t.Errorf("no progress bar or plan on a terminal: %q", s)
	}
}
