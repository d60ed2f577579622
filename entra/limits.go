package entra

import (
	"time"

	"github.com/mfactl/mfactl/methods"
)

// MaxOathAndAppMethods is how many OATH and authenticator app methods a
// user may have: "A user can have a combination of up to five OATH
// hardware tokens or authenticator applications, such as the Microsoft
// Authenticator app" (Entra's "OATH tokens" concept page, linked from
// api-reference/beta/resources/hardwareoathauthenticationmethod.md).
const MaxOathAndAppMethods = 5

// CountsTowardOathLimit reports whether a method of kind k counts toward
// MaxOathAndAppMethods: hardware and software OATH tokens and Microsoft
// Authenticator.
func CountsTowardOathLimit(k methods.Kind) bool {
	switch k {
	case methods.KindAuthenticator, methods.KindSoftwareOath, methods.KindHardwareOath:
		return true
	}
	return false
}

// CountOathAndAppMethods counts the methods of ms that count toward
// MaxOathAndAppMethods.
func CountOathAndAppMethods(ms []methods.Method) int {
	n := 0
	for _, m := range ms {
		if CountsTowardOathLimit(m.Kind) {
			n++
		}
	}
	return n
}

// TAPStartSkew is how far in the past a Temporary Access Pass's
// startDateTime may lie and still be accepted as "now".
// api-reference/v1.0/resources/temporaryaccesspassauthenticationmethod.md
// says only that startDateTime is when the pass becomes usable; it is
// silent on a start in the past. A request that means "now" is composed on
// a clock that may run behind Entra's and reaches Graph later than it was
// written, so a strict "not before now" would refuse honest requests. Five
// minutes is the clock skew Entra tolerates on the tokens it issues and
// validates; the mock has always allowed it, and the CLI's pre-check (which
// allowed one minute until the rule moved here) now uses the same value, so
// the CLI never refuses what the mock, standing in for Graph, accepts.
const TAPStartSkew = 5 * time.Minute

// Hardware token activation is rate limited per tenant: Entra activates at
// most ActivationLimit tokens per ActivationWindow (MS-OATH-CSV). Every
// activation attempt counts, so the limit also bounds how fast codes can
// be guessed.
const (
	ActivationLimit  = 200
	ActivationWindow = 5 * time.Minute
)
