package coverage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/plural"
	"github.com/mfactl/mfactl/internal/throttling"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/reports"
)

// bufferedRows bounds how many rows of a later part are read ahead while
// an earlier part is still streaming: enough to keep both sources busy,
// small enough that memory does not grow with the tenant.
const bufferedRows = 4096

type row struct {
	in  reports.UserInput
	err error
}

// Inputs streams one input per user, part after part (each part in the
// order its source lists users), reading the parts concurrently. The first
// error ends the stream. In auto mode a registration report the caller may
// not read (403) is replaced, before anything was yielded, by the method
// lists of every user, and a note says so.
func (p *Plan) Inputs(ctx context.Context) iter.Seq2[reports.UserInput, error] {
	if p.Fronts != nil {
		return p.frontsInputs(ctx)
	}
	parent := ctx
	return func(yield func(reports.UserInput, error) bool) {
		ctx, cancel := context.WithCancel(parent)
		defer cancel()
		var wg sync.WaitGroup
		defer wg.Wait()
		chans := make([]chan row, len(p.Parts))
		for i := range p.Parts {
			chans[i] = make(chan row, bufferedRows)
			wg.Add(1)
			go func(part Part, out chan row) {
				defer wg.Done()
				defer close(out)
				p.readPart(ctx, part, out)
			}(p.Parts[i], chans[i])
		}
		yielded := false
		// Users already yielded, kept only while a re-plan can still
		// happen (see replanThrottled), so the new plan skips them.
		var seen map[string]bool
		if p.canReplanThrottled() {
			seen = map[string]bool{}
		}
		for i, ch := range chans {
			for r := range ch {
				if errors.Is(r.err, errReplan) {
					cancel()
					wg.Wait()
					p.replanThrottled()
					for in, err := range p.Inputs(parent) {
						if err == nil && seen[in.User.ID] {
							continue
						}
						if !yield(in, err) || err != nil {
							return
						}
					}
					return
				}
				if r.err != nil && !yielded && i == 0 && p.Source == SourceAuto && p.Parts[0].Source == SourceRegistration && graph.StatusOf(r.err) == 403 {
					// Fall back to the method lists of everyone.
					cancel()
					wg.Wait()
					p.fallBack(r.err)
					for in, err := range p.Inputs(parent) {
						if !yield(in, err) || err != nil {
							return
						}
					}
					return
				}
				if r.err != nil {
					yield(reports.UserInput{}, r.err)
					return
				}
				yielded = true
				if seen != nil {
					seen[r.in.User.ID] = true
				}
				if !yield(r.in, nil) {
					return
				}
			}
		}
	}
}

// frontsInputs streams the rows of the two fronts (and the disabled
// users) in the order they arrive.
func (p *Plan) frontsInputs(parent context.Context) iter.Seq2[reports.UserInput, error] {
	return func(yield func(reports.UserInput, error) bool) {
		ctx, cancel := context.WithCancel(parent)
		defer cancel()
		out := make(chan row, bufferedRows)
		notesMu.Lock()
		p.bd = newBoundary()
		notesMu.Unlock()
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer close(out)
			p.readFronts(ctx, out)
		}()
		defer func() {
			cancel()
			for range out {
			}
			<-done
		}()
		for r := range out {
			if r.err != nil {
				yield(reports.UserInput{}, r.err)
				return
			}
			if !yield(r.in, nil) {
				return
			}
		}
	}
}

// throttledRead ends a methods read whose steps the server throttles at
// the reports budget; sent users were already handed on.
type throttledRead struct{ sent int }

func (e *throttledRead) Error() string {
	return "coverage: per-user method reads are throttled at the reports budget"
}

// errReplan ends a methods part whose reads turned out to be throttled at
// the reports budget, so Inputs re-plans (replanThrottled).
var errReplan = errors.New("coverage: method reads are throttled at the reports budget")

// canReplanThrottled: an auto plan that reads every user's method list
// may still switch to the registration report.
func (p *Plan) canReplanThrottled() bool {
	return p.Source == SourceAuto && !p.replanned && len(p.Parts) == 1 && p.Parts[0].Source == SourceMethods
}

// replanThrottled switches an auto plan from every user's method list to
// the registration report (plus the disabled users' method lists), once
// the server was seen to charge method reads to the reports budget of 5
// requests per 10 s: two reads a user at that rate would crawl, while the
// report reads 999 users a request. The throttling page lists an
// authenticationMethod resource under the reports limit
// (includes/throttling-entra-logs-reports.md); the docs leave
// open which URLs it covers, so the planner learns it from the 429s.
func (p *Plan) replanThrottled() {
	p.replanned = true
	old := p.Parts
	p.Parts = p.registrationPlan()
	p.Alternative = old
	p.Reason = "per-user method reads are throttled at the reports budget, so the registration report is read instead"
	p.SourceScopes()
	p.note(fmt.Sprintf("per-user method reads were throttled at the reports budget (%d requests per %d s, 429 RequestLimitExceeded): re-planned to %s (about %s instead of about %s)",
		throttling.ReportsBudget, int(throttling.Window/time.Second), p.Describe(), roundEstimate(duration(p.Parts)), roundEstimate(duration(p.methodsPlan()))))
}

// fallBack replaces the plan's parts with the methods source for everyone.
func (p *Plan) fallBack(err error) {
	n, scope := p.Users, "all users"
	if p.opts.Filter.Enabled {
		n, scope = p.Users-p.Disabled, "enabled users"
	}
	p.Alternative = p.Parts
	p.Parts = []Part{p.methodsPart(scope, n)}
	p.Reason = "the registration report cannot be read, so every user's method list is read instead"
	p.SourceScopes()
	p.Notes = append(p.Notes, "the registration report was refused ("+oneLine(err)+"): reading every user's method list instead")
}

func (p *Plan) readPart(ctx context.Context, part Part, out chan<- row) {
	p.readPartTo(ctx, part, func(r row) bool {
		select {
		case out <- r:
			return true
		case <-ctx.Done():
			return false
		}
	})
}

// readPartTo reads one part, handing each row (or the error that ends
// it) to send.
func (p *Plan) readPartTo(ctx context.Context, part Part, send func(row) bool) {
	var err error
	switch {
	case part.Source == SourceRegistration:
		err = p.readRegistration(ctx, send)
	case part.Scope == "disabled users":
		err = p.readMethods(ctx, p.listFiltered("accountEnabled eq false"), p.Source == SourceAuto, send)
	default:
		err = p.readMethods(ctx, p.listFiltered(p.serverFilter()), p.canReplanThrottled(), send)
	}
	var tr *throttledRead
	if errors.As(err, &tr) && part.Scope == "disabled users" {
		// The registration report cannot list them, and reading them at
		// the reports budget would crawl: the auto plan leaves the rest
		// out and says so, as it does when their reads are refused.
		p.note(fmt.Sprintf("%d of the %d disabled user(s) are left out: per-user method reads are throttled at the reports budget (%d requests per %d s, 429 RequestLimitExceeded), so reading them would take about %s (--source methods reads them anyway)",
			part.Users-tr.sent, part.Users, throttling.ReportsBudget, int(throttling.Window/time.Second), roundEstimate(windowsTime((part.Users-tr.sent)*stepsPerUser, throttling.ReportsBudget))))
		return
	}
	if tr != nil {
		err = errReplan
	}
	if err != nil && p.Source == SourceAuto && part.Scope == "disabled users" && graph.StatusOf(err) == 403 {
		// The report's reader may not read methods: the enabled users
		// are still worth a report, and the note says what is missing.
		p.note(fmt.Sprintf("the %s %s left out: the registration report does not list them and their method lists were refused (%s)", plural.Count(part.Users, "disabled user"), plural.Noun(part.Users, "is"), oneLine(err)))
		return
	}
	if err != nil && ctx.Err() == nil {
		send(row{err: err})
	}
}

// serverFilter is the part of --filter /users can apply itself.
func (p *Plan) serverFilter() string {
	var terms []string
	f := p.opts.Filter
	if f.Enabled {
		terms = append(terms, "accountEnabled eq true")
	}
	if f.Guests {
		terms = append(terms, "userType eq 'Guest'")
	}
	if f.Members {
		terms = append(terms, "userType eq 'Member'")
	}
	return strings.Join(terms, " and ")
}

// errStop ends a listing when the consumer went away.
var errStop = errors.New("coverage: stopped")

// readRegistration pages through userRegistrationDetails, 999 users a
// request. The report has no accountEnabled and leaves out disabled users,
// so every user in it is enabled.
//
// The report's page documents only $filter and $orderBy
// (api-reference/v1.0/api/authenticationmethodsroot-list-userregistrationdetails.md);
// $top is an optimisation Graph honours in practice. A server that refuses
// it is read again without it, and the plan's estimate is redone from the
// page size it actually serves.
func (p *Plan) readRegistration(ctx context.Context, send func(row) bool) error {
	enabled := true
	unknown := map[string]bool{}
	q := graph.PageQuery{
		Path:  "/reports/authenticationMethods/userRegistrationDetails",
		Query: url.Values{"$top": {strconv.Itoa(p.regPage)}},
		Op:    "read the registration report", Role: graph.RoleReports,
	}
	withoutTop := false
	pages, firstPage := 0, 0
	onPage := func(values json.RawMessage) error {
		var page []reports.RegistrationDetails
		if err := json.Unmarshal(values, &page); err != nil {
			return fmt.Errorf("decode the registration report: %w", err)
		}
		pages++
		switch {
		case pages == 1:
			firstPage = len(page)
		case pages == 2 && withoutTop && firstPage > 0:
			// A second page: the first was a full page of the server's size.
			p.adaptRegistrationPage(firstPage)
		}
		for _, d := range page {
			in, unk := d.Input(&enabled)
			for _, u := range unk {
				unknown[u] = true
			}
			if !send(row{in: in}) {
				return errStop
			}
		}
		return nil
	}
	err := p.client.ListPages(ctx, q, onPage)
	if err != nil && pages == 0 && graph.RefusedQueryOption(err, "$top") {
		withoutTop = true
		q.Query = nil
		p.note("the registration report refused $top (" + oneLine(err) + "): reading it in the pages the server chooses")
		err = p.client.ListPages(ctx, q, onPage)
	}
	if len(unknown) > 0 {
		var names []string
		for u := range unknown {
			names = append(names, u)
		}
		p.note(fmt.Sprintf("the registration report lists method types mfactl does not know (counted as unknown): %s", strings.Join(names, ", ")))
	}
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

var notesMu, adminsMu sync.Mutex

// adaptRegistrationPage redoes the registration part's estimate for the
// page size the server serves.
func (p *Plan) adaptRegistrationPage(size int) {
	notesMu.Lock()
	p.regPage = size
	var before, after Part
	if p.Fronts != nil {
		fp := PlanFronts(p.frontsInput())
		before, after = p.Parts[0], p.frontsParts(fp)[0]
		p.Fronts, p.Parts = &fp, p.frontsParts(fp)
	}
	for i := range p.Parts {
		if p.Fronts != nil {
			break
		}
		if p.Parts[i].Source == SourceRegistration {
			before = p.Parts[i]
			p.Parts[i] = p.registrationPart(before.Users)
			after = p.Parts[i]
		}
	}
	notesMu.Unlock()
	if after.Source != "" {
		p.note(fmt.Sprintf("the server serves the registration report in pages of %d users: %d requests (about %s) instead of %d (about %s)",
			size, after.Requests, roundEstimate(after.Estimate), before.Requests, roundEstimate(before.Estimate)))
	}
}

func (p *Plan) note(s string) {
	notesMu.Lock()
	p.Notes = append(p.Notes, s)
	notesMu.Unlock()
}

// pendingUser collects the two batch answers of one user.
type pendingUser struct {
	user  methods.User
	ms    []methods.Method
	pref  methods.DefaultMethod
	got   int
	skip  bool
	index int
}

// The keys of a user's two batch items; errors read "read the methods of
// UPN: ...".
const (
	methodsKey = "methods of "
	prefsKey   = "sign-in preferences of "
)

// userLister calls fn for each user of a listing until fn returns false.
type userLister func(ctx context.Context, fn func(methods.User) bool) error

// listFiltered lists the users matching an OData filter ("" for all).
func (p *Plan) listFiltered(filter string) userLister {
	return func(ctx context.Context, fn func(methods.User) bool) error {
		return p.client.ListUsers(ctx, graph.ListUsersOptions{Filter: filter, PageSize: graph.MaxPageSize}, fn)
	}
}

// readMethods lists the users (list) and reads each one's method
// list and sign-in preferences through $batch, concurrently, emitting
// users in the order they were listed.
//
// replan (an auto plan) ends the read with a *throttledRead when the
// server turns out to throttle method reads at the reports budget.
func (p *Plan) readMethods(ctx context.Context, list userLister, replan bool, send func(row) bool) error {
	admins, err := p.adminIDs(ctx)
	if err != nil {
		return err
	}
	var (
		mu      sync.Mutex
		pending = map[int]*pendingUser{}
		byKey   = map[string]*pendingUser{}
		next    int // the next index to emit
		listErr error
	)
	var throttledOut atomic.Bool
	giveUp := func() {}
	items := func(yield func(graph.BatchItem) bool) {
		i := 0
		listErr = list(ctx, func(u methods.User) bool {
			if replan && p.client.Limiter().MethodReadsOnReportsBudget() {
				// Another read learned it first: the limiter would pace
				// these reads at the reports budget, without a 429.
				giveUp()
				return false
			}
			if p.opts.Filter.Admins && !admins[u.ID] {
				// Not in the report: no need to read the user's methods.
				return true
			}
			pu := &pendingUser{user: u, index: i}
			mk, pk := methodsKey+u.UserPrincipalName, prefsKey+u.UserPrincipalName
			mu.Lock()
			pending[i] = pu
			byKey[mk], byKey[pk] = pu, pu
			mu.Unlock()
			i++
			return yield(graph.BatchItem{Key: mk, Request: p.client.MethodListRequest(u.ID)}) &&
				yield(graph.BatchItem{Key: pk, Request: p.client.SignInPreferencesRequest(u.ID)})
		})
	}
	flush := func() bool {
		for {
			pu, ok := pending[next]
			if !ok || pu.got < stepsPerUser {
				return true
			}
			delete(pending, next)
			next++
			if pu.skip {
				continue
			}
			if !send(row{in: reports.MethodsInput(pu.user, admins[pu.user.ID], pu.ms, pu.pref)}) {
				return false
			}
		}
	}
	opts := graph.BatchOptions{Beta: true, Concurrency: p.opts.Concurrency, Op: "read the", Role: graph.RoleReadMethods}
	// In an auto plan, method reads the server throttles at the reports
	// budget end this read at the first such 429 (the limiter learns it
	// from the 429's x-ms-throttle-information), for Inputs to re-plan
	// rather than crawl at 5 requests per 10 s.
	if replan {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		giveUp = func() {
			throttledOut.Store(true)
			cancel()
		}
		opts.OnThrottle = func(time.Duration) {
			if p.client.Limiter().MethodReadsOnReportsBudget() {
				giveUp()
			}
		}
	}
	err = p.client.Batch(ctx, items, opts, func(r graph.BatchResult) error {
		if throttledOut.Load() {
			return errReplan
		}
		mu.Lock()
		pu := byKey[r.Key]
		delete(byKey, r.Key)
		mu.Unlock()
		if pu == nil {
			return fmt.Errorf("coverage: no user for batch item %q", r.Key)
		}
		var err error
		switch {
		case r.Err != nil && graph.StatusOf(r.Err) == 404:
			// Deleted since it was listed: not in the tenant any more.
			pu.skip = true
		case r.Err != nil:
			return r.Err
		case strings.HasPrefix(r.Key, methodsKey):
			if pu.ms, err = graph.DecodeMethodList(r.Body); err != nil {
				return fmt.Errorf("%s: %w", pu.user.UserPrincipalName, err)
			}
		default:
			prefs, err := graph.DecodeSignInPreferences(r.Body)
			if err != nil {
				return fmt.Errorf("%s: %w", pu.user.UserPrincipalName, err)
			}
			pu.pref = prefs.UserPreferred
		}
		pu.got++
		mu.Lock()
		defer mu.Unlock()
		if !flush() {
			return errStop
		}
		return nil
	})
	if throttledOut.Load() {
		return &throttledRead{sent: next}
	}
	if errors.Is(err, errStop) || (err != nil && ctx.Err() != nil) {
		return nil
	}
	if err != nil {
		return err
	}
	if listErr != nil {
		return listErr
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pending) > 0 {
		return fmt.Errorf("coverage: %s got no answer", plural.Count(len(pending), "user"))
	}
	return nil
}

// adminIDs is the set of admins (graph.Client.AdminIDs), read once per
// plan.
func (p *Plan) adminIDs(ctx context.Context) (map[string]bool, error) {
	adminsMu.Lock()
	defer adminsMu.Unlock()
	if p.admins != nil {
		return p.admins, nil
	}
	admins, err := p.client.AdminIDs(ctx)
	if err != nil {
		return nil, err
	}
	p.admins = admins
	return admins, nil
}

// TokenSource streams the hardware token inventory, or is nil when the plan
// does not read it.
func (p *Plan) TokenSource(ctx context.Context) iter.Seq2[methods.HardwareToken, error] {
	if !p.Tokens {
		return nil
	}
	return func(yield func(methods.HardwareToken, error) bool) {
		stopped := false
		err := p.client.ListHardwareTokens(ctx, graph.HardwareTokenFilter{}, func(t methods.HardwareToken) bool {
			if !yield(t, nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(methods.HardwareToken{}, err)
		}
	}
}
