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

func TestPlanFronts(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   FrontsInput
		want FrontsPlan
	}{
		{"empty tenant", frontsIn(0, 0), FrontsPlan{}},
		// 100,000 users, 4,000 disabled: the report reads 56 pages (12
		// windows, the first free: 110 s), the methods front the other
		// 40,056 enabled users and the disabled ones (88,159 RU: 110 s).
		{"100k", frontsIn(96000, 4000), FrontsPlan{ReportUsers: 55944, MethodsUsers: 40056, Disabled: 4000, ReportRequests: 56,
			MethodsRequests: 88159, ResourceUnits: 88159, ReportTime: 110 * time.Second, MethodsTime: 110 * time.Second, Time: 110 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlanFronts(tc.in); got != tc.want {
				t.Errorf("PlanFronts:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
