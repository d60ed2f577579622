package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/atomicfile"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods/verify"
	"github.com/mfactl/mfactl/mock"
)

// NewCmdMock groups the offline tenant's commands.
func NewCmdMock(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "mock <command>",
		Short: "Run and control the mock Graph server and its emulated tenant",
		Long: `The mock Graph server speaks Microsoft Graph's wire format for the endpoints
mfactl uses and keeps an emulated tenant in an embedded store. --mock runs it
inside mfactl itself; "mock serve" serves it over HTTP for any Graph client.`,
	}
	c.AddCommand(NewCmdMockServe(f, nil))
	c.AddCommand(NewCmdMockSeed(f, nil), NewCmdMockReset(f, nil), NewCmdMockClock(f, nil), NewCmdMockHealth(f, nil))
	c.AddCommand(NewCmdMockSignin(f))
	// The emulated phone and the admin side of the emulated second factor.
	c.AddCommand(NewCmdMockOutbox(f, nil), NewCmdMockDevice(f, nil), NewCmdMockUserVerb(f, "code", nil),
		NewCmdMockUserVerb(f, "block", nil), NewCmdMockUserVerb(f, "unblock", nil), NewCmdMockUserVerb(f, "verification", nil))
	return c
}

// MockServeOptions are the inputs of `mock serve`.
type MockServeOptions struct {
	Factory *cmdutil.Factory

	Addr  string
	State string
	Token string
	Log   bool

	// Realism knobs, as typed (parsed by Validate).
	Latency  string
	Throttle string
	FailRate string
	FailSeed string
	// Fidelity knobs: --strict-reports, --batch-order, --batch-seed.
	StrictReports bool
	BatchOrder    string
	BatchSeed     string
	Realism       mock.Realism

	// TLS: serve HTTPS with a generated certificate (written to CertOut,
	// and its key to KeyOut when set) or with CertFile and KeyFile.
	TLS      bool
	CertOut  string
	KeyOut   string
	CertFile string
	KeyFile  string

	// Verification engine: a settings file and the most used knobs, which
	// win over the file (resolved into Verify by resolveVerify).
	VerifyConfig   string
	LockoutDenials int
	CodeTTL        time.Duration
	RememberDays   int
	Verify         *verify.Config

	// The emulated Entra ID behind an HTTPS proxy (mock_entra.go).
	Proxy        string
	ProxyAnyHost bool
	CAOut        string
	AppID        string
	AppSecret    string
	AppCert      string

	// The emulated self-service portal under /portal/: --no-portal turns
	// it off, --portal-public accepts clients that are not on loopback.
	NoPortal     bool
	PortalPublic bool

	// Ready, when set, is called with the server once it listens (tests).
	Ready func(*mock.Server)
}

// resolveVerify builds the engine configuration from --verify-config and
// the individual knobs that were given.
func (o *MockServeOptions) resolveVerify(changed func(string) bool) error {
	if o.VerifyConfig == "" && !changed("lockout-denials") && !changed("code-ttl") && !changed("remember-days") {
		return nil
	}
	cfg := verify.DefaultConfig()
	if o.VerifyConfig != "" {
		var err error
		if cfg, err = mock.LoadVerifyConfig(o.VerifyConfig); err != nil {
			return cmdutil.FlagErrorf("--verify-config: %v", err)
		}
	}
	if changed("lockout-denials") {
		cfg.LockoutDenials = o.LockoutDenials
	}
	if changed("code-ttl") {
		cfg.CodeTTL = o.CodeTTL
	}
	if changed("remember-days") {
		cfg.RememberDeviceDays = o.RememberDays
	}
	if err := cfg.Validate(); err != nil {
		return cmdutil.FlagErrorWrap(err)
	}
	o.Verify = &cfg
	return nil
}

// Validate parses the knobs and checks the TLS flags, before anything is
// opened.
func (o *MockServeOptions) Validate() error {
	var err error
	if o.Realism.Latency, err = mock.ParseLatency(o.Latency); err != nil {
		return cmdutil.FlagErrorf("--latency: %v", err)
	}
	if o.Realism.Throttle, err = mock.ParseThrottle(o.Throttle); err != nil {
		return cmdutil.FlagErrorf("--throttle: %v", err)
	}
	if o.Realism.FailRate, err = mock.ParseFailRate(o.FailRate); err != nil {
		return cmdutil.FlagErrorf("--fail-rate: %v", err)
	}
	if o.Realism.FailSeed, err = mock.ParseFailSeed(o.FailSeed); err != nil {
		return cmdutil.FlagErrorf("--fail-seed: %v", err)
	}
	o.Realism.StrictReports = o.StrictReports
	if o.Realism.BatchOrder, err = mock.ParseBatchOrder(o.BatchOrder); err != nil {
		return cmdutil.FlagErrorf("--batch-order: %v", err)
	}
	if o.Realism.BatchSeed, err = mock.ParseBatchSeed(o.BatchSeed); err != nil {
		return cmdutil.FlagErrorf("--batch-seed: %v", err)
	}
	if o.NoPortal && o.PortalPublic {
		return cmdutil.FlagErrorf("--portal-public opens the portal to the network and --no-portal turns it off: give one of them")
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return cmdutil.FlagErrorf("--tls-cert and --tls-key go together: give both, or neither for a generated certificate")
	}
	if o.CertFile != "" {
		o.TLS = true
		if o.CertOut != "" || o.KeyOut != "" {
			return cmdutil.FlagErrorf("--tls-cert-out and --tls-key-out write a generated certificate; with --tls-cert you already have the files")
		}
	}
	if !o.TLS && (o.CertOut != "" || o.KeyOut != "") {
		return cmdutil.FlagErrorf("--tls-cert-out and --tls-key-out need --tls")
	}
	return nil
}

// NewCmdMockServe builds `mfactl mock serve`.
func NewCmdMockServe(f *cmdutil.Factory, runF func(context.Context, *MockServeOptions) error) *cobra.Command {
	opts := &MockServeOptions{Factory: f}
	c := &cobra.Command{
		Use:   "serve [--addr HOST:PORT] [--state FILE] [--token T] [--tls] [--latency D] [--throttle graph] [--fail-rate R]",
		Short: "Serve the mock Graph API over HTTP or HTTPS",
		Long: `Serve the mock tenant as a Graph endpoint under /v1.0 and /beta until interrupted,
with the emulator's control endpoints under /_mock/. It prints its address and the
bearer tokens it accepts. A new, empty state file is seeded with the demo tenant on
first use.

--tls serves HTTPS with a self-signed certificate generated at start (for 127.0.0.1,
::1, localhost and the --addr host); --tls-cert-out writes it as PEM for clients to
trust (mfactl: --ca-cert or MFACTL_CA_CERT). --tls-cert and --tls-key serve a
certificate you have instead.

Realism knobs, all off by default, apply to /v1.0 and /beta: --latency delays every
request (20ms, or a range 10ms-50ms); --throttle graph enforces Graph's budgets per
app (bearer token) and tenant, answering 429 with Retry-After; --fail-rate fails that
share of requests with 500, 503 or 504 or a dropped connection, reproducibly for
a given --fail-seed. --throttle graph,methods-as-reports also charges per-user method
reads to the reports budget (5 requests per 10 s), one reading of Graph's throttling page.

The emulated self-service portal is served under /portal/ (the sign-in with its MFA
prompt, "Security info", "Add sign-in method" and an emulated phone at /portal/phone),
to loopback clients only; --portal-public opens it to the network (it signs users in
without a password), --no-portal turns it off. See docs/portal.md.

Fidelity knobs: $batch responses come back in a seeded random order, as Graph may
reorder them (--batch-order request turns that off; --batch-seed reproduces an order);
--strict-reports refuses $top on the registration report, which documents only
$filter and $orderBy. The --mock flag reads the same knobs from MFACTL_MOCK_THROTTLE,
MFACTL_MOCK_STRICT_REPORTS, MFACTL_MOCK_BATCH_ORDER and MFACTL_MOCK_BATCH_SEED.`,
		Example: `  mfactl mock serve --addr 127.0.0.1:8080
  MFACTL_ENDPOINT=http://127.0.0.1:8080 MFACTL_TOKEN=mock-admin-token mfactl user show adele.vance@contoso.example
  mfactl mock serve --tls --tls-cert-out mock.pem --addr 127.0.0.1:8443
  MFACTL_CA_CERT=mock.pem mfactl --endpoint https://127.0.0.1:8443 user show adele.vance@contoso.example
  mfactl mock serve --latency 20ms-80ms --throttle graph --fail-rate 0.02 --fail-seed 7`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Validate(); err != nil {
				return err
			}
			if err := opts.resolveVerify(cmd.Flags().Changed); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return mockServeRun(cmd.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free one)")
	c.Flags().StringVar(&opts.State, "state", "", "state file (default: MFACTL_MOCK_STATE or the embedded mock's file)")
	c.Flags().StringVar(&opts.Token, "token", "", "bearer token of the admin principal (default "+mock.DefaultAdminToken+")")
	c.Flags().BoolVar(&opts.Log, "log", false, "log each request to stderr")
	c.Flags().StringVar(&opts.Latency, "latency", "", "delay every Graph request: a duration (20ms) or a range (10ms-50ms)")
	c.Flags().StringVar(&opts.Throttle, "throttle", "", "throttling model: graph (Graph's identity and reports budgets), graph,methods-as-reports (per-user method reads also share the reports budget), or off")
	c.Flags().StringVar(&opts.FailRate, "fail-rate", "", "share of Graph requests that fail: 0.02 or 2%")
	c.Flags().StringVar(&opts.FailSeed, "fail-seed", "", "seed of the failures, to reproduce a run (default: random, printed)")
	c.Flags().BoolVar(&opts.StrictReports, "strict-reports", false, "refuse $top on the registration report, which documents only $filter and $orderBy")
	c.Flags().StringVar(&opts.BatchOrder, "batch-order", "shuffled", "order of $batch responses: shuffled (Graph may reorder them) or request")
	c.Flags().StringVar(&opts.BatchSeed, "batch-seed", "", "seed of the $batch response order, to reproduce a run (default: random, printed)")
	c.Flags().BoolVar(&opts.TLS, "tls", false, "serve HTTPS with a self-signed certificate generated at start")
	c.Flags().StringVar(&opts.CertOut, "tls-cert-out", "", "write the generated certificate to this PEM `file` (0644), for clients to trust")
	c.Flags().StringVar(&opts.KeyOut, "tls-key-out", "", "also write the generated private key to this PEM `file` (0600)")
	c.Flags().StringVar(&opts.CertFile, "tls-cert", "", "serve HTTPS with this PEM certificate `file` (with --tls-key)")
	c.Flags().StringVar(&opts.KeyFile, "tls-key", "", "PEM private key `file` of --tls-cert")
	c.Flags().StringVar(&opts.Proxy, "proxy", "", "also serve an HTTPS proxy on this `address` (e.g. 127.0.0.1:8888) that emulates graph.microsoft.com and login.microsoftonline.com for any client (HTTPS_PROXY)")
	c.Flags().BoolVar(&opts.ProxyAnyHost, "proxy-public", false, "allow a --proxy address other than loopback")
	c.Flags().StringVar(&opts.CAOut, "ca-out", "", "write the proxy's CA certificate to this PEM `file` (0644), for clients to trust")
	c.Flags().StringVar(&opts.AppID, "app-id", "", "client id of the emulated tenant's app registration (default generated)")
	c.Flags().StringVar(&opts.AppSecret, "app-secret", "", "its client secret (default generated and printed)")
	c.Flags().StringVar(&opts.AppCert, "app-cert", "", "PEM `file` of a certificate registered on the app, for certificate sign-in")
	c.Flags().BoolVar(&opts.NoPortal, "no-portal", false, "serve no self-service portal under /portal/")
	c.Flags().BoolVar(&opts.PortalPublic, "portal-public", false, "let clients other than loopback use the portal (it signs users in without a password)")
	c.Flags().StringVar(&opts.VerifyConfig, "verify-config", "", "JSON `file` of verification settings (lockout, code TTL, remember days, PIN and question policy, ...)")
	c.Flags().IntVar(&opts.LockoutDenials, "lockout-denials", 5, "wrong codes, PINs or denied pushes within 10 minutes that lock a user for 15 (0 turns lockout off)")
	c.Flags().DurationVar(&opts.CodeTTL, "code-ttl", 180*time.Second, "how long a texted or spoken code stays valid")
	c.Flags().IntVar(&opts.RememberDays, "remember-days", 30, "how long a remembered device skips MFA, in days (1 to 365)")
	_ = c.RegisterFlagCompletionFunc("throttle", cobra.FixedCompletions([]string{"graph", "graph,methods-as-reports", "off"}, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("batch-order", cobra.FixedCompletions([]string{"shuffled", "request"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// serveInfo is what `mock serve` prints when it is ready.
type serveInfo struct {
	URL        string           `json:"url"`
	GraphV1    string           `json:"graphV1"`
	GraphBeta  string           `json:"graphBeta"`
	State      string           `json:"state"`
	AdminToken string           `json:"adminToken"`
	Tokens     []mock.TokenInfo `json:"tokens"`
	// Portal is the emulated self-service portal ("" with --no-portal).
	Portal string `json:"portal,omitempty"`
	// CACert is the PEM file of the certificate clients should trust.
	CACert  string           `json:"caCert,omitempty"`
	Realism mock.RealismInfo `json:"realism"`
	// Entra is the emulated Entra ID and its proxy (--proxy).
	Entra *entraInfo `json:"entra,omitempty"`
}

func mockServeRun(ctx context.Context, opts *MockServeOptions) error {
	f := opts.Factory
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	printer, err := f.Printer()
	if err != nil {
		return err
	}
	state, given := opts.State, opts.State != ""
	if !given {
		state, given = cfg.MockState, !cfg.MockStateDefault
	}
	if given {
		if err := cmdutil.CheckStateDir(state); err != nil {
			return err
		}
	}
	cert, err := serveCert(opts)
	if err != nil {
		return err
	}
	mo := mock.Options{StatePath: state, AdminToken: opts.Token, Realism: opts.Realism, Verify: opts.Verify,
		Portal: mock.PortalOptions{Off: opts.NoPortal, Public: opts.PortalPublic}}
	if opts.Log {
		mo.Log = f.IOStreams.ErrOut
	}
	srv, err := mock.NewServer(mo)
	if err != nil {
		return err
	}
	defer srv.Close()
	if cert != nil {
		err = srv.ListenTLS(opts.Addr, cert)
	} else {
		err = srv.Listen(opts.Addr)
	}
	if err != nil {
		return cmdutil.WithExit(cmdutil.ExitFailure, err, "pick another --addr, or stop what is listening there")
	}
	info := serveInfo{URL: srv.URL(), GraphV1: srv.URL() + "/v1.0", GraphBeta: srv.URL() + "/beta", State: state,
		AdminToken: srv.AdminToken(), Tokens: srv.Tokens(), Realism: srv.Realism()}
	if !opts.NoPortal {
		info.Portal = srv.URL() + "/portal/"
	}
	if opts.Proxy != "" {
		p, ei, err := startEntraProxy(opts, srv)
		if err != nil {
			return err
		}
		defer p.Close()
		info.Entra = ei
	}
	if cert != nil {
		info.CACert = opts.CertOut
		if opts.CertFile != "" {
			info.CACert = opts.CertFile
		}
	}
	if printer.Format == output.JSON || printer.Format == output.YAML {
		if err := printer.Print(info); err != nil {
			return err
		}
	} else {
		printServeInfo(f.IOStreams.Out, info)
	}
	if opts.Ready != nil {
		opts.Ready(srv)
	}
	<-ctx.Done()
	fmt.Fprintln(f.IOStreams.ErrOut, "mock server stopped")
	return nil
}

func printServeInfo(w io.Writer, info serveInfo) {
	fmt.Fprintf(w, "listening on %s\n", info.URL)
	fmt.Fprintf(w, "Graph v1.0:   %s\nGraph beta:   %s\n", info.GraphV1, info.GraphBeta)
	if info.Portal != "" {
		fmt.Fprintf(w, "portal:       %s (phone: %sphone)\n", info.Portal, info.Portal)
	}
	fmt.Fprintf(w, "state:        %s\n", info.State)
	fmt.Fprintf(w, "admin token:  %s\n", info.AdminToken)
	fmt.Fprintln(w, "tokens:")
	for _, t := range info.Tokens {
		fmt.Fprintf(w, "  %-22s %-32s %s\n", t.Token, t.Principal, strings.Join(t.Roles, ", "))
	}
	if summary := mock.RealismSummary(info.Realism); summary != "off" {
		fmt.Fprintf(w, "realism:      %s\n", summary)
	}
	switch {
	case info.CACert != "":
		fmt.Fprintf(w, "certificate:  %s\n", info.CACert)
		fmt.Fprintf(w, "use it with:  export MFACTL_ENDPOINT=%s MFACTL_TOKEN=%s MFACTL_CA_CERT=%s\n", info.URL, info.AdminToken, info.CACert)
	case strings.HasPrefix(info.URL, "https:"):
		fmt.Fprintln(w, "certificate:  generated, not written (add --tls-cert-out FILE for clients to trust it)")
		fmt.Fprintf(w, "use it with:  export MFACTL_ENDPOINT=%s MFACTL_TOKEN=%s\n", info.URL, info.AdminToken)
	default:
		fmt.Fprintf(w, "use it with:  export MFACTL_ENDPOINT=%s MFACTL_TOKEN=%s\n", info.URL, info.AdminToken)
	}
	if info.Entra != nil {
		printEntraInfo(w, info.Entra)
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

// serveCert loads or generates the TLS certificate (nil without TLS) and
// writes a generated one where asked, before the server says it is ready.
func serveCert(opts *MockServeOptions) (*mock.TLSCert, error) {
	switch {
	case !opts.TLS:
		return nil, nil
	case opts.CertFile != "":
		cert, err := mock.LoadTLSCert(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, cmdutil.WithExit(cmdutil.ExitUsage, err, "")
		}
		return cert, nil
	}
	cert, err := mock.SelfSignedCert(mock.ListenHost(opts.Addr))
	if err != nil {
		return nil, err
	}
	if opts.CertOut != "" {
		if err := writePEM(opts.CertOut, cert.CertPEM, 0o644); err != nil {
			return nil, err
		}
	}
	if opts.KeyOut != "" {
		if err := writePEM(opts.KeyOut, cert.KeyPEM, 0o600); err != nil {
			return nil, err
		}
	}
	return cert, nil
}

func writePEM(path string, data []byte, perm os.FileMode) error {
	if err := atomicfile.WriteBytes(path, data, perm); err != nil {
		return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("write %s: %w", path, err), "")
	}
	return nil
}
