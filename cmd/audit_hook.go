package cmd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/config"
	"github.com/mfactl/mfactl/methods"
)

// annotationMutating marks a verb that changes the tenant (set by
// addMutationFlags): every run of it that is not a dry run is recorded in
// the audit log, and refused when the log is damaged.
const annotationMutating = "mfactl/mutating"

// markMutating marks a verb that changes the tenant. addMutationFlags does
// it for the verbs with --dry-run; a verb without one (enrolment through
// the emulator) calls it itself, so its runs are recorded too.
func markMutating(c *cobra.Command) {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[annotationMutating] = "true"
}

// maxAfterReads bounds how many users' methods are read again for the
// "after" of a record: a bulk verb's record keeps its requests instead.
const maxAfterReads = 10

// auditTimeout bounds the reads that complete a record (the actor, the
// methods after), which run even when the command was interrupted.
const auditTimeout = 15 * time.Second

// AuditLogPath is where the audit log of this configuration lives: the
// audit-log setting (MFACTL_AUDIT_LOG), else audit.log in the state
// directory.
func AuditLogPath(cfg *config.Config) string {
	if cfg != nil && cfg.AuditLog != "" {
		return cfg.AuditLog
	}
	return filepath.Join(config.StateDir(), audit.DefaultFileName)
}

func auditLog(f *cmdutil.Factory) (*audit.Log, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	return audit.Open(AuditLogPath(cfg)), nil
}

// auditPreRun runs before every command: a mutating verb that is not a
// dry run arms the run's audit session, after checking that the log can
// take its record, so a damaged log stops the change before it is made.
// (Cobra runs only the nearest PersistentPreRunE: a command that defines
// its own must call this.)
func auditPreRun(f *cmdutil.Factory, c *cobra.Command) error {
	if c.Annotations[annotationMutating] == "" {
		return nil
	}
	if dry, _ := c.Flags().GetBool("dry-run"); dry {
		return nil
	}
	ticket, _ := c.Flags().GetString("ticket")
	if err := validateTicket(ticket); err != nil {
		return err
	}
	log, err := auditLog(f)
	if err != nil {
		return err
	}
	if err := log.Check(); err != nil {
		var de *audit.DamagedError
		if errors.As(err, &de) {
			return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("nothing was changed: %w", err), damagedLogHint)
		}
		return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("nothing was changed: the audit log cannot be written: %w", err), "check the permissions of the state directory, or set MFACTL_AUDIT_LOG")
	}
	f.Audit.Arm(ticket)
	return nil
}

// damagedLogHint is what to do when the audit log is damaged (the audit
// package states the damage; the CLI names the commands).
const damagedLogHint = "run `mfactl audit verify` to find the first bad record; keep the file as evidence and point MFACTL_AUDIT_LOG at a new file to go on"

// validateTicket keeps ticket ids to one short line.
func validateTicket(t string) error {
	if len(t) > 128 || strings.ContainsFunc(t, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return cmdutil.FlagErrorf("--ticket must be one line of at most 128 characters, such as INC-1234")
	}
	return nil
}

// auditHook connects a run to the audit log: it observes the writes of
// the Graph client the run builds, and at the end appends the record.
type auditHook struct {
	f      *cmdutil.Factory
	mu     sync.Mutex
	client *graph.Client
	// root and args are the run's command tree and command line, to name
	// the command in the intent record.
	root *cobra.Command
	args []string

	// intentMu serialises the first writes: the intent record is written
	// once, before any of them is sent.
	intentMu  sync.Mutex
	intentSeq int64
	intentErr error
	// actor and tenant are read once, for the intent and the outcome.
	actor  *audit.Actor
	tenant string
}

// installAudit wraps the factory's Graph constructor so the client of this
// run reports every write it sends: no verb can forget to record one.
// It must run before the commands are built (they capture f.Graph).
func installAudit(f *cmdutil.Factory) *auditHook {
	h := &auditHook{f: f}
	f.AuditCheckpoint = h.checkpoint
	build := f.Graph
	f.Graph = func() (*graph.Client, error) {
		c, err := build()
		if err == nil {
			h.attach(c)
		}
		return c, err
	}
	return h
}

func (h *auditHook) attach(c *graph.Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.client == c {
		return
	}
	h.client = c
	c.ObserveWrites(func(e graph.Exchange) {
		h.f.Audit.AddRequest(audit.Request{Time: e.Time, Method: e.Method, URL: e.URL, Body: e.Body, Status: e.Status, Error: e.Err})
	})
	c.BeforeWrites(h.beforeWrite)
}

// bind tells the hook the run's command tree and command line.
func (h *auditHook) bind(root *cobra.Command, args []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.root, h.args = root, args
}

// beforeWrite writes the run's intent record before its first recordable
// write is sent: a command that is killed (kill -9, a crash, a power cut)
// after it changed the tenant then leaves "started, outcome unknown" in the
// log rather than nothing. A write the log cannot take the intent of is
// not sent.
func (h *auditHook) beforeWrite(e graph.Exchange) error {
	s := h.f.Audit
	if !s.Armed() && strings.Contains(e.URL, "/_mock/") {
		// The mock's control endpoints alone do not make a run worth a
		// record (see Session.Wrote).
		return nil
	}
	h.intentMu.Lock()
	defer h.intentMu.Unlock()
	if h.intentSeq != 0 || h.intentErr != nil {
		return h.intentErr
	}
	ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
	defer cancel()
	rec := audit.Record{
		Kind:    audit.KindIntent,
		Time:    h.f.Now(),
		Ticket:  s.Ticket(),
		Targets: s.Targets(),
		Outcome: audit.OutcomeStarted,
		Version: h.f.Version,
	}
	rec.Command, rec.Backend = h.commandLine(), h.backend()
	rec.Actor, rec.Tenant = h.identify(ctx)
	log, err := auditLog(h.f)
	if err == nil {
		rec, err = log.Append(rec)
	}
	if err != nil {
		h.intentErr = cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("nothing was sent: the audit log cannot take this run's intent record: %w", err), "run `mfactl audit verify`; see README \"Audit log\"")
		return h.intentErr
	}
	h.intentSeq = rec.Seq
	return nil
}

// commandLine names the running command, as the run's record does.
func (h *auditHook) commandLine() string {
	h.mu.Lock()
	root, args := h.root, h.args
	h.mu.Unlock()
	if root == nil {
		return audit.CommandLine(append([]string{"mfactl"}, args...), func(string) bool { return false }, audit.IsSecretFlag)
	}
	c, _, err := root.Find(args)
	if err != nil {
		c = root
	}
	return commandLine(c, args)
}

func (h *auditHook) backend() string {
	if b := h.f.Backend(); b.Kind != "" {
		return b.String()
	}
	if c := h.graphClient(); c != nil {
		return c.Root()
	}
	return ""
}

// identify reads who runs the command and in which tenant, once.
func (h *auditHook) identify(ctx context.Context) (audit.Actor, string) {
	h.mu.Lock()
	if h.actor != nil && h.actor.Source != "unknown" {
		defer h.mu.Unlock()
		return *h.actor, h.tenant
	}
	client := h.client
	h.mu.Unlock()
	cfg, _ := h.f.Config()
	actor, tenant := identify(ctx, client, cfg)
	h.mu.Lock()
	h.actor, h.tenant = &actor, tenant
	h.mu.Unlock()
	return actor, tenant
}

func (h *auditHook) graphClient() *graph.Client {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.client
}

// finish appends the run's record when it is due: a mutating verb ran (not
// a dry run), or any command sent a write to Graph. A run that never built
// a Graph client changed nothing and is not recorded. It returns the
// command's error, or an error when the change could not be recorded.
func (h *auditHook) finish(ctx context.Context, c *cobra.Command, args []string, runErr error) error {
	s := h.f.Audit
	client := h.graphClient()
	if client == nil || !(s.Armed() || s.Wrote()) {
		return runErr
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	rec := h.runRecord(commandLine(c, args))
	rec.Requests, rec.ExitCode = s.Requests(), cmdutil.ExitCodeOf(runErr)
	rec.Outcome = outcomeOf(runErr, rec.Requests)
	if runErr != nil {
		rec.Error = errorLine(runErr)
	}
	rec.Actor, rec.Tenant = h.identify(ctx)
	rec.Backend = h.backend()
	rec.Targets = s.Targets()
	if len(rec.Targets) <= maxAfterReads {
		for i, t := range rec.Targets {
			if t.Before == nil {
				continue
			}
			if after, err := client.ListMethods(ctx, t.ID); err == nil {
				rec.Targets[i].After = after
				if rec.Targets[i].After == nil {
					rec.Targets[i].After = []methods.Method{}
				}
			}
		}
	}
	log, err := auditLog(h.f)
	if err == nil {
		_, err = log.Append(rec)
	}
	if err == nil {
		return runErr
	}
	if runErr != nil {
		h.f.IOStreams.Warnf("could not record this run in the audit log: %v", err)
		return runErr
	}
	return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("the change was made but could not be recorded in the audit log: %w", err), "run `mfactl audit verify`; record the change by hand in the ticket")
}

// outcomeOf names how a run ended: a failed run that still got a write
// through made a partial change; a write whose answer was lost and whose
// re-read failed is unknown. (A write whose answer was lost but whose
// re-read found it applied returned no error: succeeded.)
// runRecord starts a record of this run: time, intent, command, ticket,
// plan and version (the callers add what they know).
func (h *auditHook) runRecord(command string) audit.Record {
	s := h.f.Audit
	h.intentMu.Lock()
	intent := h.intentSeq
	h.intentMu.Unlock()
	return audit.Record{Time: h.f.Now(), Intent: intent, Command: command, Ticket: s.Ticket(), Plan: s.Plan(), Version: h.f.Version}
}

// checkpoint appends a record of the writes the session holds so far, with
// the outcome the caller knows for them, and forgets them: bulk apply calls
// it after each chunk of users. The run's last record (finish) covers what
// is left, and every part names the run's intent record.
func (h *auditHook) checkpoint(ctx context.Context, outcome string) error {
	s := h.f.Audit
	client := h.graphClient()
	if client == nil || s == nil {
		return nil
	}
	reqs, targets := s.Drain()
	if len(reqs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	rec := h.runRecord(h.commandLine())
	rec.Requests, rec.Targets, rec.Outcome = reqs, targets, outcome
	rec.Actor, rec.Tenant = h.identify(ctx)
	rec.Backend = h.backend()
	log, err := auditLog(h.f)
	if err == nil {
		_, err = log.Append(rec)
	}
	if err != nil {
		return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("the audit log cannot take this run's record: %w", err), "run `mfactl audit verify`; see docs/audit.md")
	}
	return nil
}

func outcomeOf(err error, reqs []audit.Request) string {
	if err == nil {
		return audit.OutcomeSucceeded
	}
	if cmdutil.ExitCodeOf(err) == cmdutil.ExitPartial {
		return audit.OutcomePartial
	}
	if graph.IsOutcomeUnknown(err) {
		return audit.OutcomeUnknown
	}
	for _, r := range reqs {
		if r.Status >= 200 && r.Status < 300 && !strings.Contains(r.URL, "/_mock/") {
			return audit.OutcomePartial
		}
	}
	return audit.OutcomeFailed
}

// errorLine is the error as `mfactl: ...` prints it, without the prefix.
func errorLine(err error) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if hint := hintOf(err); hint != "" && !strings.Contains(msg, hint) {
		msg += "; " + hint
	}
	return msg
}

// commandLine is the run's command line with secret flag values redacted.
func commandLine(c *cobra.Command, args []string) string {
	takesValue := func(name string) bool {
		fl := c.Flags().Lookup(name)
		if fl == nil && len(name) == 1 {
			fl = c.Flags().ShorthandLookup(name)
		}
		return fl != nil && fl.NoOptDefVal == ""
	}
	return audit.CommandLine(append([]string{"mfactl"}, args...), takesValue, audit.IsSecretFlag)
}

// identify names who ran the command and in which tenant: the signed-in
// user from GET /me, else what the access token says (an app-only
// sign-in), and the tenant from the token, the configuration or the
// signed-in user's domain.
func identify(ctx context.Context, c *graph.Client, cfg *config.Config) (audit.Actor, string) {
	var actor audit.Actor
	me, meErr := c.Me(ctx)
	if meErr == nil {
		actor = audit.Actor{ID: me.ID, UPN: me.UserPrincipalName, Name: me.DisplayName, Source: "me"}
	}
	var tenant string
	if cl, err := c.Claims(ctx); err == nil {
		tenant = cl.TenantID
		if meErr != nil {
			actor = audit.Actor{ID: cl.ObjectID, UPN: cl.UPN, Name: cl.Name, App: cl.AppID, Source: "token"}
		}
	}
	if actor.Source == "" {
		actor = audit.Actor{Source: "unknown", Error: errorLine(meErr)}
	}
	if tenant == "" && cfg != nil {
		tenant = cfg.Auth.TenantID
	}
	if _, domain, ok := strings.Cut(actor.UPN, "@"); ok && tenant == "" {
		tenant = domain
	}
	return actor, tenant
}
