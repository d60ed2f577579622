package verify

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// denyOnce makes one denial: a wrong SMS code on a fresh challenge.
func (h *harness) denyOnce(user string) error {
	h.t.Helper()
	c := h.start(smsReq(user))
	_, err := h.e.SubmitCode(c.ID, wrongCode(h.codeFor(c)), nil)
	return err
}

func TestUserLockout(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SendLimit = 0 })
	// Four denials spread over the window: not locked yet.
	for range 4 {
		h.wantReason(h.denyOnce(alice), ReasonWrongCode)
		h.clock.advance(2 * time.Minute)
	}
	if st, _ := h.e.Status(alice); st.Locked || st.Denials != 4 {
		t.Fatalf("status %+v", st)
	}
	// The fifth, 8 minutes after the first, locks the user for 15 minutes,
	// whatever the method, and the challenge ends locked.
	c := h.start(pushReq(alice))
	lockedAt := h.clock.now
	res, err := h.e.ApprovePush(c.ID, 10+(c.Number-9)%90)
	v := h.wantReason(err, ReasonLocked)
	if res.Challenge.State != StateLocked || !v.Until.Equal(lockedAt.Add(15*time.Minute)) || v.Reason.ExitCode() != 4 ||
		v.Next != NextUnblock || !strings.Contains(v.Hint, "ask an admin to unblock the user") {
		t.Fatalf("lock: %s, %v until %s", res.Challenge.State, v, v.Until)
	}
	// Locked: nothing starts, on any method, and open challenges refuse.
	h.clock.advance(14*time.Minute + 59*time.Second)
	for _, req := range []StartRequest{smsReq(alice), pushReq(alice), oathReq(alice, methods.OATHState{})} {
		_, err := h.e.Start(req)
		h.wantReason(err, ReasonLocked)
	}
	// Other users are fine.
	h.start(smsReq(bob))
	// At the unlock time everything works again, with a fresh counter.
	h.clock.now = lockedAt.Add(15 * time.Minute)
	c = h.start(smsReq(alice))
	if st, _ := h.e.Status(alice); st.Locked || st.Denials != 0 {
		t.Fatalf("status after the lock %+v", st)
	}
	_, err = h.e.SubmitCode(c.ID, h.codeFor(c), nil)
	h.ok(err)
}

func TestLockoutWindowResets(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SendLimit = 0 })
	// Denials further apart than the window never lock the user...
	for range 9 {
		h.wantReason(h.denyOnce(alice), ReasonWrongCode)
		h.clock.advance(5 * time.Minute)
	}
	if st, _ := h.e.Status(alice); st.Locked || len(st.LockedMethods) != 0 {
		t.Fatalf("locked by denials spread over 45 minutes: %+v", st)
	}
	// ...but the method's own counter, which time does not reset, locks
	// the phone at the tenth wrong code.
	v := h.wantReason(h.denyOnce(alice), ReasonLocked)
	if st, _ := h.e.Status(alice); st.Locked || !slices.Equal(st.LockedMethods, []string{methods.MobilePhoneID}) || !strings.Contains(v.Message, "method") {
		t.Fatalf("status %+v, %v", st, v)
	}
	// Exactly at the window's end the counter restarts.
	h2 := newHarness(t, func(c *Config) { c.SendLimit = 0 })
	for range 4 {
		h2.wantReason(h2.denyOnce(alice), ReasonWrongCode)
	}
	h2.clock.advance(10 * time.Minute)
	h2.wantReason(h2.denyOnce(alice), ReasonWrongCode)
	if st, _ := h2.e.Status(alice); st.Locked || st.Denials != 1 {
		t.Fatalf("status %+v", st)
	}
	// A success resets the counter.
	for range 3 {
		h2.wantReason(h2.denyOnce(alice), ReasonWrongCode)
	}
	c := h2.start(smsReq(alice))
	_, err := h2.e.SubmitCode(c.ID, h2.codeFor(c), nil)
	h2.ok(err)
	if st, _ := h2.e.Status(alice); st.Denials != 0 {
		t.Fatalf("denials %d after a success", st.Denials)
	}
	// Lockout off.
	h3 := newHarness(t, func(c *Config) { c.SendLimit, c.LockoutDenials, c.MethodMaxFailures = 0, 0, 0 })
	for range 20 {
		h3.wantReason(h3.denyOnce(alice), ReasonWrongCode)
	}
}

func TestPINLockoutAcrossCalls(t *testing.T) {
	// MFA Server's lockout counts PIN denials across calls.
	h := newHarness(t)
	h.registerPIN(alice, "2580")
	c := h.start(callReq(alice, MethodVoicePIN))
	h.wantReason(func() error { _, err := h.e.PressKeys(c.ID, "1111#2222#3333#"); return err }(), ReasonWrongCode)
	if got := h.challenge(c.ID); got.State != StateFailed {
		t.Fatal(got.State)
	}
	c = h.start(callReq(alice, MethodVoicePIN))
	res, err := h.e.PressKeys(c.ID, "4444#5555#2580#")
	h.wantReason(err, ReasonLocked)
	// The right PIN after the lock is never looked at.
	if res.Challenge.State != StateLocked || res.Challenge.Attempts != 2 {
		t.Fatalf("state %s attempts %d", res.Challenge.State, res.Challenge.Attempts)
	}
	as, _ := h.e.Attempts(alice)
	wrong := 0
	for _, a := range as {
		if a.Action == ActionKeys && (a.Reason == ReasonWrongCode || a.Reason == ReasonLocked) {
			wrong++
		}
	}
	if wrong != 5 {
		t.Fatalf("%d PIN denials logged, want 5", wrong)
	}
}

func TestMethodFailureLimit(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.LockoutDenials, c.MethodMaxFailures, c.MaxAttempts = 0, 4, 10 })
	c := h.start(oathReq(alice, methods.OATHState{}))
	cred := oathCred(methods.OATHState{})
	for range 3 {
		_, err := h.e.SubmitCode(c.ID, wrongCode(h.totpNow(0)), &cred)
		h.wantReason(err, ReasonWrongCode)
	}
	res, err := h.e.SubmitCode(c.ID, wrongCode(h.totpNow(0)), &cred)
	v := h.wantReason(err, ReasonLocked)
	if res.Challenge.State != StateLocked || !strings.Contains(v.Message, "method is locked") {
		t.Fatalf("%s %v", res.Challenge.State, v)
	}
	// The method stays locked, days later; other methods work.
	h.clock.advance(72 * time.Hour)
	_, err = h.e.Start(oathReq(alice, methods.OATHState{}))
	h.wantReason(err, ReasonLocked)
	h.start(smsReq(alice))
	if st, _ := h.e.Status(alice); !slices.Equal(st.LockedMethods, []string{oathID}) {
		t.Fatalf("locked methods %v", st.LockedMethods)
	}
	// An admin unblock clears it.
	h.ok(h.e.Unblock(alice))
	_, err = h.e.VerifyCode(oathReq(alice, methods.OATHState{}), h.totpNow(0))
	h.ok(err)

	// With a reset time, the lock lifts by itself.
	h2 := newHarness(t, func(c *Config) {
		c.LockoutDenials, c.MethodMaxFailures, c.MethodFailureReset, c.MaxAttempts = 0, 2, time.Hour, 10
	})
	c = h2.start(oathReq(alice, methods.OATHState{}))
	for range 2 {
		_, err = h2.e.SubmitCode(c.ID, wrongCode(h2.totpNow(0)), &cred)
	}
	h2.wantReason(err, ReasonLocked)
	h2.clock.advance(59 * time.Minute)
	_, err = h2.e.Start(oathReq(alice, methods.OATHState{}))
	h2.wantReason(err, ReasonLocked)
	h2.clock.advance(time.Minute)
	_, err = h2.e.VerifyCode(oathReq(alice, methods.OATHState{}), h2.totpNow(0))
	h2.ok(err)
	// A success clears the count of failures.
	c = h2.start(oathReq(alice, methods.OATHState{}))
	_, err = h2.e.SubmitCode(c.ID, wrongCode(h2.totpNow(0)), &cred)
	h2.wantReason(err, ReasonWrongCode)
	h2.clock.advance(30 * time.Second)
	_, err = h2.e.SubmitCode(c.ID, h2.totpNow(0), &cred)
	h2.ok(err)
	if u := h2.user(alice); len(u.MethodFailures) != 0 {
		t.Fatalf("failures after success %+v", u.MethodFailures)
	}
}

func TestAdminBlockAndUnblock(t *testing.T) {
	h := newHarness(t)
	open := h.start(smsReq(alice))
	code := h.codeFor(open)
	h.ok(h.e.Block(alice))
	// Nothing is sent to a blocked user.
	before, _ := h.e.Messages(alice)
	_, err := h.e.Start(smsReq(alice))
	v := h.wantReason(err, ReasonBlocked)
	if !v.Until.Equal(t0.Add(90*24*time.Hour)) || !strings.Contains(v.Message, "by an admin") {
		t.Fatalf("%v until %s", v, v.Until)
	}
	if after, _ := h.e.Messages(alice); len(after) != len(before) {
		t.Fatal("a blocked user was sent a message")
	}
	// An open challenge is denied, even with the right code.
	res, err := h.e.SubmitCode(open.ID, code, nil)
	h.wantReason(err, ReasonBlocked)
	if res.Challenge.State != StateDenied || res.Challenge.Reason != ReasonBlocked {
		t.Fatalf("%s/%s", res.Challenge.State, res.Challenge.Reason)
	}
	// Unblock restores everything.
	h.ok(h.e.Unblock(alice))
	c := h.start(smsReq(alice))
	_, err = h.e.SubmitCode(c.ID, h.codeFor(c), nil)
	h.ok(err)
	// A block ends by itself after BlockDuration.
	h.ok(h.e.Block(alice))
	h.clock.advance(90*24*time.Hour - time.Second)
	_, err = h.e.Start(smsReq(alice))
	h.wantReason(err, ReasonBlocked)
	h.clock.advance(time.Second)
	h.start(smsReq(alice))

	got := actionStrings(h.attemptActions(alice))
	for _, a := range []string{"block", "unblock"} {
		if !slices.Contains(got, a) {
			t.Fatalf("%s not logged: %v", a, got)
		}
	}
	for _, f := range []func(string) error{h.e.Block, h.e.Unblock} {
		h.wantReason(f(""), ReasonInvalidRequest)
	}
}

func TestFraudBlockUntilUnblock(t *testing.T) {
	h := newHarness(t)
	c := h.start(pushReq(alice))
	_, err := h.e.DenyPush(c.ID, true)
	h.ok(err)
	// Blocked for 90 days: every method, even remembered devices.
	h.clock.advance(89 * 24 * time.Hour)
	_, err = h.e.Start(callReq(alice, MethodVoice))
	h.wantReason(err, ReasonBlocked)
	h.ok(h.e.Unblock(alice))
	st, _ := h.e.Status(alice)
	if st.Blocked || len(st.FraudReports) != 1 || st.FraudReports[0].ChallengeID != c.ID {
		t.Fatalf("status after unblock %+v", st)
	}
	h.start(callReq(alice, MethodVoice))
}

func TestRememberDevice(t *testing.T) {
	h := newHarness(t)
	c := h.start(pushReq(alice))
	// Not before verification.
	_, err := h.e.RememberDevice(c.ID)
	h.wantReason(err, ReasonNotAllowed)
	_, err = h.e.ApprovePush(c.ID, c.Number)
	h.ok(err)
	tok, err := h.e.RememberDevice(c.ID)
	h.ok(err)
	h.secrets = append(h.secrets, tok.Token)
	if !tok.ExpiresAt.Equal(t0.Add(30*24*time.Hour)) || tok.UserID != alice || strings.Contains(tok.String(), tok.Token) {
		t.Fatalf("token %v", tok)
	}
	// Once per sign-in.
	_, err = h.e.RememberDevice(c.ID)
	h.wantReason(err, ReasonClosed)
	// Valid until the last second of the 30 days.
	h.clock.advance(30*24*time.Hour - time.Second)
	d, err := h.e.CheckDevice(alice, tok.Token)
	h.ok(err)
	if d.ID != tok.ID || d.Method != MethodPush || len(d.Token.Sum) != 0 {
		t.Fatalf("device %+v", d)
	}
	h.clock.advance(time.Second)
	_, err = h.e.CheckDevice(alice, tok.Token)
	h.wantReason(err, ReasonExpired)
	// Wrong user, tampered token, garbage: not remembered.
	for _, bad := range []struct{ user, token string }{
		{bob, tok.Token}, {alice, tok.Token + "x"}, {alice, tok.ID + ".AAAA"}, {alice, "garbage"}, {alice, ""},
	} {
		_, err := h.e.CheckDevice(bad.user, bad.token)
		h.wantReason(err, ReasonNotRemembered)
	}
}

func TestRememberDeviceRevocation(t *testing.T) {
	h := newHarness(t)
	issue := func() DeviceToken {
		c := h.start(smsReq(alice))
		_, err := h.e.SubmitCode(c.ID, h.codeFor(c), nil)
		h.ok(err)
		tok, err := h.e.RememberDevice(c.ID)
		h.ok(err)
		return tok
	}
	a, b := issue(), issue()
	n, err := h.e.RevokeSessions(alice)
	if err != nil || n != 2 {
		t.Fatalf("revoked %d, %v", n, err)
	}
	for _, tok := range []DeviceToken{a, b} {
		_, err := h.e.CheckDevice(alice, tok.Token)
		v := h.wantReason(err, ReasonRevoked)
		if v.Reason.ExitCode() != 1 {
			t.Fatal(v)
		}
	}
	// A token issued after the revocation, at the very same instant, works:
	// the epoch, not the clock, orders them.
	c := issue()
	h.ok(func() error { _, err := h.e.CheckDevice(alice, c.Token); return err }())
	if st, _ := h.e.Status(alice); st.RememberedDevices != 1 || !st.SessionsRevokedAt.Equal(t0) {
		t.Fatalf("status %+v", st)
	}
	if n, _ := h.e.RevokeSessions(alice); n != 1 {
		t.Fatalf("second revocation counted %d", n)
	}
	// A blocked user cannot skip MFA with a remembered device.
	d := issue()
	h.ok(h.e.Block(alice))
	_, err = h.e.CheckDevice(alice, d.Token)
	h.wantReason(err, ReasonBlocked)
	_, err = h.e.RevokeSessions("")
	h.wantReason(err, ReasonInvalidRequest)
}

func TestRememberDeviceRules(t *testing.T) {
	for _, days := range []int{1, 365} {
		h := newHarness(t, func(c *Config) { c.RememberDeviceDays = days })
		c := h.start(pushReq(alice))
		_, err := h.e.ApprovePush(c.ID, c.Number)
		h.ok(err)
		tok, err := h.e.RememberDevice(c.ID)
		h.ok(err)
		if !tok.ExpiresAt.Equal(t0.Add(time.Duration(days) * 24 * time.Hour)) {
			t.Errorf("%d days: expires %s", days, tok.ExpiresAt)
		}
	}
	// Too late after the verification.
	h := newHarness(t)
	c := h.start(pushReq(alice))
	_, err := h.e.ApprovePush(c.ID, c.Number)
	h.ok(err)
	h.clock.advance(10 * time.Minute)
	_, err = h.e.RememberDevice(c.ID)
	h.wantReason(err, ReasonExpired)
	// Only sign-ins, not password resets or registrations.
	h.registerQuestions(alice, fiveQuestions)
	q := h.start(StartRequest{UserID: alice, Method: MethodQuestions, Purpose: PurposeSSPR})
	_, err = h.e.AnswerQuestions(q.ID, answersFor(q, fiveQuestions))
	h.ok(err)
	_, err = h.e.RememberDevice(q.ID)
	h.wantReason(err, ReasonNotAllowed)
	_, err = h.e.RememberDevice("no-such-challenge")
	h.wantReason(err, ReasonNotFound)
	// Feature off.
	off := newHarness(t, func(c *Config) { c.RememberDevice = false })
	c = off.start(pushReq(alice))
	_, err = off.e.ApprovePush(c.ID, c.Number)
	off.ok(err)
	_, err = off.e.RememberDevice(c.ID)
	off.wantReason(err, ReasonNotAllowed)
}
