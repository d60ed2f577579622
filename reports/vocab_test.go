package reports

import (
	"reflect"
	"slices"
	"testing"

	"github.com/mfactl/mfactl/methods"
)

func TestRegistrationName(t *testing.T) {
	tests := []struct {
		value     string
		name      MethodName
		ok, known bool
	}{
		{"mobilePhone", NameMobilePhone, true, true},
		{"alternateMobilePhone", NameAlternateMobilePhone, true, true},
		{"officePhone", NameOfficePhone, true, true},
		{"email", NameEmail, true, true},
		{"fido2", NameFido2, true, true},
		{"fido2SecurityKey", NameFido2, true, true},
		{"passKeyDeviceBound", NameFido2, true, true},
		{"passKeyDeviceBoundAuthenticator", NameFido2, true, true},
		{"passKeyDeviceBoundWindowsHello", NameFido2, true, true},
		{"passKeySynced", NameFido2, true, true},
		{"microsoftAuthenticatorPush", NameAuthenticator, true, true},
		{"microsoftAuthenticatorPasswordless", NameAuthenticator, true, true},
		{"softwareOneTimePasscode", NameSoftwareOath, true, true},
		{"hardwareOneTimePasscode", NameHardwareOath, true, true},
		{"temporaryAccessPass", NameTemporaryAccessPass, true, true},
		{"windowsHelloForBusiness", NameWindowsHello, true, true},
		{"macOsSecureEnclaveKey", NamePlatformCredential, true, true},
		{"MOBILEPHONE", NameMobilePhone, true, true},
		{" email ", NameEmail, true, true},
		{"password", "", false, true},
		{"securityQuestion", "", false, true},
		{"appPassword", "", false, true},
		{"none", "", false, true},
		{"quantumEntanglement", "", false, false},
	}
	for _, tt := range tests {
		name, ok, known := RegistrationName(tt.value)
		if name != tt.name || ok != tt.ok || known != tt.known {
			t.Errorf("RegistrationName(%q) = %q, %v, %v; want %q, %v, %v", tt.value, name, ok, known, tt.name, tt.ok, tt.known)
		}
	}
}

func TestMethodsFromRegistration(t *testing.T) {
	ms, unknown := MethodsFromRegistration([]string{"password", "mobilePhone", "officePhone", "microsoftAuthenticatorPush",
		"microsoftAuthenticatorPasswordless", "securityQuestion", "futureMethod", "fido2", "passKeyDeviceBound"})
	if !slices.Equal(unknown, []string{"futureMethod"}) {
		t.Errorf("unknown = %q, want [futureMethod]", unknown)
	}
	r := Compute(UserInput{Methods: ms})
	want := []MethodName{NameMobilePhone, NameOfficePhone, NameFido2, NameAuthenticator, NameUnknown}
	if !slices.Equal(r.Methods, want) {
		t.Errorf("methods = %v, want %v", r.Methods, want)
	}
	for _, m := range ms {
		if m.Kind == methods.KindPhone && m.ID != methods.PhoneMethodID(m.PhoneType) {
			t.Errorf("phone %s has id %q, want the fixed id", m.PhoneType, m.ID)
		}
	}
	if r.MFAMethodCount != 4 || r.StrongestClass != methods.ClassPhishingResistant {
		t.Errorf("mfa=%d strongest=%s, want 4 phishingResistant", r.MFAMethodCount, r.StrongestClass)
	}
}

// TestRegistrationPathGivesIdenticalRows checks, for every combination of
// method names (with duplicates, the password and full method details on the
// methods path), that the row computed from the user's method list equals the
// row computed from the registration strings a mock would report for it.
func TestRegistrationPathGivesIdenticalRows(t *testing.T) {
	var mappable []MethodName
	for _, n := range MethodNames {
		if n != NamePhone && n != NameUnknown {
			mappable = append(mappable, n)
		}
	}
	defaults := append([]methods.DefaultMethod{""}, methods.DefaultMethods...)
	for mask := 0; mask < 1<<len(mappable); mask++ {
		ms := []methods.Method{kind(methods.KindPassword)}
		for i, n := range mappable {
			if mask&(1<<i) == 0 {
				continue
			}
			m := MethodOfName(n)
			m.DisplayName = "device " + string(n)
			ms = append(ms, m)
			if mask%3 == 0 { // a second device of the same type
				m.ID = "second-" + string(n)
				ms = append(ms, m)
			}
		}
		slices.Reverse(ms)
		enabled := mask%5 != 0
		user := methods.User{ID: "u", UserPrincipalName: "u@contoso.com", DisplayName: "U", UserType: "Member", AccountEnabled: &enabled}
		def := defaults[mask%len(defaults)]
		viaMethods := Compute(UserInput{User: user, IsAdmin: mask%2 == 0, Methods: ms, Default: def, Source: SourceMethods})

		details := RegistrationDetails{ID: "u", UserPrincipalName: "u@contoso.com", UserDisplayName: "U", UserType: "member",
			IsAdmin: mask%2 == 0, MethodsRegistered: append([]string{"password"}, RegistrationNames(ms)...), UserPreferred: string(def)}
		in, unknown := details.Input(&enabled)
		if len(unknown) != 0 {
			t.Fatalf("mask %b: unknown registration values %q", mask, unknown)
		}
		viaRegistration := Compute(in)
		if !reflect.DeepEqual(viaMethods, viaRegistration) {
			t.Fatalf("mask %b: rows differ\nmethods      %+v\nregistration %+v", mask, viaMethods, viaRegistration)
		}
	}
}

func TestRegistrationNamesOrderAndUnknown(t *testing.T) {
	got := RegistrationNames([]methods.Method{kind(methods.KindWindowsHello), phone(methods.PhoneMobile), kind(methods.KindPassword),
		{Kind: methods.KindUnknown, DisplayName: "futureMethod"}, kind(methods.KindAuthenticator), {Kind: methods.KindUnknown}})
	want := []string{"mobilePhone", "microsoftAuthenticatorPush", "windowsHelloForBusiness", "futureMethod"}
	if !slices.Equal(got, want) {
		t.Errorf("RegistrationNames = %q, want %q", got, want)
	}
}

func TestDefaultFromRegistration(t *testing.T) {
	tests := []struct {
		preferred, defaultMfa string
		want                  methods.DefaultMethod
	}{
		{"push", "", methods.DefaultPush},
		{"voiceOffice", "mobilePhone", methods.DefaultVoiceOffice},
		{"", "microsoftAuthenticatorPush", methods.DefaultPush},
		{"none", "softwareOneTimePasscode", methods.DefaultOath},
		{"", "mobilePhone", methods.DefaultSMS},
		{"", "alternateMobilePhone", methods.DefaultVoiceAlternateMobile},
		{"unknownFutureValue", "officePhone", methods.DefaultVoiceOffice},
		{"", "none", ""},
		{"", "", ""},
		{"bogus", "bogus", ""},
	}
	for _, tt := range tests {
		if got := DefaultFromRegistration(tt.preferred, tt.defaultMfa); got != tt.want {
			t.Errorf("DefaultFromRegistration(%q, %q) = %q, want %q", tt.preferred, tt.defaultMfa, got, tt.want)
		}
	}
}

func TestRegistrationDetailsInput(t *testing.T) {
	d := RegistrationDetails{ID: "id1", UserPrincipalName: "g@contoso.com", UserDisplayName: "G", UserType: "guest", IsAdmin: true,
		MethodsRegistered: []string{"email", "newThing"}, DefaultMfaMethod: "none"}
	in, unknown := d.Input(nil)
	if in.Source != SourceRegistration || in.User.ID != "id1" || in.User.DisplayName != "G" || !in.IsAdmin || in.Default != "" {
		t.Errorf("Input = %+v", in)
	}
	if !slices.Equal(unknown, []string{"newThing"}) {
		t.Errorf("unknown = %q", unknown)
	}
	r := Compute(in)
	if r.UserType != "guest" || !r.AccountEnabled || !slices.Equal(r.Methods, []MethodName{NameEmail, NameUnknown}) {
		t.Errorf("row = %+v", r)
	}
}

func TestMethodNameClasses(t *testing.T) {
	// Every name maps to the kind whose class methods.ClassOf gives, and the
	// kinds round-trip through NameOf.
	for _, n := range MethodNames {
		m := MethodOfName(n)
		got, ok := NameOf(m)
		if !ok || got != n {
			t.Errorf("NameOf(MethodOfName(%s)) = %s, %v", n, got, ok)
		}
		if n.Class() != methods.ClassOf(m.Kind) {
			t.Errorf("%s: class %s, want %s", n, n.Class(), methods.ClassOf(m.Kind))
		}
		if n.Label() == "" {
			t.Errorf("%s has no label", n)
		}
	}
	if len(MethodNames) > maxNames {
		t.Fatalf("MethodNames has %d names, more than the bit set size %d", len(MethodNames), maxNames)
	}
}
