package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/internal/plural"
	"github.com/mfactl/mfactl/mock"
	"github.com/mfactl/mfactl/mock/store"
)

// The emulator verbs (`mock health`, `mock reset`, `mock clock`) steer the
// mock through its /_mock/ endpoints, so they work the same against the
// in-process mock (--mock) and a served one (--endpoint). `mock seed`
// writes a state file directly.

// noArgs refuses arguments as a usage error (exit 2).
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return cmdutil.FlagErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// MockHealthOptions are the inputs of `mock health`.
type MockHealthOptions struct {
	Graph   func() (*graph.Client, error)
	Backend func() cmdutil.Backend
	Printer func() (*output.Printer, error)
}

// Validate has nothing to check: mock health takes no inputs.
func (o *MockHealthOptions) Validate() error { return nil }

// NewCmdMockHealth builds `mfactl mock health`.
func NewCmdMockHealth(f *cmdutil.Factory, runF func(context.Context, *MockHealthOptions) error) *cobra.Command {
	opts := &MockHealthOptions{Graph: f.Graph, Backend: f.Backend, Printer: f.Printer}
	return &cobra.Command{
		Use:   "health",
		Short: "Show the mock server's tenant, size, uptime, clock and realism knobs",
		Example: `  mfactl --mock mock health
  mfactl --endpoint http://127.0.0.1:8080 mock health -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVerb(cmd.Context(), opts, runF, mockHealthRun)
		},
	}
}

func mockHealthRun(ctx context.Context, opts *MockHealthOptions) error {
	em, printer, err := openEmulator("mock health", opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return err
	}
	h, err := em.Health(ctx)
	if err != nil {
		return err
	}
	return printer.Print(healthView{h})
}

type healthView struct{ *graph.EmulatorHealth }

func (v healthView) pairs() [][2]string {
	h := v.EmulatorHealth
	return [][2]string{
		{"status", h.Status},
		{"tenant", fmt.Sprintf("%s (%s, %s)", h.DisplayName, h.Domain, h.TenantID)},
		{"seed", h.Seed},
		{"users", strconv.Itoa(h.Users)},
		{"hardware tokens", strconv.Itoa(h.HardwareTokens)},
		{"store", h.Store},
		{"uptime", (time.Duration(h.UptimeSeconds) * time.Second).String()},
		{"clock", fmt.Sprintf("%s (offset %s)", h.Now.Format(time.RFC3339), mock.FormatOffset(seconds(h.ClockOffsetSeconds)))},
		{"latency", h.Realism.Latency},
		{"throttle", h.Realism.Throttle},
		{"fail rate", failRate(h.Realism.FailRate, h.Realism.FailSeed)},
	}
}

func (v healthView) RenderTable(w io.Writer) error { return renderPairs(w, v.pairs()) }
func (v healthView) Table() output.TableData       { return pairsTable(v.pairs()) }

func failRate(rate float64, seed uint64) string {
	if rate == 0 {
		return "0"
	}
	return fmt.Sprintf("%s (seed %d)", strconv.FormatFloat(rate, 'g', -1, 64), seed)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// renderPairs prints aligned "key: value" lines.
func renderPairs(w io.Writer, pairs [][2]string) error {
	width := 0
	for _, p := range pairs {
		width = max(width, len(p[0]))
	}
	for _, p := range pairs {
		if _, err := fmt.Fprintf(w, "%-*s  %s\n", width+1, p[0]+":", p[1]); err != nil {
			return err
		}
	}
	return nil
}

func pairsTable(pairs [][2]string) output.TableData {
	t := output.TableData{Header: []string{"field", "value"}}
	for _, p := range pairs {
		t.Rows = append(t.Rows, []string{p[0], p[1]})
	}
	return t
}

// MockResetOptions are the inputs of `mock reset`.
type MockResetOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Backend func() cmdutil.Backend
	Printer func() (*output.Printer, error)
	Users   int
	Seed    int64
	// UsersSet and SeedSet say whether --users and --seed were given.
	UsersSet, SeedSet bool
}

// Validate checks --users and --seed before the mock is asked.
func (o *MockResetOptions) Validate() error {
	if o.SeedSet && !o.UsersSet {
		return cmdutil.FlagErrorf("--seed needs --users: a synthetic tenant has --users users")
	}
	if o.UsersSet {
		if err := (mock.SynthOptions{Users: o.Users}).Validate(); err != nil {
			return cmdutil.FlagErrorf("--users: %v", err)
		}
	}
	return nil
}

// NewCmdMockReset builds `mfactl mock reset`.
func NewCmdMockReset(f *cmdutil.Factory, runF func(context.Context, *MockResetOptions) error) *cobra.Command {
	opts := &MockResetOptions{IO: f.IOStreams, Graph: f.Graph, Backend: f.Backend, Printer: f.Printer, Seed: 1}
	c := &cobra.Command{
		Use:   "reset [--users N [--seed S]]",
		Short: "Put the mock tenant back to the demo tenant, or reseed it synthetically",
		Long: `Replace the mock's whole state (every user, method, token and the clock offset)
with the demo tenant, or with a synthetic tenant of --users users generated from
--seed (see "mock seed" for the mix). Works on the in-process mock (--mock) and on
a running "mock serve" (--endpoint) alike; needs the admin token.`,
		Example: `  mfactl --mock mock reset
  mfactl --endpoint http://127.0.0.1:8080 mock reset --users 5000 --seed 42`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.UsersSet, opts.SeedSet = cmd.Flags().Changed("users"), cmd.Flags().Changed("seed")
			return runVerb(cmd.Context(), opts, runF, mockResetRun)
		},
	}
	c.Flags().IntVar(&opts.Users, "users", 0, "reseed with a synthetic tenant of this many users (4 to 1000000)")
	c.Flags().Int64Var(&opts.Seed, "seed", opts.Seed, "seed of the synthetic tenant")
	return c
}

func mockResetRun(ctx context.Context, opts *MockResetOptions) error {
	em, printer, err := openEmulator("mock reset", opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return err
	}
	h, err := em.Reset(ctx, opts.Users, opts.Seed)
	if err != nil {
		return err
	}
	if printer.Format != output.Table {
		return printer.Print(healthView{h})
	}
	what := "the demo tenant"
	if opts.Users > 0 {
		what = fmt.Sprintf("a synthetic tenant (seed %d)", opts.Seed)
	}
	fmt.Fprintf(opts.IO.Out, "reset the mock to %s: %s, %s, clock on real time\n", what, plural.Count(h.Users, "user"), plural.Count(h.HardwareTokens, "hardware token"))
	return nil
}

// MockClockOptions are the inputs of `mock clock`.
type MockClockOptions struct {
	Graph   func() (*graph.Client, error)
	Backend func() cmdutil.Backend
	Printer func() (*output.Printer, error)
	// Action is show, advance, set-offset or reset; Duration its argument.
	Action   string
	Duration time.Duration
}

// Validate checks the action the subcommand chose.
func (o *MockClockOptions) Validate() error {
	switch o.Action {
	case "show", "advance", "set-offset":
		return nil
	}
	return cmdutil.FlagErrorf("mock clock %q: use show, advance, set-offset or reset", o.Action)
}

// NewCmdMockClock builds `mfactl mock clock [show | advance D | set-offset D | reset]`.
func NewCmdMockClock(f *cmdutil.Factory, runF func(context.Context, *MockClockOptions) error) *cobra.Command {
	opts := &MockClockOptions{Graph: f.Graph, Backend: f.Backend, Printer: f.Printer, Action: "show"}
	run := func(cmd *cobra.Command) error {
		return runVerb(cmd.Context(), opts, runF, mockClockRun)
	}
	c := &cobra.Command{
		Use:   "clock [show | advance <duration> | set-offset <duration> | reset]",
		Short: "Show or move the mock's emulated clock",
		Long: `The mock's clock runs at real speed plus an offset, which every time-dependent
rule uses (Temporary Access Pass validity, one-time codes). Moving it lets you test
what happens tomorrow, or in 31 days, without waiting. The offset is kept in the
mock's state, so later --mock runs see it. Durations are Go durations that may also
use days and weeks: 90s, 15m, 1h30m, 2d, 1w. A negative duration goes back: write
it after --, as in "mock clock advance -- -1h".`,
		Example: `  mfactl --mock mock clock
  mfactl --mock mock clock advance 8d
  mfactl --endpoint http://127.0.0.1:8080 mock clock set-offset 1h
  mfactl --mock mock clock reset`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdutil.FlagErrorf("unknown mock clock action %q: use show, advance <duration>, set-offset <duration> or reset", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd) },
	}
	durationVerb := func(use, short, action string) *cobra.Command {
		return &cobra.Command{
			Use:   use + " <duration>",
			Short: short,
			Args:  exactArgs(1, "mock clock "+use+" needs one <duration>, such as 15m, 2d or -1h (after --)"),
			RunE: func(cmd *cobra.Command, args []string) error {
				d, err := mock.ParseClockDuration(args[0])
				if err != nil {
					return cmdutil.FlagErrorWrap(err)
				}
				opts.Action, opts.Duration = action, d
				return run(cmd)
			},
		}
	}
	c.AddCommand(
		&cobra.Command{Use: "show", Short: "Show the emulated time and the offset", Args: noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { opts.Action = "show"; return run(cmd) }},
		durationVerb("advance", "Move the clock forward (or back) by a duration", "advance"),
		durationVerb("set-offset", "Set how far the clock runs ahead of real time", "set-offset"),
		&cobra.Command{Use: "reset", Short: "Put the clock back on real time", Args: noArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				opts.Action, opts.Duration = "set-offset", 0
				return run(cmd)
			}},
	)
	return c
}

func mockClockRun(ctx context.Context, opts *MockClockOptions) error {
	em, printer, err := openEmulator("mock clock", opts.Printer, opts.Graph, opts.Backend)
	if err != nil {
		return err
	}
	var c *graph.EmulatorClock
	switch opts.Action {
	case "show":
		c, err = em.Clock(ctx)
	case "advance":
		c, err = em.AdvanceClock(ctx, opts.Duration)
	case "set-offset":
		c, err = em.SetClockOffset(ctx, opts.Duration)
	default:
		return fmt.Errorf("mock clock: unknown action %q (a bug)", opts.Action)
	}
	if err != nil {
		return err
	}
	return printer.Print(clockView{c})
}

type clockView struct{ *graph.EmulatorClock }

func (v clockView) pairs() [][2]string {
	return [][2]string{
		{"emulated now", v.Now.Format(time.RFC3339)},
		{"offset", mock.FormatOffset(seconds(v.OffsetSeconds))},
		{"real now", v.RealNow.Format(time.RFC3339)},
	}
}

func (v clockView) RenderTable(w io.Writer) error { return renderPairs(w, v.pairs()) }
func (v clockView) Table() output.TableData       { return pairsTable(v.pairs()) }

// MockSeedOptions are the inputs of `mock seed`.
type MockSeedOptions struct {
	IO      *iostreams.IOStreams
	Printer func() (*output.Printer, error)
	// StatePath resolves the default state file (the embedded mock's).
	StatePath func() (string, error)

	Users int
	Seed  int64
	Day   string
	State string
	// UsersSet says whether --users was given.
	UsersSet bool
}

// Validate checks --users and --day before the state file is touched.
func (o *MockSeedOptions) Validate() error {
	if !o.UsersSet {
		return cmdutil.FlagErrorf("mock seed needs --users N (4 to 1000000)")
	}
	if err := (mock.SynthOptions{Users: o.Users}).Validate(); err != nil {
		return cmdutil.FlagErrorf("--users: %v", err)
	}
	if o.Day != "" {
		if _, err := time.Parse(time.DateOnly, o.Day); err != nil {
			return cmdutil.FlagErrorf("--day %q is not a date like 2025-06-01", o.Day)
		}
	}
	return nil
}

// NewCmdMockSeed builds `mfactl mock seed`.
func NewCmdMockSeed(f *cmdutil.Factory, runF func(context.Context, *MockSeedOptions) error) *cobra.Command {
	opts := &MockSeedOptions{IO: f.IOStreams, Printer: f.Printer, Seed: 1, StatePath: func() (string, error) {
		cfg, err := f.Config()
		if err != nil {
			return "", err
		}
		return cfg.MockState, nil
	}}
	c := &cobra.Command{
		Use:   "seed --users N [--seed S] [--day YYYY-MM-DD] [--state FILE]",
		Short: "Replace the mock state with a generated tenant of N users",
		Long: `Replace everything in a mock state file with a synthetic tenant: --users users
(the four principals of the mock's tokens included) with a realistic mix of members,
guests, disabled users and admins; no MFA, SMS only, Authenticator, software OATH,
FIDO2, Windows Hello and platform credentials; Temporary Access Passes outstanding and
expired; and hardware OATH tokens in every status. The same --users, --seed and --day
give byte-identical data; timestamps are relative to --day (default today, UTC).

The state file is the embedded mock's (MFACTL_MOCK_STATE) unless --state names
another. It must not be in use: to reseed a running "mock serve", use "mock reset
--users N --seed S".`,
		Example: `  mfactl mock seed --users 100000 --seed 42   # [not run: takes a minute]
  mfactl mock seed --users 500 --seed 7 --day 2025-06-01 --state ./lab.db`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.UsersSet = cmd.Flags().Changed("users")
			return runVerb(cmd.Context(), opts, runF, mockSeedRun)
		},
	}
	c.Flags().IntVar(&opts.Users, "users", 0, "number of users, the token principals included (4 to 1000000)")
	c.Flags().Int64Var(&opts.Seed, "seed", opts.Seed, "seed: the same seed gives the same tenant")
	c.Flags().StringVar(&opts.Day, "day", "", "reference day of the timestamps, YYYY-MM-DD (default today, UTC)")
	c.Flags().StringVar(&opts.State, "state", "", "state file (default: MFACTL_MOCK_STATE or the embedded mock's file)")
	return c
}

// seedResult is what `mock seed` reports.
type seedResult struct {
	State string `json:"state"`
	Seed  int64  `json:"seed"`
	Day   string `json:"day"`
	mock.SynthStats
	Seconds    float64 `json:"seconds"`
	StoreBytes int64   `json:"storeBytes"`
}

func (r seedResult) pairs() [][2]string {
	return [][2]string{
		{"state", r.State},
		{"tenant", fmt.Sprintf("%s (seed %d, day %s)", plural.Count(r.Users, "user"), r.Seed, r.Day)},
		{"members", strconv.Itoa(r.Members)},
		{"guests", strconv.Itoa(r.Guests)},
		{"disabled", strconv.Itoa(r.Disabled)},
		{"admins", strconv.Itoa(r.Admins)},
		{"without MFA", strconv.Itoa(r.WithoutMFA)},
		{"methods", strconv.Itoa(r.Methods)},
		{"hardware tokens", strconv.Itoa(r.HardwareTokens)},
		{"took", (time.Duration(r.Seconds*1000) * time.Millisecond).String()},
		{"store size", fmt.Sprintf("%.1f MB", float64(r.StoreBytes)/1e6)},
	}
}

func (r seedResult) RenderTable(w io.Writer) error { return renderPairs(w, r.pairs()) }
func (r seedResult) Table() output.TableData       { return pairsTable(r.pairs()) }

func mockSeedRun(_ context.Context, opts *MockSeedOptions) error {
	printer, err := opts.Printer()
	if err != nil {
		return err
	}
	path := opts.State
	if path == "" {
		if path, err = opts.StatePath(); err != nil {
			return err
		}
	}
	day := time.Now().UTC()
	if opts.Day != "" {
		day, _ = time.Parse(time.DateOnly, opts.Day)
	}
	// A short wait: the file is either free or held by a server that will
	// not let go (mock serve), which "mock reset" reseeds instead.
	b, err := store.OpenBolt(path, 3*time.Second)
	if err != nil {
		return cmdutil.WithExit(cmdutil.ExitFailure, err, "stop `mfactl mock serve` on this state, or reseed it with `mfactl mock reset --users N --seed S`")
	}
	start := time.Now()
	stats, err := mock.SeedSynthetic(b, mock.SynthOptions{Users: opts.Users, Seed: opts.Seed, Day: day})
	took := time.Since(start)
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return printer.Print(seedResult{
		State: path, Seed: opts.Seed, Day: day.Format(time.DateOnly), SynthStats: stats,
		Seconds: took.Seconds(), StoreBytes: fi.Size(),
	})
}
