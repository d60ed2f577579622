package graph

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
)

// Every write reaches the observers with its status and a redacted body,
// whichever function sent it; reads and dry runs do not.
func TestObserveWrites(t *testing.T) {
	ctx := context.Background()
	c, _ := newMemoryClient(t, mock.DefaultAdminToken)
	var seen []Exchange
	c.ObserveWrites(func(e Exchange) { seen = append(seen, e) })
	const user = "alex.wilber@contoso.example"
	if _, err := c.GetUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTAP(ctx, user, TAPRequest{LifetimeMinutes: 60}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ResetPassword(ctx, user, "Correct-Horse-Battery-9"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteMethod(ctx, user, methods.KindPhone, methods.MobilePhoneID); err == nil {
		t.Fatal("deleted a phone alex does not have")
	}
	plan := &DryRunPlan{}
	if err := c.DryRun(plan).RevokeSessions(ctx, user); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 {
		t.Fatalf("%d exchanges: %+v", len(seen), seen)
	}
	if seen[0].Method != "POST" || !strings.HasSuffix(seen[0].URL, "/temporaryAccessPassMethods") || seen[0].Status != 201 || !strings.Contains(string(seen[0].Body), `"lifetimeInMinutes":60`) {
		t.Errorf("tap %+v", seen[0])
	}
	if string(seen[1].Body) != `{"newPassword":"[REDACTED]"}` || seen[1].Status != 202 {
		t.Errorf("password %+v %s", seen[1], seen[1].Body)
	}
	if seen[2].Method != "DELETE" || seen[2].Status != 404 || seen[2].Body != nil {
		t.Errorf("delete %+v", seen[2])
	}
}

func TestRedactedRequestBodies(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"code":"123456"}`, `{"code":"[REDACTED]"}`},
		{`{"keys": "2048#", "method":"voice"}`, `{"keys":"[REDACTED]","method":"voice"}`},
		{`{"newPassword":"x","phoneNumber":"+1 4255550100"}`, `{"newPassword":"[REDACTED]","phoneNumber":"+1 4255550100"}`},
		{`{"verificationCode":"654321","displayName":"t"}`, `{"verificationCode":"[REDACTED]","displayName":"t"}`},
		{`not json`, `"not json"`},
	}
	for _, tt := range tests {
		if got := string(redactedBody(redactRequest([]byte(tt.in)))); got != tt.want {
			t.Errorf("%s: %s", tt.in, got)
		}
	}
}

func TestParseClaims(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		token string
		want  TokenClaims
		err   string
	}{
		{"h." + enc(`{"tid":"t1","oid":"o1","upn":"kim@contoso.com","name":"Kim"}`) + ".s", TokenClaims{TenantID: "t1", ObjectID: "o1", UPN: "kim@contoso.com", Name: "Kim"}, ""},
		{"h." + enc(`{"tid":"t1","preferred_username":"kim@contoso.com"}`) + ".s", TokenClaims{TenantID: "t1", UPN: "kim@contoso.com", PreferredUsername: "kim@contoso.com"}, ""},
		{"h." + enc(`{"tid":"t1","azp":"app-1","app_displayname":"mfactl"}`) + ".s", TokenClaims{TenantID: "t1", AppID: "app-1", AuthorizedParty: "app-1", AppDisplayName: "mfactl"}, ""},
		{"mock-admin-token", TokenClaims{}, "not a JWT"},
		{"a.!!!.c", TokenClaims{}, "not base64url"},
		{"a." + enc("[1]") + ".c", TokenClaims{}, "not JSON"},
	}
	for _, tt := range tests {
		got, err := ParseClaims(tt.token)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v", tt.token, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %+v %v", tt.token, got, err)
		}
	}
}

func FuzzParseClaims(f *testing.F) {
	f.Add("h.eyJ0aWQiOiJ0MSJ9.s")
	f.Add("x")
	f.Fuzz(func(t *testing.T, s string) { _, _ = ParseClaims(s) })
}
