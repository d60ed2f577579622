package cmd

import (
	"context"
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

// EnrollEmailOptions are the inputs of `enroll email`.
type EnrollEmailOptions struct {
	IO        *iostreams.IOStreams
	Graph     func() (*graph.Client, error)
	Backend   func() cmdutil.Backend
	Printer   func() (*output.Printer, error)
	User      string
	Address   string
	Send      bool
	Challenge string
	Code      string
	Resend    bool
	Timeout   time.Duration
}

// Validate checks the flags and the user reference before anything is
// sent.
func (o *EnrollEmailOptions) Validate() error {
	inputs := 0
	for _, set := range []bool{o.Code != "", o.Resend} {
		if set {
			inputs++
		}
	}
	switch {
	case o.Send && (o.Challenge != "" || inputs > 0):
		return cmdutil.FlagErrorf("--send mails the code; complete it in a second run with --challenge ID and --code")
	case o.Challenge != "" && inputs != 1:
		return cmdutil.FlagErrorf("--challenge needs one of --code and --resend")
	case o.Challenge == "" && inputs > 0:
		return cmdutil.FlagErrorf("--code and --resend complete a verification: give its id with --challenge (from --send)")
	}
	return graph.ValidateUserRef(o.User)
}

// NewCmdEnrollEmail builds `mfactl enroll email <user> <address>`.
func NewCmdEnrollEmail(f *cmdutil.Factory, runF func(context.Context, *EnrollEmailOptions) error) *cobra.Command {
	opts := &EnrollEmailOptions{IO: f.IOStreams, Graph: f.Graph, Backend: f.Backend, Printer: f.Printer, Timeout: 90 * time.Second}
	c := &cobra.Command{
		Use:   "email <user> <address> [--send | --challenge ID (--code C | --resend)]",
		Short: "Add an email address after the code mailed to it comes back, as the setup page does",
		Long: `Verify an email address, then save it as the user's email method (used for
self-service password reset only, never for MFA): a 6-digit code is mailed to the
address (the emulated outbox: "mfactl mock outbox"), and the address is saved, under
the same rules as "mfactl email set" (one per user), only when the code is entered.

On a terminal the code is asked for; "new" mails a new code ("Resend code").
Scripts use two runs: --send, then --challenge ID with --code C.

Against a real tenant use "mfactl email set": Microsoft Graph adds an address
without verifying it, and only the user's security-info page mails a code.`,
		Example: `  mfactl --mock enroll email alex.wilber@contoso.example alex.wilber@outlook.example   # [interactive]
  mfactl --mock enroll email alex.wilber@contoso.example alex.wilber@outlook.example --send -o json
  mfactl --mock mock outbox --user alex.wilber@contoso.example       # the email: "Use verification code 123456 ..."
  mfactl --mock enroll email alex.wilber@contoso.example alex.wilber@outlook.example --challenge ID --code 123456   # [placeholder] the id and code from --send`,
		Args: exactArgs(2, "enroll email needs a <user> and an <address>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User, opts.Address = args[0], args[1]
			return runVerb(cmd.Context(), opts, runF, enrollEmailRun)
		},
	}
	c.Flags().BoolVar(&opts.Send, "send", false, "mail the code, print the challenge id, and exit")
	c.Flags().StringVar(&opts.Challenge, "challenge", "", "id of the verification to complete (from --send)")
	c.Flags().StringVar(&opts.Code, "code", "", "the code mailed to the address")
	c.Flags().BoolVar(&opts.Resend, "resend", false, `mail a new code ("Resend code"); the old one stops working`)
	return c
}

func enrollEmailRun(ctx context.Context, opts *EnrollEmailOptions) (err error) {
	var u methods.User
	defer func() { err = explainVerdict(err, u) }()
	addr, err := checkEmailAddress(opts.Address)
	if err != nil {
		return err
	}
	if opts.Backend != nil && opts.Backend().Kind == "graph" {
		// api-reference/v1.0/api/authentication-post-emailmethods.md: the
		// request carries the address and the answer is 201 Created with
		// the method; no verification step exists to emulate.
		return cmdutil.Errorf(cmdutil.ExitUsage, "`mfactl enroll email` mails a code only in the mock (Microsoft Graph adds an email method without verifying it): use `mfactl email set %s %s`, or add --mock", opts.User, addr)
	}
	em, printer, u, err := openEmulatorForUser(ctx, "enroll email", opts.User, opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return err
	}
	if opts.Challenge != "" {
		// The id must be this address's verification: a code given to a
		// phone test or another user's challenge would save something else.
		cur, err := em.Challenge(ctx, opts.Challenge)
		if err != nil {
			return err
		}
		if c := cur.Challenge; c == nil || c.Method != verify.MethodEmail || c.Purpose != verify.PurposeRegistration || c.UserID != u.ID || !strings.EqualFold(c.EmailAddress, addr) {
			return cmdutil.FlagErrorf("challenge %s is not the verification of %s for %s: use the id printed by --send", opts.Challenge, addr, u.UserPrincipalName)
		}
		if opts.Resend {
			res, err := em.Resend(ctx, opts.Challenge)
			if err != nil {
				return err
			}
			return printSent(printer, u, res)
		}
		res, err := em.SubmitCode(ctx, opts.Challenge, opts.Code)
		if err != nil {
			return err
		}
		return printEmailVerified(opts, printer, res)
	}
	if !opts.Send && !opts.IO.CanPrompt() {
		return cmdutil.FlagErrorf("enroll email needs a terminal to ask for the code; without one use --send, then --challenge ID with --code")
	}
	res, err := em.EnrollEmail(ctx, u.ID, addr)
	if err != nil {
		return err
	}
	return sendOrAsk(ctx, em, opts.IO, printer, u, res, opts.Send, opts.Timeout, func(res *graph.VerifyResult) error {
		return printEmailVerified(opts, printer, res)
	})
}

// printEmailVerified reports the email method the verification added.
func printEmailVerified(opts *EnrollEmailOptions, printer *output.Printer, res *graph.VerifyResult) error {
	if res.Challenge == nil || res.Challenge.State != verify.StateVerified {
		return cmdutil.Errorf(cmdutil.ExitFailure, "the email address was not verified: nothing was saved")
	}
	return printEnrolled(opts.IO.ErrOut, printer, res, "email address")
}
