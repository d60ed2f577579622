package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/factory"
	"github.com/mfactl/mfactl/internal/iostreams"
)

// An unknown sign-in method is bad input (exit 2), not a failed sign-in
// (exit 4), and nothing is tried with it.
func TestUnknownAuthMethodIsUsage(t *testing.T) {
	t.Setenv("MFACTL_CONFIG", t.TempDir()+"/config.yaml")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	for _, tt := range []struct {
		env  string
		args []string
	}{
		{"", []string{"auth", "login", "--auth", "password"}},
		{"password", []string{"user", "show", "adele@contoso.example"}},
	} {
		t.Setenv("MFACTL_AUTH", tt.env)
		ios, _, _, errOut := iostreams.Test()
		code := Execute(context.Background(), factory.New(ios, "test"), tt.args)
		if code != cmdutil.ExitUsage || !strings.Contains(errOut.String(), `unknown auth method "password" (want one of device-code, browser,`) || strings.Contains(errOut.String(), "sign-in failed") {
			t.Errorf("%v (MFACTL_AUTH=%q): exit %d\n%s", tt.args, tt.env, code, errOut)
		}
	}
}
