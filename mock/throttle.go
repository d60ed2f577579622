package mock

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mfactl/mfactl/internal/throttling"
)

// Throttling (`--throttle graph`) applies Graph's published budgets
// (concepts/throttling-limits.md) per app and tenant, an app being a bearer
// token:
//
//   - identity and access: resource units (RU) per 10 s, by tenant size:
//     S (under 50 users) 3,500, M (50 to 500) 5,000, L (over 500) 8,000. A
//     request costs 1 RU, GET /users 2; $select costs 1 less, $expand 1
//     more, $top under 20 1 less; never below 1. Writes (POST, PATCH, PUT,
//     DELETE) also count against 3,000 requests per 2 min 30 s.
//   - identity and access reports (/reports/...): 5 requests per 10 s.
//
// The windows slide: a charge leaves the budget exactly one window after it
// was made, so Retry-After (whole seconds, rounded up) is the time until
// enough of the budget is free for the refused request. Refused requests
// are not charged, so a client that waits Retry-After always gets through
// (real Graph keeps counting while it throttles). An outer $batch request
// is not charged: its inner requests are, one by one (see admitInner).
// Successful responses carry x-ms-resource-unit and, above 80 % of the RU
// budget, x-ms-throttle-limit-percentage; refused ones a 429 with
// Retry-After, x-ms-throttle-scope and x-ms-throttle-information.

// Throttle selects a throttling model.
type Throttle string

// Throttling models.
const (
	ThrottleOff   Throttle = ""
	ThrottleGraph Throttle = "graph"
	// ThrottleGraphMethodsAsReports is Graph's budgets with one reading of
	// the throttling page: its "identity and access reports" limit of 5
	// requests per 10 seconds lists the authenticationMethod resource
	// (includes/throttling-entra-logs-reports.md, included by
	// concepts/throttling-limits.md). Read that way, per-user method
	// reads (GET /users/{id}/authentication/...) share the reports budget
	// and its 429s (scope Tenant_Application/Read/...,
	// x-ms-throttle-information RequestLimitExceeded). The docs do not say
	// which URLs the resource covers; this knob lets a client prove it
	// survives the strict reading.
	ThrottleGraphMethodsAsReports Throttle = "graph,methods-as-reports"
)

// ParseThrottle reads --throttle: "graph", "graph,methods-as-reports", or
// "off" / "none" / "" for none.
func ParseThrottle(s string) (Throttle, error) {
	v := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	switch v {
	case "", "off", "none", "false", "0":
		return ThrottleOff, nil
	case "graph", "on", "true", "1":
		return ThrottleGraph, nil
	case "graph,methods-as-reports", "methods-as-reports,graph":
		return ThrottleGraphMethodsAsReports, nil
	}
	return "", fmt.Errorf("unknown throttling model %q (use graph, graph,methods-as-reports, or off)", s)
}

// isMethodRead reports whether a path (relative to the version root) is a
// GET of a user's authentication data: users/{id}/authentication/... or
// me/authentication/...
func isMethodRead(method string, segs []string) bool {
	if method != http.MethodGet {
		return false
	}
	return (len(segs) >= 3 && strings.EqualFold(segs[0], "users") && strings.EqualFold(segs[2], "authentication")) ||
		(len(segs) >= 2 && strings.EqualFold(segs[0], "me") && strings.EqualFold(segs[1], "authentication"))
}

// appBudget is one app+tenant pair's budgets.
type appBudget struct {
	ru, writes, reports throttling.SlidingWindow
}

// throttler keeps the budgets of every app+tenant pair.
type throttler struct {
	now    func() time.Time
	app    func(authorization string) (appID string, ok bool)
	tenant func() (id string, users int)

	// methodsAsReports charges per-user method reads to the reports
	// budget (ThrottleGraphMethodsAsReports).
	methodsAsReports bool

	mu   sync.Mutex
	apps map[string]*appBudget
}

// admit charges r to its app's budgets. It returns the headers to add to
// the response, or a 429 error carrying Retry-After and the throttle
// headers. Requests without a known token are not charged (they get a 401).
func (t *throttler) admit(r *http.Request) (map[string]string, *graphError) {
	appID, ok := t.app(r.Header.Get("Authorization"))
	if !ok {
		return nil, nil
	}
	segs, err := pathSegments(r.URL)
	if err != nil {
		return nil, nil
	}
	// A batch step's URL is relative to the version root (/users/...);
	// a request's starts with it (/v1.0/users/...).
	if len(segs) > 0 && (segs[0] == "v1.0" || segs[0] == "beta") {
		segs = segs[1:]
	}
	if len(segs) == 0 || segs[0] == "$batch" || segs[0] == controlSegment {
		return nil, nil
	}
	tenantID, users := t.tenant()
	now := t.now()

	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.apps[appID+"/"+tenantID]
	if b == nil {
		b = &appBudget{
			ru:      throttling.SlidingWindow{Span: throttling.Window},
			writes:  throttling.SlidingWindow{Span: throttling.WriteWindow, Limit: throttling.WriteBudget},
			reports: throttling.SlidingWindow{Span: throttling.Window, Limit: throttling.ReportsBudget},
		}
		t.apps[appID+"/"+tenantID] = b
	}
	b.ru.Limit = throttling.IdentityBudget(users)
	scope := func(limit string) string { return "Tenant_Application/" + limit + "/" + appID + "/" + tenantID }

	if throttling.IsReports(segs) || (t.methodsAsReports && isMethodRead(r.Method, keySegments(segs))) {
		if !b.reports.Fits(now, 1) {
			return nil, throttled(now, b.reports.FreeAt(now, 1), "activityLimitReached",
				fmt.Sprintf("The app exceeded the reports budget of %d requests per %d seconds for this tenant.", throttling.ReportsBudget, int(throttling.Window/time.Second)),
				scope("Read"), "RequestLimitExceeded")
		}
		b.reports.Add(now, 1)
		return nil, nil
	}

	cost := throttling.ResourceUnits(r.Method, segs, r.URL.Query())
	write := throttling.IsWrite(r.Method)
	if !b.ru.Fits(now, cost) {
		return nil, throttled(now, b.ru.FreeAt(now, cost), "TooManyRequests",
			fmt.Sprintf("The app exceeded its budget of %d resource units per %d seconds for this tenant.", b.ru.Limit, int(throttling.Window/time.Second)),
			scope("ReadWrite"), "ResourceUnitLimitExceeded")
	}
	if write && !b.writes.Fits(now, 1) {
		return nil, throttled(now, b.writes.FreeAt(now, 1), "TooManyRequests",
			fmt.Sprintf("The app exceeded its write quota of %d requests per %s for this tenant.", throttling.WriteBudget, throttling.WriteWindow),
			scope("Write"), "WriteLimitExceeded")
	}
	b.ru.Add(now, cost)
	if write {
		b.writes.Add(now, 1)
	}
	h := map[string]string{"x-ms-resource-unit": strconv.Itoa(cost)}
	if pct := float64(b.ru.Used(now)) / float64(b.ru.Limit); pct > throttling.PercentageThreshold {
		h["x-ms-throttle-limit-percentage"] = strconv.FormatFloat(math.Floor(pct*100)/100, 'f', 2, 64)
	}
	return h, nil
}

// throttled is Graph's 429: Retry-After in whole seconds, rounded up so a
// client that waits exactly that long gets through.
func throttled(now, freeAt time.Time, code, why, scope, info string) *graphError {
	secs := int(math.Ceil(freeAt.Sub(now).Seconds()))
	secs = max(secs, 1)
	e := newError(http.StatusTooManyRequests, code, "Too many requests. %s Retry after %d seconds.", why, secs)
	e.headers = map[string]string{
		"Retry-After":               strconv.Itoa(secs),
		"x-ms-throttle-scope":       scope,
		"x-ms-throttle-information": info,
	}
	return e
}
