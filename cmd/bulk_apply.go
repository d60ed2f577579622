package cmd

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/schollz/progressbar/v3"
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
)

// maxSendAttempts bounds how often one operation is sent when each
// attempt's outcome was unknown and re-reading showed it was not applied.
// Every send after the first follows such a read, so sending again is
// safe; the bound matches the client's attempts for reads (graph/retry.go:
// one try and six retries), since the client does not retry a write
// batch whose answer was lost. With 5 % of requests failing, three
// attempts left about one operation in a few hundred failed.
const maxSendAttempts = 7

// BulkApplyOptions are the inputs of `bulk apply`.
type BulkApplyOptions struct {
	IO          *iostreams.IOStreams
	Graph       func() (*graph.Client, error)
	Printer     func() (*output.Printer, error)
	Audit       *audit.Session // the users the run acts on, for its audit record
	Plan        string
	Yes         bool
	Ticket      string
	Concurrency int
	SecretsOut  string
	Results     string
	// SettleDelay is how long after the journal's last write an
	// interrupted run's operations of unknown outcome are settled.
	SettleDelay time.Duration
	// AuditCheckpoint records the writes of each chunk of users as they
	// finish (the Factory's; nil records everything at the end).
	AuditCheckpoint func(ctx context.Context, outcome string) error
}

// Validate checks the flags and the plan's name before the plan is read.
func (o *BulkApplyOptions) Validate() error {
	if o.Concurrency < 1 || o.Concurrency > 16 {
		return cmdutil.FlagErrorf("--concurrency must be between 1 and 16")
	}
	return checkPlanArg("bulk apply", o.Plan)
}

// NewCmdBulkApply builds `mfactl bulk apply plan.json`.
func NewCmdBulkApply(f *cmdutil.Factory, runF func(context.Context, *BulkApplyOptions) error) *cobra.Command {
	opts := &BulkApplyOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit, Concurrency: 4, SettleDelay: 10 * time.Second,
		AuditCheckpoint: func(ctx context.Context, outcome string) error {
			if f.AuditCheckpoint == nil {
				return nil
			}
			return f.AuditCheckpoint(ctx, outcome)
		}}
	c := &cobra.Command{
		Use:   "apply <plan.json> [--yes] [--concurrency N] [--secrets-out FILE] [--results FILE]",
		Short: "Apply a reviewed plan, resuming where an interrupted apply stopped",
		Long: `Apply a plan written by ` + "`bulk plan`" + `. Each user is read again first: a user whose
state no longer matches the plan's fingerprint is skipped as a conflict (reported,
never overwritten). The rest is sent through $batch, 20 requests at a time and
--concurrency in flight, paced to Graph's write budget (3,000 writes per 150 s) and
resource-unit budget, throttled and briefly unavailable requests retried after
their Retry-After.

A journal beside the plan (plan.json.journal) records every operation before it is
sent and its outcome after. Running the same command again after a crash, kill -9 or
Ctrl-C continues where it stopped: an operation sent without a recorded outcome is
settled by reading the user again, never by sending it twice.

New Temporary Access Passes are written only to --secrets-out (mode 0600, appended
to on resume), never to the terminal; a plan with passes needs it. A results file
(--results, CSV or .json; default beside the plan) lists every operation with its
outcome. Exit 0 when everything was applied, 5 when some operation failed,
conflicted or was refused, 2 for bad input (nothing sent). Without --yes it asks on
a terminal and refuses without one.`,
		Example: `  mfactl --mock bulk apply plan.json --yes   # plan.json from bulk plan --out [placeholder]
  mfactl bulk apply taps-plan.json --yes --secrets-out taps.csv --results taps-results.json   # [placeholder]`,
		Args: exactArgs(1, "bulk apply needs the <plan.json> written by bulk plan"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Plan = args[0]
			return runVerb(cmd.Context(), opts, runF, bulkApplyRun)
		},
	}
	markMutating(c)
	fl := c.Flags()
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation (required when there is no terminal to ask on)")
	fl.StringVar(&opts.Ticket, "ticket", "", "the ticket this change is for, kept in the audit log (e.g. CHG-1234)")
	fl.IntVar(&opts.Concurrency, "concurrency", opts.Concurrency, "how many $batch requests are in flight, 1 to 16")
	fl.StringVar(&opts.SecretsOut, "secrets-out", "", "append new Temporary Access Passes to this CSV file (mode 0600)")
	fl.DurationVar(&opts.SettleDelay, "settle-delay", opts.SettleDelay, "after an interruption, wait this long since the journal's last write before reading back operations of unknown outcome (a request still in flight lands first)")
	fl.StringVar(&opts.Results, "results", "", "write every operation's outcome here: .json for JSON, else CSV (default: PLAN.results.csv)")
	return c
}

// openPlan opens a plan file and reads its header and summary.
// checkPlanArg refuses a blank plan file name before anything is read.
func checkPlanArg(verb, path string) error {
	if strings.TrimSpace(path) == "" {
		return cmdutil.FlagErrorf("%s needs the plan file written by `mfactl bulk plan`", verb)
	}
	return nil
}

func openPlan(path string) (bulk.Header, bulk.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return bulk.Header{}, bulk.Summary{}, cmdutil.WithExit(cmdutil.ExitUsage, err, "give the plan file written by `mfactl bulk plan`")
	}
	defer f.Close()
	h, sum, err := bulk.ReadHeader(f)
	if err != nil {
		return h, sum, cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("%s: %w", path, err), "give the plan file written by `mfactl bulk plan`, unchanged")
	}
	return h, sum, nil
}

// streamPlan calls fn for every user of the plan file.
func streamPlan(path string, fn func(bulk.UserPlan) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = bulk.ReadPlan(f, func(bulk.Header) error { return nil }, fn)
	return err
}

func resultsPath(plan, given string) string {
	if given != "" {
		return given
	}
	return strings.TrimSuffix(plan, filepath.Ext(plan)) + ".results.csv"
}

func bulkApplyRun(ctx context.Context, opts *BulkApplyOptions) error {
	h, sum, err := openPlan(opts.Plan)
	if err != nil {
		return err
	}
	if sum.ByKind[bulk.OpCreateTAP] > 0 && opts.SecretsOut == "" {
		return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("the plan issues %d Temporary Access Passes and they are never printed", sum.ByKind[bulk.OpCreateTAP]),
			"give --secrets-out FILE (written with mode 0600) to receive them")
	}
	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, Mutation{})
	if err != nil {
		return err
	}
	if h.Backend != s.client.Root() {
		return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("plan %s was read from %s, not %s", h.ID, h.Backend, s.client.Root()),
			"apply it against the tenant it was planned on, or plan again")
	}
	if sum.Ops == 0 {
		s.IO.Notef("Plan %s has no operations: every user is already as asked (%d rows refused).", h.ID, sum.Refused)
		return bulkExit(sum, nil, nil)
	}
	if err := (&session{IO: opts.IO}).confirm(Mutation{Yes: opts.Yes}, fmt.Sprintf("Apply plan %s: %s on %s?", h.ID, plural.Count(sum.Ops, "operation"), plural.Count(sum.Users, "user"))); err != nil {
		return err
	}
	opts.Audit.SetPlan(h.ID)

	j, err := bulk.OpenJournal(bulk.JournalPath(opts.Plan), h.ID, sum.Ops)
	if err != nil {
		return cmdutil.WithExit(cmdutil.ExitUsage, err, "")
	}
	defer j.Close()
	var secrets *secretsFile
	if opts.SecretsOut != "" {
		if secrets, err = openSecretsFile(opts.SecretsOut); err != nil {
			return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("--secrets-out: %w", err), "")
		}
		defer secrets.Close()
	}
	already := j.Counts()
	if already[bulk.StatePending]+already[bulk.StateIntent] == 0 {
		s.IO.Notef("Plan %s was applied already: nothing to send.", h.ID)
	} else if done := sum.Ops - already[bulk.StatePending]; done > 0 {
		s.IO.Notef("Resuming plan %s: %d of %d operations already have an outcome or were sent.", h.ID, done, sum.Ops)
	}

	if already[bulk.StateIntent] > 0 {
		if err := waitSettle(ctx, s, bulk.JournalPath(opts.Plan), opts.SettleDelay, already[bulk.StateIntent]); err != nil {
			return err
		}
	}
	a := &applier{s: s, j: j, secrets: secrets, mfa: h.ReadMFAState, concurrency: opts.Concurrency, checkpoint: opts.AuditCheckpoint,
		bar: newBulkProgress(s.IO, sum.Ops, sum.Ops-already[bulk.StatePending]-already[bulk.StateIntent], sum.Users)}
	var chunk []bulk.UserPlan
	err = streamPlan(opts.Plan, func(u bulk.UserPlan) error {
		if len(u.Ops) == 0 || a.allFinal(u) {
			return nil
		}
		chunk = append(chunk, u)
		if len(chunk) < bulkChunk {
			return nil
		}
		err := a.applyAndRecord(ctx, chunk)
		chunk = chunk[:0]
		return err
	})
	if err == nil && len(chunk) > 0 {
		err = a.applyAndRecord(ctx, chunk)
	}
	a.bar.finish()
	if serr := j.Sync(); err == nil {
		err = serr
	}
	if err != nil {
		if ctx.Err() != nil {
			return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("interrupted: plan %s is partly applied", h.ID), "run the same bulk apply again to continue; bulk status shows where it stopped")
		}
		return err
	}
	counts := j.Counts()
	rpath := resultsPath(opts.Plan, opts.Results)
	if err := writeBulkResults(rpath, opts.Plan, j); err != nil {
		return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("writing the results: %w", err), "")
	}
	if a.lostPasses > 0 {
		s.IO.Warnf("%d Temporary Access Passes were issued but their answer was lost in an interruption; issue new ones with `mfactl tap create` (see %s)", a.lostPasses, rpath)
	}
	view := applyView{Plan: h.ID, Applied: counts[bulk.StateDone], Failed: counts[bulk.StateFailed], Conflicts: counts[bulk.StateConflict],
		Skipped: counts[bulk.StateSkipped], Refused: sum.Refused, Results: rpath, Requests: a.requests.Load(), Throttled: a.throttled.Load()}
	s.IO.Notef("Plan %s: %s applied, %d failed, %d skipped as conflicts, %d skipped after a failure; %s refused at planning. Results: %s.",
		h.ID, plural.Count(view.Applied, "operation"), view.Failed, view.Conflicts, view.Skipped, plural.Count(view.Refused, "row")+" "+plural.Noun(view.Refused, "was"), rpath)
	if err := s.printer.Print(view); err != nil {
		return err
	}
	return bulkExit(sum, counts, nil)
}

// waitSettle waits until delay has passed since the journal's last write:
// a request the interrupted run sent may still be on its way, and reading
// the user before it lands would take it for not applied.
func waitSettle(ctx context.Context, s *session, journal string, delay time.Duration, n int) error {
	fi, err := os.Stat(journal)
	if err != nil {
		return err
	}
	wait := time.Until(fi.ModTime().Add(delay))
	if wait <= 0 {
		return nil
	}
	s.IO.Notef("%d operations were sent without a recorded outcome; reading them back in %s, when no request of the interrupted run can still be in flight.", n, wait.Round(time.Second))
	select {
	case <-time.After(wait):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// bulkExit is the exit of an apply: 0 when everything asked for is done,
// 5 when anything failed, conflicted, was refused, or is still unsettled.
func bulkExit(sum bulk.Summary, counts map[bulk.OpState]int, _ error) error {
	bad := sum.Refused + counts[bulk.StateFailed] + counts[bulk.StateConflict] + counts[bulk.StateSkipped]
	if open := counts[bulk.StatePending] + counts[bulk.StateIntent]; open > 0 {
		return cmdutil.WithExit(cmdutil.ExitPartial, fmt.Errorf("%d operations are not settled (their users could not be read)", open),
			"run the same bulk apply again to finish them")
	}
	if bad == 0 {
		return nil
	}
	return cmdutil.WithExit(cmdutil.ExitPartial, fmt.Errorf("the plan was applied in part: %d operations failed or conflicted, %d rows were refused at planning",
		counts[bulk.StateFailed]+counts[bulk.StateConflict]+counts[bulk.StateSkipped], sum.Refused), "the results file names each; plan again to retry what is left")
}

// applyView is what `bulk apply` prints.
type applyView struct {
	Plan      string `json:"plan"`
	Applied   int    `json:"applied"`
	Failed    int    `json:"failed"`
	Conflicts int    `json:"conflicts"`
	Skipped   int    `json:"skipped"`
	Refused   int    `json:"refused"`
	Results   string `json:"results"`
	Requests  int64  `json:"requests"`
	Throttled int64  `json:"throttled"`
}

func (v applyView) Table() output.TableData {
	return output.TableData{Header: []string{"plan", "applied", "failed", "conflicts", "skipped", "refused", "results"},
		Rows: [][]string{{v.Plan, fmt.Sprint(v.Applied), fmt.Sprint(v.Failed), fmt.Sprint(v.Conflicts), fmt.Sprint(v.Skipped), fmt.Sprint(v.Refused), v.Results}}}
}

// RenderTable: the summary note on stderr is the whole answer for people.
func (v applyView) RenderTable(io.Writer) error { return nil }

// applier applies chunks of a plan's users.
type applier struct {
	s           *session
	j           *bulk.Journal
	secrets     *secretsFile
	mfa         bool
	concurrency int
	bar         *bulkProgress
	lostPasses  int
	requests    atomic.Int64
	throttled   atomic.Int64
	// checkpoint records the writes of a chunk (Factory.AuditCheckpoint).
	checkpoint func(ctx context.Context, outcome string) error
}

func (a *applier) allFinal(u bulk.UserPlan) bool {
	for _, op := range u.Ops {
		if !a.j.State(op.N).Final() {
			return false
		}
	}
	return true
}

// userRun is one user's progress through a chunk.
type userRun struct {
	// halted: an operation's outcome is unknown and the user could not be
	// read back; nothing more is sent for the user in this run.
	halted   bool
	u        bulk.UserPlan
	state    bulk.State
	next     int // index of the next op to settle
	attempts map[int]int
}

// applyAndRecord applies a chunk, then records its writes in the audit log
// (one record a chunk, naming the plan), so memory stays flat in the
// number of users and a killed run leaves its finished chunks on record.
func (a *applier) applyAndRecord(ctx context.Context, chunk []bulk.UserPlan) error {
	err := a.apply(ctx, chunk)
	a.bar.usersDone(len(chunk))
	outcome := audit.OutcomeSucceeded
	switch {
	case err != nil:
		outcome = audit.OutcomePartial
	default:
		for _, u := range chunk {
			for _, op := range u.Ops {
				if st := a.j.State(op.N); st != bulk.StateDone && st != bulk.StateSkipped {
					outcome = audit.OutcomePartial
				}
			}
		}
	}
	if a.checkpoint != nil {
		if cerr := a.checkpoint(ctx, outcome); err == nil {
			err = cerr
		}
	}
	return err
}

// apply settles every operation of the chunk's users.
func (a *applier) apply(ctx context.Context, chunk []bulk.UserPlan) error {
	runs, err := a.prepare(ctx, chunk)
	if err != nil {
		return err
	}
	for len(runs) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		// One round: the next operation of every user still going.
		var round []*userRun
		for _, r := range runs {
			if a.advance(r) {
				round = append(round, r)
			}
		}
		if len(round) == 0 {
			return nil
		}
		if err := a.send(ctx, round); err != nil {
			return err
		}
		runs = round
	}
	return nil
}

// prepare re-reads the chunk's users, finds conflicts and settles the
// operations an interrupted run left without an outcome.
func (a *applier) prepare(ctx context.Context, chunk []bulk.UserPlan) ([]*userRun, error) {
	ids := make([]string, len(chunk))
	for i, u := range chunk {
		ids[i] = u.ID
	}
	reads, err := readBulkStates(ctx, a.s.client, ids, a.mfa, a.concurrency)
	if err != nil {
		return nil, err
	}
	var runs []*userRun
	for _, u := range chunk {
		rd := reads[strings.ToLower(u.ID)]
		started := false
		for _, op := range u.Ops {
			started = started || a.j.State(op.N) != bulk.StatePending
		}
		switch {
		case rd == nil || rd.err != nil:
			// Nothing is decided for a user that cannot be read: a
			// later run settles and sends its operations.
			continue
		case !rd.found:
			a.finishUser(u, 0, bulk.StateFailed, "the user no longer exists")
			continue
		case !started && rd.state.Fingerprint() != u.Fingerprint:
			a.finishUser(u, 0, bulk.StateConflict, "the user's methods, default or MFA state changed since the plan; nothing was changed (plan again)")
			continue
		}
		r := &userRun{u: u, state: rd.state, attempts: map[int]int{}}
		for _, op := range u.Ops {
			if a.j.State(op.N) == bulk.StateIntent {
				if err := a.settle(op, rd.state, "after an interruption"); err != nil {
					return nil, err
				}
			}
		}
		runs = append(runs, r)
	}
	return runs, a.j.Sync()
}

// settle decides an operation that was sent without a known outcome, from
// the state read since: applied (done), or not (pending, to be sent).
func (a *applier) settle(op bulk.Op, st bulk.State, when string) error {
	if !bulk.Satisfied(op, st, a.j.Evidence(op.N)) {
		return a.j.Record(op.N, bulk.StatePending, "")
	}
	note := "applied (confirmed by reading the user " + when + ")"
	if op.Kind == bulk.OpCreateTAP {
		if id := newTAPID(st, a.j.Evidence(op.N)); a.secrets == nil || !a.secrets.has(id) {
			a.lostPasses++
			note = "the pass was issued but its answer was lost; issue a new one with tap create"
		}
	}
	a.bar.add(1)
	return a.j.Record(op.N, bulk.StateDone, note)
}

func newTAPID(st bulk.State, ev bulk.Evidence) string {
	for _, m := range st.Methods {
		if m.Kind == methods.KindTemporaryAccess && !containsFold(ev.TAPIDs, m.ID) {
			return m.ID
		}
	}
	return ""
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// finishUser gives the user's operations from index i on a final state.
func (a *applier) finishUser(u bulk.UserPlan, from int, st bulk.OpState, msg string) {
	for _, op := range u.Ops[from:] {
		if !a.j.State(op.N).Final() {
			_ = a.j.Record(op.N, st, msg)
			a.bar.add(1)
		}
	}
}

// advance moves r to its next operation to send and reports whether there
// is one. After a failure the user's remaining operations are skipped:
// they were ordered on the failed one.
func (a *applier) advance(r *userRun) bool {
	for !r.halted && r.next < len(r.u.Ops) {
		op := r.u.Ops[r.next]
		switch a.j.State(op.N) {
		case bulk.StateDone:
			r.next++
		case bulk.StateFailed, bulk.StateConflict, bulk.StateSkipped:
			a.finishUser(r.u, r.next+1, bulk.StateSkipped, "not sent: an earlier operation of this user ("+op.String()+") did not succeed")
			return false
		default:
			return true
		}
	}
	return false
}

func (a *applier) request(u bulk.UserPlan, op bulk.Op) (*abs.RequestInformation, error) {
	c := a.s.client
	switch op.Kind {
	case bulk.OpAddPhone:
		return c.AddPhoneRequest(u.ID, op.Number, op.PhoneType)
	case bulk.OpUpdatePhone:
		return c.UpdatePhoneRequest(u.ID, op.Number, op.PhoneType)
	case bulk.OpEnableSMS, bulk.OpDisableSMS:
		return c.SMSSignInRequest(u.ID, op.Kind == bulk.OpEnableSMS)
	case bulk.OpAddEmail:
		return c.AddEmailRequest(u.ID, op.Email)
	case bulk.OpUpdateEmail:
		return c.UpdateEmailRequest(u.ID, op.MethodID, op.Email)
	case bulk.OpSetDefault:
		return c.SetDefaultRequest(u.ID, op.Default)
	case bulk.OpDeleteMethod:
		return c.DeleteMethodRequest(u.ID, op.MethodKind, op.MethodID)
	case bulk.OpCreateTAP:
		return c.CreateTAPRequest(u.ID, op.Minutes, op.Once)
	case bulk.OpSetMFAState:
		return c.SetMFAStateRequest(u.ID, op.MFAState)
	case bulk.OpRevokeSessions:
		return c.RevokeSessionsRequest(u.ID)
	}
	return nil, fmt.Errorf("plan operation %q is unknown to this mfactl", op.Kind)
}

// send sends the current operation of each user of the round: intents
// first (synced), then one $batch run, then the outcomes. An answer other
// than success is checked by reading the user again: an operation that
// took effect is done, one refused (4xx) failed, and one whose outcome is
// unknown (5xx after retries, no answer) is sent again in the next round,
// at most maxSendAttempts times.
func (a *applier) send(ctx context.Context, round []*userRun) error {
	ns := make([]int, len(round))
	evs := make([]bulk.Evidence, len(round))
	byKey := make(map[string]*userRun, len(round))
	for i, r := range round {
		op := r.u.Ops[r.next]
		ns[i], evs[i] = op.N, bulk.EvidenceOf(op, r.state)
		byKey[fmt.Sprint(op.N)] = r
	}
	if err := a.j.Intend(ns, evs); err != nil {
		return fmt.Errorf("writing the journal: %w", err)
	}
	var buildErr error
	items := func(yield func(graph.BatchItem) bool) {
		for _, r := range round {
			op := r.u.Ops[r.next]
			ri, err := a.request(r.u, op)
			if err != nil {
				buildErr = err
				return
			}
			if !yield(graph.BatchItem{Key: fmt.Sprint(op.N), Request: ri}) {
				return
			}
		}
	}
	type recheck struct {
		r   *userRun
		err error
		// unknown: no inner answer (the $batch itself failed) or a 5xx:
		// the write may or may not have taken effect.
		unknown bool
	}
	var again []recheck
	// Each write goes out once per round (MaxAttempts 1): the client
	// would resend a 504, whose write may have taken effect; here every
	// answer other than success is settled by reading the user first.
	opts := graph.BatchOptions{Beta: true, Concurrency: a.concurrency, Op: "bulk", Role: graph.RoleWriteMethods, MaxAttempts: 1}
	err := a.s.client.Batch(ctx, items, opts, func(res graph.BatchResult) error {
		a.requests.Add(int64(res.Attempts))
		r := byKey[res.Key]
		op := r.u.Ops[r.next]
		if res.Err == nil && res.Status < 300 {
			if op.Kind == bulk.OpCreateTAP {
				m, err := graph.DecodeMethod(res.Body)
				if err != nil || m.Pass == "" || a.secrets == nil {
					a.lostPasses++
					return a.done(r, "the pass was issued but could not be read from the answer; issue a new one with tap create")
				}
				if err := a.secrets.write(r.u, m); err != nil {
					return fmt.Errorf("writing --secrets-out: %w", err)
				}
				clear([]byte(m.Pass))
			}
			return a.done(r, "")
		}
		if res.Status == 429 {
			// Throttled: not applied. The limiter has closed the budget
			// until the Retry-After; the next round waits for it.
			a.throttled.Add(1)
			a.bar.throttled()
			return a.j.Record(op.N, bulk.StatePending, "")
		}
		again = append(again, recheck{r, res.Err, res.Status == 0 || res.Status >= 500})
		return nil
	})
	if buildErr != nil {
		return buildErr
	}
	if err != nil {
		return err
	}
	if len(again) == 0 {
		return nil
	}
	// Read the users whose operation did not answer success.
	ids := make([]string, len(again))
	for i, rc := range again {
		ids[i] = rc.r.u.ID
	}
	reads, err := readBulkStates(ctx, a.s.client, ids, a.mfa, a.concurrency)
	if err != nil {
		return err
	}
	for _, rc := range again {
		r, op := rc.r, rc.r.u.Ops[rc.r.next]
		rd := reads[strings.ToLower(r.u.ID)]
		if rd != nil && rd.found && rd.err == nil {
			r.state = rd.state
			if bulk.Satisfied(op, rd.state, a.j.Evidence(op.N)) {
				if err := a.settle(op, rd.state, "after an error answer"); err != nil {
					return err
				}
				r.next++
				continue
			}
		} else if rc.unknown {
			// Perhaps applied, and unreadable: the intent stays for a
			// later run to settle; never sent again unread.
			r.halted = true
			continue
		}
		r.attempts[op.N]++
		if rc.unknown && r.attempts[op.N] < maxSendAttempts {
			if err := a.j.Record(op.N, bulk.StatePending, ""); err != nil {
				return err
			}
			continue
		}
		if err := a.j.Record(op.N, bulk.StateFailed, oneLine(rc.err)); err != nil {
			return err
		}
		a.bar.add(1)
	}
	return nil
}

func (a *applier) done(r *userRun, note string) error {
	op := r.u.Ops[r.next]
	if err := a.j.Record(op.N, bulk.StateDone, note); err != nil {
		return err
	}
	_ = bulk.Simulate(&r.state, op, bulk.Options{})
	r.next++
	a.bar.add(1)
	return nil
}

// secretsFile is --secrets-out: CSV of new passes, 0600, appended to.
type secretsFile struct {
	f *os.File
	// ids are the passes in the file, read at the first has: only a run
	// settling passes of unknown outcome asks, so an apply that issues
	// 100,000 passes does not hold their ids.
	ids map[string]bool
}

var secretsHeader = []string{"user", "id", "temporaryAccessPass", "startDateTime", "lifetimeInMinutes", "isUsableOnce"}

func openSecretsFile(path string) (*secretsFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	sf := &secretsFile{f: f}
	n := 0
	sf.records(func([]string) { n++ })
	if n == 0 {
		if err := sf.writeRecord(secretsHeader); err != nil {
			f.Close()
			return nil, err
		}
	}
	return sf, nil
}

// records calls fn for each CSV record of the file, from its start, up
// to the end or the first record that is not CSV.
func (sf *secretsFile) records(fn func([]string)) {
	rd := csv.NewReader(bufio.NewReader(io.NewSectionReader(sf.f, 0, 1<<62)))
	rd.FieldsPerRecord = -1
	for {
		rec, err := rd.Read()
		if err != nil {
			return
		}
		fn(rec)
	}
}

func (sf *secretsFile) has(id string) bool {
	if id == "" {
		return false
	}
	if sf.ids == nil {
		sf.ids = map[string]bool{}
		sf.records(func(rec []string) {
			if len(rec) > 1 {
				sf.ids[strings.ToLower(rec[1])] = true
			}
		})
	}
	return sf.ids[strings.ToLower(id)]
}

// writeRecord writes one row raw, not through output's CSVWriter: a pass is
// Graph's own text and must read back exactly as issued (a defused cell
// would prefix a quote to a pass starting with "+" or "-").
func (sf *secretsFile) writeRecord(rec []string) error {
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(rec)
	w.Flush()
	if _, err := sf.f.WriteString(b.String()); err != nil {
		return err
	}
	return sf.f.Sync()
}

// write appends a new pass and syncs it before the journal records the
// operation as done.
func (sf *secretsFile) write(u bulk.UserPlan, m methods.Method) error {
	start := ""
	if m.StartDateTime != nil {
		start = m.StartDateTime.UTC().Format(time.RFC3339)
	}
	once := ""
	if m.IsUsableOnce != nil {
		once = fmt.Sprint(*m.IsUsableOnce)
	}
	if sf.ids != nil {
		sf.ids[strings.ToLower(m.ID)] = true
	}
	return sf.writeRecord([]string{u.UPN, m.ID, m.Pass, start, fmt.Sprint(m.LifetimeInMinutes), once})
}

func (sf *secretsFile) Close() error { return sf.f.Close() }

// writeBulkResults writes every operation's outcome (and the refused rows)
// as CSV, or JSON when the path ends in .json.
func writeBulkResults(path, plan string, j *bulk.Journal) error {
	asJSON := strings.EqualFold(filepath.Ext(path), ".json")
	return atomicfile.Write(path, 0o600, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 64<<10)
		cw := output.NewCSVWriter(bw)
		first := true
		emit := func(r bulkResult) error {
			if asJSON {
				b, err := output.Marshal(r)
				if err != nil {
					return err
				}
				sep := ",\n"
				if first {
					sep = "[\n"
				}
				first = false
				bw.WriteString(sep)
				_, err = bw.Write(b)
				return err
			}
			if first {
				first = false
				if err := cw.Write([]string{"line", "user", "operation", "outcome", "error"}); err != nil {
					return err
				}
			}
			return cw.Write([]string{fmt.Sprint(r.Line), r.User, r.Operation, r.Outcome, r.Error})
		}
		err := streamPlan(plan, func(u bulk.UserPlan) error {
			user := u.UPN
			if user == "" {
				user = u.User
			}
			if u.Refused != "" {
				return emit(bulkResult{Line: u.Line, User: user, Operation: "-", Outcome: "refused", Error: u.Refused})
			}
			for _, op := range u.Ops {
				st := j.State(op.N)
				r := bulkResult{Line: u.Line, User: user, Operation: op.String(), Outcome: outcomeName(st), Error: j.Message(op.N)}
				if err := emit(r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if asJSON {
			if first {
				bw.WriteString("[")
			}
			bw.WriteString("\n]\n")
		} else {
			if first {
				cw.Write([]string{"line", "user", "operation", "outcome", "error"})
			}
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
		}
		return bw.Flush()
	})
}

// bulkResult is one line of the results file.
type bulkResult struct {
	Line      int    `json:"line"`
	User      string `json:"user"`
	Operation string `json:"operation"`
	Outcome   string `json:"outcome"`
	Error     string `json:"error,omitempty"`
}

func outcomeName(s bulk.OpState) string {
	switch s {
	case bulk.StateDone:
		return "applied"
	case bulk.StateIntent:
		return "unknown"
	}
	return s.String()
}

// bulkProgress is the progress bar of an apply, on a terminal only.
type bulkProgress struct {
	bar        *progressbar.ProgressBar
	throttles  atomic.Int64
	users      atomic.Int64
	totalUsers int
}

func newBulkProgress(ios *iostreams.IOStreams, total, done, users int) *bulkProgress {
	if !ios.IsStderrTTY() {
		return nil
	}
	p := &bulkProgress{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(ios.ErrOut),
		progressbar.OptionSetDescription("Applying"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("ops"),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(ios.ErrOut) }),
	)}
	p.totalUsers = users
	_ = p.bar.Set(done)
	p.describe()
	return p
}

// describe shows the users done and the throttled waits beside the bar
// (which counts operations, their rate and the time left).
func (p *bulkProgress) describe() {
	d := fmt.Sprintf("Applying: %d/%d users", p.users.Load(), p.totalUsers)
	if n := p.throttles.Load(); n > 0 {
		d += fmt.Sprintf(" (%s)", plural.Count(int(n), "throttled wait"))
	}
	p.bar.Describe(d)
}

// usersDone counts a finished chunk of users.
func (p *bulkProgress) usersDone(n int) {
	if p != nil {
		p.users.Add(int64(n))
		p.describe()
	}
}

func (p *bulkProgress) add(n int) {
	if p != nil {
		_ = p.bar.Add(n)
	}
}

func (p *bulkProgress) throttled() {
	if p != nil {
		p.throttles.Add(1)
		p.describe()
	}
}

func (p *bulkProgress) finish() {
	if p != nil {
		_ = p.bar.Finish()
	}
}
