package graph

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mfactl/mfactl/internal/throttling"
)

// limiterSlack is added to every charge's stay in the client's windows:
// the server starts its window when a request arrives, a little after the
// client sent it.
const limiterSlack = 250 * time.Millisecond

// RequestClass is which of Graph's budgets a request draws on.
type RequestClass int

// Request classes.
const (
	// ClassIdentity is a read of the identity and access service (users,
	// authentication methods, directory roles, policies): resource units.
	ClassIdentity RequestClass = iota
	// ClassWrite is a POST, PATCH, PUT or DELETE: resource units and the
	// write budget.
	ClassWrite
	// ClassReports is a /reports request: 5 per 10 seconds.
	ClassReports
	// ClassMethodRead is a GET of a user's authentication data
	// (/users/{id}/authentication/...). It draws resource units like any
	// identity read, until a 429 shows the server charges it to the
	// reports budget: the throttling page lists an authenticationMethod
	// resource under the reports limit
	// (includes/throttling-entra-logs-reports.md), and the docs do
	// not say which URLs that covers. The limiter then paces these reads at
	// the reports budget (MethodReadsOnReportsBudget).
	ClassMethodRead
)

func (c RequestClass) String() string {
	switch c {
	case ClassWrite:
		return "write"
	case ClassReports:
		return "reports"
	case ClassMethodRead:
		return "method read"
	}
	return "identity"
}

// ClassifyRequest returns the budget a request draws on and its estimated
// resource units under Graph's rules (throttling.ResourceUnits). path is
// the URL path, with or without the version.
func ClassifyRequest(method, path string, q url.Values) (RequestClass, int) {
	p := strings.Trim(path, "/")
	for _, v := range []string{"v1.0/", "beta/"} {
		p = strings.TrimPrefix(p, v)
	}
	segs := strings.Split(p, "/")
	if throttling.IsReports(segs) {
		return ClassReports, 1
	}
	cost := throttling.ResourceUnits(method, segs, q)
	if throttling.IsWrite(method) {
		return ClassWrite, cost
	}
	if method == http.MethodGet && ((len(segs) >= 3 && strings.EqualFold(segs[0], "users") && strings.EqualFold(segs[2], "authentication")) ||
		(len(segs) >= 2 && strings.EqualFold(segs[0], "me") && strings.EqualFold(segs[1], "authentication"))) {
		return ClassMethodRead, cost
	}
	return ClassIdentity, cost
}

// LimiterStats count what the limiter saw.
type LimiterStats struct {
	// Requests is every request charged: each attempt of a plain request
	// and each step of a $batch (the outer $batch request is free).
	Requests int `json:"requests"`
	// Throttled is how many of them were answered 429.
	Throttled int `json:"throttled"`
	// ResourceUnits is the identity resource units charged.
	ResourceUnits int `json:"resourceUnits"`
	// Waited is the total time requests waited: for a budget, for a
	// Retry-After and in back-off before a retry (summed over concurrent
	// requests).
	Waited time.Duration `json:"waited"`
	// Metered says whether the server meters requests as Graph does.
	Metered bool `json:"metered"`
	// Reports is the share of the counts above charged to the reports
	// budget (5 requests per 10 s): the registration report's pages, and
	// method reads once the server was seen to charge them there. The rest
	// drew on the identity budget.
	Reports BudgetStats `json:"reports"`
}

// BudgetStats are the requests, 429 answers and waits of one budget.
type BudgetStats struct {
	Requests  int           `json:"requests"`
	Throttled int           `json:"throttled"`
	Waited    time.Duration `json:"waited"`
}

// Limiter paces a client to Graph's throttling budgets, so that almost no
// request is wasted on a 429. It keeps a sliding window per budget, as
// Graph counts them: resource units per 10 s (sized by SetTenantSize), writes
// per 2 min 30 s, and reports requests per 10 s.
//
// It adapts to what the server says: until a response carries Graph's
// x-ms-resource-unit header or a 429, the server is taken not to meter
// requests (a mock without throttling, a proxy) and nothing waits, though
// everything is counted. After that every request waits for room in its
// budget. x-ms-resource-unit corrects the estimated cost of a request,
// x-ms-throttle-limit-percentage (sent above 80 % of the budget) reveals
// usage by other clients of the same app, and a 429's Retry-After closes
// its budget until then.
type Limiter struct {
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error

	mu      sync.Mutex
	metered bool
	// methodsOnReports: a 429 on a method read carried the reports limit's
	// signature, so method reads are paced at the reports budget.
	methodsOnReports bool
	identity         throttling.SlidingWindow
	writes           throttling.SlidingWindow
	reports          throttling.SlidingWindow
	stats            LimiterStats
}

// NewLimiter returns a limiter for a tenant of unknown size (the smallest
// identity budget, until SetTenantSize).
func NewLimiter() *Limiter {
	window := func(span time.Duration, limit int) throttling.SlidingWindow {
		return throttling.SlidingWindow{Span: span, Limit: limit, Slack: limiterSlack, Coalesce: 10 * time.Millisecond}
	}
	return &Limiter{
		now:      time.Now,
		sleep:    sleepContext,
		identity: window(throttling.Window, throttling.IdentityBudget(0)),
		writes:   window(throttling.WriteWindow, throttling.WriteBudget),
		reports:  window(throttling.Window, throttling.ReportsBudget),
	}
}

// SetTenantSize sizes the identity budget for a tenant of this many users.
func (l *Limiter) SetTenantSize(users int) {
	l.mu.Lock()
	l.identity.Limit = throttling.IdentityBudget(users)
	l.mu.Unlock()
}

// SetMetered forces pacing on (or off) regardless of what the server says.
func (l *Limiter) SetMetered(on bool) {
	l.mu.Lock()
	l.metered = on
	l.mu.Unlock()
}

// Metered reports whether the limiter paces requests.
func (l *Limiter) Metered() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.metered
}

// Stats returns the counts so far.
func (l *Limiter) Stats() LimiterStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Metered = l.metered
	return s
}

// MethodReadsOnReportsBudget reports whether the server was seen to
// charge per-user method reads to the reports budget (5 requests per 10 s).
func (l *Limiter) MethodReadsOnReportsBudget() bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.methodsOnReports
}

// onReports reports whether a request of class c is charged to the
// reports window (l.mu held).
func (l *Limiter) onReports(c RequestClass) bool {
	return c == ClassReports || (c == ClassMethodRead && l.methodsOnReports)
}

// windowsOf are the budgets a class charges (l.mu held).
func (l *Limiter) windowsOf(c RequestClass) []*throttling.SlidingWindow {
	if l.onReports(c) {
		return []*throttling.SlidingWindow{&l.reports}
	}
	switch c {
	case ClassReports:
		return []*throttling.SlidingWindow{&l.reports}
	case ClassWrite:
		return []*throttling.SlidingWindow{&l.identity, &l.writes}
	}
	return []*throttling.SlidingWindow{&l.identity}
}

// Wait blocks until a request of this class and cost fits its budgets
// (only once the server is known to meter), then charges it.
func (l *Limiter) Wait(ctx context.Context, c RequestClass, cost int) error {
	if l == nil {
		return nil
	}
	var waited time.Duration
	for {
		l.mu.Lock()
		now := l.now()
		ws := l.windowsOf(c)
		var until time.Time
		if l.metered {
			for _, w := range ws {
				if t := w.FreeAt(now, l.unitsOf(w, cost)); t.After(until) {
					until = t
				}
			}
		}
		if !until.After(now) {
			for _, w := range ws {
				w.Add(now, l.unitsOf(w, cost))
			}
			l.stats.Requests++
			if l.onReports(c) {
				l.stats.Reports.Requests++
				l.stats.Reports.Waited += waited
			} else {
				l.stats.ResourceUnits += cost
			}
			l.stats.Waited += waited
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		d := until.Sub(now)
		if err := l.sleep(ctx, d); err != nil {
			l.mu.Lock()
			l.stats.Waited += waited
			if l.onReports(c) {
				l.stats.Reports.Waited += waited
			}
			l.mu.Unlock()
			return err
		}
		waited += d
	}
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// unitsOf is what a request costs in window w: resource units in the
// identity window, one request in the others.
func (l *Limiter) unitsOf(w *throttling.SlidingWindow, cost int) int {
	if w != &l.identity {
		return 1
	}
	return cost
}

// Observe learns from an answer to a request of class c charged at cost:
// status and the response headers (get returns a header's value, "" when
// absent).
func (l *Limiter) Observe(c RequestClass, cost, status int, get func(string) string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if ru := get("x-ms-resource-unit"); ru != "" {
		l.metered = true
		if actual, err := strconv.Atoi(strings.TrimSpace(ru)); err == nil && !l.onReports(c) && actual != cost {
			l.identity.Add(now, actual-cost)
			l.stats.ResourceUnits += actual - cost
		}
	}
	if p := get("x-ms-throttle-limit-percentage"); p != "" && !l.onReports(c) {
		// Usage is at least this share of the budget: others (another
		// process of this app) spend it too.
		if f, err := strconv.ParseFloat(strings.TrimSpace(p), 64); err == nil && f > 0 {
			l.metered = true
			if floor, used := int(f*float64(l.identity.Limit)), l.identity.Used(now); floor > used {
				l.identity.Add(now, floor-used)
			}
		}
	}
	if status != http.StatusTooManyRequests {
		return
	}
	l.metered = true
	l.stats.Throttled++
	after := parseRetryAfter(get("Retry-After"))
	if after <= 0 {
		after = time.Second
	}
	// A method read refused with the reports limit's signature
	// (x-ms-throttle-information RequestLimitExceeded; the resource unit
	// limit says ResourceUnitLimitExceeded, concepts/throttling-limits.md)
	// is on the reports budget from now on.
	if c == ClassMethodRead && strings.Contains(get("x-ms-throttle-information"), "RequestLimitExceeded") {
		l.methodsOnReports = true
	}
	if l.onReports(c) {
		l.stats.Reports.Throttled++
	}
	w := &l.identity
	switch {
	case l.onReports(c):
		w = &l.reports
	case strings.Contains(get("x-ms-throttle-information"), "WriteLimitExceeded"):
		w = &l.writes
	}
	// Nothing more fits until Retry-After has passed.
	w.CloseUntil(now.Add(after))
}

// addWaited counts a pause the client made outside Wait (a Retry-After
// or back-off before a retry), so Stats().Waited is every wait.
func (l *Limiter) addWaited(d time.Duration) { l.addWaitedClass(ClassIdentity, d) }

// addWaitedClass is addWaited for a request of class c.
func (l *Limiter) addWaitedClass(c RequestClass, d time.Duration) {
	if l == nil || d <= 0 {
		return
	}
	l.mu.Lock()
	l.stats.Waited += d
	if l.onReports(c) {
		l.stats.Reports.Waited += d
	}
	l.mu.Unlock()
}
