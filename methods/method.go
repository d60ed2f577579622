// Package methods is mfactl's own model of Entra ID authentication methods:
// the method kinds, the fixed phone method ids, the strength classes used by
// reports, phone-number rules, OATH arithmetic and the emulated verification
// engine. It never does HTTP: graph/ converts Microsoft Graph SDK models into
// these types, and mock/ renders them back onto the wire.
package methods

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind names an authentication method type. The values are the stable
// identifiers mfactl prints (JSON "type" field) and accepts on the command line.
type Kind string

// The method kinds Microsoft Graph exposes under /users/{id}/authentication.
const (
	KindPassword           Kind = "password"
	KindPhone              Kind = "phone"
	KindEmail              Kind = "email"
	KindFido2              Kind = "fido2"
	KindAuthenticator      Kind = "microsoftAuthenticator"
	KindSoftwareOath       Kind = "softwareOath"
	KindHardwareOath       Kind = "hardwareOath"
	KindTemporaryAccess    Kind = "temporaryAccessPass"
	KindWindowsHello       Kind = "windowsHelloForBusiness"
	KindPlatformCredential Kind = "platformCredential"
	KindUnknown            Kind = "unknown"
)

// AllKinds lists every known kind in display order.
var AllKinds = []Kind{
	KindPassword, KindPhone, KindEmail, KindFido2, KindAuthenticator, KindSoftwareOath,
	KindHardwareOath, KindTemporaryAccess, KindWindowsHello, KindPlatformCredential,
}

// odataTypes maps kinds to the exact, case-sensitive @odata.type discriminators.
var odataTypes = map[Kind]string{
	KindPassword:           "#microsoft.graph.passwordAuthenticationMethod",
	KindPhone:              "#microsoft.graph.phoneAuthenticationMethod",
	KindEmail:              "#microsoft.graph.emailAuthenticationMethod",
	KindFido2:              "#microsoft.graph.fido2AuthenticationMethod",
	KindAuthenticator:      "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
	KindSoftwareOath:       "#microsoft.graph.softwareOathAuthenticationMethod",
	KindHardwareOath:       "#microsoft.graph.hardwareOathAuthenticationMethod",
	KindTemporaryAccess:    "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
	KindWindowsHello:       "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
	KindPlatformCredential: "#microsoft.graph.platformCredentialAuthenticationMethod",
}

// ODataType returns the Graph @odata.type discriminator of k.
func (k Kind) ODataType() string { return odataTypes[k] }

// KindFromODataType maps a Graph @odata.type value to a Kind (KindUnknown when
// the value is not one of the discriminators Graph documents).
func KindFromODataType(t string) Kind {
	for k, v := range odataTypes {
		if v == t {
			return k
		}
	}
	return KindUnknown
}

// CollectionSegment is the navigation property under /users/{id}/authentication
// that lists methods of this kind ("phoneMethods", ...).
func (k Kind) CollectionSegment() string {
	switch k {
	case KindAuthenticator:
		return "microsoftAuthenticatorMethods"
	case KindTemporaryAccess:
		return "temporaryAccessPassMethods"
	case KindWindowsHello:
		return "windowsHelloForBusinessMethods"
	case KindUnknown:
		return "methods"
	}
	return string(k) + "Methods"
}

// Label is a short human name for tables and messages.
func (k Kind) Label() string {
	switch k {
	case KindPassword:
		return "Password"
	case KindPhone:
		return "Phone"
	case KindEmail:
		return "Email"
	case KindFido2:
		return "FIDO2 security key"
	case KindAuthenticator:
		return "Microsoft Authenticator"
	case KindSoftwareOath:
		return "Software OATH token"
	case KindHardwareOath:
		return "Hardware OATH token"
	case KindTemporaryAccess:
		return "Temporary Access Pass"
	case KindWindowsHello:
		return "Windows Hello for Business"
	case KindPlatformCredential:
		return "Platform credential"
	}
	return "Unknown method"
}

// ParseKind accepts a kind name as printed by mfactl, case-insensitively, plus
// a few common aliases.
func ParseKind(s string) (Kind, error) {
	key := strings.ToLower(strings.TrimSpace(s))
	for _, k := range AllKinds {
		if strings.ToLower(string(k)) == key {
			return k, nil
		}
	}
	aliases := map[string]Kind{
		"authenticator": KindAuthenticator, "app": KindAuthenticator, "oath": KindSoftwareOath,
		"tap": KindTemporaryAccess, "whfb": KindWindowsHello, "platform": KindPlatformCredential,
		"hardware": KindHardwareOath, "token": KindHardwareOath,
	}
	if k, ok := aliases[key]; ok {
		return k, nil
	}
	names := make([]string, len(AllKinds))
	for i, k := range AllKinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown method type %q (want one of %s)", s, strings.Join(names, ", "))
}

// Class is how strong a method is as a second factor. The order of the
// constants is the order of strength, weakest first.
type Class string

// Strength classes, as used by the coverage report.
const (
	ClassNone              Class = "none"
	ClassPhone             Class = "phone"
	ClassOTP               Class = "otp"
	ClassAuthenticatorApp  Class = "authenticatorApp"
	ClassPhishingResistant Class = "phishingResistant"
)

// Classes lists the classes from strongest to weakest.
var Classes = []Class{ClassPhishingResistant, ClassAuthenticatorApp, ClassOTP, ClassPhone, ClassNone}

// Rank orders classes: a higher rank is a stronger class.
func (c Class) Rank() int {
	return len(Classes) - 1 - slices.Index(Classes, c)
}

// ClassOf returns the strength class of a method kind. Password, email and
// Temporary Access Pass are not second factors and are ClassNone.
func ClassOf(k Kind) Class {
	switch k {
	case KindFido2, KindWindowsHello, KindPlatformCredential:
		return ClassPhishingResistant
	case KindAuthenticator:
		return ClassAuthenticatorApp
	case KindSoftwareOath, KindHardwareOath:
		return ClassOTP
	case KindPhone:
		return ClassPhone
	}
	return ClassNone
}

// IsMFA reports whether a kind counts as a multi-factor method (something a
// user can satisfy an MFA prompt with). Email is SSPR only; a TAP is a
// bootstrap credential; the password is the first factor.
func IsMFA(k Kind) bool { return ClassOf(k) != ClassNone }

// PhoneType is the phoneType of a phone method.
type PhoneType string

// The three phone types Entra knows; each has one fixed method id.
const (
	PhoneMobile          PhoneType = "mobile"
	PhoneAlternateMobile PhoneType = "alternateMobile"
	PhoneOffice          PhoneType = "office"
)

// PhoneTypes lists the phone types in Entra's order.
var PhoneTypes = []PhoneType{PhoneMobile, PhoneAlternateMobile, PhoneOffice}

// Fixed method ids, identical in every tenant.
const (
	MobilePhoneID          = "3179e48a-750b-4051-897c-87b9720928f7"
	AlternateMobilePhoneID = "b6332ec1-7057-4abe-9331-3d72feddfe41"
	OfficePhoneID          = "e37fc753-ff3b-4958-9484-eaa9425c82bc"
	PasswordMethodID       = "28c10230-6103-485e-b985-444c60001490"
	EmailMethodID          = "3ddfcfc8-9383-446f-83cc-3ab9be4be18f"
)

// PhoneMethodID returns the fixed method id of a phone type.
func PhoneMethodID(t PhoneType) string {
	switch t {
	case PhoneMobile:
		return MobilePhoneID
	case PhoneAlternateMobile:
		return AlternateMobilePhoneID
	case PhoneOffice:
		return OfficePhoneID
	}
	return ""
}

// ParsePhoneType accepts mobile, alternateMobile (or alternate) and office,
// case-insensitively.
func ParsePhoneType(s string) (PhoneType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "mobile":
		return PhoneMobile, nil
	case "alternatemobile", "alternate", "alternate-mobile":
		return PhoneAlternateMobile, nil
	case "office":
		return PhoneOffice, nil
	}
	return "", fmt.Errorf("unknown phone type %q (want mobile, alternateMobile or office)", s)
}

// Method is one registered authentication method of a user. Kind-specific
// fields are empty for other kinds; JSON field names are camelCase and stable.
type Method struct {
	ID          string     `json:"id"`
	Kind        Kind       `json:"type"`
	DisplayName string     `json:"displayName,omitempty"`
	Created     *time.Time `json:"createdDateTime,omitempty"`

	// phone
	PhoneNumber    string    `json:"phoneNumber,omitempty"`
	PhoneType      PhoneType `json:"phoneType,omitempty"`
	SMSSignInState string    `json:"smsSignInState,omitempty"`

	// email
	EmailAddress string `json:"emailAddress,omitempty"`

	// microsoftAuthenticator
	DeviceTag       string `json:"deviceTag,omitempty"`
	PhoneAppVersion string `json:"phoneAppVersion,omitempty"`

	// fido2
	AAGUID           string `json:"aaGuid,omitempty"`
	Model            string `json:"model,omitempty"`
	AttestationLevel string `json:"attestationLevel,omitempty"`

	// windowsHelloForBusiness, platformCredential
	KeyStrength string `json:"keyStrength,omitempty"`
	Platform    string `json:"platform,omitempty"`

	// temporaryAccessPass. Pass is the clear-text pass: Graph returns it
	// only in the create response, so it is empty everywhere else.
	Pass                  string     `json:"temporaryAccessPass,omitempty"`
	StartDateTime         *time.Time `json:"startDateTime,omitempty"`
	LifetimeInMinutes     int        `json:"lifetimeInMinutes,omitempty"`
	IsUsableOnce          *bool      `json:"isUsableOnce,omitempty"`
	IsUsable              *bool      `json:"isUsable,omitempty"`
	MethodUsabilityReason string     `json:"methodUsabilityReason,omitempty"`

	// hardwareOath: the token this method is bound to.
	Token *HardwareToken `json:"device,omitempty"`
}

// Class returns the strength class of the method.
func (m Method) Class() Class { return ClassOf(m.Kind) }

// IsMFA reports whether the method counts as a second factor.
func (m Method) IsMFA() bool { return IsMFA(m.Kind) }

// Describe is a one-line human description: the phone number, the device
// name, the email address, ...
func (m Method) Describe() string {
	switch m.Kind {
	case KindPhone:
		return strings.TrimSpace(string(m.PhoneType) + " " + m.PhoneNumber)
	case KindEmail:
		return m.EmailAddress
	case KindTemporaryAccess:
		var parts []string
		if m.LifetimeInMinutes > 0 {
			parts = append(parts, "lifetime "+FormatMinutes(m.LifetimeInMinutes))
		}
		if m.IsUsableOnce != nil && *m.IsUsableOnce {
			parts = append(parts, "one-time")
		}
		if m.MethodUsabilityReason != "" {
			parts = append(parts, m.MethodUsabilityReason)
		}
		return strings.Join(parts, ", ")
	case KindHardwareOath:
		if m.Token != nil {
			return strings.TrimSpace(m.Token.SerialNumber + " " + m.Token.Manufacturer + " " + m.Token.Model)
		}
	case KindFido2:
		return strings.TrimSpace(m.DisplayName + " " + m.Model)
	}
	return m.DisplayName
}

// HardwareTokenStatus is the lifecycle status of a hardware OATH token.
type HardwareTokenStatus string

// Token statuses: available -> assigned -> activated | failedActivation.
const (
	TokenAvailable        HardwareTokenStatus = "available"
	TokenAssigned         HardwareTokenStatus = "assigned"
	TokenActivated        HardwareTokenStatus = "activated"
	TokenFailedActivation HardwareTokenStatus = "failedActivation"
)

// TokenStatuses lists every status in lifecycle order.
var TokenStatuses = []HardwareTokenStatus{TokenAvailable, TokenAssigned, TokenActivated, TokenFailedActivation}

// ParseTokenStatus validates a status name.
func ParseTokenStatus(s string) (HardwareTokenStatus, error) {
	for _, st := range TokenStatuses {
		if strings.EqualFold(string(st), s) {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown token status %q (want available, assigned, activated or failedActivation)", s)
}

// Identity is a reference to a directory object (Graph's identity type).
type Identity struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName,omitempty"`
}

// HardwareToken is a hardware OATH token in the tenant's inventory
// (hardwareOathTokenAuthenticationMethodDevice). The secret is write-only in
// Graph and therefore never part of this type.
type HardwareToken struct {
	ID                    string              `json:"id"`
	DisplayName           string              `json:"displayName,omitempty"`
	SerialNumber          string              `json:"serialNumber"`
	Manufacturer          string              `json:"manufacturer,omitempty"`
	Model                 string              `json:"model,omitempty"`
	TimeIntervalInSeconds int                 `json:"timeIntervalInSeconds,omitempty"`
	HashFunction          string              `json:"hashFunction,omitempty"`
	Status                HardwareTokenStatus `json:"status,omitempty"`
	AssignedTo            *Identity           `json:"assignedTo,omitempty"`
	LastUsed              *time.Time          `json:"lastUsedDateTime,omitempty"`
}

// User is the subset of a directory user mfactl works with.
type User struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName,omitempty"`
	Mail              string `json:"mail,omitempty"`
	JobTitle          string `json:"jobTitle,omitempty"`
	// UserType and AccountEnabled are only returned by Graph when selected.
	UserType       string `json:"userType,omitempty"`
	AccountEnabled *bool  `json:"accountEnabled,omitempty"`
}

// IsGuest reports whether the user is a B2B guest.
func (u User) IsGuest() bool { return strings.EqualFold(u.UserType, "Guest") }

// SortMethods orders methods for display: by kind (AllKinds order), then by
// phone type order, then by display name and id, so output is deterministic.
func SortMethods(ms []Method) {
	kindIndex := func(k Kind) int {
		if i := slices.Index(AllKinds, k); i >= 0 {
			return i
		}
		return len(AllKinds)
	}
	slices.SortStableFunc(ms, func(a, b Method) int {
		if d := kindIndex(a.Kind) - kindIndex(b.Kind); d != 0 {
			return d
		}
		if d := slices.Index(PhoneTypes, a.PhoneType) - slices.Index(PhoneTypes, b.PhoneType); d != 0 {
			return d
		}
		if c := strings.Compare(a.DisplayName, b.DisplayName); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// FormatMinutes writes a lifetime the way people say it: 45m, 2h, 1h30m,
// 3d, 1d12h.
func FormatMinutes(n int) string {
	if n <= 0 {
		return "0m"
	}
	days, hours, mins := n/(24*60), n/60%24, n%60
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if hours > 0 {
		fmt.Fprintf(&b, "%dh", hours)
	}
	if mins > 0 {
		fmt.Fprintf(&b, "%dm", mins)
	}
	return b.String()
}

// Usable reports whether the method can satisfy a sign-in now. This is
// mfactl's one definition of a usable method, shared by `user show`, the
// reset planner, verify's menu and every report source: a hardware OATH
// token counts once it is activated (one assigned but not activated, or
// whose activation failed, shows no code Entra accepts; a method read
// without its device is taken as activated), a Temporary Access Pass while
// Graph says it is usable (isUsable; a pass read without it, as in a create
// response, is taken as usable). Every other registered method is usable.
func (m Method) Usable() bool {
	switch m.Kind {
	case KindHardwareOath:
		return m.Token == nil || m.Token.Status == "" || m.Token.Status == TokenActivated
	case KindTemporaryAccess:
		return m.IsUsable == nil || *m.IsUsable
	}
	return true
}

// IsUsableMFA reports whether the method is a second factor that can be
// used now: what "has an MFA method" means everywhere.
func (m Method) IsUsableMFA() bool { return m.IsMFA() && m.Usable() }

// UsableMethods is the usable subset of ms, in order.
func UsableMethods(ms []Method) []Method {
	out := make([]Method, 0, len(ms))
	for _, m := range ms {
		if m.Usable() {
			out = append(out, m)
		}
	}
	return out
}

// Unusable says why a method cannot be used now ("" when it can).
func (m Method) Unusable() string {
	if m.Usable() {
		return ""
	}
	switch m.Kind {
	case KindHardwareOath:
		switch m.Token.Status {
		case TokenFailedActivation:
			return "activation failed, not usable"
		case TokenAssigned:
			return "not activated yet"
		}
		return "token " + string(m.Token.Status) + ", not usable"
	case KindTemporaryAccess:
		if m.MethodUsabilityReason != "" {
			return "not usable: " + m.MethodUsabilityReason
		}
		return "not usable"
	}
	return ""
}
