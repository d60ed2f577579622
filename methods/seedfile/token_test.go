package seedfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/methods"
)

const testSeed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32 of "12345678901234567890"

func TestNormaliseSecret(t *testing.T) {
	tests := []struct {
		in, want string
		problem  string // part of the error; "" when valid
	}{
		{testSeed, testSeed, ""},
		{"gezdgnbvgy3tqojqgezdgnbvgy3tqojq", testSeed, ""},
		{"GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", testSeed, ""},
		{" \tGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n", testSeed, ""},
		{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ======", testSeed, ""},
		{"2234567abcdef2234567abcdef", "2234567ABCDEF2234567ABCDEF", ""}, // Entra's own example
		{"JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXP", ""},                     // 16 characters, the floor
		{strings.Repeat("A", 128), strings.Repeat("A", 128), ""},
		{"", "", "secret key is empty"},
		{"  ==  ", "", "secret key is empty"},
		{strings.Repeat("A", 129), "", "at most 128"},
		{strings.Repeat("A", 136), "", "136 characters, Entra allows at most 128"},
		{"JBSWY3DPEHPK3PX", "", "15 characters, at least 16"},
		{testSeed + "G", "", "33 characters, a length no whole number of bytes encodes to"},
		{testSeed + "GEZ", "", "was it cut short?"},
		{testSeed + "GEZDGN", "", "was it cut short?"},
		{"GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ", "", "position 16"},
		{"GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ", "", "digits 0, 1, 8 and 9 are not base32"},
		{"GEZDGNBV-GY3TQOJQ-GEZDGNBV-GY3TQOJQ", "", "not base32 at position 9"},
		{"GEZDGNBVGY3TQOJQ=GEZDGNBVGY3TQOJQ", "", "not base32"},
		{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJÄ", "", "position 32"},
		{"GE…JQ", "", "masked"},
	}
	for _, tt := range tests {
		got, err := NormaliseSecret(tt.in)
		if tt.problem == "" {
			if err != nil || got != tt.want {
				t.Errorf("NormaliseSecret(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("NormaliseSecret(%q) = %q, want an error about %q", tt.in, got, tt.problem)
			continue
		}
		if !strings.Contains(err.Error(), tt.problem) {
			t.Errorf("NormaliseSecret(%q) error %q, want it to mention %q", tt.in, err, tt.problem)
		}
		if len(tt.in) >= 8 && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
			t.Errorf("NormaliseSecret(%q) error %q quotes the secret", tt.in, err)
		}
	}
}

func TestMaskSecret(t *testing.T) {
	tests := []struct{ in, want string }{
		{testSeed, "GE…JQ"},
		{"JBSWY3DPEHPK3PXP", "JB…XP"},
		{"JBSWY3DPEHPK3PX", "…"},
		{"AB", "…"},
		{"", ""},
		{"ÄÖÜßÄÖÜßÄÖÜßÄÖÜß", "ÄÖ…Üß"}, // cut at characters, not bytes
	}
	for _, tt := range tests {
		if got := MaskSecret(tt.in); got != tt.want {
			t.Errorf("MaskSecret(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSecretNeverPrints checks every way a Secret (alone or inside a
// Token) can be printed, marshalled or logged.
func TestSecretNeverPrints(t *testing.T) {
	tok := Token{Line: 2, SerialNumber: "S-1", Secret: NewSecret(testSeed), TimeInterval: 30, HashFunction: HashSHA1, Digits: 6,
		Manufacturer: "Contoso", Model: "M1", Algorithm: AlgorithmTOTP}
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T", "%p"} {
		outputs = append(outputs, fmt.Sprintf(verb, tok), fmt.Sprintf(verb, tok.Secret), fmt.Sprintf(verb, &tok))
	}
	js, err := json.Marshal(tok)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(js))
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("token", "secret", tok.Secret, "token", tok)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("token", "secret", tok.Secret, "token", tok)
	outputs = append(outputs, logged.String())
	row := RowError{Line: 2, Serial: "S-1", Reason: "x", Row: rowOf(tok)}
	outputs = append(outputs, fmt.Sprintf("%+v", row), row.Error())
	for _, out := range outputs {
		if strings.Contains(out, testSeed) || strings.Contains(strings.ToLower(out), strings.ToLower(testSeed)) {
			t.Errorf("output shows the seed: %s", out)
		}
		if strings.Contains(out, fmt.Sprintf("%x", testSeed)) {
			t.Errorf("output shows the seed in hex: %s", out)
		}
	}
	if !strings.Contains(string(js), `"GE…JQ"`) {
		t.Errorf("JSON %s does not show the masked secret", js)
	}
	if tok.Secret.Base32() != testSeed {
		t.Errorf("Base32() = %q, want the seed", tok.Secret.Base32())
	}
	if (Secret{}).Base32() != "" || !(Secret{}).IsZero() || NewSecret(testSeed).IsZero() {
		t.Errorf("zero Secret handling is wrong")
	}
}

func TestParseHashFunction(t *testing.T) {
	tests := []struct {
		in   string
		want HashFunction
		ok   bool
	}{
		{"", HashSHA1, true},
		{"hmacsha1", HashSHA1, true},
		{"HMAC-SHA1", HashSHA1, true},
		{"sha-1", HashSHA1, true},
		{"SHA1", HashSHA1, true},
		{"hmacsha256", HashSHA256, true},
		{"HMAC_SHA256", HashSHA256, true},
		{"sha 256", HashSHA256, true},
		{"md5", "", false},
		{"hmacsha512", "", false},
	}
	for _, tt := range tests {
		got, err := ParseHashFunction(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseHashFunction(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func validToken() Token {
	return Token{Line: 2, UPN: "amy@contoso.com", SerialNumber: "S-1", Secret: NewSecret(testSeed), TimeInterval: 30,
		HashFunction: HashSHA1, Digits: 6, Manufacturer: "Contoso", Model: "M1", Algorithm: AlgorithmTOTP}
}

func TestTokenValidate(t *testing.T) {
	if err := validToken().Validate(); err != nil {
		t.Fatalf("valid token: %v", err)
	}
	tests := []struct {
		name    string
		change  func(*Token)
		problem string
	}{
		{"no serial", func(t *Token) { t.SerialNumber = " " }, "serial number is empty"},
		{"control in serial", func(t *Token) { t.SerialNumber = "S\n1" }, "control character"},
		{"spaces around serial", func(t *Token) { t.SerialNumber = " S-1" }, "leading or trailing spaces"},
		{"bad upn", func(t *Token) { t.UPN = "amy" }, "not a user principal name"},
		{"upn with space", func(t *Token) { t.UPN = "amy masters@contoso.com" }, "not a user principal name"},
		{"no secret", func(t *Token) { t.Secret = Secret{} }, "secret key is empty"},
		{"lower-case secret", func(t *Token) { t.Secret = NewSecret(strings.ToLower(testSeed)) }, "not normalised"},
		{"padded secret", func(t *Token) { t.Secret = NewSecret(testSeed + "=") }, "not normalised"},
		{"interval 45", func(t *Token) { t.TimeInterval = 45 }, "time interval 45"},
		{"md5", func(t *Token) { t.HashFunction = "hmacmd5" }, "hash function"},
		{"8 digits", func(t *Token) { t.Digits = 8 }, "8 digits"},
		{"hotp", func(t *Token) { t.Algorithm = "hotp" }, "Entra supports only TOTP hardware tokens"},
		{"no manufacturer", func(t *Token) { t.Manufacturer = "" }, "manufacturer is empty"},
		{"no model", func(t *Token) { t.Model = "" }, "model is empty"},
		{"bad display name", func(t *Token) { t.DisplayName = "a\tb" }, "display name"},
		{"invalid UTF-8", func(t *Token) { t.Model = "M\xff" }, "not valid UTF-8"},
	}
	for _, tt := range tests {
		tok := validToken()
		tt.change(&tok)
		err := tok.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.problem) {
			t.Errorf("%s: Validate() = %v, want an error about %q", tt.name, err, tt.problem)
		}
	}
}

func TestTokenHardwareToken(t *testing.T) {
	tok := validToken()
	tok.HashFunction = HashSHA256
	tok.DisplayName = "Amy's token"
	got := tok.HardwareToken()
	want := methods.HardwareToken{DisplayName: "Amy's token", SerialNumber: "S-1", Manufacturer: "Contoso", Model: "M1",
		TimeIntervalInSeconds: 30, HashFunction: "hmacsha256", Status: methods.TokenAssigned}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("HardwareToken() = %+v, want %+v", got, want)
	}
	tok.UPN = ""
	if got := tok.HardwareToken().Status; got != methods.TokenAvailable {
		t.Errorf("unassigned token status = %q, want available", got)
	}
}
