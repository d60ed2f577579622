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
	"github.com/mfactl/mfactl/methods"
)

// kindNoun describes a noun whose verbs are the same for every method
// type: list and remove (authenticator, oath, fido2, whfb, platform).
type kindNoun struct {
	kind methods.Kind
	// use is the command name, e.g. "fido2".
	use string
	// short describes the noun in `mfactl --help`.
	short string
	// devices: the methods have a device name, so --device selects one.
	devices bool
	// example is a user of the demo tenant who has such a method, and
	// device the name of that method's device (for --device).
	example string
	device  string
}

// kindExamples are the Example lines of a verb on a user of the demo
// tenant: with --mock, then as against any backend (the doc test runs
// them on the demo tenant, see cmd/mfactl/doc_test.go); flags ends the
// second line ("" for one that only reads).
func kindExamples(verb, user, flags string) string {
	if flags == "" {
		return fmt.Sprintf("  mfactl --mock %s %s\n  mfactl %s %s -o json", verb, user, verb, user)
	}
	return fmt.Sprintf("  mfactl --mock %s %s --dry-run\n  mfactl %s %s %s", verb, user, verb, user, flags)
}

func newCmdKindNoun(f *cmdutil.Factory, n kindNoun) *cobra.Command {
	c := &cobra.Command{Use: n.use + " <command>", Short: n.short}
	c.AddCommand(NewCmdKindList(f, n, nil), NewCmdKindRemove(f, n, nil))
	return c
}

// KindListOptions are the inputs of `<noun> list`.
type KindListOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Kind    methods.Kind
	User    string
}

// Validate checks the user reference before any request.
func (o *KindListOptions) Validate() error { return graph.ValidateUserRef(o.User) }

// NewCmdKindList builds `mfactl <noun> list <user>`.
func NewCmdKindList(f *cmdutil.Factory, n kindNoun, runF func(context.Context, *KindListOptions) error) *cobra.Command {
	opts := &KindListOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit, Kind: n.kind}
	return &cobra.Command{
		Use:     "list <user>",
		Short:   fmt.Sprintf("List a user's %s methods", n.kind.Label()),
		Example: kindExamples(n.use+" list", n.example, ""),
		Args:    exactArgs(1, n.use+" list needs one <user>: a user principal name or object id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, kindListRun)
		},
	}
}

func kindListRun(ctx context.Context, opts *KindListOptions) error {
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, Mutation{})
	if err != nil {
		return err
	}
	r, err := s.resolveUser(ctx, opts.User, true)
	if err != nil {
		return err
	}
	ms := ofKind(r.Methods, opts.Kind)
	if len(ms) == 0 {
		s.IO.Notef("%s has no %s method.", r.User.UserPrincipalName, opts.Kind.Label())
	}
	return s.printer.Print(methodList(ms))
}

// KindRemoveOptions are the inputs of `<noun> remove`.
type KindRemoveOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	Kind     methods.Kind
	User     string
	Selector Selector
}

// Validate checks the user reference and the selector before any request.
func (o *KindRemoveOptions) Validate() error {
	if o.Selector.ID != "" && o.Selector.Device != "" {
		return cmdutil.FlagErrorf("give either a method id or --device, not both")
	}
	return graph.ValidateUserRef(o.User)
}

// NewCmdKindRemove builds `mfactl <noun> remove <user> [<id> | --device NAME]`.
func NewCmdKindRemove(f *cmdutil.Factory, n kindNoun, runF func(context.Context, *KindRemoveOptions) error) *cobra.Command {
	opts := &KindRemoveOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit, Kind: n.kind}
	use := "remove <user> [<id>]"
	example := fmt.Sprintf("  mfactl --mock %s remove %s --dry-run\n  mfactl %s remove %s <method id> --yes   # [placeholder] an id from %s list", n.use, n.example, n.use, n.example, n.use)
	if n.devices {
		use = "remove <user> [<id> | --device NAME]"
		example += fmt.Sprintf("\n  mfactl %s remove %s --device %q --dry-run", n.use, n.example, n.device)
	}
	c := &cobra.Command{
		Use:   use,
		Short: fmt.Sprintf("Remove one of a user's %s methods", n.kind.Label()),
		Long: fmt.Sprintf(`Remove one %s method of a user. The method is chosen by its id, by the
device name (--device, where methods have one), or is the user's only method of
this type; a device name that matches two methods is an error listing both.

Asks for confirmation on a terminal; without one, --yes is required.
Graph refuses to remove the method that delivers the user's default MFA method
while the user has other methods: change the default first.`, n.kind.Label()),
		Example: example,
		Args:    rangeArgs(1, 2, n.use+" remove needs a <user> and optionally a method <id>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			if len(args) == 2 {
				opts.Selector.ID = args[1]
			}
			return runVerb(cmd.Context(), opts, runF, kindRemoveRun)
		},
	}
	if n.devices {
		c.Flags().StringVar(&opts.Selector.Device, "device", "", "select the method by its device name")
	}
	addMutationFlags(c, &opts.Mutation, true)
	return c
}

func kindRemoveRun(ctx context.Context, opts *KindRemoveOptions) error {
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	r, err := s.resolveUser(ctx, opts.User, true)
	if err != nil {
		return err
	}
	m, err := selectMethod(r, opts.Kind, opts.Selector)
	if err != nil {
		return err
	}
	return removeMethod(ctx, s, opts.Mutation, r, m)
}

// removeMethod confirms, removes and reports one method.
func removeMethod(ctx context.Context, s *session, mu Mutation, r resolved, m methods.Method) error {
	what := m.Kind.Label()
	if d := m.Describe(); d != "" {
		what += " " + fmt.Sprintf("%q", d)
	}
	if err := s.confirm(mu, fmt.Sprintf("Remove the %s (%s) of %s?", what, m.ID, r.Name())); err != nil {
		return err
	}
	if err := s.client.DeleteMethod(ctx, r.User.ID, m.Kind, m.ID); err != nil {
		return r.explain(err)
	}
	if done, err := s.finishDryRun(); done {
		return err
	}
	return s.printMethod(m, fmt.Sprintf("Removed the %s (%s) of %s.", what, m.ID, r.Name()), false)
}

// rangeArgs is cobra.RangeArgs with a message that says what is expected.
func rangeArgs(min, max int, msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return cmdutil.FlagErrorf("%s", msg)
		}
		return nil
	}
}
