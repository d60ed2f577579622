package verify

import (
	"errors"
	"fmt"
	"time"

	"github.com/mfactl/mfactl/internal/exitcode"
)

// Reason says why an operation was refused or why a challenge ended. The
// values are stable identifiers (JSON, --output json, mock responses).
type Reason string

// Reasons. The comment after each gives its exit code (see ExitCode).
const (
	ReasonWrongCode      Reason = "wrongCode"      // 1: the code, PIN or answers were wrong
	ReasonReplayed       Reason = "replayed"       // 1: an OATH code that was already used
	ReasonExpired        Reason = "expired"        // 1: the challenge or device token timed out
	ReasonWrongNumber    Reason = "wrongNumber"    // 1: push approved with a number other than the one shown
	ReasonDenied         Reason = "denied"         // 1: the user denied the push
	ReasonNoAnswer       Reason = "noAnswer"       // 1: the call was not answered (or went to voicemail)
	ReasonCanceled       Reason = "canceled"       // 1: canceled by the caller
	ReasonSuperseded     Reason = "superseded"     // 1: a newer challenge replaced this one, or a sibling verified
	ReasonClosed         Reason = "closed"         // 1: the challenge already ended
	ReasonNotYetValid    Reason = "notYetValid"    // 1: a Temporary Access Pass before its start time
	ReasonUsed           Reason = "used"           // 1: a one-time Temporary Access Pass already used
	ReasonRevoked        Reason = "revoked"        // 1: a remembered device whose MFA sessions were revoked
	ReasonNotRemembered  Reason = "notRemembered"  // 1: a device token that is not one of this user's remembered devices (another user's, tampered, garbage)
	ReasonLocked         Reason = "locked"         // 4: too many denials: the user or the method is locked for a while
	ReasonBlocked        Reason = "blocked"        // 4: the user is blocked (by an admin or after a fraud report)
	ReasonFraudReported  Reason = "fraudReported"  // 4: the user reported fraud on this challenge
	ReasonMalformed      Reason = "malformed"      // 2: input of the wrong shape (not counted as an attempt)
	ReasonPolicy         Reason = "policy"         // 2: a PIN or security questions that break the policy
	ReasonNotAllowed     Reason = "notAllowed"     // 2: the method cannot be used this way (SMS to an office phone, questions for an admin)
	ReasonInvalidRequest Reason = "invalidRequest" // 2: the caller passed inconsistent data
	ReasonNotFound       Reason = "notFound"       // 3: no such challenge
	ReasonNotRegistered  Reason = "notRegistered"  // 3: no PIN or security questions registered
	ReasonRateLimited    Reason = "rateLimited"    // 5: too many texts or calls in the window
)

// ExitCode maps a reason to mfactl's exit codes (package exitcode, README
// "Verification exit codes"): 1 rejected (wrong, expired, replayed,
// denied, a device token that is not remembered), 2 bad input, 3 not
// found, 4 locked or blocked, 5 throttled.
func (r Reason) ExitCode() int {
	switch r {
	case ReasonLocked, ReasonBlocked, ReasonFraudReported:
		return exitcode.Auth
	case ReasonMalformed, ReasonPolicy, ReasonNotAllowed, ReasonInvalidRequest:
		return exitcode.Usage
	case ReasonNotFound, ReasonNotRegistered:
		return exitcode.NotFound
	case ReasonRateLimited:
		return exitcode.Partial
	}
	return exitcode.Failure
}

// Error is the engine's verdict when it refuses input or an operation. It
// is not a failure of the operation: the store has been updated (attempt
// counted, lockout advanced, challenge closed) and the caller must commit
// its transaction. Any other error type means the operation did not
// complete (store or random source failure) and the caller must roll back.
//
// Message and Hint never contain codes, PINs, answers or secrets.
type Error struct {
	Reason Reason `json:"reason"`
	// Message says what happened, Hint what to do next.
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	// ChallengeID is the challenge concerned, if any.
	ChallengeID string `json:"challengeId,omitempty"`
	// Until is when a lock, block or rate limit ends (zero when it does not
	// apply or lasts until an admin acts).
	Until time.Time `json:"until,omitzero"`
	// AttemptsLeft on the challenge after a wrong input; -1 when the
	// challenge is closed or the notion does not apply.
	AttemptsLeft int `json:"attemptsLeft"`
	// Next names the step that lifts the refusal (empty: none beyond the
	// Hint), for a caller to name its own command for it.
	Next Next `json:"next,omitempty"`
}

// Next is a step that lifts a refusal. The engine states it; the CLI
// phrases it with the command to run.
type Next string

// Next steps.
const (
	NextUnblock           Next = "unblock"           // an admin lifts the user's block, fraud block, lockout and method locks
	NextRegisterPIN       Next = "registerPin"       // the user registers a PIN for phone calls
	NextRegisterQuestions Next = "registerQuestions" // the user registers security questions
	NextNewPass           Next = "newPass"           // an admin issues a new Temporary Access Pass
)

// then records the step that lifts the refusal.
func (e *Error) then(n Next) *Error {
	e.Next = n
	return e
}

func (e *Error) Error() string {
	if e.Hint == "" {
		return e.Message
	}
	return e.Message + "; " + e.Hint
}

// ExitCode is the process exit code for err: 0 for nil, the reason's code
// for an *Error, 1 for anything else.
func ExitCode(err error) int {
	if err == nil {
		return exitcode.OK
	}
	var ve *Error
	if errors.As(err, &ve) {
		return ve.Reason.ExitCode()
	}
	return exitcode.Failure
}

// ReasonOf returns the reason of an *Error in err's chain, or "".
func ReasonOf(err error) Reason {
	var ve *Error
	if errors.As(err, &ve) {
		return ve.Reason
	}
	return ""
}

// Hints say what a user or admin does next, in the engine's words: the
// step itself is the Error's Next, which the CLI phrases with its command.
const (
	hintNewCode    = "get a new code with --send"
	hintNewSignIn  = "start a new verification"
	hintUnblock    = "ask an admin to unblock the user"
	hintWaitOrAsk  = "try again after %s, or ask an admin to unblock the user"
	hintNextCode   = "wait for the next code to appear and enter that one"
	hintRegPIN     = "register a PIN for phone calls"
	hintRegQs      = "register security questions"
	hintRateLimit  = "try again after %s"
	hintOtherPhone = "use a call instead, or the mobile phone"
	hintNewPass    = "ask an admin for a new one"
)

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") }

// newError builds an *Error; attemptsLeft is -1 when not applicable.
func newError(r Reason, challengeID, msg, hint string) *Error {
	return &Error{Reason: r, ChallengeID: challengeID, Message: msg, Hint: hint, AttemptsLeft: -1}
}

func errLocked(until time.Time, challengeID, what string) *Error {
	e := newError(ReasonLocked, challengeID, what+" is locked after too many failed verifications",
		fmt.Sprintf(hintWaitOrAsk, fmtTime(until))).then(NextUnblock)
	e.Until = until
	return e
}

func errMethodLocked(challengeID string) *Error {
	return newError(ReasonLocked, challengeID, "this method is locked after too many wrong codes",
		hintUnblock+", or use another method").then(NextUnblock)
}

func errBlocked(u UserState, challengeID string) *Error {
	msg := "the user is blocked from MFA by an admin"
	if u.Block.Reason == BlockFraud {
		msg = "the user is blocked from MFA after a fraud report"
	}
	e := newError(ReasonBlocked, challengeID, msg, hintUnblock).then(NextUnblock)
	e.Until = u.Block.Until
	return e
}

func errNotFound(id string) *Error {
	return newError(ReasonNotFound, id, "no such challenge", hintNewSignIn)
}

func errInvalid(format string, args ...any) *Error {
	return newError(ReasonInvalidRequest, "", fmt.Sprintf(format, args...), "")
}

// ChallengeError is what the sign-in side should report for a challenge:
// nil while it is open or once verified, otherwise the *Error for the reason
// it ended (denied, expired, fraud reported, ...). The emulated device's own
// calls (DenyPush, reporting fraud with 0#) succeed; the sign-in side, which
// polls the challenge, learns the outcome here.
func ChallengeError(c Challenge) error {
	if c.State.Open() || c.State == StateVerified {
		return nil
	}
	var e *Error
	switch c.Reason {
	case ReasonDenied:
		e = newError(ReasonDenied, c.ID, "the sign-in was denied on the device", hintNewSignIn+" if it was you")
	case ReasonFraudReported:
		e = newError(ReasonFraudReported, c.ID, "fraud was reported for this sign-in", hintUnblock+" if the report was a mistake").then(NextUnblock)
	case ReasonExpired:
		if c.Method == MethodTAP && c.State == StateFailed {
			e = TAPExpired.err(c.ID) // the pass ran out, not the prompt
			break
		}
		hint := hintNewSignIn
		if c.Method.sendsCode() {
			hint = hintNewCode
		}
		e = newError(ReasonExpired, c.ID, "the "+c.Method.noun()+" expired", hint)
	case ReasonUsed:
		e = TAPOneTimeUsed.err(c.ID)
	case ReasonNotYetValid:
		e = TAPNotYetValid.err(c.ID)
	case ReasonNotRegistered:
		e = newError(ReasonNotRegistered, c.ID, "the PIN was removed during the call", hintRegPIN).then(NextRegisterPIN)
	case ReasonNoAnswer:
		e = newError(ReasonNoAnswer, c.ID, "the call was not answered", hintNewSignIn+" or choose another method")
	case ReasonLocked:
		e = newError(ReasonLocked, c.ID, "the verification was stopped because the user or method is locked", hintUnblock).then(NextUnblock)
	case ReasonBlocked:
		e = newError(ReasonBlocked, c.ID, "the verification was stopped because the user is blocked", hintUnblock).then(NextUnblock)
	case ReasonSuperseded:
		if c.ReplacedBy != "" {
			e = newError(ReasonSuperseded, c.ID, "challenge "+c.ID+" was replaced by a newer one, "+c.ReplacedBy, "give the newest code to challenge "+c.ReplacedBy)
			break
		}
		e = newError(ReasonSuperseded, c.ID, "a newer verification replaced this one", "use the newest code or prompt")
	case ReasonCanceled:
		e = newError(ReasonCanceled, c.ID, "the verification was canceled", hintNewSignIn)
	case ReasonWrongNumber:
		e = newError(ReasonWrongNumber, c.ID, "the number entered in the app did not match the one shown", hintNewSignIn)
	default: // wrong codes, PINs or answers used up the attempts
		hint := hintNewSignIn
		if c.Method.sendsCode() {
			hint = hintNewCode
		}
		reason := c.Reason
		if reason == "" {
			reason = ReasonWrongCode
		}
		e = newError(reason, c.ID, "the verification failed: no attempts left", hint)
	}
	e.AttemptsLeft = -1
	return e
}
