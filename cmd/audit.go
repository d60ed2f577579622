package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/internal/plural"
)

// NewCmdAudit groups the audit log verbs.
func NewCmdAudit(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "audit <command>",
		Short: "Read and verify the local log of every change mfactl made",
		Long: `Every mutating command of mfactl (not its dry runs) appends one record to a local,
append-only audit log: when, who (the signed-in identity, or the token's app), the
tenant, the command line (secrets redacted), the users acted on with their methods
before and after, every Graph write with its status, the outcome and the ticket id.

The log is $MFACTL_AUDIT_LOG, the audit-log setting, or audit.log in mfactl's state
directory; it is private to you (0600). Records are hash-chained, and a head file
beside the log remembers the last one, so editing, removing, reordering or cutting
records is found by ` + "`mfactl audit verify`" + `. A damaged log stops every mutating
command before it changes anything. A run writes an intent record before its first
change and its outcome record when it ends, so a run that was killed shows as
"started, outcome unknown". ` + "`mfactl audit head`" + ` prints the head to keep outside the
log (a ticket, a SIEM); ` + "`mfactl audit verify --anchor`" + ` checks the log still holds it.`,
	}
	c.AddCommand(NewCmdAuditLog(f, nil), NewCmdAuditCheckChain(f, nil), NewCmdAuditHead(f, nil))
	return c
}

// AuditLogOptions are the inputs of `audit log`.
type AuditLogOptions struct {
	IO      *iostreams.IOStreams
	Log     func() (*audit.Log, error)
	Printer func() (*output.Printer, error)
	Now     func() time.Time
	File    string
	User    string
	Since   string
	Ticket  string
	Plan    string

	since time.Time // Since, parsed by Validate (zero: from the start)
}

// Validate checks --since before the log is read.
func (o *AuditLogOptions) Validate() error {
	o.since = time.Time{}
	if o.Since != "" {
		t, err := parseSince(o.Since, o.Now(), time.Local)
		if err != nil {
			return cmdutil.FlagErrorWrap(err)
		}
		o.since = t
	}
	return nil
}

// NewCmdAuditLog builds `mfactl audit log [--user U] [--since D] [--ticket T]`.
func NewCmdAuditLog(f *cmdutil.Factory, runF func(context.Context, *AuditLogOptions) error) *cobra.Command {
	opts := &AuditLogOptions{IO: f.IOStreams, Printer: f.Printer, Now: f.Now}
	opts.Log = func() (*audit.Log, error) { return openAuditFile(f, opts.File) }
	c := &cobra.Command{
		Use:   "log [--user U] [--since D] [--ticket T] [--plan ID]",
		Short: "List the recorded changes, oldest first",
		Example: `  mfactl audit log
  mfactl audit log --user adele.vance@contoso.example --since 7d
  mfactl audit log --since 2025-06-01 -o csv > changes.csv
  mfactl audit log --ticket INC-1234 -o json
  mfactl audit log --plan bp-5f0c2a9e1b7d4c33`,
		Args: exactArgs(0, "audit log takes no arguments; filter with --user, --since, --ticket or --plan"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVerb(cmd.Context(), opts, runF, auditLogRun)
		},
	}
	c.Flags().StringVar(&opts.File, "file", "", "read this log instead of the configured one (a copy, an archive)")
	c.Flags().StringVar(&opts.User, "user", "", "only changes to this user (user principal name or object id)")
	c.Flags().StringVar(&opts.Since, "since", "", "only changes since a time: a duration ago (24h, 7d) or a date (2025-06-02, 2025-06-02T09:00:00Z)")
	c.Flags().StringVar(&opts.Ticket, "ticket", "", "only changes made for this ticket")
	c.Flags().StringVar(&opts.Plan, "plan", "", "only changes made by bulk apply of this plan `ID` (bp-...)")
	return c
}

// openAuditOutput opens the log and the printer of an audit verb; verbs
// whose records have no Markdown form refuse -o md.
func openAuditOutput(openLog func() (*audit.Log, error), newPrinter func() (*output.Printer, error), verb string, markdown bool) (*audit.Log, *output.Printer, error) {
	log, err := openLog()
	if err != nil {
		return nil, nil, err
	}
	printer, err := newPrinter()
	if err != nil {
		return nil, nil, err
	}
	if !markdown && printer.Format == output.Markdown {
		return nil, nil, cmdutil.FlagErrorf("%s prints table, json, yaml or csv", verb)
	}
	return log, printer, nil
}

func openAuditFile(f *cmdutil.Factory, file string) (*audit.Log, error) {
	if file != "" {
		return audit.Open(file), nil
	}
	return auditLog(f)
}

// parseSince reads --since: a duration back from now, or a time.
func parseSince(s string, now time.Time, loc *time.Location) (time.Time, error) {
	in := strings.TrimSpace(s)
	if d, err := parseLifetime(in); err == nil {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, in); err == nil {
		return t, nil
	}
	for _, layout := range startLayouts {
		if t, err := time.ParseInLocation(layout, in, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q is neither a duration (24h, 7d) nor a time (2025-06-02, \"2025-06-02 09:00\", 2025-06-02T09:00:00Z)", oneLineString(s))
}

// outcomeUnknown is how `audit log` shows the outcome of a run that wrote
// its intent record and no outcome record.
const outcomeUnknown = "unknown (started; no outcome recorded)"

// auditRecords is what `audit log` prints: the records themselves in JSON
// and YAML, one line each in a table or CSV.
type auditRecords []audit.Record

func (rs auditRecords) Table() output.TableData {
	t := output.TableData{Header: []string{"seq", "time", "actor", "tenant", "command", "targets", "ticket", "outcome", "writes", "error"}}
	for _, r := range rs {
		command, outcome := r.Command, r.Outcome
		switch r.Kind {
		case audit.KindRecovery:
			command = "(sealed an interrupted write)"
		case audit.KindIntent:
			outcome = outcomeUnknown
		}
		t.Rows = append(t.Rows, []string{
			strconv.FormatInt(r.Seq, 10), r.Time.UTC().Format(time.RFC3339), r.Actor.String(), r.Tenant, command,
			strings.Join(r.TargetNames(), " "), r.Ticket, outcome, strconv.Itoa(len(r.Requests)), r.Error,
		})
	}
	return t
}

// RenderTable is the human listing: one block per record.
func (rs auditRecords) RenderTable(w io.Writer) error {
	for i, r := range rs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if r.Kind == audit.KindRecovery {
			fmt.Fprintf(w, "#%d %s  sealed the remnant of an interrupted write (%d bytes)\n", r.Seq, r.Time.UTC().Format(time.RFC3339), r.Recovered.Bytes)
			continue
		}
		if r.Kind == audit.KindIntent {
			fmt.Fprintf(w, "#%d %s  %s  STARTED, OUTCOME UNKNOWN", r.Seq, r.Time.UTC().Format(time.RFC3339), r.Actor)
			if r.Ticket != "" {
				fmt.Fprintf(w, "  ticket %s", r.Ticket)
			}
			fmt.Fprintf(w, "\n  %s\n", r.Command)
			if len(r.Targets) > 0 {
				fmt.Fprintf(w, "  target: %s\n", strings.Join(r.TargetNames(), ", "))
			}
			fmt.Fprintln(w, "  no record of how it ended: the run was killed or crashed before it could write one (or is still running); check the users' methods")
			continue
		}
		fmt.Fprintf(w, "#%d %s  %s  %s", r.Seq, r.Time.UTC().Format(time.RFC3339), r.Actor, r.Outcome)
		if r.Ticket != "" {
			fmt.Fprintf(w, "  ticket %s", r.Ticket)
		}
		fmt.Fprintf(w, "\n  %s\n", r.Command)
		if len(r.Targets) > 0 {
			fmt.Fprintf(w, "  target: %s\n", strings.Join(r.TargetNames(), ", "))
		}
		for _, q := range r.Requests {
			status := strconv.Itoa(q.Status)
			if q.Status == 0 {
				status = "no answer: " + q.Error
			}
			fmt.Fprintf(w, "  %s %s -> %s\n", q.Method, q.URL, status)
		}
		if r.Error != "" {
			fmt.Fprintf(w, "  error: %s\n", r.Error)
		}
	}
	return nil
}

func auditLogRun(_ context.Context, opts *AuditLogOptions) error {
	since := opts.since
	log, printer, err := openAuditOutput(opts.Log, opts.Printer, "audit log", false)
	if err != nil {
		return err
	}
	out := auditRecords{}
	// An intent record is shown only when no outcome record completes it:
	// then the run's outcome is unknown.
	completed := map[int64]bool{}
	res, err := log.Scan(func(r audit.Record) error {
		if r.Intent > 0 {
			completed[r.Intent] = true
		}
		switch {
		case !since.IsZero() && r.Time.Before(since):
		case opts.User != "" && !r.HasTarget(opts.User):
		case opts.Ticket != "" && !strings.EqualFold(r.Ticket, opts.Ticket):
		case opts.Plan != "" && !strings.EqualFold(r.Plan, opts.Plan):
		default:
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	out = slices.DeleteFunc(out, func(r audit.Record) bool { return r.Kind == audit.KindIntent && completed[r.Seq] })
	if !res.Intact() {
		opts.IO.Warnf("the audit log %s is damaged at %v; records after that are not shown: run `mfactl audit verify`", log.Path(), res.Problem)
	}
	if len(out) == 0 {
		opts.IO.Notef("No recorded changes match (log %s, %s).", log.Path(), plural.Count(res.Records, "record"))
	}
	return printer.Print(out)
}

// AuditCheckChainOptions are the inputs of `audit verify`.
type AuditCheckChainOptions struct {
	IO      *iostreams.IOStreams
	Log     func() (*audit.Log, error)
	Printer func() (*output.Printer, error)
	File    string
	// Anchor is --anchor: SEQ:HASH, a HASH, or a file holding either or
	// the JSON of `audit head -o json`.
	Anchor string
}

// Validate refuses a blank --anchor before the log is read (a non-blank
// one may name a file, which the run reads).
func (o *AuditCheckChainOptions) Validate() error {
	if o.Anchor != "" && strings.TrimSpace(o.Anchor) == "" {
		return cmdutil.FlagErrorf("--anchor needs SEQ:HASH, a HASH, or the file `mfactl audit head -o json` wrote")
	}
	return nil
}

// NewCmdAuditCheckChain builds `mfactl audit verify [--file PATH]`.
func NewCmdAuditCheckChain(f *cmdutil.Factory, runF func(context.Context, *AuditCheckChainOptions) error) *cobra.Command {
	opts := &AuditCheckChainOptions{IO: f.IOStreams, Printer: f.Printer}
	opts.Log = func() (*audit.Log, error) { return openAuditFile(f, opts.File) }
	c := &cobra.Command{
		Use:   "verify [--file PATH]",
		Short: "Check the audit log's hash chain; name the first bad record",
		Long: `Read the whole audit log and check every record's hash, its place in the chain
and the head file: an edited, removed, reordered or cut record makes it exit 1
with the first bad line. Exit 0 prints the number of records and the head hash;
keep the head hash elsewhere (the ticket) to tell later that the log was not
rewritten from some record on. --anchor does that comparison: it also checks
that the log still holds the record the anchor names (as printed by
` + "`mfactl audit head`" + `), so cutting records from the end and rewriting the head file
is found too.`,
		Example: `  mfactl audit verify
  mfactl audit verify --file /backup/audit.log -o json
  mfactl audit head -o json > anchor.json
  mfactl audit verify --anchor anchor.json`,
		Args: exactArgs(0, "audit verify takes no arguments (use --file for another log)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVerb(cmd.Context(), opts, runF, auditCheckChainRun)
		},
	}
	c.Flags().StringVar(&opts.File, "file", "", "verify this log instead of the configured one")
	c.Flags().StringVar(&opts.Anchor, "anchor", "", "also check that the log holds this head, kept elsewhere: `SEQ:HASH`, a HASH, or a file from `audit head -o json`")
	return c
}

// readAnchor reads --anchor: a file when one exists by that name, else
// the anchor itself.
func readAnchor(s string) (audit.Anchor, error) {
	text := s
	if info, err := os.Stat(s); err == nil && info.Mode().IsRegular() {
		if info.Size() > 64<<10 {
			return audit.Anchor{}, cmdutil.FlagErrorf("--anchor %s is not an anchor file (it is larger than 64 KiB); give the file `mfactl audit head -o json` wrote, or SEQ:HASH", s)
		}
		b, err := os.ReadFile(s)
		if err != nil {
			return audit.Anchor{}, cmdutil.FlagErrorf("--anchor: %v", err)
		}
		text = string(b)
	}
	a, err := audit.ParseAnchor(text)
	if err != nil {
		if text == s && strings.ContainsAny(s, "/\\") {
			return audit.Anchor{}, cmdutil.FlagErrorf("--anchor %s: no such file, and not SEQ:HASH either", oneLineString(s))
		}
		return audit.Anchor{}, cmdutil.FlagErrorf("--anchor: %v", err)
	}
	return a, nil
}

// chainCheckView is the outcome of `audit verify`.
type chainCheckView struct {
	audit.Result
	Intact  bool   `json:"intact"`
	Problem string `json:"problem,omitempty"`
	// Anchor is the --anchor the log was found to hold.
	Anchor string `json:"anchor,omitempty"`
}

func (v chainCheckView) Table() output.TableData {
	return output.TableData{Header: []string{"path", "records", "intact", "head", "problem"},
		Rows: [][]string{{v.Path, strconv.Itoa(v.Records), strconv.FormatBool(v.Intact), v.Head, v.Problem}}}
}

func (v chainCheckView) RenderTable(w io.Writer) error {
	if v.Records == 0 && v.Intact {
		_, err := fmt.Fprintf(w, "%s: no records yet\n", v.Path)
		return err
	}
	_, err := fmt.Fprintf(w, "%s: %s, chain intact; head %s (record %d)\n", v.Path, plural.Count(v.Records, "record"), v.Head, v.LastSeq)
	if err == nil && v.Anchor != "" {
		_, err = fmt.Fprintf(w, "holds the anchored record %s\n", v.Anchor)
	}
	return err
}

func auditCheckChainRun(_ context.Context, opts *AuditCheckChainOptions) error {
	log, printer, err := openAuditOutput(opts.Log, opts.Printer, "audit verify", true)
	if err != nil {
		return err
	}
	var anchor *audit.Anchor
	if opts.Anchor != "" {
		a, err := readAnchor(opts.Anchor)
		if err != nil {
			return err
		}
		anchor = &a
	}
	var res audit.Result
	if anchor != nil {
		res, err = log.CheckAnchor(*anchor)
	} else {
		res, err = log.Scan(nil)
	}
	if err != nil {
		return err
	}
	for _, n := range res.Notes {
		opts.IO.Notef("note: %s", n)
	}
	v := chainCheckView{Result: res, Intact: res.Intact()}
	if anchor != nil && res.Intact() {
		v.Anchor = anchor.String()
		if anchor.Seq == 0 {
			v.Anchor = anchor.Hash
		}
	}
	if res.Problem != nil {
		v.Problem = res.Problem.Error()
		if printer.Format != output.Table && printer.Format != "" {
			if err := printer.Print(v); err != nil {
				return err
			}
		}
		return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("audit log %s: %s", log.Path(), res.Problem.Error()),
			"records from there on cannot be trusted; keep the file as evidence")
	}
	return printer.Print(v)
}

// headView is what `audit head` prints: the last record's number and hash,
// to keep outside the log.
type headView struct {
	Path string    `json:"path"`
	Seq  int64     `json:"seq"`
	Hash string    `json:"hash"`
	Time time.Time `json:"time"`
	// Anchor is the form --anchor takes.
	Anchor string `json:"anchor"`
}

func (v headView) Table() output.TableData {
	return output.TableData{Header: []string{"path", "seq", "hash", "time", "anchor"},
		Rows: [][]string{{v.Path, strconv.FormatInt(v.Seq, 10), v.Hash, v.Time.UTC().Format(time.RFC3339), v.Anchor}}}
}

func (v headView) RenderTable(w io.Writer) error {
	_, err := fmt.Fprintf(w, "%s\n", v.Anchor)
	return err
}

// AuditHeadOptions are the inputs of `audit head`.
type AuditHeadOptions struct {
	Log     func() (*audit.Log, error)
	Printer func() (*output.Printer, error)
	File    string
}

// Validate has nothing to check before the log is read: --file is any path.
func (o *AuditHeadOptions) Validate() error { return nil }

// NewCmdAuditHead builds `mfactl audit head [--file PATH]`.
func NewCmdAuditHead(f *cmdutil.Factory, runF func(context.Context, *AuditHeadOptions) error) *cobra.Command {
	opts := &AuditHeadOptions{Printer: f.Printer}
	opts.Log = func() (*audit.Log, error) { return openAuditFile(f, opts.File) }
	c := &cobra.Command{
		Use:   "head [--file PATH]",
		Short: "Print the verified log's last record number and hash, to keep outside the log",
		Long: `Verify the whole audit log, then print its head: the last record's number and
hash as SEQ:HASH (with -o json also the log's path and the record's time). Keep it
outside the log, where whoever can write the log cannot (the ticket of the change, a
SIEM, a mail): ` + "`mfactl audit verify --anchor SEQ:HASH`" + ` (or the JSON file) later checks
that the log still holds that record with the chain intact up to it, which a rewrite
of the log from some record on, or records cut from the end with the head file
rewritten, cannot fake. A damaged log exits 1 and prints no head.`,
		Example: `  mfactl audit head
  mfactl audit head -o json > anchor.json`,
		Args: exactArgs(0, "audit head takes no arguments (use --file for another log)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVerb(cmd.Context(), opts, runF, auditHeadRun)
		},
	}
	c.Flags().StringVar(&opts.File, "file", "", "read this log instead of the configured one")
	return c
}

func auditHeadRun(_ context.Context, opts *AuditHeadOptions) error {
	log, printer, err := openAuditOutput(opts.Log, opts.Printer, "audit head", false)
	if err != nil {
		return err
	}
	var last audit.Record
	res, err := log.Scan(func(r audit.Record) error { last = r; return nil })
	if err != nil {
		return err
	}
	if res.Problem != nil {
		return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("audit log %s: %s", log.Path(), res.Problem.Error()),
			"a damaged log has no head to anchor; run `mfactl audit verify` and keep the file as evidence")
	}
	if res.Records == 0 {
		return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("audit log %s has no records yet: there is no head to anchor", log.Path()), "")
	}
	a := audit.Anchor{Seq: last.Seq, Hash: last.Hash}
	return printer.Print(headView{Path: log.Path(), Seq: a.Seq, Hash: a.Hash, Time: last.Time, Anchor: a.String()})
}
