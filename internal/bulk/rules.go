package bulk

import (
	"fmt"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
)

// Rule codes: Entra's codes (package entra, whose rule table documents
// each rule, and which the mock enforces). The planner checks the same
// rules before anything is sent, one function per rule, through entra's
// checks where the rule is a state check, and refuses a row with the code
// the service would answer.
const (
	CodePhoneTypeExists        = string(entra.CodePhoneTypeExists)
	CodeMobileRequired         = string(entra.CodeMobileRequired)
	CodeSMSSignInNotSupported  = string(entra.CodeSMSSignInNotSupported)
	CodeEmailExists            = string(entra.CodeEmailExists)
	CodeDefaultMethodInUse     = string(entra.CodeDefaultMethodInUse)
	CodePreferredNotRegistered = string(entra.CodePreferredNotRegistered)
	CodeTAPLifetime            = string(entra.CodeTAPLifetime)
	CodeTAPOneTimeOnly         = string(entra.CodeTAPOneTimeOnly)
	CodeTAPDisabled            = string(entra.CodeTAPDisabled)
)

// RuleCodes lists the codes above (a test holds them to the mock's table).
var RuleCodes = []string{CodePhoneTypeExists, CodeMobileRequired, CodeSMSSignInNotSupported, CodeEmailExists,
	CodeDefaultMethodInUse, CodePreferredNotRegistered, CodeTAPLifetime, CodeTAPOneTimeOnly, CodeTAPDisabled}

// RuleError is an operation that breaks a rule.
type RuleError struct {
	Code string
	Msg  string
}

func (e *RuleError) Error() string { return e.Msg + " (" + e.Code + ")" }

func ruleErr(code, format string, args ...any) *RuleError {
	return &RuleError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

func phoneOf(ms []methods.Method, t methods.PhoneType) (methods.Method, bool) {
	for _, m := range ms {
		if m.Kind == methods.KindPhone && m.PhoneType == t {
			return m, true
		}
	}
	return methods.Method{}, false
}

// RulePhoneTypeUnique: a user has at most one phone of each type
// (phoneAuthenticationMethod: "phoneType ... a user may have one of each").
func RulePhoneTypeUnique(ms []methods.Method, t methods.PhoneType) error {
	if entra.PhonesOf(ms).Has(t) {
		return ruleErr(CodePhoneTypeExists, "the user already has a %s phone", t)
	}
	return nil
}

// RuleMobileRequired: an alternateMobile phone needs a mobile phone, so
// the mobile is added first and deleted last. ms is the methods after the
// operation.
func RuleMobileRequired(ms []methods.Method) error {
	// The state entra.CheckPhoneAdd and entra.CheckPhoneDelete keep: no
	// alternateMobile without a mobile.
	if have := entra.PhonesOf(ms); have.AlternateMobile && !have.Mobile {
		return ruleErr(CodeMobileRequired, "an alternateMobile phone needs a mobile phone (remove the alternateMobile too, or keep the mobile)")
	}
	return nil
}

// RuleSMSSignInNeedsMobile: only the mobile phone can be used for SMS
// sign-in.
func RuleSMSSignInNeedsMobile(ms []methods.Method) error {
	if !entra.PhonesOf(ms).Mobile {
		return ruleErr(CodeSMSSignInNotSupported, "SMS sign-in needs a mobile phone, and the user has none (set the mobile column)")
	}
	return nil
}

// RuleOneEmail: a user has at most one email method.
func RuleOneEmail(ms []methods.Method) error {
	for _, m := range ms {
		if m.Kind == methods.KindEmail {
			return ruleErr(CodeEmailExists, "the user already has an email method")
		}
	}
	return nil
}

// RulePreferredRegistered: the default method must be one the user has
// registered (methods.DefaultMethod.SupportedBy, as the mock checks it).
func RulePreferredRegistered(d methods.DefaultMethod, ms []methods.Method) error {
	if !d.SupportedBy(ms) {
		return ruleErr(CodePreferredNotRegistered, "default %s needs %s, which the user will not have", d, d.Requirement())
	}
	return nil
}

// RuleDefaultDeletion: the method that delivers the user's default cannot
// be deleted while other methods that could be the default remain (set a
// new default first). It reports whether the deletion leaves the default
// without a method, which Entra then clears.
func RuleDefaultDeletion(preferred methods.DefaultMethod, all []methods.Method, victim methods.Method) (clears bool, err error) {
	var rest []methods.Method
	for _, m := range all {
		if m.ID != victim.ID {
			rest = append(rest, m)
		}
	}
	clears, code := entra.CheckDefaultDeletion(entra.DefaultDeletion{Preferred: preferred, Victim: victim, Rest: rest})
	if code == "" {
		return clears, nil
	}
	for _, d := range methods.DefaultMethods {
		if d.SupportedBy(rest) {
			return false, ruleErr(string(code), "%s delivers the default method (%s) and the user has others: set the default column (to %s, say) so the default changes first", describe(victim), preferred, d)
		}
	}
	return false, ruleErr(string(code), "%s delivers the default method (%s): set the default column so the default changes first", describe(victim), preferred)
}

func describe(m methods.Method) string {
	if m.Kind == methods.KindPhone {
		return "the " + string(m.PhoneType) + " phone"
	}
	return m.Kind.Label() + " method " + m.ID
}
