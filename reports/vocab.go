package reports

import (
	"slices"
	"strings"

	"github.com/mfactl/mfactl/methods"
)

// MethodName is one entry of a coverage row's methods column: the canonical
// vocabulary that both sources map into. Phones are split by phone type
// because each type is a separate method (one fixed id per type) and the
// registration report names them separately; every other name is the
// methods.Kind the method has in /users/{id}/authentication/methods.
type MethodName string

// The canonical method names, in display order (methods.AllKinds order,
// phones by phone type).
const (
	NameMobilePhone          MethodName = "mobilePhone"
	NameAlternateMobilePhone MethodName = "alternateMobilePhone"
	NameOfficePhone          MethodName = "officePhone"
	NamePhone                MethodName = "phone" // a phone method whose phoneType is missing or unknown
	NameEmail                MethodName = "email"
	NameFido2                MethodName = "fido2"
	NameAuthenticator        MethodName = "microsoftAuthenticator"
	NameSoftwareOath         MethodName = "softwareOath"
	NameHardwareOath         MethodName = "hardwareOath"
	NameTemporaryAccessPass  MethodName = "temporaryAccessPass"
	NameWindowsHello         MethodName = "windowsHelloForBusiness"
	NamePlatformCredential   MethodName = "platformCredential"
	NameUnknown              MethodName = "unknown" // a method type mfactl does not know yet
)

// MethodNames lists every name a row can carry, in display order. Rows list
// their methods in this order, so output is deterministic.
var MethodNames = []MethodName{
	NameMobilePhone, NameAlternateMobilePhone, NameOfficePhone, NamePhone, NameEmail,
	NameFido2, NameAuthenticator, NameSoftwareOath, NameHardwareOath, NameTemporaryAccessPass,
	NameWindowsHello, NamePlatformCredential, NameUnknown,
}

// nameIndex is the position of a name in MethodNames; rows dedupe their
// methods with a bit set indexed by it.
func nameIndex(n MethodName) int { return slices.Index(MethodNames, n) }

// Kind returns the method kind a name stands for.
func (n MethodName) Kind() methods.Kind {
	switch n {
	case NameMobilePhone, NameAlternateMobilePhone, NameOfficePhone, NamePhone:
		return methods.KindPhone
	case NameEmail:
		return methods.KindEmail
	case NameFido2:
		return methods.KindFido2
	case NameAuthenticator:
		return methods.KindAuthenticator
	case NameSoftwareOath:
		return methods.KindSoftwareOath
	case NameHardwareOath:
		return methods.KindHardwareOath
	case NameTemporaryAccessPass:
		return methods.KindTemporaryAccess
	case NameWindowsHello:
		return methods.KindWindowsHello
	case NamePlatformCredential:
		return methods.KindPlatformCredential
	}
	return methods.KindUnknown
}

// Class returns the strength class of the named method (methods.ClassOf).
func (n MethodName) Class() methods.Class { return methods.ClassOf(n.Kind()) }

// IsPhone reports whether the name is one of the phone methods (SMS/voice).
func (n MethodName) IsPhone() bool { return n.Kind() == methods.KindPhone }

// Label is a short human name for tables and charts.
func (n MethodName) Label() string {
	switch n {
	case NameMobilePhone:
		return "Mobile phone"
	case NameAlternateMobilePhone:
		return "Alternate mobile phone"
	case NameOfficePhone:
		return "Office phone"
	case NamePhone:
		return "Phone (type unknown)"
	}
	return n.Kind().Label()
}

// NameOf returns the canonical name of a registered method, and false for the
// password, which is the first factor and never part of a row.
func NameOf(m methods.Method) (MethodName, bool) {
	switch m.Kind {
	case methods.KindPassword:
		return "", false
	case methods.KindPhone:
		switch m.PhoneType {
		case methods.PhoneMobile:
			return NameMobilePhone, true
		case methods.PhoneAlternateMobile:
			return NameAlternateMobilePhone, true
		case methods.PhoneOffice:
			return NameOfficePhone, true
		}
		return NamePhone, true
	case methods.KindEmail:
		return NameEmail, true
	case methods.KindFido2:
		return NameFido2, true
	case methods.KindAuthenticator:
		return NameAuthenticator, true
	case methods.KindSoftwareOath:
		return NameSoftwareOath, true
	case methods.KindHardwareOath:
		return NameHardwareOath, true
	case methods.KindTemporaryAccess:
		return NameTemporaryAccessPass, true
	case methods.KindWindowsHello:
		return NameWindowsHello, true
	case methods.KindPlatformCredential:
		return NamePlatformCredential, true
	}
	return NameUnknown, true
}

// registrationNames maps the lower-cased methodsRegistered values of
// userRegistrationDetails to the canonical names. Several registration values
// name what the methods API lists as one method type: a device-bound or
// synced passkey is a fido2 method (passkeys in Microsoft Authenticator and
// Windows Hello are listed under fido2Methods), Authenticator push and
// passwordless are one microsoftAuthenticator method, and the macOS secure
// enclave key is the platform credential of Platform SSO.
var registrationNames = map[string]MethodName{
	"mobilephone":                        NameMobilePhone,
	"alternatemobilephone":               NameAlternateMobilePhone,
	"officephone":                        NameOfficePhone,
	"email":                              NameEmail,
	"fido2":                              NameFido2,
	"fido2securitykey":                   NameFido2,
	"passkeydevicebound":                 NameFido2,
	"passkeydeviceboundauthenticator":    NameFido2,
	"passkeydeviceboundwindowshello":     NameFido2,
	"passkeysynced":                      NameFido2,
	"microsoftauthenticatorpush":         NameAuthenticator,
	"microsoftauthenticatorpasswordless": NameAuthenticator,
	"softwareonetimepasscode":            NameSoftwareOath,
	"hardwareonetimepasscode":            NameHardwareOath,
	"temporaryaccesspass":                NameTemporaryAccessPass,
	"windowshelloforbusiness":            NameWindowsHello,
	"macossecureenclavekey":              NamePlatformCredential,
	"platformcredential":                 NamePlatformCredential,
}

// registrationIgnored are methodsRegistered values that are not listed by the
// methods API and are not second factors: the password (first factor),
// security questions and app passwords (neither is exposed under
// /authentication/methods, so counting them would make the two sources
// disagree), and "none".
var registrationIgnored = map[string]bool{
	"password": true, "securityquestion": true, "apppassword": true, "none": true, "": true,
}

// registrationValue is the methodsRegistered value RegistrationNames emits for
// each canonical name (the inverse of registrationNames).
var registrationValue = map[MethodName]string{
	NameMobilePhone:          "mobilePhone",
	NameAlternateMobilePhone: "alternateMobilePhone",
	NameOfficePhone:          "officePhone",
	NameEmail:                "email",
	NameFido2:                "fido2",
	NameAuthenticator:        "microsoftAuthenticatorPush",
	NameSoftwareOath:         "softwareOneTimePasscode",
	NameHardwareOath:         "hardwareOneTimePasscode",
	NameTemporaryAccessPass:  "temporaryAccessPass",
	NameWindowsHello:         "windowsHelloForBusiness",
	NamePlatformCredential:   "macOsSecureEnclaveKey",
}

// RegistrationName maps one methodsRegistered value of userRegistrationDetails
// to its canonical name, case-insensitively. ok is false for values that are
// not methods of a row (password, securityQuestion, appPassword) and for
// values mfactl does not know (known is then false too, so the caller can
// warn about a new value).
func RegistrationName(value string) (name MethodName, ok, known bool) {
	key := strings.ToLower(strings.TrimSpace(value))
	if n, found := registrationNames[key]; found {
		return n, true, true
	}
	if registrationIgnored[key] {
		return "", false, true
	}
	return "", false, false
}

// MethodsFromRegistration builds the method list of a userRegistrationDetails
// row from its methodsRegistered values, so that Compute gives the same row as
// for the user's real method list. Values mfactl does not know become a
// methods.KindUnknown method (named "unknown" in the row, as an unknown
// @odata.type is on the methods path) and are also returned in unknown so the
// fetcher can warn once per value.
func MethodsFromRegistration(registered []string) (ms []methods.Method, unknown []string) {
	ms = make([]methods.Method, 0, len(registered))
	for _, v := range registered {
		n, ok, known := RegistrationName(v)
		switch {
		case ok:
			ms = append(ms, MethodOfName(n))
		case !known:
			ms = append(ms, methods.Method{Kind: methods.KindUnknown, DisplayName: v})
			unknown = append(unknown, v)
		}
	}
	return ms, unknown
}

// MethodOfName returns a minimal method of the named type: the kind, and for
// phones the phone type and its fixed id.
func MethodOfName(n MethodName) methods.Method {
	m := methods.Method{Kind: n.Kind()}
	switch n {
	case NameMobilePhone:
		m.PhoneType = methods.PhoneMobile
	case NameAlternateMobilePhone:
		m.PhoneType = methods.PhoneAlternateMobile
	case NameOfficePhone:
		m.PhoneType = methods.PhoneOffice
	}
	if m.PhoneType != "" {
		m.ID = methods.PhoneMethodID(m.PhoneType)
	}
	return m
}

// RegistrationNames is the inverse mapping: the methodsRegistered values that
// userRegistrationDetails should list for a user holding ms, deduplicated, in
// display order, without the password. A mock that derives registration
// details from stored methods should use it, so both sources agree. Methods of
// unknown kind contribute their DisplayName, when set.
func RegistrationNames(ms []methods.Method) []string {
	var seen [16]bool
	var extra []string
	for _, m := range ms {
		n, ok := NameOf(m)
		if !ok {
			continue
		}
		if n == NameUnknown {
			if m.DisplayName != "" && !slices.Contains(extra, m.DisplayName) {
				extra = append(extra, m.DisplayName)
			}
			continue
		}
		if n == NamePhone {
			// Graph always sets phoneType; a phone without one is
			// reported the way the registration report would name it.
			n = NameMobilePhone
		}
		seen[nameIndex(n)] = true
	}
	out := make([]string, 0, len(ms))
	for i, n := range MethodNames {
		if seen[i] {
			out = append(out, registrationValue[n])
		}
	}
	return append(out, extra...)
}

// DefaultFromRegistration returns a user's default MFA method from a
// userRegistrationDetails row, in the vocabulary of
// signInPreferences.userPreferredMethodForSecondaryAuthentication
// (methods.DefaultMethod), which is what the methods path reads. The v1.0
// field userPreferredMethodForSecondaryAuthentication has that vocabulary and
// wins; otherwise the beta defaultMfaMethod is translated: mobilePhone becomes
// sms (the report cannot tell text from voice on the mobile phone),
// alternateMobilePhone and officePhone become their voice defaults,
// microsoftAuthenticatorPush push and softwareOneTimePasscode oath. "none",
// "", and unknown values give "" (no default).
func DefaultFromRegistration(userPreferred, defaultMfaMethod string) methods.DefaultMethod {
	if d, err := methods.ParseDefaultMethod(userPreferred); err == nil {
		return d
	}
	switch strings.ToLower(strings.TrimSpace(defaultMfaMethod)) {
	case "microsoftauthenticatorpush":
		return methods.DefaultPush
	case "softwareonetimepasscode":
		return methods.DefaultOath
	case "mobilephone":
		return methods.DefaultSMS
	case "alternatemobilephone":
		return methods.DefaultVoiceAlternateMobile
	case "officephone":
		return methods.DefaultVoiceOffice
	}
	return ""
}

// RegistrationDetails is the part of a userRegistrationDetails object the
// coverage report reads, with Graph's JSON field names. The fetcher fills it
// from the SDK model (or decodes it from the wire) and calls Input.
type RegistrationDetails struct {
	ID                string   `json:"id"`
	UserPrincipalName string   `json:"userPrincipalName"`
	UserDisplayName   string   `json:"userDisplayName"`
	UserType          string   `json:"userType"`
	IsAdmin           bool     `json:"isAdmin"`
	MethodsRegistered []string `json:"methodsRegistered"`
	// UserPreferred is userPreferredMethodForSecondaryAuthentication (v1.0).
	UserPreferred string `json:"userPreferredMethodForSecondaryAuthentication"`
	// DefaultMfaMethod is the beta-only defaultMfaMethod, used when
	// UserPreferred is empty.
	DefaultMfaMethod string `json:"defaultMfaMethod"`
}

// Input converts registration details into a coverage input. The report has
// no accountEnabled field, so the caller passes the value it read from /users
// (nil means unknown and is reported as enabled). unknown lists the
// methodsRegistered values mfactl did not recognise.
func (d RegistrationDetails) Input(accountEnabled *bool) (in UserInput, unknown []string) {
	ms, unknown := MethodsFromRegistration(d.MethodsRegistered)
	return UserInput{
		User: methods.User{
			ID:                d.ID,
			UserPrincipalName: d.UserPrincipalName,
			DisplayName:       d.UserDisplayName,
			UserType:          d.UserType,
			AccountEnabled:    accountEnabled,
		},
		IsAdmin: d.IsAdmin,
		Methods: ms,
		Default: DefaultFromRegistration(d.UserPreferred, d.DefaultMfaMethod),
		Source:  SourceRegistration,
	}, unknown
}
