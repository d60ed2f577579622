package cmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods"
)

// NewCmdToken groups the hardware OATH token verbs.
func NewCmdToken(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "token <command>",
		Short: "Import, assign, activate and retire hardware OATH tokens",
		Long: `Hardware OATH tokens are key fobs that show a 6-digit code, for users who cannot
use a phone. The tenant keeps an inventory of them (beta
directory/authenticationMethodDevices/hardwareOathDevices, managed by the
Authentication Policy Administrator). A token is available, then assigned to one
user, then activated with the code it shows (or failedActivation after a wrong
code); unassigning it makes it available again. Its seed is write-only: mfactl
never prints, logs or writes it.

Tokens are addressed by serial number.`,
	}
	c.AddCommand(NewCmdTokenImport(f, nil), NewCmdTokenList(f, nil), NewCmdTokenAssign(f, nil), NewCmdTokenUnassign(f, nil),
		NewCmdTokenDelete(f, nil), NewCmdTokenActivate(f, nil), NewCmdTokenCheck(f, nil))
	return c
}

// tokenList prints tokens: a table for people, the objects for scripts.
type tokenList []methods.HardwareToken

func (l tokenList) Table() output.TableData {
	t := output.TableData{Header: []string{"serial", "status", "assigned to", "manufacturer", "model", "interval", "hash", "last used", "id"}}
	for _, tok := range l {
		who := "-"
		if tok.AssignedTo != nil {
			who = nonEmptyOr(tok.AssignedTo.DisplayName, tok.AssignedTo.ID)
		}
		interval := "-"
		if tok.TimeIntervalInSeconds > 0 {
			interval = fmt.Sprintf("%ds", tok.TimeIntervalInSeconds)
		}
		t.Rows = append(t.Rows, []string{tok.SerialNumber, string(tok.Status), who, dash(tok.Manufacturer), dash(tok.Model), interval, dash(tok.HashFunction), formatDate(tok.LastUsed), tok.ID})
	}
	return t
}

func nonEmptyOr(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// tokenView prints one token; -o json prints the token itself.
type tokenView struct{ methods.HardwareToken }

func (v tokenView) Table() output.TableData { return tokenList{v.HardwareToken}.Table() }

func sortTokens(ts []methods.HardwareToken) {
	slices.SortFunc(ts, func(a, b methods.HardwareToken) int {
		return strings.Compare(strings.ToUpper(a.SerialNumber), strings.ToUpper(b.SerialNumber))
	})
}

// assignee names the user a token is assigned to, for messages.
func assignee(t methods.HardwareToken) string {
	if t.AssignedTo == nil {
		return "nobody"
	}
	return nonEmptyOr(t.AssignedTo.DisplayName, t.AssignedTo.ID)
}

// TokenListOptions are the inputs of `token list`.
type TokenListOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Status  string
	User    string

	status methods.HardwareTokenStatus // Status, parsed by Validate
}

// Validate checks --status and --user before any request.
func (o *TokenListOptions) Validate() error {
	var err error
	if o.status, err = parseStatusFlag(o.Status); err != nil {
		return err
	}
	if o.User != "" {
		return graph.ValidateUserRef(o.User)
	}
	return nil
}

// NewCmdTokenList builds `mfactl token list [--status S] [--user U]`.
func NewCmdTokenList(f *cmdutil.Factory, runF func(context.Context, *TokenListOptions) error) *cobra.Command {
	opts := &TokenListOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit}
	c := &cobra.Command{
		Use:   "list [--status S] [--user U]",
		Short: "List the tenant's hardware tokens, or one user's",
		Long: `List the hardware token inventory, sorted by serial number, optionally only the
tokens in one status. With --user, list the tokens assigned to that user instead
(this needs only an authentication admin role; the inventory needs the
Authentication Policy Administrator or Global Reader).`,
		Example: `  mfactl --mock token list
  mfactl token list --status available -o csv
  mfactl token list --user grady.archie@contoso.example -o json`,
		Args: exactArgs(0, "token list takes no arguments: filter with --status or --user"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerb(cmd.Context(), opts, runF, tokenListRun)
		},
	}
	c.Flags().StringVar(&opts.Status, "status", "", "only tokens in this status: available, assigned, activated or failedActivation")
	c.Flags().StringVar(&opts.User, "user", "", "only the tokens of this user (user principal name or object id)")
	_ = c.RegisterFlagCompletionFunc("status", cobra.FixedCompletions([]string{"available", "assigned", "activated", "failedActivation"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func tokenListRun(ctx context.Context, opts *TokenListOptions) error {
	status := opts.status
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, Mutation{})
	if err != nil {
		return err
	}
	var tokens []methods.HardwareToken
	if opts.User != "" {
		r, err := s.resolveUser(ctx, opts.User, false)
		if err != nil {
			return err
		}
		ms, err := s.client.ListHardwareOathMethods(ctx, r.User.ID)
		if err != nil {
			return r.explain(err)
		}
		for _, m := range ms {
			if m.Token != nil && (status == "" || m.Token.Status == status) {
				tokens = append(tokens, *m.Token)
			}
		}
	} else {
		err := s.client.ListHardwareTokens(ctx, graph.HardwareTokenFilter{Status: status}, func(t methods.HardwareToken) bool {
			tokens = append(tokens, t)
			return true
		})
		if err != nil {
			return err
		}
	}
	sortTokens(tokens)
	if len(tokens) == 0 {
		what := "the inventory"
		if opts.User != "" {
			what = opts.User
		}
		if status != "" {
			s.IO.Notef("No %s hardware tokens in %s.", status, what)
		} else {
			s.IO.Notef("No hardware tokens in %s.", what)
		}
	}
	if tokens == nil {
		tokens = []methods.HardwareToken{}
	}
	return s.printer.Print(tokenList(tokens))
}

// TokenAssignOptions are the inputs of `token assign`.
type TokenAssignOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	Serial string
	User   string
}

// Validate checks the serial number and the user reference before any
// request.
func (o *TokenAssignOptions) Validate() error {
	if err := checkSerialArg(o.Serial); err != nil {
		return err
	}
	return graph.ValidateUserRef(o.User)
}

// NewCmdTokenAssign builds `mfactl token assign <serial> <user>`.
func NewCmdTokenAssign(f *cmdutil.Factory, runF func(context.Context, *TokenAssignOptions) error) *cobra.Command {
	opts := &TokenAssignOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit}
	c := &cobra.Command{
		Use:   "assign <serial> <user>",
		Short: "Assign an available token to a user (without activating it)",
		Long: `Assign an available hardware token to a user. The token is then "assigned": the
user cannot sign in with it until it is activated with the code it shows
(` + "`mfactl token activate`" + `). Guests cannot have hardware tokens, and a user has at
most five OATH tokens and authenticator apps.`,
		Example: `  mfactl --mock token assign HWT-1002 alex.wilber@contoso.example
  mfactl token assign 2600001 kim@contoso.com --dry-run   # [real tenant]`,
		Args: exactArgs(2, "token assign needs a <serial> and a <user>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Serial, opts.User = args[0], args[1]
			return runVerb(cmd.Context(), opts, runF, tokenAssignRun)
		},
	}
	addMutationFlags(c, &opts.Mutation, false)
	return c
}

func tokenAssignRun(ctx context.Context, opts *TokenAssignOptions) error {
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	tok, err := s.client.FindHardwareToken(ctx, opts.Serial)
	if err != nil {
		return err
	}
	r, err := s.resolveUser(ctx, opts.User, false)
	if err != nil {
		return err
	}
	switch {
	case tok.AssignedTo != nil && tok.AssignedTo.ID == r.User.ID:
		s.IO.Notef("%s is already assigned to %s (%s); nothing to do.", tok.SerialNumber, r.Name(), tok.Status)
		return s.printer.Print(tokenView{tok})
	case entra.CheckTokenAvailable(entra.Token{Status: tok.Status, Assigned: tok.AssignedTo != nil}) != "":
		return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("%s is %s (assigned to %s), not available", tok.SerialNumber, tok.Status, assignee(tok)),
			fmt.Sprintf("a token has one user: `mfactl token unassign %s` first", tok.SerialNumber))
	case entra.CheckTokenHolder(r.User.IsGuest()) != "":
		return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("%s is a guest, and hardware tokens cannot be assigned to guests", r.User.UserPrincipalName), "choose a member of the tenant")
	}
	m, err := s.client.AssignHardwareToken(ctx, r.User.ID, tok.ID)
	if err != nil {
		return explainToken(r.explain(err), "assign "+tok.SerialNumber+" to "+r.Name())
	}
	if done, err := s.finishDryRun(); done {
		return err
	}
	if m.Token != nil {
		tok = *m.Token
	} else {
		tok.Status, tok.AssignedTo = methods.TokenAssigned, &methods.Identity{ID: r.User.ID, DisplayName: r.User.DisplayName}
	}
	s.IO.Notef("Assigned %s to %s. Activate it with `mfactl token activate %s --code NNNNNN` (the code the token shows).", tok.SerialNumber, r.Name(), tok.SerialNumber)
	if s.isTable() {
		return nil
	}
	return s.printer.Print(tokenView{tok})
}

// explainToken replaces a Graph error's op (which names ids) with what the
// admin asked for.
func explainToken(err error, op string) error {
	var ge *graph.Error
	if errors.As(err, &ge) {
		ge.Op = op
	}
	return err
}

// TokenSerialOptions are the inputs of `token unassign` and `token delete`:
// one token, by its serial number.
type TokenSerialOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	Serial string
}

// Validate checks the serial number before any request.
func (o *TokenSerialOptions) Validate() error { return checkSerialArg(o.Serial) }

// NewCmdTokenUnassign builds `mfactl token unassign <serial>`.
func NewCmdTokenUnassign(f *cmdutil.Factory, runF func(context.Context, *TokenSerialOptions) error) *cobra.Command {
	opts := &TokenSerialOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit}
	c := &cobra.Command{
		Use:   "unassign <serial>",
		Short: "Take a token away from its user; it becomes available again",
		Long: `Unassign a hardware token: it is removed from its user's methods (the user can no
longer sign in with it) and returns to the inventory as available, ready for
someone else. Graph refuses when the token delivers the user's default MFA method
and the user has other methods: change the default first.

Asks for confirmation on a terminal; without one, --yes is required. A token that
is not assigned is left as it is.`,
		Example: `  mfactl --mock token unassign HWT-1004 --yes
  mfactl token unassign 2600001 --dry-run   # [real tenant]`,
		Args: exactArgs(1, "token unassign needs one <serial>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Serial = args[0]
			return runVerb(cmd.Context(), opts, runF, tokenUnassignRun)
		},
	}
	addMutationFlags(c, &opts.Mutation, true)
	return c
}

func tokenUnassignRun(ctx context.Context, opts *TokenSerialOptions) error {
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	tok, err := s.client.FindHardwareToken(ctx, opts.Serial)
	if err != nil {
		return err
	}
	if tok.AssignedTo == nil {
		s.IO.Notef("%s is not assigned to anyone (%s); nothing to do.", tok.SerialNumber, tok.Status)
		return s.printer.Print(tokenView{tok})
	}
	who := assignee(tok)
	if err := s.confirm(opts.Mutation, fmt.Sprintf("Unassign %s (%s) from %s? They can no longer sign in with it", tok.SerialNumber, tok.Status, who)); err != nil {
		return err
	}
	// A user's hardware method has the token's id.
	if err := s.client.UnassignHardwareToken(ctx, tok.AssignedTo.ID, tok.ID); err != nil {
		return explainToken(err, "unassign "+tok.SerialNumber+" from "+who)
	}
	if done, err := s.finishDryRun(); done {
		return err
	}
	s.IO.Notef("Unassigned %s from %s; it is available again.", tok.SerialNumber, who)
	tok.Status, tok.AssignedTo = methods.TokenAvailable, nil
	if s.isTable() {
		return nil
	}
	return s.printer.Print(tokenView{tok})
}

// NewCmdTokenDelete builds `mfactl token delete <serial>`.
func NewCmdTokenDelete(f *cmdutil.Factory, runF func(context.Context, *TokenSerialOptions) error) *cobra.Command {
	opts := &TokenSerialOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit}
	c := &cobra.Command{
		Use:   "delete <serial>",
		Short: "Remove an unassigned token from the inventory",
		Long: `Delete a hardware token from the tenant's inventory (a lost or broken fob). Only an
available token can be deleted: unassign it first. Its seed is gone with it; to
use the fob again, import it again from the vendor's seed file.

Asks for confirmation on a terminal; without one, --yes is required.`,
		Example: `  mfactl --mock token delete HWT-1003 --yes
  mfactl token delete 2600001 --dry-run   # [real tenant]`,
		Args: exactArgs(1, "token delete needs one <serial>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Serial = args[0]
			return runVerb(cmd.Context(), opts, runF, tokenDeleteRun)
		},
	}
	addMutationFlags(c, &opts.Mutation, true)
	return c
}

func tokenDeleteRun(ctx context.Context, opts *TokenSerialOptions) error {
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	tok, err := s.client.FindHardwareToken(ctx, opts.Serial)
	if err != nil {
		return err
	}
	if entra.CheckTokenChange(tok.Status) != "" {
		return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("%s is %s (assigned to %s); only an available token can be deleted", tok.SerialNumber, tok.Status, assignee(tok)),
			fmt.Sprintf("`mfactl token unassign %s` first", tok.SerialNumber))
	}
	if err := s.confirm(opts.Mutation, fmt.Sprintf("Delete hardware token %s (%s %s) from the inventory?", tok.SerialNumber, tok.Manufacturer, tok.Model)); err != nil {
		return err
	}
	if err := s.client.DeleteHardwareToken(ctx, tok.ID); err != nil {
		return explainToken(err, "delete "+tok.SerialNumber)
	}
	if done, err := s.finishDryRun(); done {
		return err
	}
	s.IO.Notef("Deleted %s from the inventory.", tok.SerialNumber)
	if s.isTable() {
		return nil
	}
	return s.printer.Print(tokenView{tok})
}

// TokenCheckOptions are the inputs of `token check`.
type TokenCheckOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Serial  string
	Codes   []string

	codes [2]string // Codes, normalized by Validate
}

// Validate checks the serial number and the two codes before any request.
func (o *TokenCheckOptions) Validate() error {
	if err := checkSerialArg(o.Serial); err != nil {
		return err
	}
	if len(o.Codes) != 2 {
		return cmdutil.FlagErrorf("give exactly two --code flags: two codes the token shows one after the other (got %d)", len(o.Codes))
	}
	for i, c := range o.Codes {
		norm, err := methods.NormalizeOTP(c, 6)
		if err != nil {
			return cmdutil.FlagErrorf("--code: a code is the 6 digits the token shows")
		}
		o.codes[i] = norm
	}
	if o.codes[0] == o.codes[1] {
		return cmdutil.FlagErrorf("the two codes are the same: press the token's button between them")
	}
	return nil
}

// parseStatusFlag reads --status ("" when not given).
func parseStatusFlag(s string) (methods.HardwareTokenStatus, error) {
	if s == "" {
		return "", nil
	}
	st, err := methods.ParseTokenStatus(s)
	if err != nil {
		return "", cmdutil.FlagErrorf("--status: %v", err)
	}
	return st, nil
}

// checkSerialArg refuses a blank serial number before any request (the
// inventory would be searched for nothing).
func checkSerialArg(serial string) error {
	if strings.TrimSpace(serial) == "" {
		return cmdutil.FlagErrorf("the token's serial number is empty: give it as printed on the token")
	}
	return nil
}

// NewCmdTokenCheck builds `mfactl token check <serial> --code A --code B`.
func NewCmdTokenCheck(f *cmdutil.Factory, runF func(context.Context, *TokenCheckOptions) error) *cobra.Command {
	opts := &TokenCheckOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit}
	c := &cobra.Command{
		Use:   "check <serial> --code A --code B",
		Short: "Measure a token's clock drift from two codes and resynchronise it (mock only)",
		Long: `A hardware token counts time with its own clock, which drifts over the years; once
it is off by more than a step or two, its codes are refused. Give two codes the
token shows one after the other (press the button, note the code, press again):
mfactl finds where they lie, reports the drift and resynchronises the token, so
its codes are accepted again.

This is an emulator feature: it works against the mfactl mock only (--mock or
` + "`mfactl mock serve`" + `), through its /_mock/tokens/{serial}/resync endpoint. Microsoft
Graph has no resync API; in a real tenant, delete the token and import it again,
or replace it.`,
		Example: `  mfactl --mock token check HWT-1004 --code 123456 --code 654321   # [placeholder] two codes the token shows one after the other
  mfactl --mock token check HWT-1004 --code "$(mfactl --mock mock code --serial HWT-1004 --steps 3)" --code "$(mfactl --mock mock code --serial HWT-1004 --steps 4)"`,
		Args: exactArgs(1, "token check needs one <serial> and two --code flags"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Serial = args[0]
			return runVerb(cmd.Context(), opts, runF, tokenCheckRun)
		},
	}
	c.Flags().StringArrayVar(&opts.Codes, "code", nil, "a code the token shows; give two consecutive codes, oldest first")
	markMutating(c) // a resync changes the token: it is audited like every change
	return c
}

// resyncView prints the outcome of a resync.
type resyncView struct{ graph.TokenResync }

func (v resyncView) Table() output.TableData {
	return output.TableData{Header: []string{"serial", "status", "drift steps", "drift seconds"},
		Rows: [][]string{{v.SerialNumber, string(v.Status), fmt.Sprint(v.DriftSteps), fmt.Sprint(v.DriftSeconds)}}}
}

func tokenCheckRun(ctx context.Context, opts *TokenCheckOptions) error {
	codes := opts.codes
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, Mutation{})
	if err != nil {
		return err
	}
	res, err := s.client.ResyncHardwareToken(ctx, opts.Serial, codes[0], codes[1])
	if err != nil {
		return explainToken(err, "check "+opts.Serial)
	}
	switch {
	case res.DriftSteps == 0:
		s.IO.Notef("%s keeps time: no drift. Its position is updated; the two codes cannot be used again.", res.SerialNumber)
	default:
		dir := "ahead"
		if res.DriftSteps < 0 {
			dir = "behind"
		}
		s.IO.Notef("%s's clock runs %d s (%d steps) %s. Resynchronised: its codes are accepted again.", res.SerialNumber, abs64(res.DriftSeconds), abs64(res.DriftSteps), dir)
	}
	if s.isTable() {
		return nil
	}
	return s.printer.Print(resyncView{res})
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
