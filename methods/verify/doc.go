// Package verify is mfactl's emulated verification engine: it plays the
// second factor that Entra ID asks for at sign-in, against the mock tenant,
// so every registered method can be enrolled and exercised offline with the
// rules people meet in real life. It is a pure library: no HTTP, no CLI,
// no Graph SDK. The mock serves it under /_mock/ and the CLI drives it
// through the mock.
//
// # Challenges
//
// A Challenge is one verification. Its State moves
//
//	created -> sent -> verified | expired | failed | locked | denied | fraudReported | canceled
//
// and every transition is appended to Challenge.History with the clock's
// time. Created and sent are open; all other states are final, and
// Challenge.Reason says why a challenge ended. Start creates and delivers
// in one operation, so a stored challenge is normally sent; History shows
// both steps.
//
// Methods and the operations that move them on:
//
//	MethodOATH       Start, SubmitCode(code, cred)       authenticator app, software/hardware OATH (TOTP; HOTP for PSKC event tokens)
//	MethodSMS        Start, SubmitCode, Resend            6-digit code texted to the primary mobile phone
//	MethodVoiceOTP   Start, SubmitCode, Resend            code read aloud in a call to any phone
//	MethodVoice      Start, AnswerCall, PressKeys("#"), MissCall
//	MethodVoicePIN   Start, AnswerCall, PressKeys("PIN#"), MissCall
//	MethodPush       Start, ApprovePush(number), DenyPush(report), Resend
//	MethodQuestions  Start (Purpose sspr), AnswerQuestions
//	MethodTAP        Start, SubmitCode(pass, cred)
//
// plus Cancel for any open challenge, Challenge to poll one (expiring it if
// due), VerifyCode to start and submit in one step (OATH, TAP), and
// StartAppEnrollment to add an authenticator app (confirmed by SubmitCode).
// RegisterPIN and RegisterQuestions enrol the other secrets; Block,
// Unblock, RevokeSessions and Status are the admin side; RememberDevice and
// CheckDevice implement "don't ask again for N days".
//
// Expiry is lazy: a challenge past ExpiresAt is expired by the next
// operation that touches it (including Challenge and Start for the same
// user), at that operation's clock. An unanswered call fails with reason
// noAnswer rather than expiring.
//
// # Rules
//
//   - OATH: window ±1 step around the expected step (Config.TOTPWindow),
//     a used step is never accepted again (methods.OATHState.Counter), and
//     the drift of the token's clock is learned on every success. See
//     methods.OATHKey.Validate and Resync.
//   - Codes: 6 digits, valid 180 s, 3 wrong inputs per challenge. Resend
//     ("get a new code") supersedes the old challenge. SendLimit texts and
//     SendLimit calls per user per SendWindow; the next is refused with
//     ReasonRateLimited and the time the limit lifts.
//   - Calls: "#" approves, the fraud code ("0#") reports fraud. A call to
//     an office extension first waits for "#" once it reaches the
//     extension. PIN calls take the registered PIN (4-8 digits, hashed);
//     each wrong PIN is a retry until attempts run out.
//   - Push: the sign-in side shows Challenge.Number (10-99); the device
//     approves by typing it. A wrong number fails at once. Deny and report
//     are the device's decisions; ChallengeError tells the sign-in side.
//   - Security questions: 3-5 registered (answers 3-40 characters, no
//     repeats, hashed), ToReset of them asked at random, all must be right;
//     only for password reset, never for admins.
//   - Temporary Access Pass: valid from Start for LifetimeMinutes,
//     optionally one-time (the caller marks it used from Result.TAPUsedAt).
//   - Lockout: every wrong code (a replayed OATH code included), PIN,
//     number or set of answers, and every denied push, is a denial. LockoutDenials denials within LockoutWindow
//     lock the user for LockoutDuration. Independently, MethodMaxFailures
//     wrong inputs on one method lock that method until an admin unblocks.
//     Malformed input (wrong length, letters) is refused without counting.
//   - Block: a fraud report (with FraudAutoBlock) or an admin blocks the
//     user for BlockDuration (90 days) or until Unblock. A blocked user is
//     not challenged; open challenges are denied.
//   - Remember device: after a verified sign-in, RememberDevice issues a
//     token valid RememberDeviceDays (default 30, 1-365); RevokeSessions
//     invalidates all of them.
//
// Every verification attempt, refused start, expiry and admin action is
// appended to the attempt log (Store.AppendAttempt).
//
// DefaultConfig holds the defaults of verification.md §6 and says where each
// comes from. Every limit is a Config field.
//
// # Errors and exit codes
//
// When the engine refuses input or an operation it returns an *Error with a
// Reason, a Message (what happened) and a Hint (what to do next, naming the
// mfactl command). An *Error is a verdict, not a failure: the store was
// updated (attempt counted, lockout advanced, challenge closed) and the
// caller must commit. Any other error means the operation did not complete
// and the caller must roll back. Reason.ExitCode and ExitCode map reasons to
// the CLI's exit codes: 1 rejected (wrong, expired, replayed, denied),
// 4 locked, blocked or fraud reported, 2 bad input, 3 not registered or not
// found, 5 rate limited. Operations return the Result even with an *Error,
// so the caller can show the challenge and its attempts left.
//
// # Persistence and determinism
//
// Everything persists through the small Store interface: challenges,
// per-user state (lockout, block, fraud reports, method fail counters,
// sends for the rate limit, remembered devices and the session epoch, the
// PIN hash, the security questions), the outbox and the attempt log. All
// records are plain structs with exported fields and JSON tags; MemStore
// keeps them JSON-encoded, as the mock's store does. The mock runs each
// engine call in one read-write transaction (even Challenge and
// PendingPushes may write an expiry) and builds the engine for that
// transaction with WithStore.
//
// Method data stays in the mock tenant: the caller passes a Credential
// (OATH key and state, phone number and type, TAP) and persists what comes
// back: Result.OATH after an accepted OATH code (without it, replay
// protection is lost), Result.Enrolled after an app enrolment,
// Result.TAPUsedAt after a one-time pass.
//
// An operation is a deterministic function of the store's content, the
// clock (WithClock) and the random source (WithRand, used for codes, push
// numbers, question picks, ids, salts, secrets and tokens) and its
// arguments, so tests run at a fixed clock with a seeded source.
//
// # Secrets
//
// One-time codes, device tokens and passes are stored as salted SHA-256;
// PINs and answers as PBKDF2-HMAC-SHA256 (Config.Hash). Comparisons are
// constant-time. No error, message or String method contains a code, PIN,
// answer, pass, token or OATH secret, with two deliberate exceptions: the
// outbox holds SMS and voice codes in clear, because it is the emulated
// phone, and a pending app enrolment holds its key until it ends, because
// the first code must be checked against it.
package verify
