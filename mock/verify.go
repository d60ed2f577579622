package mock

import (
	"encoding/hex"
	"errors"
	"github.com/mfactl/mfactl/internal/emulatorapi"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
	"github.com/mfactl/mfactl/mock/store"
)

// The emulated second factor (issue 6): the verification engine
// (methods/verify) runs inside the mock against the tenant, under /_mock/.
// The mock's part is to resolve each method's credential from the tenant
// (OATH secrets and state, phone numbers, the TAP hash, the admin flag),
// run one engine call per request in one transaction, and write back what
// the engine says to persist (OATH state after an accepted code, the new
// app or phone method after an enrolment, a used one-time pass).
//
// HTTP semantics follow the engine's transaction rule: an HTTP error means
// the request was not processed and nothing changed; a 200 means it was,
// and may carry a verdict (wrong code, locked, blocked, ...) whose reason
// says why the verification did not succeed. Every challenge in a response
// is the engine's record without its secrets (code hash, enrolment key).

func (s *Server) verifyRoutes(c *controlRouter) {
	c.admin("POST", "/verify/challenges", s.mockStartChallenge)
	c.admin("GET", "/verify/challenges/{id}", s.mockPollChallenge)
	c.admin("POST", "/verify/challenges/{id}/code", s.mockSubmitCode)
	c.admin("POST", "/verify/challenges/{id}/keys", s.mockPressKeys)
	c.admin("POST", "/verify/challenges/{id}/answer", s.mockAnswerCall)
	c.admin("POST", "/verify/challenges/{id}/miss", s.mockMissCall)
	c.admin("POST", "/verify/challenges/{id}/answers", s.mockAnswerQuestions)
	c.admin("POST", "/verify/challenges/{id}/resend", s.mockResend)
	c.admin("POST", "/verify/challenges/{id}/cancel", s.mockCancel)
	c.admin("POST", "/verify/challenges/{id}/remember", s.mockRemember)
	c.admin("POST", "/enroll/app", s.mockEnrollApp)
	c.admin("POST", "/enroll/app/confirm", s.mockConfirmApp)
	c.admin("POST", "/enroll/phone", s.mockEnrollPhone)
	c.admin("POST", "/enroll/email", s.mockEnrollEmail)
	c.admin("GET", "/outbox", s.mockOutbox)
	c.admin("GET", "/users/{user}/verification", s.mockVerifyStatus)
	c.admin("GET", "/users/{user}/attempts", s.mockAttempts)
	c.admin("GET", "/users/{user}/code", s.mockCurrentCode)
	c.admin("PUT", "/users/{user}/pin", s.mockRegisterPIN)
	c.admin("DELETE", "/users/{user}/pin", s.mockRemovePIN)
	c.admin("PUT", "/users/{user}/questions", s.mockRegisterQuestions)
	c.admin("DELETE", "/users/{user}/questions", s.mockRemoveQuestions)
	c.admin("POST", "/users/{user}/block", s.mockBlock)
	c.admin("POST", "/users/{user}/unblock", s.mockUnblock)
	c.admin("POST", "/users/{user}/devices/check", s.mockCheckDevice)
	c.admin("GET", "/users/{user}/device/pending", s.mockPendingPushes)
	c.admin("POST", "/users/{user}/device/approve", s.mockDevice("approve"))
	c.admin("POST", "/users/{user}/device/deny", s.mockDevice("deny"))
	c.admin("POST", "/users/{user}/device/report", s.mockDevice("report"))
}

// newVerifyEngine builds the engine on the server's emulated clock. It is
// bound to a transaction per request; the store given here is never used.
func newVerifyEngine(cfg *verify.Config, now func() time.Time) (*verify.Engine, error) {
	c := verify.DefaultConfig()
	if cfg != nil {
		c = *cfg
	}
	return verify.New(verifyStore{}, c, verify.WithClock(now))
}

// VerifyConfig is the verification engine's configuration.
func (s *Server) VerifyConfig() verify.Config { return s.verify.Config() }

// verifyTx runs fn in one write transaction with the engine bound to it.
// An *verify.Error is the engine's verdict: the store was updated, so the
// transaction commits and the verdict is returned. Any other error rolls
// the whole request back.
func (s *Server) verifyTx(fn func(tx store.Tx, e *verify.Engine) error) (*verify.Error, error) {
	var verdict *verify.Error
	err := s.store.Update(func(tx store.Tx) error {
		verdict = nil
		err := fn(tx, s.verify.WithStore(verifyStore{tx}))
		var ve *verify.Error
		if errors.As(err, &ve) {
			verdict = ve
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return verdict, nil
}

// ChallengeView is a challenge as the emulator shows it: the engine's
// record without the hashed code and without the key of a pending app
// enrolment.
type ChallengeView = emulatorapi.Challenge

func viewChallenge(c verify.Challenge, upn string) *ChallengeView {
	if c.ID == "" {
		return nil
	}
	c.CodeHash, c.PendingKey = nil, nil
	return &ChallengeView{Challenge: c, UserPrincipalName: upn}
}

// VerifyResponse is the body of every challenge operation.
type VerifyResponse struct {
	Challenge *ChallengeView `json:"challenge,omitempty"`
	// Verdict is set when the verification did not succeed (or, on a
	// poll, when the challenge ended without success).
	Verdict *verify.Error `json:"verdict,omitempty"`
	// Method is the method an enrolment just created (an authenticator
	// app or a phone), as Graph renders it.
	Method map[string]any `json:"method,omitempty"`
}

// verifyResult finishes a challenge operation: the view, the verdict, and
// the persistence of what the engine returned when it succeeded.
func (s *Server) finishResult(tx store.Tx, u *userRecord, res verify.Result, opErr error, out *VerifyResponse) error {
	out.Challenge = viewChallenge(res.Challenge, u.UPN)
	if opErr != nil {
		return opErr
	}
	return s.persistResult(tx, u, res, out)
}

// persistResult writes back what a successful engine call asks the caller
// to keep: the OATH state (replay protection), the new authenticator app,
// the used one-time pass, and the phone whose test authentication passed.
func (s *Server) persistResult(tx store.Tx, u *userRecord, res verify.Result, out *VerifyResponse) error {
	c := res.Challenge
	now := s.now().UTC()
	if res.Enrolled != nil {
		ms, err := userMethods(tx, u.ID)
		if err != nil {
			return err
		}
		if err := checkOathAndAppLimit(ms); err != nil {
			return err
		}
		id, err := newGUID()
		if err != nil {
			return err
		}
		created := now.Truncate(time.Second)
		rec := &methodRecord{UserID: u.ID, OathSecret: string(res.Enrolled.Secret), OathState: res.OATH,
			Method: methods.Method{ID: id, Kind: methods.KindSoftwareOath, Created: &created}}
		if err := putMethod(tx, rec); err != nil {
			return err
		}
		out.Method = renderMethod(rec, false)
		return nil
	}
	if res.OATH != nil && c.MethodID != "" {
		m, found, err := getMethod(tx, u.ID, c.MethodID)
		if err != nil || !found {
			return err
		}
		if m.Kind == methods.KindHardwareOath {
			t, found, err := getToken(tx, m.TokenID)
			if err != nil || !found {
				return err
			}
			t.OATH, t.LastUsed = *res.OATH, &now
			return putToken(tx, t)
		}
		m.OathState = res.OATH
		return putMethod(tx, m)
	}
	if !res.TAPUsedAt.IsZero() && c.MethodID != "" {
		m, found, err := getMethod(tx, u.ID, c.MethodID)
		if err != nil || !found {
			return err
		}
		usable := false
		m.MethodUsabilityReason, m.IsUsable = string(verify.TAPOneTimeUsed), &usable
		return putMethod(tx, m)
	}
	if c.Method == verify.MethodPush && c.Purpose == verify.PurposeRegistration {
		return s.persistRegistrationPush(tx, u, c, out)
	}
	if c.State == verify.StateVerified && c.Purpose == verify.PurposeRegistration && c.Method == verify.MethodEmail {
		ms, err := userMethods(tx, u.ID)
		if err != nil {
			return err
		}
		rec, err := addEmail(tx, u, ms, c.EmailAddress)
		if err != nil {
			return err
		}
		out.Method = renderMethod(rec, false)
		return nil
	}
	if c.State == verify.StateVerified && c.Purpose == verify.PurposeRegistration && c.PhoneNumber != "" {
		ms, err := userMethods(tx, u.ID)
		if err != nil {
			return err
		}
		number := c.PhoneNumber
		if c.Extension != "" {
			number += "x" + c.Extension
		}
		rec, err := addPhone(tx, u, ms, number, c.PhoneType)
		if err != nil {
			return err
		}
		out.Method = renderMethod(rec, false)
	}
	return nil
}

// startBody is POST /_mock/verify/challenges.
type startBody = emulatorapi.StartChallenge

func (s *Server) mockStartChallenge(r *request) (*response, error) {
	var b startBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	method, err := verify.ParseMethod(b.Method)
	if err != nil {
		return nil, errBadRequest(codeBadBody, "%s.", capitalise(err.Error()))
	}
	purpose := verify.Purpose(b.Purpose)
	if purpose == "" && method == verify.MethodQuestions {
		purpose = verify.PurposeSSPR // security questions only reset passwords
	}
	if method == verify.MethodEmail && purpose == verify.PurposeRegistration {
		// A new address is verified by POST /_mock/enroll/email; this
		// route challenges the registered one.
		return nil, errBadRequest(codeBadBody, "An email address is verified for registration with POST /_mock/enroll/email.")
	}
	var out VerifyResponse
	verdict, err := s.verifyTx(func(tx store.Tx, e *verify.Engine) error {
		u, err := getUser(tx, b.User)
		if err != nil {
			return err
		}
		cred, err := s.resolveCredential(tx, u, method, b.MethodID, b.Kind, b.PhoneType)
		if err != nil {
			return err
		}
		res, err := e.Start(verify.StartRequest{UserID: u.ID, Admin: u.isAdmin(), Method: method, Purpose: purpose,
			Transaction: b.Transaction, Credential: cred})
		return s.finishResult(tx, u, res, err, &out)
	})
	if err != nil {
		return nil, err
	}
	out.Verdict = verdict
	return ok(out)
}

// resolveCredential finds the method a challenge is for and what the
// engine needs of it. methodID picks one; otherwise kind (OATH:
// softwareOath or hardwareOath) or phoneType narrows the choice, and the
// first fitting method is used.
func (s *Server) resolveCredential(tx store.Tx, u *userRecord, method verify.Method, methodID, kind, phoneType string) (verify.Credential, error) {
	ms, err := userMethods(tx, u.ID)
	if err != nil {
		return verify.Credential{}, err
	}
	pick := func(what string, fits func(m methodRecord) bool) (*methodRecord, error) {
		for i := range ms {
			if fits(ms[i]) && (methodID == "" || strings.EqualFold(ms[i].ID, methodID)) {
				return &ms[i], nil
			}
		}
		if methodID != "" {
			return nil, errNotFound("User '%s' has no %s with id '%s'.", u.UPN, what, methodID)
		}
		return nil, errNotFound("User '%s' has no %s registered.", u.UPN, what)
	}
	switch method {
	case verify.MethodOATH:
		if kind != "" && kind != string(methods.KindSoftwareOath) && kind != string(methods.KindHardwareOath) {
			return verify.Credential{}, errBadRequest(codeBadBody, "kind must be softwareOath or hardwareOath, not '%s'.", kind)
		}
		var m *methodRecord
		for _, k := range []methods.Kind{methods.KindSoftwareOath, methods.KindHardwareOath} {
			if kind != "" && string(k) != kind {
				continue
			}
			if m, err = pick("OATH token", func(m methodRecord) bool { return m.Kind == k }); err == nil {
				break
			}
		}
		if m == nil {
			return verify.Credential{}, err
		}
		return oathCredential(tx, u, m)
	case verify.MethodSMS, verify.MethodVoiceOTP, verify.MethodVoice, verify.MethodVoicePIN:
		var want methods.PhoneType
		if phoneType != "" {
			if want, err = parsePhoneType(phoneType); err != nil {
				return verify.Credential{}, err
			}
		}
		if method == verify.MethodSMS && want == "" && methodID == "" {
			want = methods.PhoneMobile // texts go to the mobile phone only
		}
		var m *methodRecord
		for _, t := range methods.PhoneTypes {
			if want != "" && t != want {
				continue
			}
			if m, err = pick(string(t)+" phone", func(m methodRecord) bool { return m.Kind == methods.KindPhone && m.PhoneType == t }); err == nil {
				break
			}
		}
		if m == nil {
			if want == "" {
				return verify.Credential{}, errNotFound("User '%s' has no phone registered.", u.UPN)
			}
			return verify.Credential{}, err
		}
		return verify.Credential{MethodID: m.ID, PhoneNumber: m.PhoneNumber, PhoneType: m.PhoneType}, nil
	case verify.MethodPush:
		m, err := pick("Microsoft Authenticator", func(m methodRecord) bool { return m.Kind == methods.KindAuthenticator })
		if err != nil {
			return verify.Credential{}, err
		}
		return verify.Credential{MethodID: m.ID}, nil
	case verify.MethodEmail:
		// A password reset code goes to the registered address.
		m, err := pick("email method", func(m methodRecord) bool { return m.Kind == methods.KindEmail })
		if err != nil {
			return verify.Credential{}, err
		}
		return verify.Credential{MethodID: m.ID, EmailAddress: m.EmailAddress}, nil
	case verify.MethodTAP:
		m, err := pick("Temporary Access Pass", func(m methodRecord) bool { return m.Kind == methods.KindTemporaryAccess })
		if err != nil {
			return verify.Credential{}, err
		}
		tap, err := tapCredential(m)
		if err != nil {
			return verify.Credential{}, err
		}
		return verify.Credential{MethodID: m.ID, TAP: tap}, nil
	}
	return verify.Credential{}, nil // security questions live in the engine
}

// oathCredential builds the key and state of a software or hardware OATH
// method. A hardware token verifies only once activated.
func oathCredential(tx store.Tx, u *userRecord, m *methodRecord) (verify.Credential, error) {
	key, state, _, err := oathKeyOf(tx, u, m)
	if err != nil {
		return verify.Credential{}, err
	}
	return verify.Credential{MethodID: m.ID, OATH: &verify.OATHCredential{Key: key, State: state}}, nil
}

// oathKeyOf returns the key and state of an OATH method, and the token
// behind a hardware method.
func oathKeyOf(tx store.Tx, u *userRecord, m *methodRecord) (methods.OATHKey, methods.OATHState, *tokenRecord, error) {
	var state methods.OATHState
	switch m.Kind {
	case methods.KindSoftwareOath:
		secret, err := methods.ParseOATHSecret(m.OathSecret)
		if err != nil {
			return methods.OATHKey{}, state, nil, newError(http.StatusConflict, codeBadRequest, "The software OATH method '%s' of '%s' has no usable secret in the emulator (it was created without one).", m.ID, u.UPN)
		}
		if m.OathState != nil {
			state = *m.OathState
		}
		return methods.NewTOTPKey(secret), state, nil, nil
	case methods.KindHardwareOath:
		t, found, err := getToken(tx, m.TokenID)
		if err != nil {
			return methods.OATHKey{}, state, nil, err
		}
		if !found {
			return methods.OATHKey{}, state, nil, errNotFound("The hardware OATH method '%s' of '%s' has no token.", m.ID, u.UPN)
		}
		if t.Status != methods.TokenActivated {
			return methods.OATHKey{}, state, t, newError(http.StatusConflict, codeBadRequest, "The hardware token %s is %s, not activated: activate it with its current code first.", t.SerialNumber, t.Status)
		}
		secret, err := methods.ParseOATHSecret(t.Secret)
		if err != nil {
			return methods.OATHKey{}, state, t, newError(http.StatusConflict, codeBadRequest, "The hardware token %s has no usable secret.", t.SerialNumber)
		}
		key := methods.NewTOTPKey(secret)
		if t.TimeIntervalInSeconds != 0 {
			key.Period = t.TimeIntervalInSeconds
		}
		if strings.EqualFold(t.HashFunction, "hmacsha256") {
			key.Algorithm = methods.OATHSHA256
		}
		state = t.OATH
		return key, state, t, nil
	}
	return methods.OATHKey{}, state, nil, errBadRequest(codeBadBody, "Method '%s' is not an OATH method.", m.ID)
}

// tapCredential converts the mock's stored pass. hashPass is SHA-256 over
// salt, a NUL byte and the pass: the engine's salted SHA-256 with the salt
// and the NUL as its salt, so the engine checks passes the mock created.
func tapCredential(m *methodRecord) (*verify.TAPCredential, error) {
	salt, sum, ok := strings.Cut(m.PassHash, ":")
	raw, err := hex.DecodeString(sum)
	if !ok || err != nil || m.StartDateTime == nil {
		return nil, newError(http.StatusConflict, codeBadRequest, "The Temporary Access Pass '%s' has no usable hash in the emulator.", m.ID)
	}
	t := &verify.TAPCredential{
		Hash:            verify.SecretHash{Alg: verify.HashSHA256, Salt: []byte(salt + "\x00"), Sum: raw},
		Start:           *m.StartDateTime,
		LifetimeMinutes: m.LifetimeInMinutes,
		UsableOnce:      m.IsUsableOnce != nil && *m.IsUsableOnce,
	}
	if m.MethodUsabilityReason == string(verify.TAPOneTimeUsed) {
		t.UsedAt = *m.StartDateTime // used; when exactly does not matter
	}
	return t, nil
}

// challengeOp loads a challenge and its user and runs op in one engine
// transaction. An unknown challenge id is a 404: nothing to change.
func (s *Server) challengeOp(r *request, op func(tx store.Tx, e *verify.Engine, c verify.Challenge, u *userRecord) (verify.Result, error)) (*response, error) {
	var out VerifyResponse
	verdict, err := s.verifyTx(func(tx store.Tx, e *verify.Engine) error {
		c, u, err := loadChallenge(tx, r.params["id"])
		if err != nil {
			return err
		}
		res, err := op(tx, e, c, u)
		return s.finishResult(tx, u, res, err, &out)
	})
	if err != nil {
		return nil, err
	}
	out.Verdict = verdict
	return ok(out)
}

func loadChallenge(tx store.Tx, id string) (verify.Challenge, *userRecord, error) {
	c, err := verifyStore{tx}.GetChallenge(id)
	if errors.Is(err, verify.ErrNotFound) {
		return c, nil, errNotFound("The emulator has no challenge '%s' (finished challenges are kept for a day).", id)
	}
	if err != nil {
		return c, nil, err
	}
	u, err := getUser(tx, c.UserID)
	return c, u, err
}

func (s *Server) mockPollChallenge(r *request) (*response, error) {
	var out VerifyResponse
	_, err := s.verifyTx(func(tx store.Tx, e *verify.Engine) error {
		_, u, err := loadChallenge(tx, r.params["id"])
		if err != nil {
			return err
		}
		c, err := e.Challenge(r.params["id"])
		if err != nil {
			return err
		}
		out.Challenge = viewChallenge(c, u.UPN)
		var ve *verify.Error
		if errors.As(verify.ChallengeError(c), &ve) {
			out.Verdict = ve
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ok(out)
}

// codeBody is POST .../code and /_mock/enroll/app/confirm.
type codeBody struct {
	Code        string `json:"code"`
	User        string `json:"user"`
	ChallengeID string `json:"challengeId"`
}

func (s *Server) mockSubmitCode(r *request) (*response, error) {
	var b codeBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	return s.challengeOp(r, func(tx store.Tx, e *verify.Engine, c verify.Challenge, u *userRecord) (verify.Result, error) {
		return s.submitCode(tx, e, c, u, b.Code)
	})
}

// submitCode checks the enrolment rules first (so a code is not spent on
// an app or phone that could not be saved), then submits the code with the
// credential of the method the challenge is for.
func (s *Server) submitCode(tx store.Tx, e *verify.Engine, c verify.Challenge, u *userRecord, code string) (verify.Result, error) {
	if err := checkEnrollmentRules(tx, u, c); err != nil {
		return verify.Result{Challenge: c}, err
	}
	var cred *verify.Credential
	if c.Purpose != verify.PurposeRegistration && (c.Method == verify.MethodOATH || c.Method == verify.MethodTAP) && c.State.Open() {
		m, found, err := getMethod(tx, u.ID, c.MethodID)
		if err != nil {
			return verify.Result{Challenge: c}, err
		}
		if !found {
			return verify.Result{Challenge: c}, errNotFound("The method '%s' of this challenge was removed from '%s'.", c.MethodID, u.UPN)
		}
		var got verify.Credential
		if c.Method == verify.MethodOATH {
			got, err = oathCredential(tx, u, m)
		} else {
			var tap *verify.TAPCredential
			tap, err = tapCredential(m)
			got = verify.Credential{MethodID: m.ID, TAP: tap}
		}
		if err != nil {
			return verify.Result{Challenge: c}, err
		}
		cred = &got
	}
	return e.SubmitCode(c.ID, code, cred)
}

// checkEnrollmentRules refuses, before the code is checked, an enrolment
// whose method could not be added any more: a sixth OATH or app method, or
// a phone type the user got meanwhile.
func checkEnrollmentRules(tx store.Tx, u *userRecord, c verify.Challenge) error {
	if c.Purpose != verify.PurposeRegistration || !c.State.Open() {
		return nil
	}
	ms, err := userMethods(tx, u.ID)
	if err != nil {
		return err
	}
	if c.PendingKey != nil {
		return checkOathAndAppLimit(ms)
	}
	if c.PhoneNumber != "" {
		return checkPhoneAdd(ms, c.PhoneType)
	}
	if c.Method == verify.MethodEmail {
		return checkEmailAdd(ms)
	}
	return nil
}

// keysBody is POST .../keys: the key presses on the emulated phone.
type keysBody struct {
	Keys string `json:"keys"`
}

func (s *Server) mockPressKeys(r *request) (*response, error) {
	var b keysBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	return s.challengeOp(r, func(tx store.Tx, e *verify.Engine, c verify.Challenge, u *userRecord) (verify.Result, error) {
		if err := checkEnrollmentRules(tx, u, c); err != nil {
			return verify.Result{Challenge: c}, err
		}
		return e.PressKeys(c.ID, b.Keys)
	})
}

func (s *Server) mockAnswerCall(r *request) (*response, error) {
	return s.challengeOp(r, func(_ store.Tx, e *verify.Engine, c verify.Challenge, _ *userRecord) (verify.Result, error) {
		return e.AnswerCall(c.ID)
	})
}

func (s *Server) mockMissCall(r *request) (*response, error) {
	return s.challengeOp(r, func(_ store.Tx, e *verify.Engine, c verify.Challenge, _ *userRecord) (verify.Result, error) {
		return e.MissCall(c.ID)
	})
}

// answersBody is POST .../answers: one answer per question asked, in order.
type answersBody struct {
	Answers []string `json:"answers"`
}

func (s *Server) mockAnswerQuestions(r *request) (*response, error) {
	var b answersBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	return s.challengeOp(r, func(_ store.Tx, e *verify.Engine, c verify.Challenge, _ *userRecord) (verify.Result, error) {
		return e.AnswerQuestions(c.ID, b.Answers)
	})
}

func (s *Server) mockResend(r *request) (*response, error) {
	return s.challengeOp(r, func(tx store.Tx, e *verify.Engine, c verify.Challenge, u *userRecord) (verify.Result, error) {
		if err := checkEnrollmentRules(tx, u, c); err != nil {
			return verify.Result{Challenge: c}, err
		}
		return e.Resend(c.ID)
	})
}

func (s *Server) mockCancel(r *request) (*response, error) {
	return s.challengeOp(r, func(_ store.Tx, e *verify.Engine, c verify.Challenge, _ *userRecord) (verify.Result, error) {
		return e.Cancel(c.ID)
	})
}

// RememberedDeviceToken is the body of POST .../remember: the device token,
// shown once.
type RememberedDeviceToken = emulatorapi.DeviceToken

func (s *Server) mockRemember(r *request) (*response, error) {
	var out RememberedDeviceToken
	verdict, err := s.verifyTx(func(tx store.Tx, e *verify.Engine) error {
		if _, _, err := loadChallenge(tx, r.params["id"]); err != nil {
			return err
		}
		tok, err := e.RememberDevice(r.params["id"])
		out.DeviceToken = tok
		return err
	})
	if err != nil {
		return nil, err
	}
	out.Verdict = verdict
	return ok(out)
}

// AppEnrollment is the body of POST /_mock/enroll/app.
type AppEnrollment = emulatorapi.AppEnrollment

// enrollAppBody is POST /_mock/enroll/app.
type enrollAppBody struct {
	User    string `json:"user"`
	Account string `json:"account"`
	Issuer  string `json:"issuer"`
}

func (s *Server) mockEnrollApp(r *request) (*response, error) {
	var b enrollAppBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	var out AppEnrollment
	verdict, err := s.verifyTx(func(tx store.Tx, e *verify.Engine) error {
		// Refused before a secret is shown that could never be saved.
		u, err := userWhoMayAdd(tx, b.User, checkOathAndAppLimit)
		if err != nil {
			return err
		}
		account := b.Account
		if account == "" {
			account = u.UPN
		}
		en, err := e.StartAppEnrollment(verify.AppEnrollmentRequest{UserID: u.ID, Account: account, Issuer: b.Issuer})
		if err != nil {
			return err
		}
		issuer := b.Issuer
		if issuer == "" {
			issuer = methods.OATHIssuer
		}
		out = AppEnrollment{Challenge: viewChallenge(en.Challenge, u.UPN), URI: en.URI, Secret: string(en.Secret), Account: account, Issuer: issuer}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Verdict = verdict
	return ok(out)
}

// mockConfirmApp confirms the user's pending app enrolment (the given one,
// or the newest) with the first code the app shows.
func (s *Server) mockConfirmApp(r *request) (*response, error) {
	var b codeBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	var out VerifyResponse
	verdict, err := s.verifyTx(func(tx store.Tx, e *verify.Engine) error {
		u, err := getUser(tx, b.User)
		if err != nil {
			return err
		}
		cs, err := e.Challenges(u.ID)
		if err != nil {
			return err
		}
		var pending *verify.Challenge
		for i := len(cs) - 1; i >= 0; i-- {
			c := cs[i]
			if c.Purpose == verify.PurposeRegistration && c.Method == verify.MethodOATH && (b.ChallengeID == "" || c.ID == b.ChallengeID) {
				pending = &c
				break
			}
		}
		if pending == nil || (b.ChallengeID == "" && !pending.State.Open()) {
			return errNotFound("User '%s' has no pending authenticator app enrolment to confirm: start an enrolment first.", u.UPN)
		}
		res, err := s.submitCode(tx, e, *pending, u, b.Code)
		return s.finishResult(tx, u, res, err, &out)
	})
	if err != nil {
		return nil, err
	}
	out.Verdict = verdict
	return ok(out)
}

// userWhoMayAdd reads user ref, refused with check's error when their
// methods leave no room for the method being enrolled (checked before a
// code or secret is sent for it).
func userWhoMayAdd(tx store.Tx, ref string, check func([]methodRecord) error) (*userRecord, error) {
	u, err := getUser(tx, ref)
	if err != nil {
		return nil, err
	}
	ms, err := userMethods(tx, u.ID)
	if err != nil {
		return nil, err
	}
	if err := check(ms); err != nil {
		return nil, err
	}
	return u, nil
}

// startRegistration starts the user's registration test by method with
// the credential being added, into out (finishResult).
func (s *Server) startRegistration(tx store.Tx, e *verify.Engine, u *userRecord, method verify.Method, cred verify.Credential, out *VerifyResponse) error {
	res, err := e.Start(verify.StartRequest{UserID: u.ID, Admin: u.isAdmin(), Method: method, Purpose: verify.PurposeRegistration, Credential: cred})
	return s.finishResult(tx, u, res, err, out)
}

// enrollPhoneBody is POST /_mock/enroll/phone: test-authenticate a number
// before it is saved, by text (sms), by a call answered with # (voice), or
// by a call that reads a code (voiceOtp).
type enrollPhoneBody struct {
	User        string `json:"user"`
	PhoneNumber string `json:"phoneNumber"`
	PhoneType   string `json:"phoneType"`
	Method      string `json:"method"`
}

func (s *Server) mockEnrollPhone(r *request) (*response, error) {
	var b enrollPhoneBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	t, err := parsePhoneType(b.PhoneType)
	if err != nil {
		return nil, err
	}
	if err := methods.ValidEntraFormat(b.PhoneNumber, t); err != nil {
		return nil, phoneFormatError(err)
	}
	method := verify.MethodSMS
	if b.Method != "" {
		if method, err = verify.ParseMethod(b.Method); err != nil || !slices.Contains([]verify.Method{verify.MethodSMS, verify.MethodVoice, verify.MethodVoiceOTP}, method) {
			return nil, invalidEnum("method", b.Method, []string{"sms", "voice", "voiceOtp"})
		}
	}
	var out VerifyResponse
	verdict, err := s.verifyTx(func(tx store.Tx, e *verify.Engine) error {
		u, err := userWhoMayAdd(tx, b.User, func(ms []methodRecord) error { return checkPhoneAdd(ms, t) })
		if err != nil {
			return err
		}
		return s.startRegistration(tx, e, u, method, verify.Credential{PhoneNumber: b.PhoneNumber, PhoneType: t}, &out)
	})
	if err != nil {
		return nil, err
	}
	out.Verdict = verdict
	return ok(out)
}

// enrollEmailBody is POST /_mock/enroll/email: mail a code to an address
// before it is saved as the user's email method, as the security-info
// page does ("We just sent a code to ..."). Graph's own POST emailMethods
// (api-reference/v1.0/api/authentication-post-emailmethods.md) saves an
// address without verifying it; this is the emulated portal's path.
type enrollEmailBody = emulatorapi.EnrollEmail

func (s *Server) mockEnrollEmail(r *request) (*response, error) {
	var b enrollEmailBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	addr, err := (&emailBody{EmailAddress: &b.EmailAddress}).address()
	if err != nil {
		return nil, err
	}
	var out VerifyResponse
	verdict, err := s.verifyTx(func(tx store.Tx, e *verify.Engine) error {
		// Refused before a code is sent for an address that could not be saved.
		u, err := userWhoMayAdd(tx, b.User, checkEmailAdd)
		if err != nil {
			return err
		}
		return s.startRegistration(tx, e, u, verify.MethodEmail, verify.Credential{EmailAddress: addr}, &out)
	})
	if err != nil {
		return nil, err
	}
	out.Verdict = verdict
	return ok(out)
}

// Outbox is the body of GET /_mock/outbox.
type Outbox = emulatorapi.Outbox

// mockOutbox lists the emulated texts, calls and notifications, oldest
// first: ?user= one user's, ?after=N those after sequence N, ?since=T
// those at or after an RFC 3339 time.
func (s *Server) mockOutbox(r *request) (*response, error) {
	var after uint64
	if v := r.query.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, errBadRequest(codeBadRequest, "after must be a message sequence number (the cursor of a previous answer), not '%s'.", v)
		}
		after = n
	}
	var since time.Time
	if v := r.query.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, errBadRequest(codeBadRequest, "since must be an RFC 3339 time such as 2026-01-02T15:04:05Z, not '%s'.", v)
		}
		since = t
	}
	out := Outbox{Value: []OutboxMessage{}, Cursor: after}
	err := s.store.View(func(tx store.Tx) error {
		userID := ""
		if ref := r.query.Get("user"); ref != "" {
			u, err := getUser(tx, ref)
			if err != nil {
				return err
			}
			userID = u.ID
		}
		ms, err := verifyStore{tx}.outbox(userID, after)
		if err != nil {
			return err
		}
		upns := map[string]string{}
		for _, m := range ms {
			out.Cursor = max(out.Cursor, m.Seq)
			if m.At.Before(since) {
				continue
			}
			if _, ok := upns[m.UserID]; !ok {
				if u, err := getUser(tx, m.UserID); err == nil {
					upns[m.UserID] = u.UPN
				}
			}
			m.UserPrincipalName = upns[m.UserID]
			out.Value = append(out.Value, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ok(out)
}

// userOp runs an engine call about one user in one transaction.
func (s *Server) userOp(r *request, op func(tx store.Tx, e *verify.Engine, u *userRecord) (any, error)) (*response, error) {
	var out any
	verdict, err := s.verifyTx(func(tx store.Tx, e *verify.Engine) error {
		u, err := getUser(tx, r.params["user"])
		if err != nil {
			return err
		}
		out, err = op(tx, e, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	if verdict != nil {
		return ok(VerifyResponse{Verdict: verdict})
	}
	return ok(out)
}

// VerificationStatus is GET /_mock/users/{user}/verification.
type VerificationStatus = emulatorapi.VerificationStatus

func (s *Server) mockVerifyStatus(r *request) (*response, error) {
	return s.userOp(r, func(_ store.Tx, e *verify.Engine, u *userRecord) (any, error) {
		st, err := e.Status(u.ID)
		return VerificationStatus{Status: st, UserPrincipalName: u.UPN, Admin: u.isAdmin()}, err
	})
}

func (s *Server) mockAttempts(r *request) (*response, error) {
	return s.userOp(r, func(_ store.Tx, e *verify.Engine, u *userRecord) (any, error) {
		as, err := e.Attempts(u.ID)
		if as == nil {
			as = []verify.Attempt{}
		}
		return map[string]any{"value": as}, err
	})
}

// CurrentCode is GET /_mock/users/{user}/code (emulator only).
type CurrentCode = emulatorapi.CurrentCode

func (s *Server) mockCurrentCode(r *request) (*response, error) {
	kind, methodID := r.query.Get("kind"), r.query.Get("methodId")
	return s.userOp(r, func(tx store.Tx, _ *verify.Engine, u *userRecord) (any, error) {
		ms, err := userMethods(tx, u.ID)
		if err != nil {
			return nil, err
		}
		var m *methodRecord
		for _, k := range []methods.Kind{methods.KindSoftwareOath, methods.KindHardwareOath} {
			for i := range ms {
				if m == nil && ms[i].Kind == k && (kind == "" || kind == string(k)) && (methodID == "" || strings.EqualFold(ms[i].ID, methodID)) {
					m = &ms[i]
				}
			}
		}
		if m == nil {
			return nil, errNotFound("User '%s' has no OATH token or authenticator app to read a code from.", u.UPN)
		}
		key, _, tok, err := oathKeyOf(tx, u, m)
		if err != nil {
			return nil, err
		}
		now := s.now()
		code, err := key.Code(now)
		if err != nil {
			return nil, err
		}
		step, err := key.Step(now)
		if err != nil {
			return nil, err
		}
		out := CurrentCode{Code: code, MethodID: m.ID, Kind: string(m.Kind), Step: step,
			ValidUntil: time.Unix(int64(step+1)*int64(key.Period), 0).UTC()}
		if tok != nil {
			out.SerialNumber = tok.SerialNumber
		}
		return out, nil
	})
}

// pinBody is PUT /_mock/users/{user}/pin.
type pinBody struct {
	PIN string `json:"pin"`
}

// registered is the answer of a registration or admin action.
type registered struct {
	UserPrincipalName string `json:"userPrincipalName"`
	Done              string `json:"done"`
}

func (s *Server) mockRegisterPIN(r *request) (*response, error) {
	var b pinBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	return s.userOp(r, func(_ store.Tx, e *verify.Engine, u *userRecord) (any, error) {
		return registered{u.UPN, "pinRegistered"}, e.RegisterPIN(u.ID, b.PIN)
	})
}

func (s *Server) mockRemovePIN(r *request) (*response, error) {
	return s.userOp(r, func(_ store.Tx, e *verify.Engine, u *userRecord) (any, error) {
		return registered{u.UPN, "pinRemoved"}, e.RemovePIN(u.ID)
	})
}

// questionsBody is PUT /_mock/users/{user}/questions.
type questionsBody = emulatorapi.Questions

func (s *Server) mockRegisterQuestions(r *request) (*response, error) {
	var b questionsBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	qs := make([]verify.QuestionAnswer, len(b.Questions))
	for i, q := range b.Questions {
		qs[i] = verify.QuestionAnswer{Question: q.Question, Answer: q.Answer}
	}
	return s.userOp(r, func(_ store.Tx, e *verify.Engine, u *userRecord) (any, error) {
		return registered{u.UPN, "questionsRegistered"}, e.RegisterQuestions(u.ID, u.isAdmin(), qs)
	})
}

func (s *Server) mockRemoveQuestions(r *request) (*response, error) {
	return s.userOp(r, func(_ store.Tx, e *verify.Engine, u *userRecord) (any, error) {
		return registered{u.UPN, "questionsRemoved"}, e.RemoveQuestions(u.ID)
	})
}

func (s *Server) mockBlock(r *request) (*response, error) {
	return s.userOp(r, func(_ store.Tx, e *verify.Engine, u *userRecord) (any, error) {
		if err := e.Block(u.ID); err != nil {
			return nil, err
		}
		st, err := e.Status(u.ID)
		return VerificationStatus{Status: st, UserPrincipalName: u.UPN, Admin: u.isAdmin()}, err
	})
}

func (s *Server) mockUnblock(r *request) (*response, error) {
	return s.userOp(r, func(_ store.Tx, e *verify.Engine, u *userRecord) (any, error) {
		if err := e.Unblock(u.ID); err != nil {
			return nil, err
		}
		st, err := e.Status(u.ID)
		return VerificationStatus{Status: st, UserPrincipalName: u.UPN, Admin: u.isAdmin()}, err
	})
}

// deviceCheckBody is POST /_mock/users/{user}/devices/check.
type deviceCheckBody struct {
	Token string `json:"token"`
}

// DeviceCheck is the answer of a device-token check.
type DeviceCheck = emulatorapi.DeviceCheck

func (s *Server) mockCheckDevice(r *request) (*response, error) {
	var b deviceCheckBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	var out DeviceCheck
	verdict, err := s.verifyTx(func(tx store.Tx, e *verify.Engine) error {
		u, err := getUser(tx, r.params["user"])
		if err != nil {
			return err
		}
		d, err := e.CheckDevice(u.ID, b.Token)
		if err == nil {
			out = DeviceCheck{Remembered: true, Device: &d}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out.Verdict = verdict
	return ok(out)
}

func (s *Server) mockPendingPushes(r *request) (*response, error) {
	return s.userOp(r, func(_ store.Tx, e *verify.Engine, u *userRecord) (any, error) {
		ps, err := e.PendingPushes(u.ID)
		if ps == nil {
			ps = []verify.PushPrompt{}
		}
		return map[string]any{"value": ps}, err
	})
}

// deviceBody is POST /_mock/users/{user}/device/approve|deny|report: the
// number typed (approve), and which notification (default: the newest).
type deviceBody struct {
	Number      int    `json:"number"`
	ChallengeID string `json:"challengeId"`
}

// mockDevice is the emulated Authenticator acting on a notification.
func (s *Server) mockDevice(action string) handlerFunc {
	return func(r *request) (*response, error) {
		var b deviceBody
		if len(strings.TrimSpace(string(r.body))) > 0 {
			if err := r.decode(&b); err != nil {
				return nil, err
			}
		}
		var out VerifyResponse
		verdict, err := s.verifyTx(func(tx store.Tx, e *verify.Engine) error {
			u, err := getUser(tx, r.params["user"])
			if err != nil {
				return err
			}
			ps, err := e.PendingPushes(u.ID)
			if err != nil {
				return err
			}
			id := b.ChallengeID
			if id == "" && len(ps) > 0 {
				id = ps[len(ps)-1].ChallengeID
			}
			if id == "" || !slices.ContainsFunc(ps, func(p verify.PushPrompt) bool { return p.ChallengeID == id }) {
				if id == "" {
					return errNotFound("User '%s' has no pending Authenticator notification: send one first (a push verification).", u.UPN)
				}
				// Not pending any more: let the engine say why (expired,
				// denied, ...), or 404 for an unknown id.
				if _, _, err := loadChallenge(tx, id); err != nil {
					return err
				}
			}
			var res verify.Result
			switch action {
			case "approve":
				res, err = e.ApprovePush(id, b.Number)
			default:
				res, err = e.DenyPush(id, action == "report")
			}
			return s.finishResult(tx, u, res, err, &out)
		})
		if err != nil {
			return nil, err
		}
		out.Verdict = verdict
		return ok(out)
	}
}
