package runbook

import (
	"context"
	"fmt"

	"github.com/mfactl/mfactl/methods"
)

// Executor makes a plan's changes in the tenant.
type Executor interface {
	SetDefault(ctx context.Context, d methods.DefaultMethod) error
	Remove(ctx context.Context, m methods.Method) error
	RevokeSessions(ctx context.Context) error
	IssueTAP(ctx context.Context, spec TAPSpec) (methods.Method, error)
	// Gone reports whether a removal failed because the method no longer
	// exists (Graph's 404): an earlier run, or an answer lost on the way
	// back after the removal was made.
	Gone(err error) bool
}

// Status of a step.
type Status string

// Step statuses.
const (
	StatusPlanned Status = "planned"
	StatusDone    Status = "done"
	// StatusSkipped: a removal found the method already gone.
	StatusSkipped Status = "skipped"
	StatusFailed  Status = "failed"
	StatusNotRun  Status = "notRun"
)

// StepResult is a step and how it went.
type StepResult struct {
	Step
	Status Status `json:"status"`
	Error  string `json:"error,omitempty"`
}

// Result is how a run went.
type Result struct {
	Steps []StepResult
	// TAP is the pass issued (its clear text in Pass), nil when none was.
	TAP *methods.Method
	// Failed is the index of the step that failed, -1 when none did.
	Failed int
	// Err is the failed step's error.
	Err error
}

// Done counts the steps that changed something or found their work done.
func (r Result) Done() int {
	n := 0
	for _, s := range r.Steps {
		if s.Status == StatusDone || s.Status == StatusSkipped {
			n++
		}
	}
	return n
}

// Changed reports whether any step changed the tenant.
func (r Result) Changed() bool {
	for _, s := range r.Steps {
		if s.Status == StatusDone {
			return true
		}
	}
	return false
}

// Planned lists the steps as not yet run (a dry run, a refusal).
func Planned(p Plan) []StepResult {
	out := make([]StepResult, len(p.Steps))
	for i, s := range p.Steps {
		out[i] = StepResult{Step: s, Status: StatusPlanned}
	}
	return out
}

// Execute runs the steps in order and stops at the first failure: the
// steps before it are done, the rest are not run. Running the same reset
// again plans from the tenant as it now is, so it picks up where this run
// stopped (removals already made are no longer in the plan, and one that
// finds its method gone is skipped).
func Execute(ctx context.Context, p Plan, ex Executor) Result {
	res := Result{Steps: make([]StepResult, len(p.Steps)), Failed: -1}
	for i, s := range p.Steps {
		res.Steps[i] = StepResult{Step: s, Status: StatusNotRun}
	}
	for i, s := range p.Steps {
		var err error
		if err = ctx.Err(); err == nil {
			switch s.Action {
			case ActionSetDefault:
				err = ex.SetDefault(ctx, s.Default)
			case ActionRemove:
				err = ex.Remove(ctx, *s.Method)
				if err != nil && ex.Gone(err) {
					res.Steps[i].Status = StatusSkipped
					res.Steps[i].Error = "already removed"
					continue
				}
			case ActionRevokeSessions:
				err = ex.RevokeSessions(ctx)
			case ActionIssueTAP:
				var m methods.Method
				if m, err = ex.IssueTAP(ctx, *s.TAP); err == nil {
					res.TAP = &m
				}
			default:
				err = fmt.Errorf("runbook: unknown step %q", s.Action)
			}
		}
		if err != nil {
			res.Steps[i].Status, res.Steps[i].Error = StatusFailed, err.Error()
			res.Failed, res.Err = i, err
			return res
		}
		res.Steps[i].Status = StatusDone
	}
	return res
}
