package cmdutil

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/config"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/mock"
	"github.com/mfactl/mfactl/mock/store"
)

// Factory hands commands their dependencies, each built on first use:
// `--help`, `version` and `completion` never load a credential, open the
// mock store or build a Graph client.
type Factory struct {
	IOStreams *iostreams.IOStreams
	// Version is the build version, for the User-Agent and `version`.
	Version string
	// Now is the clock commands use.
	Now func() time.Time

	// Config, Graph and Printer are lazy; tests replace them.
	Config  func() (*config.Config, error)
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)

	// Audit collects what this run changes, for its audit record.
	Audit *audit.Session

	// MockStateWait, when set, is called when a request to the in-process
	// mock has waited a second for another process holding its state file
	// (cmd says so to the user).
	MockStateWait func(path string, holder store.Holder)

	flags *pflag.FlagSet

	mu       sync.Mutex
	cfg      *config.Config
	client   *graph.Client
	backend  Backend
	closers  []func() error
	closeErr error
}

// Backend says where requests go.
type Backend struct {
	// Kind is "mock" (in-process), "endpoint" or "graph".
	Kind string `json:"kind"`
	// Root is the service root.
	Root string `json:"root"`
	// State is the in-process mock's store file.
	State string `json:"state,omitempty"`
	// Auth is the sign-in method for real Graph, or "static token".
	Auth string `json:"auth"`
}

// New returns a factory over the given streams.
func New(ios *iostreams.IOStreams, version string) *Factory {
	f := &Factory{IOStreams: ios, Version: version, Now: time.Now, Audit: &audit.Session{}}
	f.Config = f.loadConfig
	f.Graph = f.newGraph
	f.Printer = f.newPrinter
	return f
}

// BindFlags gives the factory the root command's persistent flags, which
// the configuration reads once they are parsed.
func (f *Factory) BindFlags(fs *pflag.FlagSet) { f.flags = fs }

func (f *Factory) loadConfig() (*config.Config, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cfg != nil {
		return f.cfg, nil
	}
	cfg, err := config.Load(f.flags)
	if err != nil {
		return nil, WithExit(ExitUsage, err, "")
	}
	if exposed, mode := cfg.ExposedSecrets(); exposed {
		f.IOStreams.Warnf("%s holds a secret and other users can read it (mode %04o): run `chmod 600 %s`", cfg.Path, mode, cfg.Path)
	}
	f.cfg = cfg
	return cfg, nil
}

func (f *Factory) newPrinter() (*output.Printer, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	format, err := output.ParseFormat(cfg.Output)
	if err != nil {
		return nil, FlagErrorWrap(err)
	}
	return &output.Printer{Format: format, Out: f.IOStreams.Out, Color: f.IOStreams.IsStdoutTTY()}, nil
}

// RecordPath is where the sign-in session of a profile is kept (method,
// cloud, tenant, client and the authentication record; no secret).
func RecordPath(profile string) string {
	return filepath.Join(config.StateDir(), "auth", profile+".json")
}

// CredentialOptions turns the configuration into graph credential options.
func (f *Factory) CredentialOptions(cfg *config.Config) (graph.CredentialOptions, error) {
	o := graph.CredentialOptions{
		Method: cfg.Auth.Method, TenantID: cfg.Auth.TenantID, ClientID: cfg.Auth.ClientID,
		ClientSecret: cfg.Auth.ClientSecret, CertificatePath: cfg.Auth.CertificatePath,
		CertPassword: cfg.Auth.CertPassword, RedirectURL: cfg.Auth.RedirectURL,
		ManagedIdentityID: cfg.Auth.ManagedIdentityID,
		Cloud:             cfg.Auth.Cloud,
		Profile:           cfg.Profile,
		RecordPath:        RecordPath(cfg.Profile),
		Prompt:            f.IOStreams.ErrOut,
		Interactive:       f.IOStreams.CanPrompt(),
	}
	if cfg.Debug {
		o.Debug = f.IOStreams.ErrOut
	}
	if cfg.CACert != "" {
		pool, err := LoadCACert(cfg.CACert)
		if err != nil {
			return o, WithExit(ExitUsage, err, "")
		}
		o.RootCAs = pool
	}
	return o, nil
}

// newGraph builds the one Graph client of this run. Only the root URL, the
// credential and the transport depend on the backend.
func (f *Factory) newGraph() (*graph.Client, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.client != nil {
		return f.client, nil
	}
	opts := graph.Options{Version: f.Version}
	if cfg.Debug {
		opts.Debug = f.IOStreams.ErrOut
	}
	switch {
	case cfg.Mock && cfg.Endpoint != "":
		return nil, Errorf(ExitUsage, "use either --mock or --endpoint, not both")
	case cfg.Mock:
		if !cfg.MockStateDefault {
			if err := CheckStateDir(cfg.MockState); err != nil {
				return nil, err
			}
		}
		realism, err := mock.RealismFromEnv(os.Getenv)
		if err != nil {
			return nil, WithExit(ExitUsage, err, "")
		}
		vcfg, err := mock.VerifyConfigFromEnv(os.Getenv)
		if err != nil {
			return nil, WithExit(ExitUsage, err, "")
		}
		state := cfg.MockState
		srv, err := mock.NewServer(mock.Options{StatePath: state, Realism: realism, Verify: vcfg, ShareState: true,
			OnStateWait: func(h store.Holder) {
				if f.MockStateWait != nil {
					f.MockStateWait(state, h)
				}
			}})
		if err != nil {
			return nil, WithExit(ExitFailure, err, "")
		}
		f.closers = append(f.closers, srv.Close)
		token := cfg.Token
		if token == "" {
			token = srv.AdminToken()
		}
		opts.Root, opts.Credential, opts.Transport = mock.InProcessRoot, graph.StaticToken(token), srv.Transport()
		f.backend = Backend{Kind: "mock", Root: mock.InProcessRoot, State: cfg.MockState, Auth: "static token"}
	case cfg.Endpoint != "":
		if cfg.Token == "" {
			return nil, Errorf(ExitAuth, "--endpoint %s needs a bearer token: set MFACTL_TOKEN (`mfactl mock serve` prints the one it accepts)", cfg.Endpoint)
		}
		opts.Root, opts.Credential = cfg.Endpoint, graph.StaticToken(cfg.Token)
		f.backend = Backend{Kind: "endpoint", Root: cfg.Endpoint, Auth: "static token"}
	default:
		copts, err := f.CredentialOptions(cfg)
		if err != nil {
			return nil, err
		}
		r, err := graph.Resolve(copts, false)
		if err != nil {
			var damaged *graph.DamagedSessionError
			if errors.As(err, &damaged) {
				return nil, WithExit(ExitAuth, err, "run `mfactl auth logout` and `mfactl auth login`")
			}
			return nil, WithExit(ExitUsage, err, "see `mfactl auth --help`") // a bad value, not a failed sign-in
		}
		cred, warning, err := graph.NewCredential(copts)
		if err != nil {
			return nil, WithExit(ExitAuth, err, "see `mfactl auth --help`")
		}
		if warning != "" && cfg.Debug {
			f.IOStreams.Warnf("%s", warning)
		}
		opts.Root, opts.Credential, opts.Scopes = r.Cloud.GraphRoot, cred, []string{r.Cloud.Scope()}
		opts.RootCAs = copts.RootCAs
		f.backend = Backend{Kind: "graph", Root: r.Cloud.GraphRoot, Auth: r.Method}
	}
	if cfg.CACert != "" && cfg.Endpoint != "" {
		if opts.RootCAs, err = LoadCACert(cfg.CACert); err != nil {
			return nil, WithExit(ExitUsage, err, "")
		}
	}
	client, err := graph.New(opts)
	if err != nil {
		return nil, WithExit(ExitUsage, err, "")
	}
	f.client = client
	return client, nil
}

// CheckStateDir refuses a mock state file whose directory does not exist
// (exit 2): a typo in --mock-state would otherwise create a directory tree
// and seed a new tenant there. The default file's directory is created on
// first use, and `mock seed --state FILE` creates the directory it is asked
// to.
func CheckStateDir(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return Errorf(ExitUsage, "mock state %s: the directory %s does not exist; create it first, or create the state with `mfactl mock seed --state %s`", path, dir, path)
	case err != nil:
		return Errorf(ExitUsage, "mock state %s: %v", path, err)
	case !st.IsDir():
		return Errorf(ExitUsage, "mock state %s: %s is not a directory", path, dir)
	}
	return nil
}

// LoadCACert reads a PEM file of certificates to trust (ca-cert), added to
// the system roots: a TLS-inspecting proxy re-signs Graph and Entra alike,
// and other hosts keep working.
func LoadCACert(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ca-cert: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("ca-cert %s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path)
	}
	return pool, nil
}

// Backend describes where this run's requests go (after Graph was built).
func (f *Factory) Backend() Backend {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.backend
}

// OnClose registers cleanup to run when the command ends.
func (f *Factory) OnClose(fn func() error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closers = append(f.closers, fn)
}

// Close releases what the run opened (the mock store's file lock, ...).
func (f *Factory) Close() error {
	f.mu.Lock()
	closers := f.closers
	f.closers = nil
	f.mu.Unlock()
	var errs []error
	for i := len(closers) - 1; i >= 0; i-- {
		if err := closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// String is a short human description, for status lines.
func (b Backend) String() string {
	switch b.Kind {
	case "mock":
		return fmt.Sprintf("in-process mock (state %s)", b.State)
	case "endpoint":
		return "endpoint " + b.Root + " (static token)"
	case "graph":
		return "Microsoft Graph " + b.Root + " (" + strings.ReplaceAll(b.Auth, "-", " ") + ")"
	}
	return "not connected"
}
