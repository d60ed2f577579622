package cmd

import (
	"os"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/internal/cmdutil"
)

func TestConfigSetCreatesProfilesAndRefusesBadValues(t *testing.T) {
	cli := newTestCLI(t)
	path := os.Getenv("MFACTL_CONFIG")
	// The help's own examples, on a fresh machine: a new profile is made
	// by setting a key in it.
	cli.ok("config", "set", "tenant-id", "contoso.onmicrosoft.com", "--profile", "contoso")
	cli.ok("config", "set", "mock", "true", "--profile", "lab")
	if !strings.Contains(cli.stderr.String(), "set mock for profile lab in "+path) {
		t.Errorf("note: %s", cli.stderr)
	}
	cli.ok("config", "use", "lab")
	out := cli.ok("config", "show", "-o", "json")
	if !strings.Contains(out, `"profile": "lab"`) || !strings.Contains(out, `"mock": "true"`) {
		t.Errorf("config show after use lab:\n%s", out)
	}
	// Values that would stop every later command from starting.
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cli.fails(cmdutil.ExitUsage, []string{`unknown output format "xml"`}, "config", "set", "output", "xml")
	cli.fails(cmdutil.ExitUsage, []string{`mock takes true or false, not "yes please"`}, "config", "set", "mock", "yes please")
	cli.fails(cmdutil.ExitUsage, []string{`unknown auth method "password"`, "device-code"}, "config", "set", "auth", "password")
	cli.fails(cmdutil.ExitUsage, []string{`profile "nope" is not defined in ` + path + " (known: default, contoso, lab)", "config set <key> <value> --profile nope"}, "config", "use", "nope")
	// The key itself, set directly, is held to the same rule.
	cli.fails(cmdutil.ExitUsage, []string{`profile "nope" is not defined in ` + path}, "config", "set", "current-profile", "nope")
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("a refused setting changed the file:\n%s", after)
	}
	cli.ok("config", "show")
	// An empty value removes the key; default is always usable.
	cli.ok("config", "set", "mock", "", "--profile", "lab")
	cli.ok("config", "use", "default")
	cli.ok("config", "show")
	cli.ok("config", "set", "current-profile", "contoso")
	if out := cli.ok("config", "show", "-o", "json"); !strings.Contains(out, `"profile": "contoso"`) {
		t.Errorf("config show after set current-profile contoso:\n%s", out)
	}
}
