package graph

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/mfactl/mfactl/internal/emulatorapi"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
)

// The emulated second factor: typed calls for the mock's verification
// endpoints under /_mock/ (challenges, enrolment, outbox, the emulated
// Authenticator, PINs, security questions, blocks, remembered devices).
//
// Two kinds of failure come back. A request the mock did not process (bad
// input, unknown user, wrong token) is an *Error like any Graph failure. A
// verification that was processed but did not succeed (wrong code,
// expired, locked, blocked, ...) is a *VerdictError: the mock recorded it
// (attempt counted, lockout advanced), and its exit code says which kind
// of "no" it is: 1 rejected, 4 locked or blocked.

// VerdictError is the verification engine's verdict: the reason, what
// happened and what to do next.
type VerdictError struct {
	// Op is what mfactl was doing.
	Op      string
	Verdict verify.Error
	// Challenge is the challenge concerned, when there is one.
	Challenge *VerifyChallenge
}

func (e *VerdictError) Error() string { return e.Verdict.Message }

// HintText is what to do next, in the engine's words (cmd adds the command
// for the verdict's Next step).
func (e *VerdictError) HintText() string { return e.Verdict.Hint }

// ExitCode is the reason's exit code: 1 rejected (wrong, expired,
// replayed, denied), 2 bad input, 3 not registered, 4 locked, blocked or
// fraud reported, 5 rate limited.
func (e *VerdictError) ExitCode() int { return e.Verdict.Reason.ExitCode() }

// Unwrap gives the engine's error, so verify.ReasonOf works on it.
func (e *VerdictError) Unwrap() error { return &e.Verdict }

// ReasonOf returns the verdict's reason in err, or "".
func ReasonOf(err error) verify.Reason {
	var ve *VerdictError
	if errors.As(err, &ve) {
		return ve.Verdict.Reason
	}
	return ""
}

// VerifyChallenge is a challenge as the mock shows it: the engine's record
// without its secrets, and the user's principal name.
type VerifyChallenge = emulatorapi.Challenge

// EnrolledMethod is the method an enrolment created.
type EnrolledMethod struct {
	ID          string            `json:"id"`
	ODataType   string            `json:"@odata.type"`
	PhoneNumber string            `json:"phoneNumber,omitempty"`
	PhoneType   methods.PhoneType `json:"phoneType,omitempty"`
	// EmailAddress is set for an email method (emailAuthenticationMethod,
	// api-reference/v1.0/resources/emailauthenticationmethod.md).
	EmailAddress string `json:"emailAddress,omitempty"`
}

// Method converts it to mfactl's model.
func (m EnrolledMethod) Method() methods.Method {
	return methods.Method{ID: m.ID, Kind: methods.KindFromODataType(m.ODataType), PhoneNumber: m.PhoneNumber, PhoneType: m.PhoneType, EmailAddress: m.EmailAddress}
}

// VerifyResult is the answer of a challenge operation.
type VerifyResult struct {
	Challenge *VerifyChallenge `json:"challenge,omitempty"`
	Verdict   *verify.Error    `json:"verdict,omitempty"`
	// Method is what an enrolment added (an app, a phone or an email
	// address), or nil.
	Method *EnrolledMethod `json:"method,omitempty"`
}

// StartChallengeRequest starts a verification (see emulatorapi.StartChallenge).
type StartChallengeRequest = emulatorapi.StartChallenge

// verdictOf turns a verdict in an answer into a *VerdictError.
func verdictOf(op string, v *verify.Error, c *VerifyChallenge) error {
	if v == nil {
		return nil
	}
	return &VerdictError{Op: op, Verdict: *v, Challenge: c}
}

func (e *Emulator) challengeCall(ctx context.Context, op, method, path string, in any) (*VerifyResult, error) {
	var r VerifyResult
	if err := e.do(ctx, op, method, path, in, &r); err != nil {
		return nil, err
	}
	return &r, verdictOf(op, r.Verdict, r.Challenge)
}

func userPath(user, rest string) string { return "users/" + url.PathEscape(user) + "/" + rest }

func challengePath(id, rest string) string {
	p := "verify/challenges/" + url.PathEscape(id)
	if rest != "" {
		p += "/" + rest
	}
	return p
}

// StartChallenge starts a challenge: a prompt (OATH, TAP, questions), a
// text, a call or a notification. The result carries what the sign-in
// screen shows (the push number, the questions); codes are in the outbox.
func (e *Emulator) StartChallenge(ctx context.Context, req StartChallengeRequest) (*VerifyResult, error) {
	// The mock's message names the user and the missing method.
	r, err := e.challengeCall(ctx, "start the verification", http.MethodPost, "verify/challenges", req)
	var ge *Error
	if errors.As(err, &ge) && ge.Status == http.StatusNotFound && ge.Hint == "" {
		ge.Advice = AdviceNoSuchMethod
	}
	return r, err
}

// Challenge polls a challenge. A challenge that ended without success
// comes back with a *VerdictError saying why; an open or verified one
// without error.
func (e *Emulator) Challenge(ctx context.Context, id string) (*VerifyResult, error) {
	return e.challengeCall(ctx, "read challenge "+id, http.MethodGet, challengePath(id, ""), nil)
}

// SubmitCode answers an OATH, SMS, voice-code or TAP challenge, or an
// enrolment's test, with a code.
func (e *Emulator) SubmitCode(ctx context.Context, id, code string) (*VerifyResult, error) {
	return e.challengeCall(ctx, "submit the code", http.MethodPost, challengePath(id, "code"), map[string]string{"code": code})
}

// PressKeys plays key presses into a call ("#", "PIN#", "0#").
func (e *Emulator) PressKeys(ctx context.Context, id, keys string) (*VerifyResult, error) {
	return e.challengeCall(ctx, "press keys in the call", http.MethodPost, challengePath(id, "keys"), map[string]string{"keys": keys})
}

// AnswerCall picks up the emulated call without pressing keys.
func (e *Emulator) AnswerCall(ctx context.Context, id string) (*VerifyResult, error) {
	return e.challengeCall(ctx, "answer the call", http.MethodPost, challengePath(id, "answer"), nil)
}

// MissCall lets the emulated call ring out (voicemail).
func (e *Emulator) MissCall(ctx context.Context, id string) (*VerifyResult, error) {
	return e.challengeCall(ctx, "miss the call", http.MethodPost, challengePath(id, "miss"), nil)
}

// AnswerQuestions answers a security-question challenge, in order.
func (e *Emulator) AnswerQuestions(ctx context.Context, id string, answers []string) (*VerifyResult, error) {
	return e.challengeCall(ctx, "answer the security questions", http.MethodPost, challengePath(id, "answers"), map[string][]string{"answers": answers})
}

// Resend is "get a new code": the old challenge is superseded.
func (e *Emulator) Resend(ctx context.Context, id string) (*VerifyResult, error) {
	return e.challengeCall(ctx, "get a new code", http.MethodPost, challengePath(id, "resend"), nil)
}

// Cancel closes an open challenge.
func (e *Emulator) Cancel(ctx context.Context, id string) (*VerifyResult, error) {
	return e.challengeCall(ctx, "cancel the challenge", http.MethodPost, challengePath(id, "cancel"), nil)
}

// DeviceToken is a remembered-device token: Token is the secret, shown once.
type DeviceToken = emulatorapi.DeviceToken

// Remember issues a "don't ask again" token for a verified sign-in.
func (e *Emulator) Remember(ctx context.Context, id string) (*DeviceToken, error) {
	var t DeviceToken
	op := "remember this device"
	if err := e.do(ctx, op, http.MethodPost, challengePath(id, "remember"), nil, &t); err != nil {
		return nil, err
	}
	return &t, verdictOf(op, t.Verdict, nil)
}

// DeviceCheck is the answer of CheckDevice.
type DeviceCheck = emulatorapi.DeviceCheck

// CheckDevice reports whether a remembered-device token still lets the user
// skip MFA; a *VerdictError says why not (revoked, expired, unknown).
func (e *Emulator) CheckDevice(ctx context.Context, user, token string) (*DeviceCheck, error) {
	var d DeviceCheck
	op := "check the remembered device of " + user
	if err := e.do(ctx, op, http.MethodPost, userPath(user, "devices/check"), map[string]string{"token": token}, &d); err != nil {
		return nil, err
	}
	return &d, verdictOf(op, d.Verdict, nil)
}

// AppEnrollment is a pending authenticator app enrolment: the otpauth://
// URI (the QR code), and the account name and key for manual entry. It
// holds the secret and is shown once.
type AppEnrollment = emulatorapi.AppEnrollment

// EnrollApp starts adding an authenticator app for user.
func (e *Emulator) EnrollApp(ctx context.Context, user string) (*AppEnrollment, error) {
	var a AppEnrollment
	op := "start an authenticator app enrolment for " + user
	if err := e.do(ctx, op, http.MethodPost, "enroll/app", map[string]string{"user": user}, &a); err != nil {
		return nil, err
	}
	return &a, verdictOf(op, a.Verdict, a.Challenge)
}

// ConfirmApp confirms the user's pending app enrolment (challengeID, or the
// newest) with the app's first code; the result's Method is the new
// software OATH method.
func (e *Emulator) ConfirmApp(ctx context.Context, user, code, challengeID string) (*VerifyResult, error) {
	body := map[string]string{"user": user, "code": code}
	if challengeID != "" {
		body["challengeId"] = challengeID
	}
	return e.challengeCall(ctx, "confirm the authenticator app of "+user, http.MethodPost, "enroll/app/confirm", body)
}

// EnrollPhone starts the test authentication of a phone number (method
// sms, voice or voiceOtp); the phone is saved when the test passes.
func (e *Emulator) EnrollPhone(ctx context.Context, user, number string, t methods.PhoneType, method string) (*VerifyResult, error) {
	body := map[string]string{"user": user, "phoneNumber": number, "phoneType": string(t), "method": method}
	return e.challengeCall(ctx, "test the phone number of "+user, http.MethodPost, "enroll/phone", body)
}

// EnrollEmail mails a code to address; the address becomes the user's
// email method when the code is submitted (SubmitCode).
func (e *Emulator) EnrollEmail(ctx context.Context, user, address string) (*VerifyResult, error) {
	return e.challengeCall(ctx, "mail a code to the email address of "+user, http.MethodPost, "enroll/email", emulatorapi.EnrollEmail{User: user, EmailAddress: address})
}

// OutboxMessage is one emulated text, call, notification or email.
type OutboxMessage = emulatorapi.OutboxMessage

// Outbox is a page of the emulated outbox.
type Outbox = emulatorapi.Outbox

// Outbox lists the emulated outbox (one user's when user is set) after the
// sequence number after, and at or after since when it is not zero.
func (e *Emulator) Outbox(ctx context.Context, user string, after uint64, since time.Time) (*Outbox, error) {
	q := url.Values{}
	if user != "" {
		q.Set("user", user)
	}
	if after > 0 {
		q.Set("after", strconv.FormatUint(after, 10))
	}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339))
	}
	path := "outbox"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var o Outbox
	return &o, e.do(ctx, "read the emulated outbox", http.MethodGet, path, nil, &o)
}

// VerificationStatus is a user's verification state in the emulator.
type VerificationStatus = emulatorapi.VerificationStatus

// VerificationStatus reads a user's lockout, block, PIN, questions and
// remembered devices.
func (e *Emulator) VerificationStatus(ctx context.Context, user string) (*VerificationStatus, error) {
	var s VerificationStatus
	return &s, e.do(ctx, "read the verification state of "+user, http.MethodGet, userPath(user, "verification"), nil, &s)
}

// Attempts reads a user's attempt log, oldest first.
func (e *Emulator) Attempts(ctx context.Context, user string) ([]verify.Attempt, error) {
	var out struct {
		Value []verify.Attempt `json:"value"`
	}
	return out.Value, e.do(ctx, "read the attempt log of "+user, http.MethodGet, userPath(user, "attempts"), nil, &out)
}

// CurrentCode is what a user's authenticator app or hardware token shows
// at the mock's clock (an emulator-only helper).
type CurrentCode = emulatorapi.CurrentCode

// CurrentCode reads the code of the user's software OATH method or hardware
// token (kind softwareOath or hardwareOath; methodID picks one).
func (e *Emulator) CurrentCode(ctx context.Context, user, kind, methodID string) (*CurrentCode, error) {
	q := url.Values{}
	if kind != "" {
		q.Set("kind", kind)
	}
	if methodID != "" {
		q.Set("methodId", methodID)
	}
	path := userPath(user, "code")
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var c CurrentCode
	return &c, e.do(ctx, "read the current code of "+user, http.MethodGet, path, nil, &c)
}

// TokenCode reads the code a hardware token (by serial number) shows at the
// mock's clock, whatever its status; steps reads the code that many time
// steps away, as a token whose clock drifted shows now (emulator only).
func (e *Emulator) TokenCode(ctx context.Context, serial string, steps int) (*CurrentCode, error) {
	path := "tokens/" + url.PathEscape(serial) + "/code"
	if steps != 0 {
		path += "?steps=" + strconv.Itoa(steps)
	}
	var c CurrentCode
	return &c, e.do(ctx, "read the current code of token "+serial, http.MethodGet, path, nil, &c)
}

// userVerdictCall is a user operation whose answer may be a verdict (a PIN
// or questions that break the policy, questions for an admin).
func (e *Emulator) userVerdictCall(ctx context.Context, op, method, path string, in any, out any) error {
	var raw struct {
		Verdict *verify.Error `json:"verdict,omitempty"`
	}
	if err := e.doRaw(ctx, op, method, path, in, &raw, out); err != nil {
		return err
	}
	return verdictOf(op, raw.Verdict, nil)
}

// RegisterPIN sets the user's phone-call PIN.
func (e *Emulator) RegisterPIN(ctx context.Context, user, pin string) error {
	return e.userVerdictCall(ctx, "register the PIN of "+user, http.MethodPut, userPath(user, "pin"), map[string]string{"pin": pin}, nil)
}

// RemovePIN deletes the user's PIN.
func (e *Emulator) RemovePIN(ctx context.Context, user string) error {
	return e.userVerdictCall(ctx, "remove the PIN of "+user, http.MethodDelete, userPath(user, "pin"), nil, nil)
}

// QuestionAnswer is a security question and its answer, for registration.
type QuestionAnswer = emulatorapi.QuestionAnswer

// RegisterQuestions replaces the user's security questions.
func (e *Emulator) RegisterQuestions(ctx context.Context, user string, qs []QuestionAnswer) error {
	return e.userVerdictCall(ctx, "register the security questions of "+user, http.MethodPut, userPath(user, "questions"), emulatorapi.Questions{Questions: qs}, nil)
}

// RemoveQuestions deletes the user's security questions.
func (e *Emulator) RemoveQuestions(ctx context.Context, user string) error {
	return e.userVerdictCall(ctx, "remove the security questions of "+user, http.MethodDelete, userPath(user, "questions"), nil, nil)
}

// Block blocks the user from MFA; Unblock lifts every block and lock.
func (e *Emulator) Block(ctx context.Context, user string) (*VerificationStatus, error) {
	var s VerificationStatus
	return &s, e.userVerdictCall(ctx, "block "+user, http.MethodPost, userPath(user, "block"), nil, &s)
}

// Unblock lifts a block (admin or fraud), the lockout and method locks.
func (e *Emulator) Unblock(ctx context.Context, user string) (*VerificationStatus, error) {
	var s VerificationStatus
	return &s, e.userVerdictCall(ctx, "unblock "+user, http.MethodPost, userPath(user, "unblock"), nil, &s)
}

// PendingPushes lists the notifications waiting on the user's emulated
// Authenticator (never the number to match).
func (e *Emulator) PendingPushes(ctx context.Context, user string) ([]verify.PushPrompt, error) {
	var out struct {
		Value []verify.PushPrompt `json:"value"`
	}
	return out.Value, e.do(ctx, "list the notifications of "+user, http.MethodGet, userPath(user, "device/pending"), nil, &out)
}

// DeviceAction is what the emulated Authenticator does with a notification.
type DeviceAction string

// Device actions.
const (
	DeviceApprove DeviceAction = "approve"
	DeviceDeny    DeviceAction = "deny"
	DeviceReport  DeviceAction = "report"
)

// Device approves (typing number), denies or reports a notification of the
// user: challengeID, or the newest pending one.
func (e *Emulator) Device(ctx context.Context, user string, action DeviceAction, number int, challengeID string) (*VerifyResult, error) {
	body := map[string]any{}
	if action == DeviceApprove {
		body["number"] = number
	}
	if challengeID != "" {
		body["challengeId"] = challengeID
	}
	return e.challengeCall(ctx, string(action)+" the notification of "+user, http.MethodPost, userPath(user, "device/"+string(action)), body)
}

// AuthenticatorRegistration is a Microsoft Authenticator registration in
// the emulator (see emulatorapi). Its ActivationCode and QRPayload are
// shown while it waits for the app.
type AuthenticatorRegistration = emulatorapi.AuthenticatorRegistration

// registrationCall sends one registration request; a verdict in the
// answer (the registration expired or was denied) is a *VerdictError
// beside the registration.
func (e *Emulator) registrationCall(ctx context.Context, op, method, path string, in any) (*AuthenticatorRegistration, error) {
	var reg AuthenticatorRegistration
	if err := e.do(ctx, op, method, path, in, &reg); err != nil {
		return nil, err
	}
	return &reg, verdictOf(op, reg.Verdict, nil)
}

// BeginAuthenticator starts adding Microsoft Authenticator for user: the
// activation code, URL and QR payload the setup page shows.
func (e *Emulator) BeginAuthenticator(ctx context.Context, user string) (*AuthenticatorRegistration, error) {
	return e.registrationCall(ctx, "start a Microsoft Authenticator registration for "+user, http.MethodPost, "authenticator/registrations",
		emulatorapi.BeginAuthenticatorRegistration{User: user})
}

// ActivateAuthenticator is the emulated app after scanning the QR code:
// the activation code and URL, and the name of the phone it runs on.
func (e *Emulator) ActivateAuthenticator(ctx context.Context, code, activationURL, device string) (*AuthenticatorRegistration, error) {
	return e.registrationCall(ctx, "activate the emulated Microsoft Authenticator", http.MethodPost, "authenticator/activate",
		emulatorapi.ActivateAuthenticatorApp{Code: code, URL: activationURL, DeviceName: device})
}

// NotifyAuthenticator sends the registration's test notification (again
// while it is pending: the same one comes back).
func (e *Emulator) NotifyAuthenticator(ctx context.Context, id string) (*AuthenticatorRegistration, error) {
	return e.registrationCall(ctx, "send the test notification of registration "+id, http.MethodPost,
		"authenticator/registrations/"+url.PathEscape(id)+"/notify", nil)
}

// AuthenticatorRegistration reads a registration's state; one that ended
// (denied, expired) is no error here.
func (e *Emulator) AuthenticatorRegistration(ctx context.Context, id string) (*AuthenticatorRegistration, error) {
	return e.registrationCall(ctx, "read registration "+id, http.MethodGet, "authenticator/registrations/"+url.PathEscape(id), nil)
}
