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

	client *graph.Client
	opts   Options
	rtt    time.Duration
	admins map[string]bool
	scopes map[string]string
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
	p := &Plan{Source: src, client: c, opts: opts, Tokens: opts.Tokens}

	// The counts and the token probe are independent: one round trip.
	var wg sync.WaitGroup
	var totalErr, disabledErr error
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
			p.probeTokens(ctx)
		}()
	}
	wg.Wait()
	if err := errors.Join(totalErr, disabledErr); err != nil {
		return nil, err
	}
	c.Limiter().SetTenantSize(p.Users)
	p.Metered = c.Limiter().Metered()

	enabled := p.Users - p.Disabled
	regPlan := []Part{p.registrationPart(enabled)}
	if p.Disabled > 0 && !opts.Filter.Enabled {
		regPlan = append(regPlan, p.methodsPart("disabled users", p.Disabled))
	}
	all, scope := p.Users, "all users"
	if opts.Filter.Enabled {
		all, scope = enabled, "enabled users"
	}
	methodsPlan := []Part{p.methodsPart(scope, all)}

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

func duration(parts []Part) time.Duration {
	// Parts run concurrently and draw on different budgets.
	var d time.Duration
	for _, part := range parts {
		d = max(d, part.Estimate)
	}
	return d
}

// registrationPart plans reading the registration report for n users:
// one request per page of 999.
func (p *Plan) registrationPart(n int) Part {
	pages := max(1, ceilDiv(n, graph.MaxPageSize))
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
// without it says so instead of showing an empty inventory.
func (p *Plan) probeTokens(ctx context.Context) {
	q := graph.PageQuery{Beta: true, Path: "/directory/authenticationMethodDevices/hardwareOathDevices", Query: url.Values{"$top": {"1"}},
		Op: "list hardware tokens", Role: graph.RolePolicy}
	err := p.client.ListPages(ctx, q, func(json.RawMessage) error { return errStop })
	if err != nil && !errors.Is(err, errStop) {
		p.Tokens = false
		p.note("the hardware token inventory was not read, so token findings are left out: " + oneLine(err))
	}
}

func oneLine(err error) string {
	s := err.Error()
	if h, ok := err.(interface{ HintText() string }); ok && h.HintText() != "" {
		s += " (" + h.HintText() + ")"
	}
	return s
}
