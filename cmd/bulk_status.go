package cmd

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/bulk"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/output"
)

// BulkStatusOptions are the inputs of `bulk status`.
type BulkStatusOptions struct {
	Printer func() (*output.Printer, error)
	Plan    string
}

// Validate checks the plan's name before the plan is read.
func (o *BulkStatusOptions) Validate() error { return checkPlanArg("bulk status", o.Plan) }

// NewCmdBulkStatus builds `mfactl bulk status plan.json`.
func NewCmdBulkStatus(f *cmdutil.Factory, runF func(context.Context, *BulkStatusOptions) error) *cobra.Command {
	opts := &BulkStatusOptions{Printer: f.Printer}
	c := &cobra.Command{
		Use:   "status <plan.json>",
		Short: "Show how far the apply of a plan got (from its journal; nothing is read from Graph)",
		Example: `  mfactl bulk status plan.json   # plan.json from bulk plan --out [placeholder]
  mfactl bulk status plan.json -o json   # [placeholder]`,
		Args: exactArgs(1, "bulk status needs the <plan.json>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Plan = args[0]
			return runVerb(cmd.Context(), opts, runF, bulkStatusRun)
		},
	}
	return c
}

// bulkStatusView is what `bulk status` prints.
type bulkStatusView struct {
	Plan       string         `json:"plan"`
	File       string         `json:"file"`
	Started    bool           `json:"started"`
	Users      int            `json:"users"`
	UsersDone  int            `json:"usersDone"`
	Operations int            `json:"operations"`
	ByOutcome  map[string]int `json:"byOutcome"`
	Refused    int            `json:"refused"`
}

func (v bulkStatusView) Table() output.TableData {
	t := output.TableData{Header: []string{"outcome", "operations"}}
	for _, st := range []bulk.OpState{bulk.StateDone, bulk.StatePending, bulk.StateIntent, bulk.StateFailed, bulk.StateConflict, bulk.StateSkipped} {
		name := outcomeName(st)
		t.Rows = append(t.Rows, []string{name, fmt.Sprint(v.ByOutcome[name])})
	}
	return t
}

func (v bulkStatusView) RenderTable(w io.Writer) error {
	state := "not started"
	switch {
	case v.UsersDone == v.Users && v.Started:
		state = "finished"
	case v.Started:
		state = "in progress or interrupted"
	}
	fmt.Fprintf(w, "Plan %s (%s): %s\n", v.Plan, v.File, state)
	fmt.Fprintf(w, "Users %d of %d finished; %d operations; %d rows refused at planning\n", v.UsersDone, v.Users, v.Operations, v.Refused)
	return output.WriteTable(w, v.Table())
}

func bulkStatusRun(_ context.Context, opts *BulkStatusOptions) error {
	h, sum, err := openPlan(opts.Plan)
	if err != nil {
		return err
	}
	jpath := bulk.JournalPath(opts.Plan)
	j, err := bulk.ReadJournal(jpath, h.ID, sum.Ops)
	if err != nil {
		return cmdutil.WithExit(cmdutil.ExitUsage, err, "")
	}
	v := bulkStatusView{Plan: h.ID, File: opts.Plan, Operations: sum.Ops, Refused: sum.Refused, ByOutcome: map[string]int{}}
	for st, n := range j.Counts() {
		v.ByOutcome[outcomeName(st)] += n
		if st != bulk.StatePending && n > 0 {
			v.Started = true
		}
	}
	err = streamPlan(opts.Plan, func(u bulk.UserPlan) error {
		if len(u.Ops) == 0 {
			return nil
		}
		v.Users++
		for _, op := range u.Ops {
			if !j.State(op.N).Final() {
				return nil
			}
		}
		v.UsersDone++
		return nil
	})
	if err != nil {
		return err
	}
	printer, err := opts.Printer()
	if err != nil {
		return err
	}
	return printer.Print(v)
}
