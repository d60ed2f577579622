package cmd

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/factory"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/mock"
	"github.com/mfactl/mfactl/mock/store"
)

// testCLI runs commands in-process against an in-memory mock tenant.
type testCLI struct {
	t     *testing.T
	srv   *mock.Server
	store store.Store
	token string
	// stdin is what the next run reads; tty makes its streams terminals.
	stdin  string
	tty    bool
	stdout *bytes.Buffer
	stderr *bytes.Buffer
	// transport, when set, wraps the mock's in-process transport (fault
	// injection layered over the handler).
	transport func(http.RoundTripper) http.RoundTripper
	// answer, when set, replaces stdin: it is asked for the line to type
	// at each prompt, given the prompt's text without its ": " (questions
	// asked in an order only the server knows).
	answer func(prompt string) string
	// now, when set, is the CLI's clock.
	now func() time.Time
}

// promptReader types answer(prompt) whenever the command reads a line.
type promptReader struct {
	errOut *bytes.Buffer
	answer func(string) string
}

func (r *promptReader) Read(p []byte) (int, error) {
	// Prompts end in ": " without a newline, so several can share a line.
	text := strings.TrimSuffix(r.errOut.String(), ": ")
	prompt := text[max(strings.LastIndex(text, "\n"), strings.LastIndex(text, ": ")+1)+1:]
	line := r.answer(strings.TrimSpace(prompt))
	if line == "" {
		return 0, io.EOF
	}
	return copy(p, line+"\n"), nil
}

func newTestCLI(t *testing.T) *testCLI {
	t.Helper()
	return newTestCLIWith(t, mock.Options{})
}

// newTestCLIWith runs the in-memory mock with opts (a fixed clock, say).
func newTestCLIWith(t *testing.T, opts mock.Options) *testCLI {
	t.Helper()
	st := store.NewMemory()
	opts.Store = st
	srv, err := mock.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	// Isolate configuration from the developer's own files.
	t.Setenv("MFACTL_CONFIG", t.TempDir()+"/config.yaml")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	return &testCLI{t: t, srv: srv, store: st, token: mock.DefaultAdminToken}
}

// run executes args and returns the exit code; output is in stdout/stderr.
func (c *testCLI) run(args ...string) int {
	c.t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(c.stdin)
	if c.answer != nil {
		ios.In = &promptReader{errOut: errOut, answer: c.answer}
	}
	ios.SetTTY(c.tty)
	c.stdout, c.stderr = out, errOut
	return Execute(context.Background(), c.factory(ios), args)
}

// factory is a Factory whose Graph client talks to the test's mock.
func (c *testCLI) factory(ios *iostreams.IOStreams) *cmdutil.Factory {
	f := factory.New(ios, "test")
	if c.now != nil {
		f.Now = c.now
	}
	f.Graph = func() (*graph.Client, error) {
		tr := c.srv.Transport()
		if c.transport != nil {
			tr = c.transport(tr)
		}
		return graph.New(graph.Options{Root: mock.InProcessRoot, Credential: graph.StaticToken(c.token), Transport: tr})
	}
	return f
}
