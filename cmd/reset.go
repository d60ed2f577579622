package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/internal/plural"
	"github.com/mfactl/mfactl/internal/runbook"
	"github.com/mfactl/mfactl/methods"
)

// ResetOptions are the inputs of `reset`.
type ResetOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	Now  func() time.Time
	User string

	LostDevice string
	MethodIDs  []string
	All        bool
	KeepOath   bool

	TAP      bool
	Lifetime string
	Once     bool

	RevokeSessions bool

	// Verification before anything changes: offered (--verify-first) or
	// mandatory (--require-verify), through the emulator's verify flow.
	Backend       func() cmdutil.Backend // refuses verification against real Graph
	VerifyFirst   bool
	RequireVerify bool
	VerifyMethod  string
	VerifyCode    string

	tap *runbook.TAPSpec // the pass --tap asks for, built by Validate
}

// NewCmdReset builds `mfactl reset <user> ...`, the lost-device runbook.
func NewCmdReset(f *cmdutil.Factory, runF func(context.Context, *ResetOptions) error) *cobra.Command {
	opts := &ResetOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit, Now: f.Now, Backend: f.Backend}
	c := &cobra.Command{
		Use:   "reset <user> {--lost-device NAME | --method ID... | --all} [--tap [--lifetime 1h] [--once]] [--revoke-sessions] [--ticket ID]",
		Short: "Helpdesk runbook: remove a lost device's methods safely, with a ticket-ready summary",
		Long: `Reset a user who lost (or replaced) a device, in one explained command.

Which methods go:
  --lost-device NAME  every method bound to that device: Microsoft Authenticator
                      registrations with that device name, Windows Hello for
                      Business and platform credentials of that device, a FIDO2
                      key of that name, a hardware OATH token with that serial
                      number. Graph records no device for software OATH tokens;
                      when the device is a phone (it holds an Authenticator
                      registration), the user's software OATH tokens go too, since
                      an authenticator app on a lost phone is lost with it
                      (--keep-oath keeps them). Names match whatever their case
                      and spacing.
  --method ID         the methods with these ids (repeat, or separate with
                      commas); mobile, alternateMobile and office name the phones.
  --all               every method except the password: the user registers again.

The plan is shown first: what is removed and why, what stays, which method becomes
the default, and what the user has left. It runs in an order Graph accepts: when
the default method's own methods go, the strongest method that stays becomes the
default first (push, oath, sms, then voice); an alternateMobile phone goes before
the mobile one. --revoke-sessions then signs the user out everywhere (sessions and
remembered MFA devices), and --tap issues a Temporary Access Pass within the
tenant's policy, shown once.

A run that fails stops at that step and says what was done and what was not. Run
the same command again to finish: it plans from the tenant as it now is, so the
removals already made are not repeated. A reset that leaves the user with no MFA
method needs --tap (so they can register again) or --yes.

--verify-first has the user prove who they are before anything is removed, with a
method they keep (a code from the app or token they still have, a text or call to
the office phone, security questions, ...), as ` + "`mfactl verify`" + ` does: on a
terminal it asks which, and a failed verification can still be overridden there.
--require-verify makes it mandatory: no override, and without a terminal it needs
--verify-method app|hardware|tap with --verify-code (the code the user reads out).
Verification runs against the emulated tenant (--mock, mock serve) only.

Asks for confirmation on a terminal; without one, --yes is required. Every run
(not --dry-run) is recorded in the audit log with the ticket id.`,
		Example: `  mfactl --mock reset adele.vance@contoso.example --lost-device "iPhone 15" --dry-run
  mfactl reset adele@contoso.com --lost-device "iPhone 15" --revoke-sessions --tap --lifetime 8h --once --ticket INC-1234 --yes   # [real tenant]
  mfactl reset grady@contoso.com --lost-device HWT-1001 --tap --yes -o md >> ticket.md   # [real tenant]
  mfactl reset diego@contoso.com --method mobile --tap --yes   # [real tenant]
  mfactl reset lee@contoso.com --all --revoke-sessions --tap --ticket INC-1240   # [real tenant]
  mfactl --mock reset johanna.lorenz@contoso.example --method mobile,alternateMobile --verify-first   # [interactive]
  mfactl --mock reset johanna.lorenz@contoso.example --method mobile,alternateMobile --dry-run
  mfactl --mock reset adele.vance@contoso.example --lost-device "iPhone 15" --keep-oath --require-verify --verify-method app --verify-code "$(mfactl --mock mock code adele.vance@contoso.example)" --yes`,
		Args: exactArgs(1, "reset needs one <user>: a user principal name or object id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, resetRun)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.LostDevice, "lost-device", "", "remove the methods bound to this device: its name, or a hardware token's serial number")
	fl.StringSliceVar(&opts.MethodIDs, "method", nil, "remove these methods: ids, or mobile, alternateMobile, office (repeat or comma-separate)")
	fl.BoolVar(&opts.All, "all", false, "remove every method except the password (the user registers again)")
	fl.BoolVar(&opts.KeepOath, "keep-oath", false, "with --lost-device: keep software OATH tokens (their codes come from another device)")
	fl.BoolVar(&opts.TAP, "tap", false, "issue a Temporary Access Pass after the removals, shown once")
	fl.StringVar(&opts.Lifetime, "lifetime", "", "with --tap: how long the pass works (1h, 8h, 1d; default: the policy's)")
	fl.BoolVar(&opts.Once, "once", false, "with --tap: the pass works for one sign-in only")
	fl.BoolVar(&opts.RevokeSessions, "revoke-sessions", false, "sign the user out everywhere: sessions and remembered MFA devices")
	fl.BoolVar(&opts.VerifyFirst, "verify-first", false, "on a terminal, have the user prove their identity with a method they keep before anything changes")
	fl.BoolVar(&opts.RequireVerify, "require-verify", false, "like --verify-first, but mandatory: no reset without a verified identity")
	fl.StringVar(&opts.VerifyMethod, "verify-method", "", "the method the user proves their identity with (push, app, hardware, sms, voice, voice-otp, voice-pin, questions, tap)")
	fl.StringVar(&opts.VerifyCode, "verify-code", "", "with --verify-method app, hardware or tap: the code (or pass) the user reads out, for a run without a terminal")
	addMutationFlags(c, &opts.Mutation, true)
	// validate checks that exactly one of --lost-device, --method and --all
	// is given: Cobra's flag groups would fail with exit 1, not 2.
	offerOutputFormats(c, output.Table, output.JSON, output.YAML, output.CSV, output.Markdown)
	return c
}

// Validate checks the flags and the user reference before any request;
// the pass --tap asks for is kept for the run.
func (o *ResetOptions) Validate() error {
	o.tap = nil
	n := 0
	for _, set := range []bool{o.LostDevice != "", len(o.MethodIDs) > 0, o.All} {
		if set {
			n++
		}
	}
	if n != 1 {
		return cmdutil.FlagErrorf("say which methods to remove: exactly one of --lost-device NAME, --method ID and --all")
	}
	if o.KeepOath && o.LostDevice == "" {
		return cmdutil.FlagErrorf("--keep-oath goes with --lost-device")
	}
	if (o.VerifyMethod != "" || o.VerifyCode != "") && !o.VerifyFirst && !o.RequireVerify {
		return cmdutil.FlagErrorf("--verify-method and --verify-code go with --verify-first or --require-verify")
	}
	if o.VerifyMethod != "" {
		if _, err := parseVerifyMethod(o.VerifyMethod); err != nil {
			return cmdutil.FlagErrorf("--verify-method %q: use one of %s", o.VerifyMethod, strings.Join(verifyMethodNames(), ", "))
		}
	}
	if o.VerifyCode != "" && o.VerifyMethod != "app" && o.VerifyMethod != "hardware" && o.VerifyMethod != "tap" {
		return cmdutil.FlagErrorf("--verify-code needs --verify-method app, hardware or tap (other methods send something first: verify on a terminal)")
	}
	if !o.TAP {
		if o.Lifetime != "" || o.Once {
			return cmdutil.FlagErrorf("--lifetime and --once describe the pass: add --tap")
		}
		return graph.ValidateUserRef(o.User)
	}
	o.tap = &runbook.TAPSpec{Once: o.Once}
	if o.Lifetime != "" {
		d, err := parseLifetime(o.Lifetime)
		if err != nil {
			return cmdutil.FlagErrorf("--lifetime: %v", err)
		}
		o.tap.LifetimeMinutes = int(d / time.Minute)
	}
	return graph.ValidateUserRef(o.User)
}

// runbookAdviceHints phrase, with the command to run, the other ways to a
// change that the runbook names by an Advice code.
var runbookAdviceHints = map[runbook.Advice]string{
	runbook.AdvicePasswordReset: "use `mfactl password reset` for the password",
	runbook.AdvicePhoneUpdate:   "remove both (--method mobile,alternateMobile), or give the mobile a new number with `mfactl phone update`",
}

// withRunbookAdvice gives a runbook error that names an Advice the hint of
// that advice.
func withRunbookAdvice(err error) error {
	var re *runbook.Error
	if errors.As(err, &re) && re.Hint == "" {
		re.Hint = runbookAdviceHints[re.Advice]
	}
	return err
}

// checkTAPPolicy refuses, before anything changes, a pass the tenant's
// policy would refuse after the removals.
func checkTAPPolicy(ctx context.Context, s *session, spec *runbook.TAPSpec) error {
	pol, err := s.client.GetTAPPolicy(ctx)
	switch {
	case err == nil:
		if pol.State != "" && pol.State != "enabled" {
			return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("nothing was changed: --tap needs the Temporary Access Pass method, which the tenant's authentication methods policy disables"), "enable it in the policy, or reset without --tap")
		}
		if spec.LifetimeMinutes > 0 {
			return checkLifetime(time.Duration(spec.LifetimeMinutes)*time.Minute, &pol)
		}
		return nil
	case graph.StatusOf(err) == 403 || graph.StatusOf(err) == 404 || graph.StatusOf(err) == 400:
		s.IO.Warnf("could not read the tenant's Temporary Access Pass policy (%s); Graph will check the pass", graph.CodeOf(err))
		if spec.LifetimeMinutes > 0 {
			return checkLifetime(time.Duration(spec.LifetimeMinutes)*time.Minute, nil)
		}
		return nil
	}
	return err
}

// graphExecutor makes a reset's changes through Graph.
type graphExecutor struct {
	c      *graph.Client
	target resolved
}

func (e graphExecutor) SetDefault(ctx context.Context, d methods.DefaultMethod) error {
	return e.target.explain(e.c.SetSignInPreferences(ctx, e.target.User.ID, methods.SignInPreferences{UserPreferred: d}))
}

func (e graphExecutor) Remove(ctx context.Context, m methods.Method) error {
	if m.Kind == methods.KindHardwareOath {
		// Unassigning is how a hardware token leaves a user; the token
		// goes back to the inventory.
		return e.target.explain(e.c.UnassignHardwareToken(ctx, e.target.User.ID, m.ID))
	}
	return e.target.explain(e.c.DeleteMethod(ctx, e.target.User.ID, m.Kind, m.ID))
}

func (e graphExecutor) RevokeSessions(ctx context.Context) error {
	return e.target.explain(e.c.RevokeSessions(ctx, e.target.User.ID))
}

func (e graphExecutor) IssueTAP(ctx context.Context, spec runbook.TAPSpec) (methods.Method, error) {
	req := graph.TAPRequest{LifetimeMinutes: spec.LifetimeMinutes}
	if spec.Once {
		once := true
		req.UsableOnce = &once
	}
	m, err := e.c.CreateTAP(ctx, e.target.User.ID, req)
	return m, e.target.explain(err)
}

func (e graphExecutor) Gone(err error) bool { return graph.StatusOf(err) == 404 }

func resetRun(ctx context.Context, opts *ResetOptions) error {
	spec := opts.tap
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	r, err := s.resolveUser(ctx, opts.User, true)
	if err != nil {
		return err
	}
	prefs, err := s.client.GetSignInPreferences(ctx, r.User.ID)
	if err != nil {
		return err
	}
	if spec != nil {
		if err := checkTAPPolicy(ctx, s, spec); err != nil {
			return err
		}
	}
	plan, err := runbook.Build(r.Methods, prefs.UserPreferred, runbook.Options{
		Selection:      runbook.Selection{LostDevice: opts.LostDevice, MethodIDs: opts.MethodIDs, All: opts.All, KeepOath: opts.KeepOath},
		RevokeSessions: opts.RevokeSessions, TAP: spec,
	})
	if err != nil {
		return withRunbookAdvice(err)
	}
	for _, serial := range plan.ReturnedTokens {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("the lost token %s goes back to the inventory as available: delete it there (`mfactl token delete %s`) so it is not handed out again", serial, serial))
	}
	rep := &resetReport{User: r.User, Ticket: opts.Ticket, LostDevice: opts.LostDevice, Time: opts.Now().UTC(),
		Plan: plan, Steps: runbook.Planned(plan), DryRun: opts.DryRun}
	for _, w := range plan.Warnings {
		s.IO.Warnf("%s", w)
	}
	if len(plan.Steps) == 0 {
		rep.Status = "nothing to do"
		s.IO.Notef("Nothing to do for %s.", r.Name())
		return s.printer.Print(rep)
	}
	if plan.LeftWithoutMFA && removesMFA(plan) {
		s.IO.Warnf("%s will have no MFA method left and cannot pass an MFA prompt until they register one", r.Name())
		if spec == nil && !opts.Yes && !opts.DryRun {
			return cmdutil.WithExit(cmdutil.ExitUsage,
				fmt.Errorf("nothing was changed: this reset leaves %s with no MFA method", r.User.UserPrincipalName),
				"add --tap to issue a Temporary Access Pass for registering a new one, or --yes to accept")
		}
	}
	ver, err := verifyBeforeReset(ctx, opts, s, r, plan)
	if err != nil {
		return err
	}
	rep.Verification = ver
	if !opts.DryRun && !opts.Yes && s.IO.CanPrompt() {
		// The plan, for the person about to confirm it.
		if err := rep.RenderTable(s.IO.ErrOut); err != nil {
			return err
		}
	}
	if err := s.confirm(opts.Mutation, fmt.Sprintf("Apply %s to %s?", plural.Count(len(plan.Steps), "change"), r.Name())); err != nil {
		return err
	}
	res := runbook.Execute(ctx, plan, graphExecutor{c: s.client, target: r})
	rep.Steps = res.Steps
	if opts.DryRun {
		rep.Status = "planned (dry run: nothing was changed)"
		rep.Requests = s.plan.Requests()
		for i := range rep.Steps {
			rep.Steps[i].Status = runbook.StatusPlanned
		}
		s.IO.Notef("Dry run: nothing was changed. %s would be sent.", plural.Count(len(rep.Requests), "request"))
		return s.printer.Print(rep)
	}
	rep.TAP = res.TAP
	rep.readAfter(ctx, s.client)
	rep.Status = statusLine(res)
	if res.TAP != nil && !s.isJSONish() {
		s.IO.Notef("Temporary Access Pass for %s: %s (%s) - shown only now and not in the summary: hand it to the user over a trusted channel.",
			r.Name(), res.TAP.Pass, tapTerms(*res.TAP))
	}
	if err := s.printer.Print(rep); err != nil {
		return err
	}
	if res.Err == nil {
		return nil
	}
	failed := res.Steps[res.Failed]
	msg := fmt.Errorf("reset of %s stopped at step %d of %d (%s): %w", r.User.UserPrincipalName, res.Failed+1, len(res.Steps), failed.Describe(), res.Err)
	if !res.Changed() {
		return msg
	}
	return cmdutil.WithExit(cmdutil.ExitPartial, msg,
		fmt.Sprintf("%s %s done; run the same command again to finish (what is done is not repeated)", plural.Count(res.Done(), "step"), plural.Noun(res.Done(), "was")))
}

// removesMFA reports whether the plan takes away a second factor.
func removesMFA(p runbook.Plan) bool {
	return slices.ContainsFunc(p.Remove, func(c runbook.Choice) bool { return c.Method.IsMFA() })
}

func statusLine(res runbook.Result) string {
	n := len(res.Steps)
	switch {
	case res.Err == nil:
		return fmt.Sprintf("completed: %d of %s done", res.Done(), plural.Count(n, "step"))
	case !res.Changed():
		return fmt.Sprintf("failed at step %d of %d: nothing was changed", res.Failed+1, n)
	}
	return fmt.Sprintf("stopped at step %d of %d: %d done, %d not done", res.Failed+1, n, res.Done(), n-res.Done())
}

func tapTerms(m methods.Method) string {
	once := "reusable"
	if m.IsUsableOnce != nil && *m.IsUsableOnce {
		once = "one-time"
	}
	return fmt.Sprintf("valid for %s, %s", methods.FormatMinutes(m.LifetimeInMinutes), once)
}

// isJSONish reports whether output is for scripts (json or yaml), which
// carry the pass themselves.
func (s *session) isJSONish() bool {
	return s.printer.Format == output.JSON || s.printer.Format == output.YAML
}

// resetReport is the ticket-ready summary of a reset.
type resetReport struct {
	User       methods.User `json:"user"`
	Ticket     string       `json:"ticket,omitempty"`
	LostDevice string       `json:"lostDevice,omitempty"`
	Time       time.Time    `json:"time"`
	DryRun     bool         `json:"dryRun"`
	Status     string       `json:"status"`
	// Verification is how the user proved who they are (nil: not asked).
	Verification *resetVerification `json:"verification,omitempty"`
	// Plan's After and DefaultAfter are the prediction until readAfter
	// replaces them with what Graph has after the run.
	runbook.Plan
	Steps []runbook.StepResult `json:"steps"`
	// TAP carries the new pass in clear text: JSON and YAML only.
	TAP      *methods.Method        `json:"temporaryAccessPass,omitempty"`
	Requests []graph.PlannedRequest `json:"requests,omitempty"`
}

// after is what the user has once the reset ran (predicted in a dry run).
func (r *resetReport) after() ([]methods.Method, methods.DefaultMethod) {
	return r.Plan.After, r.Plan.DefaultAfter
}

// readAfter reads the user's methods and default as Graph has them now.
func (r *resetReport) readAfter(ctx context.Context, c *graph.Client) {
	ms, err := c.ListMethods(ctx, r.User.ID)
	if err != nil {
		return
	}
	prefs, err := c.GetSignInPreferences(ctx, r.User.ID)
	if err != nil {
		return
	}
	r.Plan.After, r.Plan.DefaultAfter = ms, prefs.UserPreferred
	r.Plan.LeftWithoutMFA = !slices.ContainsFunc(ms, methods.Method.IsUsableMFA)
}

func (r *resetReport) name() string {
	if r.User.DisplayName != "" {
		return r.User.DisplayName + " <" + r.User.UserPrincipalName + ">"
	}
	return r.User.UserPrincipalName
}

func (r *resetReport) Table() output.TableData {
	t := output.TableData{Header: []string{"step", "action", "target", "status", "why", "error"}}
	for i, s := range r.Steps {
		target := string(s.Default)
		if s.Method != nil {
			target = runbook.DescribeMethod(*s.Method)
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(i + 1), string(s.Action), target, string(s.Status), s.Why, s.Error})
	}
	return t
}

func defaultWord(d methods.DefaultMethod) string {
	if d == "" {
		return "none"
	}
	return string(d)
}

// RenderTable is the text summary.
func (r *resetReport) RenderTable(w io.Writer) error {
	after, defAfter := r.after()
	fmt.Fprintf(w, "Reset of %s", r.name())
	if r.Ticket != "" {
		fmt.Fprintf(w, " (ticket %s)", r.Ticket)
	}
	fmt.Fprintln(w)
	if r.LostDevice != "" {
		fmt.Fprintf(w, "Lost device:  %q\n", r.LostDevice)
	}
	if r.Status != "" {
		fmt.Fprintf(w, "Status:       %s\n", r.Status)
	}
	fmt.Fprintf(w, "Default:      %s -> %s\n", defaultWord(r.DefaultBefore), defaultWord(defAfter))
	if v := r.Verification; v != nil {
		fmt.Fprintf(w, "Identity:     %s\n", v.describe())
	}
	list := func(title string, ms []methods.Method) {
		fmt.Fprintf(w, "%s:\n", title)
		if len(ms) == 0 {
			fmt.Fprintln(w, "  (none)")
		}
		for _, m := range ms {
			fmt.Fprintf(w, "  - %s\n", runbook.DescribeMethod(m))
		}
	}
	list("Before", r.Before)
	fmt.Fprintln(w, "Steps:")
	if len(r.Steps) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for i, s := range r.Steps {
		fmt.Fprintf(w, "  %d. [%s] %s\n       why: %s\n", i+1, s.Status, s.Describe(), s.Why)
		if s.Error != "" {
			fmt.Fprintf(w, "       result: %s\n", s.Error)
		}
	}
	if len(r.Keep) > 0 {
		fmt.Fprintln(w, "Kept:")
		for _, k := range r.Keep {
			fmt.Fprintf(w, "  - %s: %s\n", runbook.DescribeMethod(k.Method), k.Why)
		}
	}
	list("After", after)
	if r.TAP != nil {
		fmt.Fprintf(w, "Temporary Access Pass: issued (%s, id %s); the pass itself is not in this summary\n", tapTerms(*r.TAP), r.TAP.ID)
	}
	if r.LeftWithoutMFA {
		fmt.Fprintln(w, "Left with no MFA method: the user must register one (with a Temporary Access Pass) before an MFA prompt")
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "Note: %s\n", warn)
	}
	for i, q := range r.Requests {
		if i == 0 {
			fmt.Fprintln(w, "Requests (dry run, not sent):")
		}
		fmt.Fprintf(w, "  %s %s", q.Method, q.URL)
		if len(q.Body) > 0 {
			fmt.Fprintf(w, " %s", q.Body)
		}
		fmt.Fprintln(w)
	}
	return nil
}

// mdCell keeps a value inside one Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// RenderMarkdown is the summary to paste into a ticket: no secrets.
func (r *resetReport) RenderMarkdown(w io.Writer) error {
	after, defAfter := r.after()
	fmt.Fprintf(w, "### MFA reset: %s\n\n", mdCell(r.name()))
	fmt.Fprintln(w, "| | |\n|---|---|")
	if r.Ticket != "" {
		fmt.Fprintf(w, "| Ticket | %s |\n", mdCell(r.Ticket))
	}
	fmt.Fprintf(w, "| When | %s |\n", r.Time.Format(time.RFC3339))
	if r.LostDevice != "" {
		fmt.Fprintf(w, "| Lost device | %s |\n", mdCell(r.LostDevice))
	}
	fmt.Fprintf(w, "| Status | %s |\n", mdCell(r.Status))
	fmt.Fprintf(w, "| Default method | %s → %s |\n", defaultWord(r.DefaultBefore), defaultWord(defAfter))
	if v := r.Verification; v != nil {
		fmt.Fprintf(w, "| Identity | %s |\n", mdCell(v.describe()))
	}
	if r.TAP != nil {
		fmt.Fprintf(w, "| Temporary Access Pass | issued, %s (handed over separately) |\n", tapTerms(*r.TAP))
	}
	fmt.Fprintln(w, "\n#### Steps\n\n| # | Step | Status | Why |\n|---|---|---|---|")
	for i, s := range r.Steps {
		status := string(s.Status)
		if s.Error != "" {
			status += ": " + s.Error
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s |\n", i+1, mdCell(s.Describe()), mdCell(status), mdCell(s.Why))
	}
	fmt.Fprintln(w, "\n#### Methods before and after\n\n| Method | Before | After |\n|---|---|---|")
	seen := map[string]bool{}
	has := func(ms []methods.Method, id string) bool {
		return slices.ContainsFunc(ms, func(m methods.Method) bool { return m.ID == id })
	}
	for _, m := range append(slices.Clone(r.Before), after...) {
		if seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		b, a := "-", "-"
		if has(r.Before, m.ID) {
			b = "registered"
		}
		switch {
		case has(after, m.ID) && b == "-":
			a = "added"
		case has(after, m.ID):
			a = "registered"
		case b != "-":
			a = "**removed**"
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", mdCell(runbook.DescribeMethod(m)), b, a)
	}
	if r.LeftWithoutMFA || len(r.Warnings) > 0 {
		fmt.Fprintln(w)
	}
	if r.LeftWithoutMFA {
		fmt.Fprintln(w, "- The user is left with no MFA method and must register one.")
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "- %s\n", strings.Join(strings.Fields(warn), " "))
	}
	return nil
}
