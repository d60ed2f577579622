package graph

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/mfactl/mfactl/internal/throttling"
)

// fakeClock drives a limiter: sleeping advances the clock.
type fakeClock struct {
	t     time.Time
	slept time.Duration
}

func testLimiter() (*Limiter, *fakeClock) {
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := NewLimiter()
	l.now = func() time.Time { return c.t }
	l.sleep = func(_ context.Context, d time.Duration) error {
		c.t = c.t.Add(d)
		c.slept += d
		return nil
	}
	return l, c
}

func headers(kv ...string) func(string) string {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h.Get
}

func TestClassifyRequest(t *testing.T) {
	for _, tc := range []struct {
		method, url string
		class       RequestClass
		cost        int
	}{
		{"GET", "/v1.0/users", ClassIdentity, 2},
		{"GET", "/v1.0/users?$select=id", ClassIdentity, 1},
		{"GET", "/v1.0/users?$top=5", ClassIdentity, 1},
		{"GET", "/v1.0/users?$select=id&$expand=manager", ClassIdentity, 2},
		{"GET", "/beta/users/a@b/authentication/methods", ClassMethodRead, 1},
		{"GET", "/users/a@b/authentication/signInPreferences", ClassMethodRead, 1},
		{"GET", "/v1.0/me/authentication/phoneMethods", ClassMethodRead, 1},
		{"GET", "/v1.0/users/a@b", ClassIdentity, 1},
		{"GET", "/v1.0/users/$count", ClassIdentity, 1},
		{"POST", "/v1.0/users/a@b/authentication/phoneMethods", ClassWrite, 1},
		{"DELETE", "/beta/directory/authenticationMethodDevices/hardwareOathDevices/1", ClassWrite, 1},
		{"GET", "/v1.0/reports/authenticationMethods/userRegistrationDetails?$top=999", ClassReports, 1},
		{"GET", "/beta/reports/authenticationMethods/usersRegisteredByMethod()", ClassReports, 1},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		class, cost := ClassifyRequest(tc.method, u.Path, u.Query())
		if class != tc.class || cost != tc.cost {
			t.Errorf("%s %s: %v/%d, want %v/%d", tc.method, tc.url, class, cost, tc.class, tc.cost)
		}
	}
}

func TestLimiterDoesNotWaitUntilTheServerMeters(t *testing.T) {
	l, c := testLimiter()
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		if err := l.Wait(ctx, ClassReports, 1); err != nil {
			t.Fatal(err)
		}
	}
	if c.slept != 0 {
		t.Fatalf("an unmetered server made the client wait %s", c.slept)
	}
	if st := l.Stats(); st.Requests != 20 || st.Metered {
		t.Fatalf("stats %+v", st)
	}
	// The first identity answer with Graph's header switches pacing on:
	// the 20 reports requests already sent fill the window.
	l.Observe(ClassIdentity, 1, 200, headers("x-ms-resource-unit", "1"))
	if !l.Metered() {
		t.Fatal("x-ms-resource-unit did not make the limiter pace")
	}
	if err := l.Wait(ctx, ClassReports, 1); err != nil {
		t.Fatal(err)
	}
	if want := throttling.Window + limiterSlack; c.slept < want {
		t.Fatalf("waited %s with a full reports window, want at least %s", c.slept, want)
	}
}

func TestLimiterPacesReportsToFivePerTenSeconds(t *testing.T) {
	l, c := testLimiter()
	l.SetMetered(true)
	start := c.t
	var at []time.Duration
	for i := 0; i < 12; i++ {
		if err := l.Wait(context.Background(), ClassReports, 1); err != nil {
			t.Fatal(err)
		}
		at = append(at, c.t.Sub(start))
	}
	// 5 at once, 5 once the first window has passed, then 2 more.
	window := throttling.Window + limiterSlack
	for i, d := range at {
		want := time.Duration(i/throttling.ReportsBudget) * window
		if d != want {
			t.Errorf("request %d sent at %s, want %s", i+1, d, want)
		}
	}
}

func TestLimiterIdentityBudgetBySize(t *testing.T) {
	l, c := testLimiter()
	l.SetMetered(true)
	l.SetTenantSize(10000)
	ctx := context.Background()
	// 8,000 RU fit at once; the next request waits for the window.
	for i := 0; i < 4000; i++ {
		if err := l.Wait(ctx, ClassIdentity, 2); err != nil {
			t.Fatal(err)
		}
	}
	if c.slept != 0 {
		t.Fatalf("waited %s within the budget", c.slept)
	}
	if err := l.Wait(ctx, ClassIdentity, 1); err != nil {
		t.Fatal(err)
	}
	if c.slept != throttling.Window+limiterSlack {
		t.Fatalf("waited %s beyond the budget, want %s", c.slept, throttling.Window+limiterSlack)
	}
	if st := l.Stats(); st.ResourceUnits != 8001 || st.Requests != 4001 {
		t.Fatalf("stats %+v", st)
	}
}

func TestLimiterHonoursRetryAfter(t *testing.T) {
	l, c := testLimiter()
	l.SetTenantSize(10000)
	ctx := context.Background()
	if err := l.Wait(ctx, ClassIdentity, 1); err != nil {
		t.Fatal(err)
	}
	// Another client spent the budget: the server throttles us.
	l.Observe(ClassIdentity, 1, http.StatusTooManyRequests, headers("Retry-After", "7", "x-ms-throttle-information", "ResourceUnitLimitExceeded"))
	if err := l.Wait(ctx, ClassIdentity, 1); err != nil {
		t.Fatal(err)
	}
	if c.slept != 7*time.Second {
		t.Fatalf("waited %s after Retry-After: 7, want 7s", c.slept)
	}
	// Reports are a separate budget: not closed by an identity 429.
	before := c.slept
	if err := l.Wait(ctx, ClassReports, 1); err != nil || c.slept != before {
		t.Fatalf("a reports request waited %s for an identity 429 (%v)", c.slept-before, err)
	}
	if st := l.Stats(); st.Throttled != 1 || !st.Metered {
		t.Fatalf("stats %+v", st)
	}
}

func TestLimiterWriteThrottleClosesTheWriteBudget(t *testing.T) {
	l, c := testLimiter()
	ctx := context.Background()
	l.Observe(ClassWrite, 1, http.StatusTooManyRequests, headers("Retry-After", "30", "x-ms-throttle-information", "WriteLimitExceeded"))
	if err := l.Wait(ctx, ClassIdentity, 1); err != nil || c.slept != 0 {
		t.Fatalf("a read waited %s for a write 429", c.slept)
	}
	if err := l.Wait(ctx, ClassWrite, 1); err != nil || c.slept != 30*time.Second {
		t.Fatalf("a write waited %s after Retry-After: 30", c.slept)
	}
}

func TestLimiterLearnsFromThrottleHeaders(t *testing.T) {
	l, c := testLimiter()
	l.SetTenantSize(10000)
	ctx := context.Background()
	// The server says 90 % of the budget is used (by another process):
	// only 10 % is left for us before the window turns.
	if err := l.Wait(ctx, ClassIdentity, 1); err != nil {
		t.Fatal(err)
	}
	l.Observe(ClassIdentity, 1, 200, headers("x-ms-resource-unit", "1", "x-ms-throttle-limit-percentage", "0.9"))
	for i := 0; i < 800; i++ {
		if err := l.Wait(ctx, ClassIdentity, 1); err != nil {
			t.Fatal(err)
		}
	}
	if c.slept != 0 {
		t.Fatalf("waited %s within the 10 %% left", c.slept)
	}
	if err := l.Wait(ctx, ClassIdentity, 1); err != nil {
		t.Fatal(err)
	}
	if c.slept == 0 {
		t.Fatal("the limiter ignored x-ms-throttle-limit-percentage")
	}
}

func TestLimiterCorrectsTheCostFromTheServer(t *testing.T) {
	l, _ := testLimiter()
	l.SetTenantSize(10000)
	if err := l.Wait(context.Background(), ClassIdentity, 1); err != nil {
		t.Fatal(err)
	}
	l.Observe(ClassIdentity, 1, 200, headers("x-ms-resource-unit", "3"))
	if st := l.Stats(); st.ResourceUnits != 3 {
		t.Fatalf("resource units %d after the server said 3", st.ResourceUnits)
	}
	if err := l.Wait(context.Background(), ClassIdentity, 2); err != nil {
		t.Fatal(err)
	}
	l.Observe(ClassIdentity, 2, 200, headers("x-ms-resource-unit", "1"))
	if st := l.Stats(); st.ResourceUnits != 4 {
		t.Fatalf("resource units %d after a cheaper answer, want 4", st.ResourceUnits)
	}
	l.mu.Lock()
	used := l.identity.Used(l.now())
	l.mu.Unlock()
	if used != 4 {
		t.Fatalf("window holds %d RU, want 4", used)
	}
}

func TestLimiterWaitStopsWithTheContext(t *testing.T) {
	l := NewLimiter()
	l.SetMetered(true)
	for i := 0; i < throttling.ReportsBudget; i++ {
		if err := l.Wait(context.Background(), ClassReports, 1); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := l.Wait(ctx, ClassReports, 1); err == nil {
		t.Fatal("a full window let a request through")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Wait ignored the context for %s", d)
	}
}

// A method read refused with the reports limit's signature moves method
// reads onto the reports budget; one refused for resource units does not.
func TestLimiterLearnsMethodReadsOnTheReportsBudget(t *testing.T) {
	tests := []struct {
		name, information string
		onReports         bool
	}{
		{"reports limit", "RequestLimitExceeded", true},
		{"resource units", "ResourceUnitLimitExceeded", false},
		{"no information", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, c := testLimiter()
			ctx := context.Background()
			l.Observe(ClassMethodRead, 1, http.StatusTooManyRequests, headers("Retry-After", "4", "x-ms-throttle-information", tt.information))
			if got := l.MethodReadsOnReportsBudget(); got != tt.onReports {
				t.Fatalf("MethodReadsOnReportsBudget = %v, want %v", got, tt.onReports)
			}
			if !tt.onReports {
				return
			}
			// The reports window is closed until Retry-After, then method
			// reads go 5 per window; identity reads are not held up.
			if err := l.Wait(ctx, ClassIdentity, 1); err != nil || c.slept != 0 {
				t.Fatalf("an identity read waited %s", c.slept)
			}
			for i := 0; i < throttling.ReportsBudget+1; i++ {
				if err := l.Wait(ctx, ClassMethodRead, 1); err != nil {
					t.Fatal(err)
				}
			}
			if want := 4*time.Second + throttling.Window + limiterSlack; c.slept < want {
				t.Errorf("%d method reads waited %s, want at least %s", throttling.ReportsBudget+1, c.slept, want)
			}
			if st := l.Stats(); st.ResourceUnits != 1 {
				t.Errorf("resource units %d: method reads on the reports budget cost none", st.ResourceUnits)
			}
		})
	}
}
