package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/output"
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
	return c
}

// MockServeOptions are the inputs of `mock serve`.
type MockServeOptions struct {
	Factory *cmdutil.Factory

	Addr  string
	State string
	Token string
	Log   bool
	// Ready, when set, is called with the server once it listens (tests).
	Ready func(*mock.Server)
}

// NewCmdMockServe builds `mfactl mock serve`.
func NewCmdMockServe(f *cmdutil.Factory, runF func(context.Context, *MockServeOptions) error) *cobra.Command {
	opts := &MockServeOptions{Factory: f}
	c := &cobra.Command{
		Use:   "serve [--addr HOST:PORT] [--state FILE] [--token T]",
		Short: "Serve the mock Graph API over HTTP",
		Long: `Serve the mock tenant as a Graph endpoint under /v1.0 and /beta until interrupted.
It prints its address and the bearer tokens it accepts. A new, empty state file
is seeded with the demo tenant on first use.`,
		Example: `  mfactl mock serve --addr 127.0.0.1:8080
  MFACTL_ENDPOINT=http://127.0.0.1:8080 MFACTL_TOKEN=mock-admin-token mfactl user show adele.vance@contoso.example`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
	state := opts.State
	if state == "" {
		state = cfg.MockState
	}
	mo := mock.Options{StatePath: state, AdminToken: opts.Token}
	if opts.Log {
		mo.Log = f.IOStreams.ErrOut
	}
	srv, err := mock.NewServer(mo)
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Listen(opts.Addr); err != nil {
		return cmdutil.WithExit(cmdutil.ExitFailure, err, "pick another --addr, or stop what is listening there")
	}
	info := serveInfo{URL: srv.URL(), GraphV1: srv.URL() + "/v1.0", GraphBeta: srv.URL() + "/beta", State: state, AdminToken: srv.AdminToken(), Tokens: srv.Tokens()}
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
	fmt.Fprintf(w, "state:        %s\n", info.State)
	fmt.Fprintf(w, "admin token:  %s\n", info.AdminToken)
	fmt.Fprintln(w, "tokens:")
	for _, t := range info.Tokens {
		fmt.Fprintf(w, "  %-22s %-32s %s\n", t.Token, t.Principal, strings.Join(t.Roles, ", "))
	}
	fmt.Fprintf(w, "use it with:  export MFACTL_ENDPOINT=%s MFACTL_TOKEN=%s\n", info.URL, info.AdminToken)
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}
