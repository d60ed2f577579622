// Package throttling holds Microsoft Graph's published throttling budgets
// for one app in one tenant (concepts/throttling-limits.md) and the sliding
// window that counts them. The mock enforces them and the client paces
// itself to them, so the two agree by construction.
//
//   - identity and access: resource units (RU) per 10 s, by tenant size:
//     3,500 under 50 users, 5,000 from 50 to 500, 8,000 above. A request
//     costs 1 RU, GET /users 2; $select takes 1 off, $expand adds 1, a $top
//     under 20 takes 1 off; never below 1. Writes (POST, PATCH, PUT,
//     DELETE) also count against 3,000 requests per 2 min 30 s.
//   - identity and access reports (/reports/...): 5 requests per 10 s.
package throttling

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// Window is the span of the identity and reports budgets.
	Window = 10 * time.Second
	// WriteWindow is the span of the write budget.
	WriteWindow = 150 * time.Second
	// WriteBudget is the number of writes allowed per WriteWindow.
	WriteBudget = 3000
	// ReportsBudget is the number of /reports requests allowed per Window.
	ReportsBudget = 5
	// PercentageThreshold is the share of the RU budget above which Graph
	// sends x-ms-throttle-limit-percentage.
	PercentageThreshold = 0.8
)

// IdentityBudget is the resource units per Window for a tenant of this
// many users.
func IdentityBudget(users int) int {
	switch {
	case users < 50:
		return 3500
	case users <= 500:
		return 5000
	}
	return 8000
}

// IsWrite reports whether a method counts against the write budget.
func IsWrite(method string) bool {
	switch strings.ToUpper(method) {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// IsReports reports whether a path (the segments after the version) is
// under /reports, which has its own budget.
func IsReports(segs []string) bool { return len(segs) > 0 && strings.EqualFold(segs[0], "reports") }

// ResourceUnits is a request's cost under the identity rules; segs is the
// path after the version.
func ResourceUnits(method string, segs []string, q url.Values) int {
	cost := 1
	if strings.EqualFold(method, http.MethodGet) && len(segs) == 1 && strings.EqualFold(segs[0], "users") {
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

// SlidingWindow is a budget of Limit units per Span: each charge leaves the
// window Span (plus Slack) after it was made. The zero value needs Span and
// Limit set.
type SlidingWindow struct {
	Span  time.Duration
	Limit int
	// Slack lengthens every charge's stay: a client counts from when it
	// sent a request, the server from when it arrived, a little later.
	Slack time.Duration
	// Coalesce merges charges made within this long of the last one into
	// its entry (a little lenient, by at most Coalesce), so the log stays
	// short under heavy load; 0 keeps every charge exact.
	Coalesce time.Duration

	used   int
	log    []charge
	head   int
	closed time.Time
}

type charge struct {
	at   time.Time
	cost int
}

func (w *SlidingWindow) life() time.Duration { return w.Span + w.Slack }

func (w *SlidingWindow) expire(now time.Time) {
	for w.head < len(w.log) && !w.log[w.head].at.Add(w.life()).After(now) {
		w.used -= w.log[w.head].cost
		w.head++
	}
	if w.head > 64 && w.head > len(w.log)/2 {
		w.log = append(w.log[:0], w.log[w.head:]...)
		w.head = 0
	}
}

// Used is the units charged within the window at now.
func (w *SlidingWindow) Used(now time.Time) int {
	w.expire(now)
	return w.used
}

// FreeAt is when cost fits: now when it does, else the moment enough
// earlier charges have left (and the window is no longer closed). A cost
// larger than the whole budget fits an empty window.
func (w *SlidingWindow) FreeAt(now time.Time, cost int) time.Time {
	w.expire(now)
	at := now
	if w.closed.After(at) {
		at = w.closed
	}
	need := w.used + min(cost, w.Limit) - w.Limit
	if need <= 0 {
		return at
	}
	for i := w.head; i < len(w.log); i++ {
		need -= w.log[i].cost
		if need <= 0 {
			if t := w.log[i].at.Add(w.life()); t.After(at) {
				at = t
			}
			return at
		}
	}
	return at
}

// Fits reports whether cost fits at now.
func (w *SlidingWindow) Fits(now time.Time, cost int) bool { return !w.FreeAt(now, cost).After(now) }

// Add charges cost at now. A negative cost (a correction of an estimate)
// is taken off the newest entries.
func (w *SlidingWindow) Add(now time.Time, cost int) {
	w.expire(now)
	if cost < 0 {
		for i := len(w.log) - 1; i >= w.head && cost < 0; i-- {
			take := min(w.log[i].cost, -cost)
			w.log[i].cost -= take
			w.used -= take
			cost += take
		}
		return
	}
	if n := len(w.log); w.Coalesce > 0 && n > w.head && now.Sub(w.log[n-1].at) < w.Coalesce {
		w.log[n-1].cost += cost
	} else {
		w.log = append(w.log, charge{now, cost})
	}
	w.used += cost
}

// CloseUntil keeps the window full until t (a 429's Retry-After).
func (w *SlidingWindow) CloseUntil(t time.Time) {
	if t.After(w.closed) {
		w.closed = t
	}
}

// Sleep waits d, or until ctx ends (then it returns ctx's cause): the wait
// of everything that paces itself to a budget.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
