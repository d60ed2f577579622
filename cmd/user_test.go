package cmd

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/factory"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
	"github.com/mfactl/mfactl/reports"
)

func TestUserShowFlagParsing(t *testing.T) {
	tests := []struct {
		args     []string
		wantUser string
		wantCode int
	}{
		{[]string{"adele@contoso.example"}, "adele@contoso.example", 0},
		{[]string{"5f0c1d2e-1111-4222-8333-444455556666"}, "5f0c1d2e-1111-4222-8333-444455556666", 0},
		{[]string{}, "", 2},
		{[]string{"a@b", "c@d"}, "", 2},
		{[]string{"a@b", "--nope"}, "", 2},
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		f := factory.New(ios, "test")
		var got *UserReadOptions
		c := NewCmdUserShow(f, func(_ context.Context, o *UserReadOptions) error { got = o; return nil })
		c.SetArgs(tt.args)
		c.SetOut(ios.Out)
		c.SetErr(ios.ErrOut)
		c.SetFlagErrorFunc(func(_ *cobraCommand, err error) error { return cmdutil.FlagErrorWrap(err) })
		err := c.Execute()
		if code := cmdutil.ExitCodeOf(err); code != tt.wantCode {
			t.Errorf("%v: exit %d, want %d (%v)", tt.args, code, tt.wantCode, err)
			continue
		}
		if tt.wantCode == 0 && got.User != tt.wantUser {
			t.Errorf("%v: user %q", tt.args, got.User)
		}
	}
}

func TestUserShowInProcess(t *testing.T) {
	cli := newTestCLI(t)
	if code := cli.run("user", "show", "megan.bowen@contoso.example", "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	var v userView
	if err := json.Unmarshal(cli.stdout.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v.MFAMethodCount != 2 || !v.MeetsTwoMethods || len(v.Warnings) != 0 {
		t.Errorf("megan: %+v", v)
	}
	if code := cli.run("user", "show", "megan.bowen@contoso.example", "-o", "csv"); code != 0 || !strings.HasPrefix(cli.stdout.String(), "type,detail,created,id\n") {
		t.Errorf("csv: %d %q", code, cli.stdout)
	}
	if code := cli.run("user", "show", "megan.bowen@contoso.example", "-o", "yaml"); code != 0 || !strings.Contains(cli.stdout.String(), "userPrincipalName: megan.bowen@contoso.example") {
		t.Errorf("yaml: %d %q", code, cli.stdout)
	}
}

func TestRoleErrorsExit4WithHint(t *testing.T) {
	cli := newTestCLI(t)
	cli.token = mock.ReportsReaderToken
	code := cli.run("methods", "list", "adele.vance@contoso.example")
	if code != 4 || !strings.Contains(cli.stderr.String(), "Global Reader") {
		t.Errorf("exit %d: %s", code, cli.stderr)
	}
	cli.token = "bogus"
	if code := cli.run("user", "show", "adele.vance@contoso.example"); code != 4 || !strings.Contains(cli.stderr.String(), "auth login") {
		t.Errorf("bogus token: exit %d: %s", code, cli.stderr)
	}
}

func TestBuildUserViewWarnings(t *testing.T) {
	failed := methods.Method{ID: "hw", Kind: methods.KindHardwareOath, Token: &methods.HardwareToken{SerialNumber: "S1", Status: methods.TokenFailedActivation}}
	phone := methods.Method{ID: "m", Kind: methods.KindPhone, PhoneType: methods.PhoneMobile}
	tests := []struct {
		name     string
		ms       []methods.Method
		admin    bool
		pref     methods.DefaultMethod
		count    int
		findings []reports.FindingID
		def      methods.DefaultMethod
		warnings int
	}{
		{"nothing", nil, false, "", 0, []reports.FindingID{reports.FindingNoMFA}, "", 1},
		{"email and a TAP", toMethods([]methodFixture{"password", "email", "temporaryAccessPass"}), false, "", 0,
			[]reports.FindingID{reports.FindingNoMFA, reports.FindingTemporaryAccessPass}, "", 2},
		{"one phone", toMethods([]methodFixture{"password", "phone"}), false, "", 1,
			[]reports.FindingID{reports.FindingSingleMFA, reports.FindingSMSVoiceOnly}, "", 2},
		{"phone and app", toMethods([]methodFixture{"phone", "microsoftAuthenticator"}), false, "", 2, []reports.FindingID{}, "", 0},
		{"strong", toMethods([]methodFixture{"fido2", "windowsHelloForBusiness", "softwareOath"}), false, "", 3, []reports.FindingID{}, "", 0},
		{"admin on the app", toMethods([]methodFixture{"phone", "microsoftAuthenticator"}), true, "push", 2,
			[]reports.FindingID{reports.FindingAdminNoPhishResistant}, "push", 1},
		// A token whose activation failed is no method and delivers no
		// default: the phone alone is left, and oath is no default.
		{"failed token", []methods.Method{phone, failed}, false, methods.DefaultOath, 1,
			[]reports.FindingID{reports.FindingSingleMFA, reports.FindingSMSVoiceOnly}, "", 4},
	}
	for _, tt := range tests {
		v := buildUserView(userFixture(), tt.admin, tt.ms, methods.SignInPreferences{UserPreferred: tt.pref}, "")
		if v.MFAMethodCount != tt.count || len(v.Warnings) != tt.warnings || v.MeetsTwoMethods != (tt.count >= 2) ||
			v.Coverage.IsAdmin != tt.admin || !slices.Equal(v.Coverage.Findings, tt.findings) || v.Coverage.DefaultMethod != string(tt.def) {
			t.Errorf("%s: count %d admin %v findings %v default %q warnings %q", tt.name, v.MFAMethodCount, v.Coverage.IsAdmin, v.Coverage.Findings, v.Coverage.DefaultMethod, v.Warnings)
		}
	}
}
