package cmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/internal/plural"
	"github.com/mfactl/mfactl/internal/throttling"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/seedfile"
)

// Entra activates at most 200 hardware tokens per 5 minutes per tenant
// (MS-OATH-CSV); `token activate --file` paces itself to that.
const (
	activationLimit  = 200
	activationWindow = 5 * time.Minute
)

// TokenActivateOptions are the inputs of `token activate`.
type TokenActivateOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	Serial      string
	User        string
	Code        string
	DisplayName string
	File        string
	// Now and Sleep are the clock the pacing of --file uses (tests replace
	// them); Limit and Window are Entra's activation budget.
	Now    func() time.Time
	Sleep  func(context.Context, time.Duration) error
	Limit  int
	Window time.Duration

	code string // Code, normalized by Validate
}

// Validate checks the serial, the code and the user reference (or that
// --file comes alone) before anything is read or sent.
func (o *TokenActivateOptions) Validate() error {
	if o.File != "" {
		if o.Serial != "" || o.Code != "" || o.DisplayName != "" {
			return cmdutil.FlagErrorf("--file takes serials, users and codes from the file: give no <serial>, --code or --display-name with it")
		}
		return nil
	}
	if o.Serial == "" {
		return cmdutil.FlagErrorf("token activate needs a <serial> and --code (or --file FILE)")
	}
	if o.Code == "" {
		return cmdutil.FlagErrorf("--code is required: the 6 digits token %s shows now", o.Serial)
	}
	code, err := methods.NormalizeOTP(o.Code, 6)
	if err != nil {
		return cmdutil.FlagErrorf("--code must be the 6 digits the token shows")
	}
	o.code = code
	if o.User != "" {
		return graph.ValidateUserRef(o.User)
	}
	return nil
}

// NewCmdTokenActivate builds `mfactl token activate <serial> [<user>] --code NNNNNN`
// and `mfactl token activate --file FILE`.
func NewCmdTokenActivate(f *cmdutil.Factory, runF func(context.Context, *TokenActivateOptions) error) *cobra.Command {
	opts := &TokenActivateOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit, Now: f.Now, Sleep: throttling.Sleep, Limit: activationLimit, Window: activationWindow}
	c := &cobra.Command{
		Use:   "activate {<serial> [<user>] --code NNNNNN | --file FILE}",
		Short: "Activate tokens with the code they show",
		Long: `Activate a hardware token with the 6-digit code it shows now. Without <user> the
token must already be assigned, and is activated for its user; with <user> it is
assigned to that user and activated in one request (assignAndActivateBySerialNumber,
which an Authentication Administrator may do without access to the inventory).

A wrong code leaves the token failedActivation and exits 1: press the token's
button and run the command again with the new code.

--file activates many tokens from a CSV with the header serial,upn,code (upn may be
empty, or the column left out, for tokens already assigned). Every row is checked
before anything is sent; a bad row is reported with its line, and nothing is
activated (exit 2). Entra activates at most 200 tokens per 5 minutes per tenant:
mfactl paces itself and says when it waits. Rows that fail are listed, and the
command exits 5; tokens already activated are skipped, so the file can be run
again. Codes change every 30 or 60 seconds, so collect them just before.`,
		Example: `  mfactl --mock token activate HWT-1004 --code "$(mfactl --mock mock code --serial HWT-1004)"
  mfactl token activate 2600001 kim@contoso.com --code 123456 --display-name "Kim's fob"   # [real tenant]
  mfactl token activate --file activations.csv   # [placeholder] your file`,
		Args: rangeArgs(0, 2, "token activate needs a <serial> (and optionally a <user>) with --code, or --file FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				opts.Serial = args[0]
			}
			if len(args) > 1 {
				opts.User = args[1]
			}
			return runVerb(cmd.Context(), opts, runF, tokenActivateRun)
		},
	}
	c.Flags().StringVar(&opts.Code, "code", "", "the 6-digit code the token shows now")
	c.Flags().StringVar(&opts.DisplayName, "display-name", "", "a name for the token, shown with the user's methods")
	c.Flags().StringVar(&opts.File, "file", "", "activate the tokens of a CSV file with the header serial,upn,code")
	addMutationFlags(c, &opts.Mutation, false)
	return c
}

func tokenActivateRun(ctx context.Context, opts *TokenActivateOptions) error {
	if opts.File != "" {
		return tokenActivateFileRun(ctx, opts)
	}
	code := opts.code
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	res, err := activateOne(ctx, s, seedfile.Activation{SerialNumber: opts.Serial, UPN: opts.User, Code: code}, opts.DisplayName, nil)
	if err != nil {
		return err
	}
	if done, err := s.finishDryRun(); done {
		return err
	}
	s.IO.Notef("%s", res.note())
	if s.isTable() {
		return nil
	}
	return s.printer.Print(res)
}

// activationResult is the outcome of one activation.
type activationResult struct {
	Line         int    `json:"line,omitempty"`
	SerialNumber string `json:"serialNumber"`
	User         string `json:"user,omitempty"`
	// Result is activated, alreadyActivated, failedActivation, failed or
	// notAttempted.
	Result string `json:"result"`
	Detail string `json:"detail,omitempty"`
}

func (r activationResult) note() string {
	switch r.Result {
	case "alreadyActivated":
		return fmt.Sprintf("%s is already activated for %s; nothing to do.", r.SerialNumber, r.User)
	case "activated":
		return fmt.Sprintf("Activated %s for %s: it signs in from now on.", r.SerialNumber, r.User)
	}
	return fmt.Sprintf("%s: %s", r.SerialNumber, r.Detail)
}

func (r activationResult) Table() output.TableData { return activationResults{r}.Table() }

type activationResults []activationResult

func (l activationResults) Table() output.TableData {
	t := output.TableData{Header: []string{"line", "serial", "user", "result", "detail"}}
	for _, r := range l {
		line := "-"
		if r.Line > 0 {
			line = fmt.Sprint(r.Line)
		}
		t.Rows = append(t.Rows, []string{line, r.SerialNumber, dash(r.User), r.Result, dash(r.Detail)})
	}
	return t
}

// activateOne activates one token: assign-and-activate by serial when a
// user is given, else activate the token for the user it is assigned to.
// users caches resolved users (nil: no cache). A Graph refusal is returned
// as the error; the result says what happened otherwise.
func activateOne(ctx context.Context, s *session, a seedfile.Activation, displayName string, users map[string]resolved) (activationResult, error) {
	res := activationResult{Line: a.Line, SerialNumber: a.SerialNumber}
	if a.UPN != "" {
		r, ok := users[strings.ToLower(a.UPN)]
		if !ok {
			var err error
			if r, err = s.resolveUser(ctx, a.UPN, false); err != nil {
				return res, err
			}
		}
		res.User = r.Name()
		if entra.CheckTokenHolder(r.User.IsGuest()) != "" {
			return res, cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("%s is a guest, and hardware tokens cannot be assigned to guests", r.User.UserPrincipalName), "choose a member of the tenant")
		}
		if err := s.client.AssignAndActivateHardwareTokenBySerial(ctx, r.User.ID, a.SerialNumber, a.Code, displayName); err != nil {
			if graph.RuleOf(err) == entra.CodeTokenStatus {
				// Activating an activated token is refused by Graph; for
				// a re-run it means the work is done, but only when the
				// token is this user's.
				if tok, ferr := s.client.FindHardwareToken(ctx, a.SerialNumber); ferr == nil && tok.Status == methods.TokenActivated && tok.AssignedTo != nil && tok.AssignedTo.ID == r.User.ID {
					res.Result = "alreadyActivated"
					return res, nil
				}
			}
			return res, explainActivation(err, a.SerialNumber, res.User)
		}
		res.Result = "activated"
		return res, nil
	}
	tok, err := s.client.FindHardwareToken(ctx, a.SerialNumber)
	if err != nil {
		return res, err
	}
	res.User = assignee(tok)
	switch tok.Status {
	case methods.TokenActivated:
		res.Result = "alreadyActivated"
		return res, nil
	case methods.TokenAvailable:
		return res, cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("%s is not assigned to anyone", tok.SerialNumber),
			fmt.Sprintf("give the user: `mfactl token activate %s <user> --code NNNNNN`", tok.SerialNumber))
	}
	if err := s.client.ActivateHardwareToken(ctx, tok.AssignedTo.ID, tok.ID, a.Code, displayName); err != nil {
		return res, explainActivation(err, tok.SerialNumber, res.User)
	}
	res.Result = "activated"
	return res, nil
}

// explainActivation names the token and user in a refused activation, and
// says plainly what a wrong code did.
func explainActivation(err error, serial, user string) error {
	var ge *graph.Error
	if !errors.As(err, &ge) {
		return err
	}
	ge.Op = fmt.Sprintf("activate %s for %s", serial, user)
	if graph.RuleOf(ge) == entra.CodeInvalidVerification {
		ge.Message = fmt.Sprintf("the code is not the one %s shows now; the token is failedActivation", serial)
	}
	return err
}

// pacer keeps activations within Entra's budget: at most limit in any
// window, on a sliding window of the times they were sent.
type pacer struct {
	limit  int
	window time.Duration
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	sent   []time.Time
	// onWait is told how long the next activation waits.
	onWait func(time.Duration)
}

// wait blocks until one more activation fits, then counts it.
func (p *pacer) wait(ctx context.Context) error {
	for {
		now := p.now()
		cut := now.Add(-p.window)
		kept := p.sent[:0]
		for _, t := range p.sent {
			if t.After(cut) {
				kept = append(kept, t)
			}
		}
		p.sent = kept
		if len(p.sent) < p.limit {
			p.sent = append(p.sent, now)
			return nil
		}
		d := p.sent[len(p.sent)-p.limit].Add(p.window).Sub(now)
		if d <= 0 {
			d = time.Millisecond
		}
		if p.onWait != nil {
			p.onWait(d)
		}
		if err := p.sleep(ctx, d); err != nil {
			return err
		}
	}
}

func tokenActivateFileRun(ctx context.Context, opts *TokenActivateOptions) error {
	f, err := os.Open(opts.File)
	if err != nil {
		return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("token activate --file: %w", err), "give a CSV file with the header "+seedfile.ActivationHeader)
	}
	parsed, err := seedfile.ParseActivations(f)
	f.Close()
	if err != nil {
		return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("%s: %w", opts.File, err), "the file needs the header "+seedfile.ActivationHeader)
	}
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	// Every user is resolved before anything is sent: an unknown user is a
	// bad row like any other.
	users := map[string]resolved{}
	var rowErrors []seedfile.RowError
	var ok []seedfile.Activation
	for _, a := range parsed.Activations {
		if a.UPN == "" {
			ok = append(ok, a)
			continue
		}
		key := strings.ToLower(a.UPN)
		if _, done := users[key]; !done {
			r, err := s.resolveUser(ctx, a.UPN, false)
			switch {
			case graph.IsNotFound(err):
				rowErrors = append(rowErrors, seedfile.RowError{Line: a.Line, Serial: a.SerialNumber, Reason: fmt.Sprintf("no user %s in the tenant", a.UPN)})
				continue
			case err != nil:
				return err
			}
			users[key] = r
		}
		if users[key].User.IsGuest() {
			rowErrors = append(rowErrors, seedfile.RowError{Line: a.Line, Serial: a.SerialNumber, Reason: fmt.Sprintf("user %s is a guest, and hardware tokens cannot be assigned to guests", a.UPN)})
			continue
		}
		ok = append(ok, a)
	}
	rowErrors = append(rowErrors, parsed.Errors...)
	if len(rowErrors) > 0 {
		sortRowErrors(rowErrors)
		for _, e := range rowErrors {
			fmt.Fprintf(s.IO.ErrOut, "%s: %s\n", opts.File, e.Error())
		}
		return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("%d of %s of %s %s invalid; nothing was activated", len(rowErrors), plural.Count(len(rowErrors)+len(ok), "row"), opts.File, plural.Noun(len(rowErrors), "is")), "fix them and run the command again")
	}
	if len(ok) == 0 {
		s.IO.Notef("Nothing to activate: %s has a header and no rows.", opts.File)
		return nil
	}
	p := &pacer{limit: opts.Limit, window: opts.Window, now: opts.Now, sleep: opts.Sleep}
	done := 0
	p.onWait = func(d time.Duration) {
		s.IO.Notef("Entra activates at most %s per %s: waiting %s (%d of %d done).", plural.Count(opts.Limit, "token"), humanDuration(opts.Window), d.Round(time.Second), done, len(ok))
	}
	var results activationResults
	failed := 0
	var stop error
	for _, a := range ok {
		if stop != nil {
			results = append(results, activationResult{Line: a.Line, SerialNumber: a.SerialNumber, User: a.UPN, Result: "notAttempted", Detail: "stopped after a permission error"})
			failed++
			continue
		}
		if !s.client.IsDryRun() {
			if err := p.wait(ctx); err != nil {
				return err
			}
		}
		res, err := activateOne(ctx, s, a, "", users)
		done++
		if err != nil {
			failed++
			res.Result = "failed"
			if graph.RuleOf(err) == entra.CodeInvalidVerification {
				res.Result = "failedActivation"
			}
			res.Detail = oneLine(err)
			if cmdutil.ExitCodeOf(err) == cmdutil.ExitAuth {
				stop = err
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		results = append(results, res)
	}
	if isDry, err := s.finishDryRun(); isDry {
		return err
	}
	activated := 0
	for _, r := range results {
		if r.Result == "activated" {
			activated++
		}
	}
	s.IO.Notef("Activated %d of %s from %s; %d already activated, %d failed.", activated, plural.Count(len(results), "token"), opts.File, len(results)-activated-failed, failed)
	if err := s.printer.Print(results); err != nil {
		return err
	}
	if failed > 0 {
		return cmdutil.WithExit(cmdutil.ExitPartial, fmt.Errorf("%d of %s failed", failed, plural.Count(len(results), "activation")),
			"fix those rows (a failedActivation token needs the code it shows now) and run the same file again: activated tokens are skipped")
	}
	return nil
}

// oneLine is an error as one line, with its hint.
func oneLine(err error) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if hint := hintOf(err); hint != "" && !strings.Contains(msg, hint) {
		msg += "; " + hint
	}
	return msg
}

func sortRowErrors(errs []seedfile.RowError) {
	slices.SortStableFunc(errs, func(a, b seedfile.RowError) int { return cmp.Compare(a.Line, b.Line) })
}
