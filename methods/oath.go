package methods

// OATH arithmetic shared by the mock (hardware token activation, CSV and PSKC
// import) and the emulated verification engine (methods/verify), so the two
// can never disagree about whether a code is right.
//
// Model:
//   - OATHKey is what a token is: type (TOTP or HOTP), secret, hash function,
//     digits and, for TOTP, the period. It never changes after import.
//   - OATHState is what a verifier learns about a token: the lowest moving
//     factor (HOTP counter or TOTP step) it will still accept, and the TOTP
//     clock drift in steps. The zero value is a token never used.
//
// Validate and Resync are pure functions: they take the state and return the
// new state, and the caller persists it in the same transaction in which it
// read the old one. Persisting the state after every accepted code is what
// makes replay rejection work (RFC 6238 §5.2: a verifier MUST NOT accept the
// same OTP twice).
//
// Codes are computed with github.com/pquerna/otp (totp.GenerateCodeCustom for
// Code, hotp.GenerateCodeCustom for explicit moving factors) and compared with
// crypto/subtle. We do not call totp.ValidateCustom: it answers only yes or
// no, and replay rejection and drift learning need to know which step matched.

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// OATHIssuer is the issuer name mfactl writes into otpauth:// URIs.
const OATHIssuer = "mfactl"

// Limits on OATH secrets. Entra documents at most 128 base32 characters
// (MS-OATH-CSV). The minimum of 16 characters (80 bits) is below the 128 bits
// RFC 4226 §4 requires, because real hardware tokens and many authenticator
// exports ship 80-bit seeds and an emulator must accept what users really
// have; GenerateOATHSecret always makes 160-bit secrets.
const (
	OATHSecretMinChars = 16
	OATHSecretMaxChars = 128
	// oathSecretMaxInput bounds the raw input, spaces and padding included,
	// so a pasted file cannot make normalisation do unbounded work.
	oathSecretMaxInput = 1024
	// oathCodeMaxInput bounds the raw code input for the same reason.
	oathCodeMaxInput = 64
	// DefaultOATHSecretBytes is the secret size GenerateOATHSecret uses when
	// asked for 0 bytes: 160 bits, the size RFC 4226 §4 recommends.
	DefaultOATHSecretBytes = 20
	// maxTOTPUnix is 9999-12-31T23:59:59Z. Later times are refused so step
	// arithmetic never overflows and floating-point step computation in
	// pquerna/otp stays exact.
	maxTOTPUnix = 253402300799
	// maxOATHDrift bounds a stored drift (in steps, about 4000 years at
	// 30 s) so corrupt state cannot overflow the window arithmetic.
	maxOATHDrift = 1 << 32
)

// OATHType says how the moving factor of a token advances.
type OATHType string

// The two OATH algorithms. Entra only supports TOTP; HOTP exists for PSKC
// imports of event tokens, which the engine can still verify.
const (
	OATHTOTP OATHType = "totp"
	OATHHOTP OATHType = "hotp"
)

// OATHAlgorithm is the HMAC hash function of a token.
type OATHAlgorithm string

// Supported hash functions. The values are the names used in otpauth://
// URIs.
const (
	OATHSHA1   OATHAlgorithm = "SHA1"
	OATHSHA256 OATHAlgorithm = "SHA256"
	OATHSHA512 OATHAlgorithm = "SHA512"
)

// ParseOATHAlgorithm accepts SHA1/SHA256/SHA512 in any case, with or without
// a dash, and Graph's hashFunction spelling (hmacsha1, hmacsha256).
func ParseOATHAlgorithm(s string) (OATHAlgorithm, error) {
	key := strings.ToUpper(strings.TrimSpace(s))
	key = strings.TrimPrefix(key, "HMAC")
	key = strings.ReplaceAll(strings.TrimPrefix(key, "-"), "-", "")
	switch key {
	case "SHA1":
		return OATHSHA1, nil
	case "SHA256":
		return OATHSHA256, nil
	case "SHA512":
		return OATHSHA512, nil
	}
	return "", fmt.Errorf("unknown OATH hash function %q (want SHA1, SHA256 or SHA512)", s)
}

// otp converts to the pquerna/otp enum.
func (a OATHAlgorithm) otp() (otp.Algorithm, error) {
	switch a {
	case OATHSHA1:
		return otp.AlgorithmSHA1, nil
	case OATHSHA256:
		return otp.AlgorithmSHA256, nil
	case OATHSHA512:
		return otp.AlgorithmSHA512, nil
	}
	return 0, fmt.Errorf("unknown OATH hash function %q (want SHA1, SHA256 or SHA512)", string(a))
}

// ErrInvalidOATHSecret is wrapped by every secret validation error. The
// messages say what is wrong and where, never what the secret is.
var ErrInvalidOATHSecret = errors.New("invalid OATH secret")

// OATHSecret is a normalised base32 OATH secret: upper case, no spaces, no
// padding. It is stored in clear (an OATH verifier needs the key itself), so
// it redacts itself in every fmt verb; only JSON encoding (for the mock's
// store) and an explicit string conversion reveal it.
type OATHSecret string

// Format redacts the secret for every fmt verb, including %#v and %x, and
// inside structs printed with %+v.
func (s OATHSecret) Format(f fmt.State, verb rune) {
	if s == "" {
		_, _ = io.WriteString(f, "[empty]")
		return
	}
	_, _ = io.WriteString(f, "[redacted]")
}

// String redacts the secret; use string(s) when the value is really needed.
func (s OATHSecret) String() string {
	if s == "" {
		return "[empty]"
	}
	return "[redacted]"
}

// Bytes decodes the secret.
func (s OATHSecret) Bytes() ([]byte, error) {
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(string(s))
	if err != nil {
		return nil, fmt.Errorf("%w: not valid base32", ErrInvalidOATHSecret)
	}
	return b, nil
}

// ParseOATHSecret validates and normalises a base32 secret as users and CSV
// files write it: case-insensitive, spaces, tabs and dashes between groups
// ignored, trailing '=' padding optional. The result has between
// OATHSecretMinChars and OATHSecretMaxChars characters of the alphabet
// A-Z2-7 and decodes without leftover bits.
func ParseOATHSecret(s string) (OATHSecret, error) {
	if len(s) > oathSecretMaxInput {
		return "", fmt.Errorf("%w: input is longer than %d bytes", ErrInvalidOATHSecret, oathSecretMaxInput)
	}
	var b strings.Builder
	b.Grow(len(s))
	padding := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '-' || c == '\n' || c == '\r':
			continue
		case c == '=':
			padding++
			continue
		case padding > 0:
			return "", fmt.Errorf("%w: padding '=' may only appear at the end", ErrInvalidOATHSecret)
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c >= 'A' && c <= 'Z', c >= '2' && c <= '7':
		default:
			// Position, not the character: the character may be a typo of
			// a real secret character.
			return "", fmt.Errorf("%w: character %d is outside the base32 alphabet (A-Z, 2-7)",
				ErrInvalidOATHSecret, utf8.RuneCountInString(s[:i])+1)
		}
		b.WriteByte(c)
	}
	out := b.String()
	switch {
	case out == "":
		return "", fmt.Errorf("%w: empty", ErrInvalidOATHSecret)
	case len(out) < OATHSecretMinChars:
		return "", fmt.Errorf("%w: %d base32 characters, want at least %d", ErrInvalidOATHSecret, len(out), OATHSecretMinChars)
	case len(out) > OATHSecretMaxChars:
		return "", fmt.Errorf("%w: %d base32 characters, want at most %d", ErrInvalidOATHSecret, len(out), OATHSecretMaxChars)
	case padding > 0 && padding != (8-len(out)%8)%8:
		return "", fmt.Errorf("%w: wrong amount of '=' padding", ErrInvalidOATHSecret)
	}
	// Lengths 1, 3 and 6 mod 8 cannot come from whole bytes (Go's unpadded
	// decoder lets some through, pquerna/otp's padded one does not). Stray
	// low bits in the last character are allowed, as every decoder ignores
	// them: Microsoft's own CSV example secret (26 characters) has them.
	if r := len(out) % 8; r == 1 || r == 3 || r == 6 {
		return "", fmt.Errorf("%w: %d characters do not encode whole bytes", ErrInvalidOATHSecret, len(out))
	}
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(out); err != nil {
		return "", fmt.Errorf("%w: %d characters do not encode whole bytes", ErrInvalidOATHSecret, len(out))
	}
	return OATHSecret(out), nil
}

// GenerateOATHSecret makes a random secret of size bytes (0 means
// DefaultOATHSecretBytes) read from r (nil means crypto/rand).
func GenerateOATHSecret(r io.Reader, size int) (OATHSecret, error) {
	if size == 0 {
		size = DefaultOATHSecretBytes
	}
	// 10 bytes is the smallest size whose encoding has OATHSecretMinChars
	// characters; 80 bytes is the largest that stays within 128.
	if size < 10 || size > 80 {
		return "", fmt.Errorf("OATH secret size %d bytes is out of range (10-80)", size)
	}
	if r == nil {
		r = rand.Reader
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		return "", fmt.Errorf("generate OATH secret: %w", err)
	}
	return OATHSecret(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(buf)), nil
}

// OATHKey is everything needed to compute a token's codes.
type OATHKey struct {
	Type      OATHType      `json:"type"`
	Secret    OATHSecret    `json:"secret"`
	Algorithm OATHAlgorithm `json:"algorithm"`
	Digits    int           `json:"digits"`
	// Period is the TOTP time step in seconds (30 or 60); 0 for HOTP.
	Period int `json:"period,omitempty"`
}

// NewTOTPKey returns the key Entra and Microsoft Authenticator use by
// default: SHA1, 6 digits, 30 seconds.
func NewTOTPKey(secret OATHSecret) OATHKey {
	return OATHKey{Type: OATHTOTP, Secret: secret, Algorithm: OATHSHA1, Digits: 6, Period: 30}
}

// String describes the key without its secret.
func (k OATHKey) String() string {
	if k.Type == OATHHOTP {
		return fmt.Sprintf("hotp %s %d digits", k.Algorithm, k.Digits)
	}
	return fmt.Sprintf("%s %s %d digits %ds", k.Type, k.Algorithm, k.Digits, k.Period)
}

// Check validates the key: a known type and hash, 6 or 8 digits, a period of
// 30 or 60 seconds for TOTP and none for HOTP, and a normalised secret.
func (k OATHKey) Check() error {
	switch k.Type {
	case OATHTOTP:
		if k.Period != 30 && k.Period != 60 {
			return fmt.Errorf("TOTP period %d s is not supported (want 30 or 60)", k.Period)
		}
	case OATHHOTP:
		if k.Period != 0 {
			return fmt.Errorf("a HOTP key has no period (got %d)", k.Period)
		}
	default:
		return fmt.Errorf("unknown OATH type %q (want totp or hotp)", string(k.Type))
	}
	if _, err := k.Algorithm.otp(); err != nil {
		return err
	}
	if k.Digits != 6 && k.Digits != 8 {
		return fmt.Errorf("OATH codes of %d digits are not supported (want 6 or 8)", k.Digits)
	}
	norm, err := ParseOATHSecret(string(k.Secret))
	if err != nil {
		return err
	}
	if norm != k.Secret {
		return fmt.Errorf("%w: not normalised; parse it with ParseOATHSecret first", ErrInvalidOATHSecret)
	}
	return nil
}

// CheckEntra reports whether Entra would accept this key for a hardware or
// software OATH method: TOTP only, SHA1 or SHA256, 6 digits, 30 or 60 s
// (MS-OATH, GRAPH-HWOATH). The engine itself verifies any key that passes
// Check; this is the extra rule the mock applies when tokens are imported.
func (k OATHKey) CheckEntra() error {
	if err := k.Check(); err != nil {
		return err
	}
	if k.Type != OATHTOTP {
		return errors.New("entra supports TOTP tokens only, not HOTP")
	}
	if k.Algorithm != OATHSHA1 && k.Algorithm != OATHSHA256 {
		return fmt.Errorf("entra supports SHA1 and SHA256 tokens only, not %s", k.Algorithm)
	}
	if k.Digits != 6 {
		return fmt.Errorf("entra supports 6-digit codes only, not %d", k.Digits)
	}
	return nil
}

func (k OATHKey) hotpOpts() (hotp.ValidateOpts, error) {
	alg, err := k.Algorithm.otp()
	if err != nil {
		return hotp.ValidateOpts{}, err
	}
	// Digits must always be explicit: a zero Digits makes pquerna/otp
	// reject every code.
	return hotp.ValidateOpts{Digits: otp.Digits(k.Digits), Algorithm: alg}, nil
}

// Step returns the TOTP time step that contains at.
func (k OATHKey) Step(at time.Time) (uint64, error) {
	if k.Type != OATHTOTP {
		return 0, errors.New("only TOTP keys have time steps")
	}
	if k.Period <= 0 {
		return 0, fmt.Errorf("TOTP period %d s is not supported (want 30 or 60)", k.Period)
	}
	sec := at.Unix()
	if sec < 0 || sec > maxTOTPUnix {
		return 0, errors.New("TOTP time must lie between 1970 and 9999")
	}
	return uint64(sec) / uint64(k.Period), nil
}

// Code returns the TOTP code a token with a correct clock shows at time at.
func (k OATHKey) Code(at time.Time) (string, error) {
	if err := k.Check(); err != nil {
		return "", err
	}
	if k.Type != OATHTOTP {
		return "", errors.New("a HOTP key has no code for a time; use CodeAt with a counter")
	}
	// Same bounds as Step: pquerna/otp divides in floating point, which
	// agrees with Step's integer division only for sane times.
	if _, err := k.Step(at); err != nil {
		return "", err
	}
	opts, err := k.hotpOpts()
	if err != nil {
		return "", err
	}
	return totp.GenerateCodeCustom(string(k.Secret), at, totp.ValidateOpts{
		Period: uint(k.Period), Digits: opts.Digits, Algorithm: opts.Algorithm,
	})
}

// CodeAt returns the code for an explicit moving factor: the HOTP counter or
// the TOTP time step.
func (k OATHKey) CodeAt(movingFactor uint64) (string, error) {
	if err := k.Check(); err != nil {
		return "", err
	}
	return k.codeAt(movingFactor)
}

// codeAt skips Check for the inner loops of Validate and Resync, which check
// the key once.
func (k OATHKey) codeAt(movingFactor uint64) (string, error) {
	opts, err := k.hotpOpts()
	if err != nil {
		return "", err
	}
	return hotp.GenerateCodeCustom(string(k.Secret), movingFactor, opts)
}

// URI returns the otpauth:// key URI that authenticator apps scan
// (https://github.com/google/google-authenticator/wiki/Key-Uri-Format).
// counter is the HOTP counter to start from; it is ignored for TOTP.
// The URI contains the secret: show it to the user, never log it.
func (k OATHKey) URI(issuer, account string, counter uint64) (string, error) {
	if err := k.Check(); err != nil {
		return "", err
	}
	if issuer == "" || account == "" {
		return "", errors.New("an otpauth URI needs an issuer and an account name")
	}
	// The key URI format forbids ':' in either part: apps split the label
	// at the first colon, even an escaped one.
	if strings.Contains(issuer, ":") || strings.Contains(account, ":") {
		return "", errors.New("an otpauth issuer or account name cannot contain ':'")
	}
	escape := url.PathEscape
	// Apps read '+' in a query literally, so spaces are %20.
	query := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	var b strings.Builder
	b.WriteString("otpauth://")
	b.WriteString(string(k.Type))
	b.WriteString("/")
	b.WriteString(escape(issuer) + ":" + escape(account))
	b.WriteString("?secret=" + string(k.Secret))
	b.WriteString("&issuer=" + query(issuer))
	b.WriteString("&algorithm=" + string(k.Algorithm))
	b.WriteString("&digits=" + strconv.Itoa(k.Digits))
	if k.Type == OATHTOTP {
		b.WriteString("&period=" + strconv.Itoa(k.Period))
	} else {
		b.WriteString("&counter=" + strconv.FormatUint(counter, 10))
	}
	return b.String(), nil
}

// ErrMalformedCode is wrapped by NormalizeOTP errors.
var ErrMalformedCode = errors.New("malformed code")

// NormalizeOTP turns what a user typed into a code of exactly digits ASCII
// digits. Spaces, tabs and dashes are ignored because apps display codes as
// "123 456" and people copy them that way. The error never repeats the
// input.
func NormalizeOTP(code string, digits int) (string, error) {
	if digits < 1 || digits > oathCodeMaxInput {
		return "", fmt.Errorf("%w: codes of %d digits are not supported", ErrMalformedCode, digits)
	}
	if len(code) > oathCodeMaxInput {
		return "", fmt.Errorf("%w: a code is %d digits", ErrMalformedCode, digits)
	}
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == ' ' || c == '\t' || c == '-':
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		default:
			return "", fmt.Errorf("%w: a code is %d digits, nothing else", ErrMalformedCode, digits)
		}
	}
	if b.Len() != digits {
		return "", fmt.Errorf("%w: a code is %d digits, got %d", ErrMalformedCode, digits, b.Len())
	}
	return b.String(), nil
}

// OATHState is what a verifier remembers about a token between codes. It is
// persisted next to the key, by the caller.
type OATHState struct {
	// Counter is the lowest moving factor that may still be accepted: for
	// HOTP the next counter value (RFC 4226's C), for TOTP the step after the
	// last accepted one, so a used step is never accepted again. Zero means
	// no code was accepted yet (and, for HOTP, a token starting at 0).
	Counter uint64 `json:"counter"`
	// Drift is how many TOTP steps the token's clock runs ahead (positive)
	// or behind (negative), learned from accepted codes and by Resync.
	Drift int64 `json:"drift,omitempty"`
}

// OATHWindow is how far around the expected moving factor codes are
// searched.
type OATHWindow struct {
	// Back and Forward are the TOTP steps accepted before and after the
	// expected step (RFC 6238 §5.2 recommends one step for network delay).
	// For HOTP, Forward is the look-ahead (codes the user generated without
	// using them) and Back only decides which old codes count as replays.
	Back    int `json:"back"`
	Forward int `json:"forward"`
}

// DefaultTOTPWindow accepts one step either side.
var DefaultTOTPWindow = OATHWindow{Back: 1, Forward: 1}

// DefaultHOTPWindow looks 10 counters ahead, privacyIDEA's default.
var DefaultHOTPWindow = OATHWindow{Back: 1, Forward: 10}

// OATHVerdict is the outcome of checking one code.
type OATHVerdict string

// Verdicts of Validate and Resync.
const (
	OATHAccepted  OATHVerdict = "accepted"
	OATHWrong     OATHVerdict = "wrong"
	OATHReplayed  OATHVerdict = "replayed"
	OATHMalformed OATHVerdict = "malformed"
)

// OATHResult reports a verdict, the moving factor that matched (for
// accepted and replayed codes) and the state to persist. State equals the
// input state unless the verdict is OATHAccepted.
type OATHResult struct {
	Verdict OATHVerdict `json:"verdict"`
	Step    uint64      `json:"step"`
	State   OATHState   `json:"state"`
}

// OK reports whether the code was accepted.
func (r OATHResult) OK() bool { return r.Verdict == OATHAccepted }

// Validate checks one code at time at (TOTP) or against the counter (HOTP).
// A TOTP code is searched in the window around the expected step shifted by
// the learned drift; a match on a step below st.Counter is a replay. On
// acceptance the state's Counter moves past the matched factor and, for
// TOTP, Drift becomes the offset of the matched step from the true one. The
// error is only for an invalid key or time; a wrong code is a verdict.
func (k OATHKey) Validate(code string, at time.Time, st OATHState, w OATHWindow) (OATHResult, error) {
	res := OATHResult{Verdict: OATHWrong, State: st}
	if err := k.Check(); err != nil {
		return res, err
	}
	if w.Back < 0 || w.Forward < 0 {
		return res, fmt.Errorf("OATH window back %d, forward %d: must not be negative", w.Back, w.Forward)
	}
	if st.Drift > maxOATHDrift || st.Drift < -maxOATHDrift {
		return res, fmt.Errorf("OATH drift of %d steps is implausible; resync the token", st.Drift)
	}
	norm, err := NormalizeOTP(code, k.Digits)
	if err != nil {
		res.Verdict = OATHMalformed
		return res, nil
	}
	var lo, hi uint64 // inclusive range of moving factors to compare
	var now uint64    // TOTP: the true current step
	switch k.Type {
	case OATHTOTP:
		if now, err = k.Step(at); err != nil {
			return res, err
		}
		center := int64(now) + st.Drift
		if center+int64(w.Forward) < 0 {
			return res, nil // the whole window lies before 1970
		}
		lo = clampFactor(center - int64(w.Back))
		hi = clampFactor(center + int64(w.Forward))
	case OATHHOTP:
		if w.Forward < 1 {
			return res, errors.New("a HOTP window needs a look-ahead (Forward) of at least 1")
		}
		lo = satSub(st.Counter, uint64(w.Back))
		hi = satAdd(st.Counter, uint64(w.Forward-1))
	}
	// Every factor in range is computed and compared, whether or not an
	// earlier one matched, so timing does not tell where a code sits.
	found, replay := false, false
	var match, replayed uint64
	for f := lo; ; f++ {
		want, err := k.codeAt(f)
		if err != nil {
			return res, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(norm)) == 1 {
			switch {
			case f >= st.Counter && !found:
				found, match = true, f
			case f < st.Counter:
				replay, replayed = true, f
			}
		}
		if f == hi {
			break
		}
	}
	switch {
	case found:
		if match == math.MaxUint64 {
			// The counter cannot move past its last value; refusing is
			// better than wrapping to zero and accepting old codes.
			return res, errors.New("OATH counter exhausted")
		}
		res.Verdict, res.Step = OATHAccepted, match
		res.State.Counter = match + 1
		if k.Type == OATHTOTP {
			res.State.Drift = int64(match) - int64(now)
		}
	case replay:
		res.Verdict, res.Step = OATHReplayed, replayed
	}
	return res, nil
}

// DefaultResyncWindow is how many steps (TOTP, either side of now) or
// counters (HOTP, ahead) Resync searches: privacyIDEA's sync_window.
const DefaultResyncWindow = 1000

// ErrResyncFailed is returned when two codes are not consecutive codes of
// the token inside the sync window.
var ErrResyncFailed = errors.New("the two codes are not consecutive codes of this token within the sync window")

// ErrResyncReplayed is returned when the codes match, but at factors that
// were already used, so resynchronising would allow a replay.
var ErrResyncReplayed = errors.New("the two codes were already used; press the token button for fresh codes")

// Resync computes a token's position from two consecutive codes, as
// RFC 4226 §7.4 suggests: forging two consecutive values is much harder than
// one. For TOTP, code1 must match some step s within syncWindow steps of
// now and code2 step s+1; the drift becomes s+1 minus the current step. For
// HOTP, code1 must match a counter c in [Counter, Counter+syncWindow) and
// code2 c+1; codes behind the counter are not searched, so they fail with
// ErrResyncFailed. The returned state accepts neither code again. Step in
// the result is the factor of code2.
func (k OATHKey) Resync(code1, code2 string, now time.Time, st OATHState, syncWindow int) (OATHResult, error) {
	res := OATHResult{Verdict: OATHWrong, State: st}
	if err := k.Check(); err != nil {
		return res, err
	}
	if syncWindow < 1 {
		return res, fmt.Errorf("sync window %d: must be at least 1", syncWindow)
	}
	c1, err1 := NormalizeOTP(code1, k.Digits)
	c2, err2 := NormalizeOTP(code2, k.Digits)
	if err1 != nil || err2 != nil {
		res.Verdict = OATHMalformed
		return res, errors.Join(err1, err2)
	}
	var lo, hi uint64 // inclusive range for the factor of code1
	var t uint64
	switch k.Type {
	case OATHTOTP:
		var err error
		if t, err = k.Step(now); err != nil {
			return res, err
		}
		lo = clampFactor(int64(t) - int64(syncWindow))
		hi = clampFactor(int64(t) + int64(syncWindow))
	case OATHHOTP:
		lo = st.Counter
		hi = satAdd(st.Counter, uint64(syncWindow-1))
	}
	if hi == math.MaxUint64 {
		hi-- // code2 needs hi+1
	}
	prev, err := k.codeAt(lo)
	if err != nil {
		return res, err
	}
	found, replay := false, false
	var match uint64
	for f := lo; f <= hi; f++ {
		next, err := k.codeAt(f + 1)
		if err != nil {
			return res, err
		}
		eq := subtle.ConstantTimeCompare([]byte(prev), []byte(c1)) &
			subtle.ConstantTimeCompare([]byte(next), []byte(c2))
		if eq == 1 {
			if f >= st.Counter && !found {
				found, match = true, f
			} else if f < st.Counter {
				replay = true
			}
		}
		prev = next
	}
	switch {
	case found:
		res.Verdict, res.Step = OATHAccepted, match+1
		if match+1 == math.MaxUint64 {
			return OATHResult{Verdict: OATHWrong, State: st}, errors.New("OATH counter exhausted")
		}
		res.State.Counter = match + 2
		if k.Type == OATHTOTP {
			res.State.Drift = int64(match+1) - int64(t)
		}
		return res, nil
	case replay:
		res.Verdict = OATHReplayed
		return res, ErrResyncReplayed
	}
	return res, ErrResyncFailed
}

// clampFactor turns a signed step into a moving factor, stopping at 0: TOTP
// has no steps before 1970.
func clampFactor(v int64) uint64 {
	if v < 0 {
		return 0
	}
	return uint64(v)
}

func satAdd(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}

func satSub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}
