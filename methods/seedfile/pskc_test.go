package seedfile

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRFC6030Decryption decrypts Figures 6 (pre-shared key) and 7 (PBKDF2
// password) below the TOTP rules, since both figures are HOTP, and checks
// the secrets and keys the RFC documents.
func TestRFC6030Decryption(t *testing.T) {
	tests := []struct {
		file string
		opts PSKCOptions
	}{
		{"testdata/rfc6030/figure6.pskcxml", PSKCOptions{Key: rfc6030Key}},
		{"testdata/rfc6030/figure7.pskcxml", PSKCOptions{Password: "qwerty"}},
	}
	for _, tt := range tests {
		doc, err := readPSKC(bytes.NewReader(readTestdata(t, tt.file)), tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if len(doc.packages) != 1 {
			t.Fatalf("%s: %d packages", tt.file, len(doc.packages))
		}
		p := doc.packages[0]
		if string(p.secret) != "12345678901234567890" || len(p.problems) > 0 {
			t.Errorf("%s: secret %x, problems %v; want the RFC's 12345678901234567890", tt.file, p.secret, p.problems)
		}
		if p.serial != "987654321" || p.algorithm != hotpURI || p.digits != "8" {
			t.Errorf("%s: read %+v", tt.file, p)
		}
	}

	// The intermediate values the RFC gives: Figure 6's MAC key and
	// Figure 7's derived key.
	keys := &pskcKeys{opts: PSKCOptions{Key: rfc6030Key}, macMethod: &pskcMACMethod{Algorithm: macHMACSHA1, MACKey: &pskcEncryptedValue{
		CipherValue: "ESIzRFVmd4iZABEiM0RVZgKn6WjLaTC1sbeBMSvIhRejN9vJa2BOlSaMrR7I5wSX"}}}
	keys.macMethod.MACKey.Method.Algorithm = xmlencAES128CBC
	if err := keys.resolve(xmlencAES128CBC); err != nil {
		t.Fatal(err)
	}
	if got := keys.macKey; !bytes.Equal(got, mustHex("1122334455667788990011223344556677889900")) {
		t.Errorf("Figure 6 MAC key = %x", got)
	}
	derived, err := deriveKey("qwerty", pbkdf2Params{Salt: "Ej7/PEpyEpw=", IterationCount: "1000", KeyLength: "16"}, 16)
	if err != nil || !bytes.Equal(derived, mustHex("651e63cd57008476af1ff6422cd02e41")) {
		t.Errorf("Figure 7 derived key = %x, %v", derived, err)
	}
}

// TestPSKCRefusesHOTP: the RFC figures decrypt, but their HOTP keys never
// become tokens.
func TestPSKCRefusesHOTP(t *testing.T) {
	res, err := ParsePSKC(bytes.NewReader(readTestdata(t, "testdata/rfc6030/figure6.pskcxml")), PSKCOptions{Key: rfc6030Key, Model: "Any"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tokens) != 0 || len(res.Errors) != 1 {
		t.Fatalf("result %+v", res)
	}
	if got, want := res.Errors[0].Reason, "the key is HOTP: Entra supports only TOTP hardware tokens; ResponseFormat Length is 8 digits; Entra's tokens show 6"; got != want {
		t.Errorf("reason %q, want %q", got, want)
	}
}

func TestPSKCKeyProblems(t *testing.T) {
	fig6 := readTestdata(t, "testdata/rfc6030/figure6.pskcxml")
	fig7 := readTestdata(t, "testdata/rfc6030/figure7.pskcxml")
	aes128 := readTestdata(t, "testdata/pskc/gen-totp-aes128.pskcxml")
	aes256 := readTestdata(t, "testdata/pskc/gen-totp-aes256.pskcxml")
	pbkdf := readTestdata(t, "testdata/pskc/gen-totp-pbkdf2.pskcxml")
	wrongKey := mustHex("12345678901234567890123456789013")
	tests := []struct {
		name    string
		doc     []byte
		opts    PSKCOptions
		problem string
	}{
		{"figure 6 without a key", fig6, PSKCOptions{}, `encrypted with a pre-shared key ("Pre-shared-key"); give it as hex with --pskc-key`},
		{"figure 6 with a wrong key", fig6, PSKCOptions{Key: wrongKey}, "cannot decrypt the MAC key: wrong key or password"},
		{"figure 6 with a password", fig6, PSKCOptions{Password: "qwerty"}, "give it as hex with --pskc-key"},
		{"figure 6 with an AES-256 key", fig6, PSKCOptions{Key: genKey256}, "AES-128, which needs a 16-byte key, but the key given has 32 bytes"},
		{"figure 7 without a password", fig7, PSKCOptions{}, `derived from a password ("My Password 1"); give the password`},
		{"figure 7 with a key", fig7, PSKCOptions{Key: rfc6030Key}, "give the password"},
		{"figure 7 with a wrong password", fig7, PSKCOptions{Password: "qwertz"}, "wrong key or password"},
		{"AES-128 file with a wrong key", aes128, PSKCOptions{Key: []byte("0123456789abcdeg")}, "wrong key or password"},
		{"AES-256 file with an AES-128 key", aes256, PSKCOptions{Key: genKey128}, "AES-256, which needs a 32-byte key"},
		{"PBKDF2 file with a wrong password", pbkdf, PSKCOptions{Password: "Correct horse battery staple"}, "wrong key or password"},
	}
	for _, tt := range tests {
		res, err := ParsePSKC(bytes.NewReader(tt.doc), tt.opts)
		var fe *FileError
		if !errors.As(err, &fe) || res != nil {
			t.Errorf("%s: got %+v, %v; want a file error", tt.name, res, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.problem) {
			t.Errorf("%s: error %q, want it to mention %q", tt.name, err, tt.problem)
		}
	}
}

// TestPSKCTamperedValue: a right MAC key but a changed ciphertext or
// ValueMAC is caught per package, before any decryption result is used.
func TestPSKCTamperedValue(t *testing.T) {
	doc := string(readTestdata(t, "testdata/pskc/gen-totp-aes128.pskcxml"))
	i := strings.Index(doc, "<EncryptedValue>")
	j := i + strings.Index(doc[i:], "<xenc:CipherValue>") + len("<xenc:CipherValue>")
	ct, _ := base64.StdEncoding.DecodeString(doc[j : j+strings.Index(doc[j:], "<")])
	ct[len(ct)-1] ^= 1
	tampered := doc[:j] + base64.StdEncoding.EncodeToString(ct) + doc[j+strings.Index(doc[j:], "<"):]
	res, err := ParsePSKC(strings.NewReader(tampered), PSKCOptions{Key: genKey128})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tokens) != 2 || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Reason, "the ValueMAC does not match") {
		t.Errorf("tampered value: %d tokens, errors %v", len(res.Tokens), res.Errors)
	}
}

func TestPSKCDefaults(t *testing.T) {
	doc := readTestdata(t, "testdata/pskc/vendor-no-model.pskcxml")
	res, err := ParsePSKC(bytes.NewReader(doc), PSKCOptions{Model: "OTP c200", Manufacturer: "ignored: the file names one"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tokens) != 1 || len(res.Errors) != 0 {
		t.Fatalf("result %+v", res)
	}
	tok := res.Tokens[0]
	if tok.Model != "OTP c200" || tok.Manufacturer != "Fabrikam Tokens Co." || tok.TimeInterval != 60 || tok.Line != 4 {
		t.Errorf("token %+v", tok)
	}
	if got, want := tok.Secret.Base32(), "VPG66AJDIVTYTK6N54ASGRLHRGV433YB"; got != want {
		t.Errorf("secret %s, want %s (base32 of the file's base64)", got, want)
	}
}

func TestParseHexKey(t *testing.T) {
	for _, in := range []string{
		"12345678901234567890123456789012",
		"0x12345678901234567890123456789012",
		"12:34:56:78:90:12:34:56:78:90:12:34:56:78:90:12",
		" 1234 5678 9012 3456 7890 1234 5678 9012 ",
	} {
		if key, err := ParseHexKey(in); err != nil || !bytes.Equal(key, rfc6030Key) {
			t.Errorf("ParseHexKey(%q) = %x, %v", in, key, err)
		}
	}
	for in, problem := range map[string]string{
		"1234567890123456789012345678901z": "must be hexadecimal",
		"123":                              "must be hexadecimal",
		"1234567890":                       "has 5 bytes",
		"":                                 "has 0 bytes",
	} {
		_, err := ParseHexKey(in)
		if err == nil || !strings.Contains(err.Error(), problem) {
			t.Errorf("ParseHexKey(%q) error %v, want %q", in, err, problem)
		}
		if err != nil && len(in) > 4 && strings.Contains(err.Error(), in) {
			t.Errorf("ParseHexKey error %q quotes the key", err)
		}
	}
}

func TestDecryptCBCRefusesBadInput(t *testing.T) {
	iv := bytes.Repeat([]byte{7}, 16)
	good := encryptCBC(t, genKey128, iv, []byte("twenty bytes of seed"))
	if plain, err := decryptCBC(xmlencAES128CBC, genKey128, good); err != nil || string(plain) != "twenty bytes of seed" {
		t.Fatalf("decryptCBC = %q, %v", plain, err)
	}
	tests := []struct {
		name      string
		algorithm string
		key, data []byte
		problem   string
	}{
		{"truncated", xmlencAES128CBC, genKey128, good[:len(good)-1], "truncated"},
		{"IV only", xmlencAES128CBC, genKey128, good[:16], "truncated"},
		{"wrong key", xmlencAES128CBC, []byte("fedcba9876543210"), good, "bad padding"},
		{"key size", xmlencAES256CBC, genKey128, good, "AES-256, which needs a 32-byte key"},
		{"algorithm", "http://www.w3.org/2001/04/xmlenc#tripledes-cbc", genKey128, good, "not supported"},
		{"no algorithm", "", genKey128, good, "names no encryption algorithm"},
	}
	for _, tt := range tests {
		plain, err := decryptCBC(tt.algorithm, tt.key, tt.data)
		if err == nil || !strings.Contains(err.Error(), tt.problem) || plain != nil {
			t.Errorf("%s: decryptCBC = %q, %v; want an error about %q", tt.name, plain, err, tt.problem)
		}
	}
	// Every wrong key is refused: a padding that happens to look right is
	// caught by the MAC, which TestPSKCKeyProblems covers; here the
	// padding check alone must refuse most keys.
	refused := 0
	for i := 0; i < 256; i++ {
		key := bytes.Repeat([]byte{byte(i)}, 16)
		if _, err := decryptCBC(xmlencAES128CBC, key, good); err != nil {
			refused++
		}
	}
	if refused < 240 {
		t.Errorf("only %d of 256 wrong keys refused by the padding check", refused)
	}
}

func TestDeriveKeyLimits(t *testing.T) {
	tests := []struct {
		params  pbkdf2Params
		size    int
		problem string
	}{
		{pbkdf2Params{Salt: "", IterationCount: "1000"}, 16, "Salt"},
		{pbkdf2Params{Salt: "Ej7/PEpyEpw=", IterationCount: "0"}, 16, "IterationCount"},
		{pbkdf2Params{Salt: "Ej7/PEpyEpw=", IterationCount: "many"}, 16, "IterationCount"},
		{pbkdf2Params{Salt: "Ej7/PEpyEpw=", IterationCount: "99999999"}, 16, "above the 5000000"},
		{pbkdf2Params{Salt: "Ej7/PEpyEpw=", IterationCount: "1000", KeyLength: "20"}, 16, "16, 24 or 32"},
		{pbkdf2Params{Salt: "Ej7/PEpyEpw=", IterationCount: "1000", KeyLength: "32"}, 16, "needs 16"},
		{pbkdf2Params{Salt: "Ej7/PEpyEpw=", IterationCount: "1000", PRF: "http://example.com/#md5"}, 16, "PRF"},
	}
	for _, tt := range tests {
		_, err := deriveKey("qwerty", tt.params, tt.size)
		if err == nil || !strings.Contains(err.Error(), tt.problem) {
			t.Errorf("deriveKey(%+v) error %v, want %q", tt.params, err, tt.problem)
		}
	}
	// HMAC-SHA256 as PRF, and the key length taken from the algorithm.
	key, err := deriveKey("qwerty", pbkdf2Params{Salt: "Ej7/PEpyEpw=", IterationCount: "10", PRF: macHMACSHA256}, 32)
	if err != nil || len(key) != 32 {
		t.Errorf("deriveKey(SHA-256 PRF) = %x, %v", key, err)
	}
}
