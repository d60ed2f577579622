package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./reports -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./reports -update after checking the change)\n--- got:\n%s", name, got)
	}
}

var fixtureTime = time.Date(2026, 3, 31, 9, 30, 0, 0, time.UTC)

// fixtureUsers is a small tenant covering every class and finding, with
// hostile display names to check the escaping of every format.
func fixtureUsers() []UserInput {
	on, off := true, false
	user := func(id, upn, name, typ string, enabled *bool) methods.User {
		return methods.User{ID: id, UserPrincipalName: upn, DisplayName: name, UserType: typ, AccountEnabled: enabled}
	}
	reg := func(u methods.User, admin bool, registered []string, preferred string) UserInput {
		d := RegistrationDetails{ID: u.ID, UserPrincipalName: u.UserPrincipalName, UserDisplayName: u.DisplayName,
			UserType: u.UserType, IsAdmin: admin, MethodsRegistered: registered, UserPreferred: preferred}
		in, _ := d.Input(u.AccountEnabled)
		return in
	}
	meth := func(u methods.User, admin bool, def methods.DefaultMethod, ms ...methods.Method) UserInput {
		return UserInput{User: u, IsAdmin: admin, Methods: ms, Default: def, Source: SourceMethods}
	}
	return []UserInput{
		reg(user("11111111-0000-0000-0000-000000000001", "alice@contoso.example", "Alice Admin", "member", &on), true,
			[]string{"password", "fido2", "microsoftAuthenticatorPush", "mobilePhone"}, "push"),
		reg(user("11111111-0000-0000-0000-000000000002", "bob@contoso.example", "Bob SMS", "member", &on), false,
			[]string{"password", "mobilePhone"}, "sms"),
		reg(user("11111111-0000-0000-0000-000000000003", "carol_contoso.example#EXT#@contoso.example", "Carol Guest", "guest", &on), false,
			[]string{"microsoftAuthenticatorPush", "softwareOneTimePasscode"}, "oath"),
		meth(user("11111111-0000-0000-0000-000000000004", "dave@contoso.example", "Dave Disabled", "Member", &off), false, methods.DefaultVoiceOffice,
			kind(methods.KindPassword), kind(methods.KindEmail), phone(methods.PhoneOffice)),
		meth(user("11111111-0000-0000-0000-000000000005", "eve@contoso.example", "Eve Nothing", "Member", &on), false, "",
			kind(methods.KindPassword)),
		meth(user("11111111-0000-0000-0000-000000000006", "frank@contoso.example", "Frank Admin", "Member", &on), true, methods.DefaultPush,
			kind(methods.KindAuthenticator), phone(methods.PhoneMobile), kind(methods.KindTemporaryAccess)),
		meth(user("11111111-0000-0000-0000-000000000007", "=HYPERLINK(1)@contoso.example", `<script>alert("x")</script> | *bold* [link](https://evil.example)`, "Member", &on), false, "",
			kind(methods.KindTemporaryAccess)),
		meth(user("11111111-0000-0000-0000-000000000008", "grace@contoso.example", "Grace O'Hello & Co", "Member", &on), false, methods.DefaultOath,
			kind(methods.KindWindowsHello), kind(methods.KindHardwareOath), kind(methods.KindEmail)),
	}
}

func fixtureTokens() []methods.HardwareToken {
	return []methods.HardwareToken{
		{ID: "tok-1", SerialNumber: "TOTP0001", Manufacturer: "Contoso", Model: "Hardware Token 1000", Status: methods.TokenActivated, AssignedTo: &methods.Identity{ID: "11111111-0000-0000-0000-000000000008"}},
		{ID: "tok-2", SerialNumber: "TOTP0002", Manufacturer: "Contoso", Model: "Hardware Token 1000", Status: methods.TokenAvailable},
		{ID: "tok-3", SerialNumber: "TOTP0003", Manufacturer: "Contoso", Model: "Hardware Token 2000", Status: methods.TokenAssigned, AssignedTo: &methods.Identity{ID: "x"}},
		{ID: "tok-4", SerialNumber: "FAB-77", Manufacturer: "Fabrikam", Model: "OTP <6>", Status: methods.TokenFailedActivation, AssignedTo: &methods.Identity{ID: "y"}},
		{ID: "tok-5", SerialNumber: "TOTP0005", Manufacturer: "Contoso", Model: "Hardware Token 1000", Status: methods.TokenAvailable},
	}
}

func seqOf[T any](items []T) func(func(T, error) bool) {
	return func(yield func(T, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}
}

func fixtureOptions(f Format) CoverageOptions {
	return CoverageOptions{
		Format: f, SampleLimit: 1, GeneratedAt: fixtureTime,
		SourceScopes: map[string]string{SourceRegistration: "enabled members and guests", SourceMethods: "disabled users and users missing from the report"},
		TempDir:      os.TempDir(),
	}
}

// renderFixture renders the fixture tenant in format f.
func renderFixture(t *testing.T, f Format, tokens bool) ([]byte, Summary) {
	t.Helper()
	var buf bytes.Buffer
	var toks func(func(methods.HardwareToken, error) bool)
	if tokens {
		toks = seqOf(fixtureTokens())
	}
	s, err := WriteCoverage(t.Context(), &buf, seqOf(fixtureUsers()), toks, fixtureOptions(f))
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), s
}

func TestCoverageGolden(t *testing.T) {
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			got, _ := renderFixture(t, f, true)
			golden(t, "coverage."+string(f)+".golden", got)
		})
	}
}

func TestCoverageGoldenEmpty(t *testing.T) {
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := WriteCoverage(t.Context(), &buf, seqOf([]UserInput(nil)), nil, CoverageOptions{Format: f, GeneratedAt: fixtureTime}); err != nil {
				t.Fatal(err)
			}
			golden(t, "coverage-empty."+string(f)+".golden", buf.Bytes())
		})
	}
}
