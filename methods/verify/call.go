package verify

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// maxDTMFKeys bounds one key sequence: a few PIN tries and an extension
// confirmation fit easily.
const maxDTMFKeys = 64

// ErrDTMF is wrapped by ParseDTMF errors.
var ErrDTMF = errors.New("invalid key presses")

// ParseDTMF splits the keys pressed during a call into entries, each ended
// by '#': "#" is one empty entry (standard approval), "1234#" a PIN,
// "0#" the fraud code, "#1234#" an extension confirmation then a PIN.
// Keys are 0-9, '*' and '#'; spaces are ignored. A sequence must end with
// '#', since the call acts on an entry only when # is pressed. Errors never
// repeat the keys (they may be a PIN).
func ParseDTMF(keys string) ([]string, error) {
	if len(keys) > maxDTMFKeys*2 {
		return nil, fmt.Errorf("%w: more than %d keys", ErrDTMF, maxDTMFKeys)
	}
	var entries []string
	var cur strings.Builder
	n := 0
	for i := 0; i < len(keys); i++ {
		k := keys[i]
		switch {
		case k == ' ':
			continue
		case k == '#':
			entries = append(entries, cur.String())
			cur.Reset()
		case k >= '0' && k <= '9' || k == '*':
			cur.WriteByte(k)
		default:
			return nil, fmt.Errorf("%w: key %d is not 0-9, * or #", ErrDTMF, n+1)
		}
		n++
	}
	switch {
	case n == 0:
		return nil, fmt.Errorf("%w: no keys", ErrDTMF)
	case n > maxDTMFKeys:
		return nil, fmt.Errorf("%w: more than %d keys", ErrDTMF, maxDTMFKeys)
	case cur.Len() > 0:
		return nil, fmt.Errorf("%w: end the entry with #", ErrDTMF)
	}
	return entries, nil
}

// AnswerCall records that the emulated phone picked up a voice or voice
// PIN call. The greeting then waits CallInputTimeout for keys. PressKeys
// answers implicitly, so this matters only for testing "answered but no
// keys" (the call expires instead of failing as unanswered).
func (e *Engine) AnswerCall(id string) (Result, error) {
	now := e.clock()
	c, err := e.openChallenge(id, now, ActionAnswerCall, MethodVoice, MethodVoicePIN)
	if err != nil {
		return Result{Challenge: c}, err
	}
	e.answer(&c, now)
	if err := e.saveAll(nil, &c, now, ActionAnswerCall, ""); err != nil {
		return Result{}, err
	}
	return Result{Challenge: c}, nil
}

func (e *Engine) answer(c *Challenge, now time.Time) {
	if c.AnsweredAt.IsZero() {
		c.AnsweredAt = now
		c.ExpiresAt = now.Add(e.cfg.CallInputTimeout)
	}
}

// MissCall records that the emulated phone did not answer, declined, or let
// the call go to voicemail: the challenge fails (MS-PHONE: a call that goes
// to voicemail fails). It is not a denial: nothing was guessed.
func (e *Engine) MissCall(id string) (Result, error) {
	now := e.clock()
	c, err := e.openChallenge(id, now, ActionMissCall, MethodVoice, MethodVoicePIN)
	if err != nil {
		return Result{Challenge: c}, err
	}
	if !c.AnsweredAt.IsZero() {
		return Result{Challenge: c}, newError(ReasonInvalidRequest, c.ID, "the call was already answered", "")
	}
	moveTo(&c, StateFailed, ReasonNoAnswer, now)
	if err := e.saveAll(nil, &c, now, ActionMissCall, ReasonNoAnswer); err != nil {
		return Result{}, err
	}
	return Result{Challenge: c}, nil
}

// PressKeys plays key presses into a voice or voice PIN call, answering it
// if needed. Entries are handled in order (see ParseDTMF):
//   - an office call with an extension first waits for "#" once the call
//     reaches the extension;
//   - the fraud code ("0#") reports fraud and, with FraudAutoBlock, blocks
//     the user;
//   - a standard call is approved by "#";
//   - a PIN call compares each entry with the registered PIN; a wrong PIN
//     counts like a wrong code, and the next entry is a retry ("Retry
//     (PIN)") while attempts remain.
//
// Reporting fraud is the phone's decision, so it returns no error; the
// sign-in side learns it through ChallengeError.
func (e *Engine) PressKeys(id, keys string) (Result, error) {
	now := e.clock()
	c, u, err := e.inputChallenge(id, now, ActionKeys, MethodVoice, MethodVoicePIN)
	if err != nil {
		return Result{Challenge: c}, err
	}
	entries, perr := ParseDTMF(keys)
	if perr != nil {
		return e.malformed(&u, &c, now, ActionKeys, perr.Error())
	}
	e.answer(&c, now)
	for i, entry := range entries {
		last := i == len(entries)-1
		switch {
		case c.Extension != "" && !c.ExtensionConfirmed:
			if entry != "" {
				return e.malformed(&u, &c, now, ActionKeys, "the call is waiting for # to confirm it reached the extension")
			}
			c.ExtensionConfirmed = true
		case entry == e.cfg.FraudCode:
			if err := e.reportFraud(&u, &c, now); err != nil {
				return Result{}, err
			}
			return Result{Challenge: c}, nil
		case c.Method == MethodVoice:
			if entry != "" {
				return e.malformed(&u, &c, now, ActionKeys, "press # to approve, or "+e.cfg.FraudCode+"# to report fraud")
			}
			if err := e.succeed(&u, &c, now, ActionKeys); err != nil {
				return Result{}, err
			}
			return Result{Challenge: c}, nil
		default: // a PIN entry
			if u.PIN == nil {
				moveTo(&c, StateFailed, ReasonNotRegistered, now)
				if err := e.saveAll(&u, &c, now, ActionKeys, ReasonNotRegistered); err != nil {
					return Result{}, err
				}
				return Result{Challenge: c}, ChallengeError(c)
			}
			ok, err := e.pinMatches(u.PIN, entry)
			if err != nil {
				return Result{Challenge: c}, err
			}
			if ok {
				if err := e.succeed(&u, &c, now, ActionKeys); err != nil {
					return Result{}, err
				}
				return Result{Challenge: c}, nil
			}
			verdict := e.wrongInput(&u, &c, ReasonWrongCode, "wrong PIN", now, ActionKeys)
			if !c.State.Open() || last {
				return Result{Challenge: c}, verdict
			}
			var ve *Error
			if !errors.As(verdict, &ve) {
				return Result{}, verdict // a store failure
			}
		}
	}
	// Only an extension confirmation: the greeting now waits for keys.
	if err := e.saveAll(&u, &c, now, ActionKeys, ""); err != nil {
		return Result{}, err
	}
	return Result{Challenge: c}, nil
}

// pinMatches compares an entry with the PIN hash. Entries that cannot be a
// PIN (wrong length, '*') are wrong without hashing; the shape of a PIN is
// public policy, so skipping the hash leaks nothing.
func (e *Engine) pinMatches(h *SecretHash, entry string) (bool, error) {
	if len(entry) < e.cfg.PIN.MinLength || len(entry) > e.cfg.PIN.MaxLength || !allDigits(entry) {
		return false, nil
	}
	return h.Matches(entry)
}

// reportFraud closes the challenge as fraud-reported, records the report
// and, with FraudAutoBlock, blocks the user for BlockDuration or until an
// admin unblocks (MS-SETTINGS fraud alert).
func (e *Engine) reportFraud(u *UserState, c *Challenge, now time.Time) error {
	moveTo(c, StateFraudReported, ReasonFraudReported, now)
	u.FraudReports = append(u.FraudReports, FraudReport{At: now, ChallengeID: c.ID, Method: c.Method, MethodID: c.MethodID})
	if e.cfg.FraudAutoBlock {
		u.Block = Block{Reason: BlockFraud, At: now, Until: now.Add(e.cfg.BlockDuration), ChallengeID: c.ID}
	}
	return e.saveAll(u, c, now, ActionReportFraud, ReasonFraudReported)
}
