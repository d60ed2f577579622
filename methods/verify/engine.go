package verify

import (
	"cmp"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mfactl/mfactl/internal/plural"
	"github.com/mfactl/mfactl/methods"
)

// Engine runs verifications against a Store. It holds no state of its own
// besides its configuration, so the mock can make one per transaction with
// WithStore; every operation is a deterministic function of the store's
// content, the clock, the random source and its arguments.
type Engine struct {
	cfg   Config
	store Store
	now   func() time.Time
	rand  io.Reader
}

// Option configures an Engine.
type Option func(*Engine)

// WithClock injects the clock (the mock's adjustable clock, or a fixed time
// in tests). The default is time.Now.
func WithClock(now func() time.Time) Option { return func(e *Engine) { e.now = now } }

// WithRand injects the random source for codes, numbers, ids, salts,
// secrets and tokens. The default is crypto/rand. Tests pass a seeded
// deterministic reader.
func WithRand(r io.Reader) Option { return func(e *Engine) { e.rand = r } }

// New returns an engine over store with a validated configuration.
func New(store Store, cfg Config, opts ...Option) (*Engine, error) {
	if store == nil {
		return nil, errors.New("verify: a store is required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, store: store, now: time.Now, rand: rand.Reader}
	for _, o := range opts {
		o(e)
	}
	if e.now == nil || e.rand == nil {
		return nil, errors.New("verify: clock and random source must not be nil")
	}
	return e, nil
}

// WithStore returns a copy of the engine over another store, typically the
// mock's store bound to one transaction.
func (e *Engine) WithStore(s Store) *Engine {
	c := *e
	c.store = s
	return &c
}

// Config returns the engine's configuration.
func (e *Engine) Config() Config { return e.cfg }

// Result is what an operation on a challenge returns. It is filled even
// when the error is an *Error, so the caller can show the challenge state
// and attempts left.
type Result struct {
	Challenge Challenge `json:"challenge"`
	// OATH is the token state to persist after an OATH code was accepted
	// (including the code that confirms an app enrolment). Persisting it is
	// what stops the same code from being accepted twice.
	OATH *methods.OATHState `json:"oath,omitempty"`
	// Enrolled is the key of an authenticator app whose enrolment was just
	// confirmed: save it as the user's new software OATH method, with OATH
	// as its state. It contains the secret.
	Enrolled *methods.OATHKey `json:"enrolled,omitempty"`
	// TAPUsedAt is set when a one-time Temporary Access Pass was consumed:
	// mark the pass used (methodUsabilityReason OneTimeUsed).
	TAPUsedAt time.Time `json:"tapUsedAt,omitzero"`
}

// clock returns the current time in UTC without a monotonic reading, so
// values compare the same before and after a JSON round trip.
func (e *Engine) clock() time.Time { return e.now().UTC() }

// randUint64n returns a uniform integer in [0, n) by rejection sampling, so
// codes and numbers carry no modulo bias.
func (e *Engine) randUint64n(n uint64) (uint64, error) {
	if n == 0 {
		return 0, errors.New("randUint64n(0)")
	}
	limit := math.MaxUint64 - math.MaxUint64%n
	var buf [8]byte
	for {
		if _, err := io.ReadFull(e.rand, buf[:]); err != nil {
			return 0, fmt.Errorf("random source: %w", err)
		}
		v := binary.BigEndian.Uint64(buf[:])
		if v < limit {
			return v % n, nil
		}
	}
}

// randomDigits returns a uniformly random string of n decimal digits.
func (e *Engine) randomDigits(n int) (string, error) {
	v, err := e.randUint64n(uint64(math.Pow10(n)))
	if err != nil {
		return "", err
	}
	s := strconv.FormatUint(v, 10)
	return strings.Repeat("0", n-len(s)) + s, nil
}

// newID returns a random version-4 UUID, the shape of Graph ids.
func (e *Engine) newID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(e.rand, b[:]); err != nil {
		return "", fmt.Errorf("random source: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
}

func (e *Engine) loadUser(userID string) (UserState, error) {
	u, err := e.store.GetUser(userID)
	if errors.Is(err, ErrNotFound) {
		return UserState{UserID: userID}, nil
	}
	if err != nil {
		return UserState{}, err
	}
	u.UserID = userID
	return u, nil
}

func (e *Engine) loadChallenge(id string) (Challenge, error) {
	c, err := e.store.GetChallenge(id)
	if errors.Is(err, ErrNotFound) {
		return Challenge{}, errNotFound(id)
	}
	return c, err
}

// logAttempt appends to the attempt log, taking the challenge fields from c
// when there is one.
func (e *Engine) logAttempt(now time.Time, userID string, action Action, c *Challenge, reason Reason) error {
	a := Attempt{At: now, UserID: userID, Action: action, Reason: reason}
	if c != nil {
		a.ChallengeID, a.Method, a.MethodID, a.Purpose, a.State = c.ID, c.Method, c.MethodID, c.Purpose, c.State
	}
	return e.store.AppendAttempt(a)
}

// moveTo records a transition. Leaving the open states wipes the pending
// enrolment key, the one clear secret a challenge can hold.
func moveTo(c *Challenge, s State, r Reason, now time.Time) {
	c.State, c.Reason = s, r
	if s == StateVerified {
		c.Reason = ""
	}
	c.History = append(c.History, Transition{State: s, At: now, Reason: c.Reason})
	if !s.Open() {
		c.ClosedAt = now
		c.PendingKey = nil
	}
}

// expireIfDue closes an open challenge whose time is up. A call nobody
// answered fails (no answer, voicemail); anything else expires.
func expireIfDue(c *Challenge, now time.Time) bool {
	if !c.State.Open() || now.Before(c.ExpiresAt) {
		return false
	}
	if c.Method.isCall() && c.AnsweredAt.IsZero() {
		moveTo(c, StateFailed, ReasonNoAnswer, now)
	} else {
		moveTo(c, StateExpired, ReasonExpired, now)
	}
	return true
}

// errForClosed explains why a closed challenge takes no more input: the
// reason it ended, except that more input to a challenge that already
// failed on wrong input is reported as closed rather than as another
// wrong code.
func errForClosed(c Challenge) *Error {
	if c.State == StateVerified {
		return newError(ReasonClosed, c.ID, "this verification already succeeded", hintNewSignIn+" to verify again")
	}
	var err *Error
	errors.As(ChallengeError(c), &err)
	if c.State == StateFailed && slices.Contains([]Reason{ReasonWrongCode, ReasonReplayed, ReasonWrongNumber}, c.Reason) {
		err.Reason = ReasonClosed
	}
	return err
}

// expire closes the challenge if its time is up, and saves and logs that.
func (e *Engine) expire(c *Challenge, now time.Time) (bool, error) {
	if !expireIfDue(c, now) {
		return false, nil
	}
	return true, e.saveAll(nil, c, now, ActionExpire, c.Reason)
}

// openChallenge loads a challenge for input: it must exist, be one of the
// allowed methods, and still be open. A challenge found overdue is expired
// and saved first, and the expiry is the answer.
func (e *Engine) openChallenge(id string, now time.Time, action Action, allowed ...Method) (Challenge, error) {
	c, err := e.loadChallenge(id)
	if err != nil {
		return Challenge{}, err
	}
	if !slices.Contains(allowed, c.Method) {
		return c, newError(ReasonInvalidRequest, c.ID,
			fmt.Sprintf("a %s challenge does not take this input", c.Method), "")
	}
	if expired, err := e.expire(&c, now); err != nil || expired {
		if err != nil {
			return c, err
		}
		return c, errForClosed(c)
	}
	if !c.State.Open() {
		if err := e.logAttempt(now, c.UserID, action, &c, ReasonClosed); err != nil {
			return c, err
		}
		return c, errForClosed(c)
	}
	return c, nil
}

// inputChallenge prepares an input to a challenge: the challenge must be
// open and of an allowed method (openChallenge), and the user and method
// must pass the guards; a challenge whose user became blocked or locked
// since it started is closed here. Guards run before the input is even
// parsed, so a locked user hears "locked" whatever they typed.
func (e *Engine) inputChallenge(id string, now time.Time, action Action, allowed ...Method) (Challenge, UserState, error) {
	c, err := e.openChallenge(id, now, action, allowed...)
	if err != nil {
		return c, UserState{}, err
	}
	u, err := e.loadUser(c.UserID)
	if err != nil {
		return c, u, err
	}
	if v := e.refusal(&u, c.MethodID, c.ID, now); v != nil {
		return c, u, e.refuseOpen(&u, &c, v, now, action)
	}
	return c, u, nil
}

// refusal is the guard every verification passes first: a blocked user is
// not challenged at all, a locked user or method is refused until the lock
// ends (verification.md §5 global guards).
func (e *Engine) refusal(u *UserState, methodID, challengeID string, now time.Time) *Error {
	if u.Block.Active(now) {
		return errBlocked(*u, challengeID)
	}
	if now.Before(u.Lockout.LockedUntil) {
		return errLocked(u.Lockout.LockedUntil, challengeID, "the user")
	}
	if methodID != "" && e.methodLocked(u, methodID, now) {
		return errMethodLocked(challengeID)
	}
	return nil
}

// methodLocked reports whether a method's fail counter is at its limit,
// clearing it first when the configured reset time has passed.
func (e *Engine) methodLocked(u *UserState, methodID string, now time.Time) bool {
	f, ok := u.MethodFailures[methodID]
	if !ok || f.LockedAt.IsZero() {
		return false
	}
	if e.cfg.MethodFailureReset > 0 && !now.Before(f.LockedAt.Add(e.cfg.MethodFailureReset)) {
		delete(u.MethodFailures, methodID)
		return false
	}
	return true
}

// refuseOpen closes an open challenge because the user or method became
// blocked or locked since it started. A block denies (the user is not
// challenged), a lock locks.
func (e *Engine) refuseOpen(u *UserState, c *Challenge, refusal *Error, now time.Time, action Action) error {
	state := StateLocked
	if refusal.Reason == ReasonBlocked {
		state = StateDenied
	}
	moveTo(c, state, refusal.Reason, now)
	if err := e.saveAll(u, c, now, action, refusal.Reason); err != nil {
		return err
	}
	return refusal
}

// addDenial counts one denial against the user and reports whether it
// locked the user. Denials older than LockoutWindow are forgotten first.
func (e *Engine) addDenial(u *UserState, now time.Time) bool {
	if e.cfg.LockoutDenials == 0 {
		return false
	}
	l := &u.Lockout
	if l.Denials > 0 && !now.Before(l.FirstDenialAt.Add(e.cfg.LockoutWindow)) {
		l.Denials, l.FirstDenialAt = 0, time.Time{}
	}
	if l.Denials == 0 {
		l.FirstDenialAt = now
	}
	l.Denials++
	if l.Denials >= e.cfg.LockoutDenials {
		l.LockedUntil = now.Add(e.cfg.LockoutDuration)
		l.Denials, l.FirstDenialAt = 0, time.Time{}
		return true
	}
	return false
}

// addMethodFailure counts one wrong input against a method and reports
// whether it locked the method.
func (e *Engine) addMethodFailure(u *UserState, methodID string, now time.Time) bool {
	if e.cfg.MethodMaxFailures == 0 || methodID == "" {
		return false
	}
	if u.MethodFailures == nil {
		u.MethodFailures = map[string]MethodFailures{}
	}
	f := u.MethodFailures[methodID]
	f.Count++
	locked := false
	if f.Count >= e.cfg.MethodMaxFailures && f.LockedAt.IsZero() {
		f.LockedAt, locked = now, true
	}
	u.MethodFailures[methodID] = f
	return locked
}

// wrongInput records a wrong code, PIN, number or set of answers: one
// attempt on the challenge, one denial for the user, one failure for the
// method. The challenge closes when a lock is reached or no attempts are
// left. It saves everything and returns the *Error to give.
func (e *Engine) wrongInput(u *UserState, c *Challenge, reason Reason, what string, now time.Time, action Action) error {
	c.Attempts++
	lockedUser := e.addDenial(u, now)
	lockedMethod := e.addMethodFailure(u, c.MethodID, now)
	var verdict *Error
	switch {
	case lockedUser:
		moveTo(c, StateLocked, ReasonLocked, now)
		verdict = errLocked(u.Lockout.LockedUntil, c.ID, "the user")
		verdict.Message = what + "; " + verdict.Message
	case lockedMethod:
		moveTo(c, StateLocked, ReasonLocked, now)
		verdict = errMethodLocked(c.ID)
		verdict.Message = what + "; " + verdict.Message
	case c.Attempts >= c.MaxAttempts:
		moveTo(c, StateFailed, reason, now)
		hint := hintNewSignIn
		if c.Method.sendsCode() {
			hint = hintNewCode
		}
		verdict = newError(reason, c.ID, what+"; no attempts left", hint)
	default:
		hint := "check it and try again"
		if reason == ReasonReplayed {
			hint = hintNextCode
		}
		verdict = newError(reason, c.ID, fmt.Sprintf("%s; %s left", what, plural.Count(c.AttemptsLeft(), "attempt")), hint)
		verdict.AttemptsLeft = c.AttemptsLeft()
	}
	if verdict.AttemptsLeft < 0 && !c.State.Open() {
		verdict.AttemptsLeft = 0
	}
	if err := e.saveAll(u, c, now, action, reason); err != nil {
		return err
	}
	return verdict
}

// succeed verifies a challenge: the user's denial counter and the method's
// fail counter reset, and the other open challenges of the same sign-in
// transaction are canceled (verification.md §5, privacyIDEA pattern).
func (e *Engine) succeed(u *UserState, c *Challenge, now time.Time, action Action) error {
	moveTo(c, StateVerified, "", now)
	u.Lockout.Denials, u.Lockout.FirstDenialAt = 0, time.Time{}
	delete(u.MethodFailures, c.MethodID)
	if c.Purpose == PurposeSignIn {
		u.LastVerifiedAt = now
	}
	if c.Transaction != "" {
		if err := e.supersede(c.UserID, now, func(o Challenge) bool {
			return o.ID != c.ID && o.Transaction == c.Transaction
		}); err != nil {
			return err
		}
	}
	return e.saveAll(u, c, now, action, "")
}

// supersede cancels the user's open challenges that match.
func (e *Engine) supersede(userID string, now time.Time, match func(Challenge) bool) error {
	cs, err := e.userChallenges(userID)
	if err != nil {
		return err
	}
	for _, o := range cs {
		if !o.State.Open() || !match(o) {
			continue
		}
		moveTo(&o, StateCanceled, ReasonSuperseded, now)
		if err := e.saveAll(nil, &o, now, ActionCancel, ReasonSuperseded); err != nil {
			return err
		}
	}
	return nil
}

// userChallenges lists a user's challenges oldest first (ties by id), so
// everything derived from the list is deterministic.
func (e *Engine) userChallenges(userID string) ([]Challenge, error) {
	cs, err := e.store.UserChallenges(userID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(cs, func(a, b Challenge) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return cs, nil
}

// housekeep expires the user's overdue open challenges and deletes
// finished ones older than the retention, before a new challenge starts.
func (e *Engine) housekeep(userID string, now time.Time) error {
	cs, err := e.userChallenges(userID)
	if err != nil {
		return err
	}
	for _, c := range cs {
		expired, err := e.expire(&c, now)
		switch {
		case err != nil:
			return err
		case !expired && !c.State.Open() && !now.Before(c.ClosedAt.Add(e.cfg.ChallengeRetention)):
			if err := e.store.DeleteChallenge(c.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// saveAll persists the user and the challenge and logs the action.
func (e *Engine) saveAll(u *UserState, c *Challenge, now time.Time, action Action, reason Reason) error {
	if u != nil {
		if err := e.store.PutUser(*u); err != nil {
			return err
		}
	}
	if c != nil {
		if err := e.store.PutChallenge(*c); err != nil {
			return err
		}
	}
	userID := ""
	switch {
	case u != nil:
		userID = u.UserID
	case c != nil:
		userID = c.UserID
	}
	return e.logAttempt(now, userID, action, c, reason)
}

// Challenge returns a challenge, expiring it first if its time is up (and
// saving that). The sign-in side polls it to learn the outcome of a push or
// call; ChallengeError turns the result into the error to show.
func (e *Engine) Challenge(id string) (Challenge, error) {
	now := e.clock()
	c, err := e.loadChallenge(id)
	if err != nil {
		return Challenge{}, err
	}
	if _, err := e.expire(&c, now); err != nil {
		return Challenge{}, err
	}
	return c, nil
}

// Cancel closes an open challenge at the caller's request (the user
// picked another method, or closed the sign-in page).
func (e *Engine) Cancel(id string) (Result, error) {
	now := e.clock()
	c, err := e.openChallenge(id, now, ActionCancel, Methods...)
	if err != nil {
		return Result{Challenge: c}, err
	}
	moveTo(&c, StateCanceled, ReasonCanceled, now)
	if err := e.saveAll(nil, &c, now, ActionCancel, ""); err != nil {
		return Result{}, err
	}
	return Result{Challenge: c}, nil
}

// Messages lists the emulated outbox of a user (texts, calls and
// notifications), oldest first.
func (e *Engine) Messages(userID string) ([]Message, error) { return e.store.Messages(userID) }

// Attempts lists the attempt log of a user, oldest first.
func (e *Engine) Attempts(userID string) ([]Attempt, error) { return e.store.Attempts(userID) }

// Challenges lists a user's stored challenges, oldest first.
func (e *Engine) Challenges(userID string) ([]Challenge, error) { return e.userChallenges(userID) }
