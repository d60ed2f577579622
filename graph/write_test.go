package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
	"github.com/mfactl/mfactl/mock/store"
)

func newMemoryClient(t *testing.T, token string) (*Client, *store.Memory) {
	t.Helper()
	st := store.NewMemory()
	srv, err := mock.NewServer(mock.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c, err := New(Options{Root: mock.InProcessRoot, Credential: StaticToken(token), Transport: srv.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	return c, st
}

func stateOf(t *testing.T, st *store.Memory) []byte {
	t.Helper()
	b, err := json.Marshal(st.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWritesRoundTrip(t *testing.T) {
	ctx := context.Background()
	c, _ := newMemoryClient(t, mock.DefaultAdminToken)
	const user = "alex.wilber@contoso.example"
	m, err := c.AddPhone(ctx, user, "+1 4255550130", methods.PhoneMobile)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != methods.MobilePhoneID || m.PhoneNumber != "+1 4255550130" || m.SMSSignInState != "ready" {
		t.Fatalf("added %+v", m)
	}
	if err := c.UpdatePhone(ctx, user, "+1 4255550131", methods.PhoneMobile); err != nil {
		t.Fatal(err)
	}
	if err := c.SetSMSSignIn(ctx, user, true); err != nil {
		t.Fatal(err)
	}
	e, err := c.AddEmail(ctx, user, "alex@outlook.example")
	if err != nil || e.ID != methods.EmailMethodID {
		t.Fatalf("email %+v %v", e, err)
	}
	if err := c.UpdateEmail(ctx, user, e.ID, "alex2@outlook.example"); err != nil {
		t.Fatal(err)
	}
	once := true
	tap, err := c.CreateTAP(ctx, user, TAPRequest{LifetimeMinutes: 90, UsableOnce: &once})
	if err != nil || tap.Pass == "" || tap.LifetimeInMinutes != 90 {
		t.Fatalf("tap %+v %v", tap, err)
	}
	if err := c.SetSignInPreferences(ctx, user, methods.SignInPreferences{UserPreferred: methods.DefaultSMS}); err != nil {
		t.Fatal(err)
	}
	prefs, err := c.GetSignInPreferences(ctx, user)
	if err != nil || prefs.UserPreferred != methods.DefaultSMS || prefs.SystemPreferredMethodEnabled == nil {
		t.Fatalf("prefs %+v %v", prefs, err)
	}
	if err := c.SetMFAState(ctx, user, methods.MFAEnforced); err != nil {
		t.Fatal(err)
	}
	if st, err := c.GetMFAState(ctx, user); err != nil || st != methods.MFAEnforced {
		t.Fatalf("mfa state %q %v", st, err)
	}
	if err := c.RevokeSessions(ctx, user); err != nil {
		t.Fatal(err)
	}
	ms, err := c.ListMethods(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Kind == methods.KindTemporaryAccess && m.Pass != "" {
			t.Errorf("the pass came back on a list")
		}
	}
	for _, del := range []struct {
		kind methods.Kind
		id   string
	}{{methods.KindTemporaryAccess, tap.ID}, {methods.KindEmail, e.ID}} {
		if err := c.DeleteMethod(ctx, user, del.kind, del.id); err != nil {
			t.Fatal(err)
		}
	}
	err = c.DeleteMethod(ctx, user, methods.KindEmail, e.ID)
	if StatusOf(err) != 404 || AdviceOf(err) != AdviceMethodGone {
		t.Errorf("second delete: %v", err)
	}
	pol, err := c.GetTAPPolicy(ctx)
	if err != nil || pol.MinimumLifetimeInMinutes != 60 || pol.MaximumLifetimeInMinutes != 480 || pol.State != "enabled" {
		t.Fatalf("policy %+v %v", pol, err)
	}
	me, err := c.Me(ctx)
	if err != nil || me.UserPrincipalName != "mfa.admin@contoso.example" {
		t.Fatalf("me %+v %v", me, err)
	}
}

func HintOf(err error) string {
	if ge, ok := err.(*Error); ok {
		return ge.Hint
	}
	return ""
}

func TestResetPasswordFollowsTheOperation(t *testing.T) {
	ctx := context.Background()
	c, _ := newMemoryClient(t, mock.DefaultAdminToken)
	r, err := c.ResetPassword(ctx, "adele.vance@contoso.example", "")
	if err != nil || len(r.NewPassword) < 8 || r.Operation.ID == "" {
		t.Fatalf("%+v %v", r, err)
	}
	op, err := c.WaitOperation(ctx, "adele.vance@contoso.example", r.Operation, func(int) bool { return false })
	if err != nil || op.Status != "succeeded" || !op.Done() {
		t.Fatalf("%+v %v", op, err)
	}
	r, err = c.ResetPassword(ctx, "adele.vance@contoso.example", "Correct-Horse-9")
	if err != nil || r.NewPassword != "" {
		t.Fatalf("admin-chosen password: %+v %v", r, err)
	}
	_, err = c.ResetPassword(ctx, "mfa.admin@contoso.example", "")
	if RuleOf(err) != entra.CodeOwnPasswordReset || StatusOf(err) != 403 || HintOf(err) != "" {
		t.Fatalf("own account: %v", err)
	}
}

// A broken rule comes back as its entra code with no hint of graph's (cmd
// phrases it: cmd/rule_hints.go), whatever the status.
func TestRuleErrorsCarryCodes(t *testing.T) {
	ctx := context.Background()
	c, _ := newMemoryClient(t, mock.DefaultAdminToken)
	_, err := c.AddPhone(ctx, "adele.vance@contoso.example", "+1 4255550140", methods.PhoneMobile)
	if RuleOf(err) != entra.CodePhoneTypeExists || HintOf(err) != "" {
		t.Fatalf("%v", err)
	}
	if !strings.HasPrefix(err.Error(), "add mobile phone for adele.vance@contoso.example: The user already has a phone method of type 'mobile'") {
		t.Errorf("message: %s", err)
	}
	ca, _ := newMemoryClient(t, mock.AuthAdminToken)
	_, err = ca.AddEmail(ctx, "megan.bowen@contoso.example", "m@contoso.example")
	var denied *Error
	if StatusOf(err) != 403 || !errors.As(err, &denied) || denied.Access != RoleWriteMethods || HintOf(err) != "" {
		t.Fatalf("auth admin on admin: %v", err)
	}
	if _, err := ca.GetTAPPolicy(ctx); StatusOf(err) != 403 {
		t.Fatalf("auth admin reads policy: %v", err)
	}
}

// A dry run sends the reads and records the writes: the tenant does not
// change, and the plan shows each request with secrets redacted.
func TestDryRunRecordsWritesAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	c, st := newMemoryClient(t, mock.DefaultAdminToken)
	before := stateOf(t, st)
	plan := &DryRunPlan{}
	d := c.DryRun(plan)
	if !d.IsDryRun() || c.IsDryRun() {
		t.Fatal("DryRun must return a recording copy")
	}
	if _, err := d.ListMethods(ctx, "adele.vance@contoso.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.AddPhone(ctx, "alex.wilber@contoso.example", "+1 4255550150", methods.PhoneMobile); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := d.CreateTAP(ctx, "alex.wilber@contoso.example", TAPRequest{Start: &start, LifetimeMinutes: 60}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ResetPassword(ctx, "adele.vance@contoso.example", "Secret-Pass-1"); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteMethod(ctx, "adele.vance@contoso.example", methods.KindPhone, methods.MobilePhoneID); err != nil {
		t.Fatal(err)
	}
	if err := d.SetMFAState(ctx, "adele.vance@contoso.example", methods.MFAEnabled); err != nil {
		t.Fatal(err)
	}
	if err := d.RevokeSessions(ctx, "adele.vance@contoso.example"); err != nil {
		t.Fatal(err)
	}
	if after := stateOf(t, st); !bytes.Equal(before, after) {
		t.Fatal("a dry run changed the tenant")
	}
	reqs := plan.Requests()
	var lines []string
	for _, r := range reqs {
		lines = append(lines, r.String())
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{
		"POST http://localhost/v1.0/users/alex.wilber%40contoso.example/authentication/phoneMethods\n{",
		`"phoneNumber":"+1 4255550150"`,
		`"phoneType":"mobile"`,
		`"startDateTime":"2030-01-02T03:04:05Z"`,
		"POST http://localhost/v1.0/users/adele.vance%40contoso.example/authentication/methods/28c10230-6103-485e-b985-444c60001490/resetPassword",
		`"newPassword":"[REDACTED]"`,
		"DELETE http://localhost/v1.0/users/adele.vance%40contoso.example/authentication/phoneMethods/3179e48a-750b-4051-897c-87b9720928f7",
		"PATCH http://localhost/beta/users/adele.vance%40contoso.example/authentication/requirements\n{\"perUserMfaState\":\"enabled\"}",
		"POST http://localhost/v1.0/users/adele.vance%40contoso.example/revokeSignInSessions",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Secret-Pass-1") {
		t.Error("the plan shows a secret")
	}
	if len(reqs) != 6 {
		t.Errorf("%d planned requests, want 6 (the read is not part of the plan)", len(reqs))
	}
}
