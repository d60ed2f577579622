package verify

import (
	"fmt"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// Every persisted record below is a plain struct with exported fields and
// JSON tags: the mock stores them JSON-encoded in its key-value store, and
// MemStore round-trips them through JSON too, so what the tests exercise is
// what the mock persists.

// Method is the way a challenge verifies the user.
type Method string

// Verification methods.
const (
	// MethodOATH checks a code from an authenticator app, a software OATH
	// token or a hardware OATH token (TOTP, or HOTP for PSKC event tokens).
	MethodOATH Method = "oath"
	// MethodSMS texts a one-time code to the primary mobile phone.
	MethodSMS Method = "sms"
	// MethodVoiceOTP calls any phone and reads a one-time code aloud.
	MethodVoiceOTP Method = "voiceOtp"
	// MethodVoice calls a phone; the user answers and presses #.
	MethodVoice Method = "voice"
	// MethodVoicePIN calls a phone; the user enters their PIN and #.
	MethodVoicePIN Method = "voicePin"
	// MethodPush sends an Authenticator notification with number matching.
	MethodPush Method = "push"
	// MethodQuestions asks some of the user's security questions (SSPR only).
	MethodQuestions Method = "securityQuestions"
	// MethodTAP signs in with a Temporary Access Pass.
	MethodTAP Method = "temporaryAccessPass"
	// MethodEmail emails a one-time code to an address: to verify an
	// address before it is added as the email method, or to reset a
	// password. Email is never an MFA method (Entra uses it for SSPR only),
	// so it cannot sign in.
	MethodEmail Method = "email"
)

// Methods lists every method, in the order mfactl shows them.
var Methods = []Method{MethodPush, MethodOATH, MethodSMS, MethodVoiceOTP, MethodVoice, MethodVoicePIN, MethodQuestions, MethodTAP, MethodEmail}

// ParseMethod validates a method name, case-sensitively as printed.
func ParseMethod(s string) (Method, error) {
	for _, m := range Methods {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown verification method %q (want push, oath, sms, voiceOtp, voice, voicePin, securityQuestions, temporaryAccessPass or email)", s)
}

// sendsCode reports whether the method delivers a one-time code, which
// "get a new code" replaces.
func (m Method) sendsCode() bool { return m == MethodSMS || m == MethodVoiceOTP || m == MethodEmail }

// isCall reports whether the method places a call answered with keys.
func (m Method) isCall() bool { return m == MethodVoice || m == MethodVoicePIN }

// delivered reports whether starting the method sends something (a text,
// a call, a notification) that Resend can send again.
func (m Method) delivered() bool {
	return m.sendsCode() || m.isCall() || m == MethodPush
}

func (m Method) channel() Channel {
	switch m {
	case MethodSMS:
		return ChannelSMS
	case MethodVoiceOTP, MethodVoice, MethodVoicePIN:
		return ChannelVoice
	case MethodPush:
		return ChannelPush
	case MethodEmail:
		return ChannelEmail
	}
	return ""
}

// noun names what the user waits for, for messages.
func (m Method) noun() string {
	switch m {
	case MethodSMS:
		return "text message code"
	case MethodVoiceOTP:
		return "phone call code"
	case MethodVoice, MethodVoicePIN:
		return "phone call"
	case MethodPush:
		return "Authenticator notification"
	case MethodQuestions:
		return "security questions prompt"
	case MethodTAP:
		return "Temporary Access Pass prompt"
	case MethodEmail:
		return "email code"
	}
	return "verification code prompt"
}

// Purpose is why a challenge was started.
type Purpose string

// Purposes. Security questions are only for password reset; registration
// covers test authentication of a phone before it is saved and the
// confirmation of a new authenticator app.
const (
	PurposeSignIn       Purpose = "signIn"
	PurposeSSPR         Purpose = "sspr"
	PurposeRegistration Purpose = "registration"
)

// State is the state of a challenge: created -> sent -> one terminal state.
type State string

// Challenge states. Created and sent are open; every other state is final.
const (
	StateCreated       State = "created"
	StateSent          State = "sent"
	StateVerified      State = "verified"
	StateExpired       State = "expired"
	StateFailed        State = "failed"
	StateLocked        State = "locked"
	StateDenied        State = "denied"
	StateFraudReported State = "fraudReported"
	StateCanceled      State = "canceled"
)

// Open reports whether a challenge in this state still accepts input.
func (s State) Open() bool { return s == StateCreated || s == StateSent }

// Transition is one entry of a challenge's history.
type Transition struct {
	State  State     `json:"state"`
	At     time.Time `json:"at"`
	Reason Reason    `json:"reason,omitempty"`
}

// Challenge is one verification in progress or done.
type Challenge struct {
	ID          string  `json:"id"`
	UserID      string  `json:"userId"`
	Transaction string  `json:"transaction,omitempty"`
	Purpose     Purpose `json:"purpose"`
	Method      Method  `json:"method"`
	// MethodID is the tenant's id of the method (phone method id, OATH
	// method id, Authenticator registration, TAP id). Empty while a phone
	// or an app is being registered.
	MethodID string `json:"methodId,omitempty"`

	State State `json:"state"`
	// Reason is why the challenge ended, for every final state but
	// verified.
	Reason    Reason       `json:"reason,omitempty"`
	CreatedAt time.Time    `json:"createdAt"`
	ExpiresAt time.Time    `json:"expiresAt"`
	ClosedAt  time.Time    `json:"closedAt,omitzero"`
	History   []Transition `json:"history"`

	// Attempts counts wrong inputs; at MaxAttempts the challenge fails.
	Attempts    int `json:"attempts"`
	MaxAttempts int `json:"maxAttempts"`

	// Phone: the number without extension, its type, the office extension.
	PhoneNumber        string            `json:"phoneNumber,omitempty"`
	PhoneType          methods.PhoneType `json:"phoneType,omitempty"`
	Extension          string            `json:"extension,omitempty"`
	ExtensionConfirmed bool              `json:"extensionConfirmed,omitempty"`
	AnsweredAt         time.Time         `json:"answeredAt,omitzero"`
	// EmailAddress is where an email code went.
	EmailAddress string `json:"emailAddress,omitempty"`
	// CodeHash is the hashed one-time code of SMS, voice OTP and email.
	CodeHash *SecretHash `json:"codeHash,omitempty"`

	// Number is the two-digit number the sign-in screen shows for push.
	Number int `json:"number,omitempty"`

	// Questions are the security questions asked, in order; QuestionIndexes
	// are their positions in the user's registered list.
	Questions       []string `json:"questions,omitempty"`
	QuestionIndexes []int    `json:"questionIndexes,omitempty"`

	// PendingKey is the key of an authenticator app being enrolled. It is
	// wiped when the enrolment ends: the caller owns it after confirmation.
	PendingKey *methods.OATHKey `json:"pendingKey,omitempty"`
	// Step is the OATH moving factor accepted, for audit and debugging.
	Step uint64 `json:"step,omitempty"`

	// ResentFrom is the challenge this one replaced ("get a new code").
	ResentFrom string `json:"resentFrom,omitempty"`
	// ReplacedBy is the challenge that replaced this one (--resend), so a
	// code given to this one can say which to use.
	ReplacedBy string `json:"replacedBy,omitempty"`
	// DeviceIssued records that a remember-device token was issued.
	DeviceIssued bool `json:"deviceIssued,omitempty"`
}

// AttemptsLeft is how many wrong inputs the challenge still accepts.
func (c Challenge) AttemptsLeft() int {
	if !c.State.Open() {
		return 0
	}
	return max(c.MaxAttempts-c.Attempts, 0)
}

// Channel is how the emulated outbox delivers a message.
type Channel string

// Outbox channels.
const (
	ChannelSMS   Channel = "sms"
	ChannelVoice Channel = "voice"
	ChannelPush  Channel = "push"
	ChannelEmail Channel = "email"
)

// Message is one emulated text, call, notification or email. It is what the
// user's phone (or mailbox) would show or say, so SMS, voice OTP and email messages contain the
// code in clear: the outbox is the emulated phone. Push messages never
// contain the number to match, which only the sign-in screen shows.
type Message struct {
	ID          string    `json:"id"`
	UserID      string    `json:"userId"`
	ChallengeID string    `json:"challengeId"`
	At          time.Time `json:"at"`
	Channel     Channel   `json:"channel"`
	// To is the phone number (with " x<extension>" for office phones),
	// the email address, or the Authenticator registration id for push.
	To   string `json:"to"`
	Text string `json:"text"`
}

// Action is what an attempt-log entry records.
type Action string

// Actions in the attempt log.
const (
	ActionStart             Action = "start"
	ActionResend            Action = "resend"
	ActionCode              Action = "code"
	ActionAnswerCall        Action = "answerCall"
	ActionKeys              Action = "keys"
	ActionMissCall          Action = "missCall"
	ActionApprove           Action = "approve"
	ActionDeny              Action = "deny"
	ActionReportFraud       Action = "reportFraud"
	ActionAnswers           Action = "answers"
	ActionCancel            Action = "cancel"
	ActionExpire            Action = "expire"
	ActionRemember          Action = "rememberDevice"
	ActionCheckDevice       Action = "checkDevice"
	ActionRevokeSessions    Action = "revokeSessions"
	ActionBlock             Action = "block"
	ActionUnblock           Action = "unblock"
	ActionRegisterPIN       Action = "registerPin"
	ActionRemovePIN         Action = "removePin"
	ActionRegisterQuestions Action = "registerQuestions"
	ActionRemoveQuestions   Action = "removeQuestions"
)

// Attempt is one entry of the attempt log: every verification attempt,
// refused start, expiry and admin action, successful or not.
type Attempt struct {
	At          time.Time `json:"at"`
	UserID      string    `json:"userId"`
	Action      Action    `json:"action"`
	ChallengeID string    `json:"challengeId,omitempty"`
	Method      Method    `json:"method,omitempty"`
	MethodID    string    `json:"methodId,omitempty"`
	Purpose     Purpose   `json:"purpose,omitempty"`
	// State is the challenge state after the action, if there is one.
	State State `json:"state,omitempty"`
	// Reason is empty when the action succeeded.
	Reason Reason `json:"reason,omitempty"`
}

// UserState is everything the engine remembers about one user.
type UserState struct {
	UserID string `json:"userId"`
	// Lockout counts denials (wrong codes, PINs, numbers, answers, denied
	// pushes) and locks the user when they pile up.
	Lockout Lockout `json:"lockout"`
	// Block is an admin block or a fraud auto-block.
	Block Block `json:"block,omitzero"`
	// FraudReports are all fraud reports, kept after an unblock.
	FraudReports []FraudReport `json:"fraudReports,omitempty"`
	// MethodFailures counts wrong inputs per method id, across challenges.
	MethodFailures map[string]MethodFailures `json:"methodFailures,omitempty"`
	// Sends are the texts and calls placed within the rate-limit window.
	Sends []Send `json:"sends,omitempty"`
	// SessionEpoch invalidates remembered devices: revoking MFA sessions
	// increments it, and a device token is valid only for the epoch it was
	// issued in. A counter rather than a time, so a revocation and an
	// issue at the same instant (a fixed clock) are still ordered.
	SessionEpoch      int                `json:"sessionEpoch"`
	SessionsRevokedAt time.Time          `json:"sessionsRevokedAt,omitzero"`
	Devices           []RememberedDevice `json:"devices,omitempty"`
	// PIN is the hashed voice-call PIN.
	PIN      *SecretHash `json:"pin,omitempty"`
	PINSetAt time.Time   `json:"pinSetAt,omitzero"`
	// Questions are the security questions with hashed answers.
	Questions      []RegisteredQuestion `json:"questions,omitempty"`
	QuestionsSetAt time.Time            `json:"questionsSetAt,omitzero"`
	// LastVerifiedAt is the last successful sign-in verification.
	LastVerifiedAt time.Time `json:"lastVerifiedAt,omitzero"`
}

// Lockout is the user-wide denial counter (MFA Server's "number of MFA
// denials that trigger account lockout").
type Lockout struct {
	Denials       int       `json:"denials"`
	FirstDenialAt time.Time `json:"firstDenialAt,omitzero"`
	LockedUntil   time.Time `json:"lockedUntil,omitzero"`
}

// BlockReason says who blocked a user.
type BlockReason string

// Block reasons.
const (
	BlockAdmin BlockReason = "admin"
	BlockFraud BlockReason = "fraud"
)

// Block stops every MFA attempt of a user until Until or an admin unblock.
type Block struct {
	Reason      BlockReason `json:"reason"`
	At          time.Time   `json:"at"`
	Until       time.Time   `json:"until"`
	ChallengeID string      `json:"challengeId,omitempty"`
}

// Active reports whether the block applies at now.
func (b Block) Active(now time.Time) bool { return !b.Until.IsZero() && now.Before(b.Until) }

// FraudReport is one "0#" on a call or "report" on a push.
type FraudReport struct {
	At          time.Time `json:"at"`
	ChallengeID string    `json:"challengeId"`
	Method      Method    `json:"method"`
	MethodID    string    `json:"methodId,omitempty"`
}

// MethodFailures is the per-method fail counter (privacyIDEA's failcount):
// unlike the user lockout it does not reset with time, only on success,
// by an admin unblock, or after Config.MethodFailureReset past the lock.
type MethodFailures struct {
	Count    int       `json:"count"`
	LockedAt time.Time `json:"lockedAt,omitzero"`
}

// Send is one text or call, for the rate limit.
type Send struct {
	At      time.Time `json:"at"`
	Channel Channel   `json:"channel"`
}

// RememberedDevice is a "don't ask again" token, stored hashed.
type RememberedDevice struct {
	ID          string     `json:"id"`
	Token       SecretHash `json:"token"`
	IssuedAt    time.Time  `json:"issuedAt"`
	ExpiresAt   time.Time  `json:"expiresAt"`
	Epoch       int        `json:"epoch"`
	ChallengeID string     `json:"challengeId"`
	Method      Method     `json:"method"`
}

// RegisteredQuestion is a security question with its hashed answer.
type RegisteredQuestion struct {
	Question string     `json:"question"`
	Answer   SecretHash `json:"answer"`
}
