package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mdp/qrterminal/v3"
	"github.com/spf13/cobra"
	"rsc.io/qr"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/atomicfile"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
)

// NewCmdEnroll groups the emulated self-service enrolment verbs.
func NewCmdEnroll(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "enroll <command>",
		Short: "Enrol a user's authenticator app, Microsoft Authenticator, phone, email, PIN or security questions (mock only)",
		Long: `Emulated self-service enrolment against the mock tenant, as users do it at
mysignins.microsoft.com: an authenticator app is added by QR code (or account name and
key) and kept only when its first code verifies; Microsoft Authenticator is added by
QR code (or activation code and URL) and kept only when its test notification is
approved; a phone is saved only after a test
text or call, an email address only after the code mailed to it; the phone-call PIN and the security questions are stored hashed.`,
	}
	c.AddCommand(NewCmdEnrollApp(f, nil), NewCmdEnrollAuthenticator(f, nil), NewCmdEnrollPhone(f, nil), NewCmdEnrollEmail(f, nil), NewCmdEnrollPIN(f, nil), NewCmdEnrollQuestions(f, nil))
	// Enrolment registers methods (through the emulator): audited like
	// every other change.
	for _, verb := range c.Commands() {
		markMutating(verb)
	}
	return c
}

// EnrollAppOptions are the inputs of `enroll app`.
type EnrollAppOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Backend func() cmdutil.Backend
	Printer func() (*output.Printer, error)
	User    string
	// Code confirms a pending enrolment (Challenge, or the newest).
	Code      string
	Challenge string
	// QRPNG writes the QR code as a PNG file (0600: it holds the secret).
	QRPNG string
}

// Validate checks the flags and the user reference before anything is
// sent.
func (o *EnrollAppOptions) Validate() error {
	if o.Challenge != "" && o.Code == "" {
		return cmdutil.FlagErrorf("--challenge names the enrolment --code confirms: give --code too")
	}
	if o.Code != "" && o.QRPNG != "" {
		return cmdutil.FlagErrorf("--qr-png belongs to the run that starts the enrolment, not to --code")
	}
	return graph.ValidateUserRef(o.User)
}

// NewCmdEnrollApp builds `mfactl enroll app <user>`.
func NewCmdEnrollApp(f *cmdutil.Factory, runF func(context.Context, *EnrollAppOptions) error) *cobra.Command {
	opts := &EnrollAppOptions{IO: f.IOStreams, Graph: f.Graph, Backend: f.Backend, Printer: f.Printer}
	c := &cobra.Command{
		Use:   "app <user> [--code C] [--qr-png FILE]",
		Short: "Add an authenticator app by QR code or key, kept once its first code verifies",
		Long: `Start adding an authenticator app (a software OATH method): a new secret is made
and shown as a QR code (on a terminal), an otpauth:// URI and, for manual entry, the
account name and key. Scan it, or type the account name and key into the app; then
enter the first code the app shows. The method is saved only when that code verifies;
an enrolment left unconfirmed expires (10 minutes by default) and never becomes a
method. A user has at most 5 OATH and authenticator app methods.

Without a terminal, or with -o json, the enrolment is started and printed once (the
URI and key are secrets: keep them out of logs); confirm it in a second run with
--code. --qr-png writes the QR code to a PNG file (mode 0600).`,
		Example: `  mfactl --mock enroll app alex.wilber@contoso.example   # [interactive]
  mfactl --mock enroll app alex.wilber@contoso.example -o json
  mfactl --mock enroll app alex.wilber@contoso.example --code 123456   # [placeholder] the code the app shows
  mfactl --mock enroll app alex.wilber@contoso.example --qr-png alex-qr.png`,
		Args: exactArgs(1, "enroll app needs one <user>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, enrollAppRun)
		},
	}
	c.Flags().StringVar(&opts.Code, "code", "", "confirm the pending enrolment with the first code the app shows")
	c.Flags().StringVar(&opts.Challenge, "challenge", "", "the enrolment to confirm (default: the user's newest)")
	c.Flags().StringVar(&opts.QRPNG, "qr-png", "", "also write the QR code to this PNG `file` (0600)")
	return c
}

// groupKey writes a base32 key in groups of four, as setup pages show it;
// authenticator apps ignore the spaces.
func groupKey(secret string) string {
	var b strings.Builder
	for i, r := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func enrollAppRun(ctx context.Context, opts *EnrollAppOptions) (err error) {
	var u methods.User
	defer func() { err = explainVerdict(err, u) }()
	em, printer, u, err := openEmulatorForUser(ctx, "enroll app", opts.User, opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return err
	}
	if opts.Code != "" {
		res, err := em.ConfirmApp(ctx, u.ID, opts.Code, opts.Challenge)
		if err != nil {
			return withNotFoundHint(err, "start one with `mfactl enroll app "+u.UserPrincipalName+"`")
		}
		return printEnrolled(opts.IO.ErrOut, printer, res, "authenticator app")
	}
	en, err := em.EnrollApp(ctx, u.ID)
	if err != nil {
		return err
	}
	if opts.QRPNG != "" {
		if err := writeQRPNG(opts.QRPNG, en.URI); err != nil {
			return err
		}
	}
	interactive := opts.IO.CanPrompt() && printer.Format == output.Table
	if !interactive {
		if err := printer.Print(enrollmentView{en}); err != nil {
			return err
		}
		opts.IO.Notef("Add the account to the app, then confirm with the first code it shows: mfactl enroll app %s --code CODE (before %s)",
			u.UserPrincipalName, en.Challenge.ExpiresAt.Format(time.RFC3339))
		return nil
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "Open your authenticator app, add an account (work or school, or other), and scan this QR code:\n\n")
	if opts.IO.IsStdoutTTY() {
		qrterminal.GenerateHalfBlock(en.URI, qr.L, w)
	}
	fmt.Fprintf(w, "\nOr enter it by hand:\n  account name: %s\n  key:          %s\n  type:         time based, 6 digits, every 30 seconds\n  URI:          %s\n\n",
		en.Account, groupKey(en.Secret), en.URI)
	c := en.Challenge
	for {
		code, err := opts.IO.Prompt("Enter the code the app shows")
		if err != nil {
			return err
		}
		if code == "" {
			return cmdutil.Errorf(cmdutil.ExitFailure, "no code entered: the app was not added (the enrolment expires unconfirmed; confirm it later with `mfactl enroll app %s --code CODE`)", u.UserPrincipalName)
		}
		res, err := em.ConfirmApp(ctx, u.ID, code, c.ID)
		var ve *graph.VerdictError
		if errors.As(err, &ve) && ve.Challenge != nil && ve.Challenge.State.Open() {
			fmt.Fprintln(opts.IO.ErrOut, ve.Error())
			continue
		}
		if err != nil {
			return err
		}
		return printEnrolled(opts.IO.ErrOut, printer, res, "authenticator app")
	}
}

// writeQRPNG writes the QR code of uri as a PNG readable only by the user:
// the picture holds the secret.
func writeQRPNG(path, uri string) error {
	code, err := qr.Encode(uri, qr.M)
	if err != nil {
		return fmt.Errorf("QR code: %w", err)
	}
	code.Scale = 8
	if err := atomicfile.WriteBytes(path, code.PNG(), 0o600); err != nil {
		return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("write %s: %w", path, err), "")
	}
	return nil
}

// enrollmentView prints a started app enrolment.
type enrollmentView struct{ *graph.AppEnrollment }

func (v enrollmentView) MarshalJSON() ([]byte, error) {
	en := v.AppEnrollment
	out := map[string]any{"uri": en.URI, "secret": en.Secret, "account": en.Account, "issuer": en.Issuer}
	if en.Challenge != nil {
		out["challengeId"], out["expiresAt"] = en.Challenge.ID, en.Challenge.ExpiresAt
	}
	return output.Marshal(out)
}

func (v enrollmentView) pairs() [][2]string {
	en := v.AppEnrollment
	p := [][2]string{{"account name", en.Account}, {"key", groupKey(en.Secret)}, {"uri", en.URI}}
	if en.Challenge != nil {
		p = append(p, [2]string{"challenge", en.Challenge.ID}, [2]string{"expires", en.Challenge.ExpiresAt.Format(time.RFC3339)})
	}
	return p
}

func (v enrollmentView) RenderTable(w io.Writer) error { return renderPairs(w, v.pairs()) }
func (v enrollmentView) Table() output.TableData       { return pairsTable(v.pairs()) }

// printSent reports a test that --send started or --resend sent again:
// the challenge a second run completes.
func printSent(printer *output.Printer, u methods.User, res *graph.VerifyResult) error {
	return printer.Print(outcomeView{&VerifyOutcome{User: u.UserPrincipalName, Sent: true, Challenge: res.Challenge}})
}

// sendOrAsk goes on from an enrolment test just started (res): with send
// it prints the challenge for a second run; otherwise it asks for the
// code on the terminal and hands the outcome to report.
func sendOrAsk(ctx context.Context, em *graph.Emulator, ios *iostreams.IOStreams, printer *output.Printer, u methods.User,
	res *graph.VerifyResult, send bool, timeout time.Duration, report func(*graph.VerifyResult) error) error {
	if send {
		return printSent(printer, u, res)
	}
	res, err := runChallengeOnTerminal(ctx, em, ios, res.Challenge, timeout, time.Second, codeSource(""))
	if err != nil {
		return err
	}
	return report(res)
}

// printEnrolled reports the method an enrolment created.
func printEnrolled(errOut io.Writer, printer *output.Printer, res *graph.VerifyResult, what string) error {
	if res.Method == nil {
		return cmdutil.Errorf(cmdutil.ExitFailure, "the %s was verified but the mock created no method (a bug)", what)
	}
	m := res.Method.Method()
	if printer.Format == output.Table {
		fmt.Fprintf(errOut, "Verified: added the %s (%s %s).\n", what, m.Kind.Label(), m.ID)
	}
	return printer.Print(methodView{m})
}

// EnrollPhoneOptions are the inputs of `enroll phone`.
type EnrollPhoneOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Backend func() cmdutil.Backend
	Printer func() (*output.Printer, error)
	User    string
	Number  string
	Type    string
	Country string
	// Method is how the number is tested: sms, call (answer and press #)
	// or voice-otp (a call reads a code).
	Method    string
	Send      bool
	Challenge string
	Code      string
	Keys      string
	Resend    bool
	Timeout   time.Duration

	phone methods.Phone // Number, Country and Type, parsed by Validate
}

// Validate checks the number, the flags and the user reference before
// anything is sent.
func (o *EnrollPhoneOptions) Validate() error {
	inputs := 0
	for _, set := range []bool{o.Code != "", o.Keys != "", o.Resend} {
		if set {
			inputs++
		}
	}
	switch {
	case o.Send && (o.Challenge != "" || inputs > 0):
		return cmdutil.FlagErrorf("--send starts the test; complete it in a second run with --challenge ID and --code or --keys")
	case o.Challenge != "" && inputs != 1:
		return cmdutil.FlagErrorf("--challenge needs one of --code, --keys and --resend")
	case o.Challenge == "" && inputs > 0:
		return cmdutil.FlagErrorf("--code, --keys and --resend complete a test: give its id with --challenge (from --send)")
	}
	if o.Keys != "" {
		keys, err := parseKeys(o.Keys)
		if err != nil {
			return cmdutil.FlagErrorWrap(err)
		}
		o.Keys = keys
	}
	if o.Method != "" && o.Method != "sms" && o.Method != "call" && o.Method != "voice-otp" {
		return cmdutil.FlagErrorf("--method %q: use sms, call or voice-otp", o.Method)
	}
	p, err := parsePhoneArgs(o.Number, o.Country, o.Type)
	if err != nil {
		return err
	}
	o.phone = p
	return graph.ValidateUserRef(o.User)
}

// NewCmdEnrollPhone builds `mfactl enroll phone <user> <number> --type T`.
func NewCmdEnrollPhone(f *cmdutil.Factory, runF func(context.Context, *EnrollPhoneOptions) error) *cobra.Command {
	opts := &EnrollPhoneOptions{IO: f.IOStreams, Graph: f.Graph, Backend: f.Backend, Printer: f.Printer, Timeout: 90 * time.Second}
	c := &cobra.Command{
		Use:   "phone <user> <number> --type {mobile | alternateMobile | office} [--method sms|call|voice-otp]",
		Short: "Add a phone after a test text or call, as the setup page does",
		Long: `Test-authenticate a phone number, then save it: "Text me" sends a 6-digit code
(mobile only), "Call me" places a call you answer by pressing # (after the
extension, for an office phone), and voice-otp places a call that reads a code. The
phone is saved, under the same rules as "mfactl phone add", only when the test passes.

On a terminal the code (or the keys pressed) is asked for; "new" gets a new code.
Scripts use two runs: --send, then --challenge ID with --code C or --keys "#".`,
		Example: `  mfactl --mock enroll phone alex.wilber@contoso.example "(425) 555-0177" --type mobile --country US   # [interactive]
  mfactl --mock enroll phone alex.wilber@contoso.example +14255550177 --type mobile --send -o json
  mfactl --mock enroll phone alex.wilber@contoso.example +14255550177 --type mobile --challenge ID --code 123456   # [placeholder] the id and code from --send
  mfactl --mock enroll phone alex.wilber@contoso.example "+1 425 555 0178 x12" --type office --method call --send
  mfactl --mock enroll phone alex.wilber@contoso.example "+1 425 555 0178 x12" --type office --challenge ID --keys "##"   # [placeholder] the id from --send`,
		Args: exactArgs(2, "enroll phone needs a <user> and a <number>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User, opts.Number = args[0], args[1]
			return runVerb(cmd.Context(), opts, runF, enrollPhoneRun)
		},
	}
	c.Flags().StringVarP(&opts.Type, "type", "t", "mobile", "phone type: mobile, alternateMobile or office")
	c.Flags().StringVar(&opts.Country, "country", "", "two-letter country (ISO 3166) of a national number, e.g. US, GB, DE")
	c.Flags().StringVar(&opts.Method, "method", "", "how to test the number: sms (default for mobile), call (default otherwise) or voice-otp")
	c.Flags().BoolVar(&opts.Send, "send", false, "send the test text or place the test call, print the challenge id, and exit")
	c.Flags().StringVar(&opts.Challenge, "challenge", "", "id of the test to complete (from --send)")
	c.Flags().StringVar(&opts.Code, "code", "", "the code received by text or call")
	c.Flags().StringVar(&opts.Keys, "keys", "", `keys pressed in the test call ("#"; "##" after an office extension)`)
	c.Flags().BoolVar(&opts.Resend, "resend", false, "get a new code for the test")
	_ = c.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{"mobile", "alternateMobile", "office"}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("method", cobra.FixedCompletions([]string{"sms", "call", "voice-otp"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func enrollPhoneRun(ctx context.Context, opts *EnrollPhoneOptions) (err error) {
	var u methods.User
	defer func() { err = explainVerdict(err, u) }()
	p := opts.phone
	method := map[string]string{"sms": "sms", "call": "voice", "voice-otp": "voiceOtp"}[opts.Method]
	if method == "" {
		method = "voice"
		if p.Type == methods.PhoneMobile {
			method = "sms"
		}
	}
	em, printer, u, err := openEmulatorForUser(ctx, "enroll phone", opts.User, opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return err
	}
	if opts.Challenge != "" {
		var res *graph.VerifyResult
		switch {
		case opts.Resend:
			res, err = em.Resend(ctx, opts.Challenge)
			if err != nil {
				return err
			}
			return printSent(printer, u, res)
		case opts.Code != "":
			res, err = em.SubmitCode(ctx, opts.Challenge, opts.Code)
		default:
			res, err = em.PressKeys(ctx, opts.Challenge, opts.Keys)
		}
		if err != nil {
			return err
		}
		return printPhoneTest(opts, printer, res)
	}
	if !opts.Send && !opts.IO.CanPrompt() {
		return cmdutil.FlagErrorf("enroll phone needs a terminal to ask for the code; without one use --send, then --challenge ID with --code or --keys")
	}
	res, err := em.EnrollPhone(ctx, u.ID, p.Entra(), p.Type, method)
	if err != nil {
		return err
	}
	return sendOrAsk(ctx, em, opts.IO, printer, u, res, opts.Send, opts.Timeout, func(res *graph.VerifyResult) error {
		return printPhoneTest(opts, printer, res)
	})
}

func printPhoneTest(opts *EnrollPhoneOptions, printer *output.Printer, res *graph.VerifyResult) error {
	if res.Challenge != nil && res.Challenge.State == verify.StateFraudReported {
		return cmdutil.Errorf(cmdutil.ExitAuth, "fraud was reported during the test call: the phone was not saved and the user is blocked; unblock with `mfactl mock unblock %s`", opts.User)
	}
	if res.Challenge == nil || res.Challenge.State != verify.StateVerified {
		return cmdutil.Errorf(cmdutil.ExitFailure, "the test did not finish (the call waits for more keys): nothing was saved")
	}
	return printEnrolled(opts.IO.ErrOut, printer, res, "phone")
}

// EnrollPINOptions are the inputs of `enroll pin`.
type EnrollPINOptions struct {
	IO       *iostreams.IOStreams
	Graph    func() (*graph.Client, error)
	Backend  func() cmdutil.Backend
	Printer  func() (*output.Printer, error)
	User     string
	PINStdin bool
	Remove   bool
}

// Validate checks the flags and the user reference before the PIN is read
// or anything is sent.
func (o *EnrollPINOptions) Validate() error {
	if o.PINStdin && o.Remove {
		return cmdutil.FlagErrorf("--remove deletes the PIN: drop --pin-stdin")
	}
	return graph.ValidateUserRef(o.User)
}

// NewCmdEnrollPIN builds `mfactl enroll pin <user>`.
func NewCmdEnrollPIN(f *cmdutil.Factory, runF func(context.Context, *EnrollPINOptions) error) *cobra.Command {
	opts := &EnrollPINOptions{IO: f.IOStreams, Graph: f.Graph, Backend: f.Backend, Printer: f.Printer}
	c := &cobra.Command{
		Use:   "pin <user> [--pin-stdin | --remove]",
		Short: "Set the PIN a phone call asks for (entered followed by #)",
		Long: `Set the PIN of phone-call verification with PIN ("enter your PIN followed by the
pound key"): 4 to 8 digits (seed pages ask for eight), not one digit repeated and not
a run like 1234. It is asked twice without echo on a terminal, or read from the first
line of standard input with --pin-stdin; it is stored hashed and never shown.`,
		Example: `  mfactl --mock enroll pin lee.gu@contoso.example   # [interactive]
  echo 20482048 | mfactl --mock enroll pin lee.gu@contoso.example --pin-stdin
  mfactl --mock enroll pin lee.gu@contoso.example --remove`,
		Args: exactArgs(1, "enroll pin needs one <user>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, enrollPINRun)
		},
	}
	c.Flags().BoolVar(&opts.PINStdin, "pin-stdin", false, "read the PIN from the first line of standard input")
	c.Flags().BoolVar(&opts.Remove, "remove", false, "remove the user's PIN")
	return c
}

// readPIN gets the PIN from stdin or the terminal (twice, without echo),
// and checks its shape before anything is sent.
func readPIN(opts *EnrollPINOptions) (string, error) {
	var pin string
	switch {
	case opts.PINStdin:
		line, err := bufio.NewReader(io.LimitReader(opts.IO.In, 1024)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		pin = strings.TrimSpace(line)
	case opts.IO.CanPrompt():
		first, err := opts.IO.PromptSecret("New PIN (4 to 8 digits)")
		if err != nil {
			return "", err
		}
		again, err := opts.IO.PromptSecret("Enter it again")
		if err != nil {
			return "", err
		}
		if first != again {
			return "", cmdutil.Errorf(cmdutil.ExitUsage, "the two PINs differ: nothing was changed")
		}
		pin = first
	default:
		return "", cmdutil.FlagErrorf("enroll pin needs a terminal to ask for the PIN, or --pin-stdin")
	}
	if pin == "" || strings.Trim(pin, "0123456789") != "" {
		return "", cmdutil.Errorf(cmdutil.ExitUsage, "a PIN has digits only (4 to 8 of them)")
	}
	return pin, nil
}

func enrollPINRun(ctx context.Context, opts *EnrollPINOptions) (err error) {
	var u methods.User
	defer func() { err = explainVerdict(err, u) }()
	em, _, u, err := openEmulatorForUser(ctx, "enroll pin", opts.User, opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return err
	}
	if opts.Remove {
		if err := em.RemovePIN(ctx, u.ID); err != nil {
			return err
		}
		opts.IO.Notef("Removed the phone-call PIN of %s.", u.UserPrincipalName)
		return nil
	}
	pin, err := readPIN(opts)
	if err != nil {
		return err
	}
	if err := em.RegisterPIN(ctx, u.ID, pin); err != nil {
		return err
	}
	opts.IO.Notef("Set the phone-call PIN of %s: calls now ask for it followed by #.", u.UserPrincipalName)
	return nil
}

// EnrollQuestionsOptions are the inputs of `enroll questions`.
type EnrollQuestionsOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Backend func() cmdutil.Backend
	Printer func() (*output.Printer, error)
	User    string
	File    string
	Remove  bool
}

// Validate checks the flags and the user reference before the file is
// read or anything is sent.
func (o *EnrollQuestionsOptions) Validate() error {
	if o.File != "" && o.Remove {
		return cmdutil.FlagErrorf("--remove deletes the questions: drop --file")
	}
	return graph.ValidateUserRef(o.User)
}

// NewCmdEnrollQuestions builds `mfactl enroll questions <user>`.
func NewCmdEnrollQuestions(f *cmdutil.Factory, runF func(context.Context, *EnrollQuestionsOptions) error) *cobra.Command {
	opts := &EnrollQuestionsOptions{IO: f.IOStreams, Graph: f.Graph, Backend: f.Backend, Printer: f.Printer}
	c := &cobra.Command{
		Use:   "questions <user> [--file FILE | --remove]",
		Short: "Register security questions for self-service password reset",
		Long: `Register 3 to 5 security questions with their answers (3 to 40 characters each,
no question twice, no answer reused). They only serve to reset a password, never to
sign in, and administrators cannot use them. Answers are stored hashed, compared
ignoring case and extra spaces.

--file reads them ("-" for standard input): a JSON array of {"question","answer"}
objects, or one "question | answer" per line. On a terminal they are asked for (the
answers without echo).`,
		Example: `  mfactl --mock enroll questions alex.wilber@contoso.example   # [interactive]
  mfactl --mock enroll questions alex.wilber@contoso.example --file questions.txt   # [placeholder] your file
  printf 'City of birth? | Springfield\nFirst pet? | Rex\nFirst school? | Lincoln\n' | mfactl --mock enroll questions alex.wilber@contoso.example --file -`,
		Args: exactArgs(1, "enroll questions needs one <user>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, enrollQuestionsRun)
		},
	}
	c.Flags().StringVarP(&opts.File, "file", "f", "", "read questions and answers from this `file` (- for standard input)")
	c.Flags().BoolVar(&opts.Remove, "remove", false, "remove the user's security questions")
	return c
}

func readQuestions(opts *EnrollQuestionsOptions) ([]graph.QuestionAnswer, error) {
	if opts.File != "" {
		var data []byte
		var err error
		if opts.File == "-" {
			data, err = io.ReadAll(io.LimitReader(opts.IO.In, maxQuestionsFile+1))
		} else {
			data, err = os.ReadFile(opts.File)
		}
		if err != nil {
			return nil, cmdutil.WithExit(cmdutil.ExitUsage, err, "")
		}
		qs, err := parseQuestionsFile(data)
		if err != nil {
			return nil, cmdutil.WithExit(cmdutil.ExitUsage, err, `write one "question | answer" per line, or a JSON array of {"question","answer"} objects`)
		}
		return qs, nil
	}
	if !opts.IO.CanPrompt() {
		return nil, cmdutil.FlagErrorf("enroll questions needs a terminal to ask, or --file")
	}
	fmt.Fprintln(opts.IO.ErrOut, "Choose 3 to 5 questions only you can answer; leave a question empty when done (after 3).")
	var qs []graph.QuestionAnswer
	for len(qs) < 5 {
		q, err := opts.IO.Prompt(fmt.Sprintf("Question %d", len(qs)+1))
		if err != nil {
			return nil, err
		}
		if q == "" {
			if len(qs) >= 3 {
				break
			}
			return nil, cmdutil.Errorf(cmdutil.ExitUsage, "at least 3 questions are needed: nothing was changed")
		}
		a, err := opts.IO.PromptSecret("Answer")
		if err != nil {
			return nil, err
		}
		qs = append(qs, graph.QuestionAnswer{Question: q, Answer: a})
	}
	return qs, nil
}

func enrollQuestionsRun(ctx context.Context, opts *EnrollQuestionsOptions) (err error) {
	var u methods.User
	defer func() { err = explainVerdict(err, u) }()
	em, _, u, err := openEmulatorForUser(ctx, "enroll questions", opts.User, opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return err
	}
	if opts.Remove {
		if err := em.RemoveQuestions(ctx, u.ID); err != nil {
			return err
		}
		opts.IO.Notef("Removed the security questions of %s.", u.UserPrincipalName)
		return nil
	}
	qs, err := readQuestions(opts)
	if err != nil {
		return err
	}
	if err := em.RegisterQuestions(ctx, u.ID, qs); err != nil {
		return err
	}
	opts.IO.Notef("Registered %d security questions for %s (password reset only).", len(qs), u.UserPrincipalName)
	return nil
}
