package reports

import (
	"bytes"
	"strings"
	"testing"
)

func FuzzReadCoverage(f *testing.F) {
	f.Add([]byte(`{"users":[{"id":"a","methods":["fido2"]}],"summary":{"filter":"all"}}`))
	f.Add([]byte(`{"summary":{"findings":{"noMfaMethod":{"count":1}}},"users":[]}`))
	f.Add([]byte(`{"users":[null,{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		ReadCoverage(bytes.NewReader(data), func(Row) error { n++; return nil })
	})
}

// FuzzRegistrationRow checks the row invariants for any methodsRegistered
// list: counts agree with the lists, and the flags with each other.
func FuzzRegistrationRow(f *testing.F) {
	f.Add("mobilePhone,email,fido2")
	f.Add("password,securityQuestion")
	f.Add("microsoftAuthenticatorPush,microsoftAuthenticatorPasswordless,temporaryAccessPass,future")
	f.Fuzz(func(t *testing.T, list string) {
		ms, _ := MethodsFromRegistration(strings.Split(list, ","))
		r := Compute(UserInput{Methods: ms})
		mfa, phones := 0, 0
		for _, n := range r.Methods {
			if n.Class() != "none" {
				mfa++
				if n.IsPhone() {
					phones++
				}
			}
		}
		if r.MethodCount != len(r.Methods) || r.MFAMethodCount != mfa || r.MFACapable != (mfa > 0) || r.HasBackup != (mfa > 1) ||
			r.SMSVoiceOnly != (mfa > 0 && phones == mfa) || r.PhishingResistant != (r.StrongestClass == "phishingResistant") ||
			r.Has(FindingNoMFA) == r.MFACapable {
			t.Errorf("inconsistent row for %q: %+v", list, r)
		}
		back, _ := MethodsFromRegistration(RegistrationNames(ms))
		if again := Compute(UserInput{Methods: back}); strings.Join(namesOf(again), ",") != strings.Join(namesOf(r), ",") {
			t.Errorf("registration round trip changed %v into %v", r.Methods, again.Methods)
		}
	})
}

func namesOf(r Row) []string {
	out := make([]string, len(r.Methods))
	for i, n := range r.Methods {
		out[i] = string(n)
	}
	return out
}
