package verify

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestCheckPIN(t *testing.T) {
	p := DefaultConfig().PIN
	cases := []struct {
		pin  string
		want string // "" = accepted
	}{
		{"2580", ""},
		{"80085", ""},
		{"13572468", ""},
		{"1243", ""},
		{"0909", ""},
		{"123", "4 to 8 digits, not 3"},
		{"123456789", "4 to 8 digits, not 9"},
		{"", "4 to 8 digits, not 0"},
		{"12a4", "digits only"},
		{"12 34", "digits only"},
		{"１２３４", "digits only"},
		{"1111", "one digit repeated"},
		{"00000000", "one digit repeated"},
		{"1234", "consecutive"},
		{"45678", "consecutive"},
		{"9876", "consecutive"},
		{"3210", "consecutive"},
	}
	for _, c := range cases {
		err := CheckPIN(c.pin, p)
		if c.want == "" {
			if err != nil {
				t.Errorf("CheckPIN(%q) = %v", c.pin, err)
			}
			continue
		}
		if ReasonOf(err) != ReasonPolicy || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckPIN(%q) = %v, want policy error %q", c.pin, err, c.want)
		}
		if len(c.pin) >= 3 && strings.Contains(err.Error(), c.pin) {
			t.Errorf("CheckPIN(%q) error repeats the PIN", c.pin)
		}
	}
	lax := PINPolicy{MinLength: 4, MaxLength: 8}
	for _, pin := range []string{"1111", "1234"} {
		if err := CheckPIN(pin, lax); err != nil {
			t.Errorf("lax policy refused %q: %v", pin, err)
		}
	}
}

func TestRegisterPIN(t *testing.T) {
	h := newHarness(t)
	err := h.e.RegisterPIN(alice, "1234")
	h.wantReason(err, ReasonPolicy)
	if st, _ := h.e.Status(alice); st.PINRegistered {
		t.Fatal("a refused PIN was registered")
	}
	h.registerPIN(alice, "2580")
	u := h.user(alice)
	if u.PIN == nil || u.PIN.Alg != HashPBKDF2 || u.PIN.Iterations != 10 || !u.PINSetAt.Equal(t0) {
		t.Fatalf("stored PIN %+v", u.PIN)
	}
	raw, _ := json.Marshal(u)
	if strings.Contains(string(raw), "2580") {
		t.Fatal("the stored user contains the PIN")
	}
	if got := h.attemptActions(alice); strings.Join(actionStrings(got), ",") != "registerPin,registerPin" {
		t.Fatalf("log %v", got)
	}
	h.ok(h.e.RemovePIN(alice))
	if st, _ := h.e.Status(alice); st.PINRegistered {
		t.Fatal("PIN still registered")
	}
	h.wantReason(h.e.RegisterPIN("", "2580"), ReasonInvalidRequest)
}

func actionStrings(as []Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

func TestCheckQuestions(t *testing.T) {
	p := DefaultConfig().Questions
	three := fiveQuestions[:3]
	with := func(i int, q, a string) []QuestionAnswer {
		out := append([]QuestionAnswer(nil), three...)
		out[i] = QuestionAnswer{q, a}
		return out
	}
	cases := []struct {
		name  string
		qs    []QuestionAnswer
		admin bool
		want  Reason
		part  string
	}{
		{"three", three, false, "", ""},
		{"five", fiveQuestions, false, "", ""},
		{"unicode answers", with(0, "Où êtes-vous né ?", "Zürich"), false, "", ""},
		{"answer of 40 characters", with(1, "Q2?", strings.Repeat("é", 40)), false, "", ""},
		{"question of 200 characters", with(2, strings.Repeat("q", 200), "abc"), false, "", ""},
		{"admin", three, true, ReasonNotAllowed, "administrators"},
		{"two", fiveQuestions[:2], false, ReasonPolicy, "3 to 5 security questions, not 2"},
		{"six", append(append([]QuestionAnswer(nil), fiveQuestions...), QuestionAnswer{"Q6?", "answer6"}), false, ReasonPolicy, "not 6"},
		{"short answer", with(1, "Q2?", "ab"), false, ReasonPolicy, "question 2 must have 3 to 40"},
		{"short after trimming", with(1, "Q2?", "  ab  "), false, ReasonPolicy, "question 2 must have 3 to 40"},
		{"long answer", with(0, "Q1?", strings.Repeat("a", 41)), false, ReasonPolicy, "question 1 must have 3 to 40"},
		{"long question", with(2, strings.Repeat("q", 201), "abc"), false, ReasonPolicy, "question 3 has 201 characters"},
		{"empty question", with(2, "  ", "abc"), false, ReasonPolicy, "question 3 is empty"},
		{"question twice", with(2, " in what CITY were you  born? ", "Paris"), false, ReasonPolicy, "question 3 is asked twice"},
		{"answer reused", with(2, "Q3?", "springfield"), false, ReasonPolicy, "question 3 repeats another answer"},
		{"control character", with(0, "Q1?", "abc\x00def"), false, ReasonPolicy, "control characters"},
		{"invalid utf-8", with(0, "Q1?", "abc\xffdef"), false, ReasonPolicy, "not valid text"},
		{"huge input", with(0, "Q1?", strings.Repeat("a", 5000)), false, ReasonPolicy, "far too long"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckQuestions(c.qs, c.admin, p)
			if ReasonOf(err) != c.want || (c.part != "" && !strings.Contains(err.Error(), c.part)) {
				t.Fatalf("CheckQuestions = %v, want %q containing %q", err, c.want, c.part)
			}
			for _, qa := range c.qs {
				if err != nil && len(qa.Answer) >= 3 && strings.Contains(err.Error(), strings.TrimSpace(qa.Answer)) {
					t.Fatalf("error %q repeats an answer", err)
				}
			}
		})
	}
	exact := p
	exact.ToRegister, exact.Max = 4, 4
	if err := CheckQuestions(three, false, exact); err == nil || !strings.Contains(err.Error(), "exactly 4") {
		t.Fatalf("exactly 4: %v", err)
	}
}

func TestSecurityQuestions(t *testing.T) {
	h := newHarness(t)
	sspr := StartRequest{UserID: alice, Method: MethodQuestions, Purpose: PurposeSSPR}
	// Not registered yet.
	_, err := h.e.Start(sspr)
	v := h.wantReason(err, ReasonNotRegistered)
	if v.Next != NextRegisterQuestions {
		t.Fatal(v.Next, v.Hint)
	}
	// Admins cannot register or use them; sign-in cannot use them.
	h.wantReason(h.e.RegisterQuestions(alice, true, fiveQuestions), ReasonNotAllowed)
	admin := sspr
	admin.Admin = true
	_, err = h.e.Start(admin)
	h.wantReason(err, ReasonNotAllowed)
	signIn := sspr
	signIn.Purpose = PurposeSignIn
	_, err = h.e.Start(signIn)
	h.wantReason(err, ReasonNotAllowed)

	h.registerQuestions(alice, fiveQuestions)
	u := h.user(alice)
	raw, _ := json.Marshal(u)
	for _, qa := range fiveQuestions {
		if strings.Contains(strings.ToLower(string(raw)), strings.ToLower(qa.Answer)) {
			t.Fatalf("stored user contains answer %q", qa.Answer)
		}
	}
	c := h.start(sspr)
	if len(c.Questions) != 3 || len(c.QuestionIndexes) != 3 || !c.ExpiresAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("asked %v (%v)", c.Questions, c.QuestionIndexes)
	}
	for i := 1; i < 3; i++ {
		if c.QuestionIndexes[i] <= c.QuestionIndexes[i-1] {
			t.Fatalf("indexes not in registration order: %v", c.QuestionIndexes)
		}
	}
	// Answers are compared ignoring case and extra spaces.
	answers := answersFor(c, fiveQuestions)
	for i := range answers {
		answers[i] = "  " + strings.ToUpper(strings.ReplaceAll(answers[i], " ", "   ")) + " "
	}
	// Count and emptiness are checked before anything is compared.
	_, err = h.e.AnswerQuestions(c.ID, answers[:2])
	h.wantReason(err, ReasonMalformed)
	_, err = h.e.AnswerQuestions(c.ID, []string{answers[0], " ", answers[2]})
	h.wantReason(err, ReasonMalformed)
	res, err := h.e.AnswerQuestions(c.ID, answers)
	h.ok(err)
	if res.Challenge.State != StateVerified || res.Challenge.Attempts != 0 {
		t.Fatal(res.Challenge.State)
	}
	// The random pick varies between challenges (deterministic source, so
	// this is a fixed fact of the seed, not a flaky one).
	picks := map[string]bool{}
	for range 8 {
		c := h.start(sspr)
		picks[fmt.Sprint(c.QuestionIndexes)] = true
	}
	if len(picks) < 2 {
		t.Fatalf("always the same questions: %v", picks)
	}
}

func TestSecurityQuestionsCaseSensitive(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Questions.CaseSensitive = true })
	h.registerQuestions(alice, fiveQuestions[:3])
	c := h.start(StartRequest{UserID: alice, Method: MethodQuestions, Purpose: PurposeSSPR})
	answers := answersFor(c, fiveQuestions)
	answers[0] = strings.ToUpper(answers[0])
	_, err := h.e.AnswerQuestions(c.ID, answers)
	h.wantReason(err, ReasonWrongCode)
	_, err = h.e.AnswerQuestions(c.ID, answersFor(c, fiveQuestions))
	h.ok(err)
}

func TestTemporaryAccessPass(t *testing.T) {
	h := newHarness(t)
	pass, cred := h.tap(true, t0, 60)
	if len(pass) != 12 || strings.ContainsAny(pass, "0O1lI") {
		t.Fatalf("pass %q", pass)
	}
	if ok, why := cred.Usability(t0); !ok || why != TAPEnabled {
		t.Fatalf("usability %v %s", ok, why)
	}
	res, err := h.e.VerifyCode(tapReq(alice, cred), " "+pass+" ")
	h.ok(err)
	if !res.TAPUsedAt.Equal(t0) || res.Challenge.State != StateVerified {
		t.Fatalf("result %+v", res)
	}
	// The caller marks it used; the engine then refuses it.
	cred.UsedAt = res.TAPUsedAt
	if ok, why := cred.Usability(t0); ok || why != TAPOneTimeUsed {
		t.Fatalf("usability %v %s", ok, why)
	}
	_, err = h.e.VerifyCode(tapReq(alice, cred), pass)
	h.wantReason(err, ReasonUsed)

	// Validity window: not yet valid, valid until start+lifetime.
	pass, cred = h.tap(false, t0.Add(time.Hour), 10)
	_, err = h.e.VerifyCode(tapReq(alice, cred), pass)
	h.wantReason(err, ReasonNotYetValid)
	h.clock.now = t0.Add(time.Hour + 9*time.Minute)
	res, err = h.e.VerifyCode(tapReq(alice, cred), pass)
	h.ok(err)
	if !res.TAPUsedAt.IsZero() {
		t.Fatal("a multi-use pass was marked used")
	}
	res, err = h.e.VerifyCode(tapReq(alice, cred), pass)
	h.ok(err)
	h.clock.now = t0.Add(time.Hour + 10*time.Minute)
	_, err = h.e.VerifyCode(tapReq(alice, cred), pass)
	h.wantReason(err, ReasonExpired)
	if ok, why := cred.Usability(h.clock.now); ok || why != TAPExpired {
		t.Fatalf("usability %v %s", ok, why)
	}

	// Wrong passes count; TAP is case-sensitive.
	h.clock.now = t0
	pass, cred = h.tap(false, t0, 60)
	_, err = h.e.VerifyCode(tapReq(alice, cred), strings.ToLower(pass)+"x")
	h.wantReason(err, ReasonWrongCode)
	_, err = h.e.VerifyCode(tapReq(alice, cred), "")
	h.wantReason(err, ReasonMalformed)
	_, err = h.e.VerifyCode(tapReq(alice, nil), pass)
	h.wantReason(err, ReasonInvalidRequest)

	for _, n := range []int{7, 49} {
		if _, _, err := h.e.NewTAP(n); err == nil {
			t.Errorf("NewTAP(%d) accepted", n)
		}
	}
	for _, n := range []int{8, 48} {
		if p, _, err := h.e.NewTAP(n); err != nil || len(p) != n {
			t.Errorf("NewTAP(%d) = %d chars, %v", n, len(p), err)
		}
	}
	_, err = h.e.VerifyCode(smsReq(alice), "123456")
	h.wantReason(err, ReasonInvalidRequest)
}

func TestSecretHash(t *testing.T) {
	h := newHarness(t)
	fast, err := hashSHA256(h.e.rand, "123456")
	if err != nil {
		t.Fatal(err)
	}
	slow, err := hashPBKDF2(h.e.rand, "2580", HashParams{Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := hashSHA256(h.e.rand, "123456")
	if string(again.Sum) == string(fast.Sum) {
		t.Fatal("two hashes of one code share a salt")
	}
	for _, c := range []struct {
		h      SecretHash
		secret string
		want   bool
	}{
		{fast, "123456", true}, {fast, "123457", false}, {fast, "", false},
		{slow, "2580", true}, {slow, "2581", false},
	} {
		// Through JSON, as the mock stores them.
		raw, _ := json.Marshal(c.h)
		var back SecretHash
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		if ok, err := back.Matches(c.secret); err != nil || ok != c.want {
			t.Errorf("%s match %q = %v, %v", c.h.Alg, c.secret, ok, err)
		}
	}
	// Known answer, so a change of construction cannot pass unnoticed:
	// SHA-256 over salt||secret.
	known := SecretHash{Alg: HashSHA256, Salt: []byte("salt"), Sum: mustHex(t, "9898410d7f5045bc673db80c1a49b74f088fd7440037d8ce25c7d272a505bce5")}
	if ok, err := known.Matches("123456"); err != nil || !ok {
		t.Errorf("known SHA-256 vector: %v, %v", ok, err)
	}
	// RFC 7914 §11, PBKDF2-HMAC-SHA256 "passwd"/"salt", c=1: the first 32
	// bytes of the published 64.
	rfc7914 := SecretHash{Alg: HashPBKDF2, Salt: []byte("salt"), Iterations: 1,
		Sum: mustHex(t, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")}
	if ok, err := rfc7914.Matches("passwd"); err != nil || !ok {
		t.Errorf("RFC 7914 PBKDF2 vector: %v, %v", ok, err)
	}
	for name, bad := range map[string]SecretHash{
		"unknown alg":   {Alg: "md5", Salt: []byte("s"), Sum: fast.Sum},
		"no salt":       {Alg: HashSHA256, Sum: fast.Sum},
		"short sum":     {Alg: HashSHA256, Salt: fast.Salt, Sum: fast.Sum[:5]},
		"no iterations": {Alg: HashPBKDF2, Salt: slow.Salt, Sum: slow.Sum},
		"huge cost":     {Alg: HashPBKDF2, Salt: slow.Salt, Sum: slow.Sum, Iterations: 1 << 30},
	} {
		if ok, err := bad.Matches("123456"); ok || err == nil {
			t.Errorf("%s: %v, %v", name, ok, err)
		}
	}
	if _, err := hashPBKDF2(h.e.rand, "x", HashParams{}); err == nil {
		t.Error("zero iterations accepted")
	}
	// The default cost is the OWASP figure, and it works.
	if DefaultHashParams.Iterations != 600_000 {
		t.Errorf("default iterations %d", DefaultHashParams.Iterations)
	}
	def, err := hashPBKDF2(h.e.rand, "2580", DefaultHashParams)
	if ok, merr := def.Matches("2580"); err != nil || merr != nil || !ok {
		t.Errorf("default cost round trip: %v %v %v", ok, err, merr)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRemoveQuestions(t *testing.T) {
	h := newHarness(t)
	h.registerQuestions(alice, fiveQuestions)
	sspr := StartRequest{UserID: alice, Method: MethodQuestions, Purpose: PurposeSSPR}
	c := h.start(sspr)
	h.ok(h.e.RemoveQuestions(alice))
	if got := h.challenge(c.ID); got.State != StateCanceled || got.Reason != ReasonSuperseded {
		t.Fatalf("open challenge %s/%s", got.State, got.Reason)
	}
	_, err := h.e.AnswerQuestions(c.ID, answersFor(c, fiveQuestions))
	h.wantReason(err, ReasonSuperseded)
	_, err = h.e.Start(sspr)
	h.wantReason(err, ReasonNotRegistered)
	if st, _ := h.e.Status(alice); len(st.Questions) != 0 || !st.QuestionsSetAt.IsZero() {
		t.Fatalf("status %+v", st)
	}
}
