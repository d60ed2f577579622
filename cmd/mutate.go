package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/internal/plural"
	"github.com/mfactl/mfactl/methods"
)

// Mutation holds what every mutating verb shares: --dry-run, and --yes for
// the destructive ones.
type Mutation struct {
	DryRun bool
	Yes    bool
	// Ticket is the helpdesk ticket the change is made for, kept in the
	// audit record.
	Ticket string
}

// addMutationFlags registers --dry-run, --ticket, and --yes when the verb
// destroys something (it then asks for confirmation on a terminal). It
// marks the verb as mutating, so every run that is not a dry run is
// recorded in the audit log.
func addMutationFlags(c *cobra.Command, m *Mutation, destructive bool) {
	markMutating(c)
	c.Flags().BoolVar(&m.DryRun, "dry-run", false, "print the Graph requests this would send (secrets redacted) and change nothing")
	c.Flags().StringVar(&m.Ticket, "ticket", "", "the helpdesk ticket this change is for, kept in the audit log (e.g. INC-1234)")
	if destructive {
		c.Flags().BoolVarP(&m.Yes, "yes", "y", false, "do not ask for confirmation (required when there is no terminal to ask on)")
	}
}

// session is what a mutating verb's run works with: the printer, a client
// that records writes in a dry run, and the plan it records into.
type session struct {
	IO *iostreams.IOStreams
	// Audit collects the users the run acts on for its audit record.
	Audit   *audit.Session
	printer *output.Printer
	client  *graph.Client
	plan    *graph.DryRunPlan
}

// openSession resolves a verb's printer and client (in a dry run, one that
// records its writes instead of sending them).
func openSession(ios *iostreams.IOStreams, newPrinter func() (*output.Printer, error), newClient func() (*graph.Client, error), rec *audit.Session, m Mutation) (*session, error) {
	printer, err := newPrinter()
	if err != nil {
		return nil, err
	}
	client, err := newClient()
	if err != nil {
		return nil, err
	}
	s := &session{IO: ios, Audit: rec, printer: printer, client: client}
	if m.DryRun {
		s.plan = &graph.DryRunPlan{}
		s.client = client.DryRun(s.plan)
	}
	return s, nil
}

// confirm asks before a destructive change. A dry run changes nothing, so
// it never asks; --yes answers for the user; without a terminal and without
// --yes the verb refuses (exit 2) rather than guess.
func (s *session) confirm(m Mutation, question string) error {
	if m.DryRun || m.Yes {
		return nil
	}
	ok, err := s.IO.Confirm(question)
	if errors.Is(err, iostreams.ErrNoTTY) {
		// The question's first sentence names the change; what follows
		// the "?" is a warning for the prompt.
		what, _, _ := strings.Cut(question, "?")
		return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("%s needs confirmation and there is no terminal to ask on", what), "pass --yes to confirm (or --dry-run to see the requests)")
	}
	if err != nil {
		return err
	}
	if !ok {
		return cmdutil.Errorf(cmdutil.ExitFailure, "canceled: nothing was changed")
	}
	return nil
}

// planView is what a dry run prints: the writes it would have sent.
type planView struct {
	DryRun   bool                   `json:"dryRun"`
	Requests []graph.PlannedRequest `json:"requests"`
}

func (p planView) Table() output.TableData {
	t := output.TableData{Header: []string{"method", "url", "body"}}
	for _, r := range p.Requests {
		t.Rows = append(t.Rows, []string{r.Method, r.URL, string(r.Body)})
	}
	return t
}

// RenderTable prints each request as it would go on the wire: the request
// line, then its JSON body.
func (p planView) RenderTable(w io.Writer) error {
	for i, r := range p.Requests {
		if i > 0 {
			if _, err := fmt.Fprintln(w); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintln(w, r.String()); err != nil {
			return err
		}
	}
	return nil
}

// finishDryRun prints the plan of a dry run and reports whether this was one.
func (s *session) finishDryRun() (bool, error) {
	if s.plan == nil {
		return false, nil
	}
	reqs := s.plan.Requests()
	s.IO.Notef("Dry run: nothing was changed. %s would be sent:", plural.Count(len(reqs), "request"))
	return true, s.printer.Print(planView{DryRun: true, Requests: reqs})
}

// isTable reports whether output is for people (the note on stderr is
// then the whole answer of a verb that has no object to show).
func (s *session) isTable() bool {
	return s.printer.Format == output.Table || s.printer.Format == ""
}

// resolved is a user a verb acts on, with the methods read before acting.
type resolved struct {
	User    methods.User
	Methods []methods.Method
}

// Name is how messages refer to the user.
func (r resolved) Name() string {
	if r.User.DisplayName != "" {
		return r.User.DisplayName + " <" + r.User.UserPrincipalName + ">"
	}
	return r.User.UserPrincipalName
}

// resolveUser checks the reference, reads the user and, when withMethods,
// their methods. Every verb does this first, so a typo is "user not found"
// (exit 3) before anything is sent, and a dry run plans with real ids.
func (s *session) resolveUser(ctx context.Context, ref string, withMethods bool) (resolved, error) {
	if err := graph.ValidateUserRef(ref); err != nil {
		return resolved{}, err
	}
	u, err := s.client.GetUser(ctx, ref)
	if err != nil {
		return resolved{}, err
	}
	r := resolved{User: u}
	if withMethods {
		if r.Methods, err = s.client.ListMethods(ctx, u.ID); err != nil {
			return resolved{}, err
		}
	}
	// The audit record names the users a verb acts on, with their methods
	// before it changed anything (a record is only written for a change).
	var before []methods.Method
	if withMethods {
		before = r.Methods
		if before == nil {
			before = []methods.Method{}
		}
	}
	s.Audit.Target(u.ID, u.UserPrincipalName, before)
	return r, nil
}

// ofKind returns the user's methods of one kind.
func ofKind(ms []methods.Method, kind methods.Kind) []methods.Method {
	var out []methods.Method
	for _, m := range ms {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

// Selector picks one method of a kind: by id, by device name, or the only
// one there is. A name matching two methods is an error that lists both.
type Selector struct {
	ID     string
	Device string
}

func describeChoice(m methods.Method) string {
	d := m.Describe()
	if d == "" {
		return m.ID
	}
	return fmt.Sprintf("%q (%s)", d, m.ID)
}

func listChoices(ms []methods.Method) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = describeChoice(m)
	}
	return strings.Join(parts, ", ")
}

// selectMethod applies the selector to the user's methods of kind.
func selectMethod(r resolved, kind methods.Kind, sel Selector) (methods.Method, error) {
	cands := ofKind(r.Methods, kind)
	label := kind.Label()
	switch {
	case sel.ID != "" && sel.Device != "":
		return methods.Method{}, cmdutil.FlagErrorf("give either a method id or --device, not both")
	case sel.ID != "":
		for _, m := range cands {
			if strings.EqualFold(m.ID, sel.ID) {
				return m, nil
			}
		}
		return methods.Method{}, notFoundAmong(r, label, "id "+sel.ID, cands)
	case sel.Device != "":
		var hits []methods.Method
		for _, m := range cands {
			if strings.EqualFold(strings.TrimSpace(m.DisplayName), strings.TrimSpace(sel.Device)) {
				hits = append(hits, m)
			}
		}
		switch len(hits) {
		case 0:
			return methods.Method{}, notFoundAmong(r, label, fmt.Sprintf("device %q", sel.Device), cands)
		case 1:
			return hits[0], nil
		}
		return methods.Method{}, cmdutil.WithExit(cmdutil.ExitUsage,
			fmt.Errorf("--device %q matches %d %s methods of %s: %s", sel.Device, len(hits), label, r.User.UserPrincipalName, listChoices(hits)),
			"select one by its id")
	}
	switch len(cands) {
	case 0:
		return methods.Method{}, cmdutil.Errorf(cmdutil.ExitNotFound, "%s has no %s method", r.User.UserPrincipalName, label)
	case 1:
		return cands[0], nil
	}
	return methods.Method{}, cmdutil.WithExit(cmdutil.ExitUsage,
		fmt.Errorf("%s has %d %s methods: %s", r.User.UserPrincipalName, len(cands), label, listChoices(cands)),
		"select one by its id or with --device NAME")
}

func notFoundAmong(r resolved, label, what string, cands []methods.Method) error {
	if len(cands) == 0 {
		return cmdutil.Errorf(cmdutil.ExitNotFound, "%s has no %s method", r.User.UserPrincipalName, label)
	}
	return cmdutil.WithExit(cmdutil.ExitNotFound,
		fmt.Errorf("%s has no %s method with %s", r.User.UserPrincipalName, label, what),
		"the user's "+label+" methods are "+listChoices(cands))
}

// methodView prints one method: a table for people, the object for scripts.
type methodView struct{ methods.Method }

func (v methodView) Table() output.TableData { return methodsTable([]methods.Method{v.Method}) }

// MarshalJSON prints the method itself, so `-o json` output chains.
func (v methodView) MarshalJSON() ([]byte, error) { return output.Marshal(v.Method) }

// printMethod prints a method a verb created or removed: the note to stderr,
// and the object to stdout (for people only when show is set).
func (s *session) printMethod(m methods.Method, note string, show bool) error {
	if note != "" {
		s.IO.Notef("%s", note)
	}
	if s.isTable() && !show {
		return nil
	}
	return s.printer.Print(methodView{m})
}

// explain names the user by UPN in a Graph error: requests address users by
// object id, which is exact but means nothing to the person reading.
func (r resolved) explain(err error) error {
	var ge *graph.Error
	if errors.As(err, &ge) && r.User.ID != "" && r.User.UserPrincipalName != "" {
		ge.Op = strings.ReplaceAll(ge.Op, r.User.ID, r.User.UserPrincipalName)
	}
	return err
}
