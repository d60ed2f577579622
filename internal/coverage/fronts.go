package coverage

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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

// The two fronts (auto): the registration report read in ascending
// userPrincipalName order and, at the same time, every other user's method
// list read through $batch from the other end of the order, each front at
// the pace of its own budget (the client's limiter), meeting where their
// rates say. The fetchers here only run the fronts; the planner
// (planner.go) predicts where they meet and re-plans from Progress.
//
// The seam is a shared boundary, by lower-cased userPrincipalName: the
// report front has covered every enabled user up to a, the methods front
// has claimed every user from b up. Under one lock the report front yields
// a user only below b, the methods front claims one only above a, so no
// user is yielded by both. A user both fronts reach is the methods front's
// when it claimed the user first, the report's otherwise: one row, and the
// same row either way, since each source's rows equal the tenant's (the
// per-source tests). The fronts stop where they meet: the report front at
// its first row at or above b, the methods front at its first user at or
// below a.
//
// The docs do not say by which collation Graph sorts userPrincipalName;
// UPNs are case-insensitive, so the fronts compare them lower-cased, and
// check as they go that each listing is in that order. A listing out of
// that order stops the methods front and the report is read to its end,
// skipping the users the methods front yielded (a set kept of their ids).

// frontKey is a userPrincipalName as the fronts compare them.
func frontKey(upn string) string { return strings.ToLower(upn) }

// idKey is a user id as the yielded set holds it: 16 bytes for a GUID.
type idKey struct {
	guid [16]byte
	s    string
}

func keyOfID(id string) idKey {
	var k idKey
	if graph.IsObjectID(id) {
		if _, err := hex.Decode(k.guid[:], []byte(strings.ReplaceAll(id, "-", ""))); err == nil {
			return k
		}
	}
	return idKey{s: id}
}

// boundary is the seam of the two fronts.
type boundary struct {
	mu         sync.Mutex
	a, b       string // a: report front's highest key; b: methods front's lowest claim
	aSet, bSet bool
	met        bool
	// untrusted: a listing was seen out of order; the report front
	// reads to its end and skips the methods front's users by id.
	untrusted bool
	// lastSent is the key of the last user the methods front yielded,
	// to give back its unread claims when it stops early.
	lastSent    string
	anySent     bool
	sentIDs     map[idKey]struct{}
	methodsDone chan struct{}
	// started is closed when the report front's first page arrived (or
	// the report front gave up): the methods front starts then, so a
	// refused report falls back before any row.
	started     chan struct{}
	startedOnce sync.Once

	reportUsers, methodsUsers, disabledUsers atomic.Int64
	reportPages                              atomic.Int64
	start                                    time.Time
}

func newBoundary() *boundary {
	return &boundary{sentIDs: map[idKey]struct{}{}, methodsDone: make(chan struct{}), started: make(chan struct{}), start: time.Now()}
}

func (bd *boundary) startMethods() { bd.startedOnce.Do(func() { close(bd.started) }) }

// takeReport decides a report row: yield it, skip it (the methods front
// yielded the user), or stop (the fronts met).
func (bd *boundary) takeReport(id, key string) (yield, stop bool) {
	bd.mu.Lock()
	defer bd.mu.Unlock()
	if !bd.untrusted && bd.bSet && key >= bd.b {
		bd.met = true
		return false, true
	}
	if _, dup := bd.sentIDs[keyOfID(id)]; dup {
		return false, false
	}
	if bd.aSet && key <= bd.a {
		bd.untrusted = true
	}
	if !bd.aSet || key > bd.a {
		bd.a, bd.aSet = key, true
	}
	return true, false
}

// claimMethods claims a user for the methods front, or says the fronts
// met (or the order is not to be trusted).
func (bd *boundary) claimMethods(key string) bool {
	bd.mu.Lock()
	defer bd.mu.Unlock()
	if bd.met || bd.untrusted {
		return false
	}
	if bd.aSet && key <= bd.a {
		bd.met = true
		return false
	}
	if bd.bSet && key >= bd.b {
		// Out of descending order.
		bd.untrusted = true
		return false
	}
	bd.b, bd.bSet = key, true
	return true
}

func (bd *boundary) sent(id, key string) {
	bd.mu.Lock()
	bd.sentIDs[keyOfID(id)] = struct{}{}
	bd.lastSent, bd.anySent = key, true
	bd.mu.Unlock()
}

// giveBack returns the methods front's claims it did not yield to the
// report front: b moves back up to the last user it yielded.
func (bd *boundary) giveBack() {
	bd.mu.Lock()
	bd.b, bd.bSet = bd.lastSent, bd.anySent
	bd.met = false
	bd.mu.Unlock()
}

func (bd *boundary) state() (met, untrusted bool) {
	bd.mu.Lock()
	defer bd.mu.Unlock()
	return bd.met, bd.untrusted
}

// readFronts runs the fronts and the disabled users' method lists, all
// sending to out, and degrades where the server refuses what they need.
func (p *Plan) readFronts(ctx context.Context, out chan<- row) {
	var sendCtx context.Context
	send := func(r row) bool {
		select {
		case out <- r:
			return true
		case <-sendCtx.Done():
			return false
		}
	}
	bd := p.bd
	parent := ctx
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	sendCtx = ctx
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	run := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				errs <- err
				cancel()
			}
		}()
	}
	// The report front starts; the methods front and the disabled users
	// once its first page is in.
	reportErr := make(chan error, 1)
	go func() { reportErr <- p.readReportFront(ctx, bd, send) }()
	// The methods front needs the admins first: read them meanwhile
	// (adminIDs keeps them for the plan).
	go func() { _, _ = p.adminIDs(ctx) }()
	var reportDone *error
	select {
	case <-bd.started:
	case err := <-reportErr:
		select {
		case <-bd.started:
			// Its first page came: the report front is done already.
			reportDone = &err
		default:
			bd.startMethods()
			if err := p.frontsDegrade(ctx, err, send); err != nil {
				sendCtx = parent
				send(row{err: err})
			}
			return
		}
	}
	if p.Disabled > 0 && !p.opts.Filter.Enabled {
		run(func() error {
			p.readPartTo(ctx, Part{Source: SourceMethods, Scope: "disabled users", Users: p.Disabled}, func(r row) bool {
				if r.err == nil {
					bd.disabledUsers.Add(1)
				}
				return send(r)
			})
			return nil
		})
	}
	run(func() error {
		defer close(bd.methodsDone)
		return p.readMethodsFront(ctx, bd, send)
	})
	run(func() error {
		if reportDone != nil {
			return *reportDone
		}
		return <-reportErr
	})
	wg.Wait()
	close(errs)
	if err, ok := <-errs; ok {
		// The first error ends the read; the consumer is still reading.
		sendCtx = parent
		send(row{err: err})
		return
	}
	if _, untrusted := bd.state(); untrusted {
		p.note("the server's userPrincipalName order is not the one the two fronts assume (lower-case, ordinal): the registration report was read to its end instead of to where the fronts met")
	}
	if n := int(bd.reportUsers.Load() + bd.methodsUsers.Load()); p.opts.Filter == (reports.Filter{}) && n != p.Users-p.Disabled {
		p.note(fmt.Sprintf("the two fronts read %s where the tenant counted %d enabled (users added or removed during the read)", plural.Count(n, "enabled user"), p.Users-p.Disabled))
	}
}

// frontsDegrade answers a report front that failed on its first page,
// before any row: a refused report (403) is replaced by every user's
// method list, a refused $orderby by the report in the server's order
// plus the disabled users (the plan of one front); other errors are the
// report's.
func (p *Plan) frontsDegrade(ctx context.Context, err error, send func(row) bool) error {
	notesMu.Lock()
	p.Fronts = nil
	notesMu.Unlock()
	switch {
	case graph.StatusOf(err) == 403:
		p.fallBack(err)
	case graph.RefusedQueryOption(err, "$orderby") || graph.RefusedQueryOption(err, "$orderBy"):
		p.Alternative = p.Parts
		p.Parts = p.registrationPlan()
		p.Reason = "the registration report refused $orderby, so it is read in the server's order and the disabled users through their method lists"
		p.SourceScopes()
		p.note("the registration report refused $orderby (" + oneLine(err) + "): the two fronts need it, so the report is read in the server's order instead (about " + roundEstimate(duration(p.Parts)) + ")")
	default:
		return err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, part := range p.Parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.readPartTo(ctx, part, func(r row) bool {
				if r.err != nil {
					mu.Lock()
					if first == nil {
						first = r.err
					}
					mu.Unlock()
					return false
				}
				return send(r)
			})
		}()
	}
	wg.Wait()
	return first
}

// readReportFront reads the registration report in ascending
// userPrincipalName order: $orderBy is one of the two query options the
// report documents ("This method supports only the $filter and $orderBy
// OData query parameters", api-reference/v1.0/api/authenticationmethodsroot-list-userregistrationdetails.md),
// and userPrincipalName is one of its sortable properties
// (api-reference/v1.0/resources/userregistrationdetails.md). $top is read
// as in readRegistration: dropped, with a note, when the server refuses it.
func (p *Plan) readReportFront(ctx context.Context, bd *boundary, send func(row) bool) error {
	enabled := true
	unknown := map[string]bool{}
	q := graph.PageQuery{
		Path:  "/reports/authenticationMethods/userRegistrationDetails",
		Query: url.Values{"$top": {strconv.Itoa(p.regPage)}, "$orderby": {"userPrincipalName"}},
		Op:    "read the registration report", Role: graph.RoleReports,
	}
	withoutTop := false
	firstPage := 0
	stop := errors.New("met")
	onPage := func(values json.RawMessage) error {
		var page []reports.RegistrationDetails
		if err := json.Unmarshal(values, &page); err != nil {
			return fmt.Errorf("decode the registration report: %w", err)
		}
		pages := bd.reportPages.Add(1)
		switch {
		case pages == 1:
			firstPage = len(page)
			bd.startMethods()
		case pages == 2 && withoutTop && firstPage > 0:
			p.adaptRegistrationPage(firstPage)
		}
		for _, d := range page {
			key := frontKey(d.UserPrincipalName)
			yield, met := bd.takeReport(d.ID, key)
			if met {
				// The methods front claimed this user. It may still give
				// its unread claims back (refused or throttled reads):
				// wait for it to finish, then look again.
				select {
				case <-bd.methodsDone:
				case <-ctx.Done():
					return ctx.Err()
				}
				if yield, met = bd.takeReport(d.ID, key); met {
					return stop
				}
			}
			if _, untrusted := bd.state(); untrusted {
				// Out of order: settle the methods front's claims into
				// the set of ids it yielded, then read on by id.
				select {
				case <-bd.methodsDone:
				case <-ctx.Done():
					return ctx.Err()
				}
				yield, _ = bd.takeReport(d.ID, key)
			}
			if !yield {
				continue
			}
			in, unk := d.Input(&enabled)
			for _, u := range unk {
				unknown[u] = true
			}
			bd.reportUsers.Add(1)
			if !send(row{in: in}) {
				return errStop
			}
		}
		return nil
	}
	err := p.client.ListPages(ctx, q, onPage)
	if err != nil && bd.reportPages.Load() == 0 && graph.RefusedQueryOption(err, "$top") {
		withoutTop = true
		q.Query.Del("$top")
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
	if errors.Is(err, stop) || errors.Is(err, errStop) {
		return nil
	}
	return err
}

// readMethodsFront reads the method lists of the enabled users from the
// end of the userPrincipalName order down to where it meets the report
// front. It ends early, giving its unread claims back to the report
// front, when the server refuses the reads (403), refuses $orderby on
// /users, or charges them to the reports budget.
func (p *Plan) readMethodsFront(ctx context.Context, bd *boundary, send func(row) bool) error {
	select {
	case <-bd.started:
	case <-ctx.Done():
		return nil
	}
	f := p.opts.Filter
	list := func(ctx context.Context, fn func(methods.User) bool) error {
		return p.client.ListUsersByUPN(ctx, true, func(u methods.User) bool {
			if u.AccountEnabled != nil && !*u.AccountEnabled {
				// The disabled users are read on their own.
				return true
			}
			if !bd.claimMethods(frontKey(u.UserPrincipalName)) {
				return false
			}
			if (f.Guests && !u.IsGuest()) || (f.Members && u.IsGuest()) {
				// Claimed, and left out by the filter.
				return true
			}
			return fn(u)
		})
	}
	err := p.readMethods(ctx, list, true, func(r row) bool {
		if r.err == nil {
			bd.sent(r.in.User.ID, frontKey(r.in.User.UserPrincipalName))
			bd.methodsUsers.Add(1)
		}
		return send(r)
	})
	var tr *throttledRead
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tr):
		bd.giveBack()
		p.note(fmt.Sprintf("per-user method reads were throttled at the reports budget (%d requests per %d s, 429 RequestLimitExceeded): the registration report reads the rest of the enabled users",
			throttling.ReportsBudget, int(throttling.Window/time.Second)))
		return nil
	case graph.StatusOf(err) == 403:
		bd.giveBack()
		p.note("per-user method lists were refused (" + oneLine(err) + "): the registration report reads every enabled user")
		return nil
	case graph.RefusedQueryOption(err, "$orderby"):
		bd.giveBack()
		p.note("listing users by userPrincipalName was refused (" + oneLine(err) + "): the registration report reads every enabled user")
		return nil
	case ctx.Err() != nil:
		return nil
	}
	return err
}

// frontsScopes are what each source covers in a two-front plan.
const (
	scopeReportFront  = "enabled users, from the start of the userPrincipalName order to where the fronts met"
	scopeMethodsFront = "enabled users, from the end of the userPrincipalName order to where the fronts met"
)
