package verify

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/pquerna/otp"
)

// RFC 6238 Appendix B, all 18 vectors, through the engine: the clock is
// set to each time and the 8-digit code verifies a sign-in.
func TestEngineRFC6238(t *testing.T) {
	seeds := map[methods.OATHAlgorithm]methods.OATHSecret{
		// 20, 32 and 64-byte seeds: RFC 6238's reference code uses one
		// length per hash (verification.md §1.4).
		methods.OATHSHA1:   "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
		methods.OATHSHA256: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA",
		methods.OATHSHA512: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA",
	}
	vectors := []struct {
		unix int64
		step uint64
		code string
		alg  methods.OATHAlgorithm
	}{
		{59, 0x1, "94287082", methods.OATHSHA1}, {59, 0x1, "46119246", methods.OATHSHA256}, {59, 0x1, "90693936", methods.OATHSHA512},
		{1111111109, 0x23523EC, "07081804", methods.OATHSHA1}, {1111111109, 0x23523EC, "68084774", methods.OATHSHA256}, {1111111109, 0x23523EC, "25091201", methods.OATHSHA512},
		{1111111111, 0x23523ED, "14050471", methods.OATHSHA1}, {1111111111, 0x23523ED, "67062674", methods.OATHSHA256}, {1111111111, 0x23523ED, "99943326", methods.OATHSHA512},
		{1234567890, 0x273EF07, "89005924", methods.OATHSHA1}, {1234567890, 0x273EF07, "91819424", methods.OATHSHA256}, {1234567890, 0x273EF07, "93441116", methods.OATHSHA512},
		{2000000000, 0x3F940AA, "69279037", methods.OATHSHA1}, {2000000000, 0x3F940AA, "90698825", methods.OATHSHA256}, {2000000000, 0x3F940AA, "38618901", methods.OATHSHA512},
		{20000000000, 0x27BC86AA, "65353130", methods.OATHSHA1}, {20000000000, 0x27BC86AA, "77737706", methods.OATHSHA256}, {20000000000, 0x27BC86AA, "47863826", methods.OATHSHA512},
	}
	for _, v := range vectors {
		t.Run(fmt.Sprintf("%s/%d", v.alg, v.unix), func(t *testing.T) {
			h := newHarness(t)
			h.clock.now = time.Unix(v.unix, 0).UTC()
			key := methods.OATHKey{Type: methods.OATHTOTP, Secret: seeds[v.alg], Algorithm: v.alg, Digits: 8, Period: 30}
			cred := Credential{MethodID: oathID, OATH: &OATHCredential{Key: key}}
			res, err := h.e.VerifyCode(StartRequest{UserID: alice, Method: MethodOATH, Credential: cred}, v.code)
			h.ok(err)
			if res.Challenge.State != StateVerified || res.Challenge.Step != v.step {
				t.Errorf("challenge %s at step %d, want verified at %d", res.Challenge.State, res.Challenge.Step, v.step)
			}
			if res.OATH == nil || *res.OATH != (methods.OATHState{Counter: v.step + 1}) {
				t.Errorf("state to persist %+v, want counter %d", res.OATH, v.step+1)
			}
			// The same code with the persisted state is a replay.
			cred.OATH.State = *res.OATH
			_, err = h.e.VerifyCode(StartRequest{UserID: alice, Method: MethodOATH, Credential: cred}, v.code)
			h.wantReason(err, ReasonReplayed)
		})
	}
}

// RFC 4226 Appendix D through the engine, with a HOTP token as PSKC
// imports it: the caller persists the counter after each success.
func TestEngineRFC4226(t *testing.T) {
	h := newHarness(t)
	key := methods.OATHKey{Type: methods.OATHHOTP, Secret: testSecret, Algorithm: methods.OATHSHA1, Digits: 6}
	cred := Credential{MethodID: "hotp-1", OATH: &OATHCredential{Key: key}}
	for i, code := range []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"} {
		res, err := h.e.VerifyCode(StartRequest{UserID: alice, Method: MethodOATH, Credential: cred}, code)
		h.ok(err)
		if res.Challenge.Step != uint64(i) || res.OATH.Counter != uint64(i)+1 {
			t.Fatalf("code %d: step %d, counter %d", i, res.Challenge.Step, res.OATH.Counter)
		}
		cred.OATH.State = *res.OATH
	}
	// The previous value is reported as a replay.
	_, err := h.e.VerifyCode(StartRequest{UserID: alice, Method: MethodOATH, Credential: cred}, "520489")
	h.wantReason(err, ReasonReplayed)
}

func TestEngineOATHWindowReplayDrift(t *testing.T) {
	h := newHarness(t)
	st := methods.OATHState{}
	verify := func(code string) (Result, error) {
		return h.e.VerifyCode(oathReq(alice, st), code)
	}
	// A code one step ahead is accepted and teaches a drift of +1.
	res, err := verify(h.totpNow(1))
	h.ok(err)
	if res.OATH.Drift != 1 {
		t.Fatalf("drift %d, want 1", res.OATH.Drift)
	}
	st = *res.OATH
	// The current step is now behind the last used one: a replay, not a
	// new sign-in, even though its code was never typed.
	_, err = verify(h.totpNow(0))
	h.wantReason(err, ReasonReplayed)
	// A minute later, a code 2 steps ahead: outside the plain ±1 window,
	// but the window is now centred on the true step + 1.
	h.clock.advance(60 * time.Second)
	res, err = verify(h.totpNow(2))
	h.ok(err)
	st = *res.OATH
	if st.Drift != 2 {
		t.Fatalf("drift %d after a code 2 steps ahead, want 2", st.Drift)
	}
	// Three steps ahead of the true step is outside the default window
	// without drift, inside it with the learned drift of 2.
	h.clock.advance(30 * time.Second)
	if _, err := h.e.VerifyCode(oathReq(alice, methods.OATHState{}), h.totpNow(3)); ReasonOf(err) != ReasonWrongCode {
		t.Fatalf("3 steps ahead without drift: %v", err)
	}
	_, err = verify(h.totpNow(3))
	h.ok(err)
}

func TestEngineOATHInputs(t *testing.T) {
	h := newHarness(t)
	c := h.start(oathReq(alice, methods.OATHState{}))
	cred := oathCred(methods.OATHState{})

	// Malformed codes are refused without using an attempt.
	for _, bad := range []string{"12345", "abcdef", "1234567", ""} {
		res, err := h.e.SubmitCode(c.ID, bad, &cred)
		v := h.wantReason(err, ReasonMalformed)
		if res.Challenge.Attempts != 0 || v.AttemptsLeft != 3 {
			t.Fatalf("malformed %q used an attempt: %d, left %d", bad, res.Challenge.Attempts, v.AttemptsLeft)
		}
	}
	// The challenge needs the token it was started for.
	other := Credential{MethodID: "oath-2", OATH: cred.OATH}
	_, err := h.e.SubmitCode(c.ID, h.totpNow(0), &other)
	h.wantReason(err, ReasonInvalidRequest)
	_, err = h.e.SubmitCode(c.ID, h.totpNow(0), nil)
	h.wantReason(err, ReasonInvalidRequest)
	// A wrong code says how many attempts are left.
	res, err := h.e.SubmitCode(c.ID, wrongCode(h.totpNow(0)), &cred)
	v := h.wantReason(err, ReasonWrongCode)
	if v.AttemptsLeft != 2 || res.Challenge.AttemptsLeft() != 2 || !strings.Contains(v.Message, "2 attempts left") {
		t.Fatalf("after one wrong code: %v, left %d", v, v.AttemptsLeft)
	}
	_, err = h.e.SubmitCode(c.ID, wrongCode(h.totpNow(0)), &cred)
	if v := h.wantReason(err, ReasonWrongCode); v.AttemptsLeft != 1 || !strings.Contains(v.Message, "; 1 attempt left") {
		t.Fatalf("after two wrong codes: %v", v)
	}
	// Spaces in the code are fine.
	code := h.totpNow(0)
	res, err = h.e.SubmitCode(c.ID, code[:3]+" "+code[3:], &cred)
	h.ok(err)
	if res.Challenge.State != StateVerified || res.Challenge.Attempts != 2 {
		t.Fatalf("state %s attempts %d", res.Challenge.State, res.Challenge.Attempts)
	}
	// A verified challenge takes no more codes.
	_, err = h.e.SubmitCode(c.ID, code, &cred)
	h.wantReason(err, ReasonClosed)
	// Inputs meant for other methods are refused.
	_, err = h.e.PressKeys(c.ID, "#")
	h.wantReason(err, ReasonInvalidRequest)
	_, err = h.e.Resend(c.ID)
	h.wantReason(err, ReasonInvalidRequest)
	// A key that is not valid cannot start a challenge.
	bad := oathReq(alice, methods.OATHState{})
	bad.Credential.OATH.Key.Digits = 0
	_, err = h.e.Start(bad)
	h.wantReason(err, ReasonInvalidRequest)
}

func TestAppEnrollment(t *testing.T) {
	h := newHarness(t)
	en, err := h.e.StartAppEnrollment(AppEnrollmentRequest{UserID: alice, Account: "alice@contoso.com"})
	h.ok(err)
	if s := fmt.Sprintf("%v %+v %s", en, en, en); strings.Contains(s, string(en.Secret)) {
		t.Fatalf("enrolment printed its secret: %s", s)
	}
	k, err := otp.NewKeyFromURL(en.URI)
	if err != nil || k.Issuer() != "mfactl" || k.AccountName() != "alice@contoso.com" || k.Secret() != string(en.Secret) || k.Period() != 30 {
		t.Fatalf("URI %s: %v", en.URI, err)
	}
	if len(en.Secret) != 32 || en.Challenge.Purpose != PurposeRegistration || !en.Challenge.ExpiresAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("enrolment %v expires %s", en.Challenge.Purpose, en.Challenge.ExpiresAt)
	}
	code, err := en.Key.Code(h.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	h.secrets = append(h.secrets, code, string(en.Secret))
	_, err = h.e.SubmitCode(en.Challenge.ID, wrongCode(code), nil)
	h.wantReason(err, ReasonWrongCode)
	res, err := h.e.SubmitCode(en.Challenge.ID, code, nil)
	h.ok(err)
	if res.Enrolled == nil || *res.Enrolled != en.Key || res.OATH == nil {
		t.Fatalf("confirmation result %+v", res)
	}
	stored := h.challenge(en.Challenge.ID)
	if stored.PendingKey != nil || stored.State != StateVerified {
		t.Fatalf("after confirmation: state %s, key kept %v", stored.State, stored.PendingKey != nil)
	}
	// The confirmation code cannot sign in again with the state returned.
	cred := Credential{MethodID: "new-app", OATH: &OATHCredential{Key: *res.Enrolled, State: *res.OATH}}
	_, err = h.e.VerifyCode(StartRequest{UserID: alice, Method: MethodOATH, Credential: cred}, code)
	h.wantReason(err, ReasonReplayed)
	// The next code signs in.
	h.clock.advance(30 * time.Second)
	next, _ := res.Enrolled.Code(h.clock.now)
	_, err = h.e.VerifyCode(StartRequest{UserID: alice, Method: MethodOATH, Credential: cred}, next)
	h.ok(err)

	// Options: SHA256, 8 digits, 60 s.
	en, err = h.e.StartAppEnrollment(AppEnrollmentRequest{UserID: alice, Account: "alice@contoso.com", Issuer: "Contoso",
		Algorithm: methods.OATHSHA256, Digits: 8, Period: 60})
	h.ok(err)
	if k, _ := otp.NewKeyFromURL(en.URI); k.Algorithm() != otp.AlgorithmSHA256 || k.Digits() != 8 || k.Period() != 60 || k.Issuer() != "Contoso" {
		t.Fatalf("URI %s", en.URI)
	}
	for _, bad := range []AppEnrollmentRequest{
		{UserID: alice},
		{Account: "a@b"},
		{UserID: alice, Account: "a@b", Period: 45},
		{UserID: alice, Account: "a:b"},
	} {
		_, err := h.e.StartAppEnrollment(bad)
		h.wantReason(err, ReasonInvalidRequest)
	}
}
