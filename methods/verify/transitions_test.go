package verify

import (
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// TestTransitions drives every state transition of every method at a fixed
// clock and checks the whole history, the final reason and the error the
// sign-in side is given (ChallengeError) with its exit code.
func TestTransitions(t *testing.T) {
	type step func(h *harness, c Challenge) (Result, error)
	const (
		created  = StateCreated
		sent     = StateSent
		verified = StateVerified
	)
	// Steps shared by several rows.
	submit := func(code func(h *harness, c Challenge) string, cred func() *Credential) step {
		return func(h *harness, c Challenge) (Result, error) {
			return h.e.SubmitCode(c.ID, code(h, c), cred())
		}
	}
	noCred := func() *Credential { return nil }
	rightOTP := func(h *harness, c Challenge) string { return h.codeFor(c) }
	wrongOTP := func(h *harness, c Challenge) string { return wrongCode(h.codeFor(c)) }
	rightTOTP := func(h *harness, _ Challenge) string { return h.totpNow(0) }
	wrongTOTP := func(h *harness, _ Challenge) string { return wrongCode(h.totpNow(0)) }
	fresh := func() *Credential { c := oathCred(methods.OATHState{}); return &c }
	times := func(n int, s step) step {
		return func(h *harness, c Challenge) (res Result, err error) {
			for range n {
				res, err = s(h, c)
			}
			return res, err
		}
	}
	wait := func(d time.Duration) step {
		return func(h *harness, c Challenge) (Result, error) {
			h.clock.advance(d)
			got, err := h.e.Challenge(c.ID)
			return Result{Challenge: got}, err
		}
	}
	cancel := func(h *harness, c Challenge) (Result, error) { return h.e.Cancel(c.ID) }
	keys := func(k string) step {
		return func(h *harness, c Challenge) (Result, error) { return h.e.PressKeys(c.ID, k) }
	}
	lockAfterOne := func(c *Config) { c.LockoutDenials = 1 }
	blockMidway := func(h *harness, c Challenge) { h.ok(h.e.Block(c.UserID)) }
	tapCred := func(h *harness) *TAPCredential {
		_, cred := h.tap(true, t0.Add(-time.Minute), 60)
		return cred
	}
	var tapPass string

	rows := []struct {
		name   string
		config func(*Config)
		setup  func(h *harness) StartRequest
		before func(h *harness, c Challenge) // between Start and the steps
		steps  []step
		want   []State
		reason Reason // final Challenge.Reason
		exit   int    // ExitCode(ChallengeError(final)) for the sign-in side
	}{
		// OATH (authenticator app, software and hardware tokens).
		{name: "oath verified", setup: func(*harness) StartRequest { return oathReq(alice, methods.OATHState{}) },
			steps: []step{submit(rightTOTP, fresh)}, want: []State{created, sent, verified}},
		{name: "oath wrong until failed", setup: func(*harness) StartRequest { return oathReq(alice, methods.OATHState{}) },
			steps: []step{times(3, submit(wrongTOTP, fresh))}, want: []State{created, sent, StateFailed}, reason: ReasonWrongCode, exit: 1},
		{name: "oath expired", setup: func(*harness) StartRequest { return oathReq(alice, methods.OATHState{}) },
			steps: []step{wait(5 * time.Minute)}, want: []State{created, sent, StateExpired}, reason: ReasonExpired, exit: 1},
		{name: "oath canceled", setup: func(*harness) StartRequest { return oathReq(alice, methods.OATHState{}) },
			steps: []step{cancel}, want: []State{created, sent, StateCanceled}, reason: ReasonCanceled, exit: 1},
		{name: "oath locked", config: lockAfterOne, setup: func(*harness) StartRequest { return oathReq(alice, methods.OATHState{}) },
			steps: []step{submit(wrongTOTP, fresh)}, want: []State{created, sent, StateLocked}, reason: ReasonLocked, exit: 4},
		{name: "oath denied by a block", setup: func(*harness) StartRequest { return oathReq(alice, methods.OATHState{}) },
			before: blockMidway, steps: []step{submit(rightTOTP, fresh)}, want: []State{created, sent, StateDenied}, reason: ReasonBlocked, exit: 4},
		{name: "app enrolment confirmed", setup: nil,
			steps: []step{func(h *harness, c Challenge) (Result, error) {
				code, _ := c.PendingKey.Code(h.clock.now)
				return h.e.SubmitCode(c.ID, code, nil)
			}}, want: []State{created, sent, verified}},
		{name: "app enrolment expired", setup: nil,
			steps: []step{wait(10 * time.Minute)}, want: []State{created, sent, StateExpired}, reason: ReasonExpired, exit: 1},

		// SMS.
		{name: "sms verified", setup: func(*harness) StartRequest { return smsReq(alice) },
			steps: []step{submit(rightOTP, noCred)}, want: []State{created, sent, verified}},
		{name: "sms wrong until failed", setup: func(*harness) StartRequest { return smsReq(alice) },
			steps: []step{times(3, submit(wrongOTP, noCred))}, want: []State{created, sent, StateFailed}, reason: ReasonWrongCode, exit: 1},
		{name: "sms expired", setup: func(*harness) StartRequest { return smsReq(alice) },
			steps: []step{wait(180 * time.Second)}, want: []State{created, sent, StateExpired}, reason: ReasonExpired, exit: 1},
		{name: "sms superseded by a new code", setup: func(*harness) StartRequest { return smsReq(alice) },
			steps: []step{func(h *harness, c Challenge) (Result, error) {
				if _, err := h.e.Resend(c.ID); err != nil {
					return Result{}, err
				}
				got, err := h.e.Challenge(c.ID)
				return Result{Challenge: got}, err
			}}, want: []State{created, sent, StateCanceled}, reason: ReasonSuperseded, exit: 1},
		{name: "sms canceled", setup: func(*harness) StartRequest { return smsReq(alice) },
			steps: []step{cancel}, want: []State{created, sent, StateCanceled}, reason: ReasonCanceled, exit: 1},
		{name: "sms locked", config: lockAfterOne, setup: func(*harness) StartRequest { return smsReq(alice) },
			steps: []step{submit(wrongOTP, noCred)}, want: []State{created, sent, StateLocked}, reason: ReasonLocked, exit: 4},
		{name: "sms denied by a block", setup: func(*harness) StartRequest { return smsReq(alice) },
			before: blockMidway, steps: []step{submit(rightOTP, noCred)}, want: []State{created, sent, StateDenied}, reason: ReasonBlocked, exit: 4},

		// Voice OTP.
		{name: "voice otp verified", setup: func(*harness) StartRequest { return callReq(alice, MethodVoiceOTP) },
			steps: []step{submit(rightOTP, noCred)}, want: []State{created, sent, verified}},
		{name: "voice otp wrong until failed", setup: func(*harness) StartRequest { return callReq(alice, MethodVoiceOTP) },
			steps: []step{times(3, submit(wrongOTP, noCred))}, want: []State{created, sent, StateFailed}, reason: ReasonWrongCode, exit: 1},
		{name: "voice otp expired", setup: func(*harness) StartRequest { return callReq(alice, MethodVoiceOTP) },
			steps: []step{wait(180 * time.Second)}, want: []State{created, sent, StateExpired}, reason: ReasonExpired, exit: 1},

		// Voice call (press #).
		{name: "call approved with #", setup: func(*harness) StartRequest { return callReq(alice, MethodVoice) },
			steps: []step{keys("#")}, want: []State{created, sent, verified}},
		{name: "call to an office extension", setup: func(*harness) StartRequest { return officeReq(alice, MethodVoice) },
			steps: []step{keys("#"), keys("#")}, want: []State{created, sent, verified}},
		{name: "call missed", setup: func(*harness) StartRequest { return callReq(alice, MethodVoice) },
			steps: []step{func(h *harness, c Challenge) (Result, error) { return h.e.MissCall(c.ID) }},
			want:  []State{created, sent, StateFailed}, reason: ReasonNoAnswer, exit: 1},
		{name: "call rings out", setup: func(*harness) StartRequest { return callReq(alice, MethodVoice) },
			steps: []step{wait(60 * time.Second)}, want: []State{created, sent, StateFailed}, reason: ReasonNoAnswer, exit: 1},
		{name: "call answered, no keys", setup: func(*harness) StartRequest { return callReq(alice, MethodVoice) },
			steps: []step{func(h *harness, c Challenge) (Result, error) { return h.e.AnswerCall(c.ID) }, wait(30 * time.Second)},
			want:  []State{created, sent, StateExpired}, reason: ReasonExpired, exit: 1},
		{name: "call fraud reported", setup: func(*harness) StartRequest { return callReq(alice, MethodVoice) },
			steps: []step{keys("0#")}, want: []State{created, sent, StateFraudReported}, reason: ReasonFraudReported, exit: 4},
		{name: "call canceled", setup: func(*harness) StartRequest { return callReq(alice, MethodVoice) },
			steps: []step{cancel}, want: []State{created, sent, StateCanceled}, reason: ReasonCanceled, exit: 1},

		// Voice call with PIN.
		{name: "pin call verified", setup: func(h *harness) StartRequest { h.registerPIN(alice, "2580"); return callReq(alice, MethodVoicePIN) },
			steps: []step{keys("2580#")}, want: []State{created, sent, verified}},
		{name: "pin call wrong until failed", setup: func(h *harness) StartRequest { h.registerPIN(alice, "2580"); return callReq(alice, MethodVoicePIN) },
			steps: []step{keys("1357#9753#"), keys("0000#")}, want: []State{created, sent, StateFailed}, reason: ReasonWrongCode, exit: 1},
		{name: "pin call locked", config: lockAfterOne, setup: func(h *harness) StartRequest { h.registerPIN(alice, "2580"); return callReq(alice, MethodVoicePIN) },
			steps: []step{keys("1357#")}, want: []State{created, sent, StateLocked}, reason: ReasonLocked, exit: 4},
		{name: "pin call fraud reported", setup: func(h *harness) StartRequest { h.registerPIN(alice, "2580"); return callReq(alice, MethodVoicePIN) },
			steps: []step{keys("0#")}, want: []State{created, sent, StateFraudReported}, reason: ReasonFraudReported, exit: 4},
		{name: "pin call rings out", setup: func(h *harness) StartRequest { h.registerPIN(alice, "2580"); return callReq(alice, MethodVoicePIN) },
			steps: []step{wait(60 * time.Second)}, want: []State{created, sent, StateFailed}, reason: ReasonNoAnswer, exit: 1},

		// Push with number matching.
		{name: "push approved", setup: func(*harness) StartRequest { return pushReq(alice) },
			steps: []step{func(h *harness, c Challenge) (Result, error) { return h.e.ApprovePush(c.ID, c.Number) }},
			want:  []State{created, sent, verified}},
		{name: "push wrong number", setup: func(*harness) StartRequest { return pushReq(alice) },
			steps: []step{func(h *harness, c Challenge) (Result, error) { return h.e.ApprovePush(c.ID, 10+(c.Number-9)%90) }},
			want:  []State{created, sent, StateFailed}, reason: ReasonWrongNumber, exit: 1},
		{name: "push denied", setup: func(*harness) StartRequest { return pushReq(alice) },
			steps: []step{func(h *harness, c Challenge) (Result, error) { return h.e.DenyPush(c.ID, false) }},
			want:  []State{created, sent, StateDenied}, reason: ReasonDenied, exit: 1},
		{name: "push fraud reported", setup: func(*harness) StartRequest { return pushReq(alice) },
			steps: []step{func(h *harness, c Challenge) (Result, error) { return h.e.DenyPush(c.ID, true) }},
			want:  []State{created, sent, StateFraudReported}, reason: ReasonFraudReported, exit: 4},
		{name: "push timed out", setup: func(*harness) StartRequest { return pushReq(alice) },
			steps: []step{wait(60 * time.Second)}, want: []State{created, sent, StateExpired}, reason: ReasonExpired, exit: 1},
		{name: "push superseded by a new push", setup: func(*harness) StartRequest {
			r := pushReq(alice)
			r.Transaction = "signin-1"
			return r
		}, steps: []step{func(h *harness, c Challenge) (Result, error) {
			r := pushReq(alice)
			r.Transaction = "signin-1"
			h.start(r)
			got, err := h.e.Challenge(c.ID)
			return Result{Challenge: got}, err
		}}, want: []State{created, sent, StateCanceled}, reason: ReasonSuperseded, exit: 1},

		// Security questions (password reset only).
		{name: "questions answered", setup: func(h *harness) StartRequest {
			h.registerQuestions(alice, fiveQuestions)
			return StartRequest{UserID: alice, Method: MethodQuestions, Purpose: PurposeSSPR}
		}, steps: []step{func(h *harness, c Challenge) (Result, error) {
			return h.e.AnswerQuestions(c.ID, answersFor(c, fiveQuestions))
		}}, want: []State{created, sent, verified}},
		{name: "questions wrong until failed", setup: func(h *harness) StartRequest {
			h.registerQuestions(alice, fiveQuestions)
			return StartRequest{UserID: alice, Method: MethodQuestions, Purpose: PurposeSSPR}
		}, steps: []step{times(3, func(h *harness, c Challenge) (Result, error) {
			a := answersFor(c, fiveQuestions)
			a[1] = "wrong answer"
			return h.e.AnswerQuestions(c.ID, a)
		})}, want: []State{created, sent, StateFailed}, reason: ReasonWrongCode, exit: 1},
		{name: "questions expired", setup: func(h *harness) StartRequest {
			h.registerQuestions(alice, fiveQuestions)
			return StartRequest{UserID: alice, Method: MethodQuestions, Purpose: PurposeSSPR}
		}, steps: []step{wait(5 * time.Minute)}, want: []State{created, sent, StateExpired}, reason: ReasonExpired, exit: 1},
		{name: "questions re-registered meanwhile", setup: func(h *harness) StartRequest {
			h.registerQuestions(alice, fiveQuestions)
			return StartRequest{UserID: alice, Method: MethodQuestions, Purpose: PurposeSSPR}
		}, steps: []step{func(h *harness, c Challenge) (Result, error) {
			h.registerQuestions(alice, fiveQuestions[1:])
			got, err := h.e.Challenge(c.ID)
			return Result{Challenge: got}, err
		}}, want: []State{created, sent, StateCanceled}, reason: ReasonSuperseded, exit: 1},

		// Temporary Access Pass.
		{name: "tap verified", setup: func(h *harness) StartRequest {
			var cred *TAPCredential
			tapPass, cred = h.tap(true, t0.Add(-time.Minute), 60)
			return tapReq(alice, cred)
		}, steps: []step{func(h *harness, c Challenge) (Result, error) {
			cred := Credential{MethodID: "tap-1", TAP: h.lastTAP}
			return h.e.SubmitCode(c.ID, tapPass, &cred)
		}}, want: []State{created, sent, verified}},
		{name: "tap wrong until failed", setup: func(h *harness) StartRequest { return tapReq(alice, tapCred(h)) },
			steps: []step{times(3, func(h *harness, c Challenge) (Result, error) {
				cred := Credential{MethodID: "tap-1", TAP: h.lastTAP}
				return h.e.SubmitCode(c.ID, "not-the-pass", &cred)
			})}, want: []State{created, sent, StateFailed}, reason: ReasonWrongCode, exit: 1},
		{name: "tap lifetime ends during the prompt", setup: func(h *harness) StartRequest {
			var cred *TAPCredential
			tapPass, cred = h.tap(true, t0.Add(-59*time.Minute), 60)
			return tapReq(alice, cred)
		}, steps: []step{func(h *harness, c Challenge) (Result, error) {
			h.clock.advance(time.Minute)
			cred := Credential{MethodID: "tap-1", TAP: h.lastTAP}
			return h.e.SubmitCode(c.ID, tapPass, &cred)
		}}, want: []State{created, sent, StateFailed}, reason: ReasonExpired, exit: 1},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			var mut []func(*Config)
			if row.config != nil {
				mut = append(mut, row.config)
			}
			h := newHarness(t, mut...)
			var c Challenge
			if row.setup == nil {
				en, err := h.e.StartAppEnrollment(AppEnrollmentRequest{UserID: alice, Account: "alice@contoso.com"})
				h.ok(err)
				c = en.Challenge
			} else {
				req := row.setup(h)
				h.lastTAP = req.Credential.TAP
				c = h.start(req)
			}
			h.wantHistory(c, created, sent)
			if row.before != nil {
				row.before(h, c)
			}
			var res Result
			var err error
			for _, s := range row.steps {
				res, err = s(h, c)
				h.check(err)
			}
			final := h.challenge(c.ID)
			h.wantHistory(final, row.want...)
			if res.Challenge.ID == c.ID && res.Challenge.State != final.State {
				t.Errorf("result shows %s, store has %s", res.Challenge.State, final.State)
			}
			if final.Reason != row.reason {
				t.Errorf("reason %q, want %q", final.Reason, row.reason)
			}
			last := final.History[len(final.History)-1]
			if !last.At.Equal(h.clock.now) {
				t.Errorf("last transition at %s, want the clock %s", last.At, h.clock.now)
			}
			if final.State.Open() || final.ClosedAt.IsZero() {
				t.Errorf("final challenge is open or has no ClosedAt: %s, %s", final.State, final.ClosedAt)
			}
			if final.PendingKey != nil {
				t.Error("a closed challenge still holds the enrolment key")
			}
			if got := ExitCode(ChallengeError(final)); got != row.exit {
				t.Errorf("sign-in exit code %d (%v), want %d", got, ChallengeError(final), row.exit)
			}
		})
	}
}
