package coverage

import (
	"time"
)

// The two-front planner: a pure function of the tenant's counts, Graph's
// budgets, the page sizes and what was observed, with no I/O, so that it is
// table-tested like the runbook planner and the fetchers (fronts.go) stay
// separate from it.
//
// The registration report is read in ascending userPrincipalName order,
// one reports request a page (ReportPage users); at the same time every
// other user's method list and sign-in preferences are read through $batch
// from the other end of the same order, StepsPerUser steps a user at one
// resource unit each, plus one resource unit a page of the user listing.
// Disabled users are not in the report, so they are always read through
// their method lists. The fronts meet where their rates say; the plan is
// the split (the number of registration pages) that minimises the later of
// the two fronts' times.

// Budgets are Graph's two read budgets the fronts draw on, per Window
// (concepts/throttling-limits.md; internal/throttling).
type Budgets struct {
	Window time.Duration
	// ReportsRequests is the reports budget: requests per Window.
	ReportsRequests int
	// ResourceUnits is the identity budget: resource units per Window.
	ResourceUnits int
}

// FrontsInput is everything the planner knows.
type FrontsInput struct {
	// Enabled and Disabled are the tenant's user counts (the fronts'
	// remaining users when re-planning).
	Enabled, Disabled int
	Budgets           Budgets
	// ReportPage is the users a registration page holds (the $top asked
	// for, or what the server serves); UsersPage a /users page's.
	ReportPage, UsersPage int
	// StepsPerUser is the $batch steps a user's row needs; BatchSize the
	// steps a $batch holds; Concurrency the $batch requests in flight.
	StepsPerUser, BatchSize, Concurrency int
	// Metered: the server meters requests, so the budgets bound the run;
	// unmetered, only the round trips do.
	Metered bool
	// RTT is a request's round trip (observed; 0 for the bound).
	RTT time.Duration
	// Warm: the budgets' windows are already spent (a re-plan in the
	// middle of a run), so no first window comes free: they start to
	// refill Refill from now.
	Warm   bool
	Refill time.Duration
	// MethodsOnReports: the server charges method reads to the reports
	// budget (a 429 said so), so the methods front only reads the users
	// the report cannot list.
	MethodsOnReports bool
}

// FrontsPlan is the planner's answer.
type FrontsPlan struct {
	// ReportUsers are the enabled users the registration front covers,
	// from the start of the order; MethodsUsers the enabled users the
	// methods front covers from the end; Disabled the disabled users read
	// through their method lists.
	ReportUsers, MethodsUsers, Disabled int
	// ReportRequests are registration pages (reports budget);
	// MethodsRequests user pages and $batch steps; ResourceUnits their
	// identity cost.
	ReportRequests, MethodsRequests, ResourceUnits int
	ReportTime, MethodsTime                        time.Duration
	// Time is the later of the two fronts.
	Time time.Duration
}

// ReportShare is the share of the enabled users the registration front
// covers: where the fronts are predicted to meet.
func (f FrontsPlan) ReportShare() float64 {
	if n := f.ReportUsers + f.MethodsUsers; n > 0 {
		return float64(f.ReportUsers) / float64(n)
	}
	return 0
}

// PlanFronts is the split of the enabled users between the fronts that
// finishes soonest: the minimum over the number of registration pages p of
// max(report time, methods time); among splits of the same time, the one
// whose fronts would end together at their steady rates.
func PlanFronts(in FrontsInput) FrontsPlan {
	in = in.withDefaults()
	maxPages := ceilDiv(in.Enabled, in.ReportPage)
	best, bestFluid := FrontsPlan{Time: -1}, 0.0
	for p := 0; p <= maxPages; p++ {
		if in.MethodsOnReports && p < maxPages {
			// Method reads crawl at the reports budget: the report
			// covers every enabled user.
			continue
		}
		f := in.split(p)
		// Whole windows tie often; among ties the split whose fronts
		// would end together at a steady rate is where they meet.
		fluid := max(float64(f.ReportRequests)/float64(in.Budgets.ReportsRequests), float64(f.ResourceUnits)/float64(in.Budgets.ResourceUnits))
		if best.Time < 0 || f.Time < best.Time || (f.Time == best.Time && fluid < bestFluid) {
			best, bestFluid = f, fluid
		}
	}
	return best
}

// Bound is the time the two budgets allow for the tenant: PlanFronts with
// no round-trip time and the budgets metered.
func Bound(in FrontsInput) time.Duration {
	in.RTT, in.Metered, in.Warm, in.Refill = 0, true, false, 0
	return PlanFronts(in).Time
}

func (in FrontsInput) withDefaults() FrontsInput {
	if in.Budgets.Window <= 0 {
		in.Budgets.Window = 10 * time.Second
	}
	in.Budgets.ReportsRequests = max(in.Budgets.ReportsRequests, 1)
	in.Budgets.ResourceUnits = max(in.Budgets.ResourceUnits, 1)
	in.ReportPage = max(in.ReportPage, 1)
	in.UsersPage = max(in.UsersPage, 1)
	in.StepsPerUser = max(in.StepsPerUser, 1)
	in.BatchSize = max(in.BatchSize, 1)
	in.Concurrency = max(in.Concurrency, 1)
	in.Enabled, in.Disabled = max(in.Enabled, 0), max(in.Disabled, 0)
	return in
}

// split plans p registration pages.
func (in FrontsInput) split(p int) FrontsPlan {
	f := FrontsPlan{ReportRequests: p, Disabled: in.Disabled}
	f.ReportUsers = min(in.Enabled, p*in.ReportPage)
	f.MethodsUsers = in.Enabled - f.ReportUsers
	f.ReportTime = in.frontTime(p, in.Budgets.ReportsRequests, time.Duration(p)*in.RTT)

	// The methods front lists its end of /users (passing over the
	// disabled users there) and the disabled users, one resource unit a
	// page with $select, and reads StepsPerUser steps a user.
	total := in.Enabled + in.Disabled
	listed := 0
	if in.Enabled > 0 && f.MethodsUsers > 0 {
		listed = ceilDiv(f.MethodsUsers*total, in.Enabled)
	}
	pages := ceilDiv(listed, in.UsersPage) + ceilDiv(in.Disabled, in.UsersPage)
	steps := (f.MethodsUsers + in.Disabled) * in.StepsPerUser
	f.MethodsRequests = pages + steps
	f.ResourceUnits = pages + steps
	batches := ceilDiv(steps, in.BatchSize)
	trips := time.Duration(pages+ceilDiv(batches, in.Concurrency)) * in.RTT
	if in.MethodsOnReports {
		f.MethodsTime = in.frontTime(steps, in.Budgets.ReportsRequests, trips)
		// Both fronts draw on the one reports budget.
		f.ReportTime = in.frontTime(p+steps, in.Budgets.ReportsRequests, time.Duration(p)*in.RTT)
	} else {
		f.MethodsTime = in.frontTime(f.ResourceUnits, in.Budgets.ResourceUnits, trips)
	}
	f.Time = max(f.ReportTime, f.MethodsTime)
	return f
}

// frontTime is how long n units take under a budget of limit per Window
// (when metered) or the round trips alone: limit at once, then limit more
// each time a window has passed (every window already spent when Warm).
func (in FrontsInput) frontTime(n, limit int, trips time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	if !in.Metered {
		return trips
	}
	windows := ceilDiv(n, limit) - 1
	wait := time.Duration(windows) * in.Budgets.Window
	if in.Warm {
		wait += in.Refill
	}
	return max(trips, wait+in.RTT)
}

// Progress is what the fronts have done so far: the observations a
// re-plan starts from.
type Progress struct {
	Elapsed time.Duration
	// ReportUsers, MethodsUsers, DisabledUsers are the users covered so far.
	ReportUsers, MethodsUsers, DisabledUsers int
	// ReportPages are the registration pages read.
	ReportPages int
	// Met: the fronts met (the enabled users are all claimed).
	Met bool
	// ReportPage is the registration page size the server served (0: as
	// asked).
	ReportPage int
	// RTT is the round trip observed.
	RTT time.Duration
	// MethodsOnReports: a 429 showed method reads on the reports budget.
	MethodsOnReports bool
}

// Forecast re-plans from progress: the remaining users under the same
// budgets, their windows now spent, with the page size, round trip and 429
// scope observed. It returns the predicted total time and the plan of the
// rest.
func Forecast(in FrontsInput, pr Progress) (time.Duration, FrontsPlan) {
	rest := in
	rest.Enabled = max(in.Enabled-pr.ReportUsers-pr.MethodsUsers, 0)
	if pr.Met {
		rest.Enabled = 0
	}
	rest.Disabled = max(in.Disabled-pr.DisabledUsers, 0)
	if pr.ReportPage > 0 {
		rest.ReportPage = pr.ReportPage
	}
	if pr.RTT > 0 {
		rest.RTT = pr.RTT
	}
	rest.MethodsOnReports = rest.MethodsOnReports || pr.MethodsOnReports
	if pr.Elapsed > 0 {
		// The fronts spend each window as it opens: the next refill is
		// due at the next multiple of the window since they started.
		w := rest.withDefaults().Budgets.Window
		rest.Warm, rest.Refill = true, w-pr.Elapsed%w
	}
	f := PlanFronts(rest)
	return pr.Elapsed + f.Time, f
}
