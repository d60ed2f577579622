package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods"
)

// NewCmdUser groups the user verbs.
func NewCmdUser(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "user <command>",
		Short: "Look at a user's MFA set-up",
	}
	c.AddCommand(NewCmdUserShow(f, nil))
	return c
}

// UserShowOptions are the inputs of `user show`.
type UserShowOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)

	User string
}

// NewCmdUserShow builds `mfactl user show <user>`.
func NewCmdUserShow(f *cmdutil.Factory, runF func(context.Context, *UserShowOptions) error) *cobra.Command {
	opts := &UserShowOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer}
	c := &cobra.Command{
		Use:   "show <user>",
		Short: "Show a user's authentication methods on one screen",
		Long: `Show a user and every registered authentication method, and warn when the user
has no MFA method or only one (two are recommended, so a lost phone does not lock
the user out). <user> is a user principal name or an object id.`,
		Example: `  mfactl --mock user show adele.vance@contoso.example
  mfactl user show 5f0c1d2e-... -o json`,
		Args: exactArgs(1, "user show needs one <user>: a user principal name or object id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return userShowRun(cmd.Context(), opts)
		},
	}
	return c
}

// userView is what `user show` prints; JSON field names are stable.
type userView struct {
	User            methods.User     `json:"user"`
	Methods         []methods.Method `json:"methods"`
	MFAMethodCount  int              `json:"mfaMethodCount"`
	MeetsTwoMethods bool             `json:"meetsTwoMethods"`
	Warnings        []string         `json:"warnings"`
}

func userShowRun(ctx context.Context, opts *UserShowOptions) error {
	if err := graph.ValidateUserRef(opts.User); err != nil {
		return err
	}
	printer, err := opts.Printer()
	if err != nil {
		return err
	}
	client, err := opts.Graph()
	if err != nil {
		return err
	}
	user, err := client.GetUser(ctx, opts.User)
	if err != nil {
		return err
	}
	ms, err := client.ListMethods(ctx, user.ID)
	if err != nil {
		return err
	}
	view := buildUserView(user, ms)
	for _, w := range view.Warnings {
		opts.IO.Warnf("%s", w)
	}
	return printer.Print(view)
}

func buildUserView(user methods.User, ms []methods.Method) userView {
	v := userView{User: user, Methods: ms, Warnings: []string{}}
	var mfa []methods.Method
	for _, m := range ms {
		if m.IsMFA() {
			mfa = append(mfa, m)
		}
	}
	v.MFAMethodCount = len(mfa)
	v.MeetsTwoMethods = len(mfa) >= 2
	name := user.UserPrincipalName
	switch len(mfa) {
	case 0:
		v.Warnings = append(v.Warnings, fmt.Sprintf("%s has no MFA method: register at least one, two are recommended", name))
	case 1:
		v.Warnings = append(v.Warnings, fmt.Sprintf("%s has only one MFA method (%s): add a backup method, two are recommended", name, mfa[0].Kind.Label()))
	}
	return v
}

// Table lists the methods (for -o csv).
func (v userView) Table() output.TableData {
	return methodsTable(v.Methods)
}

// RenderTable draws the one-screen view.
func (v userView) RenderTable(w io.Writer) error {
	u := v.User
	state := "enabled"
	if u.AccountEnabled != nil && !*u.AccountEnabled {
		state = "disabled"
	}
	userType := u.UserType
	if userType == "" {
		userType = "Member"
	}
	backup := "yes"
	if !v.MeetsTwoMethods {
		backup = "no"
	}
	fmt.Fprintf(w, "User:         %s <%s>\n", u.DisplayName, u.UserPrincipalName)
	fmt.Fprintf(w, "Object id:    %s\n", u.ID)
	fmt.Fprintf(w, "Account:      %s, %s\n", userType, state)
	fmt.Fprintf(w, "MFA methods:  %d (two or more: %s)\n\n", v.MFAMethodCount, backup)
	return output.WriteTable(w, methodsTable(v.Methods))
}

func methodsTable(ms []methods.Method) output.TableData {
	t := output.TableData{Header: []string{"type", "detail", "created", "id"}}
	for _, m := range ms {
		t.Rows = append(t.Rows, []string{m.Kind.Label(), dash(m.Describe()), formatDate(m.Created), m.ID})
	}
	return t
}

func formatDate(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02")
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// exactArgs is cobra.ExactArgs with a message that says what is missing.
func exactArgs(n int, msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return cmdutil.FlagErrorf("%s", msg)
		}
		return nil
	}
}
