package cmd

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods"
)

var emailNoun = kindNoun{kind: methods.KindEmail, use: "email", example: "miriam.graham@contoso.example"}

// NewCmdEmail groups the email method verbs.
func NewCmdEmail(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "email <command>",
		Short: "Set and remove a user's email method (self-service password reset only)",
		Long: `The email method is used for self-service password reset, never for MFA. A user
has at most one; "email set" creates it or changes its address.`,
	}
	list := NewCmdKindList(f, emailNoun, nil)
	show := NewCmdKindList(f, emailNoun, nil)
	show.Use, show.Short = "show <user>", "Show a user's email method"
	show.Args = exactArgs(1, "email show needs one <user>: a user principal name or object id")
	show.Example = kindExamples("email show", emailNoun.example, "")
	remove := NewCmdKindRemove(f, emailNoun, nil)
	remove.Use = "remove <user>"
	remove.Args = exactArgs(1, "email remove needs one <user>")
	remove.Example = kindExamples("email remove", emailNoun.example, "--yes")
	c.AddCommand(NewCmdEmailSet(f, nil), list, show, remove)
	return c
}

// EmailSetOptions are the inputs of `email set`.
type EmailSetOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	User    string
	Address string
}

// Validate checks the address and the user reference before any request;
// the address is kept as checked.
func (o *EmailSetOptions) Validate() error {
	addr, err := checkEmailAddress(o.Address)
	if err != nil {
		return err
	}
	o.Address = addr
	return graph.ValidateUserRef(o.User)
}

// NewCmdEmailSet builds `mfactl email set <user> <address>`.
func NewCmdEmailSet(f *cmdutil.Factory, runF func(context.Context, *EmailSetOptions) error) *cobra.Command {
	opts := &EmailSetOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit}
	c := &cobra.Command{
		Use:   "set <user> <address>",
		Short: "Create the user's email method, or change its address",
		Example: `  mfactl --mock email set alex.wilber@contoso.example alex.wilber@outlook.example
  mfactl email set alex@contoso.com alex@fabrikam.com --dry-run -o json   # [real tenant]`,
		Args: exactArgs(2, "email set needs a <user> and an <address>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User, opts.Address = args[0], args[1]
			return runVerb(cmd.Context(), opts, runF, emailSetRun)
		},
	}
	addMutationFlags(c, &opts.Mutation, false)
	return c
}

// checkEmailAddress accepts a plain address (no display name, no brackets).
func checkEmailAddress(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != strings.TrimSpace(s) || !strings.Contains(a.Address[strings.LastIndex(a.Address, "@")+1:], ".") {
		return "", cmdutil.FlagErrorf("%q is not an email address such as kim@contoso.com", oneLineString(s))
	}
	return a.Address, nil
}

func emailSetRun(ctx context.Context, opts *EmailSetOptions) error {
	addr := opts.Address
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	r, err := s.resolveUser(ctx, opts.User, true)
	if err != nil {
		return err
	}
	existing := ofKind(r.Methods, methods.KindEmail)
	var m methods.Method
	verb := "Added"
	if len(existing) > 0 {
		verb = "Changed"
		m = existing[0]
		if err := s.client.UpdateEmail(ctx, r.User.ID, m.ID, addr); err != nil {
			return r.explain(err)
		}
		m.EmailAddress = addr
	} else if m, err = s.client.AddEmail(ctx, r.User.ID, addr); err != nil {
		return r.explain(err)
	}
	if done, err := s.finishDryRun(); done {
		return err
	}
	return s.printMethod(m, fmt.Sprintf("%s the email method of %s: %s.", verb, r.Name(), addr), true)
}
