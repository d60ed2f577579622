package cmd

import (
	"errors"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
)

// ruleHints say how to get past each Entra rule (package entra) a request
// can break: graph returns the rule's code (graph.RuleOf), cmd phrases the
// hint and the command to run. Authorization_RequestDenied has none here:
// withPermissionHint names the permission or role.
var ruleHints = map[entra.Code]string{
	entra.CodeInvalidPhoneNumber:     "write the number as +1 4255550100, or give --country for a national number; an extension (x123) only on office phones",
	entra.CodePhoneTypeExists:        "the user already has a phone of this type: change its number with `mfactl phone update`, or remove it first",
	entra.CodeMobileRequired:         "add the mobile phone first; to replace the mobile, update its number (`mfactl phone update`); to remove it, remove the alternateMobile first",
	entra.CodePhoneTypeImmutable:     "add a phone of the new type and remove the old one",
	entra.CodeSMSSignInNotSupported:  "SMS sign-in works only on the mobile phone",
	entra.CodeSMSSignInNotAllowed:    "allow SMS sign-in for the user in the authentication methods policy (Entra admin center: Protection > Authentication methods > SMS)",
	entra.CodePhoneNumberNotUnique:   "SMS sign-in needs a mobile number no other user has: give the user another number, or find the other user with `mfactl phone update <user> <number> --check-duplicates`",
	entra.CodeEmailExists:            "the user already has an email method: `mfactl email set` updates it",
	entra.CodeInvalidEmail:           "give a plain address such as kim@contoso.com",
	entra.CodeTAPDisabled:            "enable Temporary Access Pass in the authentication methods policy",
	entra.CodeTAPLifetime:            "choose a --lifetime within the tenant's Temporary Access Pass policy",
	entra.CodeTAPOneTimeOnly:         "the tenant allows only one-time passes: add --once",
	entra.CodeInvalidStart:           "give a --start time that is now or in the future",
	entra.CodeDefaultMethodInUse:     "change the user's default method first (`mfactl default set <user> <method>`), then remove this one",
	entra.CodeMethodLimit:            "remove an OATH or authenticator app method first (at most 5)",
	entra.CodePreferredNotRegistered: "register the method first, or choose one the user has (`mfactl default show <user>` lists them)",
	entra.CodeOwnPasswordReset:       "an admin cannot reset their own password this way: use self-service password reset, or ask another admin",
	entra.CodePasswordPolicy:         "use 8 to 256 characters from three of: upper case, lower case, digits, symbols",
	entra.CodeInvalidSecretKey:       "a seed is base32 (A-Z, 2-7), 16 to 128 characters, of a 6-digit TOTP token with a 30 or 60 second interval; check the seed file",
	entra.CodeSecretKeyImmutable:     "a token's seed never changes: delete the token (`mfactl token delete`) and import it again",
	entra.CodeSerialNumberExists:     "the serial number is already in the inventory: `mfactl token list` shows it (re-running `mfactl token import` skips it)",
	entra.CodeTokenAlreadyAssigned:   "a token has one user: `mfactl token unassign <serial>` first",
	entra.CodeTokenAssigned:          "unassign the token first: `mfactl token unassign <serial>`",
	entra.CodeTokenGuestNotAllowed:   "hardware tokens cannot be assigned to guest users: choose a member of the tenant",
	entra.CodeTokenStatus:            "`mfactl token list` shows each token's status: assign an available token first; activate an assigned or failedActivation one",
	entra.CodeInvalidVerification:    "press the token's button and run `mfactl token activate` again with the code it shows now; if codes keep failing, its clock may have drifted (`mfactl token check` against the mock)",
	entra.CodeActivationRateLimited:  "Entra activates at most 200 tokens per 5 minutes per tenant: wait and retry (`mfactl token activate --file` paces itself)",
}

// withRuleHint gives an error that broke an Entra rule the rule's hint,
// unless something on the way out already gave it one; it keeps the
// error's exit code.
func withRuleHint(err error) error {
	if err == nil || cmdutil.HintOf(err) != "" {
		return err
	}
	var ge *graph.Error
	if !errors.As(err, &ge) {
		return err
	}
	hint := ruleHints[graph.RuleOf(ge)]
	if hint == "" {
		return err
	}
	return cmdutil.WithExit(cmdutil.ExitCodeOf(err), err, hint)
}

// hintOf is cmdutil.HintOf with the hints of Entra's rules.
func hintOf(err error) string { return cmdutil.HintOf(withRuleHint(err)) }
