package cmd

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/factory"
	"github.com/mfactl/mfactl/internal/iostreams"
)

// Cobra's required flags and flag groups fail with a plain error, which
// exits 1 and reads "required flag(s) ... not set" or "if any flags in the
// group ...": usage errors must exit 2 with mfactl's own message, so no
// command may use them (check the flags in the command's run instead).
func TestNoCobraFlagGroups(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewCmdRoot(factory.New(ios, "test"))
	annotations := []string{
		cobra.BashCompOneRequiredFlag,
		"cobra_annotation_required_if_others_set",
		"cobra_annotation_one_required",
		"cobra_annotation_mutually_exclusive",
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(fl *pflag.Flag) {
			for _, a := range annotations {
				if _, ok := fl.Annotations[a]; ok {
					t.Errorf("%s --%s uses Cobra's %s: check it in the command and return a FlagError (exit 2)", c.CommandPath(), fl.Name, a)
				}
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// pflag shows the first `backquoted` word of a flag's usage as its value's
// name (--out file): a backquoted command name in the usage text made
// `--plan bulk apply` in audit log's --help. A value name is one word.
func TestFlagValueNamesAreOneWord(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewCmdRoot(factory.New(ios, "test"))
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(fl *pflag.Flag) {
			if name, _ := pflag.UnquoteUsage(fl); strings.ContainsAny(name, " \t") {
				t.Errorf("%s --%s shows its value as %q: backquote one word of its usage (the value's name), not a phrase", c.CommandPath(), fl.Name, name)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func TestFlagCombinationErrorsExit2(t *testing.T) {
	cli := newTestCLI(t)
	before := cli.state()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"phone", "remove", johannaUPN, "--yes"}, "phone remove needs --type mobile, alternateMobile or office"},
		{[]string{"reset", adeleUPN, "--all", "--method", "mobile", "--yes"}, "exactly one of --lost-device NAME, --method ID and --all"},
		{[]string{"reset", adeleUPN, "--lost-device", "iPhone 15", "--all", "--yes"}, "exactly one of --lost-device NAME, --method ID and --all"},
	}
	for _, tt := range tests {
		cli.fails(cmdutil.ExitUsage, []string{tt.want}, tt.args...)
	}
	if string(before) != string(cli.state()) {
		t.Fatal("a refused command changed the tenant")
	}
}
