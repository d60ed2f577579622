package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/atomicfile"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/config"
	"github.com/mfactl/mfactl/internal/coverage"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/plural"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/reports"
)

// NewCmdReport is the auditors' noun: coverage, tokens and diff.
func NewCmdReport(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "report <command>",
		Short: "Coverage reports for auditors: who has MFA, backups, SMS-only users, admins, tokens",
		Long: `Reports over the whole tenant, read-only: the MFA coverage of every user with
findings (no method, no backup, SMS/voice only, admins without a phishing-resistant
method, disabled users holding methods, outstanding Temporary Access Passes,
hardware tokens unassigned or not activated), the hardware token inventory, and
what changed between two coverage reports.`,
	}
	c.AddCommand(NewCmdReportCoverage(f, nil), NewCmdReportTokens(f, nil), NewCmdReportDiff(f, nil))
	return c
}

// ReportCoverageOptions are the flags of `report coverage`.
type ReportCoverageOptions struct {
	IO     *iostreams.IOStreams
	Graph  func() (*graph.Client, error)
	Config func() (*config.Config, error)
	Now    func() time.Time

	Source      string
	Filter      string
	Out         string
	Concurrency int
	Samples     int
	NoTokens    bool
	Stats       bool
	Title       string

	// source and filter are Source and Filter, parsed by Validate.
	source string
	filter reports.Filter
}

// Validate checks the flags before the tenant is read.
func (o *ReportCoverageOptions) Validate() error {
	source, err := coverage.ParseSource(o.Source)
	if err != nil {
		return cmdutil.FlagErrorf("--source: %v", err)
	}
	filter, err := reports.ParseFilter(o.Filter)
	if err != nil {
		return cmdutil.FlagErrorf("--filter: %v", err)
	}
	if o.Concurrency < 1 || o.Concurrency > 64 {
		return cmdutil.FlagErrorf("--concurrency must be between 1 and 64, not %d", o.Concurrency)
	}
	if o.Samples < 0 {
		return cmdutil.FlagErrorf("--samples must be 0 or more")
	}
	o.source, o.filter = source, filter
	return nil
}

// NewCmdReportCoverage builds `mfactl report coverage`.
func NewCmdReportCoverage(f *cmdutil.Factory, runF func(context.Context, *ReportCoverageOptions) error) *cobra.Command {
	opts := &ReportCoverageOptions{IO: f.IOStreams, Graph: f.Graph, Config: f.Config, Now: f.Now, Source: coverage.SourceAuto, Concurrency: 8, Samples: reports.DefaultSampleLimit}
	c := &cobra.Command{
		Use:   "coverage [--source auto|registration|methods] [--filter F] [-o table|csv|json|md|html] [--out FILE]",
		Short: "MFA coverage of every user, with findings",
		Long: `One row per user: methods (all but the password), default method, MFA capable,
strongest class (phishingResistant, authenticatorApp, otp, phone, none), a backup
(two MFA methods or more; email and Temporary Access Passes are not MFA methods),
SMS/voice only, admin; then a summary with totals, percentages per class and per
method, and findings with counts and the users concerned.

Sources (--source):
  registration  pages through Graph's userRegistrationDetails report, 999 users a
                request (needs AuditLog.Read.All and Reports Reader, Security Reader
                or Global Reader). It leaves out disabled users.
  methods       lists the users and reads each one's method list and sign-in
                preferences through $batch (20 reads a request, --concurrency
                requests in flight; needs UserAuthenticationMethod.Read.All).
  auto          (default) counts the users and plans from the tenant size and
                Graph's throttling budgets (registration: 5 requests per 10 s;
                methods: resource units per 10 s). Under the budgets it reads two
                fronts at once: the registration report from the start of the
                userPrincipalName order and per-user method lists from its end,
                meeting where their budgets say, plus the disabled users' method
                lists (the report leaves them out); it says in the summary which
                source each part came from. Where the registration report is
                refused it reads every user's methods instead.

Requests are paced to Graph's budgets once the server shows it meters them (its
x-ms-resource-unit header, or a 429), and adapt to Retry-After and the throttle
headers, so almost no request is throttled; every 429 is still honoured.

Rows stream to the output (memory does not grow with the tenant). --out writes the
file atomically: an interrupted run (Ctrl-C, network loss) leaves no half-written
file. -o html is one self-contained page with charts and a sortable, filterable user
table; csv has the rows only; json is {"users": [...], "summary": {...}}, which
` + "`mfactl report diff`" + ` compares. A progress bar shows on a terminal.`,
		Example: `  mfactl --mock report coverage
  mfactl report coverage -o html --out coverage.html
  mfactl report coverage -o json --out 2026-q4.json
  mfactl report coverage --filter admins -o md
  mfactl report coverage --source methods --concurrency 16 -o csv > coverage.csv`,
		Args: exactArgs(0, "report coverage takes no arguments: choose users with --filter"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerb(cmd.Context(), opts, runF, reportCoverageRun)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Source, "source", opts.Source, "where to read methods from: auto, registration or methods")
	fl.StringVar(&opts.Filter, "filter", "", "only these users: all, or admins, guests, members, enabled (comma-separated, all must match)")
	fl.StringVar(&opts.Out, "out", "", "write the report to this `file` (atomically, mode 0600) instead of standard output")
	fl.IntVar(&opts.Concurrency, "concurrency", opts.Concurrency, "$batch requests in flight for the methods source (1-64)")
	fl.IntVar(&opts.Samples, "samples", opts.Samples, "users listed per finding in the summary (counts are always exact; 0 lists none)")
	fl.BoolVar(&opts.NoTokens, "no-tokens", false, "do not read the hardware token inventory (no token findings)")
	fl.BoolVar(&opts.Stats, "stats", false, "print on stderr the plan, the fronts' progress and re-plan every 10 s, and per front the users, requests, resource units, 429s and waits, and the time against the bound of Graph's budgets")
	fl.StringVar(&opts.Title, "title", "", "title of the md and html reports")
	_ = c.RegisterFlagCompletionFunc("source", cobra.FixedCompletions(coverage.Sources, cobra.ShellCompDirectiveNoFileComp))
	_ = c.RegisterFlagCompletionFunc("filter", cobra.FixedCompletions(append([]string{"all"}, reports.FilterTerms...), cobra.ShellCompDirectiveNoFileComp))
	return c
}

// reportFormat reads -o for a report: its formats are not the printer's.
func reportFormat(cfg func() (*config.Config, error), allowed ...reports.Format) (reports.Format, error) {
	c, err := cfg()
	if err != nil {
		return "", err
	}
	f := reports.FormatTable
	if c.Output != "" {
		f, err = reports.ParseFormat(c.Output)
	}
	if err != nil {
		return "", cmdutil.FlagErrorf("-o: %v", err)
	}
	for _, a := range allowed {
		if f == a {
			return f, nil
		}
	}
	return "", cmdutil.FlagErrorf("-o %s is not a format of this report (use one of %s)", f, formatList(allowed))
}

func formatList(fs []reports.Format) string {
	s := ""
	for i, f := range fs {
		if i > 0 {
			s += ", "
		}
		s += string(f)
	}
	return s
}

func reportCoverageRun(ctx context.Context, opts *ReportCoverageOptions) error {
	format, err := reportFormat(opts.Config, reports.FormatTable, reports.FormatCSV, reports.FormatJSON, reports.FormatMarkdown, reports.FormatHTML)
	if err != nil {
		return err
	}
	source, filter := opts.source, opts.filter
	client, err := opts.Graph()
	if err != nil {
		return err
	}

	plan, err := coverage.Prepare(ctx, client, coverage.Options{Source: source, Filter: filter, Concurrency: opts.Concurrency, Tokens: !opts.NoTokens})
	if err != nil {
		return err
	}
	if opts.Stats || opts.IO.IsStderrTTY() {
		opts.IO.Notef("plan: %s", plan.Describe())
	}
	samples := opts.Samples
	if samples == 0 {
		samples = -1 // none
	}
	progress := newRowProgress(opts.IO, plan.Total())
	users := func(yield func(reports.UserInput, error) bool) {
		for in, err := range plan.Inputs(ctx) {
			if err == nil {
				progress.add(1)
			}
			if !yield(in, err) {
				return
			}
		}
	}
	copts := reports.CoverageOptions{
		Format: format, Filter: filter, SampleLimit: samples, GeneratedAt: opts.Now().UTC(),
		Title: opts.Title, TempDir: os.TempDir(), SourceScopes: plan.SourceScopes(),
	}
	start := time.Now()
	if opts.Stats {
		stop := printForecasts(opts.IO, plan, forecastEvery)
		defer stop()
	}
	var summary reports.Summary
	write := func(w io.Writer) error {
		var err error
		summary, err = reports.WriteCoverage(ctx, w, users, plan.TokenSource(ctx), copts)
		return err
	}
	err = writeReport(opts.IO.Out, opts.Out, write)
	progress.finish()
	for _, n := range plan.Notes {
		opts.IO.Warnf("%s", n)
	}
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, context.Canceled) {
			err = errors.Join(context.Canceled, err)
		}
		if opts.Out != "" {
			return fmt.Errorf("report coverage (nothing written to %s): %w", opts.Out, err)
		}
		return fmt.Errorf("report coverage: %w", err)
	}
	if opts.Stats {
		st := client.Limiter().Stats()
		pct := 0.0
		if st.Requests > 0 {
			pct = 100 * float64(st.Throttled) / float64(st.Requests)
		}
		took := time.Since(start)
		opts.IO.Notef("stats: %d users in %s; %d requests (%d resource units), %d throttled (%.2f%%), waited %s in all, metered %v",
			summary.Users.Total, took.Round(time.Millisecond), st.Requests, st.ResourceUnits, st.Throttled, pct, st.Waited.Round(time.Millisecond), st.Metered)
		printFrontStats(opts.IO, plan, st, took)
	}
	if opts.Out != "" {
		opts.IO.Notef("wrote %s: %s, %s%% MFA capable, %s%% with a backup", opts.Out, plural.Count(summary.Users.Total, "user"),
			formatPct(summary.Users.MFACapable.Percent), formatPct(summary.Users.HasBackup.Percent))
	}
	return nil
}

func formatPct(p float64) string { return fmt.Sprintf("%.1f", p) }

// forecastEvery is how often --stats prints the two fronts' re-plan.
const forecastEvery = 10 * time.Second

// printForecasts prints, every interval while the fronts run, where they
// stand and the re-plan from it (coverage.Forecast); stop ends it.
func printForecasts(ios *iostreams.IOStreams, plan *coverage.Plan, every time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				pr, eta, rest, ok := plan.FrontsProgress()
				if !ok {
					continue
				}
				meet := "met"
				if !pr.Met {
					meet = fmt.Sprintf("meeting at about %.0f%% of the enabled users", 100*meetingShare(pr, rest))
				}
				ios.Notef("stats: %s: registration front %s (%s), methods front %s and %s; re-planned: %s, done at about %s",
					pr.Elapsed.Round(time.Second), plural.Count(pr.ReportUsers, "user"), plural.Count(pr.ReportPages, "page"),
					plural.Count(pr.MethodsUsers, "user"), plural.Count(pr.DisabledUsers, "disabled user"), meet, eta.Round(time.Second))
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// meetingShare is where the fronts are predicted to meet: the share of the
// enabled users the registration front will have covered.
func meetingShare(pr coverage.Progress, rest coverage.FrontsPlan) float64 {
	report := pr.ReportUsers + rest.ReportUsers
	if n := report + pr.MethodsUsers + rest.MethodsUsers; n > 0 {
		return float64(report) / float64(n)
	}
	return 0
}

// printFrontStats prints each budget's (each front's) requests, 429s and
// waits, where the fronts met against the plan, and the time against the
// bound Graph's two budgets allow for the tenant.
func printFrontStats(ios *iostreams.IOStreams, plan *coverage.Plan, st graph.LimiterStats, took time.Duration) {
	pr, _, _, fronts := plan.FrontsProgress()
	reportUsers, methodsUsers := "", ""
	reportLabel, methodsLabel := "reports budget", "identity budget"
	if fronts {
		reportLabel, methodsLabel = "registration front (reports budget)", "methods front (identity budget)"
		reportUsers = plural.Count(pr.ReportUsers, "user") + ", "
		methodsUsers = plural.Count(pr.MethodsUsers, "user") + " and " + plural.Count(pr.DisabledUsers, "disabled user") + ", "
	}
	ident := graph.BudgetStats{Requests: st.Requests - st.Reports.Requests, Throttled: st.Throttled - st.Reports.Throttled, Waited: st.Waited - st.Reports.Waited}
	ios.Notef("stats: %s: %s%s, %d throttled, waited %s",
		reportLabel, reportUsers, plural.Count(st.Reports.Requests, "request"), st.Reports.Throttled, st.Reports.Waited.Round(time.Millisecond))
	ios.Notef("stats: %s: %s%s, %d resource units, %d throttled, waited %s",
		methodsLabel, methodsUsers, plural.Count(ident.Requests, "request"), st.ResourceUnits, ident.Throttled, ident.Waited.Round(time.Millisecond))
	if fronts && plan.Fronts != nil {
		got := 0.0
		if n := pr.ReportUsers + pr.MethodsUsers; n > 0 {
			got = float64(pr.ReportUsers) / float64(n)
		}
		ios.Notef("stats: the fronts met at %.1f%% of the enabled users by userPrincipalName (planned %.1f%%)", 100*got, 100*plan.Fronts.ReportShare())
	}
	if !st.Metered {
		ios.Notef("stats: the server does not meter requests, so Graph's budgets set no bound")
		return
	}
	bound := plan.Bound()
	if bound == 0 {
		ios.Notef("stats: bound 0s: the budgets' first window holds every request for %s; took %s", plural.Count(plan.Users, "user"), took.Round(time.Millisecond))
		return
	}
	ios.Notef("stats: bound %s (what Graph's two budgets allow for %s); took %s: %.2fx the bound",
		bound.Round(time.Millisecond), plural.Count(plan.Users, "user"), took.Round(time.Millisecond), took.Seconds()/bound.Seconds())
}

// rowProgress is a progress bar of users read, on stderr on a terminal only.
type rowProgress struct{ bar *progressbar.ProgressBar }

func newRowProgress(ios *iostreams.IOStreams, total int) *rowProgress {
	if !ios.IsStderrTTY() {
		return nil
	}
	if total <= 0 {
		total = -1 // unknown: a spinner
	}
	return &rowProgress{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(ios.ErrOut),
		progressbar.OptionSetDescription("Reading users"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("users"),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

func (p *rowProgress) add(n int) {
	if p != nil {
		_ = p.bar.Add(n)
	}
}

func (p *rowProgress) finish() {
	if p != nil {
		_ = p.bar.Finish()
	}
}

// ReportTokensOptions are the flags of `report tokens`.
type ReportTokensOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Config  func() (*config.Config, error)
	Status  string
	Out     string
	Samples int

	status methods.HardwareTokenStatus // Status, parsed by Validate
}

// Validate checks --status before the inventory is read.
func (o *ReportTokensOptions) Validate() error {
	var err error
	o.status, err = parseStatusFlag(o.Status)
	return err
}

// NewCmdReportTokens builds `mfactl report tokens`.
func NewCmdReportTokens(f *cmdutil.Factory, runF func(context.Context, *ReportTokensOptions) error) *cobra.Command {
	opts := &ReportTokensOptions{IO: f.IOStreams, Graph: f.Graph, Config: f.Config, Samples: reports.DefaultSampleLimit}
	c := &cobra.Command{
		Use:   "tokens [--status S] [-o table|csv|json|md] [--out FILE]",
		Short: "The hardware token inventory by status, manufacturer and model",
		Long: `Counts the tenant's hardware OATH tokens by status (available, assigned, activated,
failedActivation), by manufacturer and by model, with the tokens that are unassigned
or assigned but not activated. Needs a role that reads the inventory (Authentication
Policy Administrator or Global Reader).`,
		Example: `  mfactl --mock report tokens
  mfactl report tokens -o csv --out tokens.csv
  mfactl report tokens --status failedActivation -o json`,
		Args: exactArgs(0, "report tokens takes no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerb(cmd.Context(), opts, runF, reportTokensRun)
		},
	}
	c.Flags().StringVar(&opts.Status, "status", "", "only tokens in this status: available, assigned, activated or failedActivation")
	c.Flags().StringVar(&opts.Out, "out", "", "write the report to this `file` (atomically, mode 0600)")
	c.Flags().IntVar(&opts.Samples, "samples", opts.Samples, "tokens listed per finding (counts are always exact; 0 lists none)")
	_ = c.RegisterFlagCompletionFunc("status", cobra.FixedCompletions([]string{"available", "assigned", "activated", "failedActivation"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

func reportTokensRun(ctx context.Context, opts *ReportTokensOptions) error {
	format, err := reportFormat(opts.Config, reports.FormatTable, reports.FormatCSV, reports.FormatJSON, reports.FormatMarkdown)
	if err != nil {
		return err
	}
	status := opts.status
	samples := opts.Samples
	if samples == 0 {
		samples = -1
	}
	client, err := opts.Graph()
	if err != nil {
		return err
	}
	tokens := func(yield func(methods.HardwareToken, error) bool) {
		stopped := false
		err := client.ListHardwareTokens(ctx, graph.HardwareTokenFilter{Status: status}, func(t methods.HardwareToken) bool {
			stopped = !yield(t, nil)
			return !stopped
		})
		if err != nil && !stopped {
			yield(methods.HardwareToken{}, err)
		}
	}
	write := func(w io.Writer) error {
		s, err := reports.WriteTokenReport(ctx, w, tokens, reports.TokenReportOptions{Format: format, SampleLimit: samples})
		if err == nil && s.Total == 0 {
			opts.IO.Notef("no hardware tokens%s", map[bool]string{true: " with status " + string(status), false: " in the inventory"}[status != ""])
		}
		return err
	}
	err = writeReport(opts.IO.Out, opts.Out, write)
	if err != nil {
		return fmt.Errorf("report tokens: %w", err)
	}
	return nil
}

// ReportDiffOptions are the arguments of `report diff`.
type ReportDiffOptions struct {
	IO     *iostreams.IOStreams
	Config func() (*config.Config, error)
	Old    string
	New    string
	Out    string
}

// Validate refuses blank report names before either file is read.
func (o *ReportDiffOptions) Validate() error {
	if strings.TrimSpace(o.Old) == "" || strings.TrimSpace(o.New) == "" {
		return cmdutil.FlagErrorf("report diff needs two coverage reports: <old.json> <new.json> (from report coverage -o json)")
	}
	return nil
}

// NewCmdReportDiff builds `mfactl report diff`.
func NewCmdReportDiff(f *cmdutil.Factory, runF func(context.Context, *ReportDiffOptions) error) *cobra.Command {
	opts := &ReportDiffOptions{IO: f.IOStreams, Config: f.Config}
	c := &cobra.Command{
		Use:   "diff <old.json> <new.json> [-o table|csv|json|md]",
		Short: "What changed between two coverage reports",
		Long: `Compares two JSON coverage reports (` + "`mfactl report coverage -o json`" + `): users who gained
or lost MFA, a backup or a phishing-resistant method, who became (or stopped being)
SMS/voice-only, users added or removed, and each user's method-level changes:
methods added and removed and a changed default method (a user who lost an
Authenticator but kept a FIDO2 key is listed too). It reads no tenant: only the files.
Both reports stream: they are sorted by user id through temporary files, so memory
stays flat (two reports of a million users take about 120 MB).`,
		Example: `  mfactl report diff 2026-q3.json 2026-q4.json   # [placeholder] two reports of yours
  mfactl report diff 2026-q3.json 2026-q4.json -o md --out changes.md   # [placeholder] two reports of yours
  mfactl --mock report coverage -o json --out before.json
  mfactl --mock phone add alex.wilber@contoso.example +14255550123 --type mobile
  mfactl --mock report coverage -o json --out after.json
  mfactl report diff before.json after.json`,
		Args: exactArgs(2, "report diff needs two JSON coverage reports: <old.json> <new.json>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Old, opts.New = args[0], args[1]
			return runVerb(cmd.Context(), opts, runF, reportDiffRun)
		},
	}
	c.Flags().StringVar(&opts.Out, "out", "", "write the changes to this `file` (atomically, mode 0600)")
	return c
}

func reportDiffRun(ctx context.Context, opts *ReportDiffOptions) error {
	format, err := reportFormat(opts.Config, reports.FormatTable, reports.FormatCSV, reports.FormatJSON, reports.FormatMarkdown)
	if err != nil {
		return err
	}
	open := func(path string) (*os.File, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("report diff: %w", err), "give two files written by `mfactl report coverage -o json`")
		}
		return f, nil
	}
	oldF, err := open(opts.Old)
	if err != nil {
		return err
	}
	defer oldF.Close()
	newF, err := open(opts.New)
	if err != nil {
		return err
	}
	defer newF.Close()
	var s reports.DiffSummary
	write := func(w io.Writer) error {
		var err error
		s, err = reports.WriteDiff(ctx, w, oldF, newF, reports.DiffOptions{Format: format, TempDir: os.TempDir()})
		return err
	}
	err = writeReport(opts.IO.Out, opts.Out, write)
	if err != nil {
		return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("report diff: %w", err), "both files must be JSON coverage reports (`mfactl report coverage -o json`)")
	}
	for _, w := range s.Warnings {
		opts.IO.Warnf("%s", w)
	}
	return nil
}

// writeReport gives write the file at path, replaced atomically so a
// failed report leaves the old one, or stdout when path is empty.
func writeReport(stdout io.Writer, path string, write func(io.Writer) error) error {
	if path == "" {
		return write(stdout)
	}
	return atomicfile.Write(path, 0o600, write)
}
