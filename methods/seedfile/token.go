// Package seedfile reads hardware OATH token seed files (Entra's CSV upload
// format and RFC 6030 PSKC documents) into tokens ready for Entra's
// hardware OATH inventory, and checks everything that can be checked
// without the tenant, leaving hooks (Result.CheckTenant, Result.Reject)
// for the rest. Apart from WriteErrorsFile it does no I/O beyond the
// reader and writer it is given, and it never lets a seed reach an error,
// a log line or the errors file: seeds are held in a Secret, which prints
// masked.
package seedfile

import (
	"encoding/base32"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
)

// HashFunction is the HMAC a token uses, with Graph's hashFunction names.
type HashFunction string

// The hash functions Entra accepts for hardware OATH tokens.
const (
	HashSHA1   HashFunction = "hmacsha1"
	HashSHA256 HashFunction = "hmacsha256"
)

// ParseHashFunction accepts Graph's names and the spellings vendors and
// people use ("SHA1", "HMAC-SHA256", "sha-256"), case-insensitively. An
// empty value is SHA-1, Graph's default.
func ParseHashFunction(s string) (HashFunction, error) {
	key := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	switch key {
	case "", "hmacsha1", "sha1":
		return HashSHA1, nil
	case "hmacsha256", "sha256":
		return HashSHA256, nil
	}
	return "", fmt.Errorf("hash function %q is not supported (want hmacsha1 or hmacsha256)", printable(s))
}

// AlgorithmTOTP is the only OATH algorithm Entra's hardware tokens use.
const AlgorithmTOTP = "totp"

// Limits Entra and the RFCs put on a token.
const (
	// MaxSecretLength is Entra's limit on the base32 secret key.
	MaxSecretLength = methods.OATHSecretMaxChars
	// MinSecretLength is 80 bits, the shortest seed in common use (RFC
	// 4226 asks for 128); anything shorter is a truncated or placeholder
	// value rather than a real seed.
	MinSecretLength = methods.OATHSecretMinChars
	// Digits is the code length Entra's hardware tokens must show.
	Digits = 6
	// MaxTokensPerUser is Entra's limit on OATH methods (hardware tokens
	// and authenticator apps) per user.
	MaxTokensPerUser = entra.MaxOathAndAppMethods
)

// Token is one hardware OATH token read from a seed file.
type Token struct {
	// Line is where the token starts in the file (1-based): the CSV row's
	// physical line, or the line of the PSKC KeyPackage element.
	Line int
	// UPN is the user to assign the token to; empty keeps it in the
	// inventory unassigned.
	UPN          string
	SerialNumber string
	// Secret is the seed, base32 (A-Z, 2-7), upper case, no padding.
	Secret       Secret
	TimeInterval int // seconds: 30 or 60
	HashFunction HashFunction
	Digits       int
	Manufacturer string
	Model        string
	// DisplayName is the PSKC FriendlyName, when the file has one.
	DisplayName string
	// Algorithm is always AlgorithmTOTP for a token that passed parsing.
	Algorithm string
}

// Validate checks the token against Entra's rules for a hardware OATH
// token. Both parsers return only tokens that pass, so callers that build
// tokens themselves get the same rules.
func (t Token) Validate() error {
	if err := checkSerial(t.SerialNumber); err != nil {
		return err
	}
	if err := checkUPN(t.UPN); err != nil {
		return err
	}
	norm, err := NormaliseSecret(t.Secret.Base32())
	if err != nil {
		return err
	}
	if norm != t.Secret.Base32() {
		return fmt.Errorf("secret key is not normalised (upper case, no spaces or padding)")
	}
	if t.TimeInterval != 30 && t.TimeInterval != 60 {
		return fmt.Errorf("time interval %d is not supported (want 30 or 60)", t.TimeInterval)
	}
	if t.HashFunction != HashSHA1 && t.HashFunction != HashSHA256 {
		return fmt.Errorf("hash function %q is not supported (want hmacsha1 or hmacsha256)", printable(string(t.HashFunction)))
	}
	if t.Digits != Digits {
		return fmt.Errorf("tokens showing %d digits are not supported (Entra needs %d)", t.Digits, Digits)
	}
	if t.Algorithm != AlgorithmTOTP {
		return fmt.Errorf("algorithm %q is not supported: Entra supports only TOTP hardware tokens", printable(t.Algorithm))
	}
	if err := checkText("manufacturer", t.Manufacturer, true); err != nil {
		return err
	}
	if err := checkText("model", t.Model, true); err != nil {
		return err
	}
	return checkText("display name", t.DisplayName, false)
}

// HardwareToken is the inventory entry the token becomes, as mfactl's
// model shows it before Graph has given it an id (for --dry-run output).
// The secret is not part of it.
func (t Token) HardwareToken() methods.HardwareToken {
	h := methods.HardwareToken{
		DisplayName:           t.DisplayName,
		SerialNumber:          t.SerialNumber,
		Manufacturer:          t.Manufacturer,
		Model:                 t.Model,
		TimeIntervalInSeconds: t.TimeInterval,
		HashFunction:          string(t.HashFunction),
		Status:                methods.TokenAvailable,
	}
	if t.UPN != "" {
		// Graph answers a create with assignTo as "assigned"; the user's
		// id is only known once the caller has resolved the UPN.
		h.Status = methods.TokenAssigned
	}
	return h
}

// Secret holds a token seed. Every way of printing it (fmt verbs, JSON,
// slog) shows MaskSecret's form; only Base32 returns the seed, so a seed
// can reach output only through a call that says so.
//
// The seed sits behind a pointer so that even fmt's error path for a
// wrong verb, which bypasses String, prints an address and not the seed.
type Secret struct{ b32 *string }

// NewSecret wraps an already normalised base32 seed. Use NormaliseSecret
// for text read from a file.
func NewSecret(base32Seed string) Secret { return Secret{b32: &base32Seed} }

// Base32 returns the seed: for the Graph request body, and nothing else.
func (s Secret) Base32() string {
	if s.b32 == nil {
		return ""
	}
	return *s.b32
}

// IsZero reports whether no seed is held.
func (s Secret) IsZero() bool { return s.Base32() == "" }

// String shows the masked seed.
func (s Secret) String() string { return MaskSecret(s.Base32()) }

// GoString keeps %#v masked too.
func (s Secret) GoString() string { return fmt.Sprintf("seedfile.Secret(%q)", s.String()) }

// MarshalJSON writes the masked seed, so a Token can be rendered as JSON
// for -o json without leaking it.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// LogValue keeps the seed out of structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MaskSecret shows enough of a seed to tell two rows apart and no more:
// the first two and last two characters around an ellipsis
// ("JB…XP"). Seeds shorter than MinSecretLength, which are not real seeds
// and where four characters would be a large share, become "…" alone; an
// empty seed stays empty so an errors file can show that it was missing.
func MaskSecret(s string) string {
	if s == "" {
		return ""
	}
	if utf8.RuneCountInString(s) < MinSecretLength {
		return "…"
	}
	r := []rune(s)
	return string(r[:2]) + "…" + string(r[len(r)-2:])
}

// NormaliseSecret turns a seed as people write it (lower case, grouped
// with spaces, padded with "=") into Entra's form and checks it: base32
// alphabet, MinSecretLength to MaxSecretLength characters, and a length a
// base32 encoder can produce (a seed cut short often is not). Errors name
// the problem without quoting the seed.
func NormaliseSecret(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
	s = strings.TrimRight(s, "=")
	if s == "" {
		return "", fmt.Errorf("secret key is empty")
	}
	if strings.Contains(s, "…") {
		return "", fmt.Errorf("secret key is masked (as in an errors file); put the real secret key back")
	}
	for i, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
			hint := ""
			if r == '0' || r == '1' || r == '8' || r == '9' {
				hint = "; digits 0, 1, 8 and 9 are not base32 (a hex seed must be converted)"
			}
			return "", fmt.Errorf("secret key has a character that is not base32 at position %d (allowed: A-Z and 2-7)%s", utf8.RuneCountInString(s[:i])+1, hint)
		}
	}
	n := len(s)
	if n > MaxSecretLength {
		return "", fmt.Errorf("secret key has %d characters, Entra allows at most %d", n, MaxSecretLength)
	}
	if n < MinSecretLength {
		return "", fmt.Errorf("secret key has %d characters, at least %d (80 bits) are needed; was it cut short?", n, MinSecretLength)
	}
	switch n % 8 {
	case 1, 3, 6:
		return "", fmt.Errorf("secret key has %d characters, a length no whole number of bytes encodes to in base32; was it cut short?", n)
	}
	// The messages above speak to someone fixing a seed file; the rules are
	// methods.ParseOATHSecret's, the same the mock and the verification
	// engine apply, so an imported seed is always one they accept.
	canonical, err := methods.ParseOATHSecret(s)
	if err != nil {
		return "", fmt.Errorf("secret key is not valid base32: %w", err)
	}
	return string(canonical), nil
}

// secretFromBytes is how PSKC seeds (binary) become Entra's base32 form.
func secretFromBytes(b []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

// checkSerial: Graph needs a serial number; control characters would garble
// every table and message that shows it.
func checkSerial(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("serial number is empty")
	}
	return checkText("serial number", s, true)
}

func checkText(field, s string, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return fmt.Errorf("%s is empty (Entra requires one)", field)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s contains a control character", field)
		}
	}
	if s != strings.TrimSpace(s) {
		return fmt.Errorf("%s has leading or trailing spaces", field)
	}
	return nil
}

// checkUPN is the shape check possible without the directory: one @ with
// text on both sides, no spaces. Whether the user exists is CheckTenant's.
func checkUPN(upn string) error {
	if upn == "" {
		return nil
	}
	local, domain, ok := strings.Cut(upn, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || strings.IndexFunc(upn, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}) >= 0 || !utf8.ValidString(upn) {
		return fmt.Errorf("upn %q is not a user principal name (name@domain)", printable(upn))
	}
	return nil
}

// printable makes a value from the file safe to quote in a one-line
// message: control characters become spaces, and long values are cut.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 64 {
		s = string(r[:61]) + "..."
	}
	return s
}
