package verify

import (
	"fmt"
	"time"
)

// CheckPIN applies the PIN policy: digits only, MinLength to MaxLength
// long (4-8 by default, the PhoneFactor-era rule), and optionally not one
// repeated digit and not an ascending or descending run. The error is a
// *Error with ReasonPolicy and never repeats the PIN.
func CheckPIN(pin string, p PINPolicy) error {
	policy := func(msg string) error {
		return newError(ReasonPolicy, "", msg, fmt.Sprintf("choose %d to %d digits that are not all the same or in sequence", p.MinLength, p.MaxLength))
	}
	if len(pin) > 64 || !allDigits(pin) {
		return policy("a PIN has digits only")
	}
	if len(pin) < p.MinLength || len(pin) > p.MaxLength {
		return policy(fmt.Sprintf("a PIN has %d to %d digits, not %d", p.MinLength, p.MaxLength, len(pin)))
	}
	same, up, down := true, true, true
	for i := 1; i < len(pin); i++ {
		d := int(pin[i]) - int(pin[i-1])
		same = same && d == 0
		up = up && d == 1
		down = down && d == -1
	}
	if p.RejectRepeated && same {
		return policy("a PIN cannot be one digit repeated")
	}
	if p.RejectSequential && (up || down) {
		return policy("a PIN cannot be a run of consecutive digits")
	}
	return nil
}

// RegisterPIN sets the user's voice-call PIN after checking the policy. It
// is stored as a PBKDF2 hash; the PIN itself is never kept.
func (e *Engine) RegisterPIN(userID, pin string) error {
	if userID == "" {
		return errInvalid("a user id is required")
	}
	now := e.clock()
	if err := CheckPIN(pin, e.cfg.PIN); err != nil {
		if lerr := e.logAttempt(now, userID, ActionRegisterPIN, nil, ReasonPolicy); lerr != nil {
			return lerr
		}
		return err
	}
	h, err := hashPBKDF2(e.rand, pin, e.cfg.Hash)
	if err != nil {
		return err
	}
	return e.updateUser(userID, now, ActionRegisterPIN, func(u *UserState) { u.PIN, u.PINSetAt = &h, now })
}

// RemovePIN deletes the user's PIN (helpdesk reset). PIN calls then fail as
// not registered.
func (e *Engine) RemovePIN(userID string) error {
	now := e.clock()
	return e.updateUser(userID, now, ActionRemovePIN, func(u *UserState) { u.PIN, u.PINSetAt = nil, time.Time{} })
}

// updateUser loads, changes, saves and logs a user in one step.
func (e *Engine) updateUser(userID string, now time.Time, action Action, change func(*UserState)) error {
	u, err := e.loadUser(userID)
	if err != nil {
		return err
	}
	change(&u)
	if err := e.store.PutUser(u); err != nil {
		return err
	}
	return e.logAttempt(now, userID, action, nil, "")
}
