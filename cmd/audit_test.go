package cmd

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/mock"
)

// auditRecords reads the test tenant's audit log.
func (c *testCLI) auditRecords() []audit.Record {
	c.t.Helper()
	var rs []audit.Record
	c.jsonOf(&rs, "audit", "log")
	return rs
}

// The emulator's admin actions on a user are changes too: recorded.
func TestMockBlockAndUnblockAreRecorded(t *testing.T) {
	cli := newTestCLI(t)
	cli.ok("mock", "verification", alexUPN)
	cli.ok("mock", "block", alexUPN)
	cli.ok("mock", "unblock", alexUPN)
	rs := cli.auditRecords()
	if len(rs) != 2 || rs[0].Command != "mfactl mock block "+alexUPN ||
		rs[1].Command != "mfactl mock unblock "+alexUPN || rs[1].Outcome != audit.OutcomeSucceeded || rs[1].Actor.UPN != "mfa.admin@contoso.example" {
		t.Errorf("records: %+v", rs)
	}
}

// Every mutating verb leaves one record; reads and dry runs leave none.
func TestEveryChangeIsRecorded(t *testing.T) {
	cli := newTestCLI(t)
	cli.ok("user", "show", adeleUPN)
	cli.ok("phone", "add", alexUPN, "+14255550180", "--dry-run")
	cli.ok("phone", "add", alexUPN, "+14255550180", "--ticket", "INC-42")
	cli.ok("sessions", "revoke", alexUPN, "--yes")
	cli.ok("tap", "create", alexUPN, "--lifetime", "1h")
	cli.stdin = "Correct-Horse-Battery-9\n"
	cli.ok("password", "reset", alexUPN, "--password-stdin", "--yes")
	cli.fails(1, []string{"defaultMethodInUse"}, "authenticator", "remove", adeleUPN, "--yes")
	cli.token = mock.AuthAdminToken
	cli.fails(4, []string{"403"}, "authenticator", "remove", meganUPN, "--device", "Surface Duo", "--yes")

	rs := cli.auditRecords()
	if len(rs) != 6 {
		t.Fatalf("%d records: %+v", len(rs), rs)
	}
	add := rs[0]
	if add.Actor.UPN != "mfa.admin@contoso.example" || add.Actor.Source != "me" || add.Tenant != "contoso.example" || add.Ticket != "INC-42" ||
		add.Command != "mfactl phone add alex.wilber@contoso.example +14255550180 --ticket INC-42" || add.Outcome != audit.OutcomeSucceeded || add.ExitCode != 0 {
		t.Errorf("add %+v", add)
	}
	var body bytes.Buffer
	if len(add.Requests) == 1 {
		_ = json.Compact(&body, add.Requests[0].Body)
	}
	if len(add.Requests) != 1 || add.Requests[0].Method != "POST" || add.Requests[0].Status != 201 || !strings.Contains(body.String(), `"phoneNumber":"+1 4255550180"`) {
		t.Errorf("add requests %+v", add.Requests)
	}
	if len(add.Targets) != 1 || add.Targets[0].UPN != alexUPN || len(add.Targets[0].Before) != 1 || len(add.Targets[0].After) != 2 {
		t.Errorf("add targets %+v", add.Targets)
	}
	if rs[1].Requests[0].URL == "" || !strings.HasSuffix(rs[1].Requests[0].URL, "/revokeSignInSessions") {
		t.Errorf("revoke %+v", rs[1])
	}
	// Secrets never reach the log: not the pass, not the password.
	raw, err := os.ReadFile(filepath.Join(os.Getenv("XDG_STATE_HOME"), "mfactl", audit.DefaultFileName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("Correct-Horse")) || !bytes.Contains(raw, []byte(`{\"newPassword\":\"[REDACTED]\"}`)) && !bytes.Contains(raw, []byte(`"body":{"newPassword":"[REDACTED]"}`)) {
		t.Errorf("password in the log or not redacted")
	}
	if rs[4].Outcome != audit.OutcomeFailed || rs[4].ExitCode != 1 || !strings.Contains(rs[4].Error, "defaultMethodInUse") || rs[4].Requests[0].Status != 400 {
		t.Errorf("refused %+v", rs[4])
	}
	denied := rs[5]
	if denied.Actor.UPN != "helpdesk@contoso.example" || denied.ExitCode != 4 || denied.Requests[0].Status != 403 || !strings.Contains(denied.Error, "Privileged Authentication Administrator") {
		t.Errorf("denied %+v", denied)
	}
	if len(denied.Targets) != 1 || denied.Targets[0].UPN != meganUPN || len(denied.Targets[0].Before) != len(denied.Targets[0].After) {
		t.Errorf("denied targets %+v", denied.Targets)
	}

	// Filters, and the other formats.
	var some []audit.Record
	cli.jsonOf(&some, "audit", "log", "--ticket", "inc-42")
	if len(some) != 1 {
		t.Errorf("ticket filter: %d", len(some))
	}
	cli.jsonOf(&some, "audit", "log", "--user", meganUPN)
	if len(some) != 1 || some[0].Seq != 12 || some[0].Intent != 11 {
		t.Errorf("user filter: %+v", some)
	}
	cli.jsonOf(&some, "audit", "log", "--since", "1h")
	if len(some) != 6 {
		t.Errorf("since 1h: %d", len(some))
	}
	cli.jsonOf(&some, "audit", "log", "--since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if len(some) != 0 {
		t.Errorf("since the future: %d", len(some))
	}
	out := cli.ok("audit", "log", "-o", "csv")
	if !strings.HasPrefix(out, "seq,time,actor,tenant,command,targets,ticket,outcome,writes,error\n2,") || strings.Count(out, "\n") != 7 {
		t.Errorf("csv:\n%s", out)
	}
	out = cli.ok("audit", "log")
	if !strings.Contains(out, "#2 ") || !strings.Contains(out, "mfactl sessions revoke alex.wilber@contoso.example --yes") || !strings.Contains(out, "-> 403") {
		t.Errorf("table:\n%s", out)
	}
	out = cli.ok("audit", "verify")
	// Six runs, each an intent and an outcome record.
	if !strings.Contains(out, "12 records, chain intact; head ") {
		t.Errorf("verify: %s", out)
	}
	cli.fails(cmdutil.ExitUsage, []string{"--since \"soon\" is neither a duration"}, "audit", "log", "--since", "soon")
	cli.fails(cmdutil.ExitUsage, []string{"--ticket must be one line"}, "phone", "add", alexUPN, "+14255550181", "--ticket", "a\nb")
}

// A damaged log stops every mutating verb before the tenant changes, and
// verify names the first bad line.
func TestDamagedAuditLogStopsChanges(t *testing.T) {
	cli := newTestCLI(t)
	path := filepath.Join(t.TempDir(), "audit.log")
	t.Setenv("MFACTL_AUDIT_LOG", path)
	cli.ok("phone", "add", alexUPN, "+14255550180")
	cli.ok("sessions", "revoke", alexUPN, "--yes")
	b, _ := os.ReadFile(path)
	lines := bytes.SplitAfter(b, []byte("\n"))
	os.WriteFile(path, lines[0], 0o600)
	before := cli.state()
	cli.fails(1, []string{"nothing was changed: audit log " + path + " is damaged", "record 4 was written", "mfactl audit verify"},
		"phone", "remove", alexUPN, "--type", "mobile", "--yes")
	if !bytes.Equal(before, cli.state()) {
		t.Fatal("a change went through a damaged audit log")
	}
	cli.ok("phone", "remove", alexUPN, "--type", "mobile", "--dry-run")
	cli.fails(1, []string{"audit log " + path + ": line 2: records 2 to 4 were removed from the end"}, "audit", "verify")
	var v chainCheckView
	if code := cli.run("audit", "verify", "-o", "json"); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if err := json.Unmarshal(cli.stdout.Bytes(), &v); err != nil || v.Intact || v.Records != 1 || !strings.Contains(v.Problem, "removed from the end") {
		t.Fatalf("%+v %v", v, err)
	}
	// A copy is verified with --file.
	cli.ok("audit", "verify", "--file", filepath.Join(t.TempDir(), "none.log"))
	if !strings.Contains(cli.stdout.String(), "no records yet") {
		t.Errorf("%s", cli.stdout)
	}
}

// killTransport copies the audit log and its head file the moment the
// first write reaches the tenant: what a kill -9 right then would leave.
type killTransport struct {
	next     http.RoundTripper
	log, dst string
	done     bool
}

func (k *killTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := k.next.RoundTrip(req)
	if req.Method != http.MethodGet && !k.done {
		k.done = true
		for _, suffix := range []string{"", ".head"} {
			if b, rerr := os.ReadFile(k.log + suffix); rerr == nil {
				_ = os.WriteFile(k.dst+suffix, b, 0o600)
			}
		}
	}
	return resp, err
}

// A run killed after its first write leaves an intent record that `audit
// log` shows as started with its outcome unknown; a run that ends
// completes its intent, which `audit log` then folds into the outcome.
func TestKilledRunLeavesIntent(t *testing.T) {
	cli := newTestCLI(t)
	dir := t.TempDir()
	path, killed := filepath.Join(dir, "audit.log"), filepath.Join(dir, "killed.log")
	t.Setenv("MFACTL_AUDIT_LOG", path)
	kt := &killTransport{log: path, dst: killed}
	cli.transport = func(next http.RoundTripper) http.RoundTripper { kt.next = next; return kt }
	cli.ok("phone", "add", alexUPN, "+14255550180", "--ticket", "INC-7")

	var rs []audit.Record
	cli.jsonOf(&rs, "audit", "log", "--file", killed)
	if len(rs) != 1 || rs[0].Kind != audit.KindIntent || rs[0].Outcome != audit.OutcomeStarted || rs[0].Ticket != "INC-7" ||
		rs[0].Command != "mfactl phone add "+alexUPN+" +14255550180 --ticket INC-7" || rs[0].Actor.UPN != "mfa.admin@contoso.example" ||
		len(rs[0].Targets) != 1 || rs[0].Targets[0].UPN != alexUPN {
		t.Fatalf("after the kill: %+v", rs)
	}
	out := cli.ok("audit", "log", "--file", killed)
	if !strings.Contains(out, "#1 ") || !strings.Contains(out, "STARTED, OUTCOME UNKNOWN") || !strings.Contains(out, "no record of how it ended") {
		t.Errorf("table after the kill:\n%s", out)
	}
	if out := cli.ok("audit", "log", "--file", killed, "-o", "csv"); !strings.Contains(out, ","+outcomeUnknown+",") {
		t.Errorf("csv after the kill:\n%s", out)
	}
	cli.ok("audit", "verify", "--file", killed)

	// The run itself went on and completed its intent.
	cli.jsonOf(&rs, "audit", "log")
	if len(rs) != 1 || rs[0].Kind != audit.KindCommand || rs[0].Seq != 2 || rs[0].Intent != 1 || rs[0].Outcome != audit.OutcomeSucceeded {
		t.Fatalf("after the run: %+v", rs)
	}
	if out := cli.ok("audit", "log"); strings.Contains(out, "UNKNOWN") {
		t.Errorf("a completed intent is shown:\n%s", out)
	}
	// A dry run and a refused input write nothing, not even an intent.
	cli.ok("phone", "add", alexUPN, "+14255550181", "--dry-run")
	cli.fails(cmdutil.ExitUsage, nil, "phone", "add", alexUPN, "not-a-number")
	if res, err := audit.Open(path).Scan(nil); err != nil || res.Records != 2 {
		t.Errorf("records: %+v %v", res, err)
	}
}

// `audit head` prints the anchor; `audit verify --anchor` finds a log cut
// at its end with its head file rewritten, which the chain alone cannot.
func TestAuditHeadAndAnchor(t *testing.T) {
	cli := newTestCLI(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	t.Setenv("MFACTL_AUDIT_LOG", path)
	cli.fails(1, []string{"has no records yet"}, "audit", "head")
	cli.ok("phone", "add", alexUPN, "+14255550180")
	var hv headView
	cli.jsonOf(&hv, "audit", "head")
	if hv.Seq != 2 || len(hv.Hash) != 64 || hv.Anchor != "2:"+hv.Hash || hv.Path != path {
		t.Fatalf("head %+v", hv)
	}
	if out := cli.ok("audit", "head"); out != hv.Anchor+"\n" {
		t.Errorf("head table %q", out)
	}
	anchorFile := filepath.Join(dir, "anchor.json")
	cli.ok("audit", "head", "-o", "json")
	if err := os.WriteFile(anchorFile, cli.stdout.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	cli.ok("sessions", "revoke", alexUPN, "--yes")
	for _, a := range []string{anchorFile, hv.Anchor, hv.Hash} {
		if out := cli.ok("audit", "verify", "--anchor", a); !strings.Contains(out, "4 records, chain intact") || !strings.Contains(out, "holds the anchored record") {
			t.Errorf("%s: %s", a, out)
		}
	}
	// Cut back to the first record and write a head file that matches it.
	lines := bytes.SplitAfter(b, []byte("\n"))
	var first audit.Record
	_ = json.Unmarshal(lines[0], &first)
	os.WriteFile(path, lines[0], 0o600)
	os.WriteFile(path+".head", []byte(`{"seq":1,"hash":"`+first.Hash+`"}`), 0o600)
	cli.ok("audit", "verify")
	cli.fails(1, []string{"the anchored record 2 is not in the log, which ends at record 1"}, "audit", "verify", "--anchor", anchorFile)
	cli.fails(cmdutil.ExitUsage, []string{"--anchor: the anchor's hash must be 64 lower-case hex digits"}, "audit", "verify", "--anchor", "2:abc")
	cli.fails(cmdutil.ExitUsage, []string{"--anchor ./nope.json: no such file"}, "audit", "verify", "--anchor", "./nope.json")
}

func TestParseSince(t *testing.T) {
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"24h", now.Add(-24 * time.Hour), false},
		{"7d", now.AddDate(0, 0, -7), false},
		{"1 week", now.AddDate(0, 0, -7), false},
		{"2025-06-02", time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC), false},
		{"2025-06-02 09:30", time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC), false},
		{"2025-06-02T09:00:00+02:00", time.Date(2025, 6, 2, 7, 0, 0, 0, time.UTC), false},
		{"yesterday", time.Time{}, true},
		{"", time.Time{}, true},
		{"90", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := parseSince(tt.in, now, time.UTC)
		if (err != nil) != tt.err || !got.Equal(tt.want) {
			t.Errorf("%q: %v %v", tt.in, got, err)
		}
	}
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"24h", "2025-06-02", "7 days", "2025-06-02T09:00:00Z"} {
		f.Add(s)
	}
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSince(s, now, time.UTC)
		if err == nil && got.IsZero() {
			t.Fatalf("%q: zero time without an error", s)
		}
	})
}

// A $batch is recorded by its write steps, each with its own URL, redacted
// body and status; a batch of reads (the coverage report) is a read.
func TestBatchedWritesAreRecordedStepByStep(t *testing.T) {
	cli := newTestCLI(t)
	dir := t.TempDir()
	csvFile := dir + "/tokens.csv"
	const seedA, seedB = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU"
	if err := os.WriteFile(csvFile, []byte("upn,serial number,secret key,time interval,manufacturer,model\n"+
		alexUPN+",AUD-1,"+seedA+",30,Contoso,OTP\n,AUD-2,"+seedB+",30,Contoso,OTP\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli.ok("report", "coverage", "--source", "methods", "-o", "csv")
	if rs := cli.auditRecords(); len(rs) != 0 {
		t.Fatalf("a read-only report left %d audit record(s): %+v", len(rs), rs)
	}
	cli.ok("token", "import", csvFile)
	rs := cli.auditRecords()
	if len(rs) != 1 {
		t.Fatalf("%d records", len(rs))
	}
	var creates []audit.Request
	for _, r := range rs[0].Requests {
		if strings.HasSuffix(r.URL, "/$batch") {
			t.Errorf("the batch itself was recorded: %+v", r)
		}
		if r.Method == "POST" && strings.HasSuffix(r.URL, "/beta/directory/authenticationMethodDevices/hardwareOathDevices") {
			creates = append(creates, r)
		}
	}
	if len(creates) != 2 {
		t.Fatalf("want the 2 creates as requests, got %+v", rs[0].Requests)
	}
	for _, r := range creates {
		var body bytes.Buffer
		_ = json.Compact(&body, r.Body)
		if r.Status != 201 || !strings.Contains(body.String(), `"secretKey":"[REDACTED]"`) || !strings.Contains(body.String(), `"serialNumber":"AUD-`) {
			t.Errorf("create %+v", r)
		}
	}
	raw, _ := os.ReadFile(os.Getenv("XDG_STATE_HOME") + "/mfactl/audit.log")
	if strings.Contains(string(raw), seedA) || strings.Contains(string(raw), seedB) {
		t.Error("a seed is in the audit log")
	}
}
