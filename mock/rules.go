package mock

import (
	"net/http"
	"slices"
	"strings"

	"github.com/mfactl/mfactl/methods"
)

// Error codes of Entra's rules. Graph documents the rules but not the codes
// its authentication-methods service answers with (graph-api.md §13), so
// these are the mock's own, one per rule, so that a client can tell the
// rules apart by code (never by message). RuleErrors lists them with their
// status; the CLI maps each to a one-line message with a hint.
const (
	CodeInvalidPhoneNumber     = "invalidPhoneNumber"
	CodePhoneTypeExists        = "phoneTypeAlreadyExists"
	CodeMobileRequired         = "mobilePhoneRequired"
	CodePhoneTypeImmutable     = "phoneTypeCannotBeChanged"
	CodeSMSSignInNotSupported  = "smsSignInNotSupported"
	CodeSMSSignInNotAllowed    = "smsSignInNotAllowedByPolicy"
	CodePhoneNumberNotUnique   = "phoneNumberNotUnique"
	CodeEmailExists            = "emailMethodAlreadyExists"
	CodeInvalidEmail           = "invalidEmailAddress"
	CodeTAPDisabled            = "temporaryAccessPassDisabledByPolicy"
	CodeTAPLifetime            = "temporaryAccessPassLifetimeOutOfRange"
	CodeTAPOneTimeOnly         = "temporaryAccessPassMustBeUsableOnce"
	CodeInvalidStart           = "invalidStartDateTime"
	CodeDefaultMethodInUse     = "defaultMethodInUse"
	CodeMethodLimit            = "authenticationMethodLimitReached"
	CodePreferredNotRegistered = "preferredMethodNotRegistered"
	CodeOwnPasswordReset       = "ownPasswordResetNotAllowed"
	CodePasswordPolicy         = "passwordPolicyViolation"
	CodeAuthorizationDenied    = codeDenied
	codeInvalidValue           = "invalidValue"
	maxOathAndAppMethods       = 5
	startSkewMinutes           = 5
)

// Rule codes of hardware OATH tokens (beta hardwareOathMethods and the
// directory's hardwareOathDevices inventory).
const (
	CodeInvalidSecretKey      = "invalidSecretKey"
	CodeSecretKeyImmutable    = "secretKeyCannotBeChanged"
	CodeSerialNumberExists    = "serialNumberAlreadyExists"
	CodeTokenAlreadyAssigned  = "hardwareOathTokenAlreadyAssigned"
	CodeTokenAssigned         = "hardwareOathTokenIsAssigned"
	CodeTokenGuestNotAllowed  = "hardwareOathTokenGuestNotAllowed"
	CodeTokenStatus           = "invalidHardwareOathTokenStatus"
	CodeInvalidVerification   = "invalidVerificationCode"
	CodeActivationRateLimited = "hardwareOathActivationRateLimitExceeded"
)

// RuleError documents one rule the mock enforces and how it answers when
// the rule is broken.
type RuleError struct {
	Code   string `json:"code"`
	Status int    `json:"status"`
	Rule   string `json:"rule"`
}

// ruleErrors is the one table of rule errors: code, HTTP status, the rule.
var ruleErrors = []RuleError{
	{CodeInvalidPhoneNumber, http.StatusBadRequest, "phoneNumber must be +{country code} {number}, with x{extension} only on office phones"},
	{CodePhoneTypeExists, http.StatusBadRequest, "a user has at most one phone of each type"},
	{CodeMobileRequired, http.StatusBadRequest, "an alternateMobile phone needs a mobile phone (add the mobile first; delete the alternate first)"},
	{CodePhoneTypeImmutable, http.StatusBadRequest, "phoneType cannot change on update: add the new type and delete the old one"},
	{CodeSMSSignInNotSupported, http.StatusBadRequest, "only the mobile phone can be used for SMS sign-in"},
	{CodeSMSSignInNotAllowed, http.StatusBadRequest, "the authentication methods policy does not allow SMS sign-in"},
	{CodePhoneNumberNotUnique, http.StatusBadRequest, "SMS sign-in needs a mobile number no other user in the tenant has"},
	{CodeEmailExists, http.StatusBadRequest, "a user has at most one email method"},
	{CodeInvalidEmail, http.StatusBadRequest, "emailAddress must be a plain address such as kim@contoso.com"},
	{CodeTAPDisabled, http.StatusBadRequest, "the Temporary Access Pass policy is disabled"},
	{CodeTAPLifetime, http.StatusBadRequest, "lifetimeInMinutes must lie within the policy's minimum and maximum"},
	{CodeTAPOneTimeOnly, http.StatusBadRequest, "the policy allows only one-time passes (isUsableOnce)"},
	{CodeInvalidStart, http.StatusBadRequest, "startDateTime must not lie in the past"},
	{CodeDefaultMethodInUse, http.StatusBadRequest, "the user's default method cannot be deleted while the user has other methods"},
	{CodeMethodLimit, http.StatusBadRequest, "a user has at most 5 OATH and authenticator app methods"},
	{CodePreferredNotRegistered, http.StatusBadRequest, "the preferred method must be one the user has registered"},
	{CodeOwnPasswordReset, http.StatusForbidden, "an admin cannot reset their own password through this API"},
	{CodePasswordPolicy, http.StatusBadRequest, "a new password needs 8 to 256 characters from three of: upper case, lower case, digits, symbols"},
	{CodeInvalidSecretKey, http.StatusBadRequest, "secretKey must be base32 (A-Z, 2-7) of 16 to 128 characters, for a 6-digit TOTP token with hmacsha1 or hmacsha256 and 30 or 60 seconds"},
	{CodeSecretKeyImmutable, http.StatusBadRequest, "a token's secretKey cannot be changed: delete the token and create it again"},
	{CodeSerialNumberExists, http.StatusConflict, "a serial number appears once in the tenant's hardware OATH inventory"},
	{CodeTokenAlreadyAssigned, http.StatusBadRequest, "a token is assigned to one user at a time: only an available token can be assigned"},
	{CodeTokenAssigned, http.StatusBadRequest, "a token must be unassigned (available) before it is updated or deleted"},
	{CodeTokenGuestNotAllowed, http.StatusBadRequest, "a hardware token cannot be assigned to a guest user"},
	{CodeTokenStatus, http.StatusBadRequest, "token status moves available -> assigned -> activated | failedActivation; only an assigned or failed token is activated, only an activated one deactivated"},
	{CodeInvalidVerification, http.StatusBadRequest, "the verification code must be the token's current code; a wrong code leaves the token failedActivation"},
	{CodeActivationRateLimited, http.StatusTooManyRequests, "a tenant activates at most 200 hardware tokens per 5 minutes"},
	{CodeAuthorizationDenied, http.StatusForbidden, "the caller's role does not allow the operation (Authentication Administrator cannot act on admins; readers cannot write)"},
}

// RuleErrors lists every rule error the mock answers with.
func RuleErrors() []RuleError { return slices.Clone(ruleErrors) }

// ruleError builds the error of a rule from the table, so status and code
// never disagree with what RuleErrors documents.
func ruleError(code, format string, args ...any) *graphError {
	for _, r := range ruleErrors {
		if r.Code == code {
			return newError(r.Status, code, format, args...)
		}
	}
	panic("mock: rule code " + code + " is not in the rule table")
}

// authAdminManageable are the roles whose holders an Authentication
// Administrator may still manage (Entra's "who can reset passwords" table);
// any other role makes the user an admin only the privileged role manages.
var authAdminManageable = []string{
	RoleAuthAdmin, RoleHelpdeskAdmin, RoleReportsReader,
	"Directory Readers", "Guest Inviter", "Message Center Reader", "Password Administrator", "Usage Summary Reports Reader",
}

// isPrivilegedTarget reports whether only a Privileged Authentication
// Administrator may change the user's methods.
func isPrivilegedTarget(u *userRecord) bool {
	for _, r := range u.Roles {
		if !slices.Contains(authAdminManageable, r) {
			return true
		}
	}
	return false
}

func isSelf(caller *Principal, u *userRecord) bool { return strings.EqualFold(caller.UPN, u.UPN) }

// canWriteMethods: the privileged role (and Global Administrator) on anyone;
// the Authentication Administrator on users without a privileged role;
// anyone on their own methods (self-service, as Graph allows with
// UserAuthenticationMethod.ReadWrite). Readers get 403.
func canWriteMethods(caller *Principal, target *userRecord) error {
	switch {
	case caller.has(RolePrivilegedAuthAdmin, RoleGlobalAdmin):
		return nil
	case isSelf(caller, target):
		return nil
	case caller.has(RoleAuthAdmin) && !isPrivilegedTarget(target):
		return nil
	}
	return errDenied()
}

// canRevokeSessions: revoking sessions is a user-management right; helpdesk
// roles may do it for users they could reset.
func canRevokeSessions(caller *Principal, target *userRecord) error {
	switch {
	case caller.has(RolePrivilegedAuthAdmin, RoleGlobalAdmin, RoleUserAdmin):
		return nil
	case isSelf(caller, target):
		return nil
	case caller.has(RoleHelpdeskAdmin, RoleAuthAdmin) && !isPrivilegedTarget(target):
		return nil
	}
	return errDenied()
}

// canReadMFAState: reading another user's per-user MFA state (beta
// requirements) needs Policy.Read.All and Global Reader or Authentication
// Policy Administrator
// (api-reference/beta/includes/permissions/authentication-get-3-permissions.md,
// api-reference/beta/includes/rbac-for-apis/rbac-authentication-methods-policy-apis-read.md);
// the Authentication Administrator, who reads methods, is refused. Anyone
// reads their own ("Permissions acting on self",
// api-reference/beta/api/authentication-get.md). Global Administrator holds
// every role's rights. The mock's tokens stand for delegated sign-ins
// that carry every scope, so only the role is checked.
func canReadMFAState(caller *Principal, target *userRecord) bool {
	return caller.has(RoleGlobalReader, RoleAuthPolicyAdmin, RoleGlobalAdmin) || isSelf(caller, target)
}

// canSetMFAState: per-user MFA state belongs to the Authentication Policy
// Administrator (beta requirements API).
func canSetMFAState(caller *Principal, target *userRecord) error {
	if caller.has(RoleAuthPolicyAdmin, RoleGlobalAdmin) || isSelf(caller, target) {
		return nil
	}
	return errDenied()
}

// defaultBacking reports whether m is one of the methods that deliver the
// user's default (signInPreferences' preferred method).
func defaultBacking(preferred methods.DefaultMethod, m methods.Method) bool {
	return preferred != "" && preferred.SupportedBy([]methods.Method{m})
}

// canBackDefault reports whether m could serve as some default method.
func canBackDefault(m methods.Method) bool {
	for _, d := range methods.DefaultMethods {
		if d.SupportedBy([]methods.Method{m}) {
			return true
		}
	}
	return false
}

// checkDefaultDeletion enforces "the default method cannot be deleted while
// other methods exist": deleting the last method that backs the preferred
// default is refused while another method that could become the default
// remains. For phones the page says "If the phone number is the user's
// default Azure multi-factor authentication (MFA) authentication method,
// it can't be deleted. Have the user change their default authentication
// method, and then delete the number."
// (api-reference/v1.0/api/phoneauthenticationmethod-delete.md). Its remedy
// presupposes another method the default can move to; with none, there is
// no default to change to, and the docs do not say what Graph does. The
// mock reads the rule as the remedy implies: refused while another method
// could become the default, and otherwise the phone goes and the
// preference is cleared, so a reset that leaves a user without MFA stays
// possible (see docs/mock-fidelity.md). It reports whether the deletion leaves the preference without
// a backing method, so the caller clears it.
func checkDefaultDeletion(u *userRecord, all []methodRecord, victim *methodRecord) (clearPreferred bool, err error) {
	preferred := methods.DefaultMethod(u.PreferredMethod)
	if !defaultBacking(preferred, victim.Method) {
		return false, nil
	}
	var rest []methods.Method
	for _, m := range all {
		if m.ID != victim.ID {
			rest = append(rest, m.Method)
		}
	}
	if preferred.SupportedBy(rest) {
		return false, nil
	}
	for _, m := range rest {
		if canBackDefault(m) {
			return false, ruleError(CodeDefaultMethodInUse,
				"The method '%s' delivers the user's default sign-in method (%s) and cannot be deleted while the user has other methods.",
				victim.ID, preferred)
		}
	}
	return true, nil
}

// checkOathAndAppLimit enforces at most five OATH and authenticator app
// methods per user; creating endpoints of such methods (hardware OATH
// assignment, software OATH provisioning) call it before adding one.
func checkOathAndAppLimit(all []methodRecord) error {
	n := 0
	for _, m := range all {
		switch m.Kind {
		case methods.KindAuthenticator, methods.KindSoftwareOath, methods.KindHardwareOath:
			n++
		}
	}
	if n >= maxOathAndAppMethods {
		return ruleError(CodeMethodLimit, "The user already has %d OATH and authenticator app methods; at most %d are allowed.", n, maxOathAndAppMethods)
	}
	return nil
}

// phoneFormatError turns a phone format problem into Graph's error.
func phoneFormatError(err error) *graphError {
	return ruleError(CodeInvalidPhoneNumber, "Invalid phone number: %s. Use the format +{country code} {number}x{extension}, with the extension optional.", strings.TrimPrefix(err.Error(), "phone number "))
}

// invalidEnum is Graph's answer to a value outside an enum.
func invalidEnum(property, value string, allowed []string) *graphError {
	return errBadRequest(codeInvalidValue, "Invalid value '%s' for property '%s'; expected one of %s.", value, property, strings.Join(allowed, ", "))
}
