package methods

import (
	"strings"
	"testing"
)

func TestAuthenticatorActivationPayload(t *testing.T) {
	a := AuthenticatorActivation{Code: "518 227 904", URL: "https://mobileappcommunicator.auth.microsoft.com/activatev2/863602595/SASPUBKRCAZ1FD043"}
	got, err := a.Payload()
	want := "phonefactor://activate_account?code=518227904&url=https%3a%2f%2fmobileappcommunicator.auth.microsoft.com%2factivatev2%2f863602595%2fSASPUBKRCAZ1FD043"
	if err != nil || got != want {
		t.Fatalf("Payload() = %q, %v\nwant %q", got, err, want)
	}
	back, err := ParseAuthenticatorActivation(got)
	if err != nil || back.Code != "518227904" || back.URL != a.URL {
		t.Fatalf("Parse(Payload()) = %+v, %v", back, err)
	}
}

func TestParseAuthenticatorActivation(t *testing.T) {
	const url = "https://example.invalid/activatev2/123456789/EMU"
	cases := []struct {
		in      string
		code    string
		wantErr string
	}{
		{"phonefactor://activate_account?code=123456789&url=https%3A%2F%2Fexample.invalid%2Factivatev2%2F123456789%2FEMU", "123456789", ""},
		{"PHONEFACTOR://ACTIVATE_ACCOUNT?url=https%3a%2f%2fexample.invalid%2factivatev2%2f123456789%2fEMU&code=987654321", "987654321", ""},
		{"  phonefactor://activate_account?code=123+456+789&url=https%3A%2F%2Fexample.invalid%2Factivatev2%2F123456789%2FEMU\n", "123456789", ""},
		{"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", "", "must start with phonefactor://activate_account"},
		{"phonefactor://activate_account?code=12345&url=https%3A%2F%2Fexample.invalid", "", "9 digits"},
		{"phonefactor://activate_account?code=12345678a&url=https%3A%2F%2Fexample.invalid", "", "9 digits"},
		{"phonefactor://activate_account?code=123456789", "", "one code and one url"},
		{"phonefactor://activate_account?code=123456789&code=123456789&url=https%3A%2F%2Fexample.invalid", "", "one code and one url"},
		{"phonefactor://activate_account?code=123456789&url=http%3A%2F%2Fexample.invalid", "", "https://"},
		{"phonefactor://activate_account?code=123456789&url=https%3A%2F%2Fuser%40example.invalid", "", "https://"},
		{"phonefactor://activate_account?code=123456789&url=%zz", "", "not a Microsoft Authenticator activation code"},
		{"phonefactor://activate_account?code=123456789&url=" + strings.Repeat("a", 3000), "", "too long"},
	}
	for _, tc := range cases {
		got, err := ParseAuthenticatorActivation(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%q) = %+v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.Code != tc.code || got.URL != url {
			t.Errorf("Parse(%q) = %+v, %v; want code %s url %s", tc.in, got, err, tc.code, url)
		}
	}
}

func TestActivationCodeGrouping(t *testing.T) {
	if g := GroupActivationCode("518227904"); g != "518 227 904" {
		t.Errorf("GroupActivationCode = %q", g)
	}
	for _, in := range []string{"518 227 904", "518-227-904", " 518227904 "} {
		if c, err := NormalizeActivationCode(in); err != nil || c != "518227904" {
			t.Errorf("Normalize(%q) = %q, %v", in, c, err)
		}
	}
	for _, in := range []string{"", "51822790", "5182279044", "51822790x"} {
		if _, err := NormalizeActivationCode(in); err == nil {
			t.Errorf("Normalize(%q) accepted", in)
		}
	}
}

// FuzzParseAuthenticatorActivation: the parser never panics, and what it
// accepts formats back to a payload that parses to the same activation.
func FuzzParseAuthenticatorActivation(f *testing.F) {
	f.Add("phonefactor://activate_account?code=518227904&url=https%3a%2f%2fmobileappcommunicator.auth.microsoft.com%2factivatev2%2f863602595%2fSASPUBKRCAZ1FD043")
	f.Add("phonefactor://activate_account?code=1&url=")
	f.Add("otpauth://totp/a?secret=b")
	f.Add("phonefactor://activate_account?code=123456789&url=https://a.b/%2")
	f.Fuzz(func(t *testing.T, in string) {
		a, err := ParseAuthenticatorActivation(in)
		if err != nil {
			return
		}
		p, err := a.Payload()
		if err != nil {
			t.Fatalf("accepted %q but cannot format %+v: %v", in, a, err)
		}
		b, err := ParseAuthenticatorActivation(p)
		if err != nil || b != a {
			t.Fatalf("round trip of %q: %q -> %+v, %v; want %+v", in, p, b, err, a)
		}
	})
}
