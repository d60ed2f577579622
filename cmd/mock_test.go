package cmd

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
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

func TestMockServeFlags(t *testing.T) {
	tests := []struct {
		args []string
		err  string
		want mock.Realism
		tls  bool
		// noPortal, portalPublic: the portal flags as parsed.
		noPortal, portalPublic bool
	}{
		{args: nil},
		{args: []string{"--latency", "20ms", "--throttle", "graph", "--fail-rate", "2%", "--fail-seed", "7"},
			want: mock.Realism{Latency: mock.Latency{Min: 20 * time.Millisecond, Max: 20 * time.Millisecond}, Throttle: mock.ThrottleGraph, FailRate: 0.02, FailSeed: 7}},
		{args: []string{"--latency", "10ms-50ms"}, want: mock.Realism{Latency: mock.Latency{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}}},
		{args: []string{"--tls", "--tls-cert-out", "c.pem", "--tls-key-out", "k.pem"}, tls: true},
		{args: []string{"--tls-cert", "c.pem", "--tls-key", "k.pem"}, tls: true},
		{args: []string{"--latency", "fast"}, err: "--latency"},
		{args: []string{"--throttle", "azure"}, err: "--throttle"},
		{args: []string{"--fail-rate", "1.5"}, err: "--fail-rate"},
		{args: []string{"--fail-seed", "-3"}, err: "--fail-seed"},
		{args: []string{"--tls-cert", "c.pem"}, err: "go together"},
		{args: []string{"--tls-cert-out", "c.pem"}, err: "need --tls"},
		{args: []string{"--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-cert-out", "x.pem"}, err: "already have the files"},
		{args: []string{"--no-portal"}, noPortal: true},
		{args: []string{"--portal-public"}, portalPublic: true},
		{args: []string{"--no-portal", "--portal-public"}, err: "give one of them"},
	}
	for _, tt := range tests {
		ios, _, _, errOut := iostreams.Test()
		f := factory.New(ios, "test")
		var got *MockServeOptions
		cmd := NewCmdMockServe(f, func(_ context.Context, o *MockServeOptions) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetErr(errOut)
		cmd.SetOut(errOut)
		err := cmd.Execute()
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
				t.Errorf("%v: err %v (exit %d), want %q and exit 2", tt.args, err, cmdutil.ExitCodeOf(err), tt.err)
			}
			continue
		}
		if err != nil || got.Realism != tt.want || got.TLS != tt.tls || got.NoPortal != tt.noPortal || got.PortalPublic != tt.portalPublic {
			t.Errorf("%v: %v, realism %+v tls %v portal off %v public %v", tt.args, err, got.Realism, got.TLS, got.NoPortal, got.PortalPublic)
		}
	}
}

func TestMockClockCommands(t *testing.T) {
	cli := newTestCLI(t)
	steps := []struct {
		args   []string
		offset string
	}{
		{[]string{"mock", "clock"}, "+0s"},
		{[]string{"mock", "clock", "advance", "15m"}, "+15m0s"},
		{[]string{"mock", "clock", "advance", "1d"}, "+1d15m0s"},
		{[]string{"mock", "clock", "advance", "--", "-30m"}, "+23h45m0s"},
		{[]string{"mock", "clock", "set-offset", "2w"}, "+14d"},
		{[]string{"mock", "clock", "show"}, "+14d"},
		{[]string{"mock", "clock", "reset"}, "+0s"},
	}
	for _, s := range steps {
		if code := cli.run(s.args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", s.args, code, cli.stderr)
		}
		if !strings.Contains(cli.stdout.String(), "offset:        "+s.offset+"\n") || !strings.Contains(cli.stdout.String(), "emulated now:") {
			t.Errorf("%v:\n%s", s.args, cli.stdout)
		}
	}
	if code := cli.run("mock", "clock", "advance", "90m", "-o", "json"); code != 0 {
		t.Fatal(cli.stderr)
	}
	var c graph.EmulatorClock
	if err := json.Unmarshal(cli.stdout.Bytes(), &c); err != nil || c.OffsetSeconds != 5400 || c.Now.Sub(c.RealNow) != 90*time.Minute {
		t.Errorf("json: %v %+v", err, c)
	}
	if cli.srv.ClockOffset() != 90*time.Minute {
		t.Errorf("server offset %s", cli.srv.ClockOffset())
	}

	for _, bad := range [][]string{{"mock", "clock", "advance", "soon"}, {"mock", "clock", "advance"}, {"mock", "clock", "set-offset", "1y"}, {"mock", "clock", "tomorrow"}} {
		if code := cli.run(bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", bad, code, cli.stderr)
		}
	}
	cli.token = mock.GlobalReaderToken
	if code := cli.run("mock", "clock", "advance", "1h"); code != 4 || !strings.Contains(cli.stderr.String(), "admin token") {
		t.Errorf("reader moving the clock: exit %d, %s", code, cli.stderr)
	}
	if code := cli.run("mock", "clock"); code != 0 {
		t.Errorf("reader reading the clock: exit %d %s", code, cli.stderr)
	}
	if cli.srv.ClockOffset() != 90*time.Minute {
		t.Errorf("refused commands moved the clock to %s", cli.srv.ClockOffset())
	}
}

func TestMockResetAndHealthCommands(t *testing.T) {
	cli := newTestCLI(t)
	if code := cli.run("mock", "reset", "--users", "50", "--seed", "3"); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	if got := cli.stdout.String(); !strings.HasPrefix(got, "reset the mock to a synthetic tenant (seed 3): 50 users,") {
		t.Errorf("reset output %q", got)
	}
	if code := cli.run("mock", "health"); code != 0 {
		t.Fatal(cli.stderr)
	}
	for _, want := range []string{"status:           ok\n", "users:            50\n", "synthetic users=50 seed=3", "throttle:         off\n", "store:            memory\n"} {
		if !strings.Contains(cli.stdout.String(), want) {
			t.Errorf("health lacks %q:\n%s", want, cli.stdout)
		}
	}
	if code := cli.run("mock", "reset", "-o", "json"); code != 0 {
		t.Fatal(cli.stderr)
	}
	var h graph.EmulatorHealth
	if err := json.Unmarshal(cli.stdout.Bytes(), &h); err != nil || h.Users != len(mock.DemoUsers()) || h.Seed != "demo" {
		t.Errorf("demo reset: %v %+v", err, h)
	}
	for _, bad := range [][]string{{"mock", "reset", "--seed", "3"}, {"mock", "reset", "--users", "2"}, {"mock", "reset", "--users", "many"}} {
		if code := cli.run(bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	cli.token = mock.AuthAdminToken
	if code := cli.run("mock", "reset"); code != 4 {
		t.Errorf("helpdesk reset: exit %d %s", code, cli.stderr)
	}
}

func TestEmulatorVerbsRefuseRealGraph(t *testing.T) {
	client, err := graph.New(graph.Options{Credential: graph.StaticToken("t")})
	if err != nil {
		t.Fatal(err)
	}
	ios, _, _, _ := iostreams.Test()
	f := factory.New(ios, "test")
	opts := &MockClockOptions{EmulatorOptions: EmulatorOptions{IO: ios, Printer: f.Printer,
		Graph:   func() (*graph.Client, error) { return client, nil },
		Backend: func() cmdutil.Backend { return cmdutil.Backend{Kind: "graph"} }}, Action: "show"}
	t.Setenv("MFACTL_CONFIG", filepath.Join(t.TempDir(), "c.yaml"))
	err = mockClockRun(context.Background(), opts)
	if cmdutil.ExitCodeOf(err) != 2 || !strings.Contains(err.Error(), "--mock") {
		t.Errorf("against real Graph: %v", err)
	}
}

func TestMockSeedCommand(t *testing.T) {
	cli := newTestCLI(t)
	state := filepath.Join(t.TempDir(), "lab", "state.db")
	if code := cli.run("mock", "seed", "--users", "300", "--seed", "5", "--day", "2025-06-01", "--state", state, "-o", "json"); code != 0 {
		t.Fatalf("exit %d: %s", code, cli.stderr)
	}
	var r seedResult
	if err := json.Unmarshal(cli.stdout.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Users != 300 || r.State != state || r.Day != "2025-06-01" || r.HardwareTokens != 9 || r.StoreBytes == 0 || r.Members+r.Guests != 300 {
		t.Errorf("result %+v", r)
	}
	b, err := store.OpenBolt(state, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mock.NewServer(mock.Options{Store: b})
	if err != nil {
		t.Fatal(err)
	}
	health, _ := srv.Transport().RoundTrip(mustRequest(t, "GET", mock.InProcessRoot+"/_mock/health"))
	var h graph.EmulatorHealth
	json.NewDecoder(health.Body).Decode(&h)
	if h.Users != 300 || h.TenantID != mock.SyntheticTenantID(5) {
		t.Errorf("seeded state: %+v", h)
	}
	srv.Close()
	b.Close()

	if code := cli.run("mock", "seed", "--users", "300", "--seed", "5", "--day", "2025-06-01", "--state", state); code != 0 {
		t.Fatal(cli.stderr)
	}
	for _, want := range []string{"tenant:           300 users (seed 5, day 2025-06-01)\n", "hardware tokens:  9\n", "store size:"} {
		if !strings.Contains(cli.stdout.String(), want) {
			t.Errorf("table output lacks %q:\n%s", want, cli.stdout)
		}
	}
	for _, bad := range [][]string{{"mock", "seed"}, {"mock", "seed", "--users", "3"}, {"mock", "seed", "--users", "10", "--day", "June"}} {
		if code := cli.run(bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
