package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods"
)

// NewCmdDefault groups the default-method verbs.
func NewCmdDefault(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "default <command>",
		Short: "Show and set the MFA method a user is asked for first",
		Long: `The default method (Graph's signInPreferences.userPreferredMethodForSecondaryAuthentication,
a beta API) is the one Entra offers first at an MFA prompt: push, oath, sms,
voiceMobile, voiceAlternateMobile or voiceOffice. When system-preferred MFA is on,
Entra picks the strongest registered method instead.`,
	}
	c.AddCommand(NewCmdDefaultShow(f, nil), NewCmdDefaultSet(f, nil))
	return c
}

// DefaultShowOptions are the inputs of `default show`.
type DefaultShowOptions struct {
	IO              *iostreams.IOStreams
	Graph           func() (*graph.Client, error)
	Printer         func() (*output.Printer, error)
	Audit           *audit.Session // the users the run acts on, for its audit record
	User            string
	SystemPreferred bool
}

// Validate checks the user reference before any request.
func (o *DefaultShowOptions) Validate() error { return graph.ValidateUserRef(o.User) }

// NewCmdDefaultShow builds `mfactl default show <user> [--system-preferred]`.
func NewCmdDefaultShow(f *cmdutil.Factory, runF func(context.Context, *DefaultShowOptions) error) *cobra.Command {
	opts := &DefaultShowOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit}
	c := &cobra.Command{
		Use:   "show <user> [--system-preferred]",
		Short: "Show the user's default MFA method and the defaults their methods allow",
		Example: `  mfactl --mock default show nestor.wilke@contoso.example
  mfactl default show adele@contoso.com --system-preferred -o json   # [real tenant]`,
		Args: exactArgs(1, "default show needs one <user>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, defaultShowRun)
		},
	}
	c.Flags().BoolVar(&opts.SystemPreferred, "system-preferred", false, "also show whether system-preferred MFA is on for the user")
	return c
}

// defaultView is what `default show` prints.
type defaultView struct {
	User          string                  `json:"userPrincipalName"`
	Default       methods.DefaultMethod   `json:"defaultMethod"`
	Backing       []methods.Method        `json:"backingMethods"`
	Possible      []methods.DefaultMethod `json:"possibleDefaults"`
	SystemEnabled *bool                   `json:"systemPreferredEnabled,omitempty"`
}

func (v defaultView) Table() output.TableData {
	t := output.TableData{Header: []string{"user", "default", "possible", "system-preferred"}}
	t.Rows = append(t.Rows, []string{v.User, dash(string(v.Default)), joinDefaults(v.Possible), boolWord(v.SystemEnabled)})
	return t
}

func (v defaultView) RenderTable(w io.Writer) error {
	def := string(v.Default)
	if def == "" {
		def = "none set"
	}
	fmt.Fprintf(w, "Default method:  %s\n", def)
	for _, m := range v.Backing {
		fmt.Fprintf(w, "  delivered by:  %s %s\n", m.Kind.Label(), dash(m.Describe()))
	}
	if v.Default != "" && len(v.Backing) == 0 {
		fmt.Fprintf(w, "  delivered by:  no usable method (set one of the possible defaults)\n")
	}
	fmt.Fprintf(w, "Possible:        %s\n", dash(joinDefaults(v.Possible)))
	if v.SystemEnabled != nil {
		fmt.Fprintf(w, "System-preferred MFA: %s\n", boolWord(v.SystemEnabled))
	}
	return nil
}

func joinDefaults(ds []methods.DefaultMethod) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = string(d)
	}
	return strings.Join(parts, ", ")
}

func boolWord(b *bool) string {
	switch {
	case b == nil:
		return "-"
	case *b:
		return "on"
	}
	return "off"
}

// possibleDefaults lists the defaults the usable methods can deliver.
func possibleDefaults(ms []methods.Method) []methods.DefaultMethod {
	var out []methods.DefaultMethod
	for _, d := range methods.DefaultMethods {
		if d.DeliverableBy(ms) {
			out = append(out, d)
		}
	}
	return out
}

// backingMethods lists the usable methods that deliver default d.
func backingMethods(d methods.DefaultMethod, ms []methods.Method) []methods.Method {
	var out []methods.Method
	for _, m := range ms {
		if d.Delivers(m) {
			out = append(out, m)
		}
	}
	return out
}

func defaultShowRun(ctx context.Context, opts *DefaultShowOptions) error {
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, Mutation{})
	if err != nil {
		return err
	}
	r, err := s.resolveUser(ctx, opts.User, true)
	if err != nil {
		return err
	}
	prefs, err := s.client.GetSignInPreferences(ctx, r.User.ID)
	if err != nil {
		return err
	}
	v := defaultView{User: r.User.UserPrincipalName, Default: prefs.UserPreferred,
		Backing: backingMethods(prefs.UserPreferred, r.Methods), Possible: possibleDefaults(r.Methods)}
	if v.Possible == nil {
		v.Possible = []methods.DefaultMethod{}
	}
	if v.Backing == nil {
		v.Backing = []methods.Method{}
	}
	if opts.SystemPreferred {
		on := prefs.SystemPreferredMethodEnabled != nil && *prefs.SystemPreferredMethodEnabled
		v.SystemEnabled = &on
	}
	return s.printer.Print(v)
}

// DefaultSetOptions are the inputs of `default set`.
type DefaultSetOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	User   string
	Method string

	method methods.DefaultMethod // Method, parsed by Validate
}

// Validate checks the method name and the user reference before any
// request.
func (o *DefaultSetOptions) Validate() error {
	d, err := methods.ParseDefaultMethod(o.Method)
	if err != nil {
		return cmdutil.FlagErrorWrap(err)
	}
	o.method = d
	return graph.ValidateUserRef(o.User)
}

// NewCmdDefaultSet builds `mfactl default set <user> <method>`.
func NewCmdDefaultSet(f *cmdutil.Factory, runF func(context.Context, *DefaultSetOptions) error) *cobra.Command {
	opts := &DefaultSetOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit}
	names := make([]string, len(methods.DefaultMethods))
	for i, d := range methods.DefaultMethods {
		names[i] = string(d)
	}
	c := &cobra.Command{
		Use:   "set <user> {push | oath | sms | voiceMobile | voiceAlternateMobile | voiceOffice}",
		Short: "Set the user's default MFA method (it must be one the user has registered)",
		Example: `  mfactl --mock default set adele.vance@contoso.example sms
  mfactl default set adele@contoso.com push --dry-run   # [real tenant]`,
		Args:      exactArgs(2, "default set needs a <user> and a <method>: "+strings.Join(names, ", ")),
		ValidArgs: names,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User, opts.Method = args[0], args[1]
			return runVerb(cmd.Context(), opts, runF, defaultSetRun)
		},
	}
	addMutationFlags(c, &opts.Mutation, false)
	return c
}

func defaultSetRun(ctx context.Context, opts *DefaultSetOptions) error {
	d := opts.method
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	r, err := s.resolveUser(ctx, opts.User, true)
	if err != nil {
		return err
	}
	if !d.DeliverableBy(r.Methods) {
		hint := "register it first"
		if p := possibleDefaults(r.Methods); len(p) > 0 {
			hint = "the user's methods allow: " + joinDefaults(p)
		}
		return cmdutil.WithExit(cmdutil.ExitUsage,
			fmt.Errorf("%s has no usable method for %s: it needs %s", r.User.UserPrincipalName, d, d.Requirement()), hint)
	}
	if err := s.client.SetSignInPreferences(ctx, r.User.ID, methods.SignInPreferences{UserPreferred: d}); err != nil {
		return r.explain(err)
	}
	if done, err := s.finishDryRun(); done {
		return err
	}
	prefs, err := s.client.GetSignInPreferences(ctx, r.User.ID)
	if err != nil {
		return err
	}
	s.IO.Notef("The default MFA method of %s is now %s.", r.Name(), prefs.UserPreferred)
	on := prefs.SystemPreferredMethodEnabled != nil && *prefs.SystemPreferredMethodEnabled
	if on {
		s.IO.Warnf("system-preferred MFA is on for %s: Entra offers the strongest registered method first and uses this default only for NPS and AD FS", r.User.UserPrincipalName)
	}
	if s.isTable() {
		return nil
	}
	return s.printer.Print(defaultView{User: r.User.UserPrincipalName, Default: prefs.UserPreferred,
		Backing: backingMethods(prefs.UserPreferred, r.Methods), Possible: possibleDefaults(r.Methods), SystemEnabled: &on})
}
