package mock

import (
	"slices"
	"strings"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
)

// The rule codes, the rule table and the state checks are Entra's
// contract and live in package entra; the mock enforces them by calling
// its checks and answers a broken rule with ruleError.

const codeInvalidValue = "invalidValue"

// RuleErrors lists every rule error the mock answers with: Entra's rule
// table.
func RuleErrors() []entra.Rule { return entra.Rules() }

// ruleError builds the error of a rule from the table, so status and code
// never disagree with what RuleErrors documents.
func ruleError(code entra.Code, format string, args ...any) *graphError {
	if r, ok := entra.Lookup(code); ok {
		return newError(r.Status, string(code), format, args...)
	}
	panic("mock: rule code " + string(code) + " is not in the rule table")
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

// checkDefaultDeletion applies entra.CheckDefaultDeletion to deleting
// victim from the user's methods all. It reports whether the deletion
// leaves the preference without a backing method, so the caller clears it.
func checkDefaultDeletion(u *userRecord, all []methodRecord, victim *methodRecord) (clearPreferred bool, err error) {
	preferred := methods.DefaultMethod(u.PreferredMethod)
	var rest []methods.Method
	for _, m := range all {
		if m.ID != victim.ID {
			rest = append(rest, m.Method)
		}
	}
	clearPreferred, code := entra.CheckDefaultDeletion(entra.DefaultDeletion{Preferred: preferred, Victim: victim.Method, Rest: rest})
	if code != "" {
		return false, ruleError(code,
			"The method '%s' delivers the user's default sign-in method (%s) and cannot be deleted while the user has other methods.",
			victim.ID, preferred)
	}
	return clearPreferred, nil
}

// checkOathAndAppLimit enforces entra.MaxOathAndAppMethods; creating
// endpoints of such methods (hardware OATH assignment, software OATH
// provisioning) call it before adding one.
func checkOathAndAppLimit(all []methodRecord) error {
	n := entra.CountOathAndAppMethods(methodsOf(all))
	if code := entra.CheckOathLimit(n); code != "" {
		return ruleError(code, "The user already has %d OATH and authenticator app methods; at most %d are allowed.", n, entra.MaxOathAndAppMethods)
	}
	return nil
}

// methodsOf returns the methods of the records.
func methodsOf(rs []methodRecord) []methods.Method {
	ms := make([]methods.Method, len(rs))
	for i, r := range rs {
		ms[i] = r.Method
	}
	return ms
}

// phoneFormatError turns a phone format problem into Graph's error.
func phoneFormatError(err error) *graphError {
	return ruleError(entra.CodeInvalidPhoneNumber, "Invalid phone number: %s. Use the format +{country code} {number}x{extension}, with the extension optional.", strings.TrimPrefix(err.Error(), "phone number "))
}

// invalidEnum is Graph's answer to a value outside an enum.
func invalidEnum(property, value string, allowed []string) *graphError {
	return errBadRequest(codeInvalidValue, "Invalid value '%s' for property '%s'; expected one of %s.", value, property, strings.Join(allowed, ", "))
}
