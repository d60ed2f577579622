package graph

import (
	"context"

	abs "github.com/microsoft/kiota-abstractions-go"

	"github.com/mfactl/mfactl/methods"
)

// The beta endpoints of a user's authentication states, called as small
// typed raw requests through the beta adapter (the beta SDK module would
// double the build for four calls).
const (
	signInPreferencesPath = "/users/{user%2Did}/authentication/signInPreferences"
	requirementsPath      = "/users/{user%2Did}/authentication/requirements"
)

// signInPreferencesJSON is the wire form of beta signInPreferences.
type signInPreferencesJSON struct {
	SystemPreferred *bool   `json:"isSystemPreferredAuthenticationMethodEnabled,omitempty"`
	UserPreferred   *string `json:"userPreferredMethodForSecondaryAuthentication,omitempty"`
}

// GetSignInPreferences reads the user's default MFA method and whether
// system-preferred MFA is on (beta).
func (c *Client) GetSignInPreferences(ctx context.Context, user string) (methods.SignInPreferences, error) {
	if err := ValidateUserRef(user); err != nil {
		return methods.SignInPreferences{}, err
	}
	var w signInPreferencesJSON
	ri := rawRequest(c.beta, abs.GET, signInPreferencesPath, map[string]string{"user%2Did": user})
	if err := getJSON(ctx, c.beta, ri, &w); err != nil {
		return methods.SignInPreferences{}, userError("read the sign-in preferences of", user, RoleReadMethods, err)
	}
	return methods.SignInPreferences{UserPreferred: methods.DefaultMethod(deref(w.UserPreferred)), SystemPreferredMethodEnabled: w.SystemPreferred}, nil
}

// SetSignInPreferences changes the user's default MFA method and/or
// system-preferred MFA (PATCH, beta); unset fields stay as they are.
func (c *Client) SetSignInPreferences(ctx context.Context, user string, p methods.SignInPreferences) error {
	op := "change the sign-in preferences of " + user
	w := signInPreferencesJSON{SystemPreferred: p.SystemPreferredMethodEnabled}
	if p.UserPreferred != "" {
		s := string(p.UserPreferred)
		w.UserPreferred = &s
	}
	ri := rawRequest(c.beta, abs.PATCH, signInPreferencesPath, map[string]string{"user%2Did": user})
	if err := setJSONBody(ri, w); err != nil {
		return err
	}
	check := asCheck(func(ctx context.Context) (bool, error) {
		got, err := c.GetSignInPreferences(ctx, user)
		if err != nil {
			return false, err
		}
		return (p.UserPreferred == "" || got.UserPreferred == p.UserPreferred) &&
			(p.SystemPreferredMethodEnabled == nil || (got.SystemPreferredMethodEnabled != nil && *got.SystemPreferredMethodEnabled == *p.SystemPreferredMethodEnabled)), nil
	})
	_, err := reconcileWrite(ctx, c, noResult(func() error {
		_, err := c.send(ctx, c.beta, ri, nil)
		return wrapWrite(op, err)
	}), check)
	return err
}

type requirementsJSON struct {
	PerUserMFAState string `json:"perUserMfaState"`
}

// GetMFAState reads the user's legacy per-user MFA state (beta requirements).
func (c *Client) GetMFAState(ctx context.Context, user string) (methods.MFAState, error) {
	if err := ValidateUserRef(user); err != nil {
		return "", err
	}
	var w requirementsJSON
	ri := rawRequest(c.beta, abs.GET, requirementsPath, map[string]string{"user%2Did": user})
	if err := getJSON(ctx, c.beta, ri, &w); err != nil {
		return "", userError("read the per-user MFA state of", user, RoleReadMFAState, err)
	}
	return methods.MFAState(w.PerUserMFAState), nil
}

// SetMFAState changes the user's per-user MFA state (PATCH, beta).
func (c *Client) SetMFAState(ctx context.Context, user string, state methods.MFAState) error {
	op := "set the per-user MFA state of " + user
	ri := rawRequest(c.beta, abs.PATCH, requirementsPath, map[string]string{"user%2Did": user})
	if err := setJSONBody(ri, requirementsJSON{PerUserMFAState: string(state)}); err != nil {
		return err
	}
	// Applied: the state reads back as set, or as enforced after setting
	// enabled (a user who has registered MFA goes straight to enforced;
	// resources/strongauthenticationrequirements.md).
	check := asCheck(func(ctx context.Context) (bool, error) {
		got, err := c.GetMFAState(ctx, user)
		return err == nil && (got == state || (state == methods.MFAEnabled && got == methods.MFAEnforced)), err
	})
	_, err := reconcileWrite(ctx, c, noResult(func() error {
		_, err := c.send(ctx, c.beta, ri, nil)
		return wrap(op, RoleWriteMFAState, err)
	}), check)
	return err
}

// TAPPolicy is the tenant's Temporary Access Pass configuration, the bounds
// a new pass must respect.
type TAPPolicy struct {
	State                    string `json:"state"`
	DefaultLength            int    `json:"defaultLength"`
	DefaultLifetimeInMinutes int    `json:"defaultLifetimeInMinutes"`
	MinimumLifetimeInMinutes int    `json:"minimumLifetimeInMinutes"`
	MaximumLifetimeInMinutes int    `json:"maximumLifetimeInMinutes"`
	IsUsableOnce             bool   `json:"isUsableOnce"`
}

// GetTAPPolicy reads the TAP configuration of the authentication methods
// policy (needs Policy.Read.All; an Authentication Administrator cannot).
// A raw GET keeps the SDK's large policies package out of the build.
func (c *Client) GetTAPPolicy(ctx context.Context) (TAPPolicy, error) {
	var p TAPPolicy
	ri := rawRequest(c.v1, abs.GET, "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass", nil)
	if err := getJSON(ctx, c.v1, ri, &p); err != nil {
		return TAPPolicy{}, wrap("read the Temporary Access Pass policy", RolePolicyRead, err)
	}
	return p, nil
}

// Me reads the signed-in account (GET /me). App-only credentials have none:
// Graph answers 400, which callers turn into "needs a delegated sign-in".
func (c *Client) Me(ctx context.Context) (methods.User, error) {
	var w struct {
		ID                string `json:"id"`
		UserPrincipalName string `json:"userPrincipalName"`
		DisplayName       string `json:"displayName"`
	}
	ri := rawRequest(c.v1, abs.GET, "/me", nil)
	if err := getJSON(ctx, c.v1, ri, &w); err != nil {
		return methods.User{}, wrap("read the signed-in user", RoleReadUsers, err)
	}
	return methods.User{ID: w.ID, UserPrincipalName: w.UserPrincipalName, DisplayName: w.DisplayName}, nil
}
