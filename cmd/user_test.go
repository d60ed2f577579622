package cmd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/factory"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
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
		var got *UserShowOptions
		c := NewCmdUserShow(f, func(_ context.Context, o *UserShowOptions) error { got = o; return nil })
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
	tests := []struct {
		kinds    []string
		count    int
		warnings int
	}{
		{nil, 0, 1},
		{[]string{"password", "email", "temporaryAccessPass"}, 0, 1},
		{[]string{"password", "phone"}, 1, 2}, // single method, and SMS/voice only
		{[]string{"phone", "microsoftAuthenticator"}, 2, 0},
		{[]string{"fido2", "windowsHelloForBusiness", "softwareOath"}, 3, 0},
	}
	for _, tt := range tests {
		var ms []methodFixture
		for _, k := range tt.kinds {
			ms = append(ms, methodFixture(k))
		}
		v := buildUserView(userFixture(), toMethods(ms), methods.SignInPreferences{}, "")
		if v.MFAMethodCount != tt.count || len(v.Warnings) != tt.warnings || v.MeetsTwoMethods != (tt.count >= 2) {
			t.Errorf("%v: count %d warnings %v", tt.kinds, v.MFAMethodCount, v.Warnings)
		}
	}
}
