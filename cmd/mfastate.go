package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods"
)

// NewCmdMFAState groups the per-user MFA state verbs.
func NewCmdMFAState(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "mfa-state <command>",
		Short: "Show and set the legacy per-user MFA state",
		Long: `The per-user MFA state (disabled, enabled, enforced) is Entra's legacy way of
requiring MFA, read and written through Graph's beta requirements API. Changing
it needs the Authentication Policy Administrator role. Conditional Access is the
modern replacement.`,
	}
	c.AddCommand(NewCmdMFAStateShow(f, nil), NewCmdMFAStateSet(f, nil))
	return c
}

// MFAStateOptions are the inputs of `mfa-state show` and `mfa-state set`.
type MFAStateOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	User  string
	State string

	state methods.MFAState // State, parsed by Validate
}

// Validate checks the user reference and the state (set only) before any
// request.
func (o *MFAStateOptions) Validate() error {
	if o.State != "" {
		state, err := methods.ParseMFAState(o.State)
		if err != nil {
			return cmdutil.FlagErrorWrap(err)
		}
		o.state = state
	}
	return graph.ValidateUserRef(o.User)
}

// mfaStateView is what both verbs print.
type mfaStateView struct {
	User  string           `json:"userPrincipalName"`
	State methods.MFAState `json:"perUserMfaState"`
}

func (v mfaStateView) Table() output.TableData {
	return output.TableData{Header: []string{"user", "per-user mfa state"}, Rows: [][]string{{v.User, string(v.State)}}}
}

// NewCmdMFAStateShow builds `mfactl mfa-state show <user>`.
func NewCmdMFAStateShow(f *cmdutil.Factory, runF func(context.Context, *MFAStateOptions) error) *cobra.Command {
	opts := &MFAStateOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit}
	return &cobra.Command{
		Use:     "show <user>",
		Short:   "Show the user's per-user MFA state",
		Example: `  mfactl --mock mfa-state show adele.vance@contoso.example`,
		Args:    exactArgs(1, "mfa-state show needs one <user>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, mfaStateRun)
		},
	}
}

// NewCmdMFAStateSet builds `mfactl mfa-state set <user> <state>`.
func NewCmdMFAStateSet(f *cmdutil.Factory, runF func(context.Context, *MFAStateOptions) error) *cobra.Command {
	opts := &MFAStateOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit}
	c := &cobra.Command{
		Use:   "set <user> {disabled | enabled | enforced}",
		Short: "Set the user's per-user MFA state",
		Example: `  mfactl --mock mfa-state set alex.wilber@contoso.example enforced
  mfactl mfa-state set alex@contoso.com disabled --dry-run   # [real tenant]`,
		Args:      exactArgs(2, "mfa-state set needs a <user> and a state: disabled, enabled or enforced"),
		ValidArgs: []string{"disabled", "enabled", "enforced"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User, opts.State = args[0], args[1]
			if _, err := methods.ParseMFAState(opts.State); err != nil {
				return cmdutil.FlagErrorWrap(err)
			}
			return runVerb(cmd.Context(), opts, runF, mfaStateRun)
		},
	}
	addMutationFlags(c, &opts.Mutation, false)
	return c
}

// mfaStateRun shows the state, or sets it first when State is given.
func mfaStateRun(ctx context.Context, opts *MFAStateOptions) error {
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	r, err := s.resolveUser(ctx, opts.User, false)
	if err != nil {
		return err
	}
	if opts.State != "" {
		state := opts.state
		before, err := s.client.GetMFAState(ctx, r.User.ID)
		if err != nil {
			return err
		}
		if err := s.client.SetMFAState(ctx, r.User.ID, state); err != nil {
			return r.explain(err)
		}
		if done, err := s.finishDryRun(); done {
			return err
		}
		// Re-read: Entra may store another state than the one sent (enabled
		// becomes enforced for a user who already has an MFA method), and
		// the note must say what is true.
		after, err := s.client.GetMFAState(ctx, r.User.ID)
		if err != nil {
			return err
		}
		s.IO.Notef("The per-user MFA state of %s changed from %s to %s.", r.Name(), before, after)
		if after != state {
			s.IO.Notef("Entra stored %s rather than %s: a user who already has an MFA method is enforced at once.", after, state)
		}
		if after == methods.MFADisabled {
			s.IO.Warnf("%s no longer has per-user MFA; make sure a Conditional Access policy requires MFA instead", r.User.UserPrincipalName)
		}
		if s.isTable() {
			return nil
		}
		return s.printer.Print(mfaStateView{User: r.User.UserPrincipalName, State: after})
	}
	st, err := s.client.GetMFAState(ctx, r.User.ID)
	if err != nil {
		return err
	}
	return s.printer.Print(mfaStateView{User: r.User.UserPrincipalName, State: st})
}
