package verify

import (
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// DeviceToken is a "don't ask again for N days" token, returned once. The
// sign-in side keeps Token (the emulated browser cookie); the engine keeps
// only its hash.
type DeviceToken struct {
	Token     string    `json:"token"`
	ID        string    `json:"id"`
	UserID    string    `json:"userId"`
	IssuedAt  time.Time `json:"issuedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// String describes the token without the token itself.
func (t DeviceToken) String() string {
	return fmt.Sprintf("remembered device %s for %s until %s", t.ID, t.UserID, fmtTime(t.ExpiresAt))
}

// Format prints String for every verb, so %#v cannot show the token.
func (t DeviceToken) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// deviceSecretBytes is the random part of a device token: 256 bits.
const deviceSecretBytes = 32

// RememberDevice issues a device token for a verified sign-in challenge,
// valid for RememberDeviceDays (MS-SETTINGS: 1-365 days). It is asked for
// after the verification, by challenge id, because for push and calls the
// verification happens on the device while the "don't ask again" box is
// on the sign-in page. One token per challenge, within RememberGrace of
// the verification.
func (e *Engine) RememberDevice(challengeID string) (DeviceToken, error) {
	now := e.clock()
	if !e.cfg.RememberDevice {
		return DeviceToken{}, newError(ReasonNotAllowed, challengeID, "remembering devices is turned off", "")
	}
	c, err := e.loadChallenge(challengeID)
	if err != nil {
		return DeviceToken{}, err
	}
	refuse := func(v *Error) (DeviceToken, error) {
		if err := e.logAttempt(now, c.UserID, ActionRemember, &c, v.Reason); err != nil {
			return DeviceToken{}, err
		}
		return DeviceToken{}, v
	}
	switch {
	case c.State != StateVerified || c.Purpose != PurposeSignIn:
		return refuse(newError(ReasonNotAllowed, c.ID, "only a verified sign-in can remember the device", ""))
	case c.DeviceIssued:
		return refuse(newError(ReasonClosed, c.ID, "a device token was already issued for this sign-in", hintNewSignIn))
	case !now.Before(c.ClosedAt.Add(e.cfg.RememberGrace)):
		return refuse(newError(ReasonExpired, c.ID, "the sign-in is too old to remember the device", hintNewSignIn))
	}
	u, err := e.loadUser(c.UserID)
	if err != nil {
		return DeviceToken{}, err
	}
	if u.Block.Active(now) {
		return refuse(errBlocked(u, c.ID))
	}
	id, err := e.newID()
	if err != nil {
		return DeviceToken{}, err
	}
	raw := make([]byte, deviceSecretBytes)
	if _, err := io.ReadFull(e.rand, raw); err != nil {
		return DeviceToken{}, fmt.Errorf("random source: %w", err)
	}
	secret := base64.RawURLEncoding.EncodeToString(raw)
	h, err := hashSHA256(e.rand, secret)
	if err != nil {
		return DeviceToken{}, err
	}
	expires := now.Add(time.Duration(e.cfg.RememberDeviceDays) * 24 * time.Hour)
	// Drop expired tokens while we are here. Revoked ones stay until they
	// expire, so CheckDevice can say "revoked" rather than "unknown".
	u.Devices = slices.DeleteFunc(u.Devices, func(d RememberedDevice) bool { return !now.Before(d.ExpiresAt) })
	u.Devices = append(u.Devices, RememberedDevice{
		ID: id, Token: h, IssuedAt: now, ExpiresAt: expires, Epoch: u.SessionEpoch, ChallengeID: c.ID, Method: c.Method,
	})
	c.DeviceIssued = true
	if err := e.saveAll(&u, &c, now, ActionRemember, ""); err != nil {
		return DeviceToken{}, err
	}
	return DeviceToken{Token: id + "." + secret, ID: id, UserID: u.UserID, IssuedAt: now, ExpiresAt: expires}, nil
}

// CheckDevice reports whether a device token still lets the user skip MFA:
// it must be the user's, unexpired, issued after the last revocation, and
// the user must not be blocked. The returned record has no secret.
func (e *Engine) CheckDevice(userID, token string) (RememberedDevice, error) {
	now := e.clock()
	u, err := e.loadUser(userID)
	if err != nil {
		return RememberedDevice{}, err
	}
	d, verdict := e.findDevice(&u, token, now)
	if err := e.logAttempt(now, userID, ActionCheckDevice, nil, ReasonOf(verdictErr(verdict))); err != nil {
		return RememberedDevice{}, err
	}
	if verdict != nil {
		return RememberedDevice{}, verdict
	}
	d.Token = SecretHash{}
	return d, nil
}

// verdictErr keeps a nil *Error from becoming a non-nil error.
func verdictErr(v *Error) error {
	if v == nil {
		return nil
	}
	return v
}

func (e *Engine) findDevice(u *UserState, token string, now time.Time) (RememberedDevice, *Error) {
	// Another user's token, a tampered one and garbage are all the same
	// rejection (exit 1, like an expired or revoked token): which of them
	// it was is not said, so a token cannot be probed across users.
	unknown := newError(ReasonNotRemembered, "", "this device is not remembered", "complete MFA to sign in")
	if u.Block.Active(now) {
		return RememberedDevice{}, errBlocked(*u, "")
	}
	id, secret, ok := strings.Cut(token, ".")
	if !ok || len(token) > 256 {
		return RememberedDevice{}, unknown
	}
	i := slices.IndexFunc(u.Devices, func(d RememberedDevice) bool { return d.ID == id })
	if i < 0 {
		return RememberedDevice{}, unknown
	}
	d := u.Devices[i]
	if match, err := d.Token.Matches(secret); err != nil || !match {
		return RememberedDevice{}, unknown
	}
	switch {
	case d.Epoch != u.SessionEpoch:
		return RememberedDevice{}, newError(ReasonRevoked, "", "this device is no longer remembered: MFA sessions were revoked", "complete MFA to sign in")
	case !now.Before(d.ExpiresAt):
		return RememberedDevice{}, newError(ReasonExpired, "", "the remembered device has expired", "complete MFA to sign in")
	}
	return d, nil
}

// RevokeSessions is "Revoke MFA sessions": every remembered device of the
// user stops working (MS-SETTINGS). It returns how many were still valid.
func (e *Engine) RevokeSessions(userID string) (int, error) {
	if userID == "" {
		return 0, errInvalid("a user id is required")
	}
	now := e.clock()
	n := 0
	err := e.updateUser(userID, now, ActionRevokeSessions, func(u *UserState) {
		for _, d := range u.Devices {
			if d.Epoch == u.SessionEpoch && now.Before(d.ExpiresAt) {
				n++
			}
		}
		u.SessionEpoch++
		u.SessionsRevokedAt = now
	})
	return n, err
}
