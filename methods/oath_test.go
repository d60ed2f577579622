package methods

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The RFC seeds. RFC 6238's reference code uses a different seed length per
// hash function; see verification.md §1.4.
const (
	seed20 = "12345678901234567890"
	seed32 = "12345678901234567890123456789012"
	seed64 = "1234567890123456789012345678901234567890123456789012345678901234"
)

func secretOf(t testing.TB, ascii string) OATHSecret {
	t.Helper()
	enc := strings.TrimRight(base32Std(ascii), "=")
	s, err := ParseOATHSecret(enc)
	if err != nil {
		t.Fatalf("ParseOATHSecret(seed of %d bytes): %v", len(ascii), err)
	}
	return s
}

func base32Std(ascii string) string {
	// encoding/base32 via the package's own path would hide mistakes in
	// ParseOATHSecret; the published base32 forms in verification.md are
	// checked against this in TestRFCSeedsBase32.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var out strings.Builder
	var buf uint64
	bits := 0
	for i := 0; i < len(ascii); i++ {
		buf = buf<<8 | uint64(ascii[i])
		bits += 8
		for bits >= 5 {
			out.WriteByte(alphabet[(buf>>(bits-5))&31])
			bits -= 5
		}
	}
	if bits > 0 {
		out.WriteByte(alphabet[(buf<<(5-bits))&31])
	}
	for out.Len()%8 != 0 {
		out.WriteByte('=')
	}
	return out.String()
}

func TestRFCSeedsBase32(t *testing.T) {
	// The base32 spellings published in verification.md §1.3/§1.4.
	for ascii, want := range map[string]string{
		seed20: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
		seed32: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA====",
		seed64: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA=",
	} {
		if got := base32Std(ascii); got != want {
			t.Errorf("base32 of %d-byte seed = %s, want %s", len(ascii), got, want)
		}
		s, err := ParseOATHSecret(want)
		if err != nil {
			t.Fatalf("ParseOATHSecret(padded %d-byte seed): %v", len(ascii), err)
		}
		b, err := s.Bytes()
		if err != nil || string(b) != ascii {
			t.Errorf("Bytes() of %d-byte seed = %q, %v", len(ascii), b, err)
		}
	}
}

// RFC 4226 Appendix D, through the HOTP key and through Validate with the
// server counter at each value.
func TestHOTPRFC4226(t *testing.T) {
	key := OATHKey{Type: OATHHOTP, Secret: secretOf(t, seed20), Algorithm: OATHSHA1, Digits: 6}
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for counter, code := range want {
		got, err := key.CodeAt(uint64(counter))
		if err != nil || got != code {
			t.Errorf("HOTP(%d) = %q, %v; want %s", counter, got, err, code)
		}
		res, err := key.Validate(code, time.Time{}, OATHState{Counter: uint64(counter)}, OATHWindow{Back: 1, Forward: 1})
		if err != nil || !res.OK() || res.Step != uint64(counter) || res.State.Counter != uint64(counter)+1 {
			t.Errorf("Validate(HOTP %d at counter %d) = %+v, %v", counter, counter, res, err)
		}
	}
	// The server walks the sequence: each code moves the counter one on.
	st := OATHState{}
	for i, code := range want {
		res, err := key.Validate(code, time.Time{}, st, DefaultHOTPWindow)
		if err != nil || !res.OK() {
			t.Fatalf("sequence code %d: %+v, %v", i, res, err)
		}
		st = res.State
	}
	if st.Counter != 10 {
		t.Errorf("counter after 10 codes = %d, want 10", st.Counter)
	}
}

type rfc6238Vector struct {
	unix int64
	step uint64
	code string
	alg  OATHAlgorithm
}

// All 18 vectors of RFC 6238 Appendix B (8 digits, 30 s, T0 = 0).
var rfc6238Vectors = []rfc6238Vector{
	{59, 0x1, "94287082", OATHSHA1},
	{59, 0x1, "46119246", OATHSHA256},
	{59, 0x1, "90693936", OATHSHA512},
	{1111111109, 0x23523EC, "07081804", OATHSHA1},
	{1111111109, 0x23523EC, "68084774", OATHSHA256},
	{1111111109, 0x23523EC, "25091201", OATHSHA512},
	{1111111111, 0x23523ED, "14050471", OATHSHA1},
	{1111111111, 0x23523ED, "67062674", OATHSHA256},
	{1111111111, 0x23523ED, "99943326", OATHSHA512},
	{1234567890, 0x273EF07, "89005924", OATHSHA1},
	{1234567890, 0x273EF07, "91819424", OATHSHA256},
	{1234567890, 0x273EF07, "93441116", OATHSHA512},
	{2000000000, 0x3F940AA, "69279037", OATHSHA1},
	{2000000000, 0x3F940AA, "90698825", OATHSHA256},
	{2000000000, 0x3F940AA, "38618901", OATHSHA512},
	{20000000000, 0x27BC86AA, "65353130", OATHSHA1},
	{20000000000, 0x27BC86AA, "77737706", OATHSHA256},
	{20000000000, 0x27BC86AA, "47863826", OATHSHA512},
}

func rfcSeed(alg OATHAlgorithm) string {
	switch alg {
	case OATHSHA256:
		return seed32
	case OATHSHA512:
		return seed64
	}
	return seed20
}

func TestTOTPRFC6238(t *testing.T) {
	for _, v := range rfc6238Vectors {
		t.Run(fmt.Sprintf("%s/%d", v.alg, v.unix), func(t *testing.T) {
			key := OATHKey{Type: OATHTOTP, Secret: secretOf(t, rfcSeed(v.alg)), Algorithm: v.alg, Digits: 8, Period: 30}
			at := time.Unix(v.unix, 0).UTC()
			step, err := key.Step(at)
			if err != nil || step != v.step {
				t.Fatalf("Step = %#x, %v; want %#x", step, err, v.step)
			}
			for name, got := range map[string]func() (string, error){
				"Code":   func() (string, error) { return key.Code(at) },
				"CodeAt": func() (string, error) { return key.CodeAt(v.step) },
			} {
				code, err := got()
				if err != nil || code != v.code {
					t.Errorf("%s = %q, %v; want %s", name, code, err, v.code)
				}
			}
			res, err := key.Validate(v.code, at, OATHState{}, DefaultTOTPWindow)
			if err != nil || !res.OK() || res.Step != v.step || res.State.Counter != v.step+1 || res.State.Drift != 0 {
				t.Errorf("Validate = %+v, %v", res, err)
			}
		})
	}
}

// A test that "passes" with the 20-byte seed for every hash would be using
// the wrong seed; these are the values that mistake gives.
func TestTOTPWrongSeedPitfall(t *testing.T) {
	at := time.Unix(59, 0)
	for alg, wrong := range map[OATHAlgorithm]string{OATHSHA256: "32247374", OATHSHA512: "69342147"} {
		key := OATHKey{Type: OATHTOTP, Secret: secretOf(t, seed20), Algorithm: alg, Digits: 8, Period: 30}
		code, err := key.Code(at)
		if err != nil || code != wrong {
			t.Errorf("%s with the 20-byte seed at 59 = %q, %v; want %s", alg, code, err, wrong)
		}
	}
}

// The 6-digit values Entra-style tokens use (verification.md §1.4, derived).
func TestTOTPSixDigitVectors(t *testing.T) {
	secret := secretOf(t, seed20)
	cases := []struct {
		period int
		unix   int64
		code   string
	}{
		{30, 59, "287082"}, {30, 1111111109, "081804"}, {30, 1111111111, "050471"},
		{30, 1234567890, "005924"}, {30, 2000000000, "279037"}, {30, 20000000000, "353130"},
		{60, 59, "755224"}, {60, 1111111109, "360094"}, {60, 1234567890, "713351"},
	}
	for _, c := range cases {
		key := OATHKey{Type: OATHTOTP, Secret: secret, Algorithm: OATHSHA1, Digits: 6, Period: c.period}
		code, err := key.Code(time.Unix(c.unix, 0))
		if err != nil || code != c.code {
			t.Errorf("period %d at %d = %q, %v; want %s", c.period, c.unix, code, err, c.code)
		}
		// pquerna/otp's own TOTP validator agrees, with Digits explicit.
		ok, err := totp.ValidateCustom(c.code, string(secret), time.Unix(c.unix, 0), totp.ValidateOpts{
			Period: uint(c.period), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
		})
		if err != nil || !ok {
			t.Errorf("totp.ValidateCustom(period %d at %d) = %v, %v", c.period, c.unix, ok, err)
		}
	}
}

func TestParseOATHSecret(t *testing.T) {
	const norm = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" // 32 chars
	long := strings.Repeat("A", 128)
	cases := []struct {
		name, in, want string
		errPart        string
	}{
		{"canonical", norm, norm, ""},
		{"lower case", strings.ToLower(norm), norm, ""},
		{"groups of four", "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp", norm, ""},
		{"dashes and tabs", "JBSW-Y3DP\tEHPK-3PXP JBSWY3DPEHPK3PXP", norm, ""},
		{"surrounding newlines", "\n" + norm + "\r\n", norm, ""},
		{"sha256 seed padded", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA====", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA", ""},
		{"microsoft csv example", "2234567abcdef2234567abcdef", "2234567ABCDEF2234567ABCDEF", ""},
		{"minimum length", "JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXP", ""},
		{"maximum length", long, long, ""},
		{"empty", "", "", "empty"},
		{"only spaces", "   ", "", "empty"},
		{"digit one", "JBSWY3DPEHPK3PX1", "", "character 16 is outside"},
		{"digit eight", "8BSWY3DPEHPK3PXP", "", "character 1 is outside"},
		{"unicode", "JBSWY3DPÉHPK3PXP", "", "character 9 is outside"},
		{"too short", "JBSWY3DPEHPK3PX", "", "15 base32 characters, want at least 16"},
		{"too long", long + "AAAAAAAA", "", "136 base32 characters, want at most 128"},
		{"impossible length", "JBSWY3DPEHPK3PXPJ", "", "do not encode whole bytes"},
		{"padding in the middle", "JBSWY3DP=EHPK3PXP", "", "padding"},
		{"too much padding", norm + "========", "", "padding"},
		{"wrong padding", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA==", "", "padding"},
		{"huge input", strings.Repeat(" ", 2000), "", "longer than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseOATHSecret(c.in)
			if c.errPart == "" {
				if err != nil || string(got) != c.want {
					t.Fatalf("ParseOATHSecret = %q, %v; want %q", string(got), err, c.want)
				}
				again, err := ParseOATHSecret(string(got))
				if err != nil || again != got {
					t.Errorf("not idempotent: %q, %v", string(again), err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseOATHSecret = %q, want an error containing %q", string(got), c.errPart)
			}
			if !errors.Is(err, ErrInvalidOATHSecret) || !strings.Contains(err.Error(), c.errPart) {
				t.Errorf("error %q: want ErrInvalidOATHSecret and %q", err, c.errPart)
			}
			if in := strings.ToUpper(strings.TrimSpace(c.in)); len(in) >= 8 && strings.Contains(strings.ToUpper(err.Error()), in[:8]) {
				t.Errorf("error %q repeats the secret", err)
			}
		})
	}
}

func TestOATHSecretNeverPrinted(t *testing.T) {
	secret := OATHSecret("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
	key := NewTOTPKey(secret)
	type holder struct {
		Key  OATHKey
		Ptr  *OATHKey
		List []OATHSecret
	}
	h := holder{Key: key, Ptr: &key, List: []OATHSecret{secret}}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10s", "%d"} {
		for name, v := range map[string]any{"secret": secret, "key": key, "holder": h, "pointer": &key} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, string(secret)) || strings.Contains(strings.ToUpper(out), fmt.Sprintf("%X", string(secret))) {
				t.Errorf("Sprintf(%s, %s) reveals the secret: %s", verb, name, out)
			}
		}
	}
	if got := OATHSecret("").String(); got != "[empty]" {
		t.Errorf("empty secret String() = %q", got)
	}
	// JSON is how the mock persists keys, so it must keep the secret.
	b, err := json.Marshal(key)
	if err != nil || !bytes.Contains(b, []byte(string(secret))) {
		t.Errorf("JSON of the key lost the secret: %s, %v", b, err)
	}
	var back OATHKey
	if err := json.Unmarshal(b, &back); err != nil || back != key {
		t.Errorf("JSON round trip = %v, %v", back, err)
	}
}

func TestGenerateOATHSecret(t *testing.T) {
	rnd := rand.NewChaCha8([32]byte{1})
	s, err := GenerateOATHSecret(rnd, 0)
	if err != nil || len(s) != 32 {
		t.Fatalf("default secret: %d chars, %v", len(s), err)
	}
	if again, err := ParseOATHSecret(string(s)); err != nil || again != s {
		t.Errorf("generated secret does not parse back: %v", err)
	}
	other, _ := GenerateOATHSecret(rnd, 0)
	if other == s {
		t.Error("two generated secrets are equal")
	}
	for size, chars := range map[int]int{10: 16, 32: 52, 64: 103, 80: 128} {
		s, err := GenerateOATHSecret(rnd, size)
		if err != nil || len(s) != chars {
			t.Errorf("size %d: %d chars, %v; want %d", size, len(s), err, chars)
		}
		if _, err := ParseOATHSecret(string(s)); err != nil {
			t.Errorf("size %d does not parse back: %v", size, err)
		}
	}
	for _, size := range []int{-1, 9, 81} {
		if _, err := GenerateOATHSecret(rnd, size); err == nil {
			t.Errorf("size %d accepted", size)
		}
	}
	if _, err := GenerateOATHSecret(bytes.NewReader([]byte{1, 2, 3}), 20); err == nil {
		t.Error("a short random source did not fail")
	}
	if s, err := GenerateOATHSecret(nil, 0); err != nil || len(s) != 32 {
		t.Errorf("crypto/rand secret: %d chars, %v", len(s), err)
	}
}

func TestParseOATHAlgorithm(t *testing.T) {
	for in, want := range map[string]OATHAlgorithm{
		"SHA1": OATHSHA1, "sha1": OATHSHA1, "hmacsha1": OATHSHA1, "HMAC-SHA1": OATHSHA1, "sha-256": OATHSHA256,
		"hmacsha256": OATHSHA256, " SHA512 ": OATHSHA512,
	} {
		if got, err := ParseOATHAlgorithm(in); err != nil || got != want {
			t.Errorf("ParseOATHAlgorithm(%q) = %q, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "md5", "sha3", "SHA224"} {
		if got, err := ParseOATHAlgorithm(in); err == nil {
			t.Errorf("ParseOATHAlgorithm(%q) = %q, want an error", in, got)
		}
	}
}

func TestOATHKeyCheck(t *testing.T) {
	secret := OATHSecret("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
	good := NewTOTPKey(secret)
	cases := []struct {
		name    string
		mutate  func(*OATHKey)
		check   string // error part for Check; "" means valid
		entra   string // error part for CheckEntra; "" means valid
		display string
	}{
		{"default totp", func(*OATHKey) {}, "", "", "totp SHA1 6 digits 30s"},
		{"60 s sha256", func(k *OATHKey) { k.Period, k.Algorithm = 60, OATHSHA256 }, "", "", "totp SHA256 6 digits 60s"},
		{"sha512", func(k *OATHKey) { k.Algorithm = OATHSHA512 }, "", "SHA1 and SHA256", ""},
		{"8 digits", func(k *OATHKey) { k.Digits = 8 }, "", "6-digit", ""},
		{"hotp", func(k *OATHKey) { k.Type, k.Period = OATHHOTP, 0 }, "", "TOTP tokens only", "hotp SHA1 6 digits"},
		{"hotp with period", func(k *OATHKey) { k.Type = OATHHOTP }, "no period", "no period", ""},
		{"period 45", func(k *OATHKey) { k.Period = 45 }, "period 45", "period 45", ""},
		{"7 digits", func(k *OATHKey) { k.Digits = 7 }, "7 digits", "7 digits", ""},
		{"no type", func(k *OATHKey) { k.Type = "" }, "unknown OATH type", "unknown OATH type", ""},
		{"md5", func(k *OATHKey) { k.Algorithm = "MD5" }, "unknown OATH hash", "unknown OATH hash", ""},
		{"lower-case secret", func(k *OATHKey) { k.Secret = OATHSecret(strings.ToLower(string(secret))) }, "not normalised", "not normalised", ""},
		{"empty secret", func(k *OATHKey) { k.Secret = "" }, "empty", "empty", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := good
			c.mutate(&k)
			for what, pair := range map[string]struct {
				err  error
				want string
			}{"Check": {k.Check(), c.check}, "CheckEntra": {k.CheckEntra(), c.entra}} {
				switch {
				case pair.want == "" && pair.err != nil:
					t.Errorf("%s: unexpected error %v", what, pair.err)
				case pair.want != "" && (pair.err == nil || !strings.Contains(pair.err.Error(), pair.want)):
					t.Errorf("%s: error %v, want one containing %q", what, pair.err, pair.want)
				}
			}
			if c.display != "" && k.String() != c.display {
				t.Errorf("String() = %q, want %q", k.String(), c.display)
			}
		})
	}
}

func TestOATHKeyURI(t *testing.T) {
	secret := OATHSecret("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
	cases := []struct {
		name, issuer, account string
		key                   OATHKey
		counter               uint64
		want                  string
	}{
		{"app", OATHIssuer, "alice@contoso.com", NewTOTPKey(secret), 0,
			"otpauth://totp/mfactl:alice@contoso.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=mfactl&algorithm=SHA1&digits=6&period=30"},
		{"spaces and ampersands", "Contoso IT & Co", "bob smith", OATHKey{Type: OATHTOTP, Secret: secret, Algorithm: OATHSHA256, Digits: 8, Period: 60}, 0,
			"otpauth://totp/Contoso%20IT%20&%20Co:bob%20smith?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Contoso%20IT%20%26%20Co&algorithm=SHA256&digits=8&period=60"},
		{"hotp", OATHIssuer, "carol@contoso.com", OATHKey{Type: OATHHOTP, Secret: secret, Algorithm: OATHSHA1, Digits: 6}, 42,
			"otpauth://hotp/mfactl:carol@contoso.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=mfactl&algorithm=SHA1&digits=6&counter=42"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			uri, err := c.key.URI(c.issuer, c.account, c.counter)
			if err != nil || uri != c.want {
				t.Fatalf("URI = %q, %v\nwant  %q", uri, err, c.want)
			}
			// What an authenticator app would read back (pquerna/otp parses
			// the format the apps use).
			k, err := otp.NewKeyFromURL(uri)
			if err != nil {
				t.Fatal(err)
			}
			if k.Type() != string(c.key.Type) || k.Issuer() != c.issuer || k.AccountName() != c.account ||
				k.Secret() != string(secret) || k.Digits().Length() != c.key.Digits || k.Algorithm().String() != string(c.key.Algorithm) {
				t.Errorf("read back: type %s issuer %q account %q digits %d alg %s", k.Type(), k.Issuer(), k.AccountName(), k.Digits(), k.Algorithm())
			}
			if c.key.Type == OATHTOTP && k.Period() != uint64(c.key.Period) {
				t.Errorf("period read back = %d", k.Period())
			}
		})
	}
	if _, err := NewTOTPKey(secret).URI("", "a", 0); err == nil {
		t.Error("URI without issuer accepted")
	}
	if _, err := NewTOTPKey(secret).URI("Contoso: IT", "a", 0); err == nil {
		t.Error("URI with a colon in the issuer accepted")
	}
	if _, err := NewTOTPKey("bad").URI("i", "a", 0); err == nil {
		t.Error("URI with a bad key accepted")
	}
}

func TestNormalizeOTP(t *testing.T) {
	cases := []struct {
		in     string
		digits int
		want   string
	}{
		{"123456", 6, "123456"},
		{" 123 456 ", 6, "123456"},
		{"123-456", 6, "123456"},
		{"\t12345678", 8, "12345678"},
		{"000000", 6, "000000"},
		{"12345", 6, ""},
		{"1234567", 6, ""},
		{"12345a", 6, ""},
		{"１２３４５６", 6, ""}, // full-width digits are not ASCII digits
		{"", 6, ""},
		{"123456", 0, ""},
		{strings.Repeat(" ", 100) + "123456", 6, ""},
	}
	for _, c := range cases {
		got, err := NormalizeOTP(c.in, c.digits)
		if c.want == "" {
			if err == nil || !errors.Is(err, ErrMalformedCode) {
				t.Errorf("NormalizeOTP(%q, %d) = %q, %v; want ErrMalformedCode", c.in, c.digits, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("NormalizeOTP(%q, %d) = %q, %v; want %q", c.in, c.digits, got, err, c.want)
		}
	}
}

// fixedTOTP is a key and a clock in the middle of a step, so ±1 step is
// unambiguous.
func fixedTOTP(t *testing.T) (OATHKey, time.Time, uint64) {
	t.Helper()
	key := NewTOTPKey(secretOf(t, seed20))
	now := time.Date(2026, 11, 23, 9, 0, 15, 0, time.UTC)
	step, err := key.Step(now)
	if err != nil {
		t.Fatal(err)
	}
	return key, now, step
}

func codeAt(t *testing.T, k OATHKey, f uint64) string {
	t.Helper()
	c, err := k.CodeAt(f)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestValidateTOTPWindow(t *testing.T) {
	key, now, step := fixedTOTP(t)
	cases := []struct {
		name    string
		code    string
		state   OATHState
		window  OATHWindow
		verdict OATHVerdict
		matched uint64
		after   OATHState
	}{
		{"current step", codeAt(t, key, step), OATHState{}, DefaultTOTPWindow, OATHAccepted, step, OATHState{Counter: step + 1}},
		{"one step behind", codeAt(t, key, step-1), OATHState{}, DefaultTOTPWindow, OATHAccepted, step - 1, OATHState{Counter: step, Drift: -1}},
		{"one step ahead", codeAt(t, key, step+1), OATHState{}, DefaultTOTPWindow, OATHAccepted, step + 1, OATHState{Counter: step + 2, Drift: 1}},
		{"two steps behind", codeAt(t, key, step-2), OATHState{}, DefaultTOTPWindow, OATHWrong, 0, OATHState{}},
		{"two steps ahead", codeAt(t, key, step+2), OATHState{}, DefaultTOTPWindow, OATHWrong, 0, OATHState{}},
		{"two ahead in a wider window", codeAt(t, key, step+2), OATHState{}, OATHWindow{Back: 0, Forward: 2}, OATHAccepted, step + 2, OATHState{Counter: step + 3, Drift: 2}},
		{"zero window, previous step", codeAt(t, key, step-1), OATHState{}, OATHWindow{}, OATHWrong, 0, OATHState{}},
		{"learned drift shifts the window", codeAt(t, key, step+3), OATHState{Drift: 2}, DefaultTOTPWindow, OATHAccepted, step + 3, OATHState{Counter: step + 4, Drift: 3}},
		{"learned drift hides the true step", codeAt(t, key, step-1), OATHState{Drift: 2}, DefaultTOTPWindow, OATHWrong, 0, OATHState{Drift: 2}},
		{"same step again is a replay", codeAt(t, key, step), OATHState{Counter: step + 1}, DefaultTOTPWindow, OATHReplayed, step, OATHState{Counter: step + 1}},
		{"older step after a newer one is a replay", codeAt(t, key, step-1), OATHState{Counter: step + 1}, DefaultTOTPWindow, OATHReplayed, step - 1, OATHState{Counter: step + 1}},
		{"next step after use", codeAt(t, key, step+1), OATHState{Counter: step + 1}, DefaultTOTPWindow, OATHAccepted, step + 1, OATHState{Counter: step + 2, Drift: 1}},
		{"wrong code", "000000", OATHState{}, DefaultTOTPWindow, OATHWrong, 0, OATHState{}},
		{"spaced code", codeAt(t, key, step)[:3] + " " + codeAt(t, key, step)[3:], OATHState{}, DefaultTOTPWindow, OATHAccepted, step, OATHState{Counter: step + 1}},
		{"too short", "12345", OATHState{}, DefaultTOTPWindow, OATHMalformed, 0, OATHState{}},
		{"letters", "abcdef", OATHState{Counter: 7}, DefaultTOTPWindow, OATHMalformed, 0, OATHState{Counter: 7}},
	}
	if codeAt(t, key, step) == "000000" {
		t.Fatal("the fixed clock happens to give 000000; pick another")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := key.Validate(c.code, now, c.state, c.window)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != c.verdict || res.Step != c.matched || res.State != c.after {
				t.Errorf("Validate = %+v; want verdict %s step %d state %+v", res, c.verdict, c.matched, c.after)
			}
			if res.OK() != (c.verdict == OATHAccepted) {
				t.Errorf("OK() = %v for %s", res.OK(), res.Verdict)
			}
		})
	}
}

func TestValidateTOTPErrors(t *testing.T) {
	key, now, _ := fixedTOTP(t)
	if _, err := key.Validate("123456", time.Unix(-1, 0), OATHState{}, DefaultTOTPWindow); err == nil {
		t.Error("a time before 1970 was accepted")
	}
	if _, err := key.Validate("123456", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), OATHState{}, DefaultTOTPWindow); err == nil {
		t.Error("a time after 9999 was accepted")
	}
	if _, err := key.Code(time.Unix(-30, 0)); err == nil {
		t.Error("Code before 1970 was accepted")
	}
	if _, err := key.Validate("123456", now, OATHState{}, OATHWindow{Back: -1}); err == nil {
		t.Error("a negative window was accepted")
	}
	if _, err := key.Validate("123456", now, OATHState{Drift: 1 << 40}, DefaultTOTPWindow); err == nil {
		t.Error("an implausible drift was accepted")
	}
	bad := key
	bad.Digits = 0
	if _, err := bad.Validate("123456", now, OATHState{}, DefaultTOTPWindow); err == nil {
		t.Error("a key with zero digits was accepted")
	}
	hk := OATHKey{Type: OATHHOTP, Secret: key.Secret, Algorithm: OATHSHA1, Digits: 6}
	if _, err := hk.Code(now); err == nil {
		t.Error("Code on a HOTP key did not fail")
	}
	if _, err := hk.Step(now); err == nil {
		t.Error("Step on a HOTP key did not fail")
	}
	// Near 1970 the window is clamped rather than wrapping around.
	early := time.Unix(10, 0)
	res, err := key.Validate(codeAt(t, key, 0), early, OATHState{}, DefaultTOTPWindow)
	if err != nil || !res.OK() || res.Step != 0 {
		t.Errorf("step 0 at t=10: %+v, %v", res, err)
	}
	res, err = key.Validate(codeAt(t, key, 0), early, OATHState{Drift: -5}, DefaultTOTPWindow)
	if err != nil || res.Verdict != OATHWrong {
		t.Errorf("window before 1970: %+v, %v", res, err)
	}
}

func TestValidateHOTP(t *testing.T) {
	key := OATHKey{Type: OATHHOTP, Secret: secretOf(t, seed20), Algorithm: OATHSHA1, Digits: 6}
	hotpCode := func(c uint64) string { return codeAt(t, key, c) }
	cases := []struct {
		name    string
		code    string
		state   OATHState
		window  OATHWindow
		verdict OATHVerdict
		after   uint64
	}{
		{"expected counter", hotpCode(5), OATHState{Counter: 5}, DefaultHOTPWindow, OATHAccepted, 6},
		{"button pressed unused 9 times", hotpCode(14), OATHState{Counter: 5}, DefaultHOTPWindow, OATHAccepted, 15},
		{"beyond the look-ahead", hotpCode(15), OATHState{Counter: 5}, DefaultHOTPWindow, OATHWrong, 5},
		{"previous code is a replay", hotpCode(4), OATHState{Counter: 5}, DefaultHOTPWindow, OATHReplayed, 5},
		{"older code is just wrong", hotpCode(3), OATHState{Counter: 5}, DefaultHOTPWindow, OATHWrong, 5},
		{"look-ahead of one", hotpCode(6), OATHState{Counter: 5}, OATHWindow{Forward: 1}, OATHWrong, 5},
		{"counter 0 with back window", hotpCode(0), OATHState{}, DefaultHOTPWindow, OATHAccepted, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := key.Validate(c.code, time.Time{}, c.state, c.window)
			if err != nil || res.Verdict != c.verdict || res.State.Counter != c.after || res.State.Drift != 0 {
				t.Errorf("Validate = %+v, %v; want %s, counter %d", res, err, c.verdict, c.after)
			}
		})
	}
	if _, err := key.Validate(hotpCode(0), time.Time{}, OATHState{}, OATHWindow{}); err == nil {
		t.Error("a HOTP window without look-ahead was accepted")
	}
	// The last counter value cannot be used: the state could not move on.
	last := uint64(math.MaxUint64)
	if _, err := key.Validate(hotpCode(last), time.Time{}, OATHState{Counter: last}, DefaultHOTPWindow); err == nil {
		t.Error("the last counter value was accepted")
	}
	res, err := key.Validate(hotpCode(last-1), time.Time{}, OATHState{Counter: last - 1}, DefaultHOTPWindow)
	if err != nil || !res.OK() || res.State.Counter != last {
		t.Errorf("second-to-last counter: %+v, %v", res, err)
	}
}

func TestResyncTOTP(t *testing.T) {
	key, now, step := fixedTOTP(t)
	const ahead = 37 // the token's clock runs 37 steps (18.5 min) fast
	a, b := codeAt(t, key, step+ahead-1), codeAt(t, key, step+ahead)
	res, err := key.Resync(a, b, now, OATHState{}, DefaultResyncWindow)
	if err != nil || !res.OK() || res.Step != step+ahead || res.State != (OATHState{Counter: step + ahead + 1, Drift: ahead}) {
		t.Fatalf("Resync = %+v, %v", res, err)
	}
	// Normal sign-ins now work with the learned drift, a step later.
	later := now.Add(30 * time.Second)
	v, err := key.Validate(codeAt(t, key, step+ahead+1), later, res.State, DefaultTOTPWindow)
	if err != nil || !v.OK() || v.State.Drift != ahead {
		t.Errorf("Validate after resync = %+v, %v", v, err)
	}
	// ...but without the resync the same code is out of the window.
	if v, _ := key.Validate(codeAt(t, key, step+ahead+1), later, OATHState{}, DefaultTOTPWindow); v.OK() {
		t.Error("a code 37 steps ahead was accepted without resync")
	}
	// The two codes cannot be replayed through a second resync or a sign-in.
	if _, err := key.Resync(a, b, now, res.State, DefaultResyncWindow); !errors.Is(err, ErrResyncReplayed) {
		t.Errorf("second resync with the same codes: %v", err)
	}
	if v, _ := key.Validate(b, now, res.State, DefaultTOTPWindow); v.Verdict != OATHReplayed && v.Verdict != OATHWrong {
		t.Errorf("the resync code was accepted again: %+v", v)
	}
	// A clock behind works the same way.
	res, err = key.Resync(codeAt(t, key, step-11), codeAt(t, key, step-10), now, OATHState{}, DefaultResyncWindow)
	if err != nil || res.State.Drift != -10 {
		t.Errorf("token behind: %+v, %v", res, err)
	}
	for name, pair := range map[string][2]string{
		"not consecutive":    {codeAt(t, key, step), codeAt(t, key, step+2)},
		"reversed":           {codeAt(t, key, step+1), codeAt(t, key, step)},
		"outside the window": {codeAt(t, key, step+20), codeAt(t, key, step+21)},
	} {
		if _, err := key.Resync(pair[0], pair[1], now, OATHState{}, 10); !errors.Is(err, ErrResyncFailed) {
			t.Errorf("%s: %v, want ErrResyncFailed", name, err)
		}
	}
	if r, err := key.Resync("12", "345678", now, OATHState{}, 10); err == nil || r.Verdict != OATHMalformed {
		t.Errorf("malformed code: %+v, %v", r, err)
	}
	if _, err := key.Resync(a, b, now, OATHState{}, 0); err == nil {
		t.Error("a zero sync window was accepted")
	}
}

func TestResyncHOTP(t *testing.T) {
	key := OATHKey{Type: OATHHOTP, Secret: secretOf(t, seed20), Algorithm: OATHSHA1, Digits: 6}
	// RFC 4226 values 7 and 8 after the button was pressed unused.
	res, err := key.Resync("162583", "399871", time.Time{}, OATHState{Counter: 2}, DefaultResyncWindow)
	if err != nil || res.Step != 8 || res.State.Counter != 9 {
		t.Fatalf("Resync = %+v, %v", res, err)
	}
	if v, _ := key.Validate("520489", time.Time{}, res.State, DefaultHOTPWindow); !v.OK() {
		t.Error("counter 9 not accepted after resync")
	}
	if _, err := key.Resync("162583", "399871", time.Time{}, OATHState{Counter: 9}, DefaultResyncWindow); !errors.Is(err, ErrResyncFailed) {
		t.Errorf("resync behind the counter: %v", err)
	}
	if _, err := key.Resync("162583", "399871", time.Time{}, OATHState{Counter: 2}, 5); !errors.Is(err, ErrResyncFailed) {
		t.Errorf("resync beyond a window of 5: %v", err)
	}
}

func FuzzParseOATHSecret(f *testing.F) {
	for _, s := range []string{"JBSWY3DPEHPK3PXP", "jbsw y3dp ehpk 3pxp", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA====", "", "=", "A=B", "8", "É", "2234567abcdef2234567abcdef"} {
		f.Add(s)
	}
	// Every error message is one of these with the digits taken out: no
	// part of the input can ever appear in it.
	templates := map[string]bool{}
	for _, m := range []string{
		"invalid OATH secret: input is longer than  bytes",
		"invalid OATH secret: padding '=' may only appear at the end",
		"invalid OATH secret: character  is outside the base alphabet (AZ, )",
		"invalid OATH secret: empty",
		"invalid OATH secret:  base characters, want at least ",
		"invalid OATH secret:  base characters, want at most ",
		"invalid OATH secret: wrong amount of '=' padding",
		"invalid OATH secret:  characters do not encode whole bytes",
	} {
		templates[m] = true
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseOATHSecret(in)
		if err != nil {
			if !errors.Is(err, ErrInvalidOATHSecret) {
				t.Fatalf("error %v does not wrap ErrInvalidOATHSecret", err)
			}
			if !templates[stripDigits(err.Error())] {
				t.Fatalf("unexpected error text %q", err)
			}
			return
		}
		if len(s) < OATHSecretMinChars || len(s) > OATHSecretMaxChars {
			t.Fatalf("length %d out of bounds", len(s))
		}
		for _, c := range []byte(s) {
			if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
				t.Fatalf("character %q in a parsed secret", c)
			}
		}
		if again, err := ParseOATHSecret(string(s)); err != nil || again != s {
			t.Fatalf("not idempotent: %v", err)
		}
		if _, err := s.Bytes(); err != nil {
			t.Fatal(err)
		}
		if err := NewTOTPKey(s).Check(); err != nil {
			t.Fatalf("a parsed secret fails Check: %v", err)
		}
	})
}

// stripDigits removes the numbers (with their signs) an error message may
// carry, leaving its fixed text.
func stripDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r == '-' {
			return -1
		}
		return r
	}, s)
}

func FuzzNormalizeOTP(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "12-34-56", "", "abcdef", "１２３４５６", "12345678"} {
		f.Add(s, 6)
		f.Add(s, 8)
	}
	templates := map[string]bool{
		"malformed code: codes of  digits are not supported": true,
		"malformed code: a code is  digits":                  true,
		"malformed code: a code is  digits, nothing else":    true,
		"malformed code: a code is  digits, got ":            true,
	}
	f.Fuzz(func(t *testing.T, in string, digits int) {
		got, err := NormalizeOTP(in, digits)
		if err != nil {
			if !errors.Is(err, ErrMalformedCode) || !templates[stripDigits(err.Error())] {
				t.Fatalf("unexpected error %q", err)
			}
			return
		}
		if len(got) != digits {
			t.Fatalf("%d digits, want %d", len(got), digits)
		}
		if stripped := strings.NewReplacer(" ", "", "\t", "", "-", "").Replace(in); stripped != got {
			t.Fatalf("NormalizeOTP(%q) = %q, not the input without separators", in, got)
		}
		if again, err := NormalizeOTP(got, digits); err != nil || again != got {
			t.Fatalf("not idempotent: %q, %v", again, err)
		}
	})
}

// FuzzValidateTOTP feeds arbitrary codes and states: Validate never panics,
// accepts only the code of the step it reports, and never lowers Counter.
func FuzzValidateTOTP(f *testing.F) {
	f.Add("287082", int64(59), uint64(0), int64(0))
	f.Add("755224", int64(1), uint64(0), int64(-3))
	f.Add("123456", int64(1111111109), uint64(math.MaxUint64), int64(5))
	key := NewTOTPKey(OATHSecret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"))
	f.Fuzz(func(t *testing.T, code string, unix int64, counter uint64, drift int64) {
		st := OATHState{Counter: counter, Drift: drift}
		res, err := key.Validate(code, time.Unix(unix, 0), st, DefaultTOTPWindow)
		if err != nil {
			if res.Verdict == OATHAccepted {
				t.Fatal("accepted with an error")
			}
			return
		}
		switch res.Verdict {
		case OATHAccepted:
			norm, _ := NormalizeOTP(code, 6)
			if want, _ := key.CodeAt(res.Step); want != norm {
				t.Fatalf("accepted %q for step %d whose code is %s", code, res.Step, want)
			}
			if res.Step < counter || res.State.Counter != res.Step+1 {
				t.Fatalf("state %+v after accepting step %d from counter %d", res.State, res.Step, counter)
			}
		default:
			if res.State != st {
				t.Fatalf("state changed on verdict %s", res.Verdict)
			}
		}
	})
}
