package mock

import (
	"crypto/subtle"
	"slices"
	"strings"
)

// Directory roles the mock understands. A token maps to a principal holding
// some of them; handlers check them the way Entra does.
const (
	RolePrivilegedAuthAdmin = "Privileged Authentication Administrator"
	RoleAuthAdmin           = "Authentication Administrator"
	RoleAuthPolicyAdmin     = "Authentication Policy Administrator"
	RoleGlobalReader        = "Global Reader"
	RoleReportsReader       = "Reports Reader"
	RoleGlobalAdmin         = "Global Administrator"
	RoleUserAdmin           = "User Administrator"
	RoleHelpdeskAdmin       = "Helpdesk Administrator"
	RoleSecurityAdmin       = "Security Administrator"
	RoleSecurityReader      = "Security Reader"
)

// Default static tokens. The admin token can be replaced (mock serve --token);
// the others are fixed so tests and docs can rely on them.
const (
	DefaultAdminToken     = "mock-admin-token"
	AuthAdminToken        = "mock-authadmin-token"
	GlobalReaderToken     = "mock-reader-token"
	ReportsReaderToken    = "mock-reports-token"
	defaultAdminUPNPrefix = "mfa.admin@"
)

// Principal is who a token signs in as.
type Principal struct {
	Name  string
	UPN   string
	Roles []string
}

// has reports whether the principal holds any of roles.
func (p *Principal) has(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

// TokenInfo documents one accepted token.
type TokenInfo struct {
	Token     string   `json:"token"`
	Principal string   `json:"principal"`
	Roles     []string `json:"roles"`
}

type tokenTable struct {
	entries []tokenEntry
	// verifier, when set, accepts the JWTs of the emulated Entra ID
	// (entra.go) besides the static tokens.
	verifier func(token string) (*Principal, bool)
}

type tokenEntry struct {
	token     string
	principal Principal
}

func newTokenTable(adminToken, domain string) *tokenTable {
	if adminToken == "" {
		adminToken = DefaultAdminToken
	}
	return &tokenTable{entries: []tokenEntry{
		{adminToken, Principal{Name: "MFA Admin", UPN: defaultAdminUPNPrefix + domain, Roles: []string{RolePrivilegedAuthAdmin, RoleAuthPolicyAdmin, RoleReportsReader, RoleUserAdmin}}},
		{AuthAdminToken, Principal{Name: "Helpdesk Agent", UPN: "helpdesk@" + domain, Roles: []string{RoleAuthAdmin, RoleHelpdeskAdmin}}},
		{GlobalReaderToken, Principal{Name: "Audit Reader", UPN: "auditor@" + domain, Roles: []string{RoleGlobalReader}}},
		{ReportsReaderToken, Principal{Name: "Reports Reader", UPN: "reports@" + domain, Roles: []string{RoleReportsReader}}},
	}}
}

// lookup finds the principal of a bearer token, comparing in constant time.
func (t *tokenTable) lookup(authorization string) (*Principal, bool) {
	scheme, token, ok := strings.Cut(authorization, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, false
	}
	var found *Principal
	for i := range t.entries {
		e := &t.entries[i]
		if subtle.ConstantTimeCompare([]byte(e.token), []byte(token)) == 1 {
			found = &e.principal
		}
	}
	if found == nil && t.verifier != nil && strings.Count(token, ".") == 2 {
		return t.verifier(token)
	}
	return found, found != nil
}

func (t *tokenTable) infos() []TokenInfo {
	out := make([]TokenInfo, len(t.entries))
	for i, e := range t.entries {
		out[i] = TokenInfo{Token: e.token, Principal: e.principal.UPN, Roles: e.principal.Roles}
	}
	return out
}
