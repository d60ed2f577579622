package cmd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
)

// NewCmdPassword groups the password verbs.
func NewCmdPassword(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{Use: "password <command>", Short: "Reset a user's password"}
	c.AddCommand(NewCmdPasswordReset(f, nil))
	return c
}

// PasswordResetOptions are the inputs of `password reset`.
type PasswordResetOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	User string
	// PasswordStdin reads the new password from standard input; otherwise
	// the service generates one.
	PasswordStdin bool
	// Poll waits between reads of the reset operation.
	Poll func(ctx context.Context, attempt int) bool
}

// Validate checks the user reference before the password is read or any
// request is sent.
func (o *PasswordResetOptions) Validate() error { return graph.ValidateUserRef(o.User) }

// maxOperationPolls bounds how long `password reset` follows the operation.
const maxOperationPolls = 30

// NewCmdPasswordReset builds `mfactl password reset <user> [--password-stdin]`.
func NewCmdPasswordReset(f *cmdutil.Factory, runF func(context.Context, *PasswordResetOptions) error) *cobra.Command {
	opts := &PasswordResetOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit, Poll: sleepPoll}
	c := &cobra.Command{
		Use:   "reset <user> [--password-stdin]",
		Short: "Reset a user's password (the user must change it at the next sign-in)",
		Long: `Reset a user's password. Without --password-stdin, Microsoft generates a
password and mfactl prints it once: it is a secret to hand to the user over a
trusted channel. With --password-stdin the new password is read from standard
input (never from the command line, where it would land in shell history).

Graph allows this only for an admin signed in as a person (a delegated sign-in;
app-only credentials cannot), and never on the admin's own account. Asks for
confirmation on a terminal; --yes otherwise.`,
		Example: `  mfactl --mock password reset alex.wilber@contoso.example --yes
  pwgen -s 16 1 | mfactl password reset alex@contoso.com --password-stdin --yes   # [real tenant]`,
		Args: exactArgs(1, "password reset needs one <user>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, passwordResetRun)
		},
	}
	c.Flags().BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the new password from standard input instead of letting Microsoft generate one")
	addMutationFlags(c, &opts.Mutation, true)
	return c
}

// sleepPoll waits a second between operation reads, at most maxOperationPolls times.
func sleepPoll(ctx context.Context, attempt int) bool {
	if attempt >= maxOperationPolls {
		return false
	}
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// passwordView is the result of a reset. NewPassword is only set when the
// service generated it.
type passwordView struct {
	User        string          `json:"userPrincipalName"`
	ID          string          `json:"id"`
	NewPassword string          `json:"newPassword,omitempty"`
	Operation   graph.Operation `json:"operation"`
}

func (v passwordView) Table() output.TableData {
	return output.TableData{Header: []string{"user", "new password", "status"}, Rows: [][]string{{v.User, dash(v.NewPassword), v.Operation.Status}}}
}

func (v passwordView) RenderTable(w io.Writer) error {
	if v.NewPassword == "" {
		return nil
	}
	_, err := fmt.Fprintf(w, "New password for %s: %s\n", v.User, v.NewPassword)
	return err
}

func readPasswordStdin(in io.Reader) (string, error) {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", cmdutil.FlagErrorf("--password-stdin: standard input held no password")
	}
	return pw, nil
}

func passwordResetRun(ctx context.Context, opts *PasswordResetOptions) error {
	newPassword := ""
	if opts.PasswordStdin {
		pw, err := readPasswordStdin(opts.IO.In)
		if err != nil {
			return err
		}
		newPassword = pw
	}
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	r, err := s.resolveUser(ctx, opts.User, false)
	if err != nil {
		return err
	}
	me, err := s.client.Me(ctx)
	if err != nil {
		if st := graph.StatusOf(err); st == 400 || st == 403 || st == 404 {
			return cmdutil.WithExit(cmdutil.ExitAuth, fmt.Errorf("password reset needs an admin signed in as a person: Graph refuses it to app-only credentials (%v)", err),
				"sign in with `mfactl auth login --auth device-code` (or browser)")
		}
		return err
	}
	if me.ID == r.User.ID || strings.EqualFold(me.UserPrincipalName, r.User.UserPrincipalName) {
		return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("%s is your own account, and Graph does not let an admin reset their own password", r.User.UserPrincipalName),
			"use self-service password reset (https://aka.ms/sspr) or ask another admin")
	}
	if err := s.confirm(opts.Mutation, fmt.Sprintf("Reset the password of %s? Their current password stops working", r.Name())); err != nil {
		return err
	}
	res, err := s.client.ResetPassword(ctx, r.User.ID, newPassword)
	if err != nil {
		return r.explain(err)
	}
	if done, err := s.finishDryRun(); done {
		return err
	}
	op := res.Operation
	if op.ID != "" {
		op, err = s.client.WaitOperation(ctx, r.User.ID, op, func(attempt int) bool { return opts.Poll(ctx, attempt) })
		if err != nil {
			return err
		}
		if op.Status == "failed" {
			return cmdutil.Errorf(cmdutil.ExitFailure, "the password reset of %s failed (operation %s)", r.User.UserPrincipalName, op.ID)
		}
	}
	v := passwordView{User: r.User.UserPrincipalName, ID: r.User.ID, NewPassword: res.NewPassword, Operation: op}
	switch {
	case res.NewPassword != "":
		s.IO.Notef("Reset the password of %s (operation %s). The new password below is a secret: hand it to the user over a trusted channel; they must change it at the next sign-in.", r.Name(), op.Status)
	default:
		s.IO.Notef("Reset the password of %s to the one you gave (operation %s); they must change it at the next sign-in.", r.Name(), op.Status)
	}
	if s.isTable() && res.NewPassword == "" {
		return nil
	}
	return s.printer.Print(v)
}
