package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
	"github.com/mfactl/mfactl/mock/store"
)

var tokenClock = time.Date(2025, 6, 1, 9, 0, 10, 0, time.UTC)

// newClockClient is a client of an in-memory mock whose clock is *now.
func newClockClient(t *testing.T, token string, now *time.Time, debug *bytes.Buffer) *Client {
	t.Helper()
	srv, err := mock.NewServer(mock.Options{Store: store.NewMemory(), Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	opts := Options{Root: mock.InProcessRoot, Credential: StaticToken(token), Transport: srv.Transport()}
	if debug != nil {
		opts.Debug = debug
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func totp(t *testing.T, secret string, period int, at time.Time) string {
	t.Helper()
	k := methods.NewTOTPKey(methods.OATHSecret(secret))
	k.Period = period
	c, err := k.Code(at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const seed = "MZXW6YTBOIZDEMRSMZXW6YTBOIZDEMRS"

func TestHardwareTokenFilter(t *testing.T) {
	tests := []struct {
		f    HardwareTokenFilter
		want string
	}{
		{HardwareTokenFilter{}, ""},
		{HardwareTokenFilter{Status: methods.TokenActivated}, "status eq 'activated'"},
		{HardwareTokenFilter{SerialNumber: "O'B-1"}, "serialNumber eq 'O''B-1'"},
		{HardwareTokenFilter{Status: methods.TokenAvailable, SerialNumber: "X"}, "status eq 'available' and serialNumber eq 'X'"},
	}
	for _, tt := range tests {
		if got := tt.f.OData(); got != tt.want {
			t.Errorf("%+v: %q", tt.f, got)
		}
	}
}

func TestHardwareTokensRoundTrip(t *testing.T) {
	ctx := context.Background()
	now := tokenClock
	var trace bytes.Buffer
	c := newClockClient(t, mock.DefaultAdminToken, &now, &trace)

	defer func(n int) { inventoryPageSize = n }(inventoryPageSize)
	inventoryPageSize = 2 // five demo tokens: three pages
	var serials []string
	if err := c.ListHardwareTokens(ctx, HardwareTokenFilter{}, func(tok methods.HardwareToken) bool {
		serials = append(serials, tok.SerialNumber)
		return true
	}); err != nil || len(serials) != 5 {
		t.Fatalf("%v %v", serials, err)
	}
	var avail []string
	if err := c.ListHardwareTokens(ctx, HardwareTokenFilter{Status: methods.TokenAvailable}, func(tok methods.HardwareToken) bool {
		avail = append(avail, tok.SerialNumber)
		return false // stops after the first
	}); err != nil || len(avail) != 1 {
		t.Fatalf("%v %v", avail, err)
	}

	hwt, err := c.FindHardwareToken(ctx, "hwt-1001")
	if err != nil || hwt.SerialNumber != "HWT-1001" || hwt.Status != methods.TokenActivated || hwt.AssignedTo == nil || hwt.AssignedTo.DisplayName != "Grady Archie" {
		t.Fatalf("%+v %v", hwt, err)
	}
	if _, err := c.FindHardwareToken(ctx, "NOPE"); StatusOf(err) != 404 || !strings.Contains(err.Error(), `"NOPE"`) {
		t.Fatalf("%v", err)
	}
	if got, err := c.GetHardwareToken(ctx, hwt.ID); err != nil || got.SerialNumber != "HWT-1001" {
		t.Fatalf("%+v %v", got, err)
	}

	alex, err := c.GetUser(ctx, "alex.wilber@contoso.example")
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateHardwareToken(ctx, NewHardwareToken{SerialNumber: "G-1", Manufacturer: "Contoso", Model: "OTP-C200", Secret: seed, TimeIntervalInSeconds: 30, AssignTo: alex.ID})
	if err != nil || created.Status != methods.TokenAssigned || created.ID == "" || created.AssignedTo.ID != alex.ID {
		t.Fatalf("%+v %v", created, err)
	}
	if strings.Contains(trace.String(), seed) || !strings.Contains(trace.String(), `"secretKey":"[REDACTED]"`) {
		t.Fatalf("the --debug trace shows the seed or no redacted secretKey:\n%s", trace.String())
	}
	ms, err := c.ListHardwareOathMethods(ctx, alex.ID)
	if err != nil || len(ms) != 1 || ms[0].ID != created.ID || ms[0].Token == nil || ms[0].Token.SerialNumber != "G-1" {
		t.Fatalf("%+v %v", ms, err)
	}
	// A wrong code: failedActivation, and an error with the rule's code
	// (cmd phrases its hint).
	err = c.ActivateHardwareToken(ctx, alex.ID, created.ID, wrongTOTP(t, seed, now), "")
	var ge *Error
	if !errors.As(err, &ge) || RuleOf(err) != entra.CodeInvalidVerification || ge.ExitCode() != 1 || ge.Hint != "" {
		t.Fatalf("%v", err)
	}
	if tok, _ := c.GetHardwareToken(ctx, created.ID); tok.Status != methods.TokenFailedActivation {
		t.Fatalf("%+v", tok)
	}
	if err := c.ActivateHardwareToken(ctx, alex.ID, created.ID, totp(t, seed, 30, now), "Alex's fob"); err != nil {
		t.Fatal(err)
	}
	if tok, _ := c.GetHardwareToken(ctx, created.ID); tok.Status != methods.TokenActivated || tok.DisplayName != "Alex's fob" || tok.LastUsed == nil {
		t.Fatalf("%+v", tok)
	}
	if err := c.DeactivateHardwareToken(ctx, alex.ID, created.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.UnassignHardwareToken(ctx, alex.ID, created.ID); err != nil {
		t.Fatal(err)
	}
	model := "OTP-C300"
	if err := c.UpdateHardwareToken(ctx, created.ID, HardwareTokenUpdate{Model: &model}); err != nil {
		t.Fatal(err)
	}
	m, err := c.AssignHardwareToken(ctx, alex.ID, created.ID)
	if err != nil || m.ID != created.ID || m.Kind != methods.KindHardwareOath || m.Token == nil || m.Token.Model != "OTP-C300" {
		t.Fatalf("%+v %v", m, err)
	}
	if err := c.DeleteHardwareToken(ctx, created.ID); RuleOf(err) != entra.CodeTokenAssigned || err.(*Error).Hint != "" {
		t.Fatalf("%v", err)
	}
	if err := c.UnassignHardwareToken(ctx, alex.ID, created.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteHardwareToken(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetHardwareToken(ctx, created.ID); StatusOf(err) != 404 {
		t.Fatalf("%v", err)
	}
	// Assign and activate in one request, by serial and by id.
	if err := c.AssignAndActivateHardwareTokenBySerial(ctx, alex.ID, "HWT-1002", totp(t, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 30, now), "fob"); err != nil {
		t.Fatal(err)
	}
	h3, _ := c.FindHardwareToken(ctx, "HWT-1003")
	k := methods.OATHKey{Type: methods.OATHTOTP, Secret: "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U", Algorithm: methods.OATHSHA256, Digits: 6, Period: 60}
	code3, _ := k.Code(now)
	if err := c.AssignAndActivateHardwareToken(ctx, alex.ID, h3.ID, code3, ""); err != nil {
		t.Fatal(err)
	}
	if ms, _ := c.ListHardwareOathMethods(ctx, alex.ID); len(ms) != 2 {
		t.Fatalf("%+v", ms)
	}
}

func wrongTOTP(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	near := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		near[totp(t, secret, 30, at.Add(d))] = true
	}
	for _, c := range []string{"000000", "111111", "222222"} {
		if !near[c] {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// A dry run records the create with the seed redacted and sends nothing.
func TestCreateHardwareTokenDryRun(t *testing.T) {
	now := tokenClock
	c := newClockClient(t, mock.DefaultAdminToken, &now, nil)
	plan := &DryRunPlan{}
	got, err := c.DryRun(plan).CreateHardwareToken(context.Background(), NewHardwareToken{SerialNumber: "D-1", Manufacturer: "C", Model: "M", Secret: seed, TimeIntervalInSeconds: 60, HashFunction: "hmacsha256"})
	if err != nil || got.ID != "" {
		t.Fatalf("%+v %v", got, err)
	}
	reqs := plan.Requests()
	if len(reqs) != 1 || reqs[0].Method != "POST" || !strings.HasSuffix(reqs[0].URL, "/beta/directory/authenticationMethodDevices/hardwareOathDevices") {
		t.Fatalf("%+v", reqs)
	}
	if body := string(reqs[0].Body); strings.Contains(body, seed) || !strings.Contains(body, `"secretKey":"[REDACTED]"`) || !strings.Contains(body, `"timeIntervalInSeconds":60`) {
		t.Fatalf("%s", body)
	}
	if _, err := c.FindHardwareToken(context.Background(), "D-1"); StatusOf(err) != 404 {
		t.Fatalf("a dry run created the token: %v", err)
	}
	// Printing the request's input does not show the seed either.
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, NewHardwareToken{SerialNumber: "D-1", Secret: seed}); strings.Contains(s, seed) {
			t.Fatalf("%s shows the seed: %s", verb, s)
		}
	}
}

func TestResyncHardwareToken(t *testing.T) {
	ctx := context.Background()
	now := tokenClock
	c := newClockClient(t, mock.DefaultAdminToken, &now, nil)
	const secret = "KRUGS4ZANFZSAYJAOBZGK5DUPEQGQYLS" // HWT-1004
	drifted := now.Add(-3 * time.Minute)              // the fob runs 6 steps behind
	res, err := c.ResyncHardwareToken(ctx, "HWT-1004", totp(t, secret, 30, drifted), totp(t, secret, 30, drifted.Add(30*time.Second)))
	if err != nil || res.DriftSteps != -5 || res.DriftSeconds != -150 || res.SerialNumber != "HWT-1004" {
		t.Fatalf("%+v %v", res, err)
	}
	_, err = c.ResyncHardwareToken(ctx, "HWT-1004", "123456", "123456")
	if CodeOf(err) != CodeResyncFailed || !strings.Contains(err.(*Error).Hint, "one after the other") {
		t.Fatalf("%v", err)
	}
	public := &Client{root: PublicCloudRoot}
	var ue *UsageError
	if _, err := public.ResyncHardwareToken(ctx, "X", "1", "2"); !errors.As(err, &ue) {
		t.Fatalf("%v", err)
	}
}

func TestHardwareRoles(t *testing.T) {
	ctx := context.Background()
	now := tokenClock
	c := newClockClient(t, mock.AuthAdminToken, &now, nil)
	_, err := c.FindHardwareToken(ctx, "HWT-1002")
	var ge *Error
	if !errors.As(err, &ge) || ge.ExitCode() != 4 || ge.Access != RoleReadTokens || ge.Hint != "" {
		t.Fatalf("%v", err)
	}
	// The helpdesk can still assign and activate by serial number.
	if err := c.AssignAndActivateHardwareTokenBySerial(ctx, "alex.wilber@contoso.example", "HWT-1002", totp(t, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 30, now), ""); err != nil {
		t.Fatal(err)
	}
}
