package verify

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
)

func TestSMSCode(t *testing.T) {
	h := newHarness(t)
	c := h.start(smsReq(alice))
	m := h.lastMessage(alice)
	if m.Channel != ChannelSMS || m.To != mobile || m.ChallengeID != c.ID || !m.At.Equal(t0) {
		t.Fatalf("message %+v", m)
	}
	if !regexp.MustCompile(`^Use verification code [0-9]{6} for Microsoft authentication\.$`).MatchString(m.Text) {
		t.Fatalf("text %q", m.Text)
	}
	code := h.codeFor(c)
	if !c.ExpiresAt.Equal(t0.Add(180*time.Second)) || c.CodeHash == nil || c.MaxAttempts != 3 {
		t.Fatalf("challenge expires %s, hash %v, max %d", c.ExpiresAt, c.CodeHash, c.MaxAttempts)
	}
	stored, _ := h.store.GetChallenge(c.ID)
	if b := strings.Join([]string{stored.CodeHash.Alg, string(stored.CodeHash.Sum)}, ""); strings.Contains(b, code) {
		t.Fatal("the stored hash contains the code")
	}
	// A second before expiry the code still works; the code is single use.
	h.clock.advance(179 * time.Second)
	res, err := h.e.SubmitCode(c.ID, code, nil)
	h.ok(err)
	if res.Challenge.State != StateVerified {
		t.Fatalf("state %s", res.Challenge.State)
	}
	_, err = h.e.SubmitCode(c.ID, code, nil)
	h.wantReason(err, ReasonClosed)
}

func TestSMSExpiryBoundary(t *testing.T) {
	h := newHarness(t)
	c := h.start(smsReq(alice))
	code := h.codeFor(c)
	h.clock.advance(180 * time.Second) // exactly the TTL: expired
	res, err := h.e.SubmitCode(c.ID, code, nil)
	v := h.wantReason(err, ReasonExpired)
	if res.Challenge.State != StateExpired || !strings.Contains(v.Hint, "--send") {
		t.Fatalf("state %s, hint %q", res.Challenge.State, v.Hint)
	}
	// Expiry is not a denial.
	if u := h.user(alice); u.Lockout.Denials != 0 {
		t.Fatalf("denials %d after an expiry", u.Lockout.Denials)
	}
}

func TestSMSAttemptsAndClosedChallenge(t *testing.T) {
	h := newHarness(t)
	c := h.start(smsReq(alice))
	code := h.codeFor(c)
	for i, left := range []int{2, 1} {
		res, err := h.e.SubmitCode(c.ID, wrongCode(code), nil)
		v := h.wantReason(err, ReasonWrongCode)
		if v.AttemptsLeft != left || res.Challenge.State != StateSent {
			t.Fatalf("wrong code %d: left %d, state %s", i+1, v.AttemptsLeft, res.Challenge.State)
		}
	}
	res, err := h.e.SubmitCode(c.ID, wrongCode(code), nil)
	v := h.wantReason(err, ReasonWrongCode)
	if res.Challenge.State != StateFailed || v.AttemptsLeft != 0 || !strings.Contains(v.Message, "no attempts left") || !strings.Contains(v.Hint, "--send") {
		t.Fatalf("third wrong code: %s, %v", res.Challenge.State, v)
	}
	// Even the right code is refused now.
	_, err = h.e.SubmitCode(c.ID, code, nil)
	h.wantReason(err, ReasonClosed)
	if u := h.user(alice); u.Lockout.Denials != 3 || u.MethodFailures[methods.MobilePhoneID].Count != 3 {
		t.Fatalf("denials %d, method failures %+v", u.Lockout.Denials, u.MethodFailures)
	}
}

func TestSMSOnlyToPrimaryMobile(t *testing.T) {
	h := newHarness(t)
	for _, cred := range []Credential{
		{PhoneNumber: "+1 4255550101", PhoneType: methods.PhoneAlternateMobile},
		{PhoneNumber: "+1 4255550199", PhoneType: methods.PhoneOffice},
	} {
		_, err := h.e.Start(StartRequest{UserID: alice, Method: MethodSMS, Credential: cred})
		v := h.wantReason(err, ReasonNotAllowed)
		if v.Reason.ExitCode() != 2 {
			t.Fatalf("exit %d", v.Reason.ExitCode())
		}
	}
	// Voice reaches every phone type; extensions only on office phones.
	for _, cred := range []Credential{
		{PhoneNumber: "+1 4255550101", PhoneType: methods.PhoneAlternateMobile},
		{PhoneNumber: office, PhoneType: methods.PhoneOffice},
	} {
		h.start(StartRequest{UserID: alice, Method: MethodVoiceOTP, Credential: cred})
	}
	_, err := h.e.Start(StartRequest{UserID: alice, Method: MethodVoice, Credential: Credential{PhoneNumber: "+1 4255550100x12", PhoneType: methods.PhoneMobile}})
	h.wantReason(err, ReasonNotAllowed)
	for _, bad := range []string{"4255550100", "+1 425", "+1-425-555-0100", "+0 4255550100", "+1 4255550100x"} {
		_, err := h.e.Start(StartRequest{UserID: alice, Method: MethodSMS, Credential: Credential{PhoneNumber: bad, PhoneType: methods.PhoneMobile}})
		h.wantReason(err, ReasonInvalidRequest)
	}
	_, err = h.e.Start(StartRequest{UserID: alice, Method: MethodSMS, Credential: Credential{PhoneNumber: mobile}})
	h.wantReason(err, ReasonInvalidRequest)
}

func TestVoiceOTP(t *testing.T) {
	h := newHarness(t)
	c := h.start(officeReq(alice, MethodVoiceOTP))
	m := h.lastMessage(alice)
	if m.Channel != ChannelVoice || m.To != "+1 4255550199 x1234" ||
		!regexp.MustCompile(`^Your verification code is [0-9]( [0-9]){5}\. Again, your code is [0-9]( [0-9]){5}\.$`).MatchString(m.Text) {
		t.Fatalf("message %+v", m)
	}
	if c.PhoneNumber != "+1 4255550199" || c.Extension != "1234" {
		t.Fatalf("number %q extension %q", c.PhoneNumber, c.Extension)
	}
	res, err := h.e.SubmitCode(c.ID, h.codeFor(c), nil)
	h.ok(err)
	if res.Challenge.State != StateVerified {
		t.Fatal(res.Challenge.State)
	}
}

func TestResendCancelsOldCode(t *testing.T) {
	h := newHarness(t)
	first := h.start(smsReq(alice))
	oldCode := h.codeFor(first)
	h.clock.advance(20 * time.Second)
	res, err := h.e.Resend(first.ID)
	h.ok(err)
	second := res.Challenge
	newCode := h.codeFor(second)
	if second.ID == first.ID || second.ResentFrom != first.ID || !second.ExpiresAt.Equal(h.clock.now.Add(180*time.Second)) {
		t.Fatalf("new challenge %+v", second)
	}
	if got := h.challenge(first.ID); got.State != StateCanceled || got.Reason != ReasonSuperseded {
		t.Fatalf("old challenge %s/%s", got.State, got.Reason)
	}
	// The old code no longer works anywhere.
	_, err = h.e.SubmitCode(first.ID, oldCode, nil)
	h.wantReason(err, ReasonSuperseded)
	if oldCode != newCode {
		_, err = h.e.SubmitCode(second.ID, oldCode, nil)
		h.wantReason(err, ReasonWrongCode)
	}
	_, err = h.e.SubmitCode(second.ID, newCode, nil)
	h.ok(err)
	// Nothing to resend for a verified challenge; a failed or expired one
	// can be resent (that is what "get a new code" is for).
	_, err = h.e.Resend(second.ID)
	h.wantReason(err, ReasonClosed)
	third := h.start(smsReq(alice))
	h.clock.advance(181 * time.Second)
	res, err = h.e.Resend(third.ID)
	h.ok(err)
	if h.challenge(third.ID).State != StateExpired || res.Challenge.State != StateSent {
		t.Fatal("resend after expiry")
	}
	if _, err := h.e.Resend("no-such-id"); ReasonOf(err) != ReasonNotFound {
		t.Fatalf("resend of an unknown id: %v", err)
	}
}

func TestSendRateLimit(t *testing.T) {
	h := newHarness(t)
	var last Challenge
	for range 5 {
		last = h.start(smsReq(alice))
		h.clock.advance(10 * time.Second)
	}
	// The sixth text within 5 minutes is refused, with the time the limit
	// lifts: when the first send leaves the window.
	_, err := h.e.Start(smsReq(alice))
	v := h.wantReason(err, ReasonRateLimited)
	if !v.Until.Equal(t0.Add(5*time.Minute)) || v.Reason.ExitCode() != 5 || !strings.Contains(v.Message, "text verification codes") {
		t.Fatalf("rate limit %v until %s", v, v.Until)
	}
	// Resend is limited too, and the old code stays usable when refused.
	_, err = h.e.Resend(last.ID)
	h.wantReason(err, ReasonRateLimited)
	if got := h.challenge(last.ID); got.State != StateSent {
		t.Fatalf("refused resend changed the old challenge to %s", got.State)
	}
	// Calls have their own budget.
	h.start(callReq(alice, MethodVoice))
	// Other users are not affected.
	h.start(smsReq(bob))
	// When the first send leaves the window, one more text goes out.
	h.clock.now = t0.Add(5 * time.Minute)
	h.start(smsReq(alice))
	_, err = h.e.Start(smsReq(alice))
	h.wantReason(err, ReasonRateLimited)

	// Refused starts are logged, and a limit of 0 turns the limit off.
	as, _ := h.e.Attempts(alice)
	if !slices.ContainsFunc(as, func(a Attempt) bool { return a.Action == ActionStart && a.Reason == ReasonRateLimited }) {
		t.Fatal("refused start not in the attempt log")
	}
	h2 := newHarness(t, func(c *Config) { c.SendLimit = 0 })
	for range 20 {
		h2.start(smsReq(alice))
	}
}

func TestCallLimitMessage(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SendLimit = 1 })
	h.start(callReq(alice, MethodVoice))
	_, err := h.e.Start(callReq(alice, MethodVoiceOTP))
	v := h.wantReason(err, ReasonRateLimited)
	if !strings.Contains(v.Message, "verification calls") {
		t.Fatal(v.Message)
	}
}

func TestVoiceCall(t *testing.T) {
	h := newHarness(t)
	c := h.start(callReq(alice, MethodVoice))
	m := h.lastMessage(alice)
	if m.Channel != ChannelVoice || !strings.Contains(m.Text, "press the pound key") || !strings.Contains(m.Text, "press 0 then the pound key to report fraud") {
		t.Fatalf("greeting %q", m.Text)
	}
	if !c.ExpiresAt.Equal(t0.Add(60 * time.Second)) {
		t.Fatalf("ring timeout %s", c.ExpiresAt)
	}
	// Answering gives the greeting CallInputTimeout for keys.
	h.clock.advance(10 * time.Second)
	res, err := h.e.AnswerCall(c.ID)
	h.ok(err)
	if !res.Challenge.AnsweredAt.Equal(h.clock.now) || !res.Challenge.ExpiresAt.Equal(h.clock.now.Add(30*time.Second)) {
		t.Fatalf("answered %s expires %s", res.Challenge.AnsweredAt, res.Challenge.ExpiresAt)
	}
	// Keys other than # or the fraud code are ignored by the greeting.
	res, err = h.e.PressKeys(c.ID, "5#")
	h.wantReason(err, ReasonMalformed)
	if res.Challenge.Attempts != 0 {
		t.Fatal("a stray key counted as an attempt")
	}
	_, err = h.e.PressKeys(c.ID, "12")
	h.wantReason(err, ReasonMalformed)
	_, err = h.e.MissCall(c.ID)
	h.wantReason(err, ReasonInvalidRequest)
	res, err = h.e.PressKeys(c.ID, " # ")
	h.ok(err)
	if res.Challenge.State != StateVerified {
		t.Fatal(res.Challenge.State)
	}
	// A call can be answered by the keys alone.
	c = h.start(callReq(alice, MethodVoice))
	res, err = h.e.PressKeys(c.ID, "#")
	h.ok(err)
	if res.Challenge.AnsweredAt.IsZero() || res.Challenge.State != StateVerified {
		t.Fatal("keys without AnswerCall")
	}
}

func TestOfficeExtension(t *testing.T) {
	h := newHarness(t)
	c := h.start(officeReq(alice, MethodVoice))
	m := h.lastMessage(alice)
	if m.To != "+1 4255550199 x1234" || !strings.HasPrefix(m.Text, "Extension prompt: please transfer this call to extension 1234") {
		t.Fatalf("message %+v", m)
	}
	// Until the extension is confirmed, other entries are refused.
	_, err := h.e.PressKeys(c.ID, "0#")
	h.wantReason(err, ReasonMalformed)
	res, err := h.e.PressKeys(c.ID, "#")
	h.ok(err)
	if !res.Challenge.ExtensionConfirmed || res.Challenge.State != StateSent {
		t.Fatalf("after #: %+v", res.Challenge)
	}
	res, err = h.e.PressKeys(c.ID, "#")
	h.ok(err)
	if res.Challenge.State != StateVerified {
		t.Fatal(res.Challenge.State)
	}
	// In one go, with a PIN.
	h.registerPIN(alice, "80085")
	c = h.start(officeReq(alice, MethodVoicePIN))
	res, err = h.e.PressKeys(c.ID, "#80085#")
	h.ok(err)
	if res.Challenge.State != StateVerified {
		t.Fatal(res.Challenge.State)
	}
}

func TestPINCall(t *testing.T) {
	h := newHarness(t)
	_, err := h.e.Start(callReq(alice, MethodVoicePIN))
	v := h.wantReason(err, ReasonNotRegistered)
	if v.Next != NextRegisterPIN || v.Reason.ExitCode() != 3 {
		t.Fatalf("hint %q", v.Hint)
	}
	h.registerPIN(alice, "24681357")
	c := h.start(callReq(alice, MethodVoicePIN))
	if m := h.lastMessage(alice); !strings.Contains(m.Text, "enter your PIN followed by the pound key") {
		t.Fatalf("greeting %q", m.Text)
	}
	// A wrong PIN, then the right one in the same call ("Retry (PIN)").
	res, err := h.e.PressKeys(c.ID, "11112222#24681357#")
	h.ok(err)
	if res.Challenge.State != StateVerified || res.Challenge.Attempts != 1 {
		t.Fatalf("state %s attempts %d", res.Challenge.State, res.Challenge.Attempts)
	}
	// Entries that cannot be a PIN are wrong PINs, not stray keys: the
	// caller typed them at the PIN prompt.
	c = h.start(callReq(alice, MethodVoicePIN))
	res, err = h.e.PressKeys(c.ID, "12*4#")
	h.wantReason(err, ReasonWrongCode)
	res, err = h.e.PressKeys(c.ID, "#")
	v = h.wantReason(err, ReasonWrongCode)
	if v.AttemptsLeft != 1 {
		t.Fatalf("left %d", v.AttemptsLeft)
	}
	// The PIN removed during the call fails it.
	h.ok(h.e.RemovePIN(alice))
	res, err = h.e.PressKeys(c.ID, "24681357#")
	h.wantReason(err, ReasonNotRegistered)
	if res.Challenge.State != StateFailed {
		t.Fatal(res.Challenge.State)
	}
	// Keys after the challenge ended are refused.
	_, err = h.e.PressKeys(c.ID, "24681357#")
	if ReasonOf(err) == "" {
		t.Fatal("keys accepted on a closed call")
	}
}

func TestFraudCodeOnCall(t *testing.T) {
	h := newHarness(t)
	c := h.start(callReq(alice, MethodVoice))
	res, err := h.e.PressKeys(c.ID, "0#")
	h.ok(err) // the phone's report succeeded
	if res.Challenge.State != StateFraudReported {
		t.Fatal(res.Challenge.State)
	}
	st, _ := h.e.Status(alice)
	if !st.Blocked || st.Block.Reason != BlockFraud || !st.Block.Until.Equal(t0.Add(90*24*time.Hour)) || len(st.FraudReports) != 1 {
		t.Fatalf("status %+v", st)
	}
	err = ChallengeError(h.challenge(c.ID))
	v := h.wantReason(err, ReasonFraudReported)
	if v.Next != NextUnblock {
		t.Fatal(v.Next, v.Hint)
	}
	// A custom fraud code.
	h2 := newHarness(t, func(c *Config) { c.FraudCode = "99" })
	c = h2.start(callReq(alice, MethodVoice))
	if _, err := h2.e.PressKeys(c.ID, "0#"); ReasonOf(err) != ReasonMalformed {
		t.Fatalf("0# with fraud code 99: %v", err)
	}
	res, err = h2.e.PressKeys(c.ID, "99#")
	h2.ok(err)
	if res.Challenge.State != StateFraudReported {
		t.Fatal(res.Challenge.State)
	}
}

func TestParseDTMF(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"#", []string{""}},
		{"1234#", []string{"1234"}},
		{"0#", []string{"0"}},
		{"#1234#", []string{"", "1234"}},
		{"1 2 3 4 #", []string{"1234"}},
		{"12*4#", []string{"12*4"}},
		{"##", []string{"", ""}},
		{"", nil},
		{"   ", nil},
		{"1234", nil},
		{"12#34", nil},
		{"12a4#", nil},
		{"１#", nil},
		{strings.Repeat("1", 64) + "#", nil},
		{strings.Repeat("1", 63) + "#", []string{strings.Repeat("1", 63)}},
	}
	for _, c := range cases {
		got, err := ParseDTMF(c.in)
		if c.want == nil {
			if err == nil || !errors.Is(err, ErrDTMF) {
				t.Errorf("ParseDTMF(%q) = %q, %v; want ErrDTMF", c.in, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseDTMF(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestPhoneTestAuthentication(t *testing.T) {
	// Testing a number before it is saved: no method id, purpose
	// registration. Wrong codes count for the user, not for a method.
	h := newHarness(t)
	req := StartRequest{UserID: alice, Method: MethodSMS, Purpose: PurposeRegistration,
		Credential: Credential{PhoneNumber: "+44 7700900123", PhoneType: methods.PhoneMobile}}
	c := h.start(req)
	_, err := h.e.SubmitCode(c.ID, wrongCode(h.codeFor(c)), nil)
	h.wantReason(err, ReasonWrongCode)
	res, err := h.e.SubmitCode(c.ID, h.codeFor(c), nil)
	h.ok(err)
	if res.Challenge.Purpose != PurposeRegistration || res.Challenge.MethodID != "" || h.lastMessage(alice).To != "+44 7700900123" {
		t.Fatalf("challenge %+v", res.Challenge)
	}
	if u := h.user(alice); len(u.MethodFailures) != 0 || !u.LastVerifiedAt.IsZero() {
		t.Fatalf("registration touched method failures %v or sign-in time %s", u.MethodFailures, u.LastVerifiedAt)
	}
}
