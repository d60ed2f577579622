package verify

import (
	"fmt"
	"io"

	"github.com/mfactl/mfactl/methods"
)

// AppEnrollmentRequest starts adding an authenticator app (software OATH).
type AppEnrollmentRequest struct {
	UserID string
	// Account is the name shown in the app, normally the UPN.
	Account string
	// Issuer defaults to methods.OATHIssuer ("mfactl").
	Issuer string
	// Algorithm, Digits and Period default to SHA1, 6 and 30, what
	// Microsoft Authenticator and Entra use.
	Algorithm methods.OATHAlgorithm
	Digits    int
	Period    int
}

// Enrollment is a pending authenticator app enrolment: show URI as a QR
// code, or Account and Secret for manual entry ("account name + key"),
// then confirm with SubmitCode(Challenge.ID, firstCode, nil).
type Enrollment struct {
	Challenge Challenge
	URI       string
	Secret    methods.OATHSecret
	Key       methods.OATHKey
}

// String describes the enrolment without its secret.
func (en Enrollment) String() string {
	return fmt.Sprintf("app enrolment %s (%s), %s until %s", en.Challenge.ID, en.Key, en.Challenge.State, fmtTime(en.Challenge.ExpiresAt))
}

// Format prints String for every verb, %#v and %d included, which would
// otherwise print the URI and its secret field by field.
func (en Enrollment) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, en.String()) }

// StartAppEnrollment generates a new secret and returns the otpauth:// URI
// for it. The enrolment stays pending (sent) until a first valid code
// confirms it, and expires after EnrollTTL. On confirmation
// Result.Enrolled holds the key to save as the new method, and Result.OATH
// its state, in which the confirmation code is already used.
func (e *Engine) StartAppEnrollment(req AppEnrollmentRequest) (Enrollment, error) {
	if req.UserID == "" || req.Account == "" {
		return Enrollment{}, errInvalid("an app enrolment needs a user id and an account name")
	}
	if req.Issuer == "" {
		req.Issuer = methods.OATHIssuer
	}
	secret, err := methods.GenerateOATHSecret(e.rand, e.cfg.SecretBytes)
	if err != nil {
		return Enrollment{}, err
	}
	key := methods.NewTOTPKey(secret)
	if req.Algorithm != "" {
		key.Algorithm = req.Algorithm
	}
	if req.Digits != 0 {
		key.Digits = req.Digits
	}
	if req.Period != 0 {
		key.Period = req.Period
	}
	if err := key.Check(); err != nil {
		return Enrollment{}, errInvalid("app key: %v", err)
	}
	uri, err := key.URI(req.Issuer, req.Account, 0)
	if err != nil {
		return Enrollment{}, errInvalid("app key: %v", err)
	}
	now := e.clock()
	if err := e.housekeep(req.UserID, now); err != nil {
		return Enrollment{}, err
	}
	u, err := e.loadUser(req.UserID)
	if err != nil {
		return Enrollment{}, err
	}
	tmpl := Challenge{UserID: req.UserID, Purpose: PurposeRegistration, Method: MethodOATH, PendingKey: &key}
	res, err := e.launch(&u, tmpl, now, ActionStart, nil)
	if err != nil {
		return Enrollment{}, err
	}
	return Enrollment{Challenge: res.Challenge, URI: uri, Secret: secret, Key: key}, nil
}
