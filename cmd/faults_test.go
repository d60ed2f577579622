package cmd

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/config"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
	"github.com/mfactl/mfactl/mock/store"
)

// Goal tests of issue 12: under the mock's injected faults (--fail-rate,
// with a fixed --fail-seed) and throttling, commands finish with the output
// of a fault-free run, nothing is applied twice, and every reported
// outcome is true of the tenant afterwards.

// faultTenant is a synthetic tenant served twice from one store: cli runs
// commands through the knobs, truth reads the store without them.
type faultTenant struct {
	cli   *testCLI
	truth *graph.Client
}

func newFaultTenant(t *testing.T, users int, synthSeed int64, realism mock.Realism) *faultTenant {
	t.Helper()
	st := store.NewMemory()
	if _, err := mock.SeedSynthetic(st, mock.SynthOptions{Users: users, Seed: synthSeed}); err != nil {
		t.Fatal(err)
	}
	srv, err := mock.NewServer(mock.Options{Store: st, NoSeed: true, Realism: realism})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	plain, err := mock.NewServer(mock.Options{Store: st, NoSeed: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	truth, err := graph.New(graph.Options{Root: mock.InProcessRoot, Credential: graph.StaticToken(mock.DefaultAdminToken), Transport: plain.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("MFACTL_CONFIG", t.TempDir()+"/config.yaml")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	return &faultTenant{cli: &testCLI{t: t, srv: srv, store: st, token: mock.DefaultAdminToken}, truth: truth}
}

// faultCounter counts the answers the client met that were failures (a
// 5xx, a dropped connection), so a test knows its run met some.
type faultCounter struct {
	n atomic.Int64
}

// countingTransport counts into f the failures its requests meet.
type countingTransport struct {
	next http.RoundTripper
	f    *faultCounter
}

func (c countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	f := c.f
	resp, err := c.next.RoundTrip(req)
	if err != nil || resp.StatusCode >= 500 {
		f.n.Add(1)
	}
	if err == nil && strings.HasSuffix(req.URL.Path, "/$batch") {
		b, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		if rerr == nil {
			f.n.Add(int64(len(innerFailures.FindAllIndex(b, -1))))
		}
	}
	return resp, err
}

var innerFailures = regexp.MustCompile(`"status":\s*5\d\d`)

// counting makes the tenant's CLI count the failures it meets.
func (ft *faultTenant) counting() *faultCounter {
	fc := &faultCounter{}
	ft.cli.transport = func(next http.RoundTripper) http.RoundTripper {
		return countingTransport{next: next, f: fc}
	}
	return fc
}

// exec runs one command on its own streams (safe from several goroutines).
func (c *testCLI) exec(args ...string) (int, string, string) {
	ios, _, out, errOut := iostreams.Test()
	code := Execute(context.Background(), c.factory(ios), args)
	return code, out.String(), errOut.String()
}

var generatedAt = regexp.MustCompile(`"generatedAt":\s*"[^"]*"`)

// TestReportCoverageUnderFaults: every source of `report coverage` gives
// the fault-free report (rows, summary, sources, tokens) under 5 % faults,
// and under Graph's throttling plus faults.
func TestReportCoverageUnderFaults(t *testing.T) {
	const users, synthSeed = 400, 11
	knobs := map[string]mock.Realism{
		"faults":              {FailRate: 0.05, FailSeed: 5},
		"throttling + faults": {FailRate: 0.05, FailSeed: 9, Throttle: mock.ThrottleGraph},
	}
	want, wantRaw := map[string]string{}, map[string]string{}
	clean := newFaultTenant(t, users, synthSeed, mock.Realism{})
	for _, src := range []string{"auto", "registration", "methods"} {
		code, out, errOut := clean.cli.exec("report", "coverage", "--source", src, "-o", "json")
		if code != 0 {
			t.Fatalf("fault-free %s: exit %d %s", src, code, errOut)
		}
		want[src], wantRaw[src] = generatedAt.ReplaceAllString(out, ""), out
		if !strings.Contains(want[src], `"part": "tokens"`) && !strings.Contains(want[src], `"part":"tokens"`) {
			t.Fatalf("fault-free %s: no token inventory in the sources:\n%.2000s", src, out)
		}
	}
	for name, realism := range knobs {
		for _, src := range []string{"auto", "registration", "methods"} {
			t.Run(name+"/"+src, func(t *testing.T) {
				// A fresh server per run: its faults are the seed's first
				// draws, whatever ran before. A source that needs only a
				// few requests (registration: about 6) can draw no fault
				// at 5 %, so the next seeds are tried until a run meets
				// one; every run's report must be the fault-free one.
				var code int
				var out, errOut string
				for try := range uint64(20) {
					r := realism
					r.FailSeed += try
					ft := newFaultTenant(t, users, synthSeed, r)
					fc := ft.counting()
					code, out, errOut = ft.cli.exec("report", "coverage", "--source", src, "-o", "json", "--stats")
					if code != 0 || fc.n.Load() > 0 {
						break
					}
					if try == 19 {
						t.Errorf("20 runs met no fault: the test shows nothing")
					}
				}
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errOut)
				}
				got, w := generatedAt.ReplaceAllString(out, ""), want[src]
				if src == "auto" {
					// Under the budgets auto reads two fronts: the rows
					// arrive in another order (so do the findings' first
					// users), from other sources.
					got, w = arrivalFree(t, out), arrivalFree(t, wantRaw[src])
				}
				if got != w {
					t.Errorf("the report differs from the fault-free one:\n%s", firstDifference(got, w))
				}
				t.Logf("%s", errOut)
			})
		}
	}
}

// arrivalFree is a JSON coverage report without what depends on the order
// rows arrive in and the sources that read them: its rows sorted, the
// findings' sample users and the sources left out.
func arrivalFree(t *testing.T, report string) string {
	t.Helper()
	var doc struct {
		Users   []json.RawMessage          `json:"users"`
		Summary map[string]json.RawMessage `json:"summary"`
	}
	report = generatedAt.ReplaceAllString(report, `"generatedAt": ""`)
	if err := json.Unmarshal([]byte(report), &doc); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(doc.Users, func(a, b json.RawMessage) int { return bytes.Compare(a, b) })
	delete(doc.Summary, "sources")
	var findings map[string]map[string]json.RawMessage
	if err := json.Unmarshal(doc.Summary["findings"], &findings); err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		delete(f, "subjects")
	}
	b, err := json.Marshal(findings)
	if err != nil {
		t.Fatal(err)
	}
	doc.Summary["findings"] = b
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// firstDifference shows where two long strings part.
func firstDifference(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-200)
	return fmt.Sprintf("got  …%.400s\nwant …%.400s", got[from:], want[from:])
}

// importFile writes a seed file of n tokens; the first rows are assigned
// to users (one each), the rest stay unassigned.
func importFile(t *testing.T, n int, upns []string) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("upn,serial number,secret key,time interval,manufacturer,model\n")
	for i := range n {
		key := make([]byte, 20)
		for j := range key {
			key[j] = byte(rng.UintN(256))
		}
		upn := ""
		if i < len(upns) {
			upn = upns[i]
		}
		fmt.Fprintf(&b, "%s,FT-%05d,%s,30,Contoso,OTP-C200\n", upn, i, base32.StdEncoding.EncodeToString(key))
	}
	return writeFile(t, "tokens.csv", b.String())
}

// importUsers are members of the tenant with room for one more OATH method
// and no hardware token yet.
func importUsers(t *testing.T, c *graph.Client, limit int) []string {
	t.Helper()
	ctx := context.Background()
	var all []methods.User
	if err := c.ListUsers(ctx, graph.ListUsersOptions{PageSize: 999}, func(u methods.User) bool { all = append(all, u); return true }); err != nil {
		t.Fatal(err)
	}
	var upns []string
	for _, u := range all {
		if u.IsGuest() || len(upns) == limit {
			continue
		}
		ms, err := c.ListMethods(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		hw, err := c.ListHardwareOathMethods(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		oath := 0
		for _, m := range ms {
			if m.Kind == methods.KindAuthenticator || m.Kind == methods.KindSoftwareOath {
				oath++
			}
		}
		if oath <= 2 && len(hw) == 0 {
			upns = append(upns, u.UserPrincipalName)
		}
	}
	return upns
}

var importIDs = regexp.MustCompile(`"id":\s*"[^"]*",?\s*`)

// TestTokenImportUnderFaults: a 2,000-row import with users reports what
// a fault-free import reports, row by row, and the inventory holds every
// token once, assigned as the file says.
func TestTokenImportUnderFaults(t *testing.T) {
	const users, synthSeed, rows = 300, 4, 2000
	clean := newFaultTenant(t, users, synthSeed, mock.Realism{})
	upns := importUsers(t, clean.truth, 250)
	if len(upns) < 100 {
		t.Fatalf("only %d users to assign tokens to", len(upns))
	}
	file := importFile(t, rows, upns)
	code, out, errOut := clean.cli.exec("token", "import", file, "-o", "json")
	if code != 0 {
		t.Fatalf("fault-free import: exit %d %s", code, errOut)
	}
	want := importIDs.ReplaceAllString(out, "")
	for name, realism := range map[string]mock.Realism{
		"faults":              {FailRate: 0.05, FailSeed: 3},
		"throttling + faults": {FailRate: 0.05, FailSeed: 8, Throttle: mock.ThrottleGraph},
	} {
		t.Run(name, func(t *testing.T) {
			ft := newFaultTenant(t, users, synthSeed, realism)
			fc := ft.counting()
			code, out, errOut := ft.cli.exec("token", "import", file, "-o", "json")
			t.Logf("%d failed answers met", fc.n.Load())
			if fc.n.Load() == 0 {
				t.Errorf("the run met no fault: the test shows nothing")
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if got := importIDs.ReplaceAllString(out, ""); got != want {
				t.Errorf("the import's report differs from the fault-free one:\n%s", firstDifference(got, want))
			}
			var res importResult
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatal(err)
			}
			// Every reported outcome is true of the inventory.
			inv := map[string][]methods.HardwareToken{}
			if err := ft.truth.ListHardwareTokens(context.Background(), graph.HardwareTokenFilter{}, func(tok methods.HardwareToken) bool {
				inv[tok.SerialNumber] = append(inv[tok.SerialNumber], tok)
				return true
			}); err != nil {
				t.Fatal(err)
			}
			ids := map[string]string{}
			for _, upn := range upns {
				u, err := ft.truth.GetUser(context.Background(), upn)
				if err != nil {
					t.Fatal(err)
				}
				ids[strings.ToLower(upn)] = u.ID
			}
			for _, row := range res.Rows {
				got := inv[row.SerialNumber]
				switch {
				case row.Outcome != "imported":
					t.Errorf("line %d: %s %s", row.Line, row.Outcome, row.Detail)
				case len(got) != 1:
					t.Errorf("line %d: %d tokens with serial %s", row.Line, len(got), row.SerialNumber)
				case got[0].ID != row.ID:
					t.Errorf("line %d: reported id %s, the inventory has %s", row.Line, row.ID, got[0].ID)
				case row.UPN != "" && (got[0].AssignedTo == nil || got[0].AssignedTo.ID != ids[strings.ToLower(row.UPN)]):
					t.Errorf("line %d: not assigned to %s: %+v", row.Line, row.UPN, got[0].AssignedTo)
				}
			}
			if len(res.Rows) != rows {
				t.Errorf("%d rows, want %d", len(res.Rows), rows)
			}
		})
	}
}

// TestPhoneAddUnderHeavyFaults: 40 `phone add` with 20 % of requests
// failing all succeed, each phone exists once, and the audit log records
// each as succeeded (a lost answer is re-read, not reported as failed).
// The rate is 20 %, not the 30 % of the bug's reproduction: the client
// tries a read 7 times, and at 30 % one of a run's ~200 reads fails all
// seven about once in 25 runs (0.3^7 x 200), a true failure the command
// reports as such but not what this test is about; at 20 % that is about
// once in 400 runs.
func TestPhoneAddUnderHeavyFaults(t *testing.T) {
	ft := newFaultTenant(t, 200, 5, mock.Realism{FailRate: 0.2, FailSeed: 7})
	var candidates []methods.User
	if err := ft.truth.ListUsers(context.Background(), graph.ListUsersOptions{PageSize: 999}, func(u methods.User) bool {
		candidates = append(candidates, u)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	var targets []methods.User
	for _, u := range candidates {
		if len(targets) == 40 || u.IsGuest() {
			continue
		}
		ms, err := ft.truth.ListMethods(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slicesContainsPhone(ms, methods.PhoneOffice) {
			targets = append(targets, u)
		}
	}
	if len(targets) != 40 {
		t.Fatalf("%d users without an office phone", len(targets))
	}
	fc := ft.counting()
	var wg sync.WaitGroup
	results := make([]string, len(targets))
	sem := make(chan struct{}, 8)
	for i, u := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			code, _, errOut := ft.cli.exec("phone", "add", u.UserPrincipalName, fmt.Sprintf("+1 42555502%02d", i), "--type", "office")
			if code != 0 {
				results[i] = fmt.Sprintf("exit %d: %s", code, errOut)
			}
		}()
	}
	wg.Wait()
	for i, u := range targets {
		if results[i] != "" {
			t.Errorf("%s: %s", u.UserPrincipalName, results[i])
		}
		ms, err := ft.truth.ListMethods(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range ms {
			if m.Kind == methods.KindPhone && m.PhoneType == methods.PhoneOffice {
				n++
				if want := fmt.Sprintf("+1 42555502%02d", i); m.PhoneNumber != want {
					t.Errorf("%s: office phone %s, want %s", u.UserPrincipalName, m.PhoneNumber, want)
				}
			}
		}
		if n != 1 {
			t.Errorf("%s: %d office phones", u.UserPrincipalName, n)
		}
	}
	t.Logf("%d failed answers met", fc.n.Load())
	if fc.n.Load() < 20 {
		t.Errorf("only %d failed answers met", fc.n.Load())
	}
	// The audit log: one record per command, each succeeded.
	code, out, errOut := ft.cli.exec("audit", "log", "-o", "json")
	if code != 0 {
		t.Fatalf("audit log: exit %d %s", code, errOut)
	}
	var recs []struct {
		Command string `json:"command"`
		Outcome string `json:"outcome"`
	}
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("%v: %.500s", err, out)
	}
	added := 0
	for _, r := range recs {
		if strings.Contains(r.Command, "phone add") {
			added++
			if r.Outcome != "succeeded" {
				t.Errorf("audit: %s: %s", r.Command, r.Outcome)
			}
		}
	}
	if added != 40 {
		t.Errorf("%d audit records of phone add, want 40 (state dir %s)", added, config.StateDir())
	}
}

func slicesContainsPhone(ms []methods.Method, t methods.PhoneType) bool {
	for _, m := range ms {
		if m.Kind == methods.KindPhone && m.PhoneType == t {
			return true
		}
	}
	return false
}

// alwaysThrottled answers every request whose path contains part with a
// 429 (a short Retry-After), as a service that keeps refusing it.
type alwaysThrottled struct {
	next http.RoundTripper
	part string
}

func (a alwaysThrottled) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.Contains(req.URL.Path, a.part) {
		return a.next.RoundTrip(req)
	}
	body := `{"error":{"code":"TooManyRequests","message":"Too many requests (test)"}}`
	return &http.Response{StatusCode: 429, Request: req, Body: io.NopCloser(strings.NewReader(body)),
		Header: http.Header{"Content-Type": {"application/json"}, "Retry-After": {"0.01"}}}, nil
}

// TestReportCoverageNeedsEveryPart: a report whose token inventory cannot
// be read for a reason other than a refusal fails (after the client's
// retries) instead of finishing without the tokens; a refusal (403) leaves
// them out with a note, as before.
func TestReportCoverageNeedsEveryPart(t *testing.T) {
	for _, src := range []string{"registration", "methods"} {
		t.Run(src, func(t *testing.T) {
			cli := newTestCLI(t)
			cli.transport = func(next http.RoundTripper) http.RoundTripper {
				return alwaysThrottled{next: next, part: "hardwareOathDevices"}
			}
			code := cli.run("report", "coverage", "--source", src, "-o", "json")
			if code == 0 || !strings.Contains(cli.stderr.String(), "hardware tokens") {
				t.Errorf("exit %d: %s", code, cli.stderr)
			}
		})
	}
}
