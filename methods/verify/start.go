package verify

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// Credential describes the method being challenged. The method data lives
// in the mock tenant, so the caller passes what the engine needs; the
// engine copies only non-secret fields (method id, phone number) into the
// challenge.
type Credential struct {
	// MethodID is the tenant's id of the method: the fixed phone method id,
	// the software or hardware OATH method id, the Authenticator
	// registration id (push), the TAP id. Leave it empty to test a phone
	// number before it is saved. Wrong inputs count against it.
	MethodID string
	// PhoneNumber in Entra's format "+CC NUMBER", with "xEXT" for an office
	// extension; PhoneType says which of the user's phones it is.
	PhoneNumber string
	PhoneType   methods.PhoneType
	// EmailAddress is where MethodEmail sends the code.
	EmailAddress string
	// OATH is the token for MethodOATH.
	OATH *OATHCredential
	// TAP is the pass for MethodTAP.
	TAP *TAPCredential
}

// OATHCredential is a token and what the verifier learned about it. After
// an accepted code the caller must persist Result.OATH in its place.
type OATHCredential struct {
	Key   methods.OATHKey
	State methods.OATHState
}

// StartRequest starts a challenge.
type StartRequest struct {
	UserID string
	// Admin says the user holds an admin role: security questions are
	// refused for admins (MS-SECQ).
	Admin   bool
	Method  Method
	Purpose Purpose // default PurposeSignIn
	// Transaction groups the challenges of one sign-in. Starting a second
	// challenge of the same method in a transaction supersedes the first
	// (a new push, a new code), and a verification cancels the rest.
	Transaction string
	Credential  Credential
}

// phonePattern is Graph's phone format (verification.md §3.9): "+CC NUMBER"
// with a space after the country code and an optional office extension.
var phonePattern = regexp.MustCompile(`^\+[1-9][0-9]{0,3} [0-9]{4,15}(x[0-9]{1,10})?$`)

// splitPhone returns the number without extension and the extension.
func splitPhone(number string, t methods.PhoneType) (string, string, *Error) {
	if !phonePattern.MatchString(number) {
		return "", "", errInvalid("phone number is not in the form +CC NUMBER (with xEXT for an office extension)")
	}
	base, ext, _ := strings.Cut(number, "x")
	if ext != "" && t != methods.PhoneOffice {
		return "", "", newError(ReasonNotAllowed, "", "extensions are only supported for office phones", "")
	}
	return base, ext, nil
}

// check validates a request without touching the store.
func (r *StartRequest) check() *Error {
	if r.UserID == "" {
		return errInvalid("a user id is required")
	}
	if r.Purpose == "" {
		r.Purpose = PurposeSignIn
	}
	if !slices.Contains([]Purpose{PurposeSignIn, PurposeSSPR, PurposeRegistration}, r.Purpose) {
		return errInvalid("unknown purpose %q", r.Purpose)
	}
	cr := r.Credential
	switch r.Method {
	case MethodOATH:
		if cr.OATH == nil {
			return errInvalid("an OATH challenge needs the token's key")
		}
		if err := cr.OATH.Key.Check(); err != nil {
			return errInvalid("the token's key is invalid: %v", err)
		}
	case MethodSMS, MethodVoiceOTP, MethodVoice, MethodVoicePIN:
		if !slices.Contains(methods.PhoneTypes, cr.PhoneType) {
			return errInvalid("a phone challenge needs the phone type (mobile, alternateMobile or office)")
		}
		if r.Method == MethodSMS && cr.PhoneType != methods.PhoneMobile {
			// Graph: only the primary mobile receives texts.
			return newError(ReasonNotAllowed, "", "text messages go to the mobile phone only", hintOtherPhone)
		}
		if _, _, err := splitPhone(cr.PhoneNumber, cr.PhoneType); err != nil {
			return err
		}
	case MethodPush:
		if cr.MethodID == "" {
			return errInvalid("a push challenge needs the Authenticator registration id")
		}
	case MethodQuestions:
		if r.Purpose != PurposeSSPR {
			return newError(ReasonNotAllowed, "", "security questions can only be used to reset a password, not to sign in", "choose another method")
		}
		if r.Admin {
			return newError(ReasonNotAllowed, "", "security questions are not available to administrators", "choose another method")
		}
	case MethodTAP:
		if cr.TAP == nil {
			return errInvalid("a Temporary Access Pass challenge needs the pass")
		}
	case MethodEmail:
		if r.Purpose == PurposeSignIn {
			// Entra: email is for self-service password reset only, never
			// a second factor (methods/entra rules; MS-SSPR).
			return newError(ReasonNotAllowed, "", "email can only verify an address or reset a password, not sign in", "choose another method")
		}
		if !validEmail(cr.EmailAddress) {
			return errInvalid("an email challenge needs an address such as kim@contoso.com")
		}
	default:
		return errInvalid("unknown method %q", r.Method)
	}
	return nil
}

// Start begins a challenge: it checks the guards (block, lockout, method
// lock, send rate), then creates the challenge and delivers it (a text, a
// call, a notification, or just a prompt), leaving it sent. The returned
// challenge carries what the sign-in screen shows: the push number, the
// security questions. Codes are only in the outbox.
func (e *Engine) Start(req StartRequest) (Result, error) {
	if err := req.check(); err != nil {
		return Result{}, err
	}
	now := e.clock()
	if err := e.housekeep(req.UserID, now); err != nil {
		return Result{}, err
	}
	u, err := e.loadUser(req.UserID)
	if err != nil {
		return Result{}, err
	}
	c := Challenge{
		UserID: req.UserID, Transaction: req.Transaction, Purpose: req.Purpose,
		Method: req.Method, MethodID: req.Credential.MethodID,
	}
	if req.Method == MethodEmail {
		c.EmailAddress = req.Credential.EmailAddress
	}
	if req.Credential.PhoneNumber != "" {
		c.PhoneNumber, c.Extension, _ = splitPhone(req.Credential.PhoneNumber, req.Credential.PhoneType)
		c.PhoneType = req.Credential.PhoneType
	}
	if req.Method == MethodTAP {
		if usable, why := req.Credential.TAP.Usability(now); !usable {
			if err := e.logAttempt(now, req.UserID, ActionStart, &c, why.reason()); err != nil {
				return Result{}, err
			}
			return Result{}, why.err("")
		}
	}
	return e.launch(&u, c, now, ActionStart, nil)
}

// launch runs the guards for a new challenge shaped like tmpl, then calls
// cleared (if any) and creates and delivers the challenge. Start and Resend
// share it.
func (e *Engine) launch(u *UserState, tmpl Challenge, now time.Time, action Action, cleared func(newID string) error) (Result, error) {
	refuse := func(v *Error) (Result, error) {
		if err := e.store.PutUser(*u); err != nil {
			return Result{}, err
		}
		if err := e.logAttempt(now, u.UserID, action, &tmpl, v.Reason); err != nil {
			return Result{}, err
		}
		return Result{}, v
	}
	if v := e.refusal(u, tmpl.MethodID, "", now); v != nil {
		return refuse(v)
	}
	switch tmpl.Method {
	case MethodVoicePIN:
		if u.PIN == nil {
			return refuse(newError(ReasonNotRegistered, "", "no PIN is registered for phone calls", hintRegPIN).then(NextRegisterPIN))
		}
	case MethodQuestions:
		if len(u.Questions) < e.cfg.Questions.ToReset {
			return refuse(newError(ReasonNotRegistered, "",
				fmt.Sprintf("%d security questions are registered, %d are needed", len(u.Questions), e.cfg.Questions.ToReset),
				hintRegQs).then(NextRegisterQuestions))
		}
	}
	if ch := tmpl.Method.channel(); ch.rateLimited() {
		if v := e.rateLimit(u, ch, now); v != nil {
			return refuse(v)
		}
	}
	id, err := e.newID()
	if err != nil {
		return Result{}, err
	}
	if cleared != nil {
		if err := cleared(id); err != nil {
			return Result{}, err
		}
	}
	if tmpl.Transaction != "" {
		// A new push or code in the same sign-in replaces the old one.
		if err := e.supersede(u.UserID, now, func(o Challenge) bool {
			return o.Transaction == tmpl.Transaction && o.Method == tmpl.Method && o.MethodID == tmpl.MethodID
		}); err != nil {
			return Result{}, err
		}
	}

	c := tmpl
	c.ID, c.CreatedAt, c.MaxAttempts = id, now, e.cfg.MaxAttempts
	if c.Method == MethodPush {
		c.MaxAttempts = 1 // a wrong number fails the notification at once
	}
	moveTo(&c, StateCreated, "", now)
	if err := e.deliver(u, &c, now); err != nil {
		return Result{}, err
	}
	moveTo(&c, StateSent, "", now)
	if err := e.saveAll(u, &c, now, action, ""); err != nil {
		return Result{}, err
	}
	return Result{Challenge: c}, nil
}

// rateLimit refuses a text or call when the user already had SendLimit of
// them within SendWindow ("You've hit our limit on text verification
// codes", MS-PHONE). It prunes sends that left the window.
func (e *Engine) rateLimit(u *UserState, ch Channel, now time.Time) *Error {
	u.Sends = slices.DeleteFunc(u.Sends, func(s Send) bool { return !now.Before(s.At.Add(e.cfg.SendWindow)) })
	if e.cfg.SendLimit == 0 {
		return nil
	}
	var inWindow []time.Time
	for _, s := range u.Sends {
		if s.Channel == ch {
			inWindow = append(inWindow, s.At)
		}
	}
	if len(inWindow) < e.cfg.SendLimit {
		return nil
	}
	// The oldest send leaving the window frees the next slot.
	until := slices.MinFunc(inWindow, time.Time.Compare).Add(e.cfg.SendWindow)
	msg := "you've hit our limit on text verification codes"
	switch ch {
	case ChannelVoice:
		msg = "you've hit our limit on verification calls"
	case ChannelEmail:
		msg = "you've hit our limit on email verification codes"
	}
	v := newError(ReasonRateLimited, "", msg, fmt.Sprintf(hintRateLimit, fmtTime(until)))
	v.Until = until
	return v
}

// deliver sends what the method sends and sets the challenge's expiry.
func (e *Engine) deliver(u *UserState, c *Challenge, now time.Time) error {
	to := c.PhoneNumber
	if c.Extension != "" {
		to += " x" + c.Extension
	}
	var text string
	switch c.Method {
	case MethodOATH, MethodTAP:
		c.ExpiresAt = now.Add(e.cfg.PromptTTL)
		if c.PendingKey != nil {
			// An app enrolment waits longer: the user may first have to
			// install the app.
			c.ExpiresAt = now.Add(e.cfg.EnrollTTL)
		}
		return nil
	case MethodQuestions:
		c.ExpiresAt = now.Add(e.cfg.PromptTTL)
		return e.pickQuestions(u, c)
	case MethodSMS, MethodVoiceOTP, MethodEmail:
		code, err := e.randomDigits(e.cfg.CodeDigits)
		if err != nil {
			return err
		}
		h, err := hashSHA256(e.rand, code)
		if err != nil {
			return err
		}
		c.CodeHash = &h
		c.ExpiresAt = now.Add(e.cfg.CodeTTL)
		switch c.Method {
		case MethodSMS:
			text = fmt.Sprintf("Use verification code %s for Microsoft authentication.", code)
		case MethodEmail:
			// The emulator's wording (Microsoft's mail is not in the
			// sources read): the code, and what it verifies.
			to = c.EmailAddress
			text = fmt.Sprintf("Use verification code %s to verify your email address for your Microsoft security info.", code)
		default:
			spoken := strings.Join(strings.Split(code, ""), " ")
			text = fmt.Sprintf("Your verification code is %s. Again, your code is %s.", spoken, spoken)
		}
	case MethodVoice, MethodVoicePIN:
		c.ExpiresAt = now.Add(e.cfg.CallRingTimeout)
		text = e.greeting(c)
	case MethodPush:
		n, err := e.randUint64n(90)
		if err != nil {
			return err
		}
		c.Number = int(n) + 10 // two digits, 10-99
		c.ExpiresAt = now.Add(e.cfg.PushTTL)
		to = c.MethodID
		text = "Are you trying to sign in? Enter the number shown to sign in."
	}
	if ch := c.Method.channel(); ch.rateLimited() {
		u.Sends = append(u.Sends, Send{At: now, Channel: ch})
	}
	id, err := e.newID()
	if err != nil {
		return err
	}
	return e.store.AppendMessage(Message{
		ID: id, UserID: c.UserID, ChallengeID: c.ID, At: now, Channel: c.Method.channel(), To: to, Text: text,
	})
}

// rateLimited reports whether sends on the channel count against
// SendLimit per SendWindow: texts, calls and emails, each channel on its
// own.
func (ch Channel) rateLimited() bool {
	return ch == ChannelSMS || ch == ChannelVoice || ch == ChannelEmail
}

// validEmail accepts a plain address (no display name) with a dot in its
// domain.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s && strings.Contains(s[strings.LastIndex(s, "@")+1:], ".")
}

// greeting is what the call says, after Entra's default script names.
func (e *Engine) greeting(c *Challenge) string {
	var b strings.Builder
	if c.Extension != "" {
		b.WriteString("Extension prompt: please transfer this call to extension " + c.Extension + " and press the pound key. ")
	}
	b.WriteString("Thank you for using the Microsoft sign-in verification system. ")
	if c.Method == MethodVoicePIN {
		b.WriteString("Please enter your PIN followed by the pound key to finish your verification. ")
	} else {
		b.WriteString("Please press the pound key to finish your verification. ")
	}
	b.WriteString("If you did not initiate this verification, press " + e.cfg.FraudCode + " then the pound key to report fraud.")
	return b.String()
}

// Resend is "get a new code" (or "call me again", "send another
// notification"): the old challenge is superseded if still open and a new
// one, with a new code or number, is delivered to the same destination.
// The rate limit and guards apply; when they refuse, the old challenge is
// left as it was.
func (e *Engine) Resend(id string) (Result, error) {
	now := e.clock()
	old, err := e.loadChallenge(id)
	if err != nil {
		return Result{}, err
	}
	if !old.Method.delivered() {
		return Result{Challenge: old}, newError(ReasonInvalidRequest, old.ID,
			fmt.Sprintf("a %s challenge sends nothing to resend", old.Method), hintNewSignIn)
	}
	if old.State == StateVerified {
		return Result{Challenge: old}, errForClosed(old)
	}
	if _, err := e.expire(&old, now); err != nil {
		return Result{}, err
	}
	u, err := e.loadUser(old.UserID)
	if err != nil {
		return Result{}, err
	}
	tmpl := Challenge{
		UserID: old.UserID, Transaction: old.Transaction, Purpose: old.Purpose, Method: old.Method,
		MethodID: old.MethodID, PhoneNumber: old.PhoneNumber, PhoneType: old.PhoneType,
		Extension: old.Extension, EmailAddress: old.EmailAddress, ResentFrom: old.ID,
	}
	// The old challenge is superseded only once the new one is sure to go
	// out: when a guard or the rate limit refuses, it stays usable.
	supersedeOld := func(newID string) error {
		if !old.State.Open() {
			return nil
		}
		moveTo(&old, StateCanceled, ReasonSuperseded, now)
		old.ReplacedBy = newID
		return e.saveAll(nil, &old, now, ActionCancel, ReasonSuperseded)
	}
	return e.launch(&u, tmpl, now, ActionResend, supersedeOld)
}

// VerifyCode starts a challenge and submits a code to it in one operation,
// for the methods whose code the user already has: OATH and Temporary
// Access Pass ("mfactl verify <user> --method oath --code C").
func (e *Engine) VerifyCode(req StartRequest, code string) (Result, error) {
	if req.Method != MethodOATH && req.Method != MethodTAP {
		return Result{}, errInvalid("only OATH and Temporary Access Pass are verified in one step; %s needs Start first", req.Method)
	}
	res, err := e.Start(req)
	if err != nil {
		return res, err
	}
	return e.SubmitCode(res.Challenge.ID, code, &req.Credential)
}

// PushPrompt is what the emulated Authenticator shows for a pending push:
// never the number, which the user must read from the sign-in screen.
type PushPrompt struct {
	ChallengeID string    `json:"challengeId"`
	MethodID    string    `json:"methodId"`
	Purpose     Purpose   `json:"purpose"`
	CreatedAt   time.Time `json:"createdAt"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

// PendingPushes lists the open push challenges of a user, oldest first,
// expiring overdue ones on the way.
func (e *Engine) PendingPushes(userID string) ([]PushPrompt, error) {
	now := e.clock()
	if err := e.housekeep(userID, now); err != nil {
		return nil, err
	}
	cs, err := e.userChallenges(userID)
	if err != nil {
		return nil, err
	}
	var out []PushPrompt
	for _, c := range cs {
		if c.Method == MethodPush && c.State.Open() {
			out = append(out, PushPrompt{ChallengeID: c.ID, MethodID: c.MethodID, Purpose: c.Purpose, CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt})
		}
	}
	return out, nil
}
