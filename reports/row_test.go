package reports

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mfactl/mfactl/methods"
)

func phone(t methods.PhoneType) methods.Method {
	return methods.Method{ID: methods.PhoneMethodID(t), Kind: methods.KindPhone, PhoneType: t, PhoneNumber: "+1 5555550100"}
}

func kind(k methods.Kind) methods.Method { return methods.Method{ID: "id-" + string(k), Kind: k} }

func boolPtr(b bool) *bool { return &b }

func TestCompute(t *testing.T) {
	password := kind(methods.KindPassword)
	tests := []struct {
		name  string
		in    UserInput
		check func(t *testing.T, r Row)
		want  Row
	}{
		{
			name: "no method at all",
			in:   UserInput{},
			want: Row{UserType: "member", AccountEnabled: true, Methods: []MethodName{}, StrongestClass: methods.ClassNone,
				Findings: []FindingID{FindingNoMFA}},
		},
		{
			name: "password only is no method",
			in:   UserInput{Methods: []methods.Method{password}},
			want: Row{UserType: "member", AccountEnabled: true, Methods: []MethodName{}, StrongestClass: methods.ClassNone,
				Findings: []FindingID{FindingNoMFA}},
		},
		{
			name: "email and TAP are methods but not MFA",
			in:   UserInput{Methods: []methods.Method{kind(methods.KindTemporaryAccess), password, kind(methods.KindEmail)}},
			want: Row{UserType: "member", AccountEnabled: true, Methods: []MethodName{NameEmail, NameTemporaryAccessPass}, MethodCount: 2,
				StrongestClass: methods.ClassNone, Findings: []FindingID{FindingNoMFA, FindingTemporaryAccessPass}},
		},
		{
			name: "mobile phone only: single and sms/voice only",
			in:   UserInput{Methods: []methods.Method{phone(methods.PhoneMobile)}, Default: methods.DefaultSMS},
			want: Row{UserType: "member", AccountEnabled: true, Methods: []MethodName{NameMobilePhone}, MethodCount: 1, DefaultMethod: "sms",
				MFACapable: true, MFAMethodCount: 1, StrongestClass: methods.ClassPhone, SMSVoiceOnly: true,
				Findings: []FindingID{FindingSingleMFA, FindingSMSVoiceOnly}},
		},
		{
			name: "two phones: a backup, still sms/voice only",
			in:   UserInput{Methods: []methods.Method{phone(methods.PhoneOffice), phone(methods.PhoneMobile)}},
			want: Row{UserType: "member", AccountEnabled: true, Methods: []MethodName{NameMobilePhone, NameOfficePhone}, MethodCount: 2,
				MFACapable: true, MFAMethodCount: 2, StrongestClass: methods.ClassPhone, HasBackup: true, SMSVoiceOnly: true,
				Findings: []FindingID{FindingSMSVoiceOnly}},
		},
		{
			name: "phone plus email: email is no backup",
			in:   UserInput{Methods: []methods.Method{phone(methods.PhoneAlternateMobile), kind(methods.KindEmail)}},
			want: Row{UserType: "member", AccountEnabled: true, Methods: []MethodName{NameAlternateMobilePhone, NameEmail}, MethodCount: 2,
				MFACapable: true, MFAMethodCount: 1, StrongestClass: methods.ClassPhone, SMSVoiceOnly: true,
				Findings: []FindingID{FindingSingleMFA, FindingSMSVoiceOnly}},
		},
		{
			name: "phone plus TAP: TAP is no backup",
			in:   UserInput{Methods: []methods.Method{phone(methods.PhoneMobile), kind(methods.KindTemporaryAccess)}},
			want: Row{UserType: "member", AccountEnabled: true, Methods: []MethodName{NameMobilePhone, NameTemporaryAccessPass}, MethodCount: 2,
				MFACapable: true, MFAMethodCount: 1, StrongestClass: methods.ClassPhone, SMSVoiceOnly: true,
				Findings: []FindingID{FindingSingleMFA, FindingSMSVoiceOnly, FindingTemporaryAccessPass}},
		},
		{
			name: "authenticator only",
			in:   UserInput{Methods: []methods.Method{kind(methods.KindAuthenticator)}, Default: methods.DefaultPush},
			want: Row{UserType: "member", AccountEnabled: true, Methods: []MethodName{NameAuthenticator}, MethodCount: 1, DefaultMethod: "push",
				MFACapable: true, MFAMethodCount: 1, StrongestClass: methods.ClassAuthenticatorApp,
				Findings: []FindingID{FindingSingleMFA}},
		},
		{
			name: "two Authenticator devices count as one method",
			in:   UserInput{Methods: []methods.Method{kind(methods.KindAuthenticator), {ID: "second", Kind: methods.KindAuthenticator}}},
			want: Row{UserType: "member", AccountEnabled: true, Methods: []MethodName{NameAuthenticator}, MethodCount: 1,
				MFACapable: true, MFAMethodCount: 1, StrongestClass: methods.ClassAuthenticatorApp,
				Findings: []FindingID{FindingSingleMFA}},
		},
		{
			name: "authenticator and phone: backup, not sms only",
			in:   UserInput{Methods: []methods.Method{phone(methods.PhoneMobile), kind(methods.KindAuthenticator)}},
			want: Row{UserType: "member", AccountEnabled: true, Methods: []MethodName{NameMobilePhone, NameAuthenticator}, MethodCount: 2,
				MFACapable: true, MFAMethodCount: 2, StrongestClass: methods.ClassAuthenticatorApp, HasBackup: true,
				Findings: []FindingID{}},
		},
		{
			name: "software and hardware OATH: otp class",
			in:   UserInput{Methods: []methods.Method{kind(methods.KindHardwareOath), kind(methods.KindSoftwareOath)}},
			want: Row{UserType: "member", AccountEnabled: true, Methods: []MethodName{NameSoftwareOath, NameHardwareOath}, MethodCount: 2,
				MFACapable: true, MFAMethodCount: 2, StrongestClass: methods.ClassOTP, HasBackup: true,
				Findings: []FindingID{}},
		},
		{
			name: "fido2 is phishing resistant",
			in:   UserInput{Methods: []methods.Method{kind(methods.KindFido2)}},
			want: Row{UserType: "member", AccountEnabled: true, Methods: []MethodName{NameFido2}, MethodCount: 1,
				MFACapable: true, MFAMethodCount: 1, StrongestClass: methods.ClassPhishingResistant, PhishingResistant: true,
				Findings: []FindingID{FindingSingleMFA}},
		},
		{
			name: "windows hello and platform credential are phishing resistant",
			in:   UserInput{Methods: []methods.Method{kind(methods.KindPlatformCredential), kind(methods.KindWindowsHello)}},
			want: Row{UserType: "member", AccountEnabled: true, Methods: []MethodName{NameWindowsHello, NamePlatformCredential}, MethodCount: 2,
				MFACapable: true, MFAMethodCount: 2, StrongestClass: methods.ClassPhishingResistant, HasBackup: true, PhishingResistant: true,
				Findings: []FindingID{}},
		},
		{
			name: "admin with app and phone lacks phishing resistance",
			in:   UserInput{IsAdmin: true, Methods: []methods.Method{kind(methods.KindAuthenticator), phone(methods.PhoneMobile)}},
			want: Row{UserType: "member", AccountEnabled: true, IsAdmin: true, Methods: []MethodName{NameMobilePhone, NameAuthenticator}, MethodCount: 2,
				MFACapable: true, MFAMethodCount: 2, StrongestClass: methods.ClassAuthenticatorApp, HasBackup: true,
				Findings: []FindingID{FindingAdminNoPhishResistant}},
		},
		{
			name: "admin without any method",
			in:   UserInput{IsAdmin: true},
			want: Row{UserType: "member", AccountEnabled: true, IsAdmin: true, Methods: []MethodName{}, StrongestClass: methods.ClassNone,
				Findings: []FindingID{FindingNoMFA, FindingAdminNoPhishResistant}},
		},
		{
			name: "admin with fido2 and app is fine",
			in:   UserInput{IsAdmin: true, Methods: []methods.Method{kind(methods.KindAuthenticator), kind(methods.KindFido2)}},
			want: Row{UserType: "member", AccountEnabled: true, IsAdmin: true, Methods: []MethodName{NameFido2, NameAuthenticator}, MethodCount: 2,
				MFACapable: true, MFAMethodCount: 2, StrongestClass: methods.ClassPhishingResistant, HasBackup: true, PhishingResistant: true,
				Findings: []FindingID{}},
		},
		{
			name: "disabled user holding only an email",
			in:   UserInput{User: methods.User{AccountEnabled: boolPtr(false)}, Methods: []methods.Method{kind(methods.KindEmail)}},
			want: Row{UserType: "member", Methods: []MethodName{NameEmail}, MethodCount: 1, StrongestClass: methods.ClassNone,
				Findings: []FindingID{FindingNoMFA, FindingDisabledWithMethods}},
		},
		{
			name: "disabled user without methods",
			in:   UserInput{User: methods.User{AccountEnabled: boolPtr(false)}, Methods: []methods.Method{password}},
			want: Row{UserType: "member", Methods: []MethodName{}, StrongestClass: methods.ClassNone,
				Findings: []FindingID{FindingNoMFA}},
		},
		{
			name: "guest from /users, enabled explicitly",
			in: UserInput{User: methods.User{ID: "g1", UserPrincipalName: "ext_x#EXT#@contoso.onmicrosoft.com", DisplayName: "X", UserType: "Guest", AccountEnabled: boolPtr(true)},
				Methods: []methods.Method{kind(methods.KindAuthenticator), kind(methods.KindSoftwareOath)}},
			want: Row{ID: "g1", UserPrincipalName: "ext_x#EXT#@contoso.onmicrosoft.com", DisplayName: "X", UserType: "guest", AccountEnabled: true,
				Methods: []MethodName{NameAuthenticator, NameSoftwareOath}, MethodCount: 2, MFACapable: true, MFAMethodCount: 2,
				StrongestClass: methods.ClassAuthenticatorApp, HasBackup: true, Findings: []FindingID{}},
		},
		{
			name: "unknown kind and untyped phone",
			in:   UserInput{Methods: []methods.Method{kind(methods.KindUnknown), {Kind: methods.KindPhone}}},
			want: Row{UserType: "member", AccountEnabled: true, Methods: []MethodName{NamePhone, NameUnknown}, MethodCount: 2,
				MFACapable: true, MFAMethodCount: 1, StrongestClass: methods.ClassPhone, SMSVoiceOnly: true,
				Findings: []FindingID{FindingSingleMFA, FindingSMSVoiceOnly}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Compute:\n got %+v\nwant %+v", got, tt.want)
			}
			for _, f := range got.Findings {
				if !got.Has(f) {
					t.Errorf("Has(%s) = false for a listed finding", f)
				}
			}
		})
	}
}

func TestRowJSONFieldNames(t *testing.T) {
	r := Compute(UserInput{
		User:    methods.User{ID: "u1", UserPrincipalName: "a@contoso.com", DisplayName: "A", UserType: "Member", AccountEnabled: boolPtr(true)},
		IsAdmin: true,
		Methods: []methods.Method{phone(methods.PhoneMobile), kind(methods.KindAuthenticator)},
		Default: methods.DefaultPush,
	})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"u1","userPrincipalName":"a@contoso.com","displayName":"A","userType":"member","accountEnabled":true,"isAdmin":true,` +
		`"methods":["mobilePhone","microsoftAuthenticator"],"methodCount":2,"defaultMethod":"push","mfaCapable":true,"mfaMethodCount":2,` +
		`"strongestClass":"authenticatorApp","hasBackup":true,"smsVoiceOnly":false,"phishingResistant":false,"findings":["adminWithoutPhishingResistant"]}`
	if string(b) != want {
		t.Errorf("row JSON:\n got %s\nwant %s", b, want)
	}
}

func TestNormalizeUserType(t *testing.T) {
	for in, want := range map[string]string{"Member": "member", "member": "member", "": "member", "Guest": "guest", "guest": "guest", "unknownFutureValue": "unknownfuturevalue"} {
		if got := NormalizeUserType(in); got != want {
			t.Errorf("NormalizeUserType(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFilter(t *testing.T) {
	admin := Row{IsAdmin: true, UserType: "member", AccountEnabled: true}
	guest := Row{UserType: "guest", AccountEnabled: true}
	disabledMember := Row{UserType: "member"}
	tests := []struct {
		filter string
		canon  string
		match  []bool // admin, guest, disabledMember
	}{
		{"", "all", []bool{true, true, true}},
		{"ALL", "all", []bool{true, true, true}},
		{"admins", "admins", []bool{true, false, false}},
		{"guests", "guests", []bool{false, true, false}},
		{"members", "members", []bool{true, false, true}},
		{"enabled", "enabled", []bool{true, true, false}},
		{"enabled, members", "members,enabled", []bool{true, false, false}},
		{"admin,guest", "admins,guests", []bool{false, false, false}},
	}
	for _, tt := range tests {
		f, err := ParseFilter(tt.filter)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", tt.filter, err)
		}
		if f.String() != tt.canon {
			t.Errorf("ParseFilter(%q).String() = %q, want %q", tt.filter, f.String(), tt.canon)
		}
		for i, r := range []Row{admin, guest, disabledMember} {
			if got := f.Match(r); got != tt.match[i] {
				t.Errorf("filter %q row %d: Match = %v, want %v", tt.filter, i, got, tt.match[i])
			}
		}
		again, err := ParseFilter(f.String())
		if err != nil || again != f {
			t.Errorf("ParseFilter(String()) of %q = %v, %v", tt.filter, again, err)
		}
	}
	for _, bad := range []string{"admins,bogus", "guests,members", "disabled"} {
		if _, err := ParseFilter(bad); err == nil {
			t.Errorf("ParseFilter(%q): want error", bad)
		}
	}
}
