package cmdutil

import (
	"context"
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
)

// Factory hands commands their dependencies, each built on first use:
// `--help`, `version` and `completion` never load a credential, open the
// mock store or build a Graph client. Package internal/factory builds it
// (factory.New); this package only defines it, so that the verbs that
// import cmdutil do not import the mock.
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
	// AuditCheckpoint, when set, appends a record of the writes Audit
	// holds so far and forgets them (outcome is that part's outcome), so a
	// long run's memory does not grow with its writes and a killed run
	// leaves the parts it finished on record.
	AuditCheckpoint func(ctx context.Context, outcome string) error

	// MockStateWait, when set, is called when a request to the in-process
	// mock has waited a second for another process holding its state file
	// (cmd says so to the user); holder names that process.
	MockStateWait func(path string, holder fmt.Stringer)

	flags *pflag.FlagSet

	mu      sync.Mutex
	backend Backend
	closers []func() error
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

// BindFlags gives the factory the root command's persistent flags, which
// the configuration reads once they are parsed.
func (f *Factory) BindFlags(fs *pflag.FlagSet) { f.flags = fs }

// Flags are the root command's persistent flags (nil before BindFlags).
func (f *Factory) Flags() *pflag.FlagSet { return f.flags }

// RecordPath is where the sign-in session of a profile is kept (method,
// cloud, tenant, client and the authentication record; no secret).
func RecordPath(profile string) string {
	return filepath.Join(config.StateDir(), "auth", profile+".json")
}

// StateDirError is a mock state file whose directory does not exist (exit
// 2); cmd phrases what to do.
type StateDirError struct{ Path, Dir string }

func (e *StateDirError) Error() string {
	return fmt.Sprintf("mock state %s: the directory %s does not exist", e.Path, e.Dir)
}

// ExitCode is 2: bad input.
func (e *StateDirError) ExitCode() int { return ExitUsage }

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
		return &StateDirError{Path: path, Dir: dir}
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

// SetBackend records where this run's requests go; the Graph constructor
// calls it once it has chosen.
func (f *Factory) SetBackend(b Backend) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.backend = b
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
