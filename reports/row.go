package reports

import (
	"strings"

	"github.com/mfactl/mfactl/methods"
)

// The sources a row can be computed from.
const (
	// SourceRegistration is GET /reports/authenticationMethods/userRegistrationDetails.
	SourceRegistration = "registration"
	// SourceMethods is the user list plus each user's
	// /authentication/methods (through $batch).
	SourceMethods = "methods"
)

// UserInput is what a fetcher produces for one user, whichever source it read.
type UserInput struct {
	// User carries id, UPN, display name, UserType ("Member"/"Guest" from
	// /users or "member"/"guest" from the registration report) and
	// AccountEnabled (nil is reported as enabled).
	User methods.User
	// IsAdmin: the user holds a directory role (userRegistrationDetails.isAdmin
	// or, on the methods path, directory role membership).
	IsAdmin bool
	// Methods is every registered method, password included or not; several
	// methods of one name (two Authenticator devices) count once.
	Methods []methods.Method
	// Default is the user-preferred secondary method, "" when unset.
	Default methods.DefaultMethod
	// Source is SourceRegistration or SourceMethods; it goes to the summary's
	// Sources, never into the row, so both sources give identical rows.
	Source string
}

// FindingID names a finding. User findings are listed in each row's findings
// column; token findings come from the token inventory.
type FindingID string

// The findings, in report order.
const (
	FindingNoMFA                 FindingID = "noMfaMethod"
	FindingSingleMFA             FindingID = "singleMfaMethod"
	FindingSMSVoiceOnly          FindingID = "smsVoiceOnly"
	FindingAdminNoPhishResistant FindingID = "adminWithoutPhishingResistant"
	FindingDisabledWithMethods   FindingID = "disabledWithMethods"
	FindingTemporaryAccessPass   FindingID = "temporaryAccessPass"
	FindingTokenUnassigned       FindingID = "tokenUnassigned"
	FindingTokenNotActivated     FindingID = "tokenNotActivated"
)

const (
	// userFindingCount is the number of findings computed from rows: the
	// first entries of FindingIDs.
	userFindingCount = 6
	// maxNames bounds len(MethodNames): the size of the dedupe bit sets.
	maxNames       = 16
	userTypeMember = "member"
	userTypeGuest  = "guest"
)

// FindingIDs lists every finding in report order.
var FindingIDs = []FindingID{
	FindingNoMFA, FindingSingleMFA, FindingSMSVoiceOnly, FindingAdminNoPhishResistant,
	FindingDisabledWithMethods, FindingTemporaryAccessPass, FindingTokenUnassigned, FindingTokenNotActivated,
}

// Title is the one-line description of a finding.
func (f FindingID) Title() string {
	switch f {
	case FindingNoMFA:
		return "No MFA method (email and Temporary Access Pass do not count)"
	case FindingSingleMFA:
		return "Single MFA method: no backup (two are recommended)"
	case FindingSMSVoiceOnly:
		return "SMS/voice only (Microsoft-provided SMS and voice are being retired)"
	case FindingAdminNoPhishResistant:
		return "Admins without a phishing-resistant method"
	case FindingDisabledWithMethods:
		return "Disabled users still holding methods"
	case FindingTemporaryAccessPass:
		return "Users holding a Temporary Access Pass"
	case FindingTokenUnassigned:
		return "Hardware tokens not assigned to anyone"
	case FindingTokenNotActivated:
		return "Hardware tokens assigned but not activated"
	}
	return string(f)
}

// Label is a short name of a finding, for charts.
func (f FindingID) Label() string {
	switch f {
	case FindingNoMFA:
		return "No MFA method"
	case FindingSingleMFA:
		return "Single MFA method"
	case FindingSMSVoiceOnly:
		return "SMS/voice only"
	case FindingAdminNoPhishResistant:
		return "Admins not phishing-resistant"
	case FindingDisabledWithMethods:
		return "Disabled, holding methods"
	case FindingTemporaryAccessPass:
		return "Holding a TAP"
	case FindingTokenUnassigned:
		return "Tokens unassigned"
	case FindingTokenNotActivated:
		return "Tokens not activated"
	}
	return string(f)
}

// Row is one user of the coverage report. The JSON field names are stable.
type Row struct {
	ID                string `json:"id"`
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
	// UserType is "member" or "guest" (lower case, as in userRegistrationDetails).
	UserType       string `json:"userType"`
	AccountEnabled bool   `json:"accountEnabled"`
	IsAdmin        bool   `json:"isAdmin"`
	// Methods lists every registered method but the password, each name once,
	// in MethodNames order.
	Methods     []MethodName `json:"methods"`
	MethodCount int          `json:"methodCount"`
	// DefaultMethod is a methods.DefaultMethod value or "".
	DefaultMethod string `json:"defaultMethod"`
	// MFACapable: at least one MFA method (class other than none).
	MFACapable bool `json:"mfaCapable"`
	// MFAMethodCount is the number of Methods that are MFA methods.
	MFAMethodCount int           `json:"mfaMethodCount"`
	StrongestClass methods.Class `json:"strongestClass"`
	// HasBackup: two or more MFA methods.
	HasBackup bool `json:"hasBackup"`
	// SMSVoiceOnly: at least one MFA method and every MFA method a phone.
	SMSVoiceOnly bool `json:"smsVoiceOnly"`
	// PhishingResistant: the strongest class is phishingResistant.
	PhishingResistant bool `json:"phishingResistant"`
	// Findings lists the user findings that apply, in FindingIDs order, so
	// the complete user list of every finding can be recovered from the rows.
	Findings []FindingID `json:"findings"`
}

// Compute derives a coverage row from one user's input. It is a pure function
// of the user, IsAdmin, the set of method names and the default: the same
// user gives the same row from either source.
func Compute(in UserInput) Row {
	var seen [maxNames]bool
	for _, m := range in.Methods {
		if n, ok := NameOf(m); ok {
			seen[nameIndex(n)] = true
		}
	}
	r := Row{
		ID:                in.User.ID,
		UserPrincipalName: in.User.UserPrincipalName,
		DisplayName:       in.User.DisplayName,
		UserType:          NormalizeUserType(in.User.UserType),
		AccountEnabled:    in.User.AccountEnabled == nil || *in.User.AccountEnabled,
		IsAdmin:           in.IsAdmin,
		DefaultMethod:     string(in.Default),
		StrongestClass:    methods.ClassNone,
	}
	count := 0
	for i := range MethodNames {
		if seen[i] {
			count++
		}
	}
	r.Methods = make([]MethodName, 0, count)
	phones := 0
	for i, n := range MethodNames {
		if !seen[i] {
			continue
		}
		r.Methods = append(r.Methods, n)
		c := n.Class()
		if c == methods.ClassNone {
			continue
		}
		r.MFAMethodCount++
		if n.IsPhone() {
			phones++
		}
		if c.Rank() > r.StrongestClass.Rank() {
			r.StrongestClass = c
		}
	}
	r.MethodCount = len(r.Methods)
	r.MFACapable = r.MFAMethodCount > 0
	r.HasBackup = r.MFAMethodCount >= 2
	r.SMSVoiceOnly = r.MFACapable && phones == r.MFAMethodCount
	r.PhishingResistant = r.StrongestClass == methods.ClassPhishingResistant
	r.Findings = rowFindings(r, seen[nameIndex(NameTemporaryAccessPass)])
	return r
}

// rowFindings lists the user findings of a computed row.
func rowFindings(r Row, hasTAP bool) []FindingID {
	applies := [userFindingCount]bool{
		!r.MFACapable,
		r.MFACapable && !r.HasBackup,
		r.SMSVoiceOnly,
		r.IsAdmin && !r.PhishingResistant,
		!r.AccountEnabled && r.MethodCount > 0,
		hasTAP,
	}
	n := 0
	for _, a := range applies {
		if a {
			n++
		}
	}
	out := make([]FindingID, 0, n)
	for i, a := range applies {
		if a {
			out = append(out, FindingIDs[i])
		}
	}
	return out
}

// Has reports whether the row lists finding f.
func (r Row) Has(f FindingID) bool {
	for _, g := range r.Findings {
		if g == f {
			return true
		}
	}
	return false
}

// NormalizeUserType maps Graph's user types to the row vocabulary: "Member"
// (users) and "member" (registration report) become "member", likewise for
// guests; an unset type is a member (Graph leaves it null on some old
// accounts); any other value is lower-cased.
func NormalizeUserType(t string) string {
	switch strings.ToLower(strings.TrimSpace(t)) {
	case "", userTypeMember:
		return userTypeMember
	case userTypeGuest:
		return userTypeGuest
	}
	return strings.ToLower(strings.TrimSpace(t))
}
