package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
)

// NewCmdSessions groups the sign-in session verbs.
func NewCmdSessions(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{Use: "sessions <command>", Short: "Revoke a user's sign-in sessions"}
	c.AddCommand(NewCmdSessionsRevoke(f, nil))
	return c
}

// SessionsRevokeOptions are the inputs of `sessions revoke`.
type SessionsRevokeOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	User string
}

// Validate checks the user reference before any request.
func (o *SessionsRevokeOptions) Validate() error { return graph.ValidateUserRef(o.User) }

// NewCmdSessionsRevoke builds `mfactl sessions revoke <user>`.
func NewCmdSessionsRevoke(f *cmdutil.Factory, runF func(context.Context, *SessionsRevokeOptions) error) *cobra.Command {
	opts := &SessionsRevokeOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit}
	c := &cobra.Command{
		Use:   "revoke <user>",
		Short: "Sign a user out everywhere (invalidate refresh tokens and session cookies)",
		Long: `Revoke every refresh token and browser session of a user, for example after a
lost phone or a suspected compromise. Takes a few minutes to reach every service;
it does not apply to guests, who sign in at their home tenant. Asks for
confirmation on a terminal; --yes otherwise.`,
		Example: `  mfactl --mock sessions revoke diego.siciliani@contoso.example --yes
  mfactl sessions revoke diego@contoso.com --dry-run   # [real tenant]`,
		Args: exactArgs(1, "sessions revoke needs one <user>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, sessionsRevokeRun)
		},
	}
	addMutationFlags(c, &opts.Mutation, true)
	return c
}

// revokedView is the result of a revocation.
type revokedView struct {
	User    string `json:"userPrincipalName"`
	ID      string `json:"id"`
	Revoked bool   `json:"revoked"`
}

func (v revokedView) Table() output.TableData {
	return output.TableData{Header: []string{"user", "revoked"}, Rows: [][]string{{v.User, fmt.Sprint(v.Revoked)}}}
}

func sessionsRevokeRun(ctx context.Context, opts *SessionsRevokeOptions) error {
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	r, err := s.resolveUser(ctx, opts.User, false)
	if err != nil {
		return err
	}
	if r.User.IsGuest() {
		s.IO.Warnf("%s is a guest: revoking here does not end sessions at the user's home tenant", r.User.UserPrincipalName)
	}
	if err := s.confirm(opts.Mutation, fmt.Sprintf("Sign %s out of every session?", r.Name())); err != nil {
		return err
	}
	if err := s.client.RevokeSessions(ctx, r.User.ID); err != nil {
		return r.explain(err)
	}
	if done, err := s.finishDryRun(); done {
		return err
	}
	s.IO.Notef("Revoked the sign-in sessions of %s; it can take a few minutes to reach every service.", r.Name())
	if s.isTable() {
		return nil
	}
	return s.printer.Print(revokedView{User: r.User.UserPrincipalName, ID: r.User.ID, Revoked: true})
}
