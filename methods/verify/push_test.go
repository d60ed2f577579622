package verify

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPushNumberMatching(t *testing.T) {
	h := newHarness(t)
	c := h.start(pushReq(alice))
	if c.Number < 10 || c.Number > 99 || !c.ExpiresAt.Equal(t0.Add(60*time.Second)) || c.MaxAttempts != 1 {
		t.Fatalf("push %+v", c)
	}
	// The device sees the prompt, never the number.
	m := h.lastMessage(alice)
	if m.Channel != ChannelPush || m.To != appID || strings.Contains(m.Text, strconv.Itoa(c.Number)) {
		t.Fatalf("notification %+v", m)
	}
	ps, err := h.e.PendingPushes(alice)
	if err != nil || len(ps) != 1 || ps[0].ChallengeID != c.ID || ps[0].MethodID != appID {
		t.Fatalf("pending %+v, %v", ps, err)
	}
	// A number of the wrong shape is a typo, not a wrong number.
	for _, n := range []int{-1, 0, 9, 100} {
		_, err := h.e.ApprovePush(c.ID, n)
		h.wantReason(err, ReasonMalformed)
	}
	res, err := h.e.ApprovePush(c.ID, c.Number)
	h.ok(err)
	if res.Challenge.State != StateVerified {
		t.Fatal(res.Challenge.State)
	}
	if ps, _ := h.e.PendingPushes(alice); len(ps) != 0 {
		t.Fatalf("still pending: %+v", ps)
	}
	_, err = h.e.ApprovePush(c.ID, c.Number)
	h.wantReason(err, ReasonClosed)
}

func TestPushWrongNumberFailsAtOnce(t *testing.T) {
	h := newHarness(t)
	c := h.start(pushReq(alice))
	wrong := 10 + (c.Number-9)%90
	res, err := h.e.ApprovePush(c.ID, wrong)
	v := h.wantReason(err, ReasonWrongNumber)
	if res.Challenge.State != StateFailed || v.Reason.ExitCode() != 1 {
		t.Fatalf("state %s", res.Challenge.State)
	}
	if u := h.user(alice); u.Lockout.Denials != 1 || u.MethodFailures[appID].Count != 1 {
		t.Fatalf("wrong number not counted: %+v", u.Lockout)
	}
	_, err = h.e.ApprovePush(c.ID, c.Number)
	h.wantReason(err, ReasonClosed)
}

func TestPushDenyAndReport(t *testing.T) {
	h := newHarness(t)
	c := h.start(pushReq(alice))
	res, err := h.e.DenyPush(c.ID, false)
	h.ok(err)
	if res.Challenge.State != StateDenied {
		t.Fatal(res.Challenge.State)
	}
	if v := h.wantReason(ChallengeError(res.Challenge), ReasonDenied); v.Reason.ExitCode() != 1 {
		t.Fatal(v)
	}
	if u := h.user(alice); u.Lockout.Denials != 1 || u.Block.Active(h.clock.now) {
		t.Fatalf("after deny: %+v", u)
	}

	c = h.start(pushReq(alice))
	res, err = h.e.DenyPush(c.ID, true)
	h.ok(err)
	if res.Challenge.State != StateFraudReported {
		t.Fatal(res.Challenge.State)
	}
	_, err = h.e.Start(pushReq(alice))
	v := h.wantReason(err, ReasonBlocked)
	if !v.Until.Equal(t0.Add(90*24*time.Hour)) || !strings.Contains(v.Message, "fraud") || v.Reason.ExitCode() != 4 {
		t.Fatalf("blocked %v until %s", v, v.Until)
	}
	// Without auto-block the report is recorded but the user is not blocked.
	h2 := newHarness(t, func(c *Config) { c.FraudAutoBlock = false })
	c = h2.start(pushReq(alice))
	_, err = h2.e.DenyPush(c.ID, true)
	h2.ok(err)
	if st, _ := h2.e.Status(alice); st.Blocked || len(st.FraudReports) != 1 {
		t.Fatalf("status %+v", st)
	}
	h2.start(pushReq(alice))
}

func TestPushTimeoutAndSupersede(t *testing.T) {
	h := newHarness(t)
	c := h.start(pushReq(alice))
	h.clock.advance(59 * time.Second)
	if ps, _ := h.e.PendingPushes(alice); len(ps) != 1 {
		t.Fatal("push gone before its timeout")
	}
	h.clock.advance(time.Second)
	if ps, _ := h.e.PendingPushes(alice); len(ps) != 0 {
		t.Fatal("push still pending at its timeout")
	}
	if got := h.challenge(c.ID); got.State != StateExpired {
		t.Fatal(got.State)
	}
	_, err := h.e.ApprovePush(c.ID, c.Number)
	h.wantReason(err, ReasonExpired)

	// "Send another notification": same transaction, new number.
	req := pushReq(alice)
	req.Transaction = "signin-7"
	first := h.start(req)
	res, err := h.e.Resend(first.ID)
	h.ok(err)
	if h.challenge(first.ID).State != StateCanceled || res.Challenge.Transaction != "signin-7" {
		t.Fatal("resend did not supersede the first push")
	}
	_, err = h.e.DenyPush(first.ID, false)
	h.wantReason(err, ReasonSuperseded)
}

func TestTransactionSiblingsCanceledOnSuccess(t *testing.T) {
	h := newHarness(t)
	push := pushReq(alice)
	push.Transaction = "signin-9"
	sms := smsReq(alice)
	sms.Transaction = "signin-9"
	other := smsReq(alice)
	other.Transaction = "signin-10"
	p := h.start(push)
	s := h.start(sms)
	o := h.start(other)
	_, err := h.e.SubmitCode(s.ID, h.codeFor(s), nil)
	h.ok(err)
	if got := h.challenge(p.ID); got.State != StateCanceled || got.Reason != ReasonSuperseded {
		t.Fatalf("sibling push %s/%s", got.State, got.Reason)
	}
	if got := h.challenge(o.ID); got.State != StateSent {
		t.Fatalf("other transaction touched: %s", got.State)
	}
}
