package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// The defaults of verification.md §6, one by one.
	checks := []struct {
		name      string
		got, want any
	}{
		{"TOTP window", c.TOTPWindow, methods.OATHWindow{Back: 1, Forward: 1}},
		{"HOTP window", c.HOTPWindow.Forward, 10},
		{"resync window", c.ResyncWindow, 1000},
		{"code digits", c.CodeDigits, 6},
		{"code TTL", c.CodeTTL, 180 * time.Second},
		{"attempts", c.MaxAttempts, 3},
		{"sends", c.SendLimit, 5},
		{"send window", c.SendWindow, 5 * time.Minute},
		{"PIN", c.PIN, PINPolicy{MinLength: 4, MaxLength: 8, RejectRepeated: true, RejectSequential: true}},
		{"fraud code", c.FraudCode, "0"},
		{"push TTL", c.PushTTL, 60 * time.Second},
		{"questions", [3]int{c.Questions.ToRegister, c.Questions.ToReset, c.Questions.Max}, [3]int{3, 3, 5}},
		{"answer length", [2]int{c.Questions.AnswerMinLength, c.Questions.AnswerMaxLength}, [2]int{3, 40}},
		{"custom question", c.Questions.QuestionMaxLength, 200},
		{"lockout", [3]any{c.LockoutDenials, c.LockoutWindow, c.LockoutDuration}, [3]any{5, 10 * time.Minute, 15 * time.Minute}},
		{"method failures", c.MethodMaxFailures, 10},
		{"block", c.BlockDuration, 90 * 24 * time.Hour},
		{"fraud auto-block", c.FraudAutoBlock, true},
		{"remember days", c.RememberDeviceDays, 30},
		{"secret bytes", c.SecretBytes, 20},
	}
	for _, ch := range checks {
		if fmt.Sprint(ch.got) != fmt.Sprint(ch.want) {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Config)
		part   string
	}{
		{"remember 0 days", func(c *Config) { c.RememberDeviceDays = 0 }, "remember-device days must be 1-365"},
		{"remember 366 days", func(c *Config) { c.RememberDeviceDays = 366 }, "remember-device days must be 1-365"},
		{"negative TOTP window", func(c *Config) { c.TOTPWindow.Back = -1 }, "TOTP window"},
		{"HOTP without look-ahead", func(c *Config) { c.HOTPWindow.Forward = 0 }, "HOTP window"},
		{"resync 0", func(c *Config) { c.ResyncWindow = 0 }, "resync window"},
		{"no attempts", func(c *Config) { c.MaxAttempts = 0 }, "max attempts"},
		{"3-digit codes", func(c *Config) { c.CodeDigits = 3 }, "code digits"},
		{"zero TTL", func(c *Config) { c.CodeTTL = 0 }, "code TTL must be positive"},
		{"negative sends", func(c *Config) { c.SendLimit = -1 }, "send limit"},
		{"no send window", func(c *Config) { c.SendWindow = 0 }, "send window"},
		{"PIN 3-8", func(c *Config) { c.PIN.MinLength = 3 }, "PIN length"},
		{"PIN 8-6", func(c *Config) { c.PIN.MaxLength = 6; c.PIN.MinLength = 8 }, "PIN length"},
		{"fraud code letters", func(c *Config) { c.FraudCode = "a" }, "fraud code"},
		{"fraud code as long as a PIN", func(c *Config) { c.FraudCode = "000"; c.PIN.MinLength = 3 }, "fraud code"},
		{"reset more than register", func(c *Config) { c.Questions.ToReset = 4 }, "reset <= register"},
		{"register 6", func(c *Config) { c.Questions.ToRegister = 6 }, "security questions"},
		{"max below register", func(c *Config) { c.Questions.Max = 2 }, "max must be"},
		{"answer 5-4", func(c *Config) { c.Questions.AnswerMinLength = 5; c.Questions.AnswerMaxLength = 4 }, "answer length"},
		{"lockout window 0", func(c *Config) { c.LockoutWindow = 0 }, "lockout window"},
		{"negative method failures", func(c *Config) { c.MethodMaxFailures = -1 }, "method failure"},
		{"block 0", func(c *Config) { c.BlockDuration = 0 }, "block duration"},
		{"secret 8 bytes", func(c *Config) { c.SecretBytes = 8 }, "secret size"},
		{"retention shorter than grace", func(c *Config) { c.ChallengeRetention = time.Minute }, "retention"},
		{"no hash cost", func(c *Config) { c.Hash = HashParams{} }, "PBKDF2 iterations"},
	}
	for _, c := range cases {
		cfg := DefaultConfig()
		c.mutate(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.part) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.part)
		}
		if _, nerr := New(NewMemStore(), cfg); nerr == nil {
			t.Errorf("%s: New accepted the config", c.name)
		}
	}
	// Several problems are reported together.
	cfg := DefaultConfig()
	cfg.MaxAttempts, cfg.RememberDeviceDays = 0, 0
	if err := cfg.Validate(); !strings.Contains(err.Error(), "max attempts") || !strings.Contains(err.Error(), "remember-device") {
		t.Errorf("joined errors: %v", err)
	}
	// Turning a limit off is valid.
	cfg = DefaultConfig()
	cfg.SendLimit, cfg.SendWindow, cfg.LockoutDenials, cfg.LockoutWindow, cfg.MethodMaxFailures = 0, 0, 0, 0, 0
	if err := cfg.Validate(); err != nil {
		t.Errorf("limits off: %v", err)
	}
}

func TestNew(t *testing.T) {
	if _, err := New(nil, DefaultConfig()); err == nil {
		t.Error("nil store accepted")
	}
	if _, err := New(NewMemStore(), DefaultConfig(), WithClock(nil)); err == nil {
		t.Error("nil clock accepted")
	}
	if _, err := New(NewMemStore(), DefaultConfig(), WithRand(nil)); err == nil {
		t.Error("nil random source accepted")
	}
	e, err := New(NewMemStore(), DefaultConfig())
	if err != nil || e.Config().CodeTTL != 180*time.Second {
		t.Fatal(err)
	}
	// WithStore shares the configuration, not the store.
	other := NewMemStore()
	e2 := e.WithStore(other)
	if _, err := e2.Start(smsReq(alice)); err != nil {
		t.Fatal(err)
	}
	if ms, _ := other.Messages(alice); len(ms) != 1 {
		t.Fatal("WithStore engine did not write to its store")
	}
	if ms, _ := e.Messages(alice); len(ms) != 0 {
		t.Fatal("the original engine's store was written")
	}
}

func TestExitCodes(t *testing.T) {
	want := map[Reason]int{
		ReasonWrongCode: 1, ReasonReplayed: 1, ReasonExpired: 1, ReasonWrongNumber: 1, ReasonDenied: 1,
		ReasonNoAnswer: 1, ReasonCanceled: 1, ReasonSuperseded: 1, ReasonClosed: 1, ReasonNotYetValid: 1,
		ReasonUsed: 1, ReasonRevoked: 1, ReasonNotRemembered: 1,
		ReasonLocked: 4, ReasonBlocked: 4, ReasonFraudReported: 4,
		ReasonMalformed: 2, ReasonPolicy: 2, ReasonNotAllowed: 2, ReasonInvalidRequest: 2,
		ReasonNotFound: 3, ReasonNotRegistered: 3,
		ReasonRateLimited: 5,
	}
	for r, code := range want {
		if got := r.ExitCode(); got != code {
			t.Errorf("%s exit %d, want %d", r, got, code)
		}
		wrapped := fmt.Errorf("verify alice: %w", newError(r, "", "m", ""))
		if ExitCode(wrapped) != code || ReasonOf(wrapped) != r {
			t.Errorf("%s through a wrapped error: %d, %s", r, ExitCode(wrapped), ReasonOf(wrapped))
		}
	}
	if ExitCode(nil) != 0 || ExitCode(errors.New("disk full")) != 1 || ReasonOf(errors.New("x")) != "" {
		t.Error("ExitCode of nil or a plain error")
	}
	e := &Error{Reason: ReasonLocked, Message: "locked", Hint: "wait"}
	if e.Error() != "locked; wait" || (&Error{Message: "m"}).Error() != "m" {
		t.Errorf("Error() = %q", e.Error())
	}
	// An open or verified challenge has no error for the sign-in side.
	for _, s := range []State{StateCreated, StateSent, StateVerified} {
		if err := ChallengeError(Challenge{State: s}); err != nil {
			t.Errorf("ChallengeError(%s) = %v", s, err)
		}
	}
}

func TestParseMethod(t *testing.T) {
	for _, m := range Methods {
		if got, err := ParseMethod(string(m)); err != nil || got != m {
			t.Errorf("ParseMethod(%s) = %s, %v", m, got, err)
		}
	}
	if _, err := ParseMethod("carrier-pigeon"); err == nil {
		t.Error("unknown method accepted")
	}
}

func TestStartChecksRequest(t *testing.T) {
	h := newHarness(t)
	for name, req := range map[string]StartRequest{
		"no user":        {Method: MethodSMS},
		"no method":      {UserID: alice},
		"bad purpose":    {UserID: alice, Method: MethodPush, Purpose: "fun", Credential: Credential{MethodID: appID}},
		"push no device": {UserID: alice, Method: MethodPush},
		"oath no key":    {UserID: alice, Method: MethodOATH},
		"tap no pass":    {UserID: alice, Method: MethodTAP},
	} {
		_, err := h.e.Start(req)
		if ReasonOf(err) != ReasonInvalidRequest {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, f := range []func(string) (Result, error){h.e.Cancel, h.e.Resend, h.e.AnswerCall, h.e.MissCall} {
		_, err := f("missing")
		h.wantReason(err, ReasonNotFound)
	}
	if _, err := h.e.Challenge("missing"); ReasonOf(err) != ReasonNotFound {
		t.Errorf("Challenge(missing) = %v", err)
	}
	c := h.start(smsReq(alice))
	h.ok(func() error { _, err := h.e.Cancel(c.ID); return err }())
	_, err := h.e.Cancel(c.ID)
	h.wantReason(err, ReasonCanceled)
}

// TestAttemptLog follows one sign-in through the log: every attempt, the
// refusals and the expiry are there, in order, at the clock's times.
func TestAttemptLog(t *testing.T) {
	h := newHarness(t)
	c := h.start(smsReq(alice))
	code := h.codeFor(c)
	_, _ = h.e.SubmitCode(c.ID, "12", nil)
	h.clock.advance(time.Second)
	_, _ = h.e.SubmitCode(c.ID, wrongCode(code), nil)
	h.clock.advance(time.Second)
	_, _ = h.e.SubmitCode(c.ID, code, nil)
	p := h.start(pushReq(alice))
	h.clock.advance(time.Minute)
	_, _ = h.e.ApprovePush(p.ID, p.Number)
	as, err := h.e.Attempts(alice)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		action Action
		reason Reason
		state  State
	}
	var got []row
	for _, a := range as {
		got = append(got, row{a.Action, a.Reason, a.State})
		if a.UserID != alice || (a.ChallengeID != c.ID && a.ChallengeID != p.ID) {
			t.Errorf("attempt %+v", a)
		}
	}
	want := []row{
		{ActionStart, "", StateSent},
		{ActionCode, ReasonMalformed, StateSent},
		{ActionCode, ReasonWrongCode, StateSent},
		{ActionCode, "", StateVerified},
		{ActionStart, "", StateSent},
		{ActionExpire, ReasonExpired, StateExpired},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("log\n%v\nwant\n%v", got, want)
	}
	if !as[2].At.Equal(t0.Add(time.Second)) || as[2].Method != MethodSMS || as[2].MethodID != methods.MobilePhoneID {
		t.Fatalf("attempt %+v", as[2])
	}
}

// scenario runs a bit of everything; two engines with the same seed and
// clock must leave identical stores.
func scenario(t *testing.T, h *harness) {
	h.registerPIN(alice, "2580")
	h.registerQuestions(alice, fiveQuestions)
	s := h.start(smsReq(alice))
	_, _ = h.e.SubmitCode(s.ID, wrongCode(h.codeFor(s)), nil)
	_, _ = h.e.Resend(s.ID)
	p := h.start(pushReq(alice))
	_, _ = h.e.ApprovePush(p.ID, p.Number)
	_, _ = h.e.RememberDevice(p.ID)
	q := h.start(StartRequest{UserID: alice, Method: MethodQuestions, Purpose: PurposeSSPR})
	_, _ = h.e.AnswerQuestions(q.ID, answersFor(q, fiveQuestions))
	v := h.start(callReq(alice, MethodVoicePIN))
	_, _ = h.e.PressKeys(v.ID, "2580#")
	_, _ = h.e.StartAppEnrollment(AppEnrollmentRequest{UserID: alice, Account: "alice@contoso.com"})
	h.clock.advance(time.Hour)
	_, _ = h.e.PendingPushes(alice)
}

func dump(t *testing.T, s *MemStore) string {
	t.Helper()
	cs, _ := s.UserChallenges(alice)
	slices.SortFunc(cs, func(a, b Challenge) int { return strings.Compare(a.ID, b.ID) })
	u, _ := s.GetUser(alice)
	ms, _ := s.Messages(alice)
	as, _ := s.Attempts(alice)
	b, err := json.Marshal([]any{cs, u, ms, as})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDeterminism(t *testing.T) {
	a, b := newHarness(t), newHarness(t)
	scenario(t, a)
	scenario(t, b)
	if da, db := dump(t, a.store), dump(t, b.store); da != db {
		t.Fatal("same store, clock and seed gave different results")
	}
	// And a different seed gives different codes and ids.
	c := newHarness(t)
	c.e = c.e.WithStore(c.store)
	c.e.rand = rand.NewChaCha8([32]byte{7})
	scenario(t, c)
	if dump(t, a.store) == dump(t, c.store) {
		t.Fatal("the random source is not used")
	}
}

// failingStore fails every write after the first n, like a store whose
// disk fills up mid-operation.
type failingStore struct {
	*MemStore
	writes, n int
}

var errDisk = errors.New("disk full")

func (f *failingStore) write() error {
	f.writes++
	if f.writes > f.n {
		return errDisk
	}
	return nil
}
func (f *failingStore) PutChallenge(c Challenge) error {
	if err := f.write(); err != nil {
		return err
	}
	return f.MemStore.PutChallenge(c)
}
func (f *failingStore) PutUser(u UserState) error {
	if err := f.write(); err != nil {
		return err
	}
	return f.MemStore.PutUser(u)
}
func (f *failingStore) AppendMessage(m Message) error {
	if err := f.write(); err != nil {
		return err
	}
	return f.MemStore.AppendMessage(m)
}
func (f *failingStore) AppendAttempt(a Attempt) error {
	if err := f.write(); err != nil {
		return err
	}
	return f.MemStore.AppendAttempt(a)
}

// TestStoreFailuresAreNotVerdicts fails the store at every write of a few
// operations: the engine must return the store's error, never an *Error
// (which would tell the mock to commit a half-done operation), and never
// report success.
func TestStoreFailuresAreNotVerdicts(t *testing.T) {
	ops := map[string]func(h *harness) error{
		"start sms": func(h *harness) error { _, err := h.e.Start(smsReq(alice)); return err },
		"wrong code": func(h *harness) error {
			_, err := h.e.SubmitCode(h.seed.ID, "000000", nil)
			return err
		},
		"deny push": func(h *harness) error {
			c, err := h.e.Start(pushReq(alice))
			if err != nil {
				return err
			}
			_, err = h.e.DenyPush(c.Challenge.ID, true)
			return err
		},
		"register pin": func(h *harness) error { return h.e.RegisterPIN(alice, "2580") },
	}
	for name, op := range ops {
		for n := 0; n < 8; n++ {
			h := newHarness(t)
			h.seed = h.start(smsReq(alice))
			fs := &failingStore{MemStore: h.store, n: n}
			h.e = h.e.WithStore(fs)
			err := op(h)
			if fs.writes <= n {
				break // the operation finished within n writes
			}
			if !errors.Is(err, errDisk) || ReasonOf(err) != "" {
				t.Fatalf("%s failing after %d writes: %v", name, n, err)
			}
		}
	}
}

func TestMemStoreCopies(t *testing.T) {
	s := NewMemStore()
	u := UserState{UserID: alice, Devices: []RememberedDevice{{ID: "d1"}}, MethodFailures: map[string]MethodFailures{"m": {Count: 1}}}
	if err := s.PutUser(u); err != nil {
		t.Fatal(err)
	}
	u.Devices[0].ID = "changed"
	u.MethodFailures["m"] = MethodFailures{Count: 9}
	got, _ := s.GetUser(alice)
	if got.Devices[0].ID != "d1" || got.MethodFailures["m"].Count != 1 {
		t.Fatal("the store shares memory with the caller")
	}
	if _, err := s.GetUser(bob); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing user: %v", err)
	}
	if _, err := s.GetChallenge("x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing challenge: %v", err)
	}
}

func TestChallengeRetention(t *testing.T) {
	h := newHarness(t)
	old := h.start(smsReq(alice))
	_, err := h.e.Cancel(old.ID)
	h.ok(err)
	h.clock.advance(24*time.Hour - time.Second)
	h.start(smsReq(alice))
	if _, err := h.store.GetChallenge(old.ID); err != nil {
		t.Fatal("deleted before the retention ended")
	}
	h.clock.advance(time.Second)
	h.start(smsReq(alice))
	if _, err := h.store.GetChallenge(old.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("kept after the retention: %v", err)
	}
	// The attempt log keeps its entries.
	if as, _ := h.e.Attempts(alice); as[0].ChallengeID != old.ID {
		t.Fatal("the log lost the old challenge")
	}
}

func TestNoSecretInPrintedValues(t *testing.T) {
	h := newHarness(t)
	en, err := h.e.StartAppEnrollment(AppEnrollmentRequest{UserID: alice, Account: "alice@contoso.com"})
	h.ok(err)
	_, err = h.e.SubmitCode(en.Challenge.ID, h.totpNow(0), nil) // wrong key: a different secret
	h.check(err)
	p := h.start(pushReq(alice))
	_, err = h.e.ApprovePush(p.ID, p.Number)
	h.ok(err)
	tok, err := h.e.RememberDevice(p.ID)
	h.ok(err)
	qa := QuestionAnswer{"Q?", "my secret answer"}
	secret := strings.Split(tok.Token, ".")[1]
	values := map[string]any{
		"enrolment": en, "pending key": *en.Challenge.PendingKey, "challenge": en.Challenge,
		"device token": tok, "question": qa, "questions": []QuestionAnswer{qa},
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			out := fmt.Sprintf(verb, v)
			for _, s := range []string{string(en.Secret), secret, "my secret answer"} {
				if strings.Contains(out, s) {
					t.Fatalf("%s printed with %s shows a secret: %s", name, verb, out)
				}
			}
		}
	}
}

func TestStartExpiresOverdueChallenges(t *testing.T) {
	h := newHarness(t)
	p := h.start(pushReq(alice))
	s := h.start(smsReq(alice))
	h.clock.advance(90 * time.Second) // past the push timeout, not the code TTL
	h.start(callReq(alice, MethodVoice))
	cs, err := h.e.Challenges(alice)
	if err != nil || len(cs) != 3 {
		t.Fatalf("challenges %d, %v", len(cs), err)
	}
	states := map[string]State{}
	for i, c := range cs {
		states[c.ID] = c.State
		if i > 0 && cs[i-1].CreatedAt.After(c.CreatedAt) {
			t.Fatal("Challenges not oldest first")
		}
	}
	if states[p.ID] != StateExpired || states[s.ID] != StateSent {
		t.Fatalf("states %v", states)
	}
}

func TestRefusalsOnEveryInput(t *testing.T) {
	// A user locked while challenges are open: each input path refuses and
	// closes its challenge as locked.
	h := newHarness(t, func(c *Config) { c.LockoutDenials = 1 })
	h.registerPIN(alice, "2580")
	h.registerQuestions(alice, fiveQuestions)
	push := h.start(pushReq(alice))
	call := h.start(callReq(alice, MethodVoicePIN))
	qs := h.start(StartRequest{UserID: alice, Method: MethodQuestions, Purpose: PurposeSSPR})
	tapPass, tap := h.tap(false, t0, 60)
	tc := h.start(tapReq(alice, tap))
	h.wantReason(h.denyOnce(alice), ReasonLocked)
	for name, op := range map[string]func() (Result, error){
		"approve": func() (Result, error) { return h.e.ApprovePush(push.ID, push.Number) },
		"keys":    func() (Result, error) { return h.e.PressKeys(call.ID, "2580#") },
		"answers": func() (Result, error) { return h.e.AnswerQuestions(qs.ID, answersFor(qs, fiveQuestions)) },
		"tap": func() (Result, error) {
			return h.e.SubmitCode(tc.ID, tapPass, &Credential{MethodID: "tap-1", TAP: tap})
		},
	} {
		res, err := op()
		h.wantReason(err, ReasonLocked)
		if res.Challenge.State != StateLocked {
			t.Errorf("%s: state %s", name, res.Challenge.State)
		}
	}
}

func TestChallengeErrorMessages(t *testing.T) {
	cases := []struct {
		c      Challenge
		reason Reason
		part   string
	}{
		{Challenge{State: StateDenied, Reason: ReasonDenied, Method: MethodPush}, ReasonDenied, "denied on the device"},
		{Challenge{State: StateFraudReported, Reason: ReasonFraudReported, UserID: alice}, ReasonFraudReported, "ask an admin to unblock the user if the report was a mistake"},
		{Challenge{State: StateExpired, Reason: ReasonExpired, Method: MethodSMS}, ReasonExpired, "text message code expired; get a new code with --send"},
		{Challenge{State: StateExpired, Reason: ReasonExpired, Method: MethodPush}, ReasonExpired, "Authenticator notification expired; start a new verification"},
		{Challenge{State: StateFailed, Reason: ReasonExpired, Method: MethodTAP}, ReasonExpired, "Temporary Access Pass has expired"},
		{Challenge{State: StateFailed, Reason: ReasonUsed, Method: MethodTAP}, ReasonUsed, "already used"},
		{Challenge{State: StateFailed, Reason: ReasonNotYetValid, Method: MethodTAP}, ReasonNotYetValid, "not valid yet"},
		{Challenge{State: StateFailed, Reason: ReasonNotRegistered, Method: MethodVoicePIN, UserID: alice}, ReasonNotRegistered, "register a PIN for phone calls"},
		{Challenge{State: StateFailed, Reason: ReasonNoAnswer, Method: MethodVoice}, ReasonNoAnswer, "not answered"},
		{Challenge{State: StateFailed, Reason: ReasonWrongCode, Method: MethodSMS}, ReasonWrongCode, "no attempts left; get a new code"},
		{Challenge{State: StateFailed, Reason: ReasonWrongNumber, Method: MethodPush}, ReasonWrongNumber, "did not match"},
		{Challenge{State: StateLocked, Reason: ReasonLocked}, ReasonLocked, "locked"},
		{Challenge{State: StateDenied, Reason: ReasonBlocked}, ReasonBlocked, "blocked"},
		{Challenge{State: StateCanceled, Reason: ReasonSuperseded}, ReasonSuperseded, "newer verification"},
		{Challenge{State: StateCanceled, Reason: ReasonCanceled}, ReasonCanceled, "canceled"},
	}
	next := map[Reason]Next{ReasonFraudReported: NextUnblock, ReasonNotRegistered: NextRegisterPIN, ReasonLocked: NextUnblock,
		ReasonBlocked: NextUnblock, ReasonUsed: NextNewPass}
	for _, c := range cases {
		err := ChallengeError(c.c)
		if ReasonOf(err) != c.reason || !strings.Contains(err.Error(), c.part) {
			t.Errorf("%s/%s: %v, want %s containing %q", c.c.State, c.c.Reason, err, c.reason, c.part)
		}
		// The step that lifts the refusal is a code the CLI phrases; the
		// engine names no command.
		want := next[c.reason]
		if c.c.Method == MethodTAP && c.reason == ReasonExpired {
			want = NextNewPass // the pass ran out, not the prompt
		}
		var ve *Error
		if errors.As(err, &ve) && (ve.Next != want || strings.Contains(ve.Hint, "mfactl")) {
			t.Errorf("%s/%s: next %q hint %q, want next %q and no command", c.c.State, c.c.Reason, ve.Next, ve.Hint, want)
		}
	}
}
