package coverage

import (
	"testing"
	"time"
)

func graphBudgets() Budgets {
	return Budgets{Window: 10 * time.Second, ReportsRequests: 5, ResourceUnits: 8000}
}

func frontsIn(enabled, disabled int) FrontsInput {
	return FrontsInput{Enabled: enabled, Disabled: disabled, Budgets: graphBudgets(), ReportPage: 999, UsersPage: 999,
		StepsPerUser: 2, BatchSize: 20, Concurrency: 8, Metered: true}
}

func with(in FrontsInput, f func(*FrontsInput)) FrontsInput {
	f(&in)
	return in
}

func TestPlanFronts(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   FrontsInput
		want FrontsPlan
	}{
		{"empty tenant", frontsIn(0, 0), FrontsPlan{}},
		// Everything fits the budgets' first window: no wait, and the
		// first split that takes no time (no report page).
		{"disabled users only", frontsIn(0, 50), FrontsPlan{Disabled: 50, MethodsRequests: 101, ResourceUnits: 101}},
		// 10,000 users (the benchmark tenant): 5 pages at once and 1 more
		// after a window; 3,617 enabled users and the 389 disabled ones
		// cost 8,017 RU, one window too.
		{"10k", frontsIn(9611, 389), FrontsPlan{ReportUsers: 5994, MethodsUsers: 3617, Disabled: 389, ReportRequests: 6,
			MethodsRequests: 8017, ResourceUnits: 8017, ReportTime: 10 * time.Second, MethodsTime: 10 * time.Second, Time: 10 * time.Second}},
		// 100,000 users, 4,000 disabled: the report reads 56 pages (12
		// windows, the first free: 110 s), the methods front the other
		// 40,056 enabled users and the disabled ones (88,159 RU: 110 s),
		// against 190 s for the report alone.
		{"100k", frontsIn(96000, 4000), FrontsPlan{ReportUsers: 55944, MethodsUsers: 40056, Disabled: 4000, ReportRequests: 56,
			MethodsRequests: 88159, ResourceUnits: 88159, ReportTime: 110 * time.Second, MethodsTime: 110 * time.Second, Time: 110 * time.Second}},
		// A server that serves the report 100 users a page (it refused
		// $top) moves the meeting point towards the report's start.
		{"100k, pages of 100", with(frontsIn(96000, 4000), func(in *FrontsInput) { in.ReportPage = 100 }), FrontsPlan{ReportUsers: 11100, MethodsUsers: 84900,
			Disabled: 4000, ReportRequests: 111, MethodsRequests: 177894, ResourceUnits: 177894, ReportTime: 220 * time.Second, MethodsTime: 220 * time.Second, Time: 220 * time.Second}},
		// Method reads charged to the reports budget: the report covers
		// every enabled user.
		{"method reads on the reports budget", with(frontsIn(9611, 0), func(in *FrontsInput) { in.MethodsOnReports = true }), FrontsPlan{ReportUsers: 9611,
			ReportRequests: 10, ReportTime: 10 * time.Second, Time: 10 * time.Second}},
		// Unmetered, the round trips decide: the report's sequential
		// pages against 8 batches in flight.
		{"unmetered, 20 ms", with(frontsIn(96000, 4000), func(in *FrontsInput) { in.Metered, in.RTT = false, 20*time.Millisecond }), FrontsPlan{ReportUsers: 93906,
			MethodsUsers: 2094, Disabled: 4000, ReportRequests: 94, MethodsRequests: 12196, ResourceUnits: 12196, ReportTime: 1880 * time.Millisecond,
			MethodsTime: 1700 * time.Millisecond, Time: 1880 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := PlanFronts(tc.in)
			if got != tc.want {
				t.Errorf("PlanFronts:\n got %+v\nwant %+v", got, tc.want)
			}
			if got.ReportUsers+got.MethodsUsers != tc.in.Enabled || got.Disabled != tc.in.Disabled {
				t.Errorf("the split does not cover the tenant: %+v", got)
			}
			// Neither front alone is faster.
			alone := []FrontsPlan{tc.in.withDefaults().split(0), tc.in.withDefaults().split(ceilDiv(tc.in.Enabled, max(tc.in.ReportPage, 1)))}
			for _, a := range alone {
				if a.Time < got.Time && !tc.in.MethodsOnReports {
					t.Errorf("one front alone is faster: %+v", a)
				}
			}
		})
	}
}

func TestBound(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   FrontsInput
		want time.Duration
	}{
		{"100k", frontsIn(96000, 4000), 110 * time.Second},
		{"10k", frontsIn(9611, 389), 10 * time.Second},
		{"a tenant of one window", frontsIn(3000, 100), 0},
		// Round trips and an unmetered server do not move the bound.
		{"100k, observed 20 ms, unmetered", with(frontsIn(96000, 4000), func(in *FrontsInput) { in.RTT, in.Metered = 20*time.Millisecond, false }), 110 * time.Second},
		// A million users: the bound grows linearly.
		{"1M", frontsIn(960000, 40000), 1110 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Bound(tc.in); got != tc.want {
				t.Errorf("Bound = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestForecast(t *testing.T) {
	in := frontsIn(96000, 4000)
	for _, tc := range []struct {
		name     string
		pr       Progress
		want     time.Duration
		wantRest FrontsPlan
	}{
		{"before the start: the plan", Progress{}, 110 * time.Second, PlanFronts(in)},
		// Half-way, on plan: 46,030 users left, windows spent until 50 s
		// has passed them: 60 s more.
		{"half-way", Progress{Elapsed: 50 * time.Second, ReportUsers: 29970, MethodsUsers: 16000, DisabledUsers: 4000}, 110 * time.Second,
			FrontsPlan{ReportUsers: 27972, MethodsUsers: 22058, ReportRequests: 28, MethodsRequests: 44139, ResourceUnits: 44139, ReportTime: 60 * time.Second, MethodsTime: 60 * time.Second, Time: 60 * time.Second}},
		// 4 s into a window: the next refill is 6 s away.
		{"mid-window", Progress{Elapsed: 54 * time.Second, ReportUsers: 29970, MethodsUsers: 16000, DisabledUsers: 4000}, 110 * time.Second,
			FrontsPlan{ReportUsers: 27972, MethodsUsers: 22058, ReportRequests: 28, MethodsRequests: 44139, ResourceUnits: 44139, ReportTime: 56 * time.Second, MethodsTime: 56 * time.Second, Time: 56 * time.Second}},
		// The server serves pages of 100: the rest takes longer.
		{"smaller pages observed", Progress{Elapsed: 50 * time.Second, ReportUsers: 2500, MethodsUsers: 16000, DisabledUsers: 4000, ReportPage: 100}, 230 * time.Second,
			FrontsPlan{ReportUsers: 8600, MethodsUsers: 68900, ReportRequests: 86, MethodsRequests: 137869, ResourceUnits: 137869, ReportTime: 180 * time.Second, MethodsTime: 180 * time.Second, Time: 180 * time.Second}},
		{"met", Progress{Elapsed: 105 * time.Second, ReportUsers: 55000, MethodsUsers: 41000, DisabledUsers: 4000, Met: true}, 105 * time.Second, FrontsPlan{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rest := Forecast(in, tc.pr)
			if got != tc.want || rest != tc.wantRest {
				t.Errorf("Forecast = %s\n%+v\nwant %s\n%+v", got, rest, tc.want, tc.wantRest)
			}
		})
	}
}
