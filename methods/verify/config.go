package verify

import (
	"errors"
	"fmt"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// Config holds every limit of the engine. Entra publishes few of these, so
// each is a knob (mock flags or policy); DefaultConfig documents where each
// default comes from (verification.md §6).
type Config struct {
	// OATH.
	TOTPWindow   methods.OATHWindow // steps accepted around the expected one
	HOTPWindow   methods.OATHWindow // HOTP look-ahead (Forward) and replay range (Back)
	ResyncWindow int                // steps or counters searched by Resync

	// PromptTTL is how long a prompt that sends nothing (OATH code, TAP,
	// security questions) waits for input.
	PromptTTL time.Duration
	// MaxAttempts is how many wrong inputs one challenge takes before it
	// fails (wrong code, PIN, answers). Push allows one: a wrong number
	// fails the notification at once.
	MaxAttempts int

	// One-time codes by text and voice.
	CodeDigits int
	CodeTTL    time.Duration
	// SendLimit texts (and separately SendLimit calls) per user within
	// SendWindow; 0 disables the limit.
	SendLimit  int
	SendWindow time.Duration

	// Calls. An unanswered call fails after CallRingTimeout; an answered
	// one expires CallInputTimeout after it was answered, the time the
	// greeting waits for keys.
	CallRingTimeout  time.Duration
	CallInputTimeout time.Duration
	// FraudCode is what the user presses before # to report fraud.
	FraudCode string

	PIN PINPolicy

	PushTTL time.Duration

	Questions QuestionPolicy

	// User lockout: LockoutDenials denials within LockoutWindow lock the
	// user for LockoutDuration (MFA Server's three lockout settings).
	// LockoutDenials 0 disables it.
	LockoutDenials  int
	LockoutWindow   time.Duration
	LockoutDuration time.Duration

	// Per-method fail counter: MethodMaxFailures wrong inputs on one method
	// (across challenges, reset by a success) lock that method until an
	// admin unblocks, or until MethodFailureReset has passed (0 = admin
	// only). MethodMaxFailures 0 disables it.
	MethodMaxFailures  int
	MethodFailureReset time.Duration

	// FraudAutoBlock blocks the user for BlockDuration on a fraud report;
	// BlockDuration is also the length of an admin block.
	FraudAutoBlock bool
	BlockDuration  time.Duration

	// RememberDevice allows "don't ask again" tokens, valid for
	// RememberDeviceDays (1-365). RememberGrace is how long after a
	// verification the sign-in side may still ask for the token.
	RememberDevice     bool
	RememberDeviceDays int
	RememberGrace      time.Duration

	// App enrolment: an unconfirmed enrolment expires after EnrollTTL; new
	// secrets have SecretBytes random bytes.
	EnrollTTL   time.Duration
	SecretBytes int

	// ChallengeRetention is how long finished challenges stay in the store
	// before the engine deletes them. It must cover RememberGrace, since a
	// device token is asked for by challenge id.
	ChallengeRetention time.Duration

	// Hash is the PBKDF2 cost for PINs and security-question answers.
	Hash HashParams
}

// PINPolicy is what a voice-call PIN must look like.
type PINPolicy struct {
	MinLength int
	MaxLength int
	// RejectRepeated refuses a PIN of one repeated digit (1111).
	RejectRepeated bool
	// RejectSequential refuses ascending or descending runs (1234, 9876).
	RejectSequential bool
}

// QuestionPolicy is the SSPR security-question policy.
type QuestionPolicy struct {
	// ToRegister is how many questions a user must register, ToReset how
	// many are asked at a reset (both 3-5, ToReset <= ToRegister). Users may
	// register up to Max questions.
	ToRegister int
	ToReset    int
	Max        int
	// Answer and custom question lengths, in characters.
	AnswerMinLength   int
	AnswerMaxLength   int
	QuestionMaxLength int
	// CaseSensitive compares answers exactly; by default they are compared
	// after trimming, collapsing spaces and lower-casing.
	CaseSensitive bool
}

// DefaultConfig returns the emulator defaults of verification.md §6.
func DefaultConfig() Config {
	return Config{
		TOTPWindow:   methods.DefaultTOTPWindow, // RFC 6238 §5.2: one step
		HOTPWindow:   methods.DefaultHOTPWindow, // privacyIDEA count_window 10
		ResyncWindow: methods.DefaultResyncWindow,
		PromptTTL:    5 * time.Minute, // a sign-in page session
		MaxAttempts:  3,               // Vonage stops after 3 wrong codes; Entra unpublished

		CodeDigits: 6,                 // what users are told ("6-digit code")
		CodeTTL:    180 * time.Second, // cloud MFA keeps the code 180 s (MS-FAQ-OLD)
		SendLimit:  5,                 // "try up to 5 times within 5 minutes" (MS-FAQ)
		SendWindow: 5 * time.Minute,

		CallRingTimeout:  60 * time.Second, // unpublished; EMU
		CallInputTimeout: 30 * time.Second, // greetings stay under 20 s (MS-SETTINGS)
		FraudCode:        "0",              // MS-SETTINGS default fraud code

		PIN: PINPolicy{MinLength: 4, MaxLength: 8, RejectRepeated: true, RejectSequential: true},

		PushTTL: 60 * time.Second, // unpublished; EMU

		Questions: QuestionPolicy{
			ToRegister: 3, ToReset: 3, Max: 5, // MS-SSPR-QS: 3-5
			AnswerMinLength: 3, AnswerMaxLength: 40, QuestionMaxLength: 200, // MS-SECQ
		},

		LockoutDenials:  5, // MFA Server setting names; values EMU
		LockoutWindow:   10 * time.Minute,
		LockoutDuration: 15 * time.Minute,

		MethodMaxFailures:  10, // privacyIDEA maxfail
		MethodFailureReset: 0,

		FraudAutoBlock: true,
		BlockDuration:  90 * 24 * time.Hour, // MS-SETTINGS: 90 days

		RememberDevice:     true,
		RememberDeviceDays: 30, // what the seed pages tell users
		RememberGrace:      10 * time.Minute,

		EnrollTTL:   10 * time.Minute,
		SecretBytes: methods.DefaultOATHSecretBytes,

		ChallengeRetention: 24 * time.Hour,

		Hash: DefaultHashParams,
	}
}

// Validate reports every setting that is out of range, so a mock flag
// error names all problems at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	positive := func(name string, d time.Duration) {
		if d <= 0 {
			bad("%s must be positive (got %s)", name, d)
		}
	}
	if c.TOTPWindow.Back < 0 || c.TOTPWindow.Forward < 0 || c.TOTPWindow.Back > 10 || c.TOTPWindow.Forward > 10 {
		bad("TOTP window must be 0-10 steps each way (got -%d/+%d)", c.TOTPWindow.Back, c.TOTPWindow.Forward)
	}
	if c.HOTPWindow.Forward < 1 || c.HOTPWindow.Forward > 100 || c.HOTPWindow.Back < 0 || c.HOTPWindow.Back > 100 {
		bad("HOTP window must look 1-100 ahead and 0-100 back (got %d/%d)", c.HOTPWindow.Forward, c.HOTPWindow.Back)
	}
	if c.ResyncWindow < 1 || c.ResyncWindow > 100000 {
		bad("resync window must be 1-100000 (got %d)", c.ResyncWindow)
	}
	positive("prompt TTL", c.PromptTTL)
	if c.MaxAttempts < 1 {
		bad("max attempts must be at least 1 (got %d)", c.MaxAttempts)
	}
	if c.CodeDigits < 4 || c.CodeDigits > 10 {
		bad("code digits must be 4-10 (got %d)", c.CodeDigits)
	}
	positive("code TTL", c.CodeTTL)
	if c.SendLimit < 0 {
		bad("send limit must not be negative (got %d)", c.SendLimit)
	}
	if c.SendLimit > 0 {
		positive("send window", c.SendWindow)
	}
	positive("call ring timeout", c.CallRingTimeout)
	positive("call input timeout", c.CallInputTimeout)
	if len(c.FraudCode) < 1 || len(c.FraudCode) > 3 || !allDigits(c.FraudCode) {
		bad("fraud code must be 1-3 digits (got %q)", c.FraudCode)
	}
	if c.PIN.MinLength < 4 || c.PIN.MaxLength > 16 || c.PIN.MinLength > c.PIN.MaxLength {
		bad("PIN length must be 4-16 with min <= max (got %d-%d)", c.PIN.MinLength, c.PIN.MaxLength)
	}
	if len(c.FraudCode) >= c.PIN.MinLength {
		bad("fraud code %q must be shorter than the shortest PIN", c.FraudCode)
	}
	positive("push TTL", c.PushTTL)
	q := c.Questions
	if q.ToRegister < 3 || q.ToRegister > 5 || q.ToReset < 3 || q.ToReset > 5 || q.ToReset > q.ToRegister {
		bad("security questions: register and reset counts must be 3-5 with reset <= register (got %d/%d)", q.ToRegister, q.ToReset)
	}
	if q.Max < q.ToRegister || q.Max > 20 {
		bad("security questions: max must be between the register count and 20 (got %d)", q.Max)
	}
	if q.AnswerMinLength < 1 || q.AnswerMaxLength < q.AnswerMinLength || q.AnswerMaxLength > 1000 {
		bad("security questions: answer length must be 1-1000 with min <= max (got %d-%d)", q.AnswerMinLength, q.AnswerMaxLength)
	}
	if q.QuestionMaxLength < 1 || q.QuestionMaxLength > 1000 {
		bad("security questions: question length must be 1-1000 (got %d)", q.QuestionMaxLength)
	}
	if c.LockoutDenials < 0 {
		bad("lockout denials must not be negative (got %d)", c.LockoutDenials)
	}
	if c.LockoutDenials > 0 {
		positive("lockout window", c.LockoutWindow)
		positive("lockout duration", c.LockoutDuration)
	}
	if c.MethodMaxFailures < 0 || c.MethodFailureReset < 0 {
		bad("method failure limit and reset must not be negative")
	}
	positive("block duration", c.BlockDuration)
	if c.RememberDeviceDays < 1 || c.RememberDeviceDays > 365 {
		bad("remember-device days must be 1-365 (got %d)", c.RememberDeviceDays)
	}
	positive("remember grace", c.RememberGrace)
	positive("enrol TTL", c.EnrollTTL)
	if c.SecretBytes < 10 || c.SecretBytes > 80 {
		bad("secret size must be 10-80 bytes (got %d)", c.SecretBytes)
	}
	if c.ChallengeRetention < c.RememberGrace || c.ChallengeRetention <= 0 {
		bad("challenge retention (%s) must be positive and cover the remember grace (%s)", c.ChallengeRetention, c.RememberGrace)
	}
	if err := c.Hash.validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("verification config: %w", errors.Join(errs...))
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
