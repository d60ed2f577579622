package cmd

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods"
)

var tapNoun = kindNoun{kind: methods.KindTemporaryAccess, use: "tap", example: "miriam.graham@contoso.example"}

// Graph's absolute bounds of a pass's lifetime, used when the tenant's
// policy cannot be read.
const (
	tapMinLifetime = 10
	tapMaxLifetime = 43200
)

// NewCmdTAP groups the Temporary Access Pass verbs.
func NewCmdTAP(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "tap <command>",
		Short: "Issue, show and remove Temporary Access Passes",
		Long: `A Temporary Access Pass is a time-limited passcode with which a user signs in
to register passwordless methods (a new hire, a lost phone). A user has at most
one: a new pass replaces the current one. The pass itself is shown once, when it
is created, and never again.`,
	}
	show := NewCmdKindList(f, tapNoun, nil)
	show.Use, show.Short = "show <user>", "Show a user's Temporary Access Pass (its state; the pass itself is never shown again)"
	show.Args = exactArgs(1, "tap show needs one <user>: a user principal name or object id")
	show.Example = kindExamples("tap show", tapNoun.example, "")
	remove := NewCmdKindRemove(f, tapNoun, nil)
	remove.Use = "remove <user>"
	remove.Args = exactArgs(1, "tap remove needs one <user>")
	remove.Example = kindExamples("tap remove", tapNoun.example, "--yes")
	c.AddCommand(NewCmdTAPCreate(f, nil), show, remove)
	return c
}

// TAPCreateOptions are the inputs of `tap create`.
type TAPCreateOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	Now  func() time.Time
	User string
	// Lifetime and Start are as typed; empty means the policy's default
	// and now.
	Lifetime string
	Start    string
	Once     bool

	// lifetime and start are Lifetime and Start, parsed by Validate.
	lifetime time.Duration
	start    *time.Time
}

// Validate checks the lifetime, the start and the user reference before
// any request (the lifetime against the policy comes later: it needs the
// policy).
func (o *TAPCreateOptions) Validate() error {
	o.lifetime, o.start = 0, nil
	if o.Lifetime != "" {
		d, err := parseLifetime(o.Lifetime)
		if err != nil {
			return cmdutil.FlagErrorf("--lifetime: %v", err)
		}
		o.lifetime = d
	}
	if o.Start != "" {
		now := o.Now()
		t, err := parseStart(o.Start, now, time.Local)
		if err != nil {
			return cmdutil.FlagErrorf("%v", err)
		}
		if entra.CheckTAPStart(t, now) != "" {
			return cmdutil.FlagErrorf("--start %s lies in the past", t.Format(time.RFC3339))
		}
		o.start = &t
	}
	return graph.ValidateUserRef(o.User)
}

// NewCmdTAPCreate builds `mfactl tap create <user> [--lifetime 1h] [--once] [--start TIME]`.
func NewCmdTAPCreate(f *cmdutil.Factory, runF func(context.Context, *TAPCreateOptions) error) *cobra.Command {
	opts := &TAPCreateOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit, Now: f.Now}
	c := &cobra.Command{
		Use:   "create <user> [--lifetime 1h] [--once] [--start TIME]",
		Short: "Issue a Temporary Access Pass and show it once",
		Long: `Issue a Temporary Access Pass. The lifetime is checked against the tenant's
Temporary Access Pass policy before the request (reading the policy needs
Policy.Read.All; without it Graph checks). Without --lifetime the policy's
default applies; without --once the policy decides whether the pass is reusable.

The pass is printed once, here (also with -o json), and never again: hand it to
the user over a trusted channel.`,
		Example: `  mfactl --mock tap create alex.wilber@contoso.example --lifetime 2h --once
  mfactl tap create alex@contoso.com --start +12h --lifetime "1 day"   # [real tenant]
  mfactl tap create alex@contoso.com -o json | jq -r .temporaryAccessPass   # [real tenant]`,
		Args: exactArgs(1, "tap create needs one <user>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, tapCreateRun)
		},
	}
	c.Flags().StringVar(&opts.Lifetime, "lifetime", "", "how long the pass works: 1h, 90m, 8h, 2d (default: the policy's)")
	c.Flags().StringVar(&opts.Start, "start", "", "when the pass starts working: now, +2h, 2025-06-02T08:00:00Z or \"2025-06-02 08:00\" (local)")
	c.Flags().BoolVar(&opts.Once, "once", false, "the pass works for one sign-in only")
	addMutationFlags(c, &opts.Mutation, false)
	return c
}

// checkLifetime holds a lifetime against the policy (or Graph's absolute
// bounds when the policy is unknown) and names the bounds when it is out.
func checkLifetime(lifetime time.Duration, pol *graph.TAPPolicy) error {
	minutes := int(lifetime / time.Minute)
	lo, hi, source := tapMinLifetime, tapMaxLifetime, "Graph's limits"
	if pol != nil {
		lo, hi, source = pol.MinimumLifetimeInMinutes, pol.MaximumLifetimeInMinutes, "the tenant's Temporary Access Pass policy"
	}
	if entra.CheckTAPLifetime(minutes, lo, hi) != "" {
		return cmdutil.WithExit(cmdutil.ExitUsage,
			fmt.Errorf("--lifetime %s is outside %s: a pass lives between %s and %s (minimum %d, maximum %d minutes)",
				humanDuration(lifetime), source, humanDuration(time.Duration(lo)*time.Minute), humanDuration(time.Duration(hi)*time.Minute), lo, hi),
			"choose a lifetime within those bounds")
	}
	return nil
}

func tapCreateRun(ctx context.Context, opts *TAPCreateOptions) error {
	req := graph.TAPRequest{Start: opts.start, LifetimeMinutes: int(opts.lifetime / time.Minute)}
	lifetime := opts.lifetime
	if opts.Once {
		once := true
		req.UsableOnce = &once
	}
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	r, err := s.resolveUser(ctx, opts.User, true)
	if err != nil {
		return err
	}
	pol, err := s.client.GetTAPPolicy(ctx)
	var known *graph.TAPPolicy
	switch {
	case err == nil:
		known = &pol
		if pol.State != "" && pol.State != "enabled" {
			return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("the Temporary Access Pass method is disabled in the tenant's authentication methods policy"), "enable it in the policy first")
		}
	case graph.StatusOf(err) == 403 || graph.StatusOf(err) == 404 || graph.StatusOf(err) == 400:
		s.IO.Warnf("could not read the tenant's Temporary Access Pass policy (%s); Graph will check the lifetime", graph.CodeOf(err))
	default:
		return err
	}
	if lifetime > 0 {
		if err := checkLifetime(lifetime, known); err != nil {
			return err
		}
	}
	for _, old := range ofKind(r.Methods, methods.KindTemporaryAccess) {
		s.IO.Warnf("%s already has a Temporary Access Pass (%s); the new pass replaces it", r.User.UserPrincipalName, old.ID)
	}
	m, err := s.client.CreateTAP(ctx, r.User.ID, req)
	if err != nil {
		return r.explain(err)
	}
	if done, err := s.finishDryRun(); done {
		return err
	}
	if s.isTable() {
		s.IO.Notef("The pass is shown only now: hand it to the user over a trusted channel.")
		return s.printer.Print(tapView{user: r, m: m})
	}
	return s.printer.Print(methodView{m})
}

// tapView is the human rendering of a new pass.
type tapView struct {
	user resolved
	m    methods.Method
}

func (v tapView) Table() output.TableData { return methodsTable([]methods.Method{v.m}) }

func (v tapView) RenderTable(w io.Writer) error {
	m := v.m
	once := "reusable"
	if m.IsUsableOnce != nil && *m.IsUsableOnce {
		once = "one-time"
	}
	start := "now"
	if m.StartDateTime != nil {
		start = m.StartDateTime.UTC().Format("2006-01-02 15:04 UTC")
	}
	_, err := fmt.Fprintf(w, "Temporary Access Pass for %s: %s\nValid from %s for %s (%s); id %s\n",
		v.user.Name(), m.Pass, start, humanDuration(time.Duration(m.LifetimeInMinutes)*time.Minute), once, m.ID)
	return err
}
