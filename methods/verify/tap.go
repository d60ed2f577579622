package verify

import (
	"fmt"
	"strings"
	"time"
)

// TAPCredential is a Temporary Access Pass as the mock stores it: hashed,
// with its validity. The clear pass exists only in the create response.
type TAPCredential struct {
	Hash            SecretHash `json:"hash"`
	Start           time.Time  `json:"start"`
	LifetimeMinutes int        `json:"lifetimeMinutes"`
	UsableOnce      bool       `json:"usableOnce"`
	// UsedAt is when a one-time pass was consumed (zero when unused).
	UsedAt time.Time `json:"usedAt,omitzero"`
}

// TAPUsability is Graph's methodUsabilityReason for a pass (PascalCase
// strings, as Graph returns them). DisabledByPolicy is the mock's to
// decide: the engine does not see the tenant policy.
type TAPUsability string

// Usability reasons computed by the engine.
const (
	TAPEnabled     TAPUsability = "EnabledByPolicy"
	TAPNotYetValid TAPUsability = "NotYetValid"
	TAPExpired     TAPUsability = "Expired"
	TAPOneTimeUsed TAPUsability = "OneTimeUsed"
)

// Usability reports whether the pass can sign in at now and, either way,
// the methodUsabilityReason the mock should show.
func (t TAPCredential) Usability(now time.Time) (bool, TAPUsability) {
	switch {
	case t.UsableOnce && !t.UsedAt.IsZero():
		return false, TAPOneTimeUsed
	case now.Before(t.Start):
		return false, TAPNotYetValid
	case !now.Before(t.Start.Add(time.Duration(t.LifetimeMinutes) * time.Minute)):
		return false, TAPExpired
	}
	return true, TAPEnabled
}

func (u TAPUsability) reason() Reason {
	switch u {
	case TAPNotYetValid:
		return ReasonNotYetValid
	case TAPExpired:
		return ReasonExpired
	case TAPOneTimeUsed:
		return ReasonUsed
	}
	return ""
}

func (u TAPUsability) err(challengeID string) *Error {
	switch u {
	case TAPNotYetValid:
		return newError(ReasonNotYetValid, challengeID, "the Temporary Access Pass is not valid yet", "wait for its start time")
	case TAPExpired:
		return newError(ReasonExpired, challengeID, "the Temporary Access Pass has expired", hintNewPass).then(NextNewPass)
	}
	return newError(ReasonUsed, challengeID, "the one-time Temporary Access Pass was already used", hintNewPass).then(NextNewPass)
}

// tapAlphabet leaves out look-alike characters (0/O, 1/l/I) because people
// read passes off a helpdesk screen; the symbols match the look of Graph's
// passes ("+drkzqAD").
const tapAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789+-=@#%&*!?"

// maxTAPInput bounds a submitted pass (the policy's maximum length is 48).
const maxTAPInput = 256

// NewTAP makes a Temporary Access Pass of length characters (8-48, the
// range of the tenant policy's defaultLength) and its hash, for the mock to
// return once and store hashed.
func (e *Engine) NewTAP(length int) (string, SecretHash, error) {
	if length < 8 || length > 48 {
		return "", SecretHash{}, fmt.Errorf("temporary access pass length %d is out of range (8-48)", length)
	}
	var b strings.Builder
	for range length {
		i, err := e.randUint64n(uint64(len(tapAlphabet)))
		if err != nil {
			return "", SecretHash{}, err
		}
		b.WriteByte(tapAlphabet[i])
	}
	pass := b.String()
	h, err := hashSHA256(e.rand, pass)
	if err != nil {
		return "", SecretHash{}, err
	}
	return pass, h, nil
}

// submitTAP checks a pass. A pass that cannot be used (not yet valid,
// expired, used) ends the challenge without counting a denial: nothing was
// guessed. A wrong pass counts like a wrong code.
func (e *Engine) submitTAP(u *UserState, c *Challenge, pass string, cred *Credential, now time.Time) (Result, error) {
	if cred == nil || cred.TAP == nil {
		return Result{Challenge: *c}, errInvalid("submitting a Temporary Access Pass needs the stored pass")
	}
	if usable, why := cred.TAP.Usability(now); !usable {
		moveTo(c, StateFailed, why.reason(), now)
		if err := e.saveAll(u, c, now, ActionCode, why.reason()); err != nil {
			return Result{}, err
		}
		return Result{Challenge: *c}, why.err(c.ID)
	}
	pass = strings.TrimSpace(pass)
	if pass == "" || len(pass) > maxTAPInput {
		return e.malformed(u, c, now, ActionCode, "a Temporary Access Pass is 8 to 48 characters")
	}
	ok, err := cred.TAP.Hash.Matches(pass)
	if err != nil {
		return Result{Challenge: *c}, err
	}
	if !ok {
		return Result{Challenge: *c}, e.wrongInput(u, c, ReasonWrongCode, "wrong Temporary Access Pass", now, ActionCode)
	}
	if err := e.succeed(u, c, now, ActionCode); err != nil {
		return Result{}, err
	}
	res := Result{Challenge: *c}
	if cred.TAP.UsableOnce {
		res.TAPUsedAt = now
	}
	return res, nil
}
