package verify

import (
	"strconv"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// SubmitCode answers an OATH, SMS, voice OTP, email or Temporary Access Pass
// challenge, or confirms an authenticator app enrolment with its first
// code. cred is needed for OATH sign-ins (the token's key and state) and
// for TAP (the stored pass); SMS, voice OTP and enrolments keep what they
// need in the challenge, so cred may be nil for them.
//
// On success the challenge is verified; for OATH, Result.OATH is the token
// state to persist. A wrong or replayed code counts an attempt, a user
// denial and a method failure, and may fail or lock the challenge. A code
// of the wrong shape is refused as malformed without counting.
func (e *Engine) SubmitCode(id, code string, cred *Credential) (Result, error) {
	now := e.clock()
	c, u, err := e.inputChallenge(id, now, ActionCode, MethodOATH, MethodSMS, MethodVoiceOTP, MethodTAP, MethodEmail)
	if err != nil {
		return Result{Challenge: c}, err
	}
	switch c.Method {
	case MethodOATH:
		return e.submitOATH(&u, &c, code, cred, now)
	case MethodTAP:
		return e.submitTAP(&u, &c, code, cred, now)
	}
	return e.submitOTP(&u, &c, code, now)
}

// malformed refuses input of the wrong shape. It is logged but not
// counted: a typo guesses nothing.
func (e *Engine) malformed(u *UserState, c *Challenge, now time.Time, action Action, msg string) (Result, error) {
	if err := e.saveAll(u, c, now, action, ReasonMalformed); err != nil {
		return Result{}, err
	}
	v := newError(ReasonMalformed, c.ID, msg, "check it and try again")
	v.AttemptsLeft = c.AttemptsLeft()
	return Result{Challenge: *c}, v
}

func (e *Engine) submitOTP(u *UserState, c *Challenge, code string, now time.Time) (Result, error) {
	norm, err := methods.NormalizeOTP(code, e.cfg.CodeDigits)
	if err != nil {
		return e.malformed(u, c, now, ActionCode, err.Error())
	}
	if c.CodeHash == nil {
		return Result{Challenge: *c}, errBadHash
	}
	ok, err := c.CodeHash.Matches(norm)
	if err != nil {
		return Result{Challenge: *c}, err
	}
	if !ok {
		return Result{Challenge: *c}, e.wrongInput(u, c, ReasonWrongCode, "wrong code", now, ActionCode)
	}
	if err := e.succeed(u, c, now, ActionCode); err != nil {
		return Result{}, err
	}
	return Result{Challenge: *c}, nil
}

func (e *Engine) submitOATH(u *UserState, c *Challenge, code string, cred *Credential, now time.Time) (Result, error) {
	var key methods.OATHKey
	var state methods.OATHState
	enrolling := c.PendingKey != nil
	switch {
	case enrolling:
		// A new app: its first code also becomes the last used step, so
		// the confirmation code cannot sign in a second time.
		key = *c.PendingKey
	case cred == nil || cred.OATH == nil:
		return Result{Challenge: *c}, errInvalid("submitting an OATH code needs the token's key and state")
	case cred.MethodID != c.MethodID:
		return Result{Challenge: *c}, errInvalid("the token passed is not the one the challenge was started for")
	default:
		key, state = cred.OATH.Key, cred.OATH.State
	}
	window := e.cfg.TOTPWindow
	if key.Type == methods.OATHHOTP {
		window = e.cfg.HOTPWindow
	}
	v, err := key.Validate(code, now, state, window)
	if err != nil {
		return Result{Challenge: *c}, errInvalid("the token cannot be checked: %v", err)
	}
	switch v.Verdict {
	case methods.OATHMalformed:
		return e.malformed(u, c, now, ActionCode, "a code is "+strconv.Itoa(key.Digits)+" digits")
	case methods.OATHWrong:
		return Result{Challenge: *c}, e.wrongInput(u, c, ReasonWrongCode, "wrong code", now, ActionCode)
	case methods.OATHReplayed:
		return Result{Challenge: *c}, e.wrongInput(u, c, ReasonReplayed, "this code was already used", now, ActionCode)
	}
	c.Step = v.Step
	if err := e.succeed(u, c, now, ActionCode); err != nil {
		return Result{}, err
	}
	res := Result{Challenge: *c, OATH: &v.State}
	if enrolling {
		res.Enrolled = &key
	}
	return res, nil
}
