package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods"
)

// NewCmdMethods groups the verbs over all method types.
func NewCmdMethods(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "methods <command>",
		Short: "List a user's authentication methods of every type",
	}
	c.AddCommand(NewCmdMethodsList(f, nil))
	return c
}

// UserReadOptions are the inputs of the verbs that read one user and
// change nothing: `methods list` and `user show`.
type UserReadOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)

	User string
}

// Validate checks the user reference before any request.
func (o *UserReadOptions) Validate() error { return graph.ValidateUserRef(o.User) }

// NewCmdMethodsList builds `mfactl methods list <user>`.
func NewCmdMethodsList(f *cmdutil.Factory, runF func(context.Context, *UserReadOptions) error) *cobra.Command {
	opts := &UserReadOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer}
	return &cobra.Command{
		Use:     "list <user>",
		Short:   "List every registered method of a user, the password included",
		Example: `  mfactl --mock methods list nestor.wilke@contoso.example -o json`,
		Args:    exactArgs(1, "methods list needs one <user>: a user principal name or object id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, methodsListRun)
		},
	}
}

// methodList prints as a table or a JSON array.
type methodList []methods.Method

func (l methodList) Table() output.TableData { return methodsTable(l) }

func methodsListRun(ctx context.Context, opts *UserReadOptions) error {
	printer, err := opts.Printer()
	if err != nil {
		return err
	}
	client, err := opts.Graph()
	if err != nil {
		return err
	}
	ms, err := client.ListMethods(ctx, opts.User)
	if err != nil {
		return err
	}
	return printer.Print(methodList(ms))
}
