package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/config"
	"github.com/mfactl/mfactl/internal/factory"
)

// NewCmdAuth groups sign-in commands for real Microsoft Graph.
func NewCmdAuth(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "auth <command>",
		Short: "Sign in to Microsoft Graph, show who you are signed in as, sign out",
		Long: `mfactl signs in with azidentity. Choose the method with --auth (or MFACTL_AUTH, or
"auth" in the config file):

  device-code         a code to enter at https://microsoft.com/devicelogin (default; works over SSH)
  browser             the system browser (your own client-id needs http://localhost as a redirect
                      URI, or redirect-url set to the one registered)
  client-secret       an app registration's secret (tenant-id, client-id, client-secret)
  client-certificate  an app registration's certificate (PEM or PFX, OpenSSL 3's included:
                      client-certificate, client-certificate-password)
  workload-identity   a federated token file (AKS workload identity, GitHub Actions OIDC):
                      AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID, AZURE_CLIENT_ID
  azure-cli           the account of "az login"
  managed-identity    the Azure managed identity of this machine (managed-identity-client-id for a user-assigned one)
  environment         AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH
                      or AZURE_FEDERATED_TOKEN_FILE

With one of those AZURE_* credentials set and no method chosen, mfactl uses the
environment. "cloud" selects the deployment: global (default), usgov (GCC High),
usgovdod (DoD) or china; it sets the sign-in authority, the Graph root and the scope.

"auth login" signs in and saves the profile's sign-in (method, cloud, tenant,
client and, for a person, the account; never a secret) so that every later command
builds the same credential and reuses the cached token without prompting. Each
profile has its own token cache, removed by "auth logout". Where the OS has no
secure token cache (some containers) a person signs in once per process.`,
	}
	c.AddCommand(newCmdAuthLogin(f), newCmdAuthStatus(f), newCmdAuthLogout(f))
	return c
}

func addAuthFlags(c *cobra.Command) {
	c.Flags().String(config.KeyAuth, "", "sign-in method: "+strings.Join(graph.AuthMethods, ", "))
	c.Flags().String(config.KeyTenantID, "", "tenant id or domain (MFACTL_TENANT_ID or AZURE_TENANT_ID)")
	c.Flags().String(config.KeyClientID, "", "application (client) id of your app registration (MFACTL_CLIENT_ID or AZURE_CLIENT_ID)")
	c.Flags().String(config.KeyCloud, "", "Microsoft cloud: "+strings.Join(graph.CloudNames(), ", ")+" (MFACTL_CLOUD; default global)")
	_ = c.RegisterFlagCompletionFunc(config.KeyAuth, cobra.FixedCompletions(graph.AuthMethods, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc(config.KeyCloud, cobra.FixedCompletions(graph.CloudNames(), cobra.ShellCompDirectiveNoFileComp))
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

// authOptions are the credential options of an auth command, with a bad
// method or cloud refused as usage (nothing was tried).
func authOptions(f *cmdutil.Factory, cfg *config.Config, fresh bool) (graph.CredentialOptions, error) {
	opts, err := factory.CredentialOptions(f.IOStreams, cfg)
	if err != nil {
		return opts, err
	}
	if _, err := graph.Resolve(opts, fresh); err != nil {
		var damaged *graph.DamagedSessionError
		if errors.As(err, &damaged) {
			return opts, cmdutil.WithExit(cmdutil.ExitAuth, err, "run `mfactl auth logout` and `mfactl auth login`")
		}
		return opts, cmdutil.FlagErrorWrap(err)
	}
	return opts, nil
}

func newCmdAuthLogin(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "login",
		Short: "Sign in to Microsoft Graph and remember how, for this profile",
		Example: `  mfactl auth login --tenant-id contoso.onmicrosoft.com --client-id <app id>   # [real tenant]
  mfactl auth login --auth client-secret   # with MFACTL_CLIENT_SECRET set [real tenant]
  mfactl auth login --cloud usgov --tenant-id contoso.onmicrosoft.us --client-id <app id>   # [real tenant]`,
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
			opts, err := authOptions(f, cfg, true)
			if err != nil {
				return err
			}
			acct, warning, err := graph.Login(cmd.Context(), opts)
			if warning != "" {
				f.IOStreams.Warnf("%s", warning)
			}
			if err != nil {
				var sf *graph.SignInFailure
				var ce *graph.CertificateError
				if errors.As(err, &sf) || errors.As(err, &ce) {
					return cmdutil.WithExit(cmdutil.ExitAuth, err, "check tenant-id, client-id, the credential and the app's permissions (UserAuthenticationMethod.ReadWrite.All)")
				}
				return cmdutil.WithExit(cmdutil.ExitAuth, fmt.Errorf("sign-in failed: %w", err), "see `mfactl auth --help`")
			}
			who := acct.Username
			if who == "" {
				who = "application " + acct.ClientID
			}
			fmt.Fprintf(f.IOStreams.Out, "signed in as %s (tenant %s, %s, cloud %s)\n", who, acct.TenantID, acct.Method, acct.Cloud)
			return nil
		},
	}
	addAuthFlags(c)
	return c
}

type authStatus struct {
	Profile  string         `json:"profile"`
	Backend  string         `json:"backend"`
	Method   string         `json:"method"`
	SignedIn bool           `json:"signedIn"`
	Account  *graph.Account `json:"account,omitempty"`
	// Problem is why no token can be obtained silently.
	Problem  string            `json:"problem,omitempty"`
	Settings map[string]string `json:"settings"`
	// Access is what the token holds and what Graph will refuse
	// (auth_permissions.go).
	Access *accessReport `json:"access,omitempty"`
}

// statusTimeout bounds the silent token request of `auth status`.
const statusTimeout = 30 * time.Second

func newCmdAuthStatus(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "status",
		Short: "Show how mfactl signs in and as whom (signed in = a token comes without prompting)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := authConfig(cmd)
			if err != nil {
				return err
			}
			st := authStatus{Profile: cfg.Profile, Settings: map[string]string{}}
			for _, k := range []string{config.KeyTenantID, config.KeyClientID, config.KeyClientSecret, config.KeyCertificate, config.KeyCloud} {
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
				opts, err := authOptions(f, cfg, false)
				if err != nil {
					return err
				}
				r, _ := graph.Resolve(opts, false)
				st.Backend, st.Method = "Microsoft Graph "+r.Cloud.GraphRoot, r.Method
				ctx, cancel := context.WithTimeout(cmd.Context(), statusTimeout)
				acct, err := graph.Probe(ctx, opts)
				cancel()
				st.Account = &acct
				if err != nil {
					st.Problem = statusProblem(err)
				} else {
					st.SignedIn = true
				}
			}
			printer, err := f.Printer()
			if err != nil {
				return err
			}
			if st.SignedIn {
				st.Access = readAccess(cmd.Context(), f)
			}
			if printer.Format == "json" || printer.Format == "yaml" {
				if err := printer.Print(st); err != nil {
					return err
				}
			} else {
				printAuthStatus(f.IOStreams.Out, st)
				printAccess(f.IOStreams.Out, st.Access)
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

// statusProblem says in one line why no token came silently.
func statusProblem(err error) string {
	if graph.IsNotSignedIn(err) {
		return "not signed in; run `mfactl auth login`"
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if hint := hintOf(withSignInHint(err)); hint != "" {
		msg += "; " + hint
	}
	return msg
}

func printAuthStatus(w io.Writer, st authStatus) {
	fmt.Fprintf(w, "profile:   %s\nbackend:   %s\nsign-in:   %s\n", st.Profile, st.Backend, st.Method)
	for _, k := range []string{config.KeyTenantID, config.KeyClientID, config.KeyClientSecret, config.KeyCertificate, config.KeyCloud} {
		if v, ok := st.Settings[k]; ok {
			fmt.Fprintf(w, "%-10s %s\n", k+":", v)
		}
	}
	if a := st.Account; a != nil {
		who := a.Username
		if who == "" && a.ClientID != "" {
			who = "application " + a.ClientID
		}
		if who != "" || a.TenantID != "" {
			fmt.Fprintf(w, "account:   %s (tenant %s)\n", dash(who), dash(a.TenantID))
		}
	}
	switch {
	case st.SignedIn && st.Account != nil && st.Account.TokenExpires != nil:
		fmt.Fprintf(w, "status:    signed in (a token was obtained silently; it expires %s)\n", st.Account.TokenExpires.Format(time.RFC3339))
	case st.SignedIn:
		fmt.Fprintln(w, "status:    signed in")
	default:
		fmt.Fprintf(w, "status:    %s\n", st.Problem)
	}
}

func newCmdAuthLogout(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Forget this profile's sign-in and remove its cached tokens",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			had, err := graph.Logout(graph.CredentialOptions{Profile: cfg.Profile, RecordPath: cmdutil.RecordPath(cfg.Profile)})
			if err != nil {
				return err
			}
			if had {
				fmt.Fprintf(f.IOStreams.Out, "signed out of profile %s (its saved sign-in and token cache removed)\n", cfg.Profile)
			} else {
				fmt.Fprintf(f.IOStreams.Out, "profile %s was not signed in (its token cache, if any, removed)\n", cfg.Profile)
			}
			return nil
		},
	}
}
