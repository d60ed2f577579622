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

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/plural"
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
		for i, ch := range chans {
			for r := range ch {
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
				if !yield(r.in, nil) {
					return
				}
			}
		}
	}
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
	send := func(r row) bool {
		select {
		case out <- r:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var err error
	switch {
	case part.Source == SourceRegistration:
		err = p.readRegistration(ctx, send)
	case part.Scope == "disabled users":
		err = p.readMethods(ctx, "accountEnabled eq false", send)
	default:
		err = p.readMethods(ctx, p.serverFilter(), send)
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
func (p *Plan) readRegistration(ctx context.Context, send func(row) bool) error {
	enabled := true
	unknown := map[string]bool{}
	q := graph.PageQuery{
		Path:  "/reports/authenticationMethods/userRegistrationDetails",
		Query: url.Values{"$top": {strconv.Itoa(graph.MaxPageSize)}},
		Op:    "read the registration report", Role: graph.RoleReports,
	}
	err := p.client.ListPages(ctx, q, func(values json.RawMessage) error {
		var page []reports.RegistrationDetails
		if err := json.Unmarshal(values, &page); err != nil {
			return fmt.Errorf("decode the registration report: %w", err)
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
	})
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

// readMethods lists the users matching filter and reads each one's method
// list and sign-in preferences through $batch, concurrently, emitting
// users in the order they were listed.
func (p *Plan) readMethods(ctx context.Context, filter string, send func(row) bool) error {
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
	items := func(yield func(graph.BatchItem) bool) {
		i := 0
		listErr = p.client.ListUsers(ctx, graph.ListUsersOptions{Filter: filter, PageSize: graph.MaxPageSize}, func(u methods.User) bool {
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
	err = p.client.Batch(ctx, items, opts, func(r graph.BatchResult) error {
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
