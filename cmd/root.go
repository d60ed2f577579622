// Package cmd holds mfactl's Cobra commands: one file per noun, each verb a
// constructor NewCmdX(f, runF) that parses flags into an options struct and
// a private run function that does the work.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/buildinfo"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/factory"
	"github.com/mfactl/mfactl/internal/iostreams"
)

// Main runs mfactl with the process's arguments and streams and returns the
// exit code.
func Main() int {
	ios := iostreams.System()
	f := factory.New(ios, buildinfo.Get().Version)
	ctx, stop := signalContext(context.Background())
	defer stop()
	return Execute(ctx, f, os.Args[1:])
}

// signalContext is canceled by SIGINT or SIGTERM, with the signal as its
// cause (cmdutil.Interrupted), so the exit code says which one: 130 for
// SIGINT, 143 for SIGTERM. Later signals are caught and ignored until
// stop, as with signal.NotifyContext.
func signalContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			cancel(cmdutil.Interrupted(s))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// Execute runs the command line args with factory f and returns the exit
// code, printing any error as one line on stderr.
func Execute(ctx context.Context, f *cmdutil.Factory, args []string) int {
	hook := installAudit(f)
	root := NewCmdRoot(f)
	hook.bind(root, args)
	root.SetArgs(args)
	c, err := root.ExecuteContextC(ctx)
	err = withAdviceHint(err)
	err = withPermissionHint(f, c, err)
	err = hook.finish(ctx, c, args, err)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		err = withSignInHint(withRuleHint(err))
		if ctx.Err() != nil {
			// Interrupted: the signal decides the exit code, whatever the
			// command returned on its way out.
			err = errors.Join(cmdutil.InterruptCause(ctx), err)
		}
		cmdutil.PrintError(f.IOStreams.ErrOut, err)
		return cmdutil.ExitCodeOf(err)
	}
	return cmdutil.ExitOK
}

// NewCmdRoot builds the command tree.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "mfactl <command> <subcommand> [flags]",
		Short: "Manage and audit Microsoft Entra ID multi-factor authentication methods",
		Long: `mfactl manages the authentication methods of Microsoft Entra ID users through
Microsoft Graph: phones, Microsoft Authenticator, OATH tokens, email, FIDO2 and
Windows Hello, Temporary Access Passes and the default sign-in method. It runs the
same commands against real Graph, any Graph-compatible endpoint, or an embedded
mock tenant (--mock) that needs no tenant, no login and no network.`,
		Example: `  mfactl --mock user show adele.vance@contoso.example
  mfactl --mock methods list diego.siciliani@contoso.example -o json
  mfactl mock serve --addr 127.0.0.1:8080`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       buildinfo.Get().Version,
	}
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	root.SetIn(f.IOStreams.In)
	root.SetVersionTemplate(buildinfo.Get().String() + "\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return cmdutil.FlagErrorWrap(err) })
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		if err := checkOutputFormat(f, c); err != nil {
			return err
		}
		return auditPreRun(f, c)
	}
	f.MockStateWait = func(path string, h fmt.Stringer) {
		f.IOStreams.Notef("waiting for the mock state %s: %s is using it (another --mock command, which lets go between its requests); `mfactl mock serve` with --endpoint shares one mock tenant between terminals without this wait", path, h)
	}

	pf := root.PersistentFlags()
	pf.Bool("mock", false, "use the embedded mock tenant (no login, no network); MFACTL_MOCK=1")
	pf.String("mock-state", "", "file of the embedded mock's state (default under the user's state directory; another file's directory must exist, or create it with 'mock seed --state'); MFACTL_MOCK_STATE")
	pf.String("endpoint", "", "root `URL` of a Graph-compatible server such as 'mfactl mock serve', used with MFACTL_TOKEN")
	pf.String("ca-cert", "", "PEM `file` of certificates to trust for HTTPS besides the system's, for Graph and sign-in (a TLS-inspecting proxy, `mock serve --tls`); MFACTL_CA_CERT")
	pf.String("profile", "", "configuration profile to use; MFACTL_PROFILE")
	pf.StringP("output", "o", "", "output format: table, json, yaml or csv, and md where a command offers it (default table)")
	pf.Bool("debug", false, "trace HTTP requests to stderr (tokens and secrets redacted)")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json", "yaml", "csv", "md"}, cobra.ShellCompDirectiveNoFileComp))
	f.BindFlags(pf)

	root.AddGroup(
		&cobra.Group{ID: "users", Title: "Users and methods:"},
		&cobra.Group{ID: "methods", Title: "Method types:"},
		&cobra.Group{ID: "account", Title: "Sessions and passwords:"},
		&cobra.Group{ID: "helpdesk", Title: "Helpdesk and audit:"},
		&cobra.Group{ID: "reports", Title: "Reports:"},
		&cobra.Group{ID: "mock", Title: "Offline tenant:"},
		&cobra.Group{ID: "setup", Title: "Setup:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add("users", NewCmdUser(f), NewCmdMethods(f), NewCmdBulk(f))
	add("methods", NewCmdPhone(f), NewCmdAuthenticator(f), NewCmdOath(f), NewCmdEmail(f), NewCmdFido2(f),
		NewCmdWHfB(f), NewCmdPlatform(f), NewCmdTAP(f), NewCmdDefault(f), NewCmdMFAState(f))
	add("methods", NewCmdToken(f))
	add("account", NewCmdSessions(f), NewCmdPassword(f))
	add("helpdesk", NewCmdReset(f, nil), NewCmdAudit(f))
	report := NewCmdReport(f)
	readsOwnOutput(report) // a report's formats (html) are its own: reportFormat
	add("reports", report)
	add("mock", NewCmdMock(f), NewCmdVerify(f, nil), NewCmdEnroll(f))
	add("setup", NewCmdAuth(f), NewCmdConfig(f), NewCmdVersion(f, nil))
	root.SetCompletionCommandGroupID("setup")
	root.SetHelpCommandGroupID("setup")
	refuseUnknownSubcommands(root)
	return root
}

// refuseUnknownSubcommands makes every noun (a command with subcommands and
// no action of its own) show its help when called alone and refuse an
// unknown subcommand with exit code 2: Cobra's default prints the help and
// exits 0 for `mfactl phone nosuch`, and exits 1 for `mfactl nosuch`.
func refuseUnknownSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		refuseUnknownSubcommands(sub)
	}
	if !c.HasSubCommands() || c.Run != nil || c.RunE != nil {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += fmt.Sprintf(" (did you mean %q?)", s[0])
		}
		return cmdutil.FlagErrorf("%s; run `%s --help` for its commands", msg, c.CommandPath())
	}
}
