package cmd

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/output"
)

// VerifyOptions are the inputs of `mfactl verify`.
type VerifyOptions struct {
	Printer func() (*output.Printer, error)
	// Check is the verification the argument and flags describe.
	Check identityCheck
}

// Validate checks the flags before any request.
func (o *VerifyOptions) Validate() error { return o.Check.Validate() }

// NewCmdVerify builds `mfactl verify <user>`.
func NewCmdVerify(f *cmdutil.Factory, runF func(context.Context, *VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{Printer: f.Printer, Check: identityCheck{IO: f.IOStreams, Graph: f.Graph, Backend: f.Backend, Printer: f.Printer, Timeout: 90 * time.Second, PollInterval: time.Second}}
	c := &cobra.Command{
		Use:   "verify <user> [--method M] [--send | --challenge ID (--code C | --keys K | --answers A | --wait | --resend) | --code C]",
		Short: "Verify a user's second factor against the emulated tenant (mock only)",
		Long: `Play the second factor Entra asks for at sign-in, against the mock tenant: an
authenticator app or hardware token code, a text or a call with a code, a call answered
with # (or with the PIN and #), an Authenticator notification with number matching,
security questions (password reset only) or a Temporary Access Pass. The emulated
phone is the mock: read texts and calls with "mfactl mock outbox", act on notifications
with "mfactl mock device", read an app's or token's current code with "mfactl mock code".

Methods (--method): push, app (authenticator app code), hardware (hardware token code),
oath (either), sms, voice (press #), voice-otp (a call reads a code), voice-pin (PIN
and #), questions, tap. Without --method, the user's registered methods are offered,
default first (non-interactively the default is used). --phone picks the phone of a
voice method (mobile, alternateMobile, office).

On a terminal the command asks for what the method needs. Scripts use two runs:
--send starts the challenge and prints its id (and the number to match, for push);
--challenge ID with --code, --keys ("#", "PIN#", "0#" reports fraud), --answers
("a;b;c" or a JSON array) or --wait (a push or call decided on the emulated phone)
completes it; --challenge ID --resend is "get a new code". An app, token or pass code
can be verified in one run with --code alone.

--remember issues a "don't ask again" device token for the verified sign-in (printed
once: it is a secret); --device-token T checks one (revoked by "mfactl sessions revoke").

Exit codes: 0 verified; 1 rejected (wrong code, expired, replayed, denied, no answer);
4 locked or blocked (the message says until when and how to unblock); 3 unknown user
or method not registered; 5 too many texts or calls.`,
		Example: `  mfactl --mock verify adele.vance@contoso.example   # [interactive]
  mfactl --mock verify adele.vance@contoso.example --method app --code "$(mfactl --mock mock code adele.vance@contoso.example)"
  mfactl --mock verify adele.vance@contoso.example --method sms --send -o json
  mfactl --mock verify adele.vance@contoso.example --challenge ID --code 123456   # [placeholder] the id from --send, the code from mock outbox
  echo 20482048 | mfactl --mock enroll pin lee.gu@contoso.example --pin-stdin
  mfactl --mock verify lee.gu@contoso.example --method voice-pin --send
  mfactl --mock verify lee.gu@contoso.example --challenge ID --keys "20482048#"   # [placeholder] the id from --send
  mfactl --mock verify adele.vance@contoso.example --method push --send
  mfactl --mock mock device approve adele.vance@contoso.example --number 42   # [placeholder] the number --send showed
  mfactl --mock verify adele.vance@contoso.example --challenge ID --wait --remember   # [placeholder] the id from --send
  mfactl --mock verify adele.vance@contoso.example --device-token TOKEN   # [placeholder] the token --remember printed`,
		Args: exactArgs(1, "verify needs one <user>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Check.User = args[0]
			return runVerb(cmd.Context(), opts, runF, verifyRun)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&opts.Check.Method, "method", "m", "", "method: "+strings.Join(verifyMethodNames(), ", "))
	fl.StringVar(&opts.Check.Phone, "phone", "", "phone of a voice or sms method: mobile, alternateMobile or office")
	fl.StringVar(&opts.Check.MethodID, "method-id", "", "id of the method to use, when the user has several of a kind")
	fl.BoolVar(&opts.Check.Send, "send", false, "start the challenge and print its id (and the number to match), then exit")
	fl.StringVar(&opts.Check.Challenge, "challenge", "", "id of the challenge to complete (from --send)")
	fl.StringVar(&opts.Check.Code, "code", "", "the code from the app, token, text or call, or the Temporary Access Pass")
	fl.StringVar(&opts.Check.Keys, "keys", "", `keys pressed in the call: "#" approves, "PIN#" for a PIN call, "0#" reports fraud`)
	fl.StringVar(&opts.Check.Answers, "answers", "", `answers to the security questions asked, in order: "a;b;c" or a JSON array`)
	fl.BoolVar(&opts.Check.Wait, "wait", false, "wait for the decision on a push or call made on the emulated phone")
	fl.BoolVar(&opts.Check.Resend, "resend", false, "get a new code (a new text, call or notification) for the challenge")
	fl.DurationVar(&opts.Check.Timeout, "timeout", opts.Check.Timeout, "how long --wait waits for a decision")
	fl.BoolVar(&opts.Check.Remember, "remember", false, "after success, issue a remembered-device token (printed once)")
	fl.StringVar(&opts.Check.DeviceToken, "device-token", "", "check a remembered-device token instead of verifying")
	_ = c.RegisterFlagCompletionFunc("method", cobra.FixedCompletions(verifyMethodNames(), cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("phone", cobra.FixedCompletions([]string{"mobile", "alternateMobile", "office"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func verifyRun(ctx context.Context, opts *VerifyOptions) error {
	printer, err := opts.Printer()
	if err != nil {
		return err
	}
	out, err := opts.Check.run(ctx)
	if err != nil {
		return err
	}
	return printer.Print(outcomeView{out})
}

// outcomeView prints an outcome: a line for people, the object for scripts.
type outcomeView struct{ *VerifyOutcome }

func (v outcomeView) MarshalJSON() ([]byte, error) {
	o := *v.VerifyOutcome
	if o.Challenge != nil {
		o.ChallengeID = o.Challenge.ID
	}
	return output.Marshal(o)
}

func (v outcomeView) pairs() [][2]string {
	o := v.VerifyOutcome
	var p [][2]string
	c := o.Challenge
	switch {
	case o.Device != nil:
		p = append(p, [2]string{"remembered", "yes: MFA is not needed on this device"}, [2]string{"until", o.Device.ExpiresAt.Format(time.RFC3339)})
		return p
	case o.Sent && c != nil:
		p = append(p, [2]string{"challenge", c.ID})
		if c.ResentFrom != "" {
			p = append(p, [2]string{"replaces", c.ResentFrom + " (its code no longer works)"})
		}
		p = append(p, [2]string{"method", methodName(c.Method)}, [2]string{"state", string(c.State)})
		if c.Number != 0 {
			p = append(p, [2]string{"number", strconv.Itoa(c.Number) + "  (enter it in the Authenticator notification)"})
		}
		if c.PhoneNumber != "" {
			to := c.PhoneNumber
			if c.Extension != "" {
				to += " x" + c.Extension
			}
			p = append(p, [2]string{"to", to})
		}
		for i, q := range c.Questions {
			p = append(p, [2]string{"question " + strconv.Itoa(i+1), q})
		}
		p = append(p, [2]string{"expires", c.ExpiresAt.Format(time.RFC3339)})
		return p
	}
	p = append(p, [2]string{"verified", o.User + " with " + o.Method})
	if c != nil {
		p = append(p, [2]string{"challenge", c.ID})
	}
	if o.DeviceToken != nil {
		p = append(p, [2]string{"device token", o.DeviceToken.Token}, [2]string{"remembered until", o.DeviceToken.ExpiresAt.Format(time.RFC3339)})
	}
	return p
}

func (v outcomeView) RenderTable(w io.Writer) error { return renderPairs(w, v.pairs()) }
func (v outcomeView) Table() output.TableData       { return pairsTable(v.pairs()) }
