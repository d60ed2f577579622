// Package emulatorapi holds the JSON bodies of the mock's control plane
// under /_mock/ (health, clock, the emulated second factor): the mock
// serves them and graph's Emulator client reads them, both from these one
// definitions. These endpoints are mfactl's own, not Graph: no Graph
// documentation describes them; README "Mock server" does.
package emulatorapi

import (
	"time"

	"github.com/mfactl/mfactl/methods/verify"
)

// Health is the body of GET /_mock/health (and of POST /_mock/reset).
type Health struct {
	Status             string    `json:"status"`
	TenantID           string    `json:"tenantId"`
	Domain             string    `json:"domain"`
	DisplayName        string    `json:"displayName"`
	Seed               string    `json:"seed"`
	Users              int       `json:"users"`
	HardwareTokens     int       `json:"hardwareTokens"`
	Store              string    `json:"store"`
	StartedAt          time.Time `json:"startedAt"`
	UptimeSeconds      int64     `json:"uptimeSeconds"`
	Now                time.Time `json:"now"`
	ClockOffsetSeconds float64   `json:"clockOffsetSeconds"`
	Realism            Realism   `json:"realism"`
}

// Realism describes the mock's knobs in effect.
type Realism struct {
	Latency  string  `json:"latency"`
	Throttle string  `json:"throttle"`
	FailRate float64 `json:"failRate"`
	FailSeed uint64  `json:"failSeed,omitempty"`
	// StrictReports and the batch order are the fidelity knobs.
	StrictReports bool   `json:"strictReports"`
	BatchOrder    string `json:"batchOrder"`
	BatchSeed     uint64 `json:"batchSeed,omitempty"`
}

// Clock is the body of GET and POST /_mock/clock.
type Clock struct {
	Now           time.Time `json:"now"`
	RealNow       time.Time `json:"realNow"`
	OffsetSeconds float64   `json:"offsetSeconds"`
	Offset        string    `json:"offset"`
}

// Challenge is a challenge as the emulator shows it: the engine's record
// without the hashed code and without the key of a pending app enrolment,
// and the user's principal name.
type Challenge struct {
	verify.Challenge
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
}

// StartChallenge is the body of POST /_mock/verify/challenges. Method is
// the engine's name (oath, sms, voiceOtp, voice, voicePin, push,
// securityQuestions, temporaryAccessPass, email); MethodID, Kind (softwareOath or
// hardwareOath) and PhoneType narrow which of the user's methods is used.
type StartChallenge struct {
	User        string `json:"user"`
	Method      string `json:"method"`
	MethodID    string `json:"methodId,omitempty"`
	Kind        string `json:"kind,omitempty"`
	PhoneType   string `json:"phoneType,omitempty"`
	Purpose     string `json:"purpose,omitempty"`
	Transaction string `json:"transaction,omitempty"`
}

// EnrollEmail is the body of POST /_mock/enroll/email: mail a code to
// EmailAddress before it is saved as User's email method. The answer is a
// challenge, completed with POST /_mock/verify/challenges/{id}/code.
type EnrollEmail struct {
	User         string `json:"user"`
	EmailAddress string `json:"emailAddress"`
}

// DeviceToken is the body of POST .../remember: a remembered-device token,
// whose Token is the secret, shown once.
type DeviceToken struct {
	verify.DeviceToken
	Verdict *verify.Error `json:"verdict,omitempty"`
}

// DeviceCheck is the answer of a device-token check.
type DeviceCheck struct {
	Remembered bool                     `json:"remembered"`
	Device     *verify.RememberedDevice `json:"device,omitempty"`
	Verdict    *verify.Error            `json:"verdict,omitempty"`
}

// AppEnrollment is the body of POST /_mock/enroll/app: what the setup page
// shows (QR code of URI, or account name and key), shown once.
type AppEnrollment struct {
	Challenge *Challenge    `json:"challenge,omitempty"`
	URI       string        `json:"uri,omitempty"`
	Secret    string        `json:"secret,omitempty"`
	Account   string        `json:"account,omitempty"`
	Issuer    string        `json:"issuer,omitempty"`
	Verdict   *verify.Error `json:"verdict,omitempty"`
}

// OutboxMessage is one entry of the emulated outbox: the engine's message
// and its position, which `GET /_mock/outbox?after=N` continues from.
type OutboxMessage struct {
	Seq uint64 `json:"seq"`
	verify.Message
	// UserPrincipalName is filled in when the outbox is read.
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
}

// Outbox is the body of GET /_mock/outbox.
type Outbox struct {
	Value []OutboxMessage `json:"value"`
	// Cursor is the last sequence number seen; pass it as ?after= to get
	// only newer messages.
	Cursor uint64 `json:"cursor"`
}

// VerificationStatus is GET /_mock/users/{user}/verification (and the
// answer of block and unblock, where Verdict says why one was refused).
type VerificationStatus struct {
	verify.Status
	UserPrincipalName string        `json:"userPrincipalName"`
	Admin             bool          `json:"admin"`
	Verdict           *verify.Error `json:"verdict,omitempty"`
}

// CurrentCode is GET /_mock/users/{user}/code: the code the user's
// authenticator app or hardware token shows at the emulated clock. It is
// an emulator-only helper for scripted flows; nothing like it exists in
// Entra.
type CurrentCode struct {
	Code         string    `json:"code"`
	MethodID     string    `json:"methodId"`
	Kind         string    `json:"kind"`
	SerialNumber string    `json:"serialNumber,omitempty"`
	Step         uint64    `json:"step"`
	ValidUntil   time.Time `json:"validUntil"`
}

// QuestionAnswer is a security question and its answer, for registration.
type QuestionAnswer struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// Questions is the body of PUT /_mock/users/{user}/questions.
type Questions struct {
	Questions []QuestionAnswer `json:"questions"`
}

// Microsoft Authenticator registration states, in order. A registration
// waits for the app to scan its QR code (or be given its code and URL),
// then for the test notification to be sent and approved; approved,
// denied and expired are final.
const (
	RegistrationWaitingForApp    = "waitingForApp"
	RegistrationAppActivated     = "appActivated"
	RegistrationNotificationSent = "notificationSent"
	RegistrationApproved         = "approved"
	RegistrationDenied           = "denied"
	RegistrationExpired          = "expired"
)

// AuthenticatorRegistration is one Microsoft Authenticator registration
// in progress: the body of every /_mock/authenticator/ answer. The
// activation code and the QR payload are shown while the registration
// waits for the app, and wiped once the app has used them.
type AuthenticatorRegistration struct {
	ID string `json:"id"`
	// User is the user's principal name, UserID the object id.
	User           string `json:"user"`
	UserID         string `json:"userId"`
	ActivationCode string `json:"activationCode,omitempty"`
	URL            string `json:"url,omitempty"`
	QRPayload      string `json:"qrPayload,omitempty"`
	// Expires is when the registration lapses unless the test notification
	// was approved by then.
	Expires time.Time `json:"expiresAt"`
	State   string    `json:"state"`
	// Reason is why a denied or expired registration ended: the verify
	// reason of its test notification (denied, wrongNumber, fraudReported,
	// expired, ...).
	Reason verify.Reason `json:"reason,omitempty"`
	// DeviceName is the emulated phone the app runs on, once activated.
	DeviceName string `json:"deviceName,omitempty"`
	// ChallengeID is the test notification; Number is the number the page
	// shows for number matching, NotificationExpires its expiry.
	ChallengeID         string    `json:"challengeId,omitempty"`
	Number              int       `json:"number,omitempty"`
	NotificationExpires time.Time `json:"notificationExpiresAt,omitzero"`
	// MethodID is the microsoftAuthenticatorAuthenticationMethod's id: set
	// when the app is activated, and a method only once approved.
	MethodID string `json:"methodId,omitempty"`
	// Method is the new method as Graph renders it, once approved.
	Method map[string]any `json:"method,omitempty"`
	// Verdict says why an operation did not succeed (expired, denied).
	Verdict *verify.Error `json:"verdict,omitempty"`
}

// BeginAuthenticatorRegistration is the body of POST
// /_mock/authenticator/registrations.
type BeginAuthenticatorRegistration struct {
	User string `json:"user"`
}

// ActivateAuthenticatorApp is the body of POST /_mock/authenticator/activate:
// what the emulated app read from the QR code (or was typed into it). Code
// is the activation code under the key every request secret has, so
// traces and the audit log redact it.
type ActivateAuthenticatorApp struct {
	Code       string `json:"code"`
	URL        string `json:"url"`
	DeviceName string `json:"deviceName,omitempty"`
}
