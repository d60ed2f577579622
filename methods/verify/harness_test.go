package verify

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// t0 is the fixed start of every test clock: mid-step for 30 s TOTP, so
// "one step either side" is unambiguous.
var t0 = time.Date(2026, 11, 23, 9, 0, 15, 0, time.UTC)

const (
	alice = "11111111-1111-4111-8111-111111111111"
	bob   = "22222222-2222-4222-8222-222222222222"

	mobile = "+1 4255550100"
	office = "+1 4255550199x1234"
	appID  = "authenticator-1"
	oathID = "oath-1"
)

// testSecret is the RFC 4226/6238 20-byte seed.
const testSecret = methods.OATHSecret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) advance(d time.Duration) { c.now = c.now.Add(d) }

type harness struct {
	t     *testing.T
	e     *Engine
	store *MemStore
	clock *fakeClock
	cfg   Config
	// secrets are every code, PIN, answer and pass the test handles; no
	// error message may contain one (checked by check()).
	secrets []string
	// lastTAP is the pass of the last TAP challenge started.
	lastTAP *TAPCredential
	// seed is a challenge a test prepared before swapping the store.
	seed Challenge
}

// testConfig is DefaultConfig with a cheap PBKDF2 cost: the cost is stored
// per hash and the algorithm is the same, so only speed changes.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Hash = HashParams{Iterations: 10}
	return cfg
}

func newHarness(t *testing.T, mutate ...func(*Config)) *harness {
	t.Helper()
	cfg := testConfig()
	for _, m := range mutate {
		m(&cfg)
	}
	clock := &fakeClock{now: t0}
	store := NewMemStore()
	e, err := New(store, cfg, WithClock(clock.Now), WithRand(rand.NewChaCha8([32]byte{42})))
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, e: e, store: store, clock: clock, cfg: cfg}
}

// check fails the test on a non-verdict error (the engine failed, not the
// user) and on any error text that leaks a secret. It returns the verdict.
func (h *harness) check(err error) *Error {
	h.t.Helper()
	if err == nil {
		return nil
	}
	var v *Error
	if !errors.As(err, &v) {
		h.t.Fatalf("operation failed (not a verdict): %v", err)
	}
	for _, s := range h.secrets {
		if len(s) >= 3 && strings.Contains(err.Error(), s) {
			h.t.Fatalf("error %q contains the secret %q", err, s)
		}
	}
	return v
}

// wantReason asserts an operation was refused for reason r.
func (h *harness) wantReason(err error, r Reason) *Error {
	h.t.Helper()
	v := h.check(err)
	if v == nil {
		h.t.Fatalf("no error, want %s", r)
	}
	if v.Reason != r {
		h.t.Fatalf("reason %s (%v), want %s", v.Reason, v, r)
	}
	return v
}

func (h *harness) ok(err error) {
	h.t.Helper()
	if v := h.check(err); v != nil {
		h.t.Fatalf("unexpected verdict: %v", v)
	}
}

func (h *harness) start(req StartRequest) Challenge {
	h.t.Helper()
	res, err := h.e.Start(req)
	h.ok(err)
	return res.Challenge
}

func smsReq(user string) StartRequest {
	return StartRequest{UserID: user, Method: MethodSMS, Credential: Credential{
		MethodID: methods.MobilePhoneID, PhoneNumber: mobile, PhoneType: methods.PhoneMobile,
	}}
}

func callReq(user string, m Method) StartRequest {
	return StartRequest{UserID: user, Method: m, Credential: Credential{
		MethodID: methods.MobilePhoneID, PhoneNumber: mobile, PhoneType: methods.PhoneMobile,
	}}
}

func officeReq(user string, m Method) StartRequest {
	return StartRequest{UserID: user, Method: m, Credential: Credential{
		MethodID: methods.OfficePhoneID, PhoneNumber: office, PhoneType: methods.PhoneOffice,
	}}
}

func pushReq(user string) StartRequest {
	return StartRequest{UserID: user, Method: MethodPush, Credential: Credential{MethodID: appID}}
}

func oathCred(st methods.OATHState) Credential {
	return Credential{MethodID: oathID, OATH: &OATHCredential{Key: methods.NewTOTPKey(testSecret), State: st}}
}

func oathReq(user string, st methods.OATHState) StartRequest {
	return StartRequest{UserID: user, Method: MethodOATH, Credential: oathCred(st)}
}

// totpNow is the code the test token shows at the harness clock, shifted
// by steps.
func (h *harness) totpNow(steps int) string {
	h.t.Helper()
	k := methods.NewTOTPKey(testSecret)
	code, err := k.Code(h.clock.now.Add(time.Duration(steps) * 30 * time.Second))
	if err != nil {
		h.t.Fatal(err)
	}
	h.secrets = append(h.secrets, code)
	return code
}

// lastMessage is the newest outbox message of a user.
func (h *harness) lastMessage(user string) Message {
	h.t.Helper()
	ms, err := h.e.Messages(user)
	if err != nil || len(ms) == 0 {
		h.t.Fatalf("no messages for %s: %v", user, err)
	}
	return ms[len(ms)-1]
}

// codeFor reads the code of a challenge from its outbox message: the
// digits before the first full stop ("Use verification code 123456 for
// ..." or "Your verification code is 1 2 3 4 5 6. ...").
func (h *harness) codeFor(c Challenge) string {
	h.t.Helper()
	ms, err := h.e.Messages(c.UserID)
	if err != nil {
		h.t.Fatal(err)
	}
	i := slices.IndexFunc(ms, func(m Message) bool { return m.ChallengeID == c.ID })
	if i < 0 {
		h.t.Fatalf("no message for challenge %s", c.ID)
	}
	text, _, _ := strings.Cut(ms[i].Text, ".")
	code := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, text)
	if len(code) != h.cfg.CodeDigits {
		h.t.Fatalf("message %q has no %d-digit code", ms[i].Text, h.cfg.CodeDigits)
	}
	h.secrets = append(h.secrets, code)
	return code
}

// wrongCode is a code that differs from code in its first digit.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func (h *harness) challenge(id string) Challenge {
	h.t.Helper()
	c, err := h.e.Challenge(id)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *harness) user(id string) UserState {
	h.t.Helper()
	u, err := h.store.GetUser(id)
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

// history is a challenge's states, in order.
func history(c Challenge) []State {
	out := make([]State, len(c.History))
	for i, tr := range c.History {
		out[i] = tr.State
	}
	return out
}

func (h *harness) wantHistory(c Challenge, want ...State) {
	h.t.Helper()
	if got := history(c); !slices.Equal(got, want) {
		h.t.Fatalf("history %v, want %v", got, want)
	}
	for _, tr := range c.History {
		if tr.At.After(h.clock.now) {
			h.t.Fatalf("transition %s at %s is in the future (now %s)", tr.State, tr.At, h.clock.now)
		}
	}
}

func (h *harness) registerPIN(user, pin string) {
	h.t.Helper()
	h.secrets = append(h.secrets, pin)
	h.ok(h.e.RegisterPIN(user, pin))
}

var fiveQuestions = []QuestionAnswer{
	{"In what city were you born?", "Springfield"},
	{"What was the name of your first pet?", "Rex the Dog"},
	{"What is your favourite food?", "pancakes"},
	{"What was your first car?", "Beetle"},
	{"Custom: which street did you grow up on?", "Evergreen Terrace"},
}

func (h *harness) registerQuestions(user string, qs []QuestionAnswer) {
	h.t.Helper()
	for _, q := range qs {
		h.secrets = append(h.secrets, q.Answer)
	}
	h.ok(h.e.RegisterQuestions(user, false, qs))
}

// answersFor returns the right answers for the questions a challenge asks.
func answersFor(c Challenge, qs []QuestionAnswer) []string {
	out := make([]string, len(c.Questions))
	for i, q := range c.Questions {
		for _, qa := range qs {
			if qa.Question == q {
				out[i] = qa.Answer
			}
		}
	}
	return out
}

func (h *harness) tap(once bool, start time.Time, minutes int) (string, *TAPCredential) {
	h.t.Helper()
	pass, hash, err := h.e.NewTAP(12)
	if err != nil {
		h.t.Fatal(err)
	}
	h.secrets = append(h.secrets, pass)
	return pass, &TAPCredential{Hash: hash, Start: start, LifetimeMinutes: minutes, UsableOnce: once}
}

func tapReq(user string, cred *TAPCredential) StartRequest {
	return StartRequest{UserID: user, Method: MethodTAP, Credential: Credential{MethodID: "tap-1", TAP: cred}}
}

// attemptActions lists the actions of a user's attempt log.
func (h *harness) attemptActions(user string) []Action {
	h.t.Helper()
	as, err := h.e.Attempts(user)
	if err != nil {
		h.t.Fatal(err)
	}
	out := make([]Action, len(as))
	for i, a := range as {
		out[i] = a.Action
	}
	return out
}
