package cmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
)

// verifyMethod is a --method name and what it means to the engine.
type verifyMethod struct {
	Name   string
	Engine verify.Method
	// Kind narrows OATH to an app (software) or a hardware token.
	Kind string
	// Label is how the offer and messages name it.
	Label string
}

// verifyMethods are the --method names, in the order the offer lists them
// when the user has no default.
var verifyMethods = []verifyMethod{
	{"push", verify.MethodPush, "", "Microsoft Authenticator notification"},
	{"app", verify.MethodOATH, string(methods.KindSoftwareOath), "code from an authenticator app"},
	{"hardware", verify.MethodOATH, string(methods.KindHardwareOath), "code from a hardware token"},
	{"oath", verify.MethodOATH, "", "OATH code (app or hardware token)"},
	{"sms", verify.MethodSMS, "", "code by text message"},
	{"voice", verify.MethodVoice, "", "phone call: answer and press #"},
	{"voice-otp", verify.MethodVoiceOTP, "", "phone call that reads a code"},
	{"voice-pin", verify.MethodVoicePIN, "", "phone call: enter your PIN and #"},
	{"questions", verify.MethodQuestions, "", "security questions (password reset only)"},
	{"tap", verify.MethodTAP, "", "Temporary Access Pass"},
}

func verifyMethodNames() []string {
	names := make([]string, len(verifyMethods))
	for i, m := range verifyMethods {
		names[i] = m.Name
	}
	return names
}

func parseVerifyMethod(s string) (verifyMethod, error) {
	for _, m := range verifyMethods {
		if m.Name == s {
			return m, nil
		}
	}
	return verifyMethod{}, cmdutil.FlagErrorf("--method %q: use one of %s", s, strings.Join(verifyMethodNames(), ", "))
}

// identityCheck is one MFA verification of a user through the emulator's
// verify flow: `verify` builds one from its argument and flags, `reset
// --verify-first` from the proof it chose, and both call its run.
type identityCheck struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Backend func() cmdutil.Backend
	Printer func() (*output.Printer, error)
	User    string
	// Method is a --method name; empty offers the user's methods, default
	// first. Phone narrows the phone type of voice methods.
	Method   string
	Phone    string
	MethodID string

	// Non-interactive protocol: Send starts and prints the challenge;
	// Challenge with Code, Keys, Answers or Wait completes it; Resend gets
	// a new code for it. Code without Challenge verifies OATH and TAP in
	// one step.
	Send      bool
	Challenge string
	Code      string
	Keys      string
	Answers   string
	Wait      bool
	Resend    bool
	// Timeout bounds --wait and the interactive wait for a push or call.
	Timeout time.Duration
	// PollInterval is how often a wait polls the challenge.
	PollInterval time.Duration

	// Remember asks for a remembered-device token after a verified
	// sign-in; DeviceToken checks one instead of verifying.
	Remember    bool
	DeviceToken string

	// Purpose defaults to signIn (sspr for security questions).
	Purpose string

	answers []string
}

// Validate checks the flags before any request.
func (o *identityCheck) Validate() error {
	if o.Method != "" {
		if _, err := parseVerifyMethod(o.Method); err != nil {
			return err
		}
	}
	if o.Phone != "" {
		if _, err := methods.ParsePhoneType(o.Phone); err != nil {
			return cmdutil.FlagErrorf("--phone: %v", err)
		}
	}
	inputs := 0
	for _, set := range []bool{o.Code != "", o.Keys != "", o.Answers != "", o.Wait, o.Resend} {
		if set {
			inputs++
		}
	}
	switch {
	case o.DeviceToken != "" && (o.Send || o.Challenge != "" || inputs > 0 || o.Remember):
		return cmdutil.FlagErrorf("--device-token checks a remembered device on its own: drop the other verification flags")
	case o.Send && (o.Challenge != "" || inputs > 0):
		return cmdutil.FlagErrorf("--send starts a challenge: complete it in a second run with --challenge ID and --code, --keys, --answers or --wait")
	case inputs > 1:
		return cmdutil.FlagErrorf("give one of --code, --keys, --answers, --wait and --resend")
	case o.Challenge != "" && inputs == 0:
		return cmdutil.FlagErrorf("--challenge needs --code, --keys, --answers, --wait or --resend")
	case o.Challenge == "" && (o.Keys != "" || o.Answers != "" || o.Wait || o.Resend):
		return cmdutil.FlagErrorf("--keys, --answers, --wait and --resend complete a challenge: give its id with --challenge (from --send)")
	case o.Send && o.Remember:
		return cmdutil.FlagErrorf("--remember applies once the verification succeeds: give it with the run that completes the challenge")
	case o.Timeout <= 0:
		return cmdutil.FlagErrorf("--timeout must be positive")
	}
	if o.Keys != "" {
		keys, err := parseKeys(o.Keys)
		if err != nil {
			return cmdutil.FlagErrorWrap(err)
		}
		o.Keys = keys
	}
	if o.Answers != "" {
		answers, err := parseAnswers(o.Answers)
		if err != nil {
			return cmdutil.FlagErrorWrap(err)
		}
		o.answers = answers
	}
	if o.Code != "" && o.Challenge == "" && o.Method != "" {
		if m, _ := parseVerifyMethod(o.Method); m.Engine != verify.MethodOATH && m.Engine != verify.MethodTAP {
			return cmdutil.FlagErrorf("--code without --challenge verifies an OATH code or a pass in one step; --method %s sends something first: run with --send, then --challenge ID --code C", o.Method)
		}
	}
	return nil
}

// VerifyOutcome is what a verification ended with.
type VerifyOutcome struct {
	User     string `json:"userPrincipalName"`
	Method   string `json:"method,omitempty"`
	Verified bool   `json:"verified"`
	Sent     bool   `json:"sent,omitempty"`
	// ChallengeID is the challenge's id, under the key every JSON shape of
	// mfactl gives it (enroll app, mock device pending): scripts read
	// .challengeId whatever the verb. --resend sets it to the new id.
	ChallengeID string                 `json:"challengeId,omitempty"`
	Challenge   *graph.VerifyChallenge `json:"challenge,omitempty"`
	// DeviceToken is the remembered-device token (--remember), a secret.
	DeviceToken *verify.DeviceToken `json:"deviceToken,omitempty"`
	// Device is the remembered device a --device-token check found.
	Device *verify.RememberedDevice `json:"device,omitempty"`
}

// run runs the verification and returns its outcome. A verification that
// did not succeed is a *graph.VerdictError (exit 1 rejected, 4 locked or
// blocked).
func (opts *identityCheck) run(ctx context.Context) (out *VerifyOutcome, err error) {
	var u methods.User
	defer func() { err = explainVerdict(err, u) }()
	em, _, err := openEmulator("verify", opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return nil, err
	}
	client, err := opts.Graph()
	if err != nil {
		return nil, err
	}
	if err := graph.ValidateUserRef(opts.User); err != nil {
		return nil, err
	}
	u, err = client.GetUser(ctx, opts.User)
	if err != nil {
		return nil, err
	}
	out = &VerifyOutcome{User: u.UserPrincipalName}
	switch {
	case opts.DeviceToken != "":
		d, err := em.CheckDevice(ctx, u.ID, opts.DeviceToken)
		if err != nil {
			return nil, err
		}
		out.Verified, out.Device = true, d.Device
		return out, nil
	case opts.Challenge != "":
		return completeChallenge(ctx, em, opts, u, out)
	}
	m, err := chooseMethod(ctx, client, em, opts, u)
	if err != nil {
		return nil, err
	}
	out.Method = m.Name
	req := graph.StartChallengeRequest{User: u.ID, Method: string(m.Engine), Kind: m.Kind, PhoneType: opts.Phone, MethodID: opts.MethodID, Purpose: opts.Purpose}
	if opts.Code != "" {
		// App, token and pass codes are known before anything is sent.
		if m.Engine != verify.MethodOATH && m.Engine != verify.MethodTAP {
			return nil, cmdutil.FlagErrorf("--code without --challenge verifies an OATH code or a pass; %s sends something first: use --send, then --challenge ID --code C", m.Name)
		}
		res, err := em.StartChallenge(ctx, req)
		if err != nil {
			return nil, err
		}
		res, err = em.SubmitCode(ctx, res.Challenge.ID, opts.Code)
		return finishVerified(ctx, em, opts, out, res, err)
	}
	if !opts.Send && !opts.IO.CanPrompt() {
		return nil, cmdutil.FlagErrorf("verify needs a terminal to ask for the %s; without one use --send, then --challenge ID with --code, --keys, --answers or --wait", m.Label)
	}
	res, err := em.StartChallenge(ctx, req)
	if err != nil {
		return nil, err
	}
	out.Challenge = res.Challenge
	if opts.Send {
		out.Sent = true
		return out, nil
	}
	return interactiveVerify(ctx, em, opts, out, res.Challenge)
}

// verdictNextCommands phrase, with the command to run, the step a verdict
// names (the engine says "ask an admin to unblock the user"; the CLI adds
// which command does it). %s is the user.
var verdictNextCommands = map[verify.Next]string{
	verify.NextUnblock:           "(admin: `mfactl mock unblock %s`)",
	verify.NextRegisterPIN:       "with `mfactl enroll pin %s`",
	verify.NextRegisterQuestions: "with `mfactl enroll questions %s`",
	verify.NextNewPass:           "(admin: `mfactl tap create %s`)",
}

// explainVerdict names the user by UPN in a verdict (the mock is addressed
// by object id) and adds to its hint the command that takes the step the
// verdict names.
func explainVerdict(err error, u methods.User) error {
	var ve *graph.VerdictError
	if !errors.As(err, &ve) {
		return err
	}
	who := nonEmptyOr(u.UserPrincipalName, nonEmptyOr(u.ID, "<user>"))
	if u.ID != "" && u.UserPrincipalName != "" {
		ve.Verdict.Message = strings.ReplaceAll(ve.Verdict.Message, u.ID, u.UserPrincipalName)
		ve.Verdict.Hint = strings.ReplaceAll(ve.Verdict.Hint, u.ID, u.UserPrincipalName)
	}
	if phrase, ok := verdictNextCommands[ve.Verdict.Next]; ok && !strings.Contains(ve.Verdict.Hint, "`mfactl ") {
		ve.Verdict.Hint = strings.TrimSpace(ve.Verdict.Hint + " " + fmt.Sprintf(phrase, who))
	}
	return err
}

// completeChallenge is the second run of the non-interactive protocol.
func completeChallenge(ctx context.Context, em *graph.Emulator, opts *identityCheck, u methods.User, out *VerifyOutcome) (*VerifyOutcome, error) {
	res, err := em.Challenge(ctx, opts.Challenge)
	var ve *graph.VerdictError
	if err != nil && !errors.As(err, &ve) {
		return nil, err
	}
	if c := challengeOf(res, err); c != nil && c.UserID != u.ID {
		return nil, cmdutil.Errorf(cmdutil.ExitUsage, "challenge %s is not %s's", opts.Challenge, u.UserPrincipalName)
	}
	if c := challengeOf(res, err); c != nil {
		out.Method = methodName(c.Method)
	}
	id := opts.Challenge
	switch {
	case opts.Resend:
		res, err = em.Resend(ctx, id)
		if err != nil {
			return nil, err
		}
		out.Challenge, out.Sent = res.Challenge, true
		return out, nil
	case opts.Code != "":
		res, err = em.SubmitCode(ctx, id, opts.Code)
	case opts.Keys != "":
		res, err = em.PressKeys(ctx, id, opts.Keys)
	case opts.answers != nil:
		res, err = em.AnswerQuestions(ctx, id, opts.answers)
	case opts.Wait:
		res, err = waitForDecision(ctx, em, id, opts.Timeout, opts.PollInterval)
	}
	return finishVerified(ctx, em, opts, out, res, err)
}

func challengeOf(res *graph.VerifyResult, err error) *graph.VerifyChallenge {
	if res != nil && res.Challenge != nil {
		return res.Challenge
	}
	var ve *graph.VerdictError
	if errors.As(err, &ve) {
		return ve.Challenge
	}
	return nil
}

// methodName is the --method name of an engine method.
func methodName(m verify.Method) string {
	for _, vm := range verifyMethods {
		if vm.Engine == m && vm.Kind == "" {
			return vm.Name
		}
	}
	return string(m)
}

// waitForDecision polls a push or call until it is decided, expires, or
// the timeout passes (the challenge then stays open).
func waitForDecision(ctx context.Context, em *graph.Emulator, id string, timeout, poll time.Duration) (*graph.VerifyResult, error) {
	deadline := time.Now().Add(timeout)
	for {
		res, err := em.Challenge(ctx, id)
		if err != nil || !res.Challenge.State.Open() {
			return res, err
		}
		if time.Now().After(deadline) {
			return nil, cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("no decision on challenge %s within %s", id, timeout),
				"act on the emulated phone (`mfactl mock device approve|deny`, or --keys for a call), then wait again")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// finishVerified turns a completed challenge into the outcome, and issues
// the remembered-device token when asked.
func finishVerified(ctx context.Context, em *graph.Emulator, opts *identityCheck, out *VerifyOutcome, res *graph.VerifyResult, err error) (*VerifyOutcome, error) {
	if err != nil {
		return nil, err
	}
	out.Challenge = res.Challenge
	if res.Challenge == nil {
		return nil, cmdutil.Errorf(cmdutil.ExitFailure, "the mock returned no challenge (a bug)")
	}
	switch c := res.Challenge; {
	case c.State.Open():
		// A call that only confirmed the extension goes on: this step
		// succeeded (exit 0, like --send), the challenge is open, and the
		// outcome says so (verified false, its state) rather than failing.
		out.Sent = true
		what := "#"
		if c.Method == verify.MethodVoicePIN {
			what = "the PIN and #"
		}
		opts.IO.Notef("The call reached the extension and goes on: press %s with --challenge %s --keys.", what, c.ID)
		return out, nil
	case c.State != verify.StateVerified:
		// The phone's own decision (fraud reported with 0#): the sign-in
		// side hears the reason the challenge ended.
		var ve *verify.Error
		if errors.As(verify.ChallengeError(c.Challenge), &ve) {
			return nil, &graph.VerdictError{Op: "verify", Verdict: *ve, Challenge: c}
		}
	}
	out.Verified = true
	if out.Method == "" {
		out.Method = methodName(res.Challenge.Method)
	}
	if opts.Remember {
		tok, err := em.Remember(ctx, res.Challenge.ID)
		if err != nil {
			return nil, err
		}
		out.DeviceToken = &tok.DeviceToken
	}
	return out, nil
}

// chooseMethod resolves --method, or offers the user's usable methods
// (the default first, marked) on a terminal and takes the first otherwise.
// A phone entry chosen from the offer sets --phone.
func chooseMethod(ctx context.Context, client *graph.Client, em *graph.Emulator, opts *identityCheck, u methods.User) (verifyMethod, error) {
	if opts.Method != "" {
		return parseVerifyMethod(opts.Method)
	}
	offer, err := offeredMethods(ctx, client, em, u)
	if err != nil {
		return verifyMethod{}, err
	}
	if len(offer) == 0 {
		return verifyMethod{}, cmdutil.Errorf(cmdutil.ExitNotFound, "%s has no method that can verify a sign-in", u.UserPrincipalName)
	}
	pick := func(o verifyOffer) (verifyMethod, error) {
		if opts.Phone == "" && o.Phone != "" {
			opts.Phone = string(o.Phone)
		}
		return o.verifyMethod, nil
	}
	if !opts.IO.CanPrompt() || opts.Send || opts.Code != "" {
		return pick(offer[0])
	}
	fmt.Fprintf(opts.IO.ErrOut, "Verify %s with:\n", u.UserPrincipalName)
	for i, o := range offer {
		def := ""
		if o.Default {
			def = " (default)"
		}
		fmt.Fprintf(opts.IO.ErrOut, "  %d. %s: %s%s\n", i+1, o.Choice(), o.Label, def)
	}
	for {
		ans, err := opts.IO.Prompt(fmt.Sprintf("Choose 1-%d [1]", len(offer)))
		if err != nil {
			return verifyMethod{}, err
		}
		if ans == "" {
			return pick(offer[0])
		}
		if n, err := strconv.Atoi(ans); err == nil && n >= 1 && n <= len(offer) {
			return pick(offer[n-1])
		}
		for _, o := range offer {
			if o.Choice() == ans || o.Name == ans {
				return pick(o)
			}
		}
		fmt.Fprintf(opts.IO.ErrOut, "%q is not one of the choices\n", ans)
	}
}

// verifyOffer is one entry of verify's method menu: a method, on one phone
// for the phone methods, and whether it delivers the user's default.
type verifyOffer struct {
	verifyMethod
	Phone   methods.PhoneType
	Default bool
}

// Choice is how the menu names the entry: "voice (office)" for a phone.
func (o verifyOffer) Choice() string {
	if o.Phone != "" {
		return o.Name + " (" + string(o.Phone) + ")"
	}
	return o.Name
}

// offeredMethods lists the --method choices the user's usable methods
// allow (methods.UsableMethods: a token whose activation failed or an
// expired pass is not offered), one entry per phone for calls, the entry
// that delivers the effective default first and marked; with no
// deliverable default, none is marked.
func offeredMethods(ctx context.Context, client *graph.Client, em *graph.Emulator, u methods.User) ([]verifyOffer, error) {
	all, err := client.ListMethods(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	st, err := em.VerificationStatus(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	ms := methods.UsableMethods(all)
	var def methods.DefaultMethod
	if prefs, err := client.GetSignInPreferences(ctx, u.ID); err == nil {
		def = prefs.UserPreferred.Effective(all)
	}
	has := func(k methods.Kind) bool { return len(ofKind(ms, k)) > 0 }
	var out []verifyOffer
	add := func(ok bool, name string, phone methods.Method, delivers methods.DefaultMethod) {
		if !ok {
			return
		}
		m, _ := parseVerifyMethod(name)
		o := verifyOffer{verifyMethod: m, Phone: phone.PhoneType}
		if phone.PhoneType != "" {
			o.Label = strings.Replace(o.Label, "phone call", "call to the "+string(phone.PhoneType)+" phone "+phone.PhoneNumber, 1)
			if name == "sms" {
				o.Label = "code by text message to " + phone.PhoneNumber
			}
		}
		o.Default = def != "" && def == delivers
		out = append(out, o)
	}
	add(has(methods.KindAuthenticator), "push", methods.Method{}, methods.DefaultPush)
	// oath is delivered by an app or a hardware token: the first offered.
	add(has(methods.KindSoftwareOath), "app", methods.Method{}, methods.DefaultOath)
	add(has(methods.KindHardwareOath), "hardware", methods.Method{}, methods.DefaultOath)
	if len(out) > 1 && out[len(out)-1].Name == "hardware" && out[len(out)-2].Name == "app" {
		out[len(out)-1].Default = false
	}
	phones := ofKind(ms, methods.KindPhone)
	methods.SortMethods(phones)
	for _, ph := range phones {
		if ph.PhoneType == methods.PhoneMobile {
			add(true, "sms", ph, methods.DefaultSMS)
		}
	}
	voiceDefault := map[methods.PhoneType]methods.DefaultMethod{
		methods.PhoneMobile: methods.DefaultVoiceMobile, methods.PhoneAlternateMobile: methods.DefaultVoiceAlternateMobile, methods.PhoneOffice: methods.DefaultVoiceOffice,
	}
	for _, ph := range phones {
		add(true, "voice", ph, voiceDefault[ph.PhoneType])
	}
	for _, ph := range phones {
		add(st.PINRegistered, "voice-pin", ph, "")
	}
	add(has(methods.KindTemporaryAccess), "tap", methods.Method{}, "")
	add(len(st.Questions) > 0 && !st.Admin, "questions", methods.Method{}, "")
	// The default first.
	if i := slices.IndexFunc(out, func(o verifyOffer) bool { return o.Default }); i > 0 {
		d := out[i]
		out = append(out[:i], out[i+1:]...)
		out = append([]verifyOffer{d}, out...)
	}
	return out, nil
}

// interactiveVerify asks, on the terminal, for what the method needs, and
// retries while the engine leaves attempts.
func interactiveVerify(ctx context.Context, em *graph.Emulator, opts *identityCheck, out *VerifyOutcome, c *graph.VerifyChallenge) (*VerifyOutcome, error) {
	res, err := runChallengeOnTerminal(ctx, em, opts.IO, c, opts.Timeout, opts.PollInterval, codeSource(out.Method))
	return finishVerified(ctx, em, opts, out, res, err)
}

// codeSource names where an OATH code comes from, for the prompt.
func codeSource(method string) string {
	switch method {
	case "app":
		return "the authenticator app"
	case "hardware":
		return "the hardware token"
	}
	return "the authenticator app or hardware token"
}

// runChallengeOnTerminal drives an open challenge on the terminal until it
// ends: codes ("new" gets a new one), key presses, answers, or waiting for
// the emulated phone. Enrolment uses it to test a phone number. oathSource
// names where an OATH code comes from ("the hardware token").
func runChallengeOnTerminal(ctx context.Context, em *graph.Emulator, ios *iostreams.IOStreams, c *graph.VerifyChallenge, timeout, poll time.Duration, oathSource string) (*graph.VerifyResult, error) {
	for {
		var res *graph.VerifyResult
		var err error
		switch c.Method {
		case verify.MethodPush:
			fmt.Fprintf(ios.ErrOut, "Open Microsoft Authenticator and enter the number %d (emulated phone: `mfactl mock device approve %s --number %d`)\n", c.Number, c.UserPrincipalName, c.Number)
			return waitForDecision(ctx, em, c.ID, timeout, poll)
		case verify.MethodVoice, verify.MethodVoicePIN:
			to := c.PhoneNumber
			if c.Extension != "" {
				to += " x" + c.Extension
			}
			what := "press # to approve"
			if c.Method == verify.MethodVoicePIN {
				what = "enter your PIN and #"
			}
			fmt.Fprintf(ios.ErrOut, "Calling %s. Answer it and %s (0# reports fraud).\n", to, what)
			keys, perr := ios.PromptSecret("Keys pressed on the phone")
			if perr != nil {
				return nil, perr
			}
			if keys == "" {
				return nil, errNoInput
			}
			if keys, perr = parseKeys(keys); perr != nil {
				fmt.Fprintln(ios.ErrOut, perr)
				continue
			}
			res, err = em.PressKeys(ctx, c.ID, keys)
			if err == nil && res.Challenge.State == verify.StateFraudReported {
				return em.Challenge(ctx, c.ID)
			}
			if err == nil && res.Challenge.State.Open() {
				// Only the extension was confirmed: the call goes on.
				c = res.Challenge
				continue
			}
		case verify.MethodQuestions:
			answers := make([]string, len(c.Questions))
			for i, q := range c.Questions {
				a, perr := ios.PromptSecret(q)
				if perr != nil {
					return nil, perr
				}
				answers[i] = a
			}
			res, err = em.AnswerQuestions(ctx, c.ID, answers)
		default:
			prompt := "Enter the code from " + oathSource
			switch c.Method {
			case verify.MethodSMS:
				prompt = fmt.Sprintf("Enter the code texted to %s (or \"new\" for a new code)", c.PhoneNumber)
			case verify.MethodVoiceOTP:
				prompt = fmt.Sprintf("Enter the code read in the call to %s (or \"new\" for a new code)", c.PhoneNumber)
			case verify.MethodEmail:
				prompt = fmt.Sprintf("We just sent a code to %s. Enter code (or \"new\" to resend it)", c.EmailAddress)
			case verify.MethodTAP:
				prompt = "Enter the Temporary Access Pass"
			}
			var code string
			var perr error
			if c.Method == verify.MethodTAP {
				code, perr = ios.PromptSecret(prompt)
			} else {
				code, perr = ios.Prompt(prompt)
			}
			if perr != nil {
				return nil, perr
			}
			if code == "" {
				return nil, errNoInput
			}
			if strings.EqualFold(code, "new") && (c.Method == verify.MethodSMS || c.Method == verify.MethodVoiceOTP || c.Method == verify.MethodEmail) {
				r, err := em.Resend(ctx, c.ID)
				if err != nil {
					return nil, err
				}
				c = r.Challenge
				fmt.Fprintln(ios.ErrOut, "A new code is on its way; the old one no longer works.")
				continue
			}
			res, err = em.SubmitCode(ctx, c.ID, code)
		}
		var ve *graph.VerdictError
		if errors.As(err, &ve) && ve.Challenge != nil && ve.Challenge.State.Open() {
			// Wrong or malformed: say so and ask again.
			fmt.Fprintf(ios.ErrOut, "%s\n", ve.Error())
			c = ve.Challenge
			continue
		}
		return res, err
	}
}

// errNoInput ends a prompt loop on an empty answer (or the end of input),
// which would otherwise ask forever.
var errNoInput = cmdutil.Errorf(cmdutil.ExitFailure, "nothing entered: the verification was left open and nothing was changed")
