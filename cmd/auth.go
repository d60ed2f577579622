package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/config"
)

// NewCmdAuth groups sign-in commands for real Microsoft Graph.
func NewCmdAuth(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "auth <command>",
		Short: "Sign in to Microsoft Graph, show who you are signed in as, sign out",
		Long: `mfactl signs in with azidentity. Choose the method with --auth (or MFACTL_AUTH, or
"auth" in the config file):

  device-code         a code to enter at https://microsoft.com/devicelogin (default; works over SSH)
  browser             the system browser (needs redirect-url with your own client-id)
  client-secret       an app registration's secret (tenant-id, client-id, client-secret)
  client-certificate  an app registration's certificate (PEM or PFX: client-certificate)
  azure-cli           the account of "az login"
  managed-identity    the Azure managed identity of this machine (managed-identity-client-id for a user-assigned one)
  environment         AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH

With AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH set and no method chosen,
mfactl uses the environment. "auth login" saves the interactive sign-in's
authentication record (no secret) so later runs reuse the cached token instead of
prompting; where the OS has no secure token cache (some containers) you sign in
once per process.`,
	}
	c.AddCommand(newCmdAuthLogin(f), newCmdAuthStatus(f), newCmdAuthLogout(f))
	return c
}

func addAuthFlags(c *cobra.Command) {
	c.Flags().String(config.KeyAuth, "", "sign-in method: "+strings.Join(graph.AuthMethods, ", "))
	c.Flags().String(config.KeyTenantID, "", "tenant id or domain (MFACTL_TENANT_ID or AZURE_TENANT_ID)")
	c.Flags().String(config.KeyClientID, "", "application (client) id of your app registration (MFACTL_CLIENT_ID or AZURE_CLIENT_ID)")
	_ = c.RegisterFlagCompletionFunc(config.KeyAuth, cobra.FixedCompletions(graph.AuthMethods, cobra.ShellCompDirectiveNoFileComp))
}

// authConfig loads the configuration with the auth command's own flags,
// which override the persistent ones.
func authConfig(cmd *cobra.Command) (*config.Config, error) {
	fs := cmd.Flags()
	cfg, err := config.Load(fs)
	if err != nil {
		return nil, cmdutil.WithExit(cmdutil.ExitUsage, err, "")
	}
	return cfg, nil
}

func newCmdAuthLogin(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "login",
		Short: "Sign in to Microsoft Graph and remember the account",
		Example: `  mfactl auth login --tenant-id contoso.onmicrosoft.com --client-id <app id>   # [real tenant]
  mfactl auth login --auth client-secret   # with MFACTL_CLIENT_SECRET set [real tenant]`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := authConfig(cmd)
			if err != nil {
				return err
			}
			if cfg.Mock || cfg.Endpoint != "" {
				fmt.Fprintln(f.IOStreams.ErrOut, "nothing to sign in to: --mock and --endpoint use a static bearer token (MFACTL_TOKEN)")
				return nil
			}
			opts := f.CredentialOptions(cfg)
			if _, err := graph.ResolveMethod(opts); err != nil {
				return cmdutil.FlagErrorWrap(err) // a bad --auth value: nothing was tried
			}
			acct, warning, err := graph.Login(cmd.Context(), opts)
			if warning != "" {
				f.IOStreams.Warnf("%s", warning)
			}
			if err != nil {
				return cmdutil.WithExit(cmdutil.ExitAuth, fmt.Errorf("sign-in failed: %s", firstLine(err.Error())), "check tenant-id, client-id and the app's permissions (UserAuthenticationMethod.ReadWrite.All)")
			}
			who := acct.Username
			if who == "" {
				who = "application " + acct.ClientID
			}
			fmt.Fprintf(f.IOStreams.Out, "signed in as %s (tenant %s, %s)\n", who, acct.TenantID, acct.Method)
			return nil
		},
	}
	addAuthFlags(c)
	return c
}

type authStatus struct {
	Profile  string            `json:"profile"`
	Backend  string            `json:"backend"`
	Method   string            `json:"method"`
	SignedIn bool              `json:"signedIn"`
	Account  *graph.Account    `json:"account,omitempty"`
	Settings map[string]string `json:"settings"`
}

func newCmdAuthStatus(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "status",
		Short: "Show how mfactl signs in and as whom",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := authConfig(cmd)
			if err != nil {
				return err
			}
			st := authStatus{Profile: cfg.Profile, Settings: map[string]string{}}
			for _, k := range []string{config.KeyTenantID, config.KeyClientID, config.KeyClientSecret, config.KeyCertificate} {
				if v := cfg.Redacted()[k]; v != "" {
					st.Settings[k] = v
				}
			}
			switch {
			case cfg.Mock:
				st.Backend, st.Method, st.SignedIn = "in-process mock ("+cfg.MockState+")", "static token", true
			case cfg.Endpoint != "":
				st.Backend, st.Method, st.SignedIn = "endpoint "+cfg.Endpoint, "static token", cfg.Token != ""
			default:
				opts := f.CredentialOptions(cfg)
				method, err := graph.ResolveMethod(opts)
				if err != nil {
					return cmdutil.FlagErrorWrap(err)
				}
				st.Backend, st.Method = "Microsoft Graph "+graph.PublicCloudRoot, method
				if graph.IsInteractive(method) {
					acct, ok, err := graph.RecordAccount(opts.RecordPath)
					if err != nil {
						return err
					}
					if ok {
						acct.Method = method
						st.Account, st.SignedIn = &acct, true
					}
				} else {
					// App credentials sign in on demand; nothing to remember.
					st.SignedIn = true
				}
			}
			printer, err := f.Printer()
			if err != nil {
				return err
			}
			if printer.Format == "json" || printer.Format == "yaml" {
				if err := printer.Print(st); err != nil {
					return err
				}
			} else {
				printAuthStatus(f.IOStreams.Out, st)
			}
			if !st.SignedIn {
				return cmdutil.WithExit(cmdutil.ExitAuth, cmdutil.ErrSilent, "")
			}
			return nil
		},
	}
	addAuthFlags(c)
	return c
}

func printAuthStatus(w io.Writer, st authStatus) {
	fmt.Fprintf(w, "profile:   %s\nbackend:   %s\nsign-in:   %s\n", st.Profile, st.Backend, st.Method)
	for _, k := range []string{config.KeyTenantID, config.KeyClientID, config.KeyClientSecret, config.KeyCertificate} {
		if v, ok := st.Settings[k]; ok {
			fmt.Fprintf(w, "%-10s %s\n", k+":", v)
		}
	}
	switch {
	case st.Account != nil:
		fmt.Fprintf(w, "account:   %s (tenant %s)\n", st.Account.Username, st.Account.TenantID)
	case !st.SignedIn:
		fmt.Fprintln(w, "account:   not signed in; run `mfactl auth login`")
	}
}

func newCmdAuthLogout(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Forget the signed-in account of this profile",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			path := cmdutil.RecordPath(cfg.Profile)
			_, ok, _ := graph.LoadRecord(path)
			if err := graph.RemoveRecord(path); err != nil {
				return err
			}
			if ok {
				fmt.Fprintf(f.IOStreams.Out, "signed out of profile %s\n", cfg.Profile)
			} else {
				fmt.Fprintf(f.IOStreams.Out, "profile %s was not signed in\n", cfg.Profile)
			}
			return nil
		},
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
