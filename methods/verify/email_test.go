package verify

import (
	"regexp"
	"testing"
	"time"
)

const aliceMail = "alice@fabrikam.example"

func emailReq(user, addr string) StartRequest {
	return StartRequest{UserID: user, Method: MethodEmail, Purpose: PurposeRegistration, Credential: Credential{EmailAddress: addr}}
}

func TestEmailCode(t *testing.T) {
	for _, tc := range []struct {
		name  string
		run   func(h *harness, c Challenge, code string) (Result, error)
		want  State
		err   Reason
		denls int
	}{
		{"right code adds", func(h *harness, c Challenge, code string) (Result, error) {
			h.clock.advance(179 * time.Second)
			return h.e.SubmitCode(c.ID, code, nil)
		}, StateVerified, "", 0},
		{"wrong code", func(h *harness, c Challenge, code string) (Result, error) {
			return h.e.SubmitCode(c.ID, wrongCode(code), nil)
		}, StateSent, ReasonWrongCode, 1},
		{"three wrong codes fail it", func(h *harness, c Challenge, code string) (Result, error) {
			_, _ = h.e.SubmitCode(c.ID, wrongCode(code), nil)
			_, _ = h.e.SubmitCode(c.ID, wrongCode(code), nil)
			return h.e.SubmitCode(c.ID, wrongCode(code), nil)
		}, StateFailed, ReasonWrongCode, 3},
		{"expired on the emulated clock", func(h *harness, c Challenge, code string) (Result, error) {
			h.clock.advance(180 * time.Second)
			return h.e.SubmitCode(c.ID, code, nil)
		}, StateExpired, ReasonExpired, 0},
		{"malformed is not counted", func(h *harness, c Challenge, code string) (Result, error) {
			return h.e.SubmitCode(c.ID, "12ab", nil)
		}, StateSent, ReasonMalformed, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			c := h.start(emailReq(alice, aliceMail))
			m := h.lastMessage(alice)
			if m.Channel != ChannelEmail || m.To != aliceMail || m.ChallengeID != c.ID {
				t.Fatalf("message %+v", m)
			}
			if !regexp.MustCompile(`^Use verification code [0-9]{6} to verify your email address`).MatchString(m.Text) {
				t.Fatalf("text %q", m.Text)
			}
			if c.EmailAddress != aliceMail || !c.ExpiresAt.Equal(t0.Add(180*time.Second)) || c.MaxAttempts != 3 || c.CodeHash == nil {
				t.Fatalf("challenge %+v", c)
			}
			res, err := tc.run(h, c, h.codeFor(c))
			if tc.err == "" {
				h.ok(err)
			} else {
				h.wantReason(err, tc.err)
			}
			if res.Challenge.State != tc.want {
				t.Fatalf("state %s, want %s", res.Challenge.State, tc.want)
			}
			if d := h.user(alice).Lockout.Denials; d != tc.denls {
				t.Fatalf("denials %d, want %d", d, tc.denls)
			}
		})
	}
}

func TestEmailResend(t *testing.T) {
	h := newHarness(t)
	c := h.start(emailReq(alice, aliceMail))
	old := h.codeFor(c)
	res, err := h.e.Resend(c.ID)
	h.ok(err)
	n := res.Challenge
	if n.ID == c.ID || n.EmailAddress != aliceMail || n.ResentFrom != c.ID || n.Method != MethodEmail {
		t.Fatalf("resent %+v", n)
	}
	if m := h.lastMessage(alice); m.ChallengeID != n.ID || m.To != aliceMail || m.Channel != ChannelEmail {
		t.Fatalf("message %+v", m)
	}
	// The old code stops working; the new one verifies.
	_, err = h.e.SubmitCode(c.ID, old, nil)
	h.wantReason(err, ReasonSuperseded)
	res, err = h.e.SubmitCode(n.ID, h.codeFor(n), nil)
	h.ok(err)
	if res.Challenge.State != StateVerified {
		t.Fatalf("state %s", res.Challenge.State)
	}
}

func TestEmailSendLimitIsPerChannel(t *testing.T) {
	h := newHarness(t)
	for range h.cfg.SendLimit {
		h.start(emailReq(alice, aliceMail))
	}
	_, err := h.e.Start(emailReq(alice, aliceMail))
	v := h.wantReason(err, ReasonRateLimited)
	if v.Message != "you've hit our limit on email verification codes" {
		t.Fatalf("message %q", v.Message)
	}
	// Texts have their own budget.
	h.start(smsReq(alice))
}

func TestEmailRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  StartRequest
		want Reason
	}{
		{"sign-in", StartRequest{UserID: alice, Method: MethodEmail, Credential: Credential{EmailAddress: aliceMail}}, ReasonNotAllowed},
		{"no address", emailReq(alice, ""), ReasonInvalidRequest},
		{"display name", emailReq(alice, "Alice <alice@fabrikam.example>"), ReasonInvalidRequest},
		{"no dot in domain", emailReq(alice, "alice@localhost"), ReasonInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			_, err := h.e.Start(tc.req)
			h.wantReason(err, tc.want)
			if ms, _ := h.e.Messages(alice); len(ms) != 0 {
				t.Fatalf("a refused start sent %+v", ms)
			}
		})
	}
}
