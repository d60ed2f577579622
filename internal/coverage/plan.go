// Package coverage reads a tenant for the coverage report: it plans which
// Graph source covers which users (the registration report, or every
// user's method list through $batch), paces itself to Graph's throttling
// budgets through the client's limiter, and streams one reports.UserInput
// per user to the report pipeline, with memory that does not grow with the
// tenant.
package coverage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/permissions"
	"github.com/mfactl/mfactl/internal/plural"
	"github.com/mfactl/mfactl/internal/throttling"
	"github.com/mfactl/mfactl/reports"
)

// Sources a report can be asked to read.
const (
	SourceAuto         = "auto"
	SourceRegistration = reports.SourceRegistration
	SourceMethods      = reports.SourceMethods
)

// Sources lists the accepted --source values.
var Sources = []string{SourceAuto, SourceRegistration, SourceMethods}

// ParseSource checks a --source value.
func ParseSource(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "":
		return SourceAuto, nil
	case SourceAuto, SourceRegistration, SourceMethods:
		return v, nil
	}
	return "", fmt.Errorf("unknown source %q (want auto, registration or methods)", s)
}

// Options configure a coverage read.
type Options struct {
	// Source is auto, registration or methods.
	Source string
	// Filter is the report's --filter: rows outside it are not fetched
	// where the source can say so up front.
	Filter reports.Filter
	// Concurrency is the number of $batch requests in flight (default 8).
	Concurrency int
	// Tokens reads the hardware token inventory for the token findings.
	Tokens bool

	// fronts makes auto read two fronts even against a server that does
	// not meter requests (tests of the seam on an unthrottled mock).
	fronts bool
}

// Part is what one source covers in a plan.
type Part struct {
	Source string `json:"source"`
	// Scope says which users it covers ("enabled users").
	Scope string `json:"scope"`
	// Users is how many users it is expected to yield.
	Users int `json:"users"`
	// Requests is how many requests it needs: pages, or $batch steps plus
	// the pages of the user list.
	Requests int `json:"requests"`
	// Estimate is the time the budgets (or, unmetered, the round trips)
	// imply.
	Estimate time.Duration `json:"estimate"`
}

// Plan is how a report will be read.
type Plan struct {
	// Source is the source asked for.
	Source string `json:"source"`
	// Users, Disabled: the tenant's user counts.
	Users    int `json:"users"`
	Disabled int `json:"disabled"`
	// Metered says whether the server meters requests as Graph does (so
	// the budgets bound the run).
	Metered bool   `json:"metered"`
	Parts   []Part `json:"parts"`
	// Alternative is the other plan auto weighed, for the record.
	Alternative []Part `json:"alternative,omitempty"`
	// Reason says why auto chose what it chose.
	Reason string `json:"reason,omitempty"`
	// Tokens: the hardware token inventory is read.
	Tokens bool `json:"tokens"`
	// Notes are warnings for stderr (a part that could not be read).
	Notes []string `json:"notes,omitempty"`
	// Fronts is the two-front plan's prediction (auto), nil for a plan
	// of one front.
	Fronts *FrontsPlan `json:"fronts,omitempty"`

	client *graph.Client
	opts   Options
	rtt    time.Duration
	admins map[string]bool
	scopes map[string]string
	// regPage is the registration report's page size: the $top mfactl asks
	// for, or what the server served when it refused $top.
	regPage int
	// replanned: the plan was changed while reading (a refused source, or
	// method reads throttled at the reports budget); it changes once.
	replanned bool
	// bd is the two fronts' seam while they run.
	bd *boundary
}

// Total is how many users the plan expects to yield (before the filter's
// client-side terms).
func (p *Plan) Total() int {
	n := 0
	for _, part := range p.Parts {
		n += part.Users
	}
	return n
}

// SourceScopes describes per source what it covers, for the summary. The
// map is the plan's own: a fallback in Inputs (before any row) updates it.
func (p *Plan) SourceScopes() map[string]string {
	if p.scopes == nil {
		p.scopes = map[string]string{}
	}
	clear(p.scopes)
	for _, part := range p.Parts {
		p.scopes[part.Source] = part.Scope
	}
	return p.scopes
}

// Describe is the plan in one line for stderr.
func (p *Plan) Describe() string {
	var parts []string
	for _, part := range p.Parts {
		parts = append(parts, fmt.Sprintf("%s for %s (%s, %s, about %s)", part.Source, part.Scope, plural.Count(part.Users, "user"), plural.Count(part.Requests, "request"), roundEstimate(part.Estimate)))
	}
	s := strings.Join(parts, " + ")
	if p.Reason != "" {
		s += "; " + p.Reason
	}
	return s
}

func roundEstimate(d time.Duration) string {
	if d < time.Second {
		return "1s"
	}
	return d.Round(time.Second).String()
}

// stepsPerUser: the methods source reads two steps per user (the
// method list and signInPreferences).
const stepsPerUser = 2

// Prepare counts the tenant's users (which also tells whether the server
// meters requests, and sizes the limiter's budget) and plans the read.
func Prepare(ctx context.Context, c *graph.Client, opts Options) (*Plan, error) {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	src, err := ParseSource(opts.Source)
	if err != nil {
		return nil, err
	}
	opts.Source = src
	p := &Plan{Source: src, client: c, opts: opts, Tokens: opts.Tokens, regPage: graph.MaxPageSize}

	// The counts and the token probe are independent: one round trip.
	var wg sync.WaitGroup
	var totalErr, disabledErr, tokensErr error
	start := time.Now()
	wg.Add(2)
	go func() {
		defer wg.Done()
		p.Users, totalErr = c.CountUsers(ctx, "")
		p.rtt = time.Since(start)
	}()
	go func() {
		defer wg.Done()
		p.Disabled, disabledErr = c.CountUsers(ctx, "accountEnabled eq false")
	}()
	if opts.Tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tokensErr = p.probeTokens(ctx)
		}()
	}
	wg.Wait()
	// The first failure only: the three probes usually fail for one
	// cause (not signed in, a missing role), and one error line is read.
	for _, err := range []error{totalErr, disabledErr, tokensErr} {
		if err != nil {
			return nil, err
		}
	}
	c.Limiter().SetTenantSize(p.Users)
	p.Metered = c.Limiter().Metered()

	regPlan, methodsPlan := p.registrationPlan(), p.methodsPlan()

	switch src {
	case SourceRegistration:
		p.Parts = regPlan[:1]
		if p.Disabled > 0 && !opts.Filter.Enabled {
			p.Notes = append(p.Notes, fmt.Sprintf("the registration report leaves out disabled users: %s %s not in this report (--source auto adds them)", plural.Count(p.Disabled, "disabled user"), plural.Noun(p.Disabled, "is")))
		}
	case SourceMethods:
		p.Parts = methodsPlan
	default:
		regTime, methTime := duration(regPlan), duration(methodsPlan)
		fp := PlanFronts(p.frontsInput())
		if p.Users > 0 && (p.Metered || opts.fronts || fp.Time < min(regTime, methTime)*9/10) {
			// Both fronts at once: under the budgets never slower than
			// either alone. Unmetered (a server without Graph's
			// throttling) only the round trips bound a front, and the
			// methods front's many small reads cost the server more than
			// they save unless the plan says they save a tenth.
			p.Fronts = &fp
			p.Parts, p.Alternative = p.frontsParts(fp), regPlan
			p.Reason = fmt.Sprintf("two fronts meet at about %.0f%% of the enabled users by userPrincipalName (the registration report alone: about %s; per-user method lists alone: about %s)",
				100*fp.ReportShare(), roundEstimate(regTime), roundEstimate(methTime))
			break
		}
		if methTime < regTime {
			p.Parts, p.Alternative = methodsPlan, regPlan
			p.Reason = fmt.Sprintf("per-user method lists (about %s) beat the registration report (about %s) under the budgets", roundEstimate(methTime), roundEstimate(regTime))
		} else {
			p.Parts, p.Alternative = regPlan, methodsPlan
			p.Reason = fmt.Sprintf("the registration report (about %s) beats per-user method lists (about %s)", roundEstimate(regTime), roundEstimate(methTime))
		}
	}
	return p, nil
}

// frontsInput is what the planner needs to know of this plan's tenant,
// budgets and observations so far.
func (p *Plan) frontsInput() FrontsInput {
	in := FrontsInput{
		Enabled: p.Users - p.Disabled, Disabled: p.Disabled,
		Budgets:    Budgets{Window: throttling.Window, ReportsRequests: throttling.ReportsBudget, ResourceUnits: throttling.IdentityBudget(p.Users)},
		ReportPage: p.regPage, UsersPage: graph.MaxPageSize,
		StepsPerUser: stepsPerUser, BatchSize: graph.MaxBatchSize, Concurrency: p.opts.Concurrency,
		Metered: p.Metered, RTT: p.rtt,
	}
	if p.opts.Filter.Enabled {
		in.Disabled = 0
	}
	if p.client != nil {
		in.MethodsOnReports = p.client.Limiter().MethodReadsOnReportsBudget()
	}
	if in.MethodsOnReports && p.Source == SourceAuto {
		// Auto leaves the disabled users out then (readPartTo says so).
		in.Disabled = 0
	}
	return in
}

// frontsParts are the two fronts as plan parts.
func (p *Plan) frontsParts(fp FrontsPlan) []Part {
	scope := scopeMethodsFront
	if fp.Disabled > 0 {
		scope += ", and the disabled users"
	}
	return []Part{
		{Source: SourceRegistration, Scope: scopeReportFront, Users: fp.ReportUsers, Requests: fp.ReportRequests, Estimate: fp.ReportTime},
		{Source: SourceMethods, Scope: scope, Users: fp.MethodsUsers + fp.Disabled, Requests: fp.MethodsRequests, Estimate: fp.MethodsTime},
	}
}

// Bound is the time Graph's two budgets allow for reading this tenant
// (the planner's Bound: the best split between the fronts, without round
// trips), with the registration page size the server serves.
func (p *Plan) Bound() time.Duration { return Bound(p.frontsInput()) }

// FrontsProgress is where the two fronts stand, and the re-plan from it:
// the predicted total time and the plan of the rest. ok is false for a
// plan of one front, or before the fronts started.
func (p *Plan) FrontsProgress() (pr Progress, eta time.Duration, rest FrontsPlan, ok bool) {
	notesMu.Lock()
	bd, fronts := p.bd, p.Fronts
	in := p.frontsInput()
	notesMu.Unlock()
	if bd == nil || fronts == nil {
		return Progress{}, 0, FrontsPlan{}, false
	}
	met, _ := bd.state()
	pr = Progress{
		Elapsed:     time.Since(bd.start),
		ReportUsers: int(bd.reportUsers.Load()), MethodsUsers: int(bd.methodsUsers.Load()), DisabledUsers: int(bd.disabledUsers.Load()),
		ReportPages: int(bd.reportPages.Load()),
		Met:         met, ReportPage: in.ReportPage, RTT: p.rtt,
	}
	pr.MethodsOnReports = in.MethodsOnReports
	eta, rest = Forecast(in, pr)
	return pr, eta, rest, true
}

// registrationPlan reads the registration report for the enabled users
// and, unless the filter leaves them out, the method lists of the disabled
// users the report does not list.
func (p *Plan) registrationPlan() []Part {
	parts := []Part{p.registrationPart(p.Users - p.Disabled)}
	if p.Disabled > 0 && !p.opts.Filter.Enabled {
		parts = append(parts, p.methodsPart("disabled users", p.Disabled))
	}
	return parts
}

// methodsPlan reads every user's method list (the enabled users' only,
// with the enabled filter).
func (p *Plan) methodsPlan() []Part {
	all, scope := p.Users, "all users"
	if p.opts.Filter.Enabled {
		all, scope = p.Users-p.Disabled, "enabled users"
	}
	return []Part{p.methodsPart(scope, all)}
}

func duration(parts []Part) time.Duration {
	// Parts run concurrently and draw on different budgets.
	var d time.Duration
	for _, part := range parts {
		d = max(d, part.Estimate)
	}
	return d
}

// registrationPart plans reading the registration report for n users:
// one request per page (999 users, or what the server serves when it
// refuses $top).
func (p *Plan) registrationPart(n int) Part {
	pages := max(1, ceilDiv(n, p.regPage))
	est := time.Duration(pages) * p.rtt
	if p.Metered {
		est = max(est, windowsTime(pages, throttling.ReportsBudget))
	}
	return Part{Source: SourceRegistration, Scope: "enabled users", Users: n, Requests: pages, Estimate: est}
}

// methodsPart plans listing n users and batching two reads per user.
func (p *Plan) methodsPart(scope string, n int) Part {
	pages := max(1, ceilDiv(n, graph.MaxPageSize))
	steps := n * stepsPerUser
	batches := ceilDiv(steps, graph.MaxBatchSize)
	// Pages are sequential; batches run Concurrency at a time.
	est := time.Duration(pages)*p.rtt + time.Duration(ceilDiv(batches, p.opts.Concurrency))*p.rtt
	if p.Metered {
		// $select makes a user page cost 1 RU.
		est = max(est, windowsTime(pages+steps, throttling.IdentityBudget(p.Users)))
	}
	if p.client != nil && p.client.Limiter().MethodReadsOnReportsBudget() {
		// The server charges method reads to the reports budget.
		est = max(est, windowsTime(steps, throttling.ReportsBudget))
	}
	return Part{Source: SourceMethods, Scope: scope, Users: n, Requests: pages + steps, Estimate: est}
}

// windowsTime is how long n requests take under a sliding-window budget of
// limit per throttling.Window starting empty: limit at once, then limit more
// each time a window has passed.
func windowsTime(n, limit int) time.Duration {
	if n <= limit {
		return 0
	}
	windows := ceilDiv(n, limit) - 1
	return time.Duration(windows) * throttling.Window
}

func ceilDiv(a, b int) int {
	if b <= 0 {
		return a
	}
	return int(math.Ceil(float64(a) / float64(b)))
}

// probeTokens checks that the hardware token inventory can be read (it
// needs a policy role the report's other reads do not), so that a report
// without it says so instead of showing an empty inventory. Only a refusal
// (401, 403) or an endpoint the service lacks (404, 400: the beta
// inventory is not in every cloud) leaves the tokens out, with a note; any
// other failure, after the client's retries, is the report's error, so a
// report never silently lacks a part it was asked for.
func (p *Plan) probeTokens(ctx context.Context) error {
	q := graph.PageQuery{Beta: true, Path: "/directory/authenticationMethodDevices/hardwareOathDevices", Query: url.Values{"$top": {"1"}},
		Op: "list hardware tokens", Role: graph.RoleReadTokens}
	err := p.client.ListPages(ctx, q, func(json.RawMessage) error { return errStop })
	if err == nil || errors.Is(err, errStop) {
		return nil
	}
	switch graph.StatusOf(err) {
	case 400, 401, 403, 404:
		p.Tokens = false
		p.note("the hardware token inventory was not read, so token findings are left out: " + oneLine(err))
		return nil
	}
	return err
}

func oneLine(err error) string {
	s := err.Error()
	if h, ok := err.(interface{ HintText() string }); ok && h.HintText() != "" {
		s += " (" + h.HintText() + ")"
	}
	var ge *graph.Error
	if errors.As(err, &ge) && ge.Status == 403 {
		// The role the permissions table names for what was refused.
		if req, ok := permissions.Lookup(ge.Access); ok && len(req.Roles) > 0 {
			s += " (a signed-in person needs the role " + strings.Join(req.Roles, " or ") + ")"
		}
	}
	return s
}
