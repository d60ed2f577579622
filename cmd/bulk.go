package cmd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/atomicfile"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/bulk"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/internal/plural"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/reports"
)

// bulkChunk is how many users are read (and applied) together: 20
// $batch requests of 20 reads with four reads a user, enough to keep
// --concurrency requests in flight, small enough for flat memory.
const bulkChunk = 400

// NewCmdBulk groups the bulk verbs.
func NewCmdBulk(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "bulk <command>",
		Short: "Plan, review and apply changes to many users' methods",
		Long: `Bulk changes work like Terraform's plan and apply: nothing changes that was not
reviewed. ` + "`bulk plan FILE`" + ` reads a CSV (or JSON Lines) file with one row per user, reads
each user's state and writes a plan file of the operations needed (none for a
user already there); ` + "`bulk apply plan.json`" + ` re-reads each user, skips those changed
since the plan, and sends the rest through $batch at Graph's write budget, keeping
a journal beside the plan so an interrupted run continues where it stopped;
` + "`bulk status plan.json`" + ` shows how far it got. See docs/bulk.md.`,
	}
	c.AddCommand(NewCmdBulkPlan(f, nil), NewCmdBulkApply(f, nil), NewCmdBulkStatus(f, nil))
	return c
}

// BulkPlanOptions are the inputs of `bulk plan`.
type BulkPlanOptions struct {
	IO           *iostreams.IOStreams
	Graph        func() (*graph.Client, error)
	Printer      func() (*output.Printer, error)
	Audit        *audit.Session // the users the run acts on, for its audit record
	Now          func() time.Time
	File         string
	Out          string
	Country      string
	FromReport   string
	Finding      string
	Set          []string
	RevokedSince string
	Concurrency  int

	// src and revokedSince are where the rows come from and RevokedSince,
	// as Validate checked them.
	src          bulkSource
	revokedSince time.Duration
}

// Validate checks the source of the rows and the flags before anything is
// read.
func (o *BulkPlanOptions) Validate() error {
	src, err := o.source()
	if err != nil {
		return err
	}
	if o.Concurrency < 1 || o.Concurrency > 16 {
		return cmdutil.FlagErrorf("--concurrency must be between 1 and 16")
	}
	since, err := parseLifetime(o.RevokedSince)
	if err != nil {
		return cmdutil.FlagErrorf("--revoked-since: %v", err)
	}
	o.src, o.revokedSince = src, since
	return nil
}

// NewCmdBulkPlan builds `mfactl bulk plan FILE`.
func NewCmdBulkPlan(f *cmdutil.Factory, runF func(context.Context, *BulkPlanOptions) error) *cobra.Command {
	opts := &BulkPlanOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit, Now: f.Now, Out: "plan.json", RevokedSince: "24h", Concurrency: 4}
	c := &cobra.Command{
		Use:   "plan {FILE | --from-report coverage.json --finding NAME} [--set COLUMN=VALUE]... [--out plan.json]",
		Short: "Read a file of per-user changes and the users' state, and write the plan",
		Long: `Plan bulk changes. FILE is CSV with a header (or JSON Lines, one object a line),
one row per user; an empty cell leaves that thing as it is. Columns:

  user             UPN or object id (required)
  mobile, alternateMobile, office
                   a number in any form ` + "`phone add`" + ` accepts (--country for national
                   numbers; office takes an extension); - removes that phone
  email            an address; - removes the email method
  smsSignIn        enabled | disabled
  default          push | oath | sms | voiceMobile | voiceAlternateMobile | voiceOffice
  tap              a Temporary Access Pass lifetime, optionally one-use: 8h, "8h once"
  remove           methods to remove, separated by ;: sms (the mobile phone), phone,
                   mobile, alternateMobile, office, email, microsoftAuthenticator,
                   softwareOath, fido2, windowsHelloForBusiness, platformCredential,
                   temporaryAccessPass, or TYPE:ID for one method (fido2:<id>)
  revokeSessions   yes (skipped when the sessions were revoked within --revoked-since)
  mfaState         disabled | enabled | enforced

Every cell is checked first: a bad value anywhere refuses the whole file (exit 2),
naming every bad row with its line. Then each user's state is read through $batch
and the operations planned in an order Entra accepts (mobile before
alternateMobile, a new default before its old method is removed), each checked
against Entra's rules; a row that breaks one is refused and reported (exit 5), the
others planned. The plan file (mode 0600) holds each user's operations and a
fingerprint of the state they were planned from.`,
		Example: `  mfactl --mock bulk plan hires.csv --out hires-plan.json   # hires.csv: your file [placeholder]
  mfactl --mock report coverage -o json --out coverage.json
  mfactl --mock bulk plan --from-report coverage.json --finding smsVoiceOnly --set 'tap=8h once'   # a pass each, to register the Authenticator
  mfactl bulk plan incident.csv -o json   # [placeholder]`,
		Args: rangeArgs(0, 1, "bulk plan takes one FILE (or --from-report)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.File = args[0]
			}
			return runVerb(cmd.Context(), opts, runF, bulkPlanRun)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Out, "out", opts.Out, "where to write the plan (mode 0600)")
	fl.StringVar(&opts.Country, "country", "", "two-letter country of national phone numbers, e.g. US")
	fl.StringVar(&opts.FromReport, "from-report", "", "take the users from a coverage report (report coverage -o json) instead of a FILE")
	fl.StringVar(&opts.Finding, "finding", "", "with --from-report: the finding whose users to take (e.g. smsVoiceOnly, noMfaMethod)")
	fl.StringArrayVar(&opts.Set, "set", nil, "COLUMN=VALUE for every row whose cell is empty (repeatable): --set remove=sms --set tap=\"8h once\"")
	fl.StringVar(&opts.RevokedSince, "revoked-since", opts.RevokedSince, "revokeSessions skips users whose sessions were revoked within this long")
	fl.IntVar(&opts.Concurrency, "concurrency", opts.Concurrency, "how many $batch requests are in flight, 1 to 16")
	_ = c.RegisterFlagCompletionFunc("finding", cobra.FixedCompletions(findingNames(), cobra.ShellCompDirectiveNoFileComp))
	offerOutputFormats(c, output.Table, output.JSON, output.YAML, output.Markdown)
	return c
}

func findingNames() []string {
	var out []string
	for _, f := range reports.FindingIDs[:6] {
		out = append(out, string(f))
	}
	return out
}

// bulkSource yields the rows to plan: a file's, or a report finding's users.
type bulkSource struct {
	name     string
	file     string
	report   string
	finding  reports.FindingID
	defaults map[string]string
}

// rows streams the source's rows with the --set defaults applied. A
// malformed row is yielded with its *bulk.RowError.
func (src bulkSource) rows(yield func(bulk.Row, error) bool) error {
	if src.report != "" {
		f, err := os.Open(src.report)
		if err != nil {
			return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("--from-report: %w", err), "give a coverage report written by `mfactl report coverage -o json`")
		}
		defer f.Close()
		n := 0
		stop := errors.New("stop")
		_, err = reports.ReadCoverage(f, func(r reports.Row) error {
			n++
			if !slices.Contains(r.Findings, src.finding) {
				return nil
			}
			row := bulk.ApplyDefaults(bulk.Row{Line: n, Cells: map[string]string{bulk.ColUser: r.UserPrincipalName}}, src.defaults)
			if !yield(row, nil) {
				return stop
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("%s: %w", src.report, err), "give a coverage report written by `mfactl report coverage -o json`")
		}
		return nil
	}
	f, err := os.Open(src.file)
	if err != nil {
		return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("bulk plan: %w", err), "give a CSV file with a header row (user,mobile,...) or a JSON Lines file")
	}
	defer f.Close()
	rd, err := bulk.NewReader(f, src.file)
	if err != nil {
		return cmdutil.WithExit(cmdutil.ExitUsage, err, "the columns are "+strings.Join(bulk.Columns, ","))
	}
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var re *bulk.RowError
		if err != nil && !errors.As(err, &re) {
			return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("reading %s: %w", src.file, err), "")
		}
		if err == nil {
			row = bulk.ApplyDefaults(row, src.defaults)
		}
		if !yield(row, err) || (re != nil && re.Fatal) {
			return nil
		}
	}
}

// bulkParsers are the single-user verbs' own checks of phone numbers,
// email addresses and lifetimes.
func bulkParsers(country string) bulk.Parsers {
	return bulk.Parsers{
		User: graph.ValidateUserRef,
		Phone: func(number string, t methods.PhoneType) (methods.Phone, error) {
			return methods.ParsePhone(number, country, t)
		},
		Email: func(a string) (string, error) {
			addr, err := checkEmailAddress(a)
			if err != nil {
				return "", errors.New(strings.TrimPrefix(err.Error(), "mfactl: "))
			}
			return addr, nil
		},
		Lifetime: parseLifetime,
	}
}

// maxListedErrors bounds the bad rows printed; the rest are counted.
const maxListedErrors = 1000

func bulkPlanRun(ctx context.Context, opts *BulkPlanOptions) error {
	src, since := opts.src, opts.revokedSince
	if _, err := os.Stat(bulk.JournalPath(opts.Out)); err == nil {
		return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("%s has an apply journal (%s): writing a new plan there would orphan it", opts.Out, bulk.JournalPath(opts.Out)),
			"finish that apply, or write the new plan elsewhere with --out")
	}
	parsers := bulkParsers(opts.Country)

	// Pass 1: every cell of every row, before anything is read. The rows
	// are read once before it for the users' hashes, so finding a user
	// given twice holds 8 bytes a row, not every user (bulk.Repeats).
	repeats := bulk.NewRepeats()
	err := src.rows(func(r bulk.Row, rerr error) bool {
		if u := r.Get(bulk.ColUser); rerr == nil && u != "" {
			repeats.Add(strings.ToLower(u))
		}
		return true
	})
	if err != nil {
		return err
	}
	repeats.Seal()
	var bad []string
	rows, badRows, taps, mfa := 0, 0, 0, false
	err = src.rows(func(r bulk.Row, rerr error) bool {
		rows++
		var errs []*bulk.RowError
		if rerr != nil {
			errs = []*bulk.RowError{rerr.(*bulk.RowError)}
		} else {
			d, es := bulk.ParseRow(r, parsers)
			errs = es
			if d.User != "" {
				if first, dup := repeats.First(strings.ToLower(d.User), r.Line); dup {
					errs = append(errs, &bulk.RowError{Line: r.Line, Column: bulk.ColUser, Msg: fmt.Sprintf("%s is also on line %d: give each user one row", d.User, first)})
				}
			}
			if d.TAP != nil {
				taps++
			}
			mfa = mfa || d.MFAState != ""
		}
		if len(errs) > 0 {
			badRows++
		}
		for _, e := range errs {
			if len(bad) < maxListedErrors {
				bad = append(bad, e.Error())
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	if badRows > 0 {
		for _, b := range bad {
			fmt.Fprintf(opts.IO.ErrOut, "%s: %s\n", src.name, b)
		}
		return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("%d of %d rows of %s are invalid; nothing was planned", badRows, rows, src.name),
			"fix the rows named above and plan again")
	}
	if rows == 0 {
		opts.IO.Notef("Nothing to plan: %s has no rows.", src.name)
		return nil
	}

	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, Mutation{})
	if err != nil {
		return err
	}
	planOpts := bulk.Options{RevokedSince: opts.Now().Add(-since)}
	if taps > 0 {
		check, err := tapPolicyCheck(ctx, s)
		if err != nil {
			return err
		}
		planOpts.CheckTAP = check
	}
	id, err := newPlanID()
	if err != nil {
		return err
	}
	h := bulk.Header{ID: id, Created: opts.Now().UTC(), Source: src.name, Backend: s.client.Root(), ReadMFAState: mfa}
	var sum bulk.Summary
	var refused []bulk.UserPlan
	err = atomicfile.Write(opts.Out, 0o600, func(w io.Writer) error {
		pw, err := bulk.NewPlanWriter(w, h)
		if err != nil {
			return err
		}
		var chunk []bulk.Desired
		flush := func() error {
			plans, err := planChunk(ctx, s.client, chunk, planOpts, mfa, opts.Concurrency)
			if err != nil {
				return err
			}
			for _, u := range plans {
				if u.Refused != "" && len(refused) < maxListedErrors {
					refused = append(refused, u)
				}
				if err := pw.Add(u); err != nil {
					return err
				}
			}
			chunk = chunk[:0]
			return nil
		}
		var ferr error
		err = src.rows(func(r bulk.Row, _ error) bool {
			d, _ := bulk.ParseRow(r, parsers)
			chunk = append(chunk, d)
			if len(chunk) == bulkChunk {
				ferr = flush()
			}
			return ferr == nil
		})
		if err == nil {
			err = ferr
		}
		if err == nil && len(chunk) > 0 {
			err = flush()
		}
		if err != nil {
			return err
		}
		sum, err = pw.Close()
		return err
	})
	if err != nil {
		return err
	}
	s.IO.Notef("Wrote plan %s to %s (mode 0600): %s on %s; %d already as asked, %d refused.", id, opts.Out, plural.Count(sum.Ops, "operation"), plural.Count(sum.Users, "user"), sum.Unchanged, sum.Refused)
	if err := s.printer.Print(planSummaryView{ID: id, File: opts.Out, Summary: sum, RefusedRows: refusedRows(refused)}); err != nil {
		return err
	}
	if sum.Refused > 0 {
		return cmdutil.WithExit(cmdutil.ExitPartial, fmt.Errorf("%d of %d rows were refused; the plan holds the others", sum.Refused, sum.Rows),
			"fix the refused rows (see the plan's refused entries) and plan them again, or apply the plan without them")
	}
	return nil
}

func (opts *BulkPlanOptions) source() (bulkSource, error) {
	src := bulkSource{defaults: map[string]string{}}
	for _, s := range opts.Set {
		col, v, err := bulk.ParseSet(s)
		if err != nil {
			return src, cmdutil.FlagErrorf("%v", err)
		}
		src.defaults[col] = v
	}
	switch {
	case opts.File != "" && opts.FromReport != "":
		return src, cmdutil.FlagErrorf("give either a FILE or --from-report, not both")
	case opts.FromReport != "":
		if opts.Finding == "" {
			return src, cmdutil.FlagErrorf("--from-report needs --finding NAME (%s)", strings.Join(findingNames(), ", "))
		}
		if !slices.Contains(findingNames(), opts.Finding) {
			return src, cmdutil.FlagErrorf("--finding %q is not a user finding; use one of %s", opts.Finding, strings.Join(findingNames(), ", "))
		}
		src.report, src.finding = opts.FromReport, reports.FindingID(opts.Finding)
		src.name = opts.FromReport + " (" + opts.Finding + ")"
		if len(src.defaults) == 0 {
			return src, cmdutil.FlagErrorf("--from-report selects users; say what to change with --set COLUMN=VALUE (--set remove=sms)")
		}
	case opts.File != "":
		if opts.Finding != "" {
			return src, cmdutil.FlagErrorf("--finding goes with --from-report")
		}
		src.file, src.name = opts.File, opts.File
	default:
		return src, cmdutil.FlagErrorf("bulk plan needs a FILE, or --from-report coverage.json --finding NAME")
	}
	return src, nil
}

// tapPolicyCheck reads the TAP policy once and returns the check every
// planned pass is held to: the policy's state, its lifetime bounds
// (checkLifetime, as `tap create` applies them) and one-time-only passes.
// A policy the caller may not read leaves the checks to Graph.
func tapPolicyCheck(ctx context.Context, s *session) (func(int, bool) error, error) {
	pol, err := s.client.GetTAPPolicy(ctx)
	switch {
	case err == nil:
	case graph.StatusOf(err) == 403 || graph.StatusOf(err) == 404 || graph.StatusOf(err) == 400:
		s.IO.Warnf("could not read the tenant's Temporary Access Pass policy (%s); Graph will check the lifetimes", graph.CodeOf(err))
		return func(minutes int, _ bool) error {
			if err := checkLifetime(time.Duration(minutes)*time.Minute, nil); err != nil {
				return &bulk.RuleError{Code: bulk.CodeTAPLifetime, Msg: strings.TrimPrefix(err.Error(), "--lifetime ")}
			}
			return nil
		}, nil
	default:
		return nil, err
	}
	return func(minutes int, once bool) error {
		if pol.State != "" && pol.State != "enabled" {
			return &bulk.RuleError{Code: bulk.CodeTAPDisabled, Msg: "the Temporary Access Pass method is disabled in the tenant's authentication methods policy"}
		}
		if err := checkLifetime(time.Duration(minutes)*time.Minute, &pol); err != nil {
			return &bulk.RuleError{Code: bulk.CodeTAPLifetime, Msg: "the tap " + strings.TrimPrefix(err.Error(), "--")}
		}
		if pol.IsUsableOnce && !once {
			return &bulk.RuleError{Code: bulk.CodeTAPOneTimeOnly, Msg: "the tenant's policy allows one-time passes only: write the tap cell as \"" + methods.FormatMinutes(minutes) + " once\""}
		}
		return nil
	}, nil
}

// planChunk reads the chunk's users and plans each row.
func planChunk(ctx context.Context, client *graph.Client, chunk []bulk.Desired, o bulk.Options, mfa bool, concurrency int) ([]bulk.UserPlan, error) {
	refs := make([]string, len(chunk))
	for i, d := range chunk {
		refs[i] = d.User
	}
	reads, err := readBulkStates(ctx, client, refs, mfa, concurrency)
	if err != nil {
		return nil, err
	}
	out := make([]bulk.UserPlan, 0, len(chunk))
	for _, d := range chunk {
		rd := reads[strings.ToLower(d.User)]
		u := bulk.UserPlan{Line: d.Line, User: d.User}
		switch {
		case rd == nil:
			u.Refused = fmt.Sprintf("user %q was not read", d.User)
		case rd.err != nil:
			u.Refused = "reading the user: " + oneLine(rd.err)
		case !rd.found:
			u.Refused = fmt.Sprintf("user %q not found", d.User)
		default:
			u.ID, u.UPN = rd.user.ID, rd.user.UserPrincipalName
			u.Fingerprint = rd.state.Fingerprint()
			ops, err := bulk.Plan(d, rd.state, o)
			if err != nil {
				var re *bulk.RuleError
				if errors.As(err, &re) {
					u.Code = re.Code
					u.Refused = re.Msg
				} else {
					u.Refused = err.Error()
				}
			}
			u.Ops = ops
		}
		out = append(out, u)
	}
	return out, nil
}

func newPlanID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "bp-" + hex.EncodeToString(b[:]), nil
}

// refusedRow is a refused row as the plan summary lists it.
type refusedRow struct {
	Line   int    `json:"line"`
	User   string `json:"user"`
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason"`
}

func refusedRows(us []bulk.UserPlan) []refusedRow {
	out := []refusedRow{}
	for _, u := range us {
		out = append(out, refusedRow{Line: u.Line, User: u.User, Code: u.Code, Reason: u.Refused})
	}
	return out
}

// planSummaryView is what `bulk plan` prints.
type planSummaryView struct {
	ID          string       `json:"id"`
	File        string       `json:"file"`
	Summary     bulk.Summary `json:"summary"`
	RefusedRows []refusedRow `json:"refusedRows"`
}

func (v planSummaryView) Table() output.TableData {
	t := output.TableData{Header: []string{"operation", "count"}}
	for _, k := range bulk.OpKinds {
		if n := v.Summary.ByKind[k]; n > 0 {
			t.Rows = append(t.Rows, []string{string(k), fmt.Sprint(n)})
		}
	}
	return t
}

func (v planSummaryView) RenderTable(w io.Writer) error {
	fmt.Fprintf(w, "Plan %s (%s)\n", v.ID, v.File)
	fmt.Fprintf(w, "Rows %d: %s to change, %d already as asked, %d refused\n", v.Summary.Rows, plural.Count(v.Summary.Users, "user"), v.Summary.Unchanged, v.Summary.Refused)
	if v.Summary.Ops > 0 {
		fmt.Fprintf(w, "Operations %d:\n", v.Summary.Ops)
		if err := output.WriteTable(w, v.Table()); err != nil {
			return err
		}
	}
	if len(v.RefusedRows) > 0 {
		t := output.TableData{Header: []string{"line", "user", "refused because"}}
		for _, r := range v.RefusedRows {
			t.Rows = append(t.Rows, []string{fmt.Sprint(r.Line), r.User, r.Reason})
		}
		fmt.Fprintln(w, "Refused rows:")
		return output.WriteTable(w, t)
	}
	return nil
}

func (v planSummaryView) RenderMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "## Bulk plan %s\n\n", v.ID)
	fmt.Fprintf(w, "%s: %s to change, %d already as asked, %d refused.\n\n", plural.Count(v.Summary.Rows, "row"), plural.Count(v.Summary.Users, "user"), v.Summary.Unchanged, v.Summary.Refused)
	fmt.Fprintln(w, "| operation | count |\n|---|---:|")
	for _, r := range v.Table().Rows {
		fmt.Fprintf(w, "| %s | %s |\n", r[0], r[1])
	}
	if len(v.RefusedRows) > 0 {
		fmt.Fprintln(w, "\n| line | user | refused because |\n|---:|---|---|")
		for _, r := range v.RefusedRows {
			fmt.Fprintf(w, "| %d | %s | %s |\n", r.Line, mdCell(r.User), mdCell(r.Reason))
		}
	}
	return nil
}
