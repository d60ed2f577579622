package cmd

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
)

// The emulated phone and the admin side of the emulated second factor:
// `mock outbox`, `mock device`, `mock code`, `mock block|unblock` and
// `mock verification`. Like the other emulator verbs they go through
// /_mock/, against --mock and --endpoint alike.

// MockOutboxOptions are the inputs of `mock outbox`.
type MockOutboxOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Backend func() cmdutil.Backend
	Printer func() (*output.Printer, error)
	User    string
	Since   time.Duration
	Follow  bool
	// PollInterval is how often --follow asks for new messages.
	PollInterval time.Duration
}

// Validate checks the flags before the mock is asked.
func (o *MockOutboxOptions) Validate() error {
	if o.Since < 0 {
		return cmdutil.FlagErrorf("--since is how far back to look, a positive duration like 10m")
	}
	if o.User != "" {
		return graph.ValidateUserRef(o.User)
	}
	return nil
}

// NewCmdMockOutbox builds `mfactl mock outbox`.
func NewCmdMockOutbox(f *cmdutil.Factory, runF func(context.Context, *MockOutboxOptions) error) *cobra.Command {
	opts := &MockOutboxOptions{IO: f.IOStreams, Graph: f.Graph, Backend: f.Backend, Printer: f.Printer, PollInterval: time.Second}
	c := &cobra.Command{
		Use:   "outbox [--user U] [--since D] [--follow]",
		Short: "Show the emulated texts, calls, notifications and emails (the codes users receive)",
		Long: `The emulated phone and mailbox: every text (with its code), call (what it says,
codes read aloud), Authenticator notification and email (the code that verifies an
address) the mock has sent, oldest first. --follow keeps printing new ones until
interrupted. The outbox holds codes in clear: it is the phone.`,
		Example: `  mfactl --mock mock outbox --user adele.vance@contoso.example
  mfactl --mock mock outbox --since 10m -o json
  mfactl --endpoint http://127.0.0.1:8080 mock outbox --follow   # [not run: follows until interrupted]`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVerb(cmd.Context(), opts, runF, mockOutboxRun)
		},
	}
	c.Flags().StringVarP(&opts.User, "user", "u", "", "only this user's messages")
	c.Flags().DurationVar(&opts.Since, "since", 0, "only messages of the last duration (at the mock's clock), e.g. 10m")
	c.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "keep printing new messages until interrupted")
	return c
}

func mockOutboxRun(ctx context.Context, opts *MockOutboxOptions) error {
	em, printer, err := openEmulator("mock outbox", opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return err
	}
	var since time.Time
	if opts.Since > 0 {
		clock, err := em.Clock(ctx)
		if err != nil {
			return err
		}
		since = clock.Now.Add(-opts.Since)
	}
	user := opts.User
	page, err := em.Outbox(ctx, user, 0, since)
	if err != nil {
		return err
	}
	if !opts.Follow {
		if len(page.Value) == 0 && printer.Format == output.Table {
			opts.IO.Notef("The outbox is empty.")
			return nil
		}
		return printer.Print(outboxView(page.Value))
	}
	// Following: one line per message, as text or as JSON Lines.
	emit := func(ms []graph.OutboxMessage) error {
		for _, m := range ms {
			if printer.Format == output.Table {
				if _, err := fmt.Fprintln(opts.IO.Out, outboxLine(m)); err != nil {
					return err
				}
				continue
			}
			// JSON Lines: one compact object per message, for tail-like use.
			if err := output.WriteJSONLine(opts.IO.Out, m); err != nil {
				return err
			}
		}
		return nil
	}
	if err := emit(page.Value); err != nil {
		return err
	}
	cursor := page.Cursor
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(opts.PollInterval):
		}
		next, err := em.Outbox(ctx, user, cursor, time.Time{})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := emit(next.Value); err != nil {
			return err
		}
		cursor = next.Cursor
	}
}

func outboxLine(m graph.OutboxMessage) string {
	return fmt.Sprintf("%s  %-5s  %-32s  %-22s  %s", m.At.Format(time.RFC3339), m.Channel, m.UserPrincipalName, m.To, m.Text)
}

type outboxView []graph.OutboxMessage

func (v outboxView) Table() output.TableData {
	t := output.TableData{Header: []string{"time", "channel", "user", "to", "text"}}
	for _, m := range v {
		t.Rows = append(t.Rows, []string{m.At.Format(time.RFC3339), string(m.Channel), m.UserPrincipalName, m.To, m.Text})
	}
	return t
}

// MockDeviceOptions are the inputs of `mock device`.
type MockDeviceOptions struct {
	IO        *iostreams.IOStreams
	Graph     func() (*graph.Client, error)
	Backend   func() cmdutil.Backend
	Printer   func() (*output.Printer, error)
	User      string
	Action    string
	Number    int
	Challenge string
	// NumberSet says whether --number was given.
	NumberSet bool
}

// Validate checks the user reference, and that approve has the number the
// sign-in shows, before the mock is asked.
func (o *MockDeviceOptions) Validate() error {
	if o.Action == "approve" && !o.NumberSet {
		return cmdutil.FlagErrorf("approve needs --number: the two-digit number the sign-in shows")
	}
	if o.Action == "approve" && (o.Number < 10 || o.Number > 99) {
		return cmdutil.FlagErrorf("--number is the two-digit number the sign-in shows (10 to 99)")
	}
	return graph.ValidateUserRef(o.User)
}

// NewCmdMockDevice builds `mfactl mock device pending|approve|deny|report <user>`.
func NewCmdMockDevice(f *cmdutil.Factory, runF func(context.Context, *MockDeviceOptions) error) *cobra.Command {
	opts := &MockDeviceOptions{IO: f.IOStreams, Graph: f.Graph, Backend: f.Backend, Printer: f.Printer}
	c := &cobra.Command{
		Use:   "device <command>",
		Short: "Act as the user's phone with Microsoft Authenticator: approve, deny, report",
		Long: `The emulated Authenticator app. A push sign-in (mfactl verify --method push) shows a
two-digit number on the sign-in side; approve types it on the phone. Deny is "No, it's
not me"; report also reports fraud, which blocks the user until "mfactl mock unblock".
Without --challenge the newest pending notification is used.`,
	}
	verb := func(action, short, example string) *cobra.Command {
		v := &cobra.Command{
			Use:     action + " <user>",
			Short:   short,
			Example: example,
			Args:    exactArgs(1, "mock device "+action+" needs one <user>"),
			RunE: func(cmd *cobra.Command, args []string) error {
				opts.User, opts.Action = args[0], action
				opts.NumberSet = cmd.Flags().Changed("number")
				return runVerb(cmd.Context(), opts, runF, mockDeviceRun)
			},
		}
		if action != "pending" {
			v.Flags().StringVar(&opts.Challenge, "challenge", "", "the notification's challenge id (default: the newest pending)")
		}
		if action == "approve" {
			v.Flags().IntVarP(&opts.Number, "number", "n", 0, "the number shown at sign-in")
		}
		return v
	}
	c.AddCommand(
		verb("pending", "List the notifications waiting on the phone", "  mfactl --mock mock device pending adele.vance@contoso.example"),
		verb("approve", "Approve the notification by typing the number shown at sign-in", "  mfactl --mock verify adele.vance@contoso.example --method push --send\n  mfactl --mock mock device approve adele.vance@contoso.example --number 42   # [placeholder] the number --send showed"),
		verb("deny", `Deny the notification ("No, it's not me")`, "  mfactl --mock verify adele.vance@contoso.example --method push --send\n  mfactl --mock mock device deny adele.vance@contoso.example"),
		verb("report", "Deny the notification and report fraud (blocks the user)", "  mfactl --mock verify adele.vance@contoso.example --method push --send\n  mfactl --mock mock device report adele.vance@contoso.example"),
	)
	return c
}

func mockDeviceRun(ctx context.Context, opts *MockDeviceOptions) (err error) {
	var u methods.User
	defer func() { err = explainVerdict(err, u) }()
	em, printer, u, err := openEmulatorForUser(ctx, "mock device", opts.User, opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return err
	}
	if opts.Action == "pending" {
		ps, err := em.PendingPushes(ctx, u.ID)
		if err != nil {
			return err
		}
		if len(ps) == 0 && printer.Format == output.Table {
			opts.IO.Notef("No notification is waiting for %s.", u.UserPrincipalName)
			return nil
		}
		return printer.Print(pushesView(ps))
	}
	res, err := em.Device(ctx, u.ID, graph.DeviceAction(opts.Action), opts.Number, opts.Challenge)
	if err != nil {
		if opts.Challenge == "" {
			err = withNotFoundHint(err, "start one with `mfactl verify "+u.UserPrincipalName+" --method push --send`")
		}
		return err
	}
	if printer.Format == output.Table {
		opts.IO.Notef("%s: notification %s is now %s.", u.UserPrincipalName, res.Challenge.ID, res.Challenge.State)
		return nil
	}
	return printer.Print(res.Challenge)
}

type pushesView []verify.PushPrompt

func (v pushesView) Table() output.TableData {
	t := output.TableData{Header: []string{"challenge", "purpose", "sent", "expires"}}
	for _, p := range v {
		t.Rows = append(t.Rows, []string{p.ChallengeID, string(p.Purpose), p.CreatedAt.Format(time.RFC3339), p.ExpiresAt.Format(time.RFC3339)})
	}
	return t
}

// MockUserStateOptions are the inputs of `mock block`, `mock unblock` and
// `mock verification`.
type MockUserStateOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Backend func() cmdutil.Backend
	Printer func() (*output.Printer, error)
	User    string
}

// Validate checks the user reference before anything is sent.
func (o *MockUserStateOptions) Validate() error { return graph.ValidateUserRef(o.User) }

// mockUserStateVerb is what tells `mock block`, `mock unblock` and `mock
// verification` apart: the emulator call, and the note a change prints for
// people (nil: the verb prints the state).
type mockUserStateVerb struct {
	name     string
	short    string
	mutating bool
	act      func(em *graph.Emulator, ctx context.Context, userID string) (*graph.VerificationStatus, error)
	note     func(upn string, st *graph.VerificationStatus) string
}

var (
	mockBlockVerb = mockUserStateVerb{
		name:     "block",
		short:    "Block a user from MFA (every attempt denied for 90 days or until unblocked)",
		mutating: true, // an admin's change to the user: audited
		act:      (*graph.Emulator).Block,
		note: func(upn string, st *graph.VerificationStatus) string {
			return "Blocked " + upn + " from MFA until " + st.Block.Until.Format(time.RFC3339) + " (or `mfactl mock unblock`)"
		},
	}
	mockUnblockVerb = mockUserStateVerb{
		name:     "unblock",
		short:    "Lift a user's MFA block, fraud block, lockout and method locks",
		mutating: true,
		act:      (*graph.Emulator).Unblock,
		note:     func(upn string, _ *graph.VerificationStatus) string { return "Unblocked " + upn + ": MFA works again" },
	}
	mockVerificationVerb = mockUserStateVerb{
		name:  "verification",
		short: "Show a user's emulated verification state: lockout, block, PIN, questions, devices",
		act:   (*graph.Emulator).VerificationStatus,
	}
)

// NewCmdMockBlock builds `mfactl mock block <user>`.
func NewCmdMockBlock(f *cmdutil.Factory, runF func(context.Context, *MockUserStateOptions) error) *cobra.Command {
	return newCmdMockUserState(f, mockBlockVerb, "adele.vance@contoso.example", runF)
}

// NewCmdMockUnblock builds `mfactl mock unblock <user>`.
func NewCmdMockUnblock(f *cmdutil.Factory, runF func(context.Context, *MockUserStateOptions) error) *cobra.Command {
	return newCmdMockUserState(f, mockUnblockVerb, "adele.vance@contoso.example", runF)
}

// NewCmdMockVerification builds `mfactl mock verification <user>`.
func NewCmdMockVerification(f *cmdutil.Factory, runF func(context.Context, *MockUserStateOptions) error) *cobra.Command {
	return newCmdMockUserState(f, mockVerificationVerb, "lee.gu@contoso.example", runF)
}

func newCmdMockUserState(f *cmdutil.Factory, verb mockUserStateVerb, example string, runF func(context.Context, *MockUserStateOptions) error) *cobra.Command {
	opts := &MockUserStateOptions{IO: f.IOStreams, Graph: f.Graph, Backend: f.Backend, Printer: f.Printer}
	c := &cobra.Command{
		Use:     verb.name + " <user>",
		Short:   verb.short,
		Example: "  mfactl --mock mock " + verb.name + " " + example,
		Args:    exactArgs(1, "mock "+verb.name+" needs one <user>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, func(ctx context.Context, o *MockUserStateOptions) error { return mockUserStateRun(ctx, verb, o) })
		},
	}
	if verb.mutating {
		markMutating(c)
	}
	return c
}

func mockUserStateRun(ctx context.Context, verb mockUserStateVerb, opts *MockUserStateOptions) (err error) {
	var u methods.User
	defer func() { err = explainVerdict(err, u) }()
	em, printer, u, err := openEmulatorForUser(ctx, "mock "+verb.name, opts.User, opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return err
	}
	st, err := verb.act(em, ctx, u.ID)
	if err != nil {
		return err
	}
	if verb.note != nil && printer.Format == output.Table {
		opts.IO.Notef("%s.", verb.note(u.UserPrincipalName, st))
		return nil
	}
	return printer.Print(statusView{st})
}

// MockCodeOptions are the inputs of `mock code`.
type MockCodeOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Backend func() cmdutil.Backend
	Printer func() (*output.Printer, error)
	User    string
	// Kind and MethodID choose the user's token; Serial names a hardware
	// token directly (no user), Steps reads a later code.
	Kind     string
	MethodID string
	Serial   string
	Steps    int
}

// mockCodeKinds maps --method to the OATH kind whose code is read ("":
// either, the app first).
var mockCodeKinds = map[string]string{"oath": "", "app": string(methods.KindSoftwareOath), "hardware": string(methods.KindHardwareOath)}

// Validate checks the flags before anything is sent.
func (o *MockCodeOptions) Validate() error {
	if o.Serial != "" {
		if o.Steps < -100 || o.Steps > 100 {
			return cmdutil.FlagErrorf("--steps must be between -100 and 100")
		}
		return nil
	}
	if o.Steps != 0 {
		return cmdutil.FlagErrorf("--steps goes with --serial")
	}
	if err := graph.ValidateUserRef(o.User); err != nil {
		return err
	}
	if _, ok := mockCodeKinds[o.Kind]; !ok {
		return cmdutil.FlagErrorf("--method %q: use oath, app or hardware", o.Kind)
	}
	return nil
}

// NewCmdMockCode builds `mfactl mock code {<user> | --serial S}`.
func NewCmdMockCode(f *cmdutil.Factory, runF func(context.Context, *MockCodeOptions) error) *cobra.Command {
	opts := &MockCodeOptions{IO: f.IOStreams, Graph: f.Graph, Backend: f.Backend, Printer: f.Printer}
	c := &cobra.Command{
		Use:   "code {<user> [--method oath|app|hardware] [--method-id ID] | --serial S [--steps N]}",
		Short: "Print the code the user's app or hardware token shows now (emulator only)",
		Long: `Print the current code of the user's authenticator app (software OATH) or hardware
token, at the mock's clock: what the user would read off the app or token. This is an
emulator-only helper for scripted flows; nothing like it exists in Entra. A code
accepted once is refused again (replay): wait for the next one (or advance the clock).

--serial reads a hardware token of the inventory by serial number, whatever its
status: a key fob shows codes before it is assigned or activated, and its code is
what activation asks for. --steps N gives the code N time steps (30 or 60 s) later,
or earlier when negative: the code a fob whose clock runs N steps off shows now, to
rehearse ` + "`mfactl token check`" + `.`,
		Example: `  mfactl --mock mock code adele.vance@contoso.example
  mfactl --mock mock code grady.archie@contoso.example --method hardware
  mfactl --mock verify grady.archie@contoso.example --method hardware --code "$(mfactl --mock mock code grady.archie@contoso.example --method hardware)"
  mfactl --mock token activate HWT-1004 --code "$(mfactl --mock mock code --serial HWT-1004)"
  mfactl --mock token check HWT-1001 --code "$(mfactl --mock mock code --serial HWT-1001 --steps 3)" --code "$(mfactl --mock mock code --serial HWT-1001 --steps 4)"`,
		Args: func(_ *cobra.Command, args []string) error {
			switch {
			case opts.Serial != "" && len(args) > 0:
				return cmdutil.FlagErrorf("mock code takes a <user> or --serial, not both")
			case opts.Serial == "" && len(args) != 1:
				return cmdutil.FlagErrorf("mock code needs one <user>, or --serial S for a hardware token")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				opts.User = args[0]
			}
			return runVerb(cmd.Context(), opts, runF, mockCodeRun)
		},
	}
	c.Flags().StringVar(&opts.Serial, "serial", "", "read the hardware token with this serial number (any status) instead of a user's")
	c.Flags().IntVar(&opts.Steps, "steps", 0, "with --serial: the code this many time steps later (negative: earlier), as a drifted token shows it")
	c.Flags().StringVarP(&opts.Kind, "method", "m", "oath", "whose code: app (software OATH), hardware, or oath (either, app first)")
	c.Flags().StringVar(&opts.MethodID, "method-id", "", "the method id, when the user has several")
	_ = c.RegisterFlagCompletionFunc("method", cobra.FixedCompletions([]string{"oath", "app", "hardware"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func mockCodeRun(ctx context.Context, opts *MockCodeOptions) (err error) {
	if opts.Serial != "" {
		return mockTokenCodeRun(ctx, opts)
	}
	var u methods.User
	defer func() { err = explainVerdict(err, u) }()
	em, printer, u, err := openEmulatorForUser(ctx, "mock code", opts.User, opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return err
	}
	c, err := em.CurrentCode(ctx, u.ID, mockCodeKinds[opts.Kind], opts.MethodID)
	if err != nil {
		return err
	}
	return printCode(opts.IO.Out, printer, c)
}

type statusView struct{ *graph.VerificationStatus }

func (v statusView) MarshalJSON() ([]byte, error) { return output.Marshal(v.VerificationStatus) }

func (v statusView) pairs() [][2]string {
	s := v.VerificationStatus
	when := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format(time.RFC3339)
	}
	blocked := "no"
	if s.Blocked {
		blocked = fmt.Sprintf("yes (%s) until %s", s.Block.Reason, when(s.Block.Until))
	}
	pin := "no"
	if s.PINRegistered {
		pin = "yes, set " + when(s.PINSetAt)
	}
	locked := "no"
	if s.Locked {
		locked = "yes, until " + when(s.LockedUntil)
	}
	return [][2]string{
		{"user", s.UserPrincipalName},
		{"blocked", blocked},
		{"locked", locked},
		{"denials", strconv.Itoa(s.Denials)},
		{"locked methods", strings.Join(s.LockedMethods, ", ")},
		{"fraud reports", strconv.Itoa(len(s.FraudReports))},
		{"PIN", pin},
		{"security questions", strconv.Itoa(len(s.Questions))},
		{"remembered devices", strconv.Itoa(s.RememberedDevices)},
		{"MFA sessions revoked", when(s.SessionsRevokedAt)},
		{"last verified", when(s.LastVerifiedAt)},
	}
}

func (v statusView) RenderTable(w io.Writer) error { return renderPairs(w, v.pairs()) }
func (v statusView) Table() output.TableData       { return pairsTable(v.pairs()) }

// mockTokenCodeRun prints the code a hardware token of the inventory shows.
func mockTokenCodeRun(ctx context.Context, opts *MockCodeOptions) error {
	em, printer, err := openEmulator("mock code", opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return err
	}
	c, err := em.TokenCode(ctx, opts.Serial, opts.Steps)
	if err != nil {
		return err
	}
	return printCode(opts.IO.Out, printer, c)
}

// printCode prints just the code as a table, so $(mfactl mock code U)
// works, and the whole record in the other formats.
func printCode(out io.Writer, printer *output.Printer, c *graph.CurrentCode) error {
	if printer.Format == output.Table {
		fmt.Fprintln(out, c.Code)
		return nil
	}
	return printer.Print(c)
}
