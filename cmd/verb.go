package cmd

import "context"

// Every verb has one shape, as GitHub CLI's: NewCmdX(f, runF) builds an
// XOptions that lists the dependencies the verb uses (IO, Graph, Printer,
// ...) and the flags, RunE fills in the arguments and calls runVerb, which
// checks the inputs with Validate (no I/O) and then runs runF (tests) or
// the verb's run. verbshape_test.go holds every verb to it.

// runVerb validates opts, then runs runF when a test gave one, else run.
func runVerb[O interface{ Validate() error }](ctx context.Context, opts O, runF, run func(context.Context, O) error) error {
	if err := opts.Validate(); err != nil {
		return err
	}
	if runF != nil {
		return runF(ctx, opts)
	}
	return run(ctx, opts)
}
