package cmd

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods"
)

// NewCmdPhone groups the phone verbs.
func NewCmdPhone(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "phone <command>",
		Short: "Add, change and remove a user's phone methods and SMS sign-in",
		Long: `Phone methods: a user has at most one phone of each type (mobile,
alternateMobile, office). An alternateMobile needs a mobile; only office numbers
take an extension; only the mobile can be used for SMS sign-in, and only with a
number no other user has.

Numbers are parsed and checked before any request: +14255550100, "+1 (425)
555-0100", or a national number with --country ("(425) 555-0100" --country US)
all become Entra's form +1 4255550100; an office extension is written x123,
"ext. 123" or #123.`,
	}
	c.AddCommand(NewCmdPhoneAdd(f, nil), NewCmdPhoneUpdate(f, nil), NewCmdPhoneRemove(f, nil), NewCmdPhoneSMSSignIn(f, nil),
		NewCmdKindList(f, kindNoun{kind: methods.KindPhone, use: "phone", example: "johanna.lorenz@contoso.example"}, nil))
	return c
}

// PhoneSetOptions are the inputs of `phone add` and `phone update`.
type PhoneSetOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	User    string
	Number  string
	Type    string
	Country string
	// CheckDuplicates looks through up to DuplicateBudget other users for
	// the same number before writing.
	CheckDuplicates bool
	DuplicateBudget int
	// Update: PATCH the existing phone instead of adding one.
	Update bool

	phone methods.Phone // Number, Country and Type, parsed by Validate
}

// Validate checks the type, the number, the budget and the user reference
// before any request.
func (o *PhoneSetOptions) Validate() error {
	p, err := parsePhoneArgs(o.Number, o.Country, o.Type)
	if err != nil {
		return err
	}
	if o.DuplicateBudget < 1 {
		return cmdutil.FlagErrorf("--duplicate-budget must be at least 1")
	}
	o.phone = p
	return graph.ValidateUserRef(o.User)
}

// defaultDuplicateBudget bounds --check-duplicates: Graph has no filter on
// phone numbers, so each user checked costs one request.
const defaultDuplicateBudget = 200

func newCmdPhoneSet(f *cmdutil.Factory, update bool, runF func(context.Context, *PhoneSetOptions) error) *cobra.Command {
	opts := &PhoneSetOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit, Update: update, DuplicateBudget: defaultDuplicateBudget}
	c := &cobra.Command{
		Use:   "add <user> <number> --type {mobile | alternateMobile | office}",
		Short: "Register a phone number for a user",
		Example: `  mfactl --mock phone add alex.wilber@contoso.example "(425) 555-0100" --type mobile --country US
  mfactl phone add alex@contoso.com +442071838750x42 --type office   # [real tenant]
  mfactl phone add alex@contoso.com +14255550100 --type mobile --dry-run   # [real tenant]`,
		Args: exactArgs(2, "phone add needs a <user> and a <number>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User, opts.Number = args[0], args[1]
			return runVerb(cmd.Context(), opts, runF, phoneSetRun)
		},
	}
	if update {
		c.Use = "update <user> <number> --type {mobile | alternateMobile | office}"
		c.Short = "Change the number of a user's phone method"
		c.Example = `  mfactl --mock phone update diego.siciliani@contoso.example "+44 7700 900456" --type mobile
  mfactl phone update adele@contoso.com 4255550199 --country US --type mobile --dry-run   # [real tenant]`
		c.Args = exactArgs(2, "phone update needs a <user> and a <number>")
	}
	c.Flags().StringVarP(&opts.Type, "type", "t", "mobile", "phone type: mobile, alternateMobile or office")
	c.Flags().StringVar(&opts.Country, "country", "", "two-letter country (ISO 3166) of a national number, e.g. US, GB, DE")
	c.Flags().BoolVar(&opts.CheckDuplicates, "check-duplicates", false, "warn when another user has the same number (one request per user checked)")
	c.Flags().IntVar(&opts.DuplicateBudget, "duplicate-budget", defaultDuplicateBudget, "how many users --check-duplicates looks at, at most")
	_ = c.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{"mobile", "alternateMobile", "office"}, cobra.ShellCompDirectiveNoFileComp))
	addMutationFlags(c, &opts.Mutation, false)
	return c
}

// NewCmdPhoneAdd builds `mfactl phone add`.
func NewCmdPhoneAdd(f *cmdutil.Factory, runF func(context.Context, *PhoneSetOptions) error) *cobra.Command {
	return newCmdPhoneSet(f, false, runF)
}

// NewCmdPhoneUpdate builds `mfactl phone update`.
func NewCmdPhoneUpdate(f *cmdutil.Factory, runF func(context.Context, *PhoneSetOptions) error) *cobra.Command {
	return newCmdPhoneSet(f, true, runF)
}

// parsePhoneArgs checks the type and the number before any request.
func parsePhoneArgs(number, country, typ string) (methods.Phone, error) {
	t, err := methods.ParsePhoneType(typ)
	if err != nil {
		return methods.Phone{}, cmdutil.FlagErrorf("--type: %v", err)
	}
	p, err := methods.ParsePhone(number, country, t)
	if err != nil {
		return methods.Phone{}, cmdutil.WithExit(cmdutil.ExitUsage, err, "")
	}
	return p, nil
}

func phoneSetRun(ctx context.Context, opts *PhoneSetOptions) error {
	p := opts.phone
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	if !p.Allocated {
		s.IO.Warnf("%s is a possible number but not in a range assigned to subscribers (like the fictional 555-01xx numbers); check the digits", p.Entra())
	}
	r, err := s.resolveUser(ctx, opts.User, true)
	if err != nil {
		return err
	}
	if opts.CheckDuplicates {
		if err := warnDuplicates(ctx, s, r, p, opts.DuplicateBudget); err != nil {
			return err
		}
	}
	var m methods.Method
	verb := "Added"
	if opts.Update {
		verb = "Updated"
		if err := s.client.UpdatePhone(ctx, r.User.ID, p.Entra(), p.Type); err != nil {
			return r.explain(err)
		}
	} else if m, err = s.client.AddPhone(ctx, r.User.ID, p.Entra(), p.Type); err != nil {
		return r.explain(err)
	}
	if done, err := s.finishDryRun(); done {
		return err
	}
	if opts.Update {
		if m, err = readPhone(ctx, s, r.User.ID, p.Type); err != nil {
			return err
		}
	}
	if m.SMSSignInState == "phoneNumberNotUnique" {
		s.IO.Warnf("another user has the number %s, so it cannot be used for SMS sign-in", p.Entra())
	}
	return s.printMethod(m, fmt.Sprintf("%s the %s phone %s of %s.", verb, p.Type, p.Entra(), r.Name()), true)
}

// readPhone reads a phone back after a change, so -o json prints the
// resulting object.
func readPhone(ctx context.Context, s *session, userID string, t methods.PhoneType) (methods.Method, error) {
	ms, err := s.client.ListMethods(ctx, userID)
	if err != nil {
		return methods.Method{}, err
	}
	for _, m := range ms {
		if m.Kind == methods.KindPhone && m.PhoneType == t {
			return m, nil
		}
	}
	return methods.Method{}, cmdutil.Errorf(cmdutil.ExitNotFound, "the %s phone is gone after the change", t)
}

// duplicate is another user who has the number.
type duplicate struct {
	UPN  string
	Type methods.PhoneType
}

// warnDuplicates looks for the number among other users' phones. Graph
// cannot filter methods by phone number, so this costs one request per
// user: it reads at most budget users, four at a time, and says how far it
// got. Numbers masked for the caller's role cannot be compared; it then
// says so instead of claiming there is no duplicate.
func warnDuplicates(ctx context.Context, s *session, target resolved, p methods.Phone, budget int) error {
	var others []methods.User
	err := s.client.ListUsers(ctx, graph.ListUsersOptions{PageSize: int32(min(budget+1, 999))}, func(u methods.User) bool {
		if u.ID != target.User.ID {
			others = append(others, u)
		}
		return len(others) < budget+1
	})
	if err != nil {
		return err
	}
	more := len(others) > budget
	if more {
		others = others[:budget]
	}
	var (
		mu     sync.Mutex
		found  []duplicate
		masked bool
		first  error
		wg     sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan methods.User)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				ms, err := s.client.ListMethods(ctx, u.ID)
				mu.Lock()
				if err != nil && first == nil {
					first = err
					cancel()
				}
				for _, m := range ms {
					if m.Kind != methods.KindPhone {
						continue
					}
					if strings.Contains(m.PhoneNumber, "X") {
						masked = true
					} else if methods.SameNumber(m.PhoneNumber, p.Entra()) {
						found = append(found, duplicate{u.UserPrincipalName, m.PhoneType})
					}
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, u := range others {
		select {
		case work <- u:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first != nil {
		return first
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if masked && len(found) == 0 {
		s.IO.Warnf("phone numbers are masked for your role, so --check-duplicates cannot compare them (it needs Privileged Authentication Administrator)")
		return nil
	}
	for _, d := range found {
		s.IO.Warnf("%s is already registered to %s (%s); SMS sign-in needs a number no other user has", p.Entra(), d.UPN, d.Type)
	}
	if len(found) == 0 {
		scope := fmt.Sprintf("all %d other users", len(others))
		if more {
			scope = fmt.Sprintf("the first %d other users (raise --duplicate-budget to look further)", len(others))
		}
		s.IO.Notef("No other user has %s among %s.", p.Entra(), scope)
	}
	return nil
}

// PhoneRemoveOptions are the inputs of `phone remove`.
type PhoneRemoveOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	User string
	Type string

	phoneType methods.PhoneType // Type, parsed by Validate
}

// Validate checks --type and the user reference before any request.
func (o *PhoneRemoveOptions) Validate() error {
	// Checked here rather than with Cobra's MarkFlagRequired, whose error
	// would exit 1 instead of 2.
	if o.Type == "" {
		return cmdutil.FlagErrorf("phone remove needs --type mobile, alternateMobile or office")
	}
	t, err := methods.ParsePhoneType(o.Type)
	if err != nil {
		return cmdutil.FlagErrorf("--type: %v", err)
	}
	o.phoneType = t
	return graph.ValidateUserRef(o.User)
}

// NewCmdPhoneRemove builds `mfactl phone remove <user> --type T`.
func NewCmdPhoneRemove(f *cmdutil.Factory, runF func(context.Context, *PhoneRemoveOptions) error) *cobra.Command {
	opts := &PhoneRemoveOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit}
	c := &cobra.Command{
		Use:   "remove <user> --type {mobile | alternateMobile | office}",
		Short: "Remove one of a user's phone methods",
		Long: `Remove a user's phone of one type. The mobile cannot go while an alternateMobile
exists, and the phone that delivers the user's default MFA method cannot go while
the user has other methods. Asks for confirmation on a terminal; --yes otherwise.`,
		Example: `  mfactl --mock phone remove johanna.lorenz@contoso.example --type office --yes
  mfactl phone remove diego@contoso.com --type mobile --dry-run   # [real tenant]`,
		Args: exactArgs(1, "phone remove needs one <user> and --type"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, phoneRemoveRun)
		},
	}
	c.Flags().StringVarP(&opts.Type, "type", "t", "", "phone type to remove: mobile, alternateMobile or office")
	_ = c.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{"mobile", "alternateMobile", "office"}, cobra.ShellCompDirectiveNoFileComp))
	addMutationFlags(c, &opts.Mutation, true)
	return c
}

func phoneRemoveRun(ctx context.Context, opts *PhoneRemoveOptions) error {
	t := opts.phoneType
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	r, err := s.resolveUser(ctx, opts.User, true)
	if err != nil {
		return err
	}
	for _, m := range ofKind(r.Methods, methods.KindPhone) {
		if m.PhoneType == t {
			return removeMethod(ctx, s, opts.Mutation, r, m)
		}
	}
	return cmdutil.Errorf(cmdutil.ExitNotFound, "%s has no %s phone", r.User.UserPrincipalName, t)
}

// PhoneSMSSignInOptions are the inputs of `phone sms-signin`.
type PhoneSMSSignInOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	User    string
	Enable  bool
	Disable bool
}

// Validate checks the flags and the user reference before any request.
func (o *PhoneSMSSignInOptions) Validate() error {
	if o.Enable == o.Disable {
		return cmdutil.FlagErrorf("give exactly one of --enable and --disable")
	}
	return graph.ValidateUserRef(o.User)
}

// NewCmdPhoneSMSSignIn builds `mfactl phone sms-signin <user> --enable|--disable`.
func NewCmdPhoneSMSSignIn(f *cmdutil.Factory, runF func(context.Context, *PhoneSMSSignInOptions) error) *cobra.Command {
	opts := &PhoneSMSSignInOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit}
	c := &cobra.Command{
		Use:   "sms-signin <user> {--enable | --disable}",
		Short: "Turn SMS sign-in on or off for a user's mobile phone",
		Long: `SMS sign-in lets a user sign in with a code sent to the mobile phone instead of
a password. It needs the mobile phone, a policy that allows it, and a number no
other user in the tenant has; Graph refuses it otherwise.`,
		Example: `  mfactl --mock phone sms-signin diego.siciliani@contoso.example --enable
  mfactl phone sms-signin diego@contoso.com --disable -o json   # [real tenant]`,
		Args: exactArgs(1, "phone sms-signin needs one <user> and --enable or --disable"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, phoneSMSSignInRun)
		},
	}
	c.Flags().BoolVar(&opts.Enable, "enable", false, "enable SMS sign-in")
	c.Flags().BoolVar(&opts.Disable, "disable", false, "disable SMS sign-in")
	addMutationFlags(c, &opts.Mutation, false)
	return c
}

func phoneSMSSignInRun(ctx context.Context, opts *PhoneSMSSignInOptions) error {
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	r, err := s.resolveUser(ctx, opts.User, true)
	if err != nil {
		return err
	}
	var mobile *methods.Method
	for _, m := range ofKind(r.Methods, methods.KindPhone) {
		if m.PhoneType == methods.PhoneMobile {
			mobile = &m
		}
	}
	if mobile == nil {
		return cmdutil.WithExit(cmdutil.ExitNotFound, fmt.Errorf("%s has no mobile phone, and only the mobile can do SMS sign-in", r.User.UserPrincipalName),
			fmt.Sprintf("add one with `mfactl phone add %s <number> --type mobile`", r.User.UserPrincipalName))
	}
	if err := s.client.SetSMSSignIn(ctx, r.User.ID, opts.Enable); err != nil {
		return r.explain(err)
	}
	if done, err := s.finishDryRun(); done {
		return err
	}
	m, err := readPhone(ctx, s, r.User.ID, methods.PhoneMobile)
	if err != nil {
		return err
	}
	state := "Disabled"
	if opts.Enable {
		state = "Enabled"
	}
	return s.printMethod(m, fmt.Sprintf("%s SMS sign-in on the mobile phone %s of %s (state %s).", state, m.PhoneNumber, r.Name(), m.SMSSignInState), true)
}
