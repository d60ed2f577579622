package permissions

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README section and docs/permissions.md from the table")

const (
	beginMarker = "<!-- permissions:begin (generated from internal/permissions: go test ./internal/permissions -update) -->\n"
	endMarker   = "<!-- permissions:end -->"
)

// The README's permission section and docs/permissions.md are the table:
// the test fails when they differ (run with -update to regenerate).
func TestDocsAreGeneratedFromTheTable(t *testing.T) {
	root := filepath.Join("..", "..")
	readme := filepath.Join(root, "docs", "real-tenant.md")
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(b, []byte(beginMarker))
	end := bytes.Index(b, []byte(endMarker))
	if start < 0 || end < start {
		t.Fatalf("docs/real-tenant.md has no %q ... %q section", beginMarker, endMarker)
	}
	got := string(b[start+len(beginMarker) : end])
	if want := READMETable(); got != want {
		if !*update {
			t.Errorf("docs/real-tenant.md's permission table differs from the table in code; run go test ./internal/permissions -update\n got:\n%s\nwant:\n%s", got, want)
		} else {
			nb := slices.Concat(b[:start+len(beginMarker)], []byte(want), b[end:])
			if err := os.WriteFile(readme, nb, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	ref := filepath.Join(root, "docs", "permissions.md")
	old, _ := os.ReadFile(ref)
	if string(old) != Reference() {
		if !*update {
			t.Errorf("docs/permissions.md differs from the table in code; run go test ./internal/permissions -update")
		} else if err := os.WriteFile(ref, []byte(Reference()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Every entry is complete and cites the docs; every command's access kinds
// exist; no command is listed twice.
func TestTableIsComplete(t *testing.T) {
	seen := map[Access]bool{}
	for _, r := range Requirements {
		if seen[r.Access] {
			t.Errorf("%s twice", r.Access)
		}
		seen[r.Access] = true
		if r.What == "" || len(r.Endpoints) == 0 || len(r.Delegated) == 0 || len(r.Docs) == 0 {
			t.Errorf("%s is incomplete: %+v", r.Access, r)
		}
		for _, d := range r.Docs {
			if !strings.HasPrefix(d, "api-reference/") || !strings.HasSuffix(d, ".md") {
				t.Errorf("%s cites %q, not a docs file", r.Access, d)
			}
		}
		for _, role := range r.Roles {
			if _, ok := RoleTemplateIDs[role]; !ok {
				t.Errorf("%s: role %q has no template id", r.Access, role)
			}
		}
	}
	paths := map[string]bool{}
	for _, c := range Commands {
		if paths[c.Path] {
			t.Errorf("command %q twice", c.Path)
		}
		paths[c.Path] = true
		for _, a := range c.Accesses() {
			if _, ok := Lookup(a); !ok {
				t.Errorf("%s needs unknown access %q", c.Path, a)
			}
		}
		if !c.Local && !c.MockOnly && len(c.Accesses()) == 0 {
			t.Errorf("%s needs nothing: mark it Local or MockOnly", c.Path)
		}
	}
}

// The known gaps of the README before the table: reading per-user MFA needs
// Policy.Read.All and Global Reader or Authentication Policy Administrator
// (an Authentication Administrator is refused); revoking sessions takes
// User.RevokeSessions.All.
func TestKnownFacts(t *testing.T) {
	mfa, _ := Lookup(ReadMFAState)
	if mfa.Delegated[0] != "Policy.Read.All" || !slices.Equal(mfa.Roles, []string{GlobalReader, AuthenticationPolicyAdministrator}) {
		t.Errorf("per-user MFA read: %+v", mfa)
	}
	rev, _ := Lookup(RevokeSessions)
	if rev.Delegated[0] != "User.RevokeSessions.All" || rev.Application[0] != "User.RevokeSessions.All" {
		t.Errorf("revoke sessions: %+v", rev)
	}
}

func TestCheckCommand(t *testing.T) {
	helpdesk := Grant{Permissions: []string{"User.Read.All", "UserAuthenticationMethod.ReadWrite.All"}, PermissionsKnown: true, Roles: []string{AuthenticationAdministrator}, RolesKnown: true}
	reader := Grant{Permissions: []string{"User.Read.All", "UserAuthenticationMethod.Read.All", "Policy.Read.All", "AuditLog.Read.All", "Directory.Read.All"}, PermissionsKnown: true, Roles: []string{GlobalReader}, RolesKnown: true}
	app := Grant{App: true, Permissions: []string{"User.Read.All", "UserAuthenticationMethod.ReadWrite.All"}, PermissionsKnown: true}
	opaque := Grant{Roles: []string{GlobalReader}, RolesKnown: true}
	admin := Grant{Permissions: []string{"User.Read.All"}, PermissionsKnown: true, Roles: []string{GlobalAdministrator}, RolesKnown: true}
	none := Grant{Permissions: []string{"User.Read.All", "Directory.Read.All"}, PermissionsKnown: true, Roles: []string{HelpdeskAdministrator}, RolesKnown: true}
	for _, tc := range []struct {
		name    string
		path    string
		g       Grant
		refused bool
		gaps    []Access
	}{
		{"helpdesk adds a phone", "phone add", helpdesk, false, nil},
		{"helpdesk reads MFA state: refused", "mfa-state show", helpdesk, true, []Access{ReadMFAState}},
		{"helpdesk user show degrades", "user show", helpdesk, false, []Access{ReadMFAState}},
		{"reader reads MFA state", "mfa-state show", reader, false, nil},
		{"reader cannot add a phone", "phone add", reader, true, []Access{WriteMethods}},
		{"reader coverage from the report", "report coverage", reader, false, []Access{ReadTokens}},
		{"app cannot reset a password", "password reset", app, true, []Access{ResetPassword}},
		{"app adds a phone", "phone add", app, false, nil},
		{"opaque token: roles only", "token import", opaque, true, []Access{WriteTokens}},
		{"opaque reader lists tokens", "token list", opaque, false, nil},
		{"global admin role, one scope short", "sessions revoke", admin, true, []Access{RevokeSessions}},
		{"helpdesk coverage lacks the roles list", "report coverage", helpdesk, true, []Access{ReadRoles, ReadTokens}},
		{"coverage with neither source", "report coverage", none, true, []Access{ReadReports, ReadMethods, ReadTokens}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := ForCommand(tc.path)
			if !ok {
				t.Fatalf("no entry for %q", tc.path)
			}
			gaps := CheckCommand(c, tc.g)
			if Refused(gaps) != tc.refused {
				t.Errorf("refused %v, want %v: %+v", Refused(gaps), tc.refused, gaps)
			}
			var got []Access
			for _, g := range gaps {
				got = append(got, g.Requirement.Access)
			}
			if !slices.Equal(got, tc.gaps) {
				t.Errorf("gaps %v, want %v", got, tc.gaps)
			}
		})
	}
}

func jwt(t testing.TB, claims map[string]any) string {
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." + base64.RawURLEncoding.EncodeToString(b) + ".c2ln"
}

func TestParseToken(t *testing.T) {
	user := jwt(t, map[string]any{"scp": "User.Read.All UserAuthenticationMethod.ReadWrite.All", "wids": []string{"c4e39bd9-1100-46d3-8c65-fb160da0071f", "b79fbf4d-3ef9-4689-8143-76b194e85509"},
		"upn": "kim@contoso.com", "appid": "11111111-1111-1111-1111-111111111111", "tid": "t", "exp": 1900000000, "aud": "https://graph.microsoft.com"})
	c, err := ParseToken(user)
	if err != nil {
		t.Fatal(err)
	}
	if c.App || len(c.Scopes) != 2 || c.User != "kim@contoso.com" || c.Expires.Unix() != 1900000000 || c.Audience != "https://graph.microsoft.com" {
		t.Fatalf("%+v", c)
	}
	g := c.Grant()
	if !g.RolesKnown || !slices.Equal(g.Roles, []string{AuthenticationAdministrator, "b79fbf4d-3ef9-4689-8143-76b194e85509"}) {
		t.Errorf("roles %v", g.Roles)
	}
	app, err := ParseToken(jwt(t, map[string]any{"roles": []string{"User.Read.All"}, "idtyp": "app", "aud": []string{"x"}}))
	if err != nil || !app.App || app.Grant().Permissions[0] != "User.Read.All" || app.Grant().RolesKnown {
		t.Fatalf("app: %+v %v", app, err)
	}
	for _, bad := range []string{"mock-admin-token", "a.b", "a.!!!.c", "a." + base64.RawURLEncoding.EncodeToString([]byte("[1]")) + ".c", ""} {
		if _, err := ParseToken(bad); !errors.Is(err, ErrOpaque) {
			t.Errorf("%q: %v, want ErrOpaque", bad, err)
		}
	}
	if _, err := ParseToken(strings.Repeat("a", maxToken+1)); err == nil {
		t.Error("a huge token was decoded")
	}
}

func FuzzParseToken(f *testing.F) {
	f.Add(jwt(f, map[string]any{"scp": "a b", "wids": []string{"x"}, "exp": 1}))
	f.Add("mock-admin-token")
	f.Add("a.e30.b")
	f.Add("a.eyJzY3AiOjF9.b")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseToken(s)
		if err != nil {
			return
		}
		g := c.Grant()
		if g.App != c.App || (!c.App && len(g.Permissions) != len(c.Scopes)) {
			t.Fatalf("grant %+v of %+v", g, c)
		}
	})
}
