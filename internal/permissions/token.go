package permissions

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Claims are the parts of a Microsoft identity platform access token that
// say what it allows: decoded locally, without checking the signature (the
// token is the caller's own, read to explain what Graph will allow; Graph
// checks it on every request).
type Claims struct {
	// Scopes are the delegated permissions (scp), Roles the application
	// permissions (roles), RoleTemplateIDs the signed-in user's directory
	// roles (wids: template ids, present for users only).
	Scopes          []string  `json:"scopes,omitempty"`
	Roles           []string  `json:"roles,omitempty"`
	RoleTemplateIDs []string  `json:"wids,omitempty"`
	User            string    `json:"user,omitempty"`
	AppID           string    `json:"appId,omitempty"`
	TenantID        string    `json:"tenantId,omitempty"`
	Audience        string    `json:"audience,omitempty"`
	Expires         time.Time `json:"expires,omitzero"`
	// App is set for an app-only token (idtyp "app", or roles and no scp).
	App bool `json:"appOnly"`
}

// ErrOpaque means the token is not a JWT (the mock's static tokens, for
// example): what it allows cannot be read from it.
var ErrOpaque = errors.New("the token is opaque (not a JWT)")

// maxToken bounds what is decoded: Entra's tokens are a few KB.
const maxToken = 64 << 10

// ParseToken decodes the claims of a JWT access token.
func ParseToken(token string) (Claims, error) {
	token = strings.TrimSpace(token)
	if len(token) > maxToken {
		return Claims{}, fmt.Errorf("the token is larger than %d KB", maxToken>>10)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Claims{}, ErrOpaque
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Claims{}, fmt.Errorf("%w: its payload is not base64url: %v", ErrOpaque, err)
	}
	var raw struct {
		Scp    string          `json:"scp"`
		Roles  []string        `json:"roles"`
		Wids   []string        `json:"wids"`
		UPN    string          `json:"upn"`
		PUN    string          `json:"preferred_username"`
		AppID  string          `json:"appid"`
		AzP    string          `json:"azp"`
		Tid    string          `json:"tid"`
		Aud    json.RawMessage `json:"aud"`
		Exp    json.Number     `json:"exp"`
		IDType string          `json:"idtyp"`
	}
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return Claims{}, fmt.Errorf("%w: its payload is not a JSON object of claims: %v", ErrOpaque, err)
	}
	c := Claims{
		Scopes: strings.Fields(raw.Scp), Roles: raw.Roles, RoleTemplateIDs: raw.Wids,
		User: first(raw.UPN, raw.PUN), AppID: first(raw.AppID, raw.AzP), TenantID: raw.Tid,
	}
	var aud string
	if json.Unmarshal(raw.Aud, &aud) == nil {
		c.Audience = aud
	}
	if secs, err := raw.Exp.Int64(); err == nil && secs > 0 {
		c.Expires = time.Unix(secs, 0).UTC()
	}
	c.App = raw.IDType == "app" || (len(c.Scopes) == 0 && len(c.Roles) > 0)
	return c, nil
}

// Grant is what the claims allow. Directory roles come from wids when the
// token has them (callers may know better from Graph).
func (c Claims) Grant() Grant {
	g := Grant{App: c.App, PermissionsKnown: true}
	if c.App {
		g.Permissions = c.Roles
		return g
	}
	g.Permissions = c.Scopes
	if len(c.RoleTemplateIDs) > 0 {
		g.RolesKnown = true
		for _, id := range c.RoleTemplateIDs {
			g.Roles = append(g.Roles, RoleName(id))
		}
	}
	return g
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
