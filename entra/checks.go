package entra

import (
	"time"

	"github.com/mfactl/mfactl/methods"
)

// The state checks: pure functions over the facts a rule needs. Each
// returns the code of the rule the change would break, or "" when Entra
// allows it. The mock answers a non-empty code with the rule's error; the
// CLI's pre-flight checks refuse before sending anything.

// Phones is which phone types a user has.
type Phones struct {
	Mobile, AlternateMobile, Office bool
}

// PhonesOf collects the phone types of ms.
func PhonesOf(ms []methods.Method) Phones {
	var p Phones
	for _, m := range ms {
		if m.Kind != methods.KindPhone {
			continue
		}
		switch m.PhoneType {
		case methods.PhoneMobile:
			p.Mobile = true
		case methods.PhoneAlternateMobile:
			p.AlternateMobile = true
		case methods.PhoneOffice:
			p.Office = true
		}
	}
	return p
}

// Has reports whether the user has a phone of type t.
func (p Phones) Has(t methods.PhoneType) bool {
	switch t {
	case methods.PhoneMobile:
		return p.Mobile
	case methods.PhoneAlternateMobile:
		return p.AlternateMobile
	case methods.PhoneOffice:
		return p.Office
	}
	return false
}

// CheckPhoneAdd: a user has one phone of each type
// (api-reference/v1.0/api/authentication-post-phonemethods.md), and an
// alternateMobile phone needs a mobile phone.
func CheckPhoneAdd(have Phones, t methods.PhoneType) Code {
	switch {
	case have.Has(t):
		return CodePhoneTypeExists
	case t == methods.PhoneAlternateMobile && !have.Mobile:
		return CodeMobileRequired
	}
	return ""
}

// CheckPhoneUpdate: an update cannot change a phone's type
// (api-reference/v1.0/api/phoneauthenticationmethod-update.md).
func CheckPhoneUpdate(current, requested methods.PhoneType) Code {
	if requested != current {
		return CodePhoneTypeImmutable
	}
	return ""
}

// CheckPhoneDelete: the mobile phone stays while an alternateMobile phone
// needs it.
func CheckPhoneDelete(have Phones, t methods.PhoneType) Code {
	if t == methods.PhoneMobile && have.AlternateMobile {
		return CodeMobileRequired
	}
	return ""
}

// DefaultDeletion is what the default-method rule needs to know about
// deleting one method.
type DefaultDeletion struct {
	// Preferred is the user's default sign-in method ("" when none).
	Preferred methods.DefaultMethod
	// Victim is the method being deleted.
	Victim methods.Method
	// Rest are the user's other methods.
	Rest []methods.Method
}

// CheckDefaultDeletion enforces "the default method cannot be deleted
// while other methods exist": deleting the last method that backs the
// preferred default is refused while another method that could become the
// default remains. For phones the page says "If the phone number is the
// user's default Azure multi-factor authentication (MFA) authentication
// method, it can't be deleted. Have the user change their default
// authentication method, and then delete the number."
// (api-reference/v1.0/api/phoneauthenticationmethod-delete.md). Its remedy
// presupposes another method the default can move to; with none, there is
// no default to change to, and the docs do not say what Graph does. The
// rule is read as the remedy implies: refused while another method could
// become the default, and otherwise the method goes and the preference is
// cleared, so a reset that leaves a user without MFA stays possible (see
// docs/mock-fidelity.md). clearPreferred reports that the deletion leaves
// the preference without a backing method, so the caller clears it.
func CheckDefaultDeletion(d DefaultDeletion) (clearPreferred bool, code Code) {
	if !Backs(d.Preferred, d.Victim) {
		return false, ""
	}
	if d.Preferred.SupportedBy(d.Rest) {
		return false, ""
	}
	for _, m := range d.Rest {
		if CanBackDefault(m) {
			return false, CodeDefaultMethodInUse
		}
	}
	return true, ""
}

// Backs reports whether m is one of the methods that deliver the default
// preferred.
func Backs(preferred methods.DefaultMethod, m methods.Method) bool {
	return preferred != "" && preferred.SupportedBy([]methods.Method{m})
}

// CanBackDefault reports whether m could serve as some default method.
func CanBackDefault(m methods.Method) bool {
	for _, d := range methods.DefaultMethods {
		if d.SupportedBy([]methods.Method{m}) {
			return true
		}
	}
	return false
}

// CheckOathLimit: a user who has n OATH and authenticator app methods may
// not get another beyond MaxOathAndAppMethods.
func CheckOathLimit(n int) Code {
	if n >= MaxOathAndAppMethods {
		return CodeMethodLimit
	}
	return ""
}

// CheckTokenHolder: hardware tokens are not assigned to guest users.
func CheckTokenHolder(guest bool) Code {
	if guest {
		return CodeTokenGuestNotAllowed
	}
	return ""
}

// Token is what the token rules need to know about a hardware token.
type Token struct {
	Status methods.HardwareTokenStatus
	// Assigned is set when the token has a user.
	Assigned bool
	// ToUser is set when the token is assigned to the user the request
	// acts for.
	ToUser bool
}

// CheckTokenAvailable: a token is assigned to one user at a time; only an
// available token can be assigned.
func CheckTokenAvailable(t Token) Code {
	if t.Status != methods.TokenAvailable || t.Assigned {
		return CodeTokenAlreadyAssigned
	}
	return ""
}

// CheckTokenAssign applies the rules of assigning a token to a user, in
// the order Entra reports them: no guests, an available token, and the
// user's OATH and app methods (oathCount) under the limit.
func CheckTokenAssign(t Token, guest bool, oathCount int) Code {
	if c := CheckTokenHolder(guest); c != "" {
		return c
	}
	if c := CheckTokenAvailable(t); c != "" {
		return c
	}
	return CheckOathLimit(oathCount)
}

// CheckTokenChange: only an available (unassigned) token is updated or
// deleted (api-reference/beta/resources/hardwareoathtokenauthenticationmethoddevice.md,
// "Token needs to be unassigned first").
func CheckTokenChange(status methods.HardwareTokenStatus) Code {
	if status != methods.TokenAvailable {
		return CodeTokenAssigned
	}
	return ""
}

// CheckTokenActivate: only an assigned or failedActivation token is
// activated, and only by its own user.
func CheckTokenActivate(t Token) Code {
	switch t.Status {
	case methods.TokenAssigned, methods.TokenFailedActivation:
	default:
		return CodeTokenStatus
	}
	if !t.ToUser {
		return CodeTokenAlreadyAssigned
	}
	return ""
}

// CheckTokenDeactivate: an activated or failedActivation token is
// deactivated (back to assigned); an assigned one is already inactive;
// any other status cannot be deactivated.
func CheckTokenDeactivate(status methods.HardwareTokenStatus) Code {
	switch status {
	case methods.TokenActivated, methods.TokenFailedActivation, methods.TokenAssigned:
		return ""
	}
	return CodeTokenStatus
}

// CheckActivationRate: a tenant that made recent activation attempts
// within the last ActivationWindow may make another only under
// ActivationLimit.
func CheckActivationRate(recent int) Code {
	if recent >= ActivationLimit {
		return CodeActivationRateLimited
	}
	return ""
}

// TAPPolicy is the part of the tenant's Temporary Access Pass policy the
// rules read
// (api-reference/v1.0/resources/temporaryaccesspassauthenticationmethodconfiguration.md).
type TAPPolicy struct {
	Enabled                  bool
	MinLifetime, MaxLifetime int // minutes
	UsableOnce               bool
}

// TAPRequest is a request for a pass.
type TAPRequest struct {
	// LifetimeMinutes is the pass's lifetime (the policy's default when
	// the request gives none).
	LifetimeMinutes int
	// UsableOnce is the request's isUsableOnce, nil when not given.
	UsableOnce *bool
	// Start is the request's startDateTime, nil for now.
	Start *time.Time
}

// CheckTAPLifetime: lifetimeInMinutes lies within [lo, hi].
func CheckTAPLifetime(minutes, lo, hi int) Code {
	if minutes < lo || minutes > hi {
		return CodeTAPLifetime
	}
	return ""
}

// CheckTAPStart: a pass's start may not lie more than TAPStartSkew before
// now.
func CheckTAPStart(start, now time.Time) Code {
	if start.Before(now.Add(-TAPStartSkew)) {
		return CodeInvalidStart
	}
	return ""
}

// CheckTAP holds a request for a pass against the policy at time now
// (api-reference/v1.0/api/authentication-post-temporaryaccesspassmethods.md).
func CheckTAP(pol TAPPolicy, req TAPRequest, now time.Time) Code {
	switch {
	case !pol.Enabled:
		return CodeTAPDisabled
	case CheckTAPLifetime(req.LifetimeMinutes, pol.MinLifetime, pol.MaxLifetime) != "":
		return CodeTAPLifetime
	case pol.UsableOnce && req.UsableOnce != nil && !*req.UsableOnce:
		return CodeTAPOneTimeOnly
	case req.Start != nil:
		return CheckTAPStart(*req.Start, now)
	}
	return ""
}
