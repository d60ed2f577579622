package mock

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
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
)

// ParseThrottle reads --throttle: "graph", or "off" / "none" / "" for none.
func ParseThrottle(s string) (Throttle, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "off", "none", "false", "0":
		return ThrottleOff, nil
	case "graph", "on", "true", "1":
		return ThrottleGraph, nil
	}
	return "", fmt.Errorf("unknown throttling model %q (use graph, or off)", s)
}

// Budgets of Graph's identity and access service and its reports.
const (
	throttleWindow      = 10 * time.Second
	writeWindow         = 150 * time.Second
	writeQuota          = 3000
	reportsQuota        = 5
	percentageThreshold = 0.8
)

// ruBudget is the RU quota per 10 s for a tenant of this many users.
func ruBudget(users int) int {
	switch {
	case users < 50:
		return 3500
	case users <= 500:
		return 5000
	}
	return 8000
}

// requestCost is a request's resource units under Graph's identity rules.
// segs is the path after the version.
func requestCost(method string, segs []string, q url.Values) int {
	cost := 1
	if method == http.MethodGet && len(segs) == 1 && strings.EqualFold(segs[0], "users") {
		cost = 2
	}
	if q.Get("$select") != "" {
		cost--
	}
	if q.Get("$expand") != "" {
		cost++
	}
	if top, err := strconv.Atoi(q.Get("$top")); err == nil && top < 20 {
		cost--
	}
	return max(cost, 1)
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// window is a sliding-window budget: charges in time order, each leaving
// the window span after it was made.
type window struct {
	span  time.Duration
	limit int
	used  int
	log   []charge
	head  int
}

type charge struct {
	at   time.Time
	cost int
}

func (w *window) expire(now time.Time) {
	for w.head < len(w.log) && !w.log[w.head].at.Add(w.span).After(now) {
		w.used -= w.log[w.head].cost
		w.head++
	}
	if w.head > 64 && w.head > len(w.log)/2 {
		w.log = append(w.log[:0], w.log[w.head:]...)
		w.head = 0
	}
}

func (w *window) fits(cost int) bool { return w.used+cost <= w.limit }

// freeAt is when cost fits: the moment enough earlier charges have left.
func (w *window) freeAt(now time.Time, cost int) time.Time {
	need := w.used + cost - w.limit
	for i := w.head; i < len(w.log); i++ {
		need -= w.log[i].cost
		if need <= 0 {
			return w.log[i].at.Add(w.span)
		}
	}
	return now.Add(w.span) // cost alone exceeds the limit
}

func (w *window) add(now time.Time, cost int) {
	w.log = append(w.log, charge{now, cost})
	w.used += cost
}

// appBudget is one app+tenant pair's budgets.
type appBudget struct {
	ru, writes, reports window
}

// throttler keeps the budgets of every app+tenant pair.
type throttler struct {
	now    func() time.Time
	app    func(authorization string) (appID string, ok bool)
	tenant func() (id string, users int)

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
			ru:      window{span: throttleWindow},
			writes:  window{span: writeWindow, limit: writeQuota},
			reports: window{span: throttleWindow, limit: reportsQuota},
		}
		t.apps[appID+"/"+tenantID] = b
	}
	b.ru.limit = ruBudget(users)
	scope := func(limit string) string { return "Tenant_Application/" + limit + "/" + appID + "/" + tenantID }

	if strings.EqualFold(segs[0], "reports") {
		b.reports.expire(now)
		if !b.reports.fits(1) {
			return nil, throttled(now, b.reports.freeAt(now, 1), "activityLimitReached",
				fmt.Sprintf("The app exceeded the reports budget of %d requests per %d seconds for this tenant.", reportsQuota, int(throttleWindow/time.Second)),
				scope("Read"), "RequestLimitExceeded")
		}
		b.reports.add(now, 1)
		return nil, nil
	}

	cost := requestCost(r.Method, segs, r.URL.Query())
	write := isWrite(r.Method)
	b.ru.expire(now)
	b.writes.expire(now)
	if !b.ru.fits(cost) {
		return nil, throttled(now, b.ru.freeAt(now, cost), "TooManyRequests",
			fmt.Sprintf("The app exceeded its budget of %d resource units per %d seconds for this tenant.", b.ru.limit, int(throttleWindow/time.Second)),
			scope("ReadWrite"), "ResourceUnitLimitExceeded")
	}
	if write && !b.writes.fits(1) {
		return nil, throttled(now, b.writes.freeAt(now, 1), "TooManyRequests",
			fmt.Sprintf("The app exceeded its write quota of %d requests per %s for this tenant.", writeQuota, writeWindow),
			scope("Write"), "WriteLimitExceeded")
	}
	b.ru.add(now, cost)
	if write {
		b.writes.add(now, 1)
	}
	h := map[string]string{"x-ms-resource-unit": strconv.Itoa(cost)}
	if pct := float64(b.ru.used) / float64(b.ru.limit); pct > percentageThreshold {
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
