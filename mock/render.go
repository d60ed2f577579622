package mock

import (
	"strings"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// userDefaultProperties is Graph's default property set for users; other
// properties (accountEnabled, userType, ...) come back only when selected.
var userDefaultProperties = []string{
	"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
	"officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id",
}

// userProperties are all the properties the mock can return for a user.
var userProperties = map[string]func(u *userRecord) any{
	"id":                              func(u *userRecord) any { return u.ID },
	"userPrincipalName":               func(u *userRecord) any { return u.UPN },
	"displayName":                     func(u *userRecord) any { return u.DisplayName },
	"givenName":                       func(u *userRecord) any { return nullable(u.GivenName) },
	"surname":                         func(u *userRecord) any { return nullable(u.Surname) },
	"mail":                            func(u *userRecord) any { return nullable(u.Mail) },
	"jobTitle":                        func(u *userRecord) any { return nullable(u.JobTitle) },
	"mobilePhone":                     func(u *userRecord) any { return nullable(u.MobilePhone) },
	"officeLocation":                  func(u *userRecord) any { return nullable(u.OfficeLocation) },
	"preferredLanguage":               func(u *userRecord) any { return "en-US" },
	"businessPhones":                  func(u *userRecord) any { return []string{} },
	"userType":                        func(u *userRecord) any { return u.UserType },
	"accountEnabled":                  func(u *userRecord) any { return u.AccountEnabled },
	"createdDateTime":                 func(u *userRecord) any { return u.Created.UTC().Format(time.RFC3339) },
	"signInSessionsValidFromDateTime": func(u *userRecord) any { return u.SessionsValidFrom.UTC().Format(time.RFC3339) },
}

// lookupUserProperty finds a property name case-insensitively, as Graph does.
func lookupUserProperty(name string) (string, bool) {
	for k := range userProperties {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// renderUser returns the user with the selected properties (or the default set).
func renderUser(u *userRecord, sel []string) map[string]any {
	if len(sel) == 0 {
		sel = userDefaultProperties
	}
	out := make(map[string]any, len(sel))
	for _, p := range sel {
		out[p] = userProperties[p](u)
	}
	return out
}

// renderMethod returns a method's Graph JSON with its @odata.type. Phone
// numbers are masked for callers who may only read them masked.
func renderMethod(m *methodRecord, maskPhone bool) map[string]any {
	out := map[string]any{"@odata.type": m.Kind.ODataType(), "id": m.ID}
	created := func() {
		if m.Created != nil {
			out["createdDateTime"] = m.Created.UTC().Format(time.RFC3339)
		} else {
			out["createdDateTime"] = nil
		}
	}
	switch m.Kind {
	case methods.KindPhone:
		num := m.PhoneNumber
		if maskPhone {
			num = maskPhoneNumber(num)
		}
		out["phoneNumber"] = num
		out["phoneType"] = string(m.PhoneType)
		state := m.SMSSignInState
		if state == "" {
			state = "notConfigured"
		}
		out["smsSignInState"] = state
	case methods.KindEmail:
		out["emailAddress"] = m.EmailAddress
	case methods.KindFido2:
		out["displayName"] = m.DisplayName
		created()
		out["aaGuid"] = m.AAGUID
		out["model"] = m.Model
		out["attestationCertificates"] = []string{}
		out["attestationLevel"] = nonEmpty(m.AttestationLevel, "attested")
	case methods.KindAuthenticator:
		out["displayName"] = m.DisplayName
		out["deviceTag"] = m.DeviceTag
		out["phoneAppVersion"] = m.PhoneAppVersion
		created()
	case methods.KindSoftwareOath:
		// Graph never returns the secret.
		out["secretKey"] = nil
	case methods.KindTemporaryAccess:
		created()
		// The clear-text pass only appears in the create response.
		out["temporaryAccessPass"] = nil
		if m.StartDateTime != nil {
			out["startDateTime"] = m.StartDateTime.UTC().Format(time.RFC3339)
		}
		out["lifetimeInMinutes"] = m.LifetimeInMinutes
		out["isUsableOnce"] = m.IsUsableOnce != nil && *m.IsUsableOnce
		out["isUsable"] = m.IsUsable != nil && *m.IsUsable
		out["methodUsabilityReason"] = m.MethodUsabilityReason
	case methods.KindWindowsHello, methods.KindPlatformCredential:
		out["displayName"] = m.DisplayName
		created()
		out["keyStrength"] = nonEmpty(m.KeyStrength, "normal")
		if m.Kind == methods.KindPlatformCredential {
			out["platform"] = nonEmpty(m.Platform, "macOS")
		}
	case methods.KindPassword:
		out["password"] = nil
		created()
	case methods.KindHardwareOath:
		out["displayName"] = m.DisplayName
		created()
		if m.Token != nil {
			out["device"] = renderToken(&tokenRecord{HardwareToken: *m.Token})
		}
	}
	return out
}

// renderToken returns a hardware OATH token device; secretKey is always null.
func renderToken(t *tokenRecord) map[string]any {
	out := map[string]any{
		"@odata.type":           "#microsoft.graph.hardwareOathTokenAuthenticationMethodDevice",
		"id":                    t.ID,
		"displayName":           nullable(t.DisplayName),
		"serialNumber":          t.SerialNumber,
		"manufacturer":          t.Manufacturer,
		"model":                 t.Model,
		"secretKey":             nil,
		"timeIntervalInSeconds": t.TimeIntervalInSeconds,
		"hashFunction":          nonEmpty(t.HashFunction, "hmacsha1"),
		"status":                string(t.Status),
		"assignedTo":            nil,
		"lastUsedDateTime":      nil,
	}
	if t.AssignedTo != nil {
		out["assignedTo"] = map[string]any{"id": t.AssignedTo.ID, "displayName": t.AssignedTo.DisplayName}
	}
	if t.LastUsed != nil {
		out["lastUsedDateTime"] = t.LastUsed.UTC().Format(time.RFC3339)
	}
	return out
}

// maskPhoneNumber hides all but the country code and the last two digits,
// the way Graph shows numbers to readers without the privileged role.
func maskPhoneNumber(n string) string {
	cc, rest, ok := strings.Cut(n, " ")
	if !ok {
		return "XXXXXXXX"
	}
	digits := []rune(rest)
	for i := range digits {
		if i < len(digits)-2 && digits[i] != 'x' {
			digits[i] = 'X'
		}
	}
	return cc + " " + string(digits)
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
