package mock

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfactl/mfactl/internal/throttling"
)

func throttledServer(t *testing.T) (*Server, *fakeClock, rawClient) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	s := newServer(t, Options{Now: clock.now, Realism: Realism{Throttle: ThrottleGraph}})
	return s, clock, inProcessClient(t, s)
}

func TestThrottleIdentityBudget(t *testing.T) {
	s, clock, rc := throttledServer(t)
	// The demo tenant has 16 users: size S, 3,500 RU per 10 s; GET /users costs 2.
	sawPercentage := false
	for i := 0; i < 1750; i++ {
		r := rc.do("GET", "/v1.0/users", DefaultAdminToken, "")
		if r.status != 200 || r.header.Get("x-ms-resource-unit") != "2" {
			t.Fatalf("request %d: %d, x-ms-resource-unit %q", i, r.status, r.header.Get("x-ms-resource-unit"))
		}
		pct := r.header.Get("x-ms-throttle-limit-percentage")
		used := float64(2*(i+1)) / 3500
		if (pct != "") != (used > 0.8) {
			t.Fatalf("request %d (%.3f used): x-ms-throttle-limit-percentage %q", i, used, pct)
		}
		if pct != "" {
			sawPercentage = true
			if v, _ := strconv.ParseFloat(pct, 64); v < 0.8 || v > 1 || math.Abs(v-used) > 0.01 {
				t.Fatalf("percentage %q at %.3f", pct, used)
			}
		}
	}
	if !sawPercentage {
		t.Error("never saw x-ms-throttle-limit-percentage")
	}
	r := rc.do("GET", "/v1.0/users", DefaultAdminToken, "")
	if r.status != 429 || r.errorCode() != "TooManyRequests" || r.header.Get("Retry-After") != "10" {
		t.Fatalf("over budget: %d %s, Retry-After %q", r.status, r.raw, r.header.Get("Retry-After"))
	}
	app, _ := s.appOf("Bearer " + DefaultAdminToken)
	if got, want := r.header.Get("x-ms-throttle-scope"), "Tenant_Application/ReadWrite/"+app+"/"+DemoTenantID; got != want {
		t.Errorf("scope %q, want %q", got, want)
	}
	if r.header.Get("x-ms-throttle-information") != "ResourceUnitLimitExceeded" || r.header.Get("x-ms-resource-unit") != "" {
		t.Errorf("throttled headers: %v", r.header)
	}
	if r.header.Get("request-id") == "" || !strings.Contains(r.raw, `"innerError"`) {
		t.Errorf("429 without Graph's envelope: %s", r.raw)
	}
	// Another app (token) has its own budget; control endpoints have none.
	if r := rc.do("GET", "/v1.0/users", GlobalReaderToken, ""); r.status != 200 {
		t.Errorf("another app throttled: %d", r.status)
	}
	if r := rc.do("GET", "/_mock/health", DefaultAdminToken, ""); r.status != 200 {
		t.Errorf("control endpoint throttled: %d", r.status)
	}
	// An outer $batch is not charged (its steps are, through admitInner).
	if r := rc.do("POST", "/v1.0/$batch", DefaultAdminToken, `{"requests":[]}`); r.status == 429 {
		t.Error("outer $batch request throttled")
	}
	for _, url := range []string{"/v1.0/me", "/users/adele.vance@contoso.example/authentication/methods"} {
		step := httptest.NewRequest("GET", url, nil)
		step.Header.Set("Authorization", "Bearer "+DefaultAdminToken)
		if _, gerr := s.admitInner(step); gerr == nil || gerr.status != 429 {
			t.Errorf("inner batch step %s over budget: %v", url, gerr)
		}
	}
	// Waiting less than Retry-After is not enough; waiting it out is, and
	// the refused requests were not charged.
	clock.advance(9 * time.Second)
	r = rc.do("GET", "/v1.0/me", DefaultAdminToken, "")
	if r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Errorf("after 9 s: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	clock.advance(time.Second)
	for i := 0; i < 3500; i++ {
		if r := rc.do("GET", "/v1.0/me", DefaultAdminToken, ""); r.status != 200 || r.header.Get("x-ms-resource-unit") != "1" {
			t.Fatalf("after Retry-After, request %d: %d", i, r.status)
		}
	}
}

func TestThrottleReportsBudgetSlides(t *testing.T) {
	_, clock, rc := throttledServer(t)
	path := "/v1.0/reports/authenticationMethods/userRegistrationDetails"
	for i := 0; i < 5; i++ {
		if r := rc.do("GET", path, ReportsReaderToken, ""); r.status == 429 {
			t.Fatalf("report request %d throttled", i)
		}
		clock.advance(2 * time.Second)
	}
	// t=10s: the first request (t=0) has just left the window.
	if r := rc.do("GET", path, ReportsReaderToken, ""); r.status == 429 {
		t.Fatalf("at 10 s: throttled, Retry-After %s", r.header.Get("Retry-After"))
	}
	clock.advance(500 * time.Millisecond)
	r := rc.do("GET", path, ReportsReaderToken, "")
	if r.status != 429 || r.errorCode() != "activityLimitReached" || r.header.Get("Retry-After") != "2" ||
		r.header.Get("x-ms-throttle-information") != "RequestLimitExceeded" || !strings.HasPrefix(r.header.Get("x-ms-throttle-scope"), "Tenant_Application/Read/") {
		t.Errorf("at 10.5 s: %d %s %v", r.status, r.raw, r.header)
	}
	// Reports do not spend the identity budget.
	if r := rc.do("GET", "/v1.0/me", ReportsReaderToken, ""); r.status != 200 || r.header.Get("x-ms-throttle-limit-percentage") != "" {
		t.Errorf("identity request after reports: %d", r.status)
	}
}

func TestThrottleWriteQuota(t *testing.T) {
	s, clock, _ := throttledServer(t)
	th := s.emu.realism.throttle
	write := func() *graphError {
		r := httptest.NewRequest("POST", "/v1.0/users/adele.vance@contoso.example/authentication/phoneMethods", nil)
		r.Header.Set("Authorization", "Bearer "+DefaultAdminToken)
		_, gerr := th.admit(r)
		return gerr
	}
	// 1,000 writes at 0 s, 11 s and 22 s (keeping clear of the RU budget),
	// then one more at 33 s: it fits when the first ones leave at 150 s.
	for i := 0; i < throttling.WriteBudget; i++ {
		if gerr := write(); gerr != nil {
			t.Fatalf("write %d: %v", i, gerr)
		}
		if i%1000 == 999 {
			clock.advance(11 * time.Second)
		}
	}
	gerr := write()
	if gerr == nil || gerr.status != 429 || gerr.headers["x-ms-throttle-information"] != "WriteLimitExceeded" ||
		!strings.HasPrefix(gerr.headers["x-ms-throttle-scope"], "Tenant_Application/Write/") || gerr.headers["Retry-After"] != "117" {
		t.Fatalf("write over quota: %+v", gerr)
	}
	// Reads go on while writes are throttled.
	r := httptest.NewRequest("GET", "/v1.0/me", nil)
	r.Header.Set("Authorization", "Bearer "+DefaultAdminToken)
	if _, gerr := th.admit(r); gerr != nil {
		t.Errorf("read while writes are throttled: %v", gerr)
	}
}

func TestThrottleBudgetFollowsTenantSize(t *testing.T) {
	s, _, rc := throttledServer(t)
	th := s.emu.realism.throttle
	me := func() *graphError {
		r := httptest.NewRequest("GET", "/v1.0/me", nil)
		r.Header.Set("Authorization", "Bearer "+DefaultAdminToken)
		_, gerr := th.admit(r)
		return gerr
	}
	for _, tt := range []struct{ users, budget, seed int }{{60, 5000, 3}, {600, 8000, 4}} {
		if r := rc.do("POST", "/_mock/reset", DefaultAdminToken, fmt.Sprintf(`{"users":%d,"seed":%d}`, tt.users, tt.seed)); r.status != 200 {
			t.Fatal(r.raw)
		}
		// The budget is per app and tenant; each synthetic tenant is new.
		for i := 0; i < tt.budget; i++ {
			if gerr := me(); gerr != nil {
				t.Fatalf("%d users, request %d: %v", tt.users, i, gerr)
			}
		}
		gerr := me()
		if gerr == nil || !strings.Contains(gerr.message, fmt.Sprintf("budget of %d resource units", tt.budget)) {
			t.Errorf("%d users: %v", tt.users, gerr)
		}
	}
	// The same seed again is the same tenant, with the same spent budget.
	rc.do("POST", "/_mock/reset", DefaultAdminToken, `{"users":600,"seed":4}`)
	if me() == nil {
		t.Error("resetting to the same tenant refilled its budget")
	}
}

func TestFaultDrawsAreSeededAndProportioned(t *testing.T) {
	a, b := newFaults(0.5, 99), newFaults(0.5, 99)
	count := map[faultKind]int{}
	const n = 40000
	for i := 0; i < n; i++ {
		k := a.draw(true)
		if k != b.draw(true) {
			t.Fatalf("draw %d differs between two generators with seed 99", i)
		}
		count[k]++
	}
	want := map[faultKind]float64{faultNone: 50, fault500: 12.5, fault503: 12.5, fault504After: 10, faultDropBefore: 7.5, faultDropAfter: 7.5}
	for k, p := range want {
		if got := 100 * float64(count[k]) / n; math.Abs(got-p) > 1 {
			t.Errorf("fault %d: %.2f %%, want %.1f %%", k, got, p)
		}
	}
	inner := newFaults(1, 5)
	for i := 0; i < 1000; i++ {
		if k := inner.draw(false); k == faultDropBefore || k == faultDropAfter || k == faultNone {
			t.Fatalf("inner draw %d", k)
		}
	}
	if newFaults(0.1, 0).seed == 0 {
		t.Error("seed 0 was not replaced by a random seed")
	}
	var off *faults
	if off.draw(true) != faultNone || newFaults(0, 1).draw(true) != faultNone {
		t.Error("faults without a rate struck")
	}
}

func TestFaultsStrikeBeforeOrAfterHandling(t *testing.T) {
	s := newServer(t, Options{Realism: Realism{FailRate: 1, FailSeed: 7}})
	var mu sync.Mutex
	handled := map[string]bool{}
	h := s.realismLayer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		handled[r.URL.Query().Get("n")] = true
		mu.Unlock()
		w.WriteHeader(204)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	clients := map[string]rawClient{
		// No keep-alive: net/http silently retries an idempotent request
		// whose reused connection was reset, which would hide the drops.
		"tcp":        {t: t, c: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, base: srv.URL},
		"in-process": {t: t, c: &http.Client{Transport: inProcess{h: h}}, base: InProcessRoot},
	}
	for name, rc := range clients {
		t.Run(name, func(t *testing.T) {
			outcomes := map[string]int{}
			for i := 0; i < 200; i++ {
				n := name + strconv.Itoa(i)
				r := rc.send("GET", "/v1.0/me?n="+n, DefaultAdminToken, "")
				mu.Lock()
				ran := handled[n]
				mu.Unlock()
				switch {
				case r.err != nil:
					if name == "in-process" && !errors.Is(r.err, ErrConnectionDropped) {
						t.Errorf("in-process drop: %v", r.err)
					}
					outcomes["drop ran="+strconv.FormatBool(ran)]++
				case r.status == 500 && r.errorCode() == codeInternal && !ran:
					outcomes["500"]++
				case r.status == 503 && r.errorCode() == "serviceNotAvailable" && r.header.Get("Retry-After") == "1" && !ran:
					outcomes["503"]++
				case r.status == 504 && r.errorCode() == "UnknownError" && ran:
					outcomes["504 after"]++
				default:
					t.Errorf("request %d: %d %s (handled %v)", i, r.status, r.raw, ran)
				}
			}
			for _, o := range []string{"500", "503", "504 after", "drop ran=false", "drop ran=true"} {
				if outcomes[o] == 0 {
					t.Errorf("never saw %s: %v", o, outcomes)
				}
			}
			// The emulator's endpoints never fail.
			for i := 0; i < 20; i++ {
				if r := rc.send("GET", "/_mock/health", "", ""); r.err != nil || r.status != 204 {
					t.Fatalf("control endpoint failed: %v %d", r.err, r.status)
				}
			}
		})
	}
}

func TestLatencyDelaysGraphRequestsOnly(t *testing.T) {
	s := newServer(t, Options{Realism: Realism{Latency: Latency{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}}})
	var mu sync.Mutex
	var slept []time.Duration
	s.emu.realism.sleep = func(ctx context.Context, d time.Duration) bool {
		mu.Lock()
		slept = append(slept, d)
		mu.Unlock()
		return ctx.Err() == nil
	}
	rc := inProcessClient(t, s)
	for i := 0; i < 50; i++ {
		if r := rc.do("GET", "/v1.0/me", DefaultAdminToken, ""); r.status != 200 {
			t.Fatal(r.status)
		}
	}
	rc.do("GET", "/_mock/health", "", "")
	if len(slept) != 50 {
		t.Fatalf("%d delays for 50 Graph requests and one control request", len(slept))
	}
	distinct := map[time.Duration]bool{}
	for _, d := range slept {
		if d < 10*time.Millisecond || d > 50*time.Millisecond {
			t.Errorf("delay %s outside 10ms-50ms", d)
		}
		distinct[d] = true
	}
	if len(distinct) < 10 {
		t.Errorf("delays do not vary over the range: %v", slept)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if sleepCtx(ctx, time.Hour) {
		t.Error("sleepCtx waited out an hour for a client that left")
	}
	if !sleepCtx(context.Background(), time.Millisecond) || !sleepCtx(ctx, 0) {
		t.Error("sleepCtx refused a short or zero delay")
	}
}

func TestRealismOffIsTheBareHandler(t *testing.T) {
	s := newServer(t, Options{})
	if s.emu.realism != nil {
		t.Error("realism state without knobs")
	}
	if _, gerr := s.admitInner(httptest.NewRequest("GET", "/v1.0/me", nil)); gerr != nil {
		t.Error(gerr)
	}
	for _, bad := range []Realism{{FailRate: 1.5}, {FailRate: -0.1}, {FailRate: math.NaN()}, {Latency: Latency{Min: 2, Max: 1}}, {Latency: Latency{Max: 2 * time.Minute}}, {Throttle: "azure"}} {
		path := statePath(t)
		if _, err := NewServer(Options{Realism: bad, StatePath: path}); err == nil {
			t.Errorf("NewServer accepted %+v", bad)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("NewServer created the state before refusing %+v", bad)
		}
	}
}

func TestRealismParsers(t *testing.T) {
	lat := []struct {
		in   string
		want Latency
		err  string
	}{
		{"", Latency{}, ""}, {"off", Latency{}, ""}, {"0", Latency{}, ""},
		{"20ms", Latency{20 * time.Millisecond, 20 * time.Millisecond}, ""},
		{" 10ms - 50ms ", Latency{10 * time.Millisecond, 50 * time.Millisecond}, ""},
		{"50ms-10ms", Latency{}, "runs backwards"},
		{"20", Latency{}, "not a duration"},
		{"-5ms", Latency{}, "not a duration"},
		{"2m", Latency{}, "between 0 and 1m0s"},
		{"10ms-", Latency{}, "not a duration"},
	}
	for _, tt := range lat {
		got, err := ParseLatency(tt.in)
		if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) || got != tt.want {
			t.Errorf("ParseLatency(%q) = %v, %v; want %v, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
	rates := []struct {
		in   string
		want float64
		ok   bool
	}{{"", 0, true}, {"0.02", 0.02, true}, {"2%", 0.02, true}, {" 100 % ", 1, true}, {"1", 1, true}, {"1.5", 0, false}, {"-0.1", 0, false}, {"NaN", 0, false}, {"two", 0, false}, {"%", 0, false}}
	for _, tt := range rates {
		got, err := ParseFailRate(tt.in)
		if (err == nil) != tt.ok || math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("ParseFailRate(%q) = %v, %v", tt.in, got, err)
		}
	}
	for in, want := range map[string]Throttle{"": ThrottleOff, "off": ThrottleOff, "none": ThrottleOff, "graph": ThrottleGraph, " Graph ": ThrottleGraph, "graph,methods-as-reports": ThrottleGraphMethodsAsReports, "methods-as-reports, graph": ThrottleGraphMethodsAsReports} {
		if got, err := ParseThrottle(in); err != nil || got != want {
			t.Errorf("ParseThrottle(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseThrottle("azure"); err == nil || !strings.Contains(err.Error(), "use graph, graph,methods-as-reports, or off") {
		t.Errorf("ParseThrottle(azure): %v", err)
	}
	env := map[string]string{EnvLatency: "20ms", EnvThrottle: "graph", EnvFailRate: "1%", EnvFailSeed: "12"}
	r, err := RealismFromEnv(func(k string) string { return env[k] })
	if err != nil || r != (Realism{Latency: Latency{20 * time.Millisecond, 20 * time.Millisecond}, Throttle: ThrottleGraph, FailRate: 0.01, FailSeed: 12}) {
		t.Errorf("RealismFromEnv = %+v, %v", r, err)
	}
	if got := RealismSummary(r.info(nil)); got != "latency 20ms, throttle graph, fail-rate 0.01 (seed 0)" {
		t.Errorf("summary %q", got)
	}
	env[EnvFailSeed] = "-1"
	if _, err := RealismFromEnv(func(k string) string { return env[k] }); err == nil || !strings.HasPrefix(err.Error(), EnvFailSeed) {
		t.Errorf("bad seed: %v", err)
	}
}

func FuzzParseLatency(f *testing.F) {
	for _, s := range []string{"20ms", "10ms-50ms", "off", "", "1h", "-1s", "5ms--1ms", "1e3ms"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLatency(s)
		if err != nil {
			return
		}
		if l.Min < 0 || l.Max < l.Min || l.Max > maxLatency {
			t.Errorf("%q gave %+v", s, l)
		}
		if back, err := ParseLatency(l.String()); err != nil || back != l {
			t.Errorf("%q: String() %q does not parse back: %+v %v", s, l.String(), back, err)
		}
	})
}

func FuzzParseFailRate(f *testing.F) {
	for _, s := range []string{"0.02", "2%", "", "1", "1e-3", "Inf", "-0", "100%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseFailRate(s)
		if err == nil && !(v >= 0 && v <= 1) {
			t.Errorf("%q gave %v", s, v)
		}
	})
}

func FuzzRealismFromEnv(f *testing.F) {
	f.Add("20ms", "graph", "0.02", "7")
	f.Add("", "", "", "")
	f.Add("1s-2s", "off", "50%", "18446744073709551615")
	f.Fuzz(func(t *testing.T, lat, thr, rate, seed string) {
		env := map[string]string{EnvLatency: lat, EnvThrottle: thr, EnvFailRate: rate, EnvFailSeed: seed}
		r, err := RealismFromEnv(func(k string) string { return env[k] })
		if err != nil {
			return
		}
		if _, err := newRealismState(r, time.Now); err != nil {
			t.Errorf("parsed knobs %+v refused by the server: %v", r, err)
		}
	})
}
