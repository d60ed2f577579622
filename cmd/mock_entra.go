package cmd

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/mock"
)

// entraInfo is what `mock serve --proxy` adds to its ready message.
type entraInfo struct {
	Proxy     string `json:"proxy"`
	CACert    string `json:"caCert,omitempty"`
	AppID     string `json:"appId"`
	AppSecret string `json:"appSecret,omitempty"`
	Tenant    string `json:"tenant"`
}

// isLoopbackAddr reports whether a listen address is on a loopback host.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// startEntraProxy enables the emulated Entra ID and its HTTPS proxy for
// `mock serve --proxy`, writes the CA where --ca-out says, and returns what
// to tell the user.
func startEntraProxy(opts *MockServeOptions, srv *mock.Server) (*mock.Proxy, *entraInfo, error) {
	if !isLoopbackAddr(opts.Proxy) {
		if !opts.ProxyAnyHost {
			return nil, nil, cmdutil.FlagErrorf("--proxy %s is not a loopback address: the proxy serves a tenant with well-known test tokens to anyone who can reach it; add --proxy-public to mean it", opts.Proxy)
		}
		opts.Factory.IOStreams.Warnf("the proxy listens on %s, beyond this machine: anyone who reaches it can use the emulated tenant", opts.Proxy)
	}
	app := mock.EntraApp{ID: opts.AppID, Secret: opts.AppSecret}
	if opts.AppCert != "" {
		b, err := os.ReadFile(opts.AppCert)
		if err != nil {
			return nil, nil, cmdutil.FlagErrorf("--app-cert: %v", err)
		}
		var block *pem.Block
		for rest := b; ; {
			block, rest = pem.Decode(rest)
			if block == nil || block.Type == "CERTIFICATE" {
				break
			}
		}
		if block == nil {
			return nil, nil, cmdutil.FlagErrorf("--app-cert %s holds no PEM certificate", opts.AppCert)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, nil, cmdutil.FlagErrorf("--app-cert %s: %v", opts.AppCert, err)
		}
		app.Certificate = c
	}
	e, err := srv.EnableEntra(app)
	if err != nil {
		return nil, nil, err
	}
	p, err := srv.StartProxy(opts.Proxy)
	if err != nil {
		return nil, nil, cmdutil.WithExit(cmdutil.ExitFailure, err, "pick another --proxy address, or stop what is listening there")
	}
	if opts.CAOut != "" {
		if err := os.WriteFile(opts.CAOut, p.CA.CertPEM, 0o644); err != nil {
			p.Close()
			return nil, nil, err
		}
	}
	a := e.App()
	info := &entraInfo{Proxy: p.URL(), CACert: opts.CAOut, AppID: a.ID, Tenant: mock.DemoDomain}
	if opts.AppSecret == "" {
		info.AppSecret = a.Secret // generated: shown once so it can be used
	}
	return p, info, nil
}

func printEntraInfo(w io.Writer, info *entraInfo) {
	fmt.Fprintf(w, "proxy:        %s (graph.microsoft.com and login.microsoftonline.com; nothing else)\n", info.Proxy)
	if info.CACert != "" {
		fmt.Fprintf(w, "proxy CA:     %s\n", info.CACert)
	} else {
		fmt.Fprintln(w, "proxy CA:     kept in the state, not written (add --ca-out FILE for clients to trust it)")
	}
	fmt.Fprintf(w, "app:          %s", info.AppID)
	if info.AppSecret != "" {
		fmt.Fprintf(w, " (secret %s)", info.AppSecret)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "sign in with: HTTPS_PROXY=%s SSL_CERT_FILE=%s mfactl auth login --auth client-secret --tenant-id %s --client-id %s\n", info.Proxy, dash(info.CACert), info.Tenant, info.AppID)
}

// NewCmdMockSignin groups the emulated Entra ID's user-side commands.
func NewCmdMockSignin(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "signin <command>",
		Short: "Act as a tenant user at the emulated Entra ID's sign-in pages",
	}
	c.AddCommand(NewCmdMockSigninApprove(f, nil))
	return c
}

// MockSigninApproveOptions are the inputs of `mock signin approve`.
type MockSigninApproveOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Backend func() cmdutil.Backend
	Printer func() (*output.Printer, error)
	Code    string
	User    string
}

// Validate checks the inputs before anything is sent.
func (o *MockSigninApproveOptions) Validate() error {
	if o.User == "" {
		return cmdutil.FlagErrorf("mock signin approve needs --user UPN: the tenant user who signs in")
	}
	return nil
}

// NewCmdMockSigninApprove builds `mfactl mock signin approve <code> --user U`.
func NewCmdMockSigninApprove(f *cmdutil.Factory, runF func(context.Context, *MockSigninApproveOptions) error) *cobra.Command {
	opts := &MockSigninApproveOptions{IO: f.IOStreams, Graph: f.Graph, Backend: f.Backend, Printer: f.Printer}
	c := &cobra.Command{
		Use:   "approve <code> --user <upn>",
		Short: "Approve a device code sign-in as a tenant user (what entering the code at microsoft.com/devicelogin does)",
		Long: `A device code sign-in against the emulated Entra ID (mock serve --proxy) waits
until a tenant user approves its code. The token it then gets is delegated: it
acts as that user, with that user's directory roles.`,
		Example: `  mfactl --endpoint http://127.0.0.1:8080 mock signin approve ABCD2EFGH --user helpdesk@contoso.example   # the code a device-code sign-in printed, with mock serve --proxy [placeholder]`,
		Args:    exactArgs(1, "mock signin approve needs the <code> the sign-in printed"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Code = args[0]
			return runVerb(cmd.Context(), opts, runF, mockSigninApproveRun)
		},
	}
	c.Flags().StringVar(&opts.User, "user", "", "the tenant user (UPN or id) who approves the sign-in")
	return c
}

func mockSigninApproveRun(ctx context.Context, opts *MockSigninApproveOptions) error {
	em, printer, err := openEmulator("mock signin approve", opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return err
	}
	out, err := em.ApproveSignIn(context.WithoutCancel(ctx), opts.Code, opts.User)
	if err != nil {
		return err
	}
	if printer.Format == "json" || printer.Format == "yaml" {
		return printer.Print(out)
	}
	roles := strings.Join(out.Roles, ", ")
	if roles == "" {
		roles = "no directory role"
	}
	fmt.Fprintf(opts.IO.Out, "approved %s: %s signs in to app %s (%s)\n", out.UserCode, out.User, out.App, roles)
	return nil
}
