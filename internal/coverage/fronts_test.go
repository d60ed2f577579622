package coverage

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/mock"
	"github.com/mfactl/mfactl/reports"
)

// TestBoundaryTakesEachUserOnce plays the two fronts' steps in given
// interleavings over one ordered tenant and checks the seam: every user is
// taken by exactly one front, and the fronts stop where they meet.
func TestBoundaryTakesEachUserOnce(t *testing.T) {
	users := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, tc := range []struct {
		name string
		// steps: r is the report front's next user (ascending), m the
		// methods front's (descending).
		steps      string
		report     string // users the report front yields
		methods    string // users the methods front claims
		untrusted  bool
		bothReach  int // users both fronts reached (the overlap)
		reportStop bool
	}{
		{"report first, then methods meets it", "rrrrmmmmm", "abcd", "hgfe", false, 1, false},
		{"alternate: meet in the middle, both see it", "rmrmrmrmrm", "abcd", "hgfe", false, 2, true},
		{"methods far ahead: the report meets it", "mmmmmmrrrr", "ab", "hgfedc", false, 1, true},
		{"all by the report", "rrrrrrrrm", "abcdefgh", "", false, 1, false},
		{"all by the methods front", "mmmmmmmmr", "", "hgfedcba", false, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bd := newBoundary()
			ri, mi := 0, len(users)-1
			var rep, meth strings.Builder
			reportDone, methodsDone := false, false
			overlap, reportStop := 0, false
			for _, s := range tc.steps {
				switch {
				case s == 'r' && !reportDone && ri < len(users):
					u := users[ri]
					yield, met := bd.takeReport(u, u)
					switch {
					case met:
						reportDone, reportStop = true, true
						overlap++
					case yield:
						rep.WriteString(u)
						ri++
					default:
						ri++
					}
				case s == 'm' && !methodsDone && mi >= 0:
					u := users[mi]
					if !bd.claimMethods(u) {
						methodsDone = true
						overlap++
						continue
					}
					bd.sent(u, u)
					meth.WriteString(u)
					mi--
				}
			}
			if rep.String() != tc.report || meth.String() != tc.methods {
				t.Errorf("report %q, methods %q; want %q, %q", rep.String(), meth.String(), tc.report, tc.methods)
			}
			if seen := rep.String() + meth.String(); len(seen) != len(users) {
				t.Errorf("%d users taken of %d: %q", len(seen), len(users), seen)
			}
			if _, untrusted := bd.state(); untrusted != tc.untrusted {
				t.Errorf("untrusted %v", untrusted)
			}
			if overlap != tc.bothReach || reportStop != tc.reportStop {
				t.Errorf("overlap %d, report stopped %v; want %d, %v", overlap, reportStop, tc.bothReach, tc.reportStop)
			}
		})
	}
}

// A listing out of the assumed order makes the seam untrusted: the methods
// front stops claiming, and the report front skips by id what the methods
// front yielded.
func TestBoundaryOutOfOrder(t *testing.T) {
	bd := newBoundary()
	for _, u := range []string{"z", "y"} {
		if !bd.claimMethods(u) {
			t.Fatalf("claim %s", u)
		}
		bd.sent(u, u)
	}
	if bd.claimMethods("y2") { // "y2" > "y": not descending
		t.Fatal("an out-of-order claim was taken")
	}
	if _, untrusted := bd.state(); !untrusted {
		t.Fatal("not untrusted")
	}
	for _, tc := range []struct {
		u     string
		yield bool
	}{{"a", true}, {"y", false}, {"y2", true}, {"z", false}} {
		if yield, met := bd.takeReport(tc.u, tc.u); yield != tc.yield || met {
			t.Errorf("report %s: yield %v met %v", tc.u, yield, met)
		}
	}
}

// slowReports delays every registration report request (the reports
// budget's pace, shrunk) and can refuse $orderby on it, as a server that
// does not support it would.
type slowReports struct {
	next          http.RoundTripper
	delay         time.Duration
	refuseOrderBy bool
	requests      atomic.Int64
}

func (s *slowReports) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "/reports/") {
		s.requests.Add(1)
		if s.refuseOrderBy && r.URL.Query().Get("$orderby") != "" {
			body := `{"error":{"code":"BadRequest","message":"Query option '$orderby' is not supported."}}`
			return &http.Response{StatusCode: 400, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)),
				Request: r, ContentLength: int64(len(body))}, nil
		}
		time.Sleep(s.delay)
	}
	return s.next.RoundTrip(r)
}

func slowClient(t *testing.T, srv *mock.Server, rt *slowReports) *graph.Client {
	t.Helper()
	rt.next = srv.Transport()
	c, err := graph.New(graph.Options{Root: mock.InProcessRoot, Credential: graph.StaticToken(mock.DefaultAdminToken), Transport: rt})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFrontsSeam reads a tenant with both fronts well under way (the
// report's pages slowed down, 100 users each) and compares every row with
// --source methods: one row per user, the same row whichever front read
// it, users on both sides of the seam, and users both fronts reached.
func TestFrontsSeam(t *testing.T) {
	srv := tenant(t, 1500, 11, mock.Realism{})
	_, want, _ := read(t, client(t, srv, mock.DefaultAdminToken), Options{Source: SourceMethods})
	for _, filter := range []string{"", "guests"} {
		t.Run("filter="+filter, func(t *testing.T) {
			f, err := reports.ParseFilter(filter)
			if err != nil {
				t.Fatal(err)
			}
			c := slowClient(t, srv, &slowReports{delay: 30 * time.Millisecond})
			p, err := Prepare(context.Background(), c, Options{Source: SourceAuto, Filter: f, fronts: true})
			if err != nil {
				t.Fatal(err)
			}
			p.regPage = 100
			rows := map[string]reports.Row{}
			for in, err := range p.Inputs(context.Background()) {
				if err != nil {
					t.Fatal(err)
				}
				r := reports.Compute(in)
				if _, dup := rows[r.ID]; dup {
					t.Fatalf("%s twice", r.UserPrincipalName)
				}
				if f.Match(r) {
					rows[r.ID] = r
				}
			}
			diffRows(t, "two fronts", rows, want, f.Match)
			pr, _, _, ok := p.FrontsProgress()
			if !ok || pr.ReportUsers == 0 || pr.MethodsUsers == 0 || pr.DisabledUsers == 0 {
				t.Errorf("not both fronts: %+v", pr)
			}
			if !pr.Met {
				t.Errorf("the fronts did not meet: %+v", pr)
			}
			if pr.ReportPages*100 <= pr.ReportUsers {
				t.Errorf("the report front never reached the methods front's users: %+v", pr)
			}
			if len(p.Notes) > 0 {
				t.Errorf("notes: %q", p.Notes)
			}
		})
	}
}

// A server that refuses $orderby on the report: auto reads the report in
// its own order and the disabled users through their method lists, as
// before the two fronts, and says so.
func TestFrontsDegradeWhenOrderByIsRefused(t *testing.T) {
	srv := tenant(t, 1200, 5, mock.Realism{})
	_, want, _ := read(t, client(t, srv, mock.DefaultAdminToken), Options{Source: SourceMethods})
	c := slowClient(t, srv, &slowReports{refuseOrderBy: true})
	p, rows, _ := read(t, c, Options{Source: SourceAuto, fronts: true})
	diffRows(t, "degraded", rows, want, everyone)
	if p.Fronts != nil || len(p.Parts) != 2 || p.Parts[0].Source != SourceRegistration || p.Parts[1].Scope != "disabled users" {
		t.Errorf("plan after $orderby was refused: %+v", p.Parts)
	}
	if notes := strings.Join(p.Notes, "\n"); !strings.Contains(notes, "refused $orderby") {
		t.Errorf("notes %q", notes)
	}
	if _, _, _, ok := p.FrontsProgress(); ok {
		t.Error("a degraded plan reports fronts")
	}
}

// Under --throttle graph,methods-as-reports the methods front gives its
// unread users back at the first 429 and the report front reads them.
func TestFrontsGiveBackWhenMethodReadsAreOnTheReportsBudget(t *testing.T) {
	plain := tenant(t, 300, 3, mock.Realism{})
	_, want, _ := read(t, client(t, plain, mock.DefaultAdminToken), Options{Source: SourceMethods})
	srv, err := mock.NewServer(mock.Options{Store: plain.Store(), NoSeed: true, Realism: mock.Realism{Throttle: mock.ThrottleGraphMethodsAsReports}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c := slowClient(t, srv, &slowReports{delay: 300 * time.Millisecond})
	p, err := Prepare(context.Background(), c, Options{Source: SourceAuto, fronts: true})
	if err != nil {
		t.Fatal(err)
	}
	p.regPage = 150
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
	diffRows(t, "given back", rows, want, enabledOnly)
	notes := strings.Join(p.Notes, "\n")
	for _, w := range []string{"the registration report reads the rest of the enabled users", "disabled user(s) are left out"} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes %q lack %q", notes, w)
		}
	}
}
