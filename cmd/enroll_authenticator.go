package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/mdp/qrterminal/v3"
	"github.com/spf13/cobra"
	"rsc.io/qr"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
	"github.com/mfactl/mfactl/mock"
)

// securityInfoURL is where a user adds Microsoft Authenticator in a real
// tenant.
const securityInfoURL = "https://aka.ms/mysecurityinfo"

// EnrollAuthenticatorOptions are the inputs of `enroll authenticator`.
type EnrollAuthenticatorOptions struct {
	EmulatorOptions
	Audit *audit.Session
	User  string
	// Device names the emulated phone the app runs on.
	Device string
	// QRPNG writes the QR code as a PNG file (0600: it holds the
	// activation code).
	QRPNG string
	// Yes skips the terminal's "Next" between the setup page's steps.
	Yes bool
	// Approve approves the test notification on the emulated phone.
	Approve bool
	// Registration reads the outcome of a registration started earlier.
	Registration string
	Timeout      time.Duration
	PollInterval time.Duration
}

// NewCmdEnrollAuthenticator builds `mfactl enroll authenticator <user>`.
func NewCmdEnrollAuthenticator(f *cmdutil.Factory, runF func(context.Context, *EnrollAuthenticatorOptions) error) *cobra.Command {
	opts := &EnrollAuthenticatorOptions{EmulatorOptions: newEmulatorOptions(f), Audit: f.Audit, Timeout: 90 * time.Second, PollInterval: time.Second}
	c := &cobra.Command{
		Use:   "authenticator <user> [--device NAME] [--qr-png FILE] [--approve | --registration ID]",
		Short: "Add Microsoft Authenticator by QR code and a test notification, as the setup page does",
		Long: `Add Microsoft Authenticator (push notifications) the way a user does at
` + securityInfoURL + `: "Set up your account" shows a QR code, and under "Can't scan
image?" the activation Code and URL; the app scans them (a work or school account);
"Let's try it out" sends a test notification, approved in the app by entering the
number shown. The method is added only when the notification is approved; denied, a
wrong number, or no answer in time adds nothing. A user has at most 5 OATH and
authenticator app methods, Microsoft Authenticator included; a second Authenticator
(another phone) is added the same way.

Microsoft Graph cannot register Microsoft Authenticator, so this works against the
mock only, where mfactl plays the app: it activates an emulated phone named by
--device, sends the test notification and prints the number to enter. --approve
enters it on the emulated phone; otherwise approve it with "mfactl mock device
approve" (a terminal waits up to --timeout for that). Without a terminal and without
--approve the command exits once the notification is sent; --registration ID then
reports the outcome.

The activation code is printed because you ask for it; it is never logged, and works
once. --qr-png writes the QR code to a PNG file (mode 0600).

Exit codes: 0 added (or, without --approve and a terminal, the notification sent);
1 denied, wrong number, expired, or the user is at the method limit; 2 bad input, or
a real tenant; 3 unknown user or registration; 4 fraud reported, or the user is
blocked or locked.`,
		Example: `  mfactl --mock enroll authenticator alex.wilber@contoso.example   # [interactive]
  mfactl --mock enroll authenticator alex.wilber@contoso.example --device "Pixel 9" --approve
  mfactl --mock enroll authenticator adele.vance@contoso.example --device "iPad Air" --approve --qr-png adele-authenticator.png -o json
  mfactl --mock enroll authenticator alex.wilber@contoso.example --device "iPhone 15"
  mfactl --mock mock device approve alex.wilber@contoso.example --number 42   # [placeholder] the number the first run printed
  mfactl --mock enroll authenticator alex.wilber@contoso.example --registration ID   # [placeholder] the registration id the first run printed`,
		Args: exactArgs(1, "enroll authenticator needs one <user>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			if opts.Registration != "" {
				for _, name := range []string{"device", "qr-png", "approve", "yes"} {
					if cmd.Flags().Changed(name) {
						return cmdutil.FlagErrorf("--registration reads the outcome of a registration started earlier: drop --%s", name)
					}
				}
			}
			if opts.Timeout <= 0 {
				return cmdutil.FlagErrorf("--timeout must be positive, such as 90s or 5m")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return enrollAuthenticatorRun(cmd.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Device, "device", mock.DefaultAuthenticatorDevice, "name of the emulated phone the app runs on")
	fl.StringVar(&opts.QRPNG, "qr-png", "", "also write the QR code to this PNG `file` (0600)")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not stop between the steps on a terminal")
	fl.BoolVar(&opts.Approve, "approve", false, "approve the test notification on the emulated phone (enter the number shown)")
	fl.StringVar(&opts.Registration, "registration", "", "report the outcome of the registration with this id (from an earlier run)")
	fl.DurationVar(&opts.Timeout, "timeout", opts.Timeout, "how long a terminal waits for the test notification's approval")
	return c
}

// errAuthenticatorRealTenant is the refusal against real Graph.
func errAuthenticatorRealTenant() error {
	return cmdutil.Errorf(cmdutil.ExitUsage, "Microsoft Graph cannot register Microsoft Authenticator (the app registers itself): the user adds it at %s; mfactl emulates it with --mock", securityInfoURL)
}

func enrollAuthenticatorRun(ctx context.Context, opts *EnrollAuthenticatorOptions) (err error) {
	// Refused before any request: real Graph has nothing to offer here.
	// Building the client (no sign-in yet) is what says which backend
	// this run uses.
	if _, err := opts.Graph(); err != nil {
		return err
	}
	if opts.Backend != nil && opts.Backend().Kind == "graph" {
		return errAuthenticatorRealTenant()
	}
	var u methods.User
	defer func() { err = explainVerdict(err, u) }()
	em, printer, u, err := opts.enrollTarget(ctx, "enroll authenticator", opts.User)
	if err != nil {
		return err
	}
	if opts.Registration != "" {
		reg, err := em.AuthenticatorRegistration(ctx, opts.Registration)
		if err != nil {
			return err
		}
		if reg.UserID != u.ID {
			return cmdutil.Errorf(cmdutil.ExitUsage, "registration %s is not %s's", opts.Registration, u.UserPrincipalName)
		}
		return finishAuthenticator(opts, printer, u, reg, "")
	}
	if err := opts.noteTarget(ctx, u); err != nil {
		return err
	}
	reg, err := em.BeginAuthenticator(ctx, u.ID)
	if err != nil {
		return err
	}
	code := reg.ActivationCode
	if opts.QRPNG != "" {
		if err := writeQRPNG(opts.QRPNG, reg.QRPayload); err != nil {
			return err
		}
	}
	interactive := opts.IO.CanPrompt() && printer.Format == output.Table
	w := opts.IO.ErrOut
	if printer.Format == output.Table {
		w = opts.IO.Out
		fmt.Fprintf(w, "Microsoft Authenticator\nSet up your account\n\nIn the app, add an account and select \"Work or school\", then scan this QR code:\n\n")
		if opts.IO.IsStdoutTTY() {
			qrterminal.GenerateHalfBlock(reg.QRPayload, qr.L, w)
		}
		fmt.Fprintf(w, "\nCan't scan image? Enter the following into the app:\n  Code: %s\n  URL:  %s\n\n", methods.GroupActivationCode(code), reg.URL)
	}
	if interactive && !opts.Yes {
		if _, err := opts.IO.Prompt(fmt.Sprintf("Press Enter once the app has scanned it (the emulated %s scans it now)", opts.Device)); err != nil {
			return err
		}
	}
	// The emulated app reads the QR code as a scanner would.
	act, err := methods.ParseAuthenticatorActivation(reg.QRPayload)
	if err != nil {
		return fmt.Errorf("the mock's QR code: %w", err)
	}
	if reg, err = activateAuthenticator(ctx, em, reg.ID, act, opts.Device); err != nil {
		return err
	}
	if interactive && !opts.Yes {
		if _, err := opts.IO.Prompt("Press Enter to send the test notification (Let's try it out)"); err != nil {
			return err
		}
	}
	if reg, err = em.NotifyAuthenticator(ctx, reg.ID); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "Let's try it out: approve the notification sent to Microsoft Authenticator on %s by entering the number %d.\n", reg.DeviceName, reg.Number)
	switch {
	case opts.Approve:
		if _, err := em.Device(ctx, u.ID, graph.DeviceApprove, reg.Number, reg.ChallengeID); err != nil {
			var ve *graph.VerdictError
			if !errors.As(err, &ve) {
				return err
			}
		}
		if reg, err = em.AuthenticatorRegistration(ctx, reg.ID); err != nil {
			return err
		}
	case interactive:
		fmt.Fprintf(opts.IO.ErrOut, "(emulated phone: `mfactl mock device approve %s --number %d`, or deny)\n", u.UserPrincipalName, reg.Number)
		if reg, err = waitForRegistration(ctx, em, opts, reg); err != nil {
			return err
		}
	default:
		opts.IO.Notef("Approve it on the emulated phone: mfactl mock device approve %s --number %d; then: mfactl enroll authenticator %s --registration %s (before %s)",
			u.UserPrincipalName, reg.Number, u.UserPrincipalName, reg.ID, reg.NotificationExpires.Format(time.RFC3339))
	}
	return finishAuthenticator(opts, printer, u, reg, code)
}

// noteTarget names the user in the run's audit record, with the methods
// they had before.
func (o *EnrollAuthenticatorOptions) noteTarget(ctx context.Context, u methods.User) error {
	if o.Audit == nil {
		return nil
	}
	client, err := o.Graph()
	if err != nil {
		return err
	}
	before, err := client.ListMethods(ctx, u.ID)
	if err != nil {
		return err
	}
	o.Audit.Target(u.ID, u.UserPrincipalName, before)
	return nil
}

// activateAuthenticator activates the emulated app. An answer lost on the
// way is not a reason to send the code again (it works once): the
// registration is read back, and an app already activated is the answer.
func activateAuthenticator(ctx context.Context, em *graph.Emulator, id string, act methods.AuthenticatorActivation, device string) (*graph.AuthenticatorRegistration, error) {
	reg, err := em.ActivateAuthenticator(ctx, act.Code, act.URL, device)
	var ge *graph.Error
	if err == nil || !errors.As(err, &ge) || ge.Status != 0 {
		return reg, err
	}
	again, rerr := em.AuthenticatorRegistration(ctx, id)
	if rerr != nil || again.State == mock.RegistrationWaitingForApp {
		return nil, err
	}
	return again, nil
}

// waitForRegistration polls the registration until its test notification
// is decided, or the timeout passes (it then stays pending).
func waitForRegistration(ctx context.Context, em *graph.Emulator, opts *EnrollAuthenticatorOptions, reg *graph.AuthenticatorRegistration) (*graph.AuthenticatorRegistration, error) {
	deadline := time.Now().Add(opts.Timeout)
	for reg.State == mock.RegistrationNotificationSent {
		if time.Now().After(deadline) {
			return nil, cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("no answer to the test notification within %s: Microsoft Authenticator was not added yet", opts.Timeout),
				fmt.Sprintf("approve it with `mfactl mock device approve %s --number %d`, then run `mfactl enroll authenticator %s --registration %s`", opts.User, reg.Number, opts.User, reg.ID))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(opts.PollInterval):
		}
		var err error
		if reg, err = em.AuthenticatorRegistration(ctx, reg.ID); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// finishAuthenticator reports the registration: the method once approved,
// the reason it ended otherwise (an error with the verdict's exit code),
// or where it stands.
func finishAuthenticator(opts *EnrollAuthenticatorOptions, printer *output.Printer, u methods.User, reg *graph.AuthenticatorRegistration, code string) error {
	switch reg.State {
	case mock.RegistrationDenied, mock.RegistrationExpired:
		reason := reg.Reason
		if reason == "" {
			reason = verify.ReasonExpired
		}
		what := map[verify.Reason]string{
			verify.ReasonDenied:        "the test notification was denied",
			verify.ReasonWrongNumber:   "the number entered in the app did not match the one shown",
			verify.ReasonFraudReported: "fraud was reported on the test notification (the user is now blocked)",
			verify.ReasonExpired:       "the registration expired before the test notification was approved",
		}[reason]
		if what == "" {
			what = "the test notification was not approved (" + string(reason) + ")"
		}
		hint := fmt.Sprintf("start again with `mfactl enroll authenticator %s`", u.UserPrincipalName)
		if reason == verify.ReasonFraudReported {
			hint = fmt.Sprintf("if the report was a mistake, `mfactl mock unblock %s`, then start again", u.UserPrincipalName)
		}
		return cmdutil.WithExit(reason.ExitCode(), fmt.Errorf("%s: Microsoft Authenticator was not added for %s", what, u.UserPrincipalName), hint)
	case mock.RegistrationApproved:
		if printer.Format == output.Table {
			fmt.Fprintf(opts.IO.ErrOut, "Notification approved: added Microsoft Authenticator on %s (%s).\n", reg.DeviceName, reg.MethodID)
		}
	}
	return printer.Print(registrationView{reg: reg, code: code})
}

// registrationView prints a registration: the activation code only in
// the run that asked for it (the mock wipes it once used).
type registrationView struct {
	reg  *graph.AuthenticatorRegistration
	code string
}

func (v registrationView) MarshalJSON() ([]byte, error) {
	r := v.reg
	out := map[string]any{"registrationId": r.ID, "userPrincipalName": r.User, "state": r.State, "expiresAt": r.Expires}
	set := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	set("activationCode", v.code)
	set("url", r.URL)
	set("reason", string(r.Reason))
	set("deviceName", r.DeviceName)
	set("challengeId", r.ChallengeID)
	if r.State == mock.RegistrationApproved {
		set("methodId", r.MethodID)
	}
	if r.Number != 0 && r.State == mock.RegistrationNotificationSent {
		out["number"] = r.Number
	}
	if r.Method != nil {
		out["method"] = r.Method
	}
	return output.Marshal(out)
}

func (v registrationView) pairs() [][2]string {
	r := v.reg
	p := [][2]string{{"user", r.User}, {"registration", r.ID}, {"state", r.State}}
	add := func(k, v string) {
		if v != "" {
			p = append(p, [2]string{k, v})
		}
	}
	add("reason", string(r.Reason))
	add("device", r.DeviceName)
	if r.State == mock.RegistrationNotificationSent {
		add("number", strconv.Itoa(r.Number))
		add("challenge", r.ChallengeID)
		add("expires", r.NotificationExpires.Format(time.RFC3339))
	}
	if r.State == mock.RegistrationApproved {
		add("method", r.MethodID)
	}
	return p
}

func (v registrationView) RenderTable(w io.Writer) error { return renderPairs(w, v.pairs()) }
func (v registrationView) Table() output.TableData       { return pairsTable(v.pairs()) }
