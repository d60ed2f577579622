// Package factory builds the cmdutil.Factory of a run: the configuration,
// the printer and the one Graph client, whether it talks to Microsoft
// Graph, an endpoint or the in-process mock. cmd.Main and the tests'
// harness call New; the verbs import only cmdutil, which does not import
// the mock (as GitHub CLI keeps cmdutil.Factory apart from
// factory/default.go).
package factory

import (
	"errors"
	"os"
	"sync"
	"time"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/config"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/mock"
	"github.com/mfactl/mfactl/mock/store"
)

// New returns a factory over the given streams whose Config, Graph and
// Printer are built on first use.
func New(ios *iostreams.IOStreams, version string) *cmdutil.Factory {
	f := &cmdutil.Factory{IOStreams: ios, Version: version, Now: time.Now, Audit: &audit.Session{}}
	b := &builder{f: f}
	f.Config = b.loadConfig
	f.Graph = b.newGraph
	f.Printer = b.newPrinter
	return f
}

// builder holds what New's lazy constructors have built.
type builder struct {
	f *cmdutil.Factory

	mu     sync.Mutex
	cfg    *config.Config
	client *graph.Client
}

func (b *builder) loadConfig() (*config.Config, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cfg != nil {
		return b.cfg, nil
	}
	cfg, err := config.Load(b.f.Flags())
	if err != nil {
		return nil, cmdutil.WithExit(cmdutil.ExitUsage, err, "")
	}
	if exposed, mode := cfg.ExposedSecrets(); exposed {
		b.f.IOStreams.Warnf("%s holds a secret and other users can read it (mode %04o): run `chmod 600 %s`", cfg.Path, mode, cfg.Path)
	}
	b.cfg = cfg
	return cfg, nil
}

func (b *builder) newPrinter() (*output.Printer, error) {
	cfg, err := b.f.Config()
	if err != nil {
		return nil, err
	}
	format, err := output.ParseFormat(cfg.Output)
	if err != nil {
		return nil, cmdutil.FlagErrorWrap(err)
	}
	return &output.Printer{Format: format, Out: b.f.IOStreams.Out, Color: b.f.IOStreams.IsStdoutTTY()}, nil
}

// CredentialOptions turns the configuration into graph credential options.
func CredentialOptions(ios *iostreams.IOStreams, cfg *config.Config) (graph.CredentialOptions, error) {
	o := graph.CredentialOptions{
		Method: cfg.Auth.Method, TenantID: cfg.Auth.TenantID, ClientID: cfg.Auth.ClientID,
		ClientSecret: cfg.Auth.ClientSecret, CertificatePath: cfg.Auth.CertificatePath,
		CertPassword: cfg.Auth.CertPassword, RedirectURL: cfg.Auth.RedirectURL,
		ManagedIdentityID: cfg.Auth.ManagedIdentityID,
		Cloud:             cfg.Auth.Cloud,
		Profile:           cfg.Profile,
		RecordPath:        cmdutil.RecordPath(cfg.Profile),
		Prompt:            ios.ErrOut,
		Interactive:       ios.CanPrompt(),
	}
	if cfg.Debug {
		o.Debug = ios.ErrOut
	}
	if cfg.CACert != "" {
		pool, err := cmdutil.LoadCACert(cfg.CACert)
		if err != nil {
			return o, cmdutil.WithExit(cmdutil.ExitUsage, err, "")
		}
		o.RootCAs = pool
	}
	return o, nil
}

// newGraph builds the one Graph client of this run. Only the root URL, the
// credential and the transport depend on the backend.
func (b *builder) newGraph() (*graph.Client, error) {
	f := b.f
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.client != nil {
		return b.client, nil
	}
	opts := graph.Options{Version: f.Version}
	if cfg.Debug {
		opts.Debug = f.IOStreams.ErrOut
	}
	switch {
	case cfg.Mock && cfg.Endpoint != "":
		return nil, cmdutil.Errorf(cmdutil.ExitUsage, "use either --mock or --endpoint, not both")
	case cfg.Mock:
		if !cfg.MockStateDefault {
			if err := cmdutil.CheckStateDir(cfg.MockState); err != nil {
				return nil, err
			}
		}
		realism, err := mock.RealismFromEnv(os.Getenv)
		if err != nil {
			return nil, cmdutil.WithExit(cmdutil.ExitUsage, err, "")
		}
		vcfg, err := mock.VerifyConfigFromEnv(os.Getenv)
		if err != nil {
			return nil, cmdutil.WithExit(cmdutil.ExitUsage, err, "")
		}
		state := cfg.MockState
		srv, err := mock.NewServer(mock.Options{StatePath: state, Realism: realism, Verify: vcfg, ShareState: true,
			OnStateWait: func(h store.Holder) {
				if f.MockStateWait != nil {
					f.MockStateWait(state, h)
				}
			}})
		if err != nil {
			return nil, cmdutil.WithExit(cmdutil.ExitFailure, err, "")
		}
		f.OnClose(srv.Close)
		token := cfg.Token
		if token == "" {
			token = srv.AdminToken()
		}
		opts.Root, opts.Credential, opts.Transport = mock.InProcessRoot, graph.StaticToken(token), srv.Transport()
		f.SetBackend(cmdutil.Backend{Kind: "mock", Root: mock.InProcessRoot, State: cfg.MockState, Auth: "static token"})
	case cfg.Endpoint != "":
		if cfg.Token == "" {
			return nil, cmdutil.Errorf(cmdutil.ExitAuth, "--endpoint %s needs a bearer token: set MFACTL_TOKEN (`mfactl mock serve` prints the one it accepts)", cfg.Endpoint)
		}
		opts.Root, opts.Credential = cfg.Endpoint, graph.StaticToken(cfg.Token)
		f.SetBackend(cmdutil.Backend{Kind: "endpoint", Root: cfg.Endpoint, Auth: "static token"})
	default:
		copts, err := CredentialOptions(f.IOStreams, cfg)
		if err != nil {
			return nil, err
		}
		r, err := graph.Resolve(copts, false)
		if err != nil {
			var damaged *graph.DamagedSessionError
			if errors.As(err, &damaged) {
				return nil, cmdutil.WithExit(cmdutil.ExitAuth, err, "run `mfactl auth logout` and `mfactl auth login`")
			}
			return nil, cmdutil.WithExit(cmdutil.ExitUsage, err, "see `mfactl auth --help`") // a bad value, not a failed sign-in
		}
		cred, warning, err := graph.NewCredential(copts)
		if err != nil {
			return nil, cmdutil.WithExit(cmdutil.ExitAuth, err, "see `mfactl auth --help`")
		}
		if warning != "" && cfg.Debug {
			f.IOStreams.Warnf("%s", warning)
		}
		opts.Root, opts.Credential, opts.Scopes = r.Cloud.GraphRoot, cred, []string{r.Cloud.Scope()}
		opts.RootCAs = copts.RootCAs
		f.SetBackend(cmdutil.Backend{Kind: "graph", Root: r.Cloud.GraphRoot, Auth: r.Method})
	}
	if cfg.CACert != "" && cfg.Endpoint != "" {
		if opts.RootCAs, err = cmdutil.LoadCACert(cfg.CACert); err != nil {
			return nil, cmdutil.WithExit(cmdutil.ExitUsage, err, "")
		}
	}
	client, err := graph.New(opts)
	if err != nil {
		return nil, cmdutil.WithExit(cmdutil.ExitUsage, err, "")
	}
	b.client = client
	return client, nil
}
