// Package entra is mfactl's contract with Microsoft Entra ID's
// authentication-methods service: the codes of the rules Entra enforces,
// the rule table (code, HTTP status, what the rule forbids, the Graph docs
// page it comes from), the limits, and the state checks as pure functions
// over small fact structs.
//
// The mock enforces these rules by calling the checks; the CLI's pre-flight
// checks (token import, the reset runbook, tap create, token assign and
// delete) call the same functions, so a rule is written once. The package
// knows nothing of HTTP clients, the CLI or the mock: graph maps a code to
// an error, cmd phrases the hint.
//
// Graph documents the rules but not the codes its authentication-methods
// service answers with (/work/shared/graph-api.md §13), so the codes are
// mfactl's own, one per rule, so that a client can tell the rules apart by
// code (never by message). Authorization_RequestDenied is Graph's own
// (concepts/errors.md).
package entra

import "slices"

// Code names one rule of Entra's; it is the code of the OData error a
// request that breaks the rule is answered with.
type Code string

// The rule codes of phones, email, Temporary Access Pass, defaults and
// passwords.
const (
	CodeInvalidPhoneNumber     Code = "invalidPhoneNumber"
	CodePhoneTypeExists        Code = "phoneTypeAlreadyExists"
	CodeMobileRequired         Code = "mobilePhoneRequired"
	CodePhoneTypeImmutable     Code = "phoneTypeCannotBeChanged"
	CodeSMSSignInNotSupported  Code = "smsSignInNotSupported"
	CodeSMSSignInNotAllowed    Code = "smsSignInNotAllowedByPolicy"
	CodePhoneNumberNotUnique   Code = "phoneNumberNotUnique"
	CodeEmailExists            Code = "emailMethodAlreadyExists"
	CodeInvalidEmail           Code = "invalidEmailAddress"
	CodeTAPDisabled            Code = "temporaryAccessPassDisabledByPolicy"
	CodeTAPLifetime            Code = "temporaryAccessPassLifetimeOutOfRange"
	CodeTAPOneTimeOnly         Code = "temporaryAccessPassMustBeUsableOnce"
	CodeInvalidStart           Code = "invalidStartDateTime"
	CodeDefaultMethodInUse     Code = "defaultMethodInUse"
	CodeMethodLimit            Code = "authenticationMethodLimitReached"
	CodePreferredNotRegistered Code = "preferredMethodNotRegistered"
	CodeOwnPasswordReset       Code = "ownPasswordResetNotAllowed"
	CodePasswordPolicy         Code = "passwordPolicyViolation"
	// CodeAuthorizationDenied is Graph's code for a caller whose role or
	// permission does not allow the operation (concepts/errors.md).
	CodeAuthorizationDenied Code = "Authorization_RequestDenied"
)

// The rule codes of hardware OATH tokens (beta hardwareOathMethods and the
// directory's hardwareOathDevices inventory).
const (
	CodeInvalidSecretKey      Code = "invalidSecretKey"
	CodeSecretKeyImmutable    Code = "secretKeyCannotBeChanged"
	CodeSerialNumberExists    Code = "serialNumberAlreadyExists"
	CodeTokenAlreadyAssigned  Code = "hardwareOathTokenAlreadyAssigned"
	CodeTokenAssigned         Code = "hardwareOathTokenIsAssigned"
	CodeTokenGuestNotAllowed  Code = "hardwareOathTokenGuestNotAllowed"
	CodeTokenStatus           Code = "invalidHardwareOathTokenStatus"
	CodeInvalidVerification   Code = "invalidVerificationCode"
	CodeActivationRateLimited Code = "hardwareOathActivationRateLimitExceeded"
)

// The HTTP statuses of the rules' answers (numbers, so that the contract
// needs no HTTP package).
const (
	statusBadRequest      = 400
	statusForbidden       = 403
	statusConflict        = 409
	statusTooManyRequests = 429
)

// Rule is one rule of Entra's: the code and HTTP status a request that
// breaks it is answered with, what it forbids, and the page of
// microsoftgraph/microsoft-graph-docs-contrib it comes from.
type Rule struct {
	Code    Code   `json:"code"`
	Status  int    `json:"status"`
	Forbids string `json:"rule"`
	Doc     string `json:"doc"`
}

const (
	docPhone        = "api-reference/v1.0/resources/phoneauthenticationmethod.md"
	docPhoneAdd     = "api-reference/v1.0/api/authentication-post-phonemethods.md"
	docPhoneUpdate  = "api-reference/v1.0/api/phoneauthenticationmethod-update.md"
	docPhoneDelete  = "api-reference/v1.0/api/phoneauthenticationmethod-delete.md"
	docSMSSignIn    = "api-reference/v1.0/api/phoneauthenticationmethod-enablesmssignin.md"
	docEmailAdd     = "api-reference/v1.0/api/authentication-post-emailmethods.md"
	docEmail        = "api-reference/v1.0/resources/emailauthenticationmethod.md"
	docTAPAdd       = "api-reference/v1.0/api/authentication-post-temporaryaccesspassmethods.md"
	docTAPPolicy    = "api-reference/v1.0/resources/temporaryaccesspassauthenticationmethodconfiguration.md"
	docTAP          = "api-reference/v1.0/resources/temporaryaccesspassauthenticationmethod.md"
	docPreferences  = "api-reference/beta/resources/signinpreferences.md"
	docResetPass    = "api-reference/beta/api/passwordauthenticationmethod-resetpassword.md"
	docHardwareTok  = "api-reference/beta/resources/hardwareoathtokenauthenticationmethoddevice.md"
	docHardwareMeth = "api-reference/beta/resources/hardwareoathauthenticationmethod.md"
	docErrors       = "concepts/errors.md"
)

// rules is the one table of Entra's rules.
var rules = []Rule{
	{CodeInvalidPhoneNumber, statusBadRequest, "phoneNumber must be +{country code} {number}, with x{extension} only on office phones", docPhone},
	{CodePhoneTypeExists, statusBadRequest, "a user has at most one phone of each type", docPhoneAdd},
	{CodeMobileRequired, statusBadRequest, "an alternateMobile phone needs a mobile phone (add the mobile first; delete the alternate first)", docPhone},
	{CodePhoneTypeImmutable, statusBadRequest, "phoneType cannot change on update: add the new type and delete the old one", docPhoneUpdate},
	{CodeSMSSignInNotSupported, statusBadRequest, "only the mobile phone can be used for SMS sign-in", docSMSSignIn},
	{CodeSMSSignInNotAllowed, statusBadRequest, "the authentication methods policy does not allow SMS sign-in", docSMSSignIn},
	{CodePhoneNumberNotUnique, statusBadRequest, "SMS sign-in needs a mobile number no other user in the tenant has", docPhone},
	{CodeEmailExists, statusBadRequest, "a user has at most one email method", docEmailAdd},
	{CodeInvalidEmail, statusBadRequest, "emailAddress must be a plain address such as kim@contoso.com", docEmail},
	{CodeTAPDisabled, statusBadRequest, "the Temporary Access Pass policy is disabled", docTAPAdd},
	{CodeTAPLifetime, statusBadRequest, "lifetimeInMinutes must lie within the policy's minimum and maximum", docTAPPolicy},
	{CodeTAPOneTimeOnly, statusBadRequest, "the policy allows only one-time passes (isUsableOnce)", docTAPPolicy},
	{CodeInvalidStart, statusBadRequest, "startDateTime must not lie in the past", docTAP},
	{CodeDefaultMethodInUse, statusBadRequest, "the user's default method cannot be deleted while the user has other methods", docPhoneDelete},
	{CodeMethodLimit, statusBadRequest, "a user has at most 5 OATH and authenticator app methods", docHardwareMeth},
	{CodePreferredNotRegistered, statusBadRequest, "the preferred method must be one the user has registered", docPreferences},
	{CodeOwnPasswordReset, statusForbidden, "an admin cannot reset their own password through this API", docResetPass},
	{CodePasswordPolicy, statusBadRequest, "a new password needs 8 to 256 characters from three of: upper case, lower case, digits, symbols", docResetPass},
	{CodeInvalidSecretKey, statusBadRequest, "secretKey must be base32 (A-Z, 2-7) of 16 to 128 characters, for a 6-digit TOTP token with hmacsha1 or hmacsha256 and 30 or 60 seconds", docHardwareTok},
	{CodeSecretKeyImmutable, statusBadRequest, "a token's secretKey cannot be changed: delete the token and create it again", docHardwareTok},
	{CodeSerialNumberExists, statusConflict, "a serial number appears once in the tenant's hardware OATH inventory", docHardwareTok},
	{CodeTokenAlreadyAssigned, statusBadRequest, "a token is assigned to one user at a time: only an available token can be assigned", docHardwareMeth},
	{CodeTokenAssigned, statusBadRequest, "a token must be unassigned (available) before it is updated or deleted", docHardwareTok},
	{CodeTokenGuestNotAllowed, statusBadRequest, "a hardware token cannot be assigned to a guest user", docHardwareMeth},
	{CodeTokenStatus, statusBadRequest, "token status moves available -> assigned -> activated | failedActivation; only an assigned or failed token is activated, only an activated one deactivated", docHardwareTok},
	{CodeInvalidVerification, statusBadRequest, "the verification code must be the token's current code; a wrong code leaves the token failedActivation", docHardwareMeth},
	{CodeActivationRateLimited, statusTooManyRequests, "a tenant activates at most 200 hardware tokens per 5 minutes", docHardwareMeth},
	{CodeAuthorizationDenied, statusForbidden, "the caller's role does not allow the operation (Authentication Administrator cannot act on admins; readers cannot write)", docErrors},
}

// Rules lists every rule, in the table's order.
func Rules() []Rule { return slices.Clone(rules) }

// Lookup returns the rule of code.
func Lookup(code Code) (Rule, bool) {
	i := slices.IndexFunc(rules, func(r Rule) bool { return r.Code == code })
	if i < 0 {
		return Rule{}, false
	}
	return rules[i], true
}

// Known reports whether code (an OData error code) is one of the rules'.
func Known(code string) bool {
	_, ok := Lookup(Code(code))
	return ok
}
