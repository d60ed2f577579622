package graph

import "errors"

// Advice names a situation whose remedy is a command of the CLI. graph
// states the fact and cmd phrases the hint (cmd/hints.go), so this package
// does not know the CLI's command names.
type Advice string

// Advices.
const (
	// AdviceNoSuchMethod: a verification named a method the user has not
	// registered.
	AdviceNoSuchMethod Advice = "noSuchMethod"
	// AdviceNotEmulator: the server has no such /_mock/ endpoint (it is not
	// mfactl's mock, or an older one).
	AdviceNotEmulator Advice = "notEmulator"
	// AdviceNoSuchToken: an inventory item is not there (a 404).
	AdviceNoSuchToken Advice = "noSuchToken"
	// AdviceSerialNotInInventory: no token has the serial number asked for.
	AdviceSerialNotInInventory Advice = "serialNotInInventory"
	// AdviceNoTokenEmulator: the endpoint does not emulate token
	// resynchronisation (not mfactl's mock).
	AdviceNoTokenEmulator Advice = "noTokenEmulator"
	// AdviceMethodGone: a write on a user's method found it gone (404).
	AdviceMethodGone Advice = "methodGone"
	// AdviceNotSignedIn: no token could be had without signing in.
	AdviceNotSignedIn Advice = "notSignedIn"
	// AdviceSignInFailed: Entra refused the sign-in (cmd adds the hint
	// of the AADSTS code where it knows one).
	AdviceSignInFailed Advice = "signInFailed"
	// AdviceTokenRejected: Graph answered 401 to the access token.
	AdviceTokenRejected Advice = "tokenRejected"
	// AdviceUntrustedCertificate: the server's certificate is signed by
	// an authority the client does not trust.
	AdviceUntrustedCertificate Advice = "untrustedCertificate"
	// AdviceNothingListening: the connection was refused.
	AdviceNothingListening Advice = "nothingListening"
)

// AdviceOf returns the Advice of the *Error in err's chain, or "".
func AdviceOf(err error) Advice {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.Advice
	}
	return ""
}
