package cmd

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/mock"
)

func testJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(b) + ".c2ln"
}

// auth status reads the token (claims decoded locally, or opaque) and the
// user's roles, and names the commands Graph will refuse, from the
// permissions table.
func TestAuthStatusNamesWhatWillBeRefused(t *testing.T) {
	readerJWT := testJWT(t, map[string]any{"scp": "User.Read.All UserAuthenticationMethod.Read.All", "wids": []string{"f2ef992c-3afb-46b9-b7cf-a126ee74c451"}, "upn": "kim@contoso.com", "exp": 1900000000})
	appJWT := testJWT(t, map[string]any{"roles": []string{"User.Read.All", "UserAuthenticationMethod.ReadWrite.All"}, "idtyp": "app", "appid": "app-1"})
	for _, tc := range []struct {
		name, token string
		tokenKind   string
		roles       []string
		rolesFrom   string
		refused     []string // commands that must be refused
		allowed     []string // commands that must not be
		why         map[string]string
	}{
		{name: "admin", token: mock.DefaultAdminToken, tokenKind: "opaque", rolesFrom: "graph",
			roles:   []string{"Authentication Policy Administrator", "Privileged Authentication Administrator", "Reports Reader", "User Administrator"},
			allowed: []string{"phone add", "mfa-state show", "token import", "sessions revoke"}},
		{name: "helpdesk", token: mock.AuthAdminToken, tokenKind: "opaque", rolesFrom: "graph",
			roles:   []string{"Authentication Administrator", "Helpdesk Administrator"},
			refused: []string{"mfa-state show", "mfa-state set", "token import", "report tokens"}, allowed: []string{"phone add", "sessions revoke", "user show"},
			why: map[string]string{"mfa-state show": "needs the role Global Reader or Authentication Policy Administrator"}},
		{name: "reader", token: mock.GlobalReaderToken, tokenKind: "opaque", rolesFrom: "graph", roles: []string{"Global Reader"},
			refused: []string{"phone add", "reset", "token delete", "sessions revoke"}, allowed: []string{"mfa-state show", "user show", "token list"}},
		{name: "a JWT the mock refuses: roles from wids", token: readerJWT, tokenKind: "jwt", rolesFrom: "token", roles: []string{"Global Reader"},
			refused: []string{"phone add", "mfa-state show"}, allowed: []string{"user show", "methods list"},
			why: map[string]string{"phone add": "needs the delegated permission UserAuthenticationMethod.ReadWrite.All and needs the role", "mfa-state show": "Policy.Read.All"}},
		{name: "an app token", token: appJWT, tokenKind: "jwt",
			refused: []string{"password reset", "mfa-state show"}, allowed: []string{"phone add", "methods list"},
			why: map[string]string{"password reset": "needs a person signed in"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cli := newTestCLI(t)
			cli.token = tc.token
			if code := cli.run("--mock", "auth", "status", "-o", "json"); code != 0 {
				t.Fatalf("exit %d: %s", code, cli.stderr)
			}
			var st authStatus
			if err := json.Unmarshal(cli.stdout.Bytes(), &st); err != nil || st.Access == nil {
				t.Fatalf("%v: %s", err, cli.stdout)
			}
			a := st.Access
			if a.Token != tc.tokenKind || a.RolesFrom != tc.rolesFrom || (tc.roles != nil && !slices.Equal(a.DirectoryRoles, tc.roles)) {
				t.Errorf("token %q roles %v from %q", a.Token, a.DirectoryRoles, a.RolesFrom)
			}
			refused := map[string][]string{}
			for _, r := range a.Refused {
				refused[r.Command] = r.Why
			}
			for _, c := range tc.refused {
				if refused[c] == nil {
					t.Errorf("%s is not refused: %+v", c, a.Refused)
				}
			}
			for _, c := range tc.allowed {
				if refused[c] != nil {
					t.Errorf("%s is refused: %v", c, refused[c])
				}
			}
			for c, want := range tc.why {
				if !strings.Contains(strings.Join(refused[c], "\n"), want) {
					t.Errorf("%s: why %q lacks %q", c, refused[c], want)
				}
			}
			if strings.Contains(cli.stdout.String(), tc.token) {
				t.Error("the token itself is printed")
			}
			// The table form says the same in lines.
			if code := cli.run("--mock", "auth", "status"); code != 0 {
				t.Fatal(cli.stderr)
			}
			out := cli.stdout.String()
			if !strings.Contains(out, "roles:") || (len(tc.refused) > 0) != strings.Contains(out, "refused:   "+itoaCount(len(a.Refused))) {
				t.Errorf("table:\n%s", out)
			}
		})
	}
}

func itoaCount(n int) string {
	b, _ := json.Marshal(n)
	return string(b) + " commands"
}

// A 403 names what the permissions table says the refused request needed.
func TestForbiddenNamesThePermissionAndRole(t *testing.T) {
	for _, tc := range []struct {
		name, token string
		args        []string
		want        []string
	}{
		{"helpdesk on an admin", mock.AuthAdminToken, []string{"email", "set", "megan.bowen@contoso.example", "m@contoso.example"},
			[]string{"UserAuthenticationMethod.ReadWrite.All", "Privileged Authentication Administrator", "auth status"}},
		{"helpdesk sets per-user MFA", mock.AuthAdminToken, []string{"mfa-state", "set", "adele.vance@contoso.example", "enabled"},
			[]string{"Policy.ReadWrite.AuthenticationMethod", "Authentication Policy Administrator"}},
		{"reports reader reads methods", mock.ReportsReaderToken, []string{"methods", "list", "adele.vance@contoso.example"},
			[]string{"UserAuthenticationMethod.Read.All", "Global Reader"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cli := newTestCLI(t)
			cli.token = tc.token
			code := cli.run(tc.args...)
			if code != 4 {
				t.Fatalf("exit %d, want 4: %s", code, cli.stderr)
			}
			msg := cli.stderr.String()
			if strings.Count(msg, "\n") != 1 {
				t.Errorf("not one line: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("lacks %q: %s", w, msg)
				}
			}
		})
	}
}
