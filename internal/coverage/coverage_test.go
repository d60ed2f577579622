package coverage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/throttling"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
	"github.com/mfactl/mfactl/mock/store"
	"github.com/mfactl/mfactl/reports"
)

// tenant is an in-process mock: the demo tenant (users 0) or a synthetic
// one.
func tenant(t *testing.T, users int, seed int64, realism mock.Realism) *mock.Server {
	t.Helper()
	st := store.NewMemory()
	opts := mock.Options{Store: st, Realism: realism}
	if users > 0 {
		if _, err := mock.SeedSynthetic(st, mock.SynthOptions{Users: users, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		opts.NoSeed = true
	}
	srv, err := mock.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func client(t *testing.T, srv *mock.Server, token string) *graph.Client {
	t.Helper()
	c, err := graph.New(graph.Options{Root: mock.InProcessRoot, Credential: graph.StaticToken(token), Transport: srv.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// groundTruth computes every user's row the slow way: one request per
// user for the method list (the v1.0 SDK path of `mfactl methods list`) and
// one for the sign-in preferences, with admin status from the store.
func groundTruth(t *testing.T, srv *mock.Server, c *graph.Client) map[string]reports.Row {
	t.Helper()
	ctx := context.Background()
	roles := map[string]bool{}
	err := srv.Store().View(func(tx store.Tx) error {
		return store.ScanJSON(tx, "users", "", "", func(_ string, u struct {
			ID    string   `json:"id"`
			Roles []string `json:"roles"`
		}) (bool, error) {
			roles[u.ID] = len(u.Roles) > 0
			return true, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	truth := map[string]reports.Row{}
	var us []methods.User
	if err := c.ListUsers(ctx, graph.ListUsersOptions{PageSize: 999}, func(u methods.User) bool { us = append(us, u); return true }); err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		ms, err := c.ListMethods(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		prefs, err := c.GetSignInPreferences(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		truth[u.ID] = reports.Compute(reports.MethodsInput(u, roles[u.ID], ms, prefs.UserPreferred))
	}
	if len(truth) != len(roles) {
		t.Fatalf("%d users listed, %d stored", len(truth), len(roles))
	}
	return truth
}

// read runs a plan to the end and returns its rows by user id.
func read(t *testing.T, c *graph.Client, opts Options) (*Plan, map[string]reports.Row, []string) {
	t.Helper()
	p, err := Prepare(context.Background(), c, opts)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]reports.Row{}
	var order []string
	for in, err := range p.Inputs(context.Background()) {
		if err != nil {
			t.Fatalf("%s: %v", opts.Source, err)
		}
		r := reports.Compute(in)
		if _, dup := rows[r.ID]; dup {
			t.Fatalf("%s: user %s twice", opts.Source, r.UserPrincipalName)
		}
		rows[r.ID] = r
		order = append(order, r.ID)
	}
	return p, rows, order
}

func diffRows(t *testing.T, what string, got, want map[string]reports.Row, keep func(reports.Row) bool) {
	t.Helper()
	n, bad := 0, 0
	for id, w := range want {
		if !keep(w) {
			continue
		}
		n++
		g, ok := got[id]
		if !ok {
			t.Errorf("%s: %s missing", what, w.UserPrincipalName)
			bad++
		} else if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s: %s\n got %+v\nwant %+v", what, w.UserPrincipalName, g, w)
			bad++
		}
		if bad > 5 {
			t.Fatalf("%s: stopping after %d differences", what, bad)
		}
	}
	if len(got) != n {
		t.Errorf("%s: %d rows, want %d", what, len(got), n)
	}
}

func enabledOnly(r reports.Row) bool { return r.AccountEnabled }
func everyone(reports.Row) bool      { return true }

func TestEverySourceAgreesWithGroundTruth(t *testing.T) {
	for _, tc := range []struct {
		users int
		seed  int64
	}{{0, 0}, {1200, 1}, {2100, 7}} {
		t.Run(fmt.Sprintf("users=%d,seed=%d", tc.users, tc.seed), func(t *testing.T) {
			srv := tenant(t, tc.users, tc.seed, mock.Realism{})
			c := client(t, srv, mock.DefaultAdminToken)
			truth := groundTruth(t, srv, c)

			_, reg, _ := read(t, c, Options{Source: SourceRegistration})
			diffRows(t, "registration", reg, truth, enabledOnly)
			_, meth, order := read(t, c, Options{Source: SourceMethods, Concurrency: 3})
			diffRows(t, "methods", meth, truth, everyone)
			if !sort.StringsAreSorted(order) {
				t.Error("the methods source does not emit users in the order /users lists them (by id)")
			}
			p, auto, _ := read(t, c, Options{Source: SourceAuto, fronts: true})
			diffRows(t, "auto", auto, truth, everyone)
			if p.Fronts == nil || len(p.Parts) != 2 || p.Parts[0].Source != SourceRegistration || p.Parts[1].Source != SourceMethods {
				t.Errorf("auto plan: %+v", p.Parts)
			}
			// Unmetered, the fronts save too little: the report and the
			// disabled users' method lists.
			p, one, _ := read(t, c, Options{Source: SourceAuto})
			diffRows(t, "auto, one front", one, truth, everyone)
			if p.Fronts != nil || len(p.Parts) != 2 || p.Parts[0].Source != SourceRegistration || p.Parts[1].Scope != "disabled users" {
				t.Errorf("unmetered auto plan: %+v", p.Parts)
			}
			// The summary counts equal the ground truth's.
			acc := reports.NewAccumulator(reports.SummaryOptions{})
			for _, r := range truth {
				acc.Add(r, "truth")
			}
			want := acc.Summary()
			acc = reports.NewAccumulator(reports.SummaryOptions{})
			for _, r := range auto {
				acc.Add(r, "truth")
			}
			if got := acc.Summary(); fmt.Sprint(got.Users, got.Classes, got.Methods) != fmt.Sprint(want.Users, want.Classes, want.Methods) {
				t.Errorf("auto summary differs from ground truth:\n got %+v\nwant %+v", got.Users, want.Users)
			}
		})
	}
}

func TestFilterIsAppliedAtTheSource(t *testing.T) {
	srv := tenant(t, 1200, 3, mock.Realism{})
	c := client(t, srv, mock.DefaultAdminToken)
	truth := groundTruth(t, srv, c)
	for _, tc := range []struct {
		filter string
		keep   func(reports.Row) bool
	}{
		{"admins", func(r reports.Row) bool { return r.IsAdmin }},
		{"guests", func(r reports.Row) bool { return r.UserType == "guest" }},
		{"members,enabled", func(r reports.Row) bool { return r.UserType == "member" && r.AccountEnabled }},
	} {
		f, err := reports.ParseFilter(tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		_, rows, _ := read(t, c, Options{Source: SourceMethods, Filter: f})
		got := map[string]reports.Row{}
		for id, r := range rows {
			if f.Match(r) {
				got[id] = r
			}
		}
		diffRows(t, "methods --filter "+tc.filter, got, truth, tc.keep)
		if tc.filter != "admins" && len(got) != len(rows) {
			t.Errorf("--filter %s: %d rows fetched, %d kept: /users should have filtered", tc.filter, len(rows), len(got))
		}
		if tc.filter == "admins" && len(rows) != len(got) {
			t.Errorf("--filter admins read %d users' methods for %d admins", len(rows), len(got))
		}
	}
	// --filter enabled leaves the disabled part out of auto.
	p, err := Prepare(context.Background(), c, Options{Source: SourceAuto, Filter: reports.Filter{Enabled: true}, fronts: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Fronts == nil || p.Fronts.Disabled != 0 || strings.Contains(p.Parts[1].Scope, "disabled") {
		t.Errorf("auto --filter enabled plan: %+v", p.Parts)
	}
}

func TestAutoFallsBackWhenTheReportIsRefused(t *testing.T) {
	srv := tenant(t, 0, 0, mock.Realism{})
	admin := client(t, srv, mock.DefaultAdminToken)
	truth := groundTruth(t, srv, admin)
	// The Authentication Administrator reads methods but not the report.
	c := client(t, srv, "mock-authadmin-token")
	p, rows, _ := read(t, c, Options{Source: SourceAuto, Tokens: true, fronts: true})
	diffRows(t, "auto as Authentication Administrator", rows, truth, everyone)
	if len(p.Parts) != 1 || p.Parts[0].Source != SourceMethods {
		t.Errorf("plan after the fallback: %+v", p.Parts)
	}
	if got := p.SourceScopes(); got[SourceMethods] != "all users" || got[SourceRegistration] != "" {
		t.Errorf("scopes after the fallback: %v", got)
	}
	if !strings.Contains(strings.Join(p.Notes, "\n"), "registration report was refused") {
		t.Errorf("no note of the fallback: %q", p.Notes)
	}
	// --source registration does not fall back: the error says which access
	// was refused (cmd names its roles).
	p, err := Prepare(context.Background(), c, Options{Source: SourceRegistration})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range p.Inputs(context.Background()) {
		if err == nil {
			t.Fatal("the Authentication Administrator read the registration report")
		}
		var ge *graph.Error
		if !errors.As(err, &ge) || ge.Status != 403 || ge.Access != graph.RoleReports {
			t.Fatalf("error %v", err)
		}
		break
	}
}

func TestReportsReaderGetsEnabledUsersAndANote(t *testing.T) {
	srv := tenant(t, 0, 0, mock.Realism{})
	truth := groundTruth(t, srv, client(t, srv, mock.DefaultAdminToken))
	// Reports Reader reads the report but not anyone's methods: auto
	// leaves the disabled users out and says so.
	c := client(t, srv, "mock-reports-token")
	p, rows, _ := read(t, c, Options{Source: SourceAuto, Tokens: true, fronts: true})
	diffRows(t, "auto as Reports Reader", rows, truth, enabledOnly)
	notes := strings.Join(p.Notes, "\n")
	if !strings.Contains(notes, "the 1 disabled user is left out") || !strings.Contains(notes, "hardware token inventory") {
		t.Errorf("notes %q", notes)
	}
	if p.Tokens {
		t.Error("the Reports Reader's plan reads the token inventory")
	}
}

func TestPlanUnderThrottling(t *testing.T) {
	srv := tenant(t, 3000, 5, mock.Realism{Throttle: mock.ThrottleGraph})
	c := client(t, srv, mock.DefaultAdminToken)
	p, rows, _ := read(t, c, Options{Source: SourceAuto, Tokens: true})
	if !p.Metered {
		t.Fatal("the throttling mock's headers did not make the plan metered")
	}
	if len(rows) != p.Users {
		t.Errorf("%d rows of %d users", len(rows), p.Users)
	}
	st := c.Limiter().Stats()
	if st.Throttled != 0 {
		t.Errorf("%d requests throttled of %d: the limiter should have kept within the budgets", st.Throttled, st.Requests)
	}
	// 3,000 users fit the first window of both budgets: the fronts plan
	// no wait.
	if p.Fronts == nil || p.Fronts.Time > time.Second {
		t.Errorf("fronts plan: %+v", p.Fronts)
	}
}

func TestPlanEstimates(t *testing.T) {
	p := &Plan{Users: 100000, Disabled: 4000, Metered: true, opts: Options{Concurrency: 8}, regPage: graph.MaxPageSize}
	reg := p.registrationPart(96000)
	if reg.Requests != 97 || reg.Estimate != 190*throttling.Window/10 {
		t.Errorf("registration for 96,000 users: %+v", reg)
	}
	meth := p.methodsPart("all users", 100000)
	// 101 pages + 200,000 steps at 8,000 RU per 10 s.
	if meth.Requests != 200101 || meth.Estimate != 250*time.Second {
		t.Errorf("methods for 100,000 users: %+v", meth)
	}
	if windowsTime(5, 5) != 0 || windowsTime(6, 5) != 10*time.Second || windowsTime(11, 5) != 20*time.Second {
		t.Error("windowsTime")
	}
	if _, err := ParseSource("registry"); err == nil {
		t.Error("ParseSource took registry")
	}
}

// The registration report documents only $filter and $orderBy
// (authenticationmethodsroot-list-userregistrationdetails.md). A server
// that refuses $top (mock --strict-reports) is read without it: the report
// still completes, and the plan's estimate is redone from the page size
// the server serves.
func TestStrictReportsReadWithoutTop(t *testing.T) {
	srv := tenant(t, 1200, 1, mock.Realism{StrictReports: true})
	c := client(t, srv, mock.DefaultAdminToken)
	truth := groundTruth(t, srv, c)
	p, err := Prepare(context.Background(), c, Options{Source: SourceRegistration})
	if err != nil {
		t.Fatal(err)
	}
	enabled := p.Users - p.Disabled
	before := p.Parts[0]
	if before.Requests != (enabled+graph.MaxPageSize-1)/graph.MaxPageSize {
		t.Fatalf("planned %+v", before)
	}
	rows := map[string]reports.Row{}
	for in, err := range p.Inputs(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		r := reports.Compute(in)
		if _, dup := rows[r.ID]; dup {
			t.Fatalf("%s twice", r.UserPrincipalName)
		}
		rows[r.ID] = r
	}
	diffRows(t, "strict registration", rows, truth, enabledOnly)
	// The mock serves 100 a page without $top.
	if after := p.Parts[0]; after.Requests != (enabled+99)/100 || after.Requests <= before.Requests {
		t.Errorf("estimate did not adapt: before %+v, after %+v", before, after)
	}
	notes := strings.Join(p.Notes, "\n")
	for _, want := range []string{"refused $top", "pages of 100 users"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q lack %q", notes, want)
		}
	}
}

// Under --throttle graph,methods-as-reports the server charges per-user
// method reads to the reports budget (throttling-entra-logs-reports.md
// lists an authenticationMethod resource there). The auto plan notices at
// the first such 429 and re-plans instead of crawling at 5 requests per
// 10 s: the disabled users the report cannot list are left out with a
// note, and a plan that was reading everyone's method lists switches to
// the registration report for the enabled users without repeating anyone.
func TestMethodReadsThrottledAsReportsReplan(t *testing.T) {
	// The ground truth comes from an unthrottled server on the same store.
	plain := tenant(t, 300, 3, mock.Realism{})
	truth := groundTruth(t, plain, client(t, plain, mock.DefaultAdminToken))
	srv, err := mock.NewServer(mock.Options{Store: plain.Store(), NoSeed: true, Realism: mock.Realism{Throttle: mock.ThrottleGraphMethodsAsReports}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c := client(t, srv, mock.DefaultAdminToken)
	p, err := Prepare(context.Background(), c, Options{Source: SourceAuto, fronts: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Disabled == 0 {
		t.Fatal("the tenant needs disabled users for this test")
	}
	// Force the plan that reads every user's method list, as auto does
	// when it expects that to be faster.
	p.Parts, p.Fronts = p.methodsPlan(), nil
	rows := map[string]reports.Row{}
	for in, err := range p.Inputs(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		r := reports.Compute(in)
		if _, dup := rows[r.ID]; dup {
			t.Fatalf("%s twice", r.UserPrincipalName)
		}
		rows[r.ID] = r
	}
	if !c.Limiter().MethodReadsOnReportsBudget() {
		t.Fatal("the limiter did not learn that method reads are on the reports budget")
	}
	if !p.replanned || p.Parts[0].Source != SourceRegistration {
		t.Fatalf("not re-planned: %+v", p.Parts)
	}
	// Every enabled user, right; disabled users only as far as read.
	enabledRows := map[string]reports.Row{}
	for id, r := range rows {
		if w, ok := truth[id]; !ok || fmt.Sprint(w) != fmt.Sprint(r) {
			t.Errorf("%s: %+v, want %+v", r.UserPrincipalName, r, w)
		}
		if r.AccountEnabled {
			enabledRows[id] = r
		}
	}
	diffRows(t, "re-planned", enabledRows, truth, enabledOnly)
	notes := strings.Join(p.Notes, "\n")
	for _, want := range []string{"re-planned to registration", "disabled user(s) are left out: per-user method reads are throttled at the reports budget"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q lack %q", notes, want)
		}
	}
}
