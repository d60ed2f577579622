package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/internal/plural"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/reports"
)

// NewCmdUser groups the user verbs.
func NewCmdUser(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "user <command>",
		Short: "Look at a user's MFA set-up",
	}
	c.AddCommand(NewCmdUserShow(f, nil))
	return c
}

// NewCmdUserShow builds `mfactl user show <user>`.
func NewCmdUserShow(f *cmdutil.Factory, runF func(context.Context, *UserReadOptions) error) *cobra.Command {
	opts := &UserReadOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer}
	c := &cobra.Command{
		Use:   "show <user>",
		Short: "Show a user's authentication methods on one screen",
		Long: `Show a user on one screen: every registered authentication method with its
type, name and creation date, the default MFA method, the per-user MFA state,
whether the user has two MFA methods, and warnings: no MFA method, only one (two
are recommended, so a lost phone does not lock the user out), only SMS/voice.
The counts are the coverage report's, so both always agree. <user> is a user
principal name or an object id.`,
		Example: `  mfactl --mock user show adele.vance@contoso.example
  mfactl user show 5f0c1d2e-... -o json   # [placeholder] an object id`,
		Args: exactArgs(1, "user show needs one <user>: a user principal name or object id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.User = args[0]
			return runVerb(cmd.Context(), opts, runF, userShowRun)
		},
	}
	return c
}

// userView is what `user show` prints; JSON field names are stable.
type userView struct {
	User    methods.User     `json:"user"`
	Methods []methods.Method `json:"methods"`
	// DefaultMethod is the user-preferred MFA method ("" when none is set
	// or it could not be read); SystemPreferred whether system-preferred
	// MFA is on (nil: unknown).
	DefaultMethod   methods.DefaultMethod `json:"defaultMethod"`
	SystemPreferred *bool                 `json:"systemPreferredEnabled"`
	// MFAState is the legacy per-user MFA state ("" when unknown).
	MFAState methods.MFAState `json:"perUserMfaState"`
	// MFAMethodCount and MeetsTwoMethods come from the coverage row, so
	// `user show` and the coverage report always agree (two devices of one
	// type count once: a second Authenticator is no backup).
	MFAMethodCount  int         `json:"mfaMethodCount"`
	MeetsTwoMethods bool        `json:"meetsTwoMethods"`
	Coverage        reports.Row `json:"coverage"`
	Warnings        []string    `json:"warnings"`
	unread          []string    // states that could not be read, for the table
}

func userShowRun(ctx context.Context, opts *UserReadOptions) error {
	printer, err := opts.Printer()
	if err != nil {
		return err
	}
	client, err := opts.Graph()
	if err != nil {
		return err
	}
	user, err := client.GetUser(ctx, opts.User)
	if err != nil {
		return err
	}
	ms, err := client.ListMethods(ctx, user.ID)
	if err != nil {
		return err
	}
	// The default method and the MFA state are beta APIs with their own
	// permissions: a missing one is reported, not fatal.
	var unread []string
	prefs, err := client.GetSignInPreferences(ctx, user.ID)
	if err != nil {
		unread = append(unread, "the default method ("+oneLineError(err)+")")
	}
	state, err := client.GetMFAState(ctx, user.ID)
	if err != nil {
		unread = append(unread, "the per-user MFA state ("+oneLineError(err)+")")
	}
	admins, err := client.AdminIDs(ctx)
	if err != nil {
		unread = append(unread, "whether the user holds an admin role ("+oneLineError(err)+")")
	}
	view := buildUserView(user, admins[user.ID], ms, prefs, state)
	view.unread = unread
	for _, u := range unread {
		opts.IO.Warnf("could not read %s", u)
	}
	for _, w := range view.Warnings {
		opts.IO.Warnf("%s", w)
	}
	return printer.Print(view)
}

func oneLineError(err error) string {
	if ge, ok := err.(*graph.Error); ok && ge.Code != "" {
		return fmt.Sprintf("HTTP %d %s", ge.Status, ge.Code)
	}
	return err.Error()
}

// buildUserView computes the coverage row exactly as the report's methods
// source does (reports.MethodsInput: usable methods, the effective
// default, the admin flag) and turns its findings into warnings.
func buildUserView(user methods.User, isAdmin bool, ms []methods.Method, prefs methods.SignInPreferences, state methods.MFAState) userView {
	row := reports.Compute(reports.MethodsInput(user, isAdmin, ms, prefs.UserPreferred))
	v := userView{
		User: user, Methods: ms, DefaultMethod: prefs.UserPreferred, SystemPreferred: prefs.SystemPreferredMethodEnabled,
		MFAState: state, MFAMethodCount: row.MFAMethodCount, MeetsTwoMethods: row.HasBackup, Coverage: row, Warnings: []string{},
	}
	if v.Methods == nil {
		v.Methods = []methods.Method{}
	}
	name := user.UserPrincipalName
	for _, f := range row.Findings {
		switch f {
		case reports.FindingNoMFA:
			v.Warnings = append(v.Warnings, fmt.Sprintf("%s has no MFA method: register at least one, two are recommended", name))
		case reports.FindingSingleMFA:
			v.Warnings = append(v.Warnings, fmt.Sprintf("%s has only one MFA method (%s): add a backup method, two are recommended", name, onlyMFAName(row)))
		case reports.FindingSMSVoiceOnly:
			v.Warnings = append(v.Warnings, fmt.Sprintf("%s has only SMS/voice methods: add Microsoft Authenticator or a FIDO2 key (phone methods are the weakest)", name))
		case reports.FindingAdminNoPhishResistant:
			v.Warnings = append(v.Warnings, fmt.Sprintf("%s holds an admin role but no phishing-resistant method: register a FIDO2 key, Windows Hello for Business or a platform credential", name))
		case reports.FindingDisabledWithMethods:
			v.Warnings = append(v.Warnings, fmt.Sprintf("%s is disabled but still holds %s", name, plural.Count(row.MethodCount, "method")))
		case reports.FindingTemporaryAccessPass:
			v.Warnings = append(v.Warnings, fmt.Sprintf("%s holds a usable Temporary Access Pass", name))
		}
	}
	for _, m := range ms {
		if why := m.Unusable(); why != "" {
			v.Warnings = append(v.Warnings, fmt.Sprintf("%s %s is not counted: %s", m.Kind.Label(), m.Describe(), why))
		}
	}
	if d := prefs.UserPreferred; d != "" && !d.DeliverableBy(ms) {
		v.Warnings = append(v.Warnings, fmt.Sprintf("the default method of %s is %s, but no usable method delivers it (it needs %s)", name, d, d.Requirement()))
	}
	return v
}

func onlyMFAName(row reports.Row) string {
	for _, n := range row.Methods {
		if n.Class() != methods.ClassNone {
			return n.Label()
		}
	}
	return "?"
}

// Table lists the methods (for -o csv).
func (v userView) Table() output.TableData {
	return methodsTable(v.Methods)
}

// RenderTable draws the one-screen view.
func (v userView) RenderTable(w io.Writer) error {
	u := v.User
	state := "enabled"
	if u.AccountEnabled != nil && !*u.AccountEnabled {
		state = "disabled"
	}
	userType := u.UserType
	if userType == "" {
		userType = "Member"
	}
	backup := "yes"
	if !v.MeetsTwoMethods {
		backup = "no"
	}
	def := string(v.DefaultMethod)
	if def == "" {
		def = "none set"
	}
	if v.SystemPreferred != nil {
		def += " (system-preferred MFA: " + boolWord(v.SystemPreferred) + ")"
	}
	mfaState := dash(string(v.MFAState))
	fmt.Fprintf(w, "User:         %s <%s>\n", u.DisplayName, u.UserPrincipalName)
	fmt.Fprintf(w, "Object id:    %s\n", u.ID)
	if v.Coverage.IsAdmin {
		state += ", holds an admin role"
	}
	fmt.Fprintf(w, "Account:      %s, %s\n", userType, state)
	fmt.Fprintf(w, "Default:      %s\n", def)
	fmt.Fprintf(w, "Per-user MFA: %s\n", mfaState)
	fmt.Fprintf(w, "MFA methods:  %d (two or more: %s), strongest: %s\n\n", v.MFAMethodCount, backup, v.Coverage.StrongestClass)
	t := methodsTable(v.Methods)
	for i, m := range v.Methods {
		switch {
		case v.DefaultMethod.Delivers(m):
			t.Rows[i][1] += " (default)"
		case !m.Usable():
			t.Rows[i][1] += " (" + m.Unusable() + ")"
		}
	}
	return output.WriteTable(w, t)
}

func methodsTable(ms []methods.Method) output.TableData {
	t := output.TableData{Header: []string{"type", "detail", "created", "id"}}
	for _, m := range ms {
		t.Rows = append(t.Rows, []string{m.Kind.Label(), dash(m.Describe()), formatDate(m.Created), m.ID})
	}
	return t
}

func formatDate(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02")
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// exactArgs is cobra.ExactArgs with a message that says what is missing.
func exactArgs(n int, msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return cmdutil.FlagErrorf("%s", msg)
		}
		return nil
	}
}
