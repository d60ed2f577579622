package mock

import (
	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// Beta-only authentication states of a user: signInPreferences (the
// default MFA method and system-preferred MFA) and requirements (the
// legacy per-user MFA state).
func (s *Server) signInRoutes(rt *router) {
	auth := "/users/{user}/authentication/"
	rt.addBeta("GET", auth+"signInPreferences", s.getSignInPreferences)
	rt.addBeta("PATCH", auth+"signInPreferences", s.patchSignInPreferences)
	rt.addBeta("GET", auth+"requirements", s.getRequirements)
	rt.addBeta("PATCH", auth+"requirements", s.patchRequirements)
}

func (s *Server) readUser(r *request, allowed func(*Principal, *userRecord) bool) (*userRecord, error) {
	var u *userRecord
	err := s.store.View(func(tx store.Tx) error {
		var err error
		u, err = getUser(tx, r.params["user"])
		if err != nil {
			return err
		}
		if !allowed(r.caller, u) {
			return errDenied()
		}
		return nil
	})
	return u, err
}

func (s *Server) getSignInPreferences(r *request) (*response, error) {
	u, err := s.readUser(r, canReadMethods)
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{
		"@odata.context": r.contextURL("users('" + u.ID + "')/authentication/signInPreferences"),
		"isSystemPreferredAuthenticationMethodEnabled":  u.SystemPreferredEnabled,
		"userPreferredMethodForSecondaryAuthentication": nullable(u.PreferredMethod),
	})
}

// signInPreferencesBody is what a client may PATCH.
type signInPreferencesBody struct {
	ODataType       *string `json:"@odata.type"`
	SystemPreferred *bool   `json:"isSystemPreferredAuthenticationMethodEnabled"`
	UserPreferred   *string `json:"userPreferredMethodForSecondaryAuthentication"`
}

func defaultMethodNames() []string {
	out := make([]string, len(methods.DefaultMethods))
	for i, d := range methods.DefaultMethods {
		out[i] = string(d)
	}
	return out
}

func (s *Server) patchSignInPreferences(r *request) (*response, error) {
	var b signInPreferencesBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	var preferred methods.DefaultMethod
	if b.UserPreferred != nil {
		preferred = methods.DefaultMethod(*b.UserPreferred)
		if !validDefault(preferred) {
			return nil, invalidEnum("userPreferredMethodForSecondaryAuthentication", *b.UserPreferred, defaultMethodNames())
		}
	}
	err := s.methodWrite(r, func(tx store.Tx, u *userRecord, ms []methodRecord) error {
		if b.UserPreferred != nil {
			registered := make([]methods.Method, len(ms))
			for i := range ms {
				registered[i] = ms[i].Method
			}
			if !preferred.SupportedBy(registered) {
				return ruleError(entra.CodePreferredNotRegistered, "The user has not registered a method for '%s' (it needs %s).", preferred, preferred.Requirement())
			}
			u.PreferredMethod = string(preferred)
		}
		if b.SystemPreferred != nil {
			u.SystemPreferredEnabled = *b.SystemPreferred
		}
		return putUser(tx, u)
	})
	if err != nil {
		return nil, err
	}
	return noContent()
}

func validDefault(d methods.DefaultMethod) bool {
	for _, v := range methods.DefaultMethods {
		if v == d {
			return true
		}
	}
	return false
}

func perUserState(u *userRecord) string {
	if u.PerUserMFAState == "" {
		return string(methods.MFADisabled)
	}
	return u.PerUserMFAState
}

func (s *Server) getRequirements(r *request) (*response, error) {
	u, err := s.readUser(r, canReadMFAState)
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{
		"@odata.context":  r.contextURL("users('" + u.ID + "')/authentication/requirements"),
		"perUserMfaState": perUserState(u),
	})
}

type requirementsBody struct {
	ODataType       *string `json:"@odata.type"`
	PerUserMFAState *string `json:"perUserMfaState"`
}

func (s *Server) patchRequirements(r *request) (*response, error) {
	var b requirementsBody
	if err := r.decode(&b); err != nil {
		return nil, err
	}
	if b.PerUserMFAState == nil {
		return noContent()
	}
	state := methods.MFAState(*b.PerUserMFAState)
	switch state {
	case methods.MFADisabled, methods.MFAEnabled, methods.MFAEnforced:
	default:
		return nil, invalidEnum("perUserMfaState", *b.PerUserMFAState, []string{"disabled", "enabled", "enforced"})
	}
	err := s.store.Update(func(tx store.Tx) error {
		u, err := getUser(tx, r.params["user"])
		if err != nil {
			return err
		}
		if err := canSetMFAState(r.caller, u); err != nil {
			return err
		}
		// "enabled" becomes "enforced" once the user has registered an
		// MFA method: the published
		// api-reference/beta/resources/strongauthenticationrequirements.md
		// describes enabled as "enrolled ... but not yet registered" and
		// enforced as registered (the indexed snapshot of the page lists
		// only the three values).
		if state == methods.MFAEnabled {
			ms, err := userMethods(tx, u.ID)
			if err != nil {
				return err
			}
			if hasMFAMethod(ms) {
				state = methods.MFAEnforced
			}
		}
		u.PerUserMFAState = string(state)
		return putUser(tx, u)
	})
	if err != nil {
		return nil, err
	}
	return noContent()
}

// hasMFAMethod reports whether any of ms is a second factor.
func hasMFAMethod(ms []methodRecord) bool {
	for i := range ms {
		if ms[i].IsMFA() {
			return true
		}
	}
	return false
}
