package verify

import (
	"slices"
	"time"
)

// Block blocks a user from MFA for BlockDuration (90 days by default) or
// until Unblock: every attempt is denied and nothing is sent
// (MS-SETTINGS "Block/unblock users").
func (e *Engine) Block(userID string) error {
	if userID == "" {
		return errInvalid("a user id is required")
	}
	now := e.clock()
	return e.updateUser(userID, now, ActionBlock, func(u *UserState) {
		u.Block = Block{Reason: BlockAdmin, At: now, Until: now.Add(e.cfg.BlockDuration)}
	})
}

// Unblock is the admin's way out of every lock: it lifts a block (admin or
// fraud), the user lockout and all method locks, and resets the counters.
// Fraud reports stay in the history.
func (e *Engine) Unblock(userID string) error {
	if userID == "" {
		return errInvalid("a user id is required")
	}
	now := e.clock()
	return e.updateUser(userID, now, ActionUnblock, func(u *UserState) {
		u.Block, u.Lockout, u.MethodFailures = Block{}, Lockout{}, nil
	})
}

// Status is a user's verification state as the CLI and the mock show it:
// no hashes, no tokens.
type Status struct {
	UserID string `json:"userId"`
	// Blocked and Block describe an active block.
	Blocked bool  `json:"blocked"`
	Block   Block `json:"block,omitzero"`
	// Locked is true while the user lockout runs, until LockedUntil.
	Locked      bool      `json:"locked"`
	LockedUntil time.Time `json:"lockedUntil,omitzero"`
	// Denials counted towards the next lockout, within the window.
	Denials int `json:"denials"`
	// LockedMethods are the method ids at their fail limit.
	LockedMethods     []string      `json:"lockedMethods,omitempty"`
	FraudReports      []FraudReport `json:"fraudReports,omitempty"`
	PINRegistered     bool          `json:"pinRegistered"`
	PINSetAt          time.Time     `json:"pinSetAt,omitzero"`
	Questions         []string      `json:"questions,omitempty"`
	QuestionsSetAt    time.Time     `json:"questionsSetAt,omitzero"`
	RememberedDevices int           `json:"rememberedDevices"`
	SessionsRevokedAt time.Time     `json:"sessionsRevokedAt,omitzero"`
	LastVerifiedAt    time.Time     `json:"lastVerifiedAt,omitzero"`
}

// Status reports a user's verification state at the current time. It
// writes nothing.
func (e *Engine) Status(userID string) (Status, error) {
	now := e.clock()
	u, err := e.loadUser(userID)
	if err != nil {
		return Status{}, err
	}
	s := Status{
		UserID: userID, Blocked: u.Block.Active(now), Locked: now.Before(u.Lockout.LockedUntil),
		FraudReports: u.FraudReports, PINRegistered: u.PIN != nil, PINSetAt: u.PINSetAt,
		QuestionsSetAt: u.QuestionsSetAt, SessionsRevokedAt: u.SessionsRevokedAt, LastVerifiedAt: u.LastVerifiedAt,
	}
	if s.Blocked {
		s.Block = u.Block
	}
	if s.Locked {
		s.LockedUntil = u.Lockout.LockedUntil
	}
	if u.Lockout.Denials > 0 && now.Before(u.Lockout.FirstDenialAt.Add(e.cfg.LockoutWindow)) {
		s.Denials = u.Lockout.Denials
	}
	probe := u
	probe.MethodFailures = make(map[string]MethodFailures, len(u.MethodFailures))
	for id, f := range u.MethodFailures {
		probe.MethodFailures[id] = f
	}
	for id := range u.MethodFailures {
		if e.methodLocked(&probe, id, now) {
			s.LockedMethods = append(s.LockedMethods, id)
		}
	}
	slices.Sort(s.LockedMethods)
	for _, q := range u.Questions {
		s.Questions = append(s.Questions, q.Question)
	}
	for _, d := range u.Devices {
		if d.Epoch == u.SessionEpoch && now.Before(d.ExpiresAt) {
			s.RememberedDevices++
		}
	}
	return s, nil
}
