package verify

// ApprovePush is the emulated Authenticator approving a notification by
// typing the number the sign-in screen shows (number matching is always on,
// MS-NUMMATCH). The right number verifies the challenge. A wrong number
// fails the notification at once, with no retry (EMU: Entra does not
// publish this), and counts as a denial.
func (e *Engine) ApprovePush(id string, number int) (Result, error) {
	now := e.clock()
	c, u, err := e.inputChallenge(id, now, ActionApprove, MethodPush)
	if err != nil {
		return Result{Challenge: c}, err
	}
	if number < 10 || number > 99 {
		return e.malformed(&u, &c, now, ActionApprove, "the number to enter has two digits")
	}
	if number != c.Number {
		return Result{Challenge: c}, e.wrongInput(&u, &c, ReasonWrongNumber, "the number entered does not match the one on the sign-in screen", now, ActionApprove)
	}
	if err := e.succeed(&u, &c, now, ActionApprove); err != nil {
		return Result{}, err
	}
	return Result{Challenge: c}, nil
}

// DenyPush is the emulated Authenticator's "No, it's not me". With report
// set it is "report suspicious activity": the challenge becomes
// fraud-reported and, with FraudAutoBlock, the user is blocked. A plain
// denial counts towards the user lockout, so a flood of unwanted prompts
// (MFA fatigue) locks the account. Either way the device's action succeeds
// and no error is returned; the sign-in side learns the outcome through
// ChallengeError.
func (e *Engine) DenyPush(id string, report bool) (Result, error) {
	now := e.clock()
	action := ActionDeny
	if report {
		action = ActionReportFraud
	}
	c, err := e.openChallenge(id, now, action, MethodPush)
	if err != nil {
		return Result{Challenge: c}, err
	}
	u, err := e.loadUser(c.UserID)
	if err != nil {
		return Result{}, err
	}
	if report {
		if err := e.reportFraud(&u, &c, now); err != nil {
			return Result{}, err
		}
		return Result{Challenge: c}, nil
	}
	moveTo(&c, StateDenied, ReasonDenied, now)
	e.addDenial(&u, now)
	if err := e.saveAll(&u, &c, now, ActionDeny, ReasonDenied); err != nil {
		return Result{}, err
	}
	return Result{Challenge: c}, nil
}
