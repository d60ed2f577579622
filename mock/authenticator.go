package mock

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"math/big"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mfactl/mfactl/internal/emulatorapi"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
	"github.com/mfactl/mfactl/mock/store"
)

// Microsoft Authenticator registration, emulated (issue 17). Graph cannot
// create a microsoftAuthenticatorAuthenticationMethod: the resource has
// List, Get and Delete only
// (api-reference/v1.0/resources/microsoftauthenticatorauthenticationmethod.md);
// the app registers itself after the user adds it at the security-info
// page. The emulator stands in for the page and the app:
//
//  1. BeginAuthenticatorRegistration is "Set up your account": an
//     activation code, an activation URL and the QR code carrying both
//     (methods.AuthenticatorActivation), valid for the engine's EnrollTTL.
//  2. ActivateAuthenticatorApp is the app scanning the QR code (or being
//     given the code and URL): the emulated phone is named and the
//     method's id reserved.
//  3. SendAuthenticatorTestNotification is "Let's try it out": a push
//     challenge (purpose registration) through the verification engine to
//     the new device, with number matching as every push.
//  4. Approving it on the emulated device (the /device/approve control
//     endpoint) creates the method in the same transaction
//     (persistResult); denying it, a wrong number, or letting it expire
//     ends the registration without a method.
//
// Each step is one store transaction (the store is never held across a
// wait) and each is also a /_mock/authenticator/ control endpoint.

// AuthenticatorRegistration is one Microsoft Authenticator registration in
// progress (the wire type of the /_mock/authenticator/ endpoints).
type AuthenticatorRegistration = emulatorapi.AuthenticatorRegistration

// Registration states (see emulatorapi).
const (
	RegistrationWaitingForApp    = emulatorapi.RegistrationWaitingForApp
	RegistrationAppActivated     = emulatorapi.RegistrationAppActivated
	RegistrationNotificationSent = emulatorapi.RegistrationNotificationSent
	RegistrationApproved         = emulatorapi.RegistrationApproved
	RegistrationDenied           = emulatorapi.RegistrationDenied
	RegistrationExpired          = emulatorapi.RegistrationExpired
)

// DefaultAuthenticatorDevice names the emulated phone when the app is
// activated without a name.
const DefaultAuthenticatorDevice = "iPhone 15"

// AuthenticatorAppVersion is the emulated app's phoneAppVersion.
const AuthenticatorAppVersion = "6.2409.6094"

// authenticatorDeviceTag is the deviceTag of an app registered for
// notifications, as Graph shows it for such methods (the resource page
// says only "Tags containing app metadata").
const authenticatorDeviceTag = "SoftwareTokenActivated"

// activationHost is the host of the emulated activation URL. The real one
// is Microsoft's mobileappcommunicator service; the emulator's uses the
// reserved .invalid top-level domain (RFC 2606), so a real app that scans
// an emulated QR code reaches nobody.
const activationHost = "mobileappcommunicator.mfactl.invalid"

// maxDeviceName bounds the emulated phone's name.
const maxDeviceName = 128

// Error codes of the registration endpoints (the emulator's own: Graph has
// no such endpoints).
const (
	codeActivationInvalid = "activationCodeInvalid"
	codeRegistrationState = "registrationNotInThisState"
)

const (
	bucketAuthReg            = "authenticatorRegistrations" // id -> authRegRecord
	bucketAuthRegCode        = "authenticatorActivation"    // sha256(code) -> id, while waiting for the app
	bucketAuthRegByChallenge = "authenticatorRegChallenges" // challenge id -> id
)

// authRegRecord is a registration as stored. Code is the activation code
// in clear while the registration waits for the app (the page shows it
// again when reloaded), and wiped when it stops waiting.
type authRegRecord struct {
	ID          string        `json:"id"`
	UserID      string        `json:"userId"`
	Code        string        `json:"code,omitempty"`
	URL         string        `json:"url"`
	Created     time.Time     `json:"created"`
	Expires     time.Time     `json:"expires"`
	State       string        `json:"state"`
	Reason      verify.Reason `json:"reason,omitempty"`
	DeviceName  string        `json:"deviceName,omitempty"`
	MethodID    string        `json:"methodId,omitempty"`
	ChallengeID string        `json:"challengeId,omitempty"`
}

func codeKey(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

func randomDigits(n int) (string, error) {
	var b strings.Builder
	for range n {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", err
		}
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String(), nil
}

func getAuthReg(tx store.Tx, id string) (*authRegRecord, error) {
	var rec authRegRecord
	ok, err := store.GetJSON(tx, bucketAuthReg, id, &rec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNotFound("There is no Microsoft Authenticator registration with id '%s'.", id)
	}
	return &rec, nil
}

func putAuthReg(tx store.Tx, rec *authRegRecord) error {
	return store.PutJSON(tx, bucketAuthReg, rec.ID, rec)
}

// stopWaiting wipes the activation code and its index: it activates
// nothing any more.
func stopWaiting(tx store.Tx, rec *authRegRecord) error {
	if rec.Code == "" {
		return nil
	}
	key := codeKey(rec.Code)
	rec.Code = ""
	return tx.Delete(bucketAuthRegCode, key)
}

// view renders a registration; challenge adds the test notification's
// number and expiry, method the new method.
func (rec *authRegRecord) view(u *userRecord, c *verify.Challenge, method *methodRecord) AuthenticatorRegistration {
	out := AuthenticatorRegistration{
		ID: rec.ID, User: u.UPN, UserID: u.ID, URL: rec.URL, Expires: rec.Expires, State: rec.State,
		Reason: rec.Reason, DeviceName: rec.DeviceName, ChallengeID: rec.ChallengeID, MethodID: rec.MethodID,
	}
	if rec.State == RegistrationWaitingForApp && rec.Code != "" {
		out.ActivationCode = rec.Code
		out.QRPayload, _ = methods.AuthenticatorActivation{Code: rec.Code, URL: rec.URL}.Payload()
	}
	if c != nil && c.ID == rec.ChallengeID {
		out.Number, out.NotificationExpires = c.Number, c.ExpiresAt
	}
	if method != nil {
		out.Method = renderMethod(method, false)
	}
	return out
}

// regExpired is the verdict of a registration that lapsed.
func regExpired(rec *authRegRecord) *verify.Error {
	return &verify.Error{Reason: verify.ReasonExpired, ChallengeID: rec.ChallengeID, AttemptsLeft: -1,
		Message: "the Microsoft Authenticator registration expired", Hint: "start a new registration"}
}

// regEnded is the verdict of an operation on a registration that ended.
func regEnded(rec *authRegRecord) *verify.Error {
	if rec.State == RegistrationExpired {
		return regExpired(rec)
	}
	return &verify.Error{Reason: rec.Reason, ChallengeID: rec.ChallengeID, AttemptsLeft: -1,
		Message: "the test notification of this Microsoft Authenticator registration was not approved (" + string(rec.Reason) + ")",
		Hint:    "start a new registration"}
}

// settledRegistration reads registration id and its user, and settles it
// (settleRegistration), returning its challenge, if any.
func (s *Server) settledRegistration(tx store.Tx, e *verify.Engine, id string) (*authRegRecord, *userRecord, *verify.Challenge, error) {
	rec, err := getAuthReg(tx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	u, err := getUser(tx, rec.UserID)
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := s.settleRegistration(tx, e, u, rec)
	if err != nil {
		return nil, nil, nil, err
	}
	return rec, u, c, nil
}

// settleRegistration brings a registration up to date with the clock and
// its test notification: a registration past its expiry that never sent
// a notification expires; one whose notification ended takes its outcome
// (an approval that somehow left no method creates it, so an approved
// notification always has its method). It saves what changed and returns
// the challenge, if any.
func (s *Server) settleRegistration(tx store.Tx, e *verify.Engine, u *userRecord, rec *authRegRecord) (*verify.Challenge, error) {
	now := s.now().UTC()
	switch rec.State {
	case RegistrationWaitingForApp, RegistrationAppActivated:
		if now.Before(rec.Expires) {
			return nil, nil
		}
		rec.State, rec.Reason = RegistrationExpired, verify.ReasonExpired
		if err := stopWaiting(tx, rec); err != nil {
			return nil, err
		}
		return nil, putAuthReg(tx, rec)
	case RegistrationNotificationSent:
		c, err := e.Challenge(rec.ChallengeID)
		if errors.Is(err, verify.ErrNotFound) || verify.ReasonOf(err) == verify.ReasonNotFound {
			// The engine dropped the closed challenge after its retention:
			// it was never approved, or the method would exist.
			rec.State, rec.Reason = RegistrationExpired, verify.ReasonExpired
			return nil, putAuthReg(tx, rec)
		}
		if err != nil {
			return nil, err
		}
		if c.State.Open() {
			return &c, nil
		}
		if c.State == verify.StateVerified {
			_, err := s.completeRegistration(tx, u, rec)
			return &c, err
		}
		failRegistration(rec, c)
		return &c, putAuthReg(tx, rec)
	}
	return nil, nil
}

// failRegistration records the outcome of a test notification that ended
// without approval.
func failRegistration(rec *authRegRecord, c verify.Challenge) {
	rec.Reason = c.Reason
	if c.Reason == verify.ReasonExpired || c.Reason == verify.ReasonNoAnswer {
		rec.State = RegistrationExpired
	} else {
		rec.State = RegistrationDenied
	}
}

// completeRegistration creates the method of an approved registration
// (once: a second call finds it). The limit of OATH and authenticator app
// methods counts Microsoft Authenticator (entra.CountsTowardOathLimit), so
// it is checked again here: a user who reached it since the registration
// began cannot approve, and the approval is rolled back with the error.
func (s *Server) completeRegistration(tx store.Tx, u *userRecord, rec *authRegRecord) (*methodRecord, error) {
	if m, found, err := getMethod(tx, u.ID, rec.MethodID); err != nil || found {
		return m, err
	}
	ms, err := userMethods(tx, u.ID)
	if err != nil {
		return nil, err
	}
	if err := checkOathAndAppLimit(ms); err != nil {
		return nil, err
	}
	// createdDateTime stays null: the resource page says it "is null if
	// the device isn't registered for passwordless Phone Sign-In", and a
	// registration for notifications does not register the device
	// (api-reference/v1.0/resources/microsoftauthenticatorauthenticationmethod.md).
	m := &methodRecord{UserID: u.ID, Method: methods.Method{ID: rec.MethodID, Kind: methods.KindAuthenticator,
		DisplayName: rec.DeviceName, DeviceTag: authenticatorDeviceTag, PhoneAppVersion: AuthenticatorAppVersion}}
	if err := putMethod(tx, m); err != nil {
		return nil, err
	}
	rec.State, rec.Reason = RegistrationApproved, ""
	return m, putAuthReg(tx, rec)
}

// registrationOfChallenge finds the registration a push challenge tests,
// if it is one.
func registrationOfChallenge(tx store.Tx, c verify.Challenge) (*authRegRecord, error) {
	if c.Method != verify.MethodPush || c.Purpose != verify.PurposeRegistration {
		return nil, nil
	}
	id, ok := tx.Get(bucketAuthRegByChallenge, c.ID)
	if !ok {
		return nil, nil
	}
	return getAuthReg(tx, string(id))
}

// persistRegistrationPush is persistResult's part for a test notification
// the emulated device approved or denied: the method is created, or the
// registration ends.
func (s *Server) persistRegistrationPush(tx store.Tx, u *userRecord, c verify.Challenge, out *VerifyResponse) error {
	rec, err := registrationOfChallenge(tx, c)
	if err != nil || rec == nil || rec.State != RegistrationNotificationSent {
		return err
	}
	switch {
	case c.State == verify.StateVerified:
		m, err := s.completeRegistration(tx, u, rec)
		if err != nil {
			return err
		}
		out.Method = renderMethod(m, false)
		return nil
	case !c.State.Open():
		failRegistration(rec, c)
		return putAuthReg(tx, rec)
	}
	return nil
}

// regTx runs fn in one engine transaction and returns the view it made,
// and the verdict (the registration ended) as the error. ctx is checked
// before the transaction starts: once it runs, it runs to its end.
func (s *Server) regTx(ctx context.Context, fn func(tx store.Tx, e *verify.Engine) (AuthenticatorRegistration, error)) (AuthenticatorRegistration, error) {
	if err := ctx.Err(); err != nil {
		return AuthenticatorRegistration{}, err
	}
	var out AuthenticatorRegistration
	verdict, err := s.verifyTx(func(tx store.Tx, e *verify.Engine) error {
		var err error
		out, err = fn(tx, e)
		return err
	})
	if err != nil {
		return AuthenticatorRegistration{}, err
	}
	if verdict != nil {
		return out, verdict
	}
	return out, nil
}

// BeginAuthenticatorRegistration starts adding Microsoft Authenticator for
// user (object id or principal name): the activation code, URL and QR
// payload the setup page shows, valid until Expires (the engine's
// EnrollTTL). A user at the limit of OATH and authenticator app methods is
// refused before anything is shown.
//
// Errors: a Graph-shaped error (unknown user, the limit) changed nothing.
func (s *Server) BeginAuthenticatorRegistration(ctx context.Context, user string) (AuthenticatorRegistration, error) {
	return s.regTx(ctx, func(tx store.Tx, e *verify.Engine) (AuthenticatorRegistration, error) {
		u, err := getUser(tx, user)
		if err != nil {
			return AuthenticatorRegistration{}, err
		}
		ms, err := userMethods(tx, u.ID)
		if err != nil {
			return AuthenticatorRegistration{}, err
		}
		if err := checkOathAndAppLimit(ms); err != nil {
			return AuthenticatorRegistration{}, err
		}
		id, err := newGUID()
		if err != nil {
			return AuthenticatorRegistration{}, err
		}
		var code string
		for {
			if code, err = randomDigits(methods.ActivationCodeDigits); err != nil {
				return AuthenticatorRegistration{}, err
			}
			if _, taken := tx.Get(bucketAuthRegCode, codeKey(code)); !taken {
				break
			}
		}
		path, err := randomDigits(methods.ActivationCodeDigits)
		if err != nil {
			return AuthenticatorRegistration{}, err
		}
		now := s.now().UTC()
		rec := &authRegRecord{ID: id, UserID: u.ID, Code: code, URL: "https://" + activationHost + "/activatev2/" + path + "/EMU",
			Created: now, Expires: now.Add(e.Config().EnrollTTL), State: RegistrationWaitingForApp}
		if err := tx.Put(bucketAuthRegCode, codeKey(code), []byte(id)); err != nil {
			return AuthenticatorRegistration{}, err
		}
		return rec.view(u, nil, nil), putAuthReg(tx, rec)
	})
}

// ActivateAuthenticatorApp is the emulated app after scanning the QR code
// (or being given the code and URL by hand): the registration waiting for
// that code and URL gets its device (deviceName, default
// DefaultAuthenticatorDevice) and the id its method will have. The code
// may be given with spaces, as the page groups it.
//
// Errors: a Graph-shaped error (no registration waits for this code and
// URL: activationCodeInvalid) changed nothing; a *verify.Error (expired)
// means the registration lapsed, and the registration says so.
func (s *Server) ActivateAuthenticatorApp(ctx context.Context, activationCode, url, deviceName string) (AuthenticatorRegistration, error) {
	code, err := methods.NormalizeActivationCode(activationCode)
	if err != nil {
		return AuthenticatorRegistration{}, errBadRequest(codeActivationInvalid, "The activation code is not valid: %s.", err)
	}
	deviceName = strings.TrimSpace(deviceName)
	if deviceName == "" {
		deviceName = DefaultAuthenticatorDevice
	}
	if utf8.RuneCountInString(deviceName) > maxDeviceName || strings.ContainsFunc(deviceName, func(r rune) bool { return r < ' ' || r == 0x7f }) || !utf8.ValidString(deviceName) {
		return AuthenticatorRegistration{}, errBadRequest(codeBadBody, "The device name must be one line of at most %d characters.", maxDeviceName)
	}
	return s.regTx(ctx, func(tx store.Tx, e *verify.Engine) (AuthenticatorRegistration, error) {
		invalid := errBadRequest(codeActivationInvalid, "No Microsoft Authenticator registration waits for this activation code and URL: check both, or start a new registration.")
		id, ok := tx.Get(bucketAuthRegCode, codeKey(code))
		if !ok {
			return AuthenticatorRegistration{}, invalid
		}
		rec, err := getAuthReg(tx, string(id))
		if err != nil {
			return AuthenticatorRegistration{}, err
		}
		if subtle.ConstantTimeCompare([]byte(rec.Code), []byte(code)) != 1 || subtle.ConstantTimeCompare([]byte(rec.URL), []byte(strings.TrimSpace(url))) != 1 {
			return AuthenticatorRegistration{}, invalid
		}
		u, err := getUser(tx, rec.UserID)
		if err != nil {
			return AuthenticatorRegistration{}, err
		}
		if _, err := s.settleRegistration(tx, e, u, rec); err != nil {
			return AuthenticatorRegistration{}, err
		}
		if rec.State != RegistrationWaitingForApp {
			return rec.view(u, nil, nil), regEnded(rec)
		}
		methodID, err := newGUID()
		if err != nil {
			return AuthenticatorRegistration{}, err
		}
		if err := stopWaiting(tx, rec); err != nil {
			return AuthenticatorRegistration{}, err
		}
		rec.State, rec.DeviceName, rec.MethodID = RegistrationAppActivated, deviceName, methodID
		return rec.view(u, nil, nil), putAuthReg(tx, rec)
	})
}

// SendAuthenticatorTestNotification is "Let's try it out": a push to the
// newly activated device through the verification engine (purpose
// registration), which the emulated device approves by typing Number
// (number matching) or denies. Sending again while the notification is
// pending returns it unchanged, so a caller unsure whether its request
// arrived may repeat it.
//
// Errors: a Graph-shaped error (unknown registration; the app is not
// activated yet, registrationNotInThisState) changed nothing; a
// *verify.Error is the engine's refusal (the user is blocked or locked) or
// the registration's end (expired, denied), and was recorded.
func (s *Server) SendAuthenticatorTestNotification(ctx context.Context, registrationID string) (AuthenticatorRegistration, error) {
	return s.regTx(ctx, func(tx store.Tx, e *verify.Engine) (AuthenticatorRegistration, error) {
		rec, u, c, err := s.settledRegistration(tx, e, registrationID)
		if err != nil {
			return AuthenticatorRegistration{}, err
		}
		switch rec.State {
		case RegistrationNotificationSent:
			return rec.view(u, c, nil), nil
		case RegistrationWaitingForApp:
			return AuthenticatorRegistration{}, newError(http.StatusConflict, codeRegistrationState,
				"The Microsoft Authenticator registration '%s' waits for the app to scan its QR code: activate the app first.", rec.ID)
		case RegistrationApproved:
			m, _, err := getMethod(tx, u.ID, rec.MethodID)
			return rec.view(u, nil, m), err
		case RegistrationDenied, RegistrationExpired:
			return rec.view(u, c, nil), regEnded(rec)
		}
		res, err := e.Start(verify.StartRequest{UserID: u.ID, Admin: u.isAdmin(), Method: verify.MethodPush,
			Purpose: verify.PurposeRegistration, Credential: verify.Credential{MethodID: rec.MethodID}})
		if err != nil {
			return rec.view(u, nil, nil), err
		}
		rec.State, rec.ChallengeID = RegistrationNotificationSent, res.Challenge.ID
		if err := tx.Put(bucketAuthRegByChallenge, res.Challenge.ID, []byte(rec.ID)); err != nil {
			return AuthenticatorRegistration{}, err
		}
		return rec.view(u, &res.Challenge, nil), putAuthReg(tx, rec)
	})
}

// AuthenticatorRegistrationStatus reads a registration, brought up to date
// with the clock and its test notification: after approval State is
// approved, MethodID the new method's id and Method the method; denied and
// expired say why in Reason. A registration that ended is not an error
// here.
func (s *Server) AuthenticatorRegistrationStatus(ctx context.Context, registrationID string) (AuthenticatorRegistration, error) {
	return s.regTx(ctx, func(tx store.Tx, e *verify.Engine) (AuthenticatorRegistration, error) {
		rec, u, c, err := s.settledRegistration(tx, e, registrationID)
		if err != nil {
			return AuthenticatorRegistration{}, err
		}
		var m *methodRecord
		if rec.State == RegistrationApproved {
			if m, _, err = getMethod(tx, u.ID, rec.MethodID); err != nil {
				return AuthenticatorRegistration{}, err
			}
		}
		return rec.view(u, c, m), nil
	})
}

// The control endpoints wrap the functions above; a verdict travels in
// the answer's verdict, as on every engine endpoint.

func (s *Server) authenticatorRoutes(c *controlRouter) {
	c.admin("POST", "/authenticator/registrations", s.mockBeginAuthenticator)
	c.admin("GET", "/authenticator/registrations/{id}", s.mockAuthenticatorStatus)
	c.admin("POST", "/authenticator/registrations/{id}/notify", s.mockAuthenticatorNotify)
	c.admin("POST", "/authenticator/activate", s.mockActivateAuthenticator)
}

// regResponse answers with the registration and the verdict, if any;
// any other error is the HTTP error.
func regResponse(reg AuthenticatorRegistration, err error) (*response, error) {
	var ve *verify.Error
	if errors.As(err, &ve) {
		reg.Verdict = ve
		return ok(reg)
	}
	if err != nil {
		return nil, err
	}
	return ok(reg)
}

func (s *Server) mockBeginAuthenticator(r *request) (*response, error) {
	var b emulatorapi.BeginAuthenticatorRegistration
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	return regResponse(s.BeginAuthenticatorRegistration(r.http.Context(), b.User))
}

func (s *Server) mockActivateAuthenticator(r *request) (*response, error) {
	var b emulatorapi.ActivateAuthenticatorApp
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	return regResponse(s.ActivateAuthenticatorApp(r.http.Context(), b.Code, b.URL, b.DeviceName))
}

func (s *Server) mockAuthenticatorNotify(r *request) (*response, error) {
	return regResponse(s.SendAuthenticatorTestNotification(r.http.Context(), r.params["id"]))
}

func (s *Server) mockAuthenticatorStatus(r *request) (*response, error) {
	return regResponse(s.AuthenticatorRegistrationStatus(r.http.Context(), r.params["id"]))
}
