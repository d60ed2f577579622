package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
)

// EnvVerifyConfig names a JSON file of verification settings for the
// in-process mock (--mock), as `mock serve --verify-config` does.
const EnvVerifyConfig = "MFACTL_MOCK_VERIFY_CONFIG"

// verifySettings is the JSON form of verify.Config that people write: every
// field optional (the engine's default stays), durations as "180s", "15m",
// "90d". Unknown fields are refused, so a typo is an error, not a default.
type verifySettings struct {
	TOTPWindow *struct {
		Back    int `json:"back"`
		Forward int `json:"forward"`
	} `json:"totpWindow"`
	PromptTTL        *string `json:"promptTtl"`
	MaxAttempts      *int    `json:"maxAttempts"`
	CodeDigits       *int    `json:"codeDigits"`
	CodeTTL          *string `json:"codeTtl"`
	SendLimit        *int    `json:"sendLimit"`
	SendWindow       *string `json:"sendWindow"`
	CallRingTimeout  *string `json:"callRingTimeout"`
	CallInputTimeout *string `json:"callInputTimeout"`
	FraudCode        *string `json:"fraudCode"`
	PIN              *struct {
		MinLength        *int  `json:"minLength"`
		MaxLength        *int  `json:"maxLength"`
		RejectRepeated   *bool `json:"rejectRepeated"`
		RejectSequential *bool `json:"rejectSequential"`
	} `json:"pin"`
	PushTTL   *string `json:"pushTtl"`
	Questions *struct {
		ToRegister        *int  `json:"toRegister"`
		ToReset           *int  `json:"toReset"`
		Max               *int  `json:"max"`
		AnswerMinLength   *int  `json:"answerMinLength"`
		AnswerMaxLength   *int  `json:"answerMaxLength"`
		QuestionMaxLength *int  `json:"questionMaxLength"`
		CaseSensitive     *bool `json:"caseSensitive"`
	} `json:"questions"`
	LockoutDenials     *int    `json:"lockoutDenials"`
	LockoutWindow      *string `json:"lockoutWindow"`
	LockoutDuration    *string `json:"lockoutDuration"`
	MethodMaxFailures  *int    `json:"methodMaxFailures"`
	MethodFailureReset *string `json:"methodFailureReset"`
	FraudAutoBlock     *bool   `json:"fraudAutoBlock"`
	BlockDuration      *string `json:"blockDuration"`
	RememberDevice     *bool   `json:"rememberDevice"`
	RememberDeviceDays *int    `json:"rememberDeviceDays"`
	RememberGrace      *string `json:"rememberGrace"`
	EnrollTTL          *string `json:"enrollTtl"`
	ChallengeRetention *string `json:"challengeRetention"`
	HashIterations     *int    `json:"hashIterations"`
}

// ParseVerifyConfig reads verification settings (JSON, every field
// optional) over base and validates the result, naming every problem.
func ParseVerifyConfig(data []byte, base verify.Config) (verify.Config, error) {
	var s verifySettings
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return base, fmt.Errorf("verification settings are not a JSON object of known fields: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return base, fmt.Errorf("verification settings must be one JSON object")
	}
	c := base
	var errs []string
	dur := func(name string, v *string, dst *time.Duration) {
		if v == nil {
			return
		}
		d, err := ParseClockDuration(*v)
		if err != nil {
			errs = append(errs, name+": "+err.Error())
			return
		}
		*dst = d
	}
	setInt := func(v *int, dst *int) {
		if v != nil {
			*dst = *v
		}
	}
	setBool := func(v *bool, dst *bool) {
		if v != nil {
			*dst = *v
		}
	}
	if s.TOTPWindow != nil {
		c.TOTPWindow = methods.OATHWindow{Back: s.TOTPWindow.Back, Forward: s.TOTPWindow.Forward}
	}
	dur("promptTtl", s.PromptTTL, &c.PromptTTL)
	setInt(s.MaxAttempts, &c.MaxAttempts)
	setInt(s.CodeDigits, &c.CodeDigits)
	dur("codeTtl", s.CodeTTL, &c.CodeTTL)
	setInt(s.SendLimit, &c.SendLimit)
	dur("sendWindow", s.SendWindow, &c.SendWindow)
	dur("callRingTimeout", s.CallRingTimeout, &c.CallRingTimeout)
	dur("callInputTimeout", s.CallInputTimeout, &c.CallInputTimeout)
	if s.FraudCode != nil {
		c.FraudCode = *s.FraudCode
	}
	if p := s.PIN; p != nil {
		setInt(p.MinLength, &c.PIN.MinLength)
		setInt(p.MaxLength, &c.PIN.MaxLength)
		setBool(p.RejectRepeated, &c.PIN.RejectRepeated)
		setBool(p.RejectSequential, &c.PIN.RejectSequential)
	}
	dur("pushTtl", s.PushTTL, &c.PushTTL)
	if q := s.Questions; q != nil {
		setInt(q.ToRegister, &c.Questions.ToRegister)
		setInt(q.ToReset, &c.Questions.ToReset)
		setInt(q.Max, &c.Questions.Max)
		setInt(q.AnswerMinLength, &c.Questions.AnswerMinLength)
		setInt(q.AnswerMaxLength, &c.Questions.AnswerMaxLength)
		setInt(q.QuestionMaxLength, &c.Questions.QuestionMaxLength)
		setBool(q.CaseSensitive, &c.Questions.CaseSensitive)
	}
	setInt(s.LockoutDenials, &c.LockoutDenials)
	dur("lockoutWindow", s.LockoutWindow, &c.LockoutWindow)
	dur("lockoutDuration", s.LockoutDuration, &c.LockoutDuration)
	setInt(s.MethodMaxFailures, &c.MethodMaxFailures)
	dur("methodFailureReset", s.MethodFailureReset, &c.MethodFailureReset)
	setBool(s.FraudAutoBlock, &c.FraudAutoBlock)
	dur("blockDuration", s.BlockDuration, &c.BlockDuration)
	setBool(s.RememberDevice, &c.RememberDevice)
	setInt(s.RememberDeviceDays, &c.RememberDeviceDays)
	dur("rememberGrace", s.RememberGrace, &c.RememberGrace)
	dur("enrollTtl", s.EnrollTTL, &c.EnrollTTL)
	dur("challengeRetention", s.ChallengeRetention, &c.ChallengeRetention)
	setInt(s.HashIterations, &c.Hash.Iterations)
	if len(errs) > 0 {
		return base, fmt.Errorf("verification settings: %s", strings.Join(errs, "; "))
	}
	if err := c.Validate(); err != nil {
		return base, err
	}
	return c, nil
}

// LoadVerifyConfig reads a settings file over the engine's defaults.
func LoadVerifyConfig(path string) (verify.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return verify.Config{}, fmt.Errorf("verification settings: %w", err)
	}
	c, err := ParseVerifyConfig(b, verify.DefaultConfig())
	if err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// VerifyConfigFromEnv reads the file named by MFACTL_MOCK_VERIFY_CONFIG,
// or returns nil (the defaults) when it is unset.
func VerifyConfigFromEnv(getenv func(string) string) (*verify.Config, error) {
	path := getenv(EnvVerifyConfig)
	if path == "" {
		return nil, nil
	}
	c, err := LoadVerifyConfig(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvVerifyConfig, err)
	}
	return &c, nil
}
