package methods

import (
	"fmt"
	"strings"
)

// DefaultMethod is a value of signInPreferences.userPreferredMethodForSecondaryAuthentication:
// the method Entra offers first at an MFA prompt.
type DefaultMethod string

// Values Graph accepts for the user-preferred secondary method.
const (
	DefaultPush                 DefaultMethod = "push"
	DefaultOath                 DefaultMethod = "oath"
	DefaultSMS                  DefaultMethod = "sms"
	DefaultVoiceMobile          DefaultMethod = "voiceMobile"
	DefaultVoiceAlternateMobile DefaultMethod = "voiceAlternateMobile"
	DefaultVoiceOffice          DefaultMethod = "voiceOffice"
)

// DefaultMethods lists the settable values in Entra's order.
var DefaultMethods = []DefaultMethod{DefaultPush, DefaultOath, DefaultSMS, DefaultVoiceMobile, DefaultVoiceAlternateMobile, DefaultVoiceOffice}

// ParseDefaultMethod validates a default-method name, case-insensitively.
func ParseDefaultMethod(s string) (DefaultMethod, error) {
	for _, d := range DefaultMethods {
		if strings.EqualFold(string(d), strings.TrimSpace(s)) {
			return d, nil
		}
	}
	return "", fmt.Errorf("unknown default method %q (want push, oath, sms, voiceMobile, voiceAlternateMobile or voiceOffice)", s)
}

// SupportedBy reports whether the registered methods can deliver this
// default: push needs Microsoft Authenticator, oath needs an app or a token
// that shows codes, sms and voiceMobile need the mobile phone, and the other
// voice defaults need that phone type.
func (d DefaultMethod) SupportedBy(ms []Method) bool {
	for _, m := range ms {
		switch d {
		case DefaultPush:
			if m.Kind == KindAuthenticator {
				return true
			}
		case DefaultOath:
			if m.Kind == KindSoftwareOath || m.Kind == KindHardwareOath || m.Kind == KindAuthenticator {
				return true
			}
		case DefaultSMS, DefaultVoiceMobile:
			if m.Kind == KindPhone && m.PhoneType == PhoneMobile {
				return true
			}
		case DefaultVoiceAlternateMobile:
			if m.Kind == KindPhone && m.PhoneType == PhoneAlternateMobile {
				return true
			}
		case DefaultVoiceOffice:
			if m.Kind == KindPhone && m.PhoneType == PhoneOffice {
				return true
			}
		}
	}
	return false
}

// DeliverableBy reports whether this default can be delivered by a usable
// method of ms (see Method.Usable): the rule behind every "(default)" mfactl
// prints, the reset planner's choice of a new default and verify's menu. A
// default backed only by a token whose activation failed is not
// deliverable: Entra cannot prompt with it.
func (d DefaultMethod) DeliverableBy(ms []Method) bool {
	return d.SupportedBy(UsableMethods(ms))
}

// Delivers reports whether the method m delivers the default d.
func (d DefaultMethod) Delivers(m Method) bool {
	return d != "" && m.Usable() && d.SupportedBy([]Method{m})
}

// Effective is the default Entra would use: d when a usable method of ms
// delivers it, otherwise "" (none).
func (d DefaultMethod) Effective(ms []Method) DefaultMethod {
	if d != "" && d.DeliverableBy(ms) {
		return d
	}
	return ""
}

// StrongestDeliverable is the first default, in Entra's order (push, oath,
// sms, voice), that a usable method of ms delivers, "" when none does.
func StrongestDeliverable(ms []Method) DefaultMethod {
	usable := UsableMethods(ms)
	for _, d := range DefaultMethods {
		if d.SupportedBy(usable) {
			return d
		}
	}
	return ""
}

// Requirement explains what a default needs, for error messages.
func (d DefaultMethod) Requirement() string {
	switch d {
	case DefaultPush:
		return "a Microsoft Authenticator registration"
	case DefaultOath:
		return "an authenticator app, software OATH or hardware OATH token"
	case DefaultSMS, DefaultVoiceMobile:
		return "a mobile phone method"
	case DefaultVoiceAlternateMobile:
		return "an alternateMobile phone method"
	case DefaultVoiceOffice:
		return "an office phone method"
	}
	return "a matching method"
}

// SignInPreferences is the beta signInPreferences resource of a user.
type SignInPreferences struct {
	UserPreferred                DefaultMethod `json:"userPreferredMethodForSecondaryAuthentication,omitempty"`
	SystemPreferredMethodEnabled *bool         `json:"isSystemPreferredAuthenticationMethodEnabled,omitempty"`
}

// MFAState is the legacy per-user MFA state (beta requirements.perUserMfaState).
type MFAState string

// Per-user MFA states.
const (
	MFADisabled MFAState = "disabled"
	MFAEnabled  MFAState = "enabled"
	MFAEnforced MFAState = "enforced"
)

// ParseMFAState validates a per-user MFA state.
func ParseMFAState(s string) (MFAState, error) {
	for _, st := range []MFAState{MFADisabled, MFAEnabled, MFAEnforced} {
		if strings.EqualFold(string(st), strings.TrimSpace(s)) {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown MFA state %q (want disabled, enabled or enforced)", s)
}
