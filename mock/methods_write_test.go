package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// rawCall sends one request to the handler and decodes the JSON answer.
type rawResult struct {
	status int
	header http.Header
	body   map[string]any
}

func (r rawResult) code() string {
	if e, ok := r.body["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

func newRawServer(t *testing.T, now time.Time) *Server {
	t.Helper()
	srv, err := NewServer(Options{Store: store.NewMemory(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func rawCall(t *testing.T, srv *Server, token, method, path, body string) rawResult {
	t.Helper()
	var rd *bytes.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, "http://localhost"+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	out := rawResult{status: rec.Code, header: rec.Header()}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out.body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, path, rec.Body.String())
		}
	}
	return out
}

const (
	adele  = "/v1.0/users/adele.vance@contoso.example"
	alex   = "/v1.0/users/alex.wilber@contoso.example"
	diego  = "/v1.0/users/diego.siciliani@contoso.example"
	lee    = "/v1.0/users/lee.gu@contoso.example"
	megan  = "/v1.0/users/megan.bowen@contoso.example"
	miriam = "/v1.0/users/miriam.graham@contoso.example"
)

// Every rule of the table, broken once, answers with its status and code.
func TestRuleErrorsOverRawHTTP(t *testing.T) {
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name, token, method, path, body string
		status                          int
		code                            string
	}{
		{"bad format", DefaultAdminToken, "POST", alex + "/authentication/phoneMethods", `{"phoneNumber":"+14255550100","phoneType":"mobile"}`, 400, string(entra.CodeInvalidPhoneNumber)},
		{"extension without digits", DefaultAdminToken, "POST", alex + "/authentication/phoneMethods", `{"phoneNumber":"+1 4255550100x","phoneType":"mobile"}`, 400, string(entra.CodeInvalidPhoneNumber)},
		{"unknown type", DefaultAdminToken, "POST", alex + "/authentication/phoneMethods", `{"phoneNumber":"+1 4255550100","phoneType":"pager"}`, 400, codeInvalidValue},
		{"read-only state", DefaultAdminToken, "POST", alex + "/authentication/phoneMethods", `{"phoneNumber":"+1 4255550100","phoneType":"mobile","smsSignInState":"ready"}`, 400, codeBadBody},
		{"second mobile", DefaultAdminToken, "POST", adele + "/authentication/phoneMethods", `{"phoneNumber":"+1 4255550111","phoneType":"mobile"}`, 400, string(entra.CodePhoneTypeExists)},
		{"alternate without mobile", DefaultAdminToken, "POST", alex + "/authentication/phoneMethods", `{"phoneNumber":"+1 4255550111","phoneType":"alternateMobile"}`, 400, string(entra.CodeMobileRequired)},
		{"type change", DefaultAdminToken, "PATCH", adele + "/authentication/phoneMethods/" + methods.MobilePhoneID, `{"phoneNumber":"+1 4255550111","phoneType":"office"}`, 400, string(entra.CodePhoneTypeImmutable)},
		{"mobile with alternate", DefaultAdminToken, "DELETE", lee + "/authentication/phoneMethods/" + methods.MobilePhoneID, "", 400, string(entra.CodeMobileRequired)},
		{"sms sign-in on office", DefaultAdminToken, "POST", "/v1.0/users/grady.archie@contoso.example/authentication/phoneMethods/" + methods.OfficePhoneID + "/enableSmsSignIn", "", 400, string(entra.CodeSMSSignInNotSupported)},
		{"second email", DefaultAdminToken, "POST", miriam + "/authentication/emailMethods", `{"emailAddress":"m@contoso.example"}`, 400, string(entra.CodeEmailExists)},
		{"bad email", DefaultAdminToken, "POST", alex + "/authentication/emailMethods", `{"emailAddress":"Alex <a@b.example>"}`, 400, string(entra.CodeInvalidEmail)},
		{"tap too long", DefaultAdminToken, "POST", alex + "/authentication/temporaryAccessPassMethods", `{"lifetimeInMinutes":481}`, 400, string(entra.CodeTAPLifetime)},
		{"tap too short", DefaultAdminToken, "POST", alex + "/authentication/temporaryAccessPassMethods", `{"lifetimeInMinutes":10}`, 400, string(entra.CodeTAPLifetime)},
		{"tap in the past", DefaultAdminToken, "POST", alex + "/authentication/temporaryAccessPassMethods", `{"startDateTime":"2025-05-01T00:00:00Z"}`, 400, string(entra.CodeInvalidStart)},
		{"default in use", DefaultAdminToken, "DELETE", adele + "/authentication/microsoftAuthenticatorMethods/" + stableID("demo-method", "adele.vance@contoso.example/0"), "", 400, string(entra.CodeDefaultMethodInUse)},
		{"password delete", DefaultAdminToken, "DELETE", adele + "/authentication/passwordMethods/" + methods.PasswordMethodID, "", 405, codeBadRequest},
		{"unknown method", DefaultAdminToken, "DELETE", adele + "/authentication/fido2Methods/" + methods.MobilePhoneID, "", 404, codeNotFound},
		{"prefer unregistered", DefaultAdminToken, "PATCH", "/beta/users/alex.wilber@contoso.example/authentication/signInPreferences", `{"userPreferredMethodForSecondaryAuthentication":"push"}`, 400, string(entra.CodePreferredNotRegistered)},
		{"prefer unknown", DefaultAdminToken, "PATCH", "/beta/users/alex.wilber@contoso.example/authentication/signInPreferences", `{"userPreferredMethodForSecondaryAuthentication":"none"}`, 400, codeInvalidValue},
		{"sign-in prefs are beta", DefaultAdminToken, "GET", adele + "/authentication/signInPreferences", "", 400, codeBadBody},
		{"own password", DefaultAdminToken, "POST", "/v1.0/users/mfa.admin@contoso.example/authentication/methods/" + methods.PasswordMethodID + "/resetPassword", "", 403, string(entra.CodeOwnPasswordReset)},
		{"weak password", DefaultAdminToken, "POST", adele + "/authentication/methods/" + methods.PasswordMethodID + "/resetPassword", `{"newPassword":"password"}`, 400, string(entra.CodePasswordPolicy)},
		{"auth admin on admin", AuthAdminToken, "POST", megan + "/authentication/emailMethods", `{"emailAddress":"m@contoso.example"}`, 403, string(entra.CodeAuthorizationDenied)},
		{"auth admin on user admin", AuthAdminToken, "DELETE", lee + "/authentication/phoneMethods/" + methods.AlternateMobilePhoneID, "", 403, string(entra.CodeAuthorizationDenied)},
		{"reader writes", GlobalReaderToken, "POST", alex + "/authentication/emailMethods", `{"emailAddress":"a@contoso.example"}`, 403, string(entra.CodeAuthorizationDenied)},
		{"reports reader writes", ReportsReaderToken, "POST", alex + "/revokeSignInSessions", "", 403, string(entra.CodeAuthorizationDenied)},
		{"auth admin mfa state", AuthAdminToken, "PATCH", "/beta/users/alex.wilber@contoso.example/authentication/requirements", `{"perUserMfaState":"enforced"}`, 403, string(entra.CodeAuthorizationDenied)},
		{"auth admin reads policy", AuthAdminToken, "GET", "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass", "", 403, string(entra.CodeAuthorizationDenied)},
		{"bad mfa state", DefaultAdminToken, "PATCH", "/beta/users/alex.wilber@contoso.example/authentication/requirements", `{"perUserMfaState":"on"}`, 400, codeInvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, now)
			before := snapshot(t, srv)
			got := rawCall(t, srv, tt.token, tt.method, tt.path, tt.body)
			if got.status != tt.status || got.code() != tt.code {
				t.Fatalf("%d %s, want %d %s: %v", got.status, got.code(), tt.status, tt.code, got.body)
			}
			e := got.body["error"].(map[string]any)
			if msg, _ := e["message"].(string); msg == "" {
				t.Errorf("no message")
			}
			if inner, _ := e["innerError"].(map[string]any); inner["request-id"] == nil || inner["date"] == nil {
				t.Errorf("innerError lacks request-id or date: %v", e)
			}
			if after := snapshot(t, srv); !bytes.Equal(before, after) {
				t.Errorf("a refused request changed the state")
			}
		})
	}
}

// snapshot serialises every bucket of the server's memory store.
func snapshot(t *testing.T, srv *Server) []byte {
	t.Helper()
	m, ok := srv.Store().(*store.Memory)
	if !ok {
		t.Fatal("not a memory store")
	}
	b, err := json.Marshal(m.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRuleTableIsComplete(t *testing.T) {
	seen := map[entra.Code]bool{}
	for _, r := range RuleErrors() {
		if seen[r.Code] || r.Status < 400 || r.Forbids == "" || r.Doc == "" {
			t.Errorf("rule %+v duplicated or incomplete", r)
		}
		seen[r.Code] = true
	}
	defer func() {
		if recover() == nil {
			t.Errorf("an unknown rule code must panic: it is a mock bug")
		}
	}()
	ruleError("noSuchRule", "x")
}

func TestPhoneLifecycle(t *testing.T) {
	srv := newRawServer(t, time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC))
	tok := DefaultAdminToken
	r := rawCall(t, srv, tok, "POST", alex+"/authentication/phoneMethods", `{"phoneNumber":"+1 4255550120","phoneType":"mobile"}`)
	// The SMS policy allows sign-in: the new mobile is registered for it
	// (authentication-post-phonemethods.md shows "ready").
	if r.status != 201 || r.body["id"] != methods.MobilePhoneID || r.body["smsSignInState"] != "ready" || r.body["@odata.type"] != "#microsoft.graph.phoneAuthenticationMethod" {
		t.Fatalf("create: %d %v", r.status, r.body)
	}
	r = rawCall(t, srv, tok, "POST", alex+"/authentication/phoneMethods", `{"phoneNumber":"+1 4255550121","phoneType":"alternateMobile"}`)
	if r.status != 201 || r.body["id"] != methods.AlternateMobilePhoneID || r.body["smsSignInState"] != "notSupported" {
		t.Fatalf("alternate: %d %v", r.status, r.body)
	}
	if r = rawCall(t, srv, tok, "PATCH", alex+"/authentication/phoneMethods/"+methods.MobilePhoneID, `{"phoneNumber":"+1 4255550122"}`); r.status != 204 {
		t.Fatalf("update: %d %v", r.status, r.body)
	}
	if r = rawCall(t, srv, tok, "GET", alex+"/authentication/phoneMethods/"+methods.MobilePhoneID, ""); r.body["phoneNumber"] != "+1 4255550122" {
		t.Fatalf("after update: %v", r.body)
	}
	if r = rawCall(t, srv, tok, "POST", alex+"/authentication/phoneMethods/"+methods.MobilePhoneID+"/enableSmsSignIn", ""); r.status != 204 {
		t.Fatalf("enable: %d %v", r.status, r.body)
	}
	if r = rawCall(t, srv, tok, "GET", alex+"/authentication/phoneMethods/"+methods.MobilePhoneID, ""); r.body["smsSignInState"] != "ready" {
		t.Fatalf("after enable: %v", r.body)
	}
	// Another user with the same line cannot enable SMS sign-in.
	r = rawCall(t, srv, tok, "PATCH", diego+"/authentication/phoneMethods/"+methods.MobilePhoneID, `{"phoneNumber":"+1 4255550122"}`)
	if r.status != 204 {
		t.Fatalf("diego update: %d %v", r.status, r.body)
	}
	r = rawCall(t, srv, tok, "POST", diego+"/authentication/phoneMethods/"+methods.MobilePhoneID+"/enableSmsSignIn", "")
	if r.status != 400 || r.code() != string(entra.CodePhoneNumberNotUnique) {
		t.Fatalf("duplicate enable: %d %v", r.status, r.body)
	}
	if r = rawCall(t, srv, tok, "POST", alex+"/authentication/phoneMethods/"+methods.MobilePhoneID+"/disableSmsSignIn", ""); r.status != 204 {
		t.Fatalf("disable: %d %v", r.status, r.body)
	}
	// The alternate goes first, then the mobile.
	if r = rawCall(t, srv, tok, "DELETE", alex+"/authentication/phoneMethods/"+methods.MobilePhoneID, ""); r.code() != string(entra.CodeMobileRequired) {
		t.Fatalf("mobile before alternate: %d %v", r.status, r.body)
	}
	for _, id := range []string{methods.AlternateMobilePhoneID, methods.MobilePhoneID} {
		if r = rawCall(t, srv, tok, "DELETE", alex+"/authentication/phoneMethods/"+id, ""); r.status != 204 {
			t.Fatalf("delete %s: %d %v", id, r.status, r.body)
		}
	}
}

// A mobile number another user's mobile phone has is phoneNumberNotUnique;
// changing it to a free number registers it (ready), and back again
// refuses it. The state used to stay phoneNumberNotUnique after a change to
// a free number, and phone update warned falsely.
func TestPhoneUpdateRecomputesSMSSignInState(t *testing.T) {
	srv := newRawServer(t, time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC))
	tok := DefaultAdminToken
	mobile := alex + "/authentication/phoneMethods/" + methods.MobilePhoneID
	adeles := rawCall(t, srv, tok, "GET", adele+"/authentication/phoneMethods/"+methods.MobilePhoneID, "")
	taken, _ := adeles.body["phoneNumber"].(string)
	if taken == "" {
		t.Fatalf("the demo's adele has a mobile phone: %v", adeles.body)
	}
	r := rawCall(t, srv, tok, "POST", alex+"/authentication/phoneMethods", `{"phoneNumber":"`+taken+`","phoneType":"mobile"}`)
	if r.status != 201 || r.body["smsSignInState"] != "phoneNumberNotUnique" {
		t.Fatalf("create with adele's number: %d %v", r.status, r.body)
	}
	for _, tt := range []struct{ number, want string }{
		{"+1 4255550177", "ready"},
		{taken, "phoneNumberNotUnique"},
	} {
		if r = rawCall(t, srv, tok, "PATCH", mobile, `{"phoneNumber":"`+tt.number+`"}`); r.status != 204 {
			t.Fatalf("update to %s: %d %v", tt.number, r.status, r.body)
		}
		if r = rawCall(t, srv, tok, "GET", mobile, ""); r.body["smsSignInState"] != tt.want {
			t.Errorf("after update to %s: smsSignInState %v, want %s", tt.number, r.body["smsSignInState"], tt.want)
		}
	}
}

func TestSMSSignInPolicy(t *testing.T) {
	srv := newRawServer(t, time.Now())
	err := srv.Store().Update(func(tx store.Tx) error {
		off := false
		return updatePolicy(tx, func(p *methodsPolicy) {
			c, _ := p.config(configSMS)
			c.IsUsableForSignIn = &off
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	r := rawCall(t, srv, DefaultAdminToken, "POST", diego+"/authentication/phoneMethods/"+methods.MobilePhoneID+"/enableSmsSignIn", "")
	if r.status != 400 || r.code() != string(entra.CodeSMSSignInNotAllowed) {
		t.Fatalf("%d %v", r.status, r.body)
	}
	r = rawCall(t, srv, DefaultAdminToken, "POST", alex+"/authentication/phoneMethods", `{"phoneNumber":"+1 4255550120","phoneType":"mobile"}`)
	if r.body["smsSignInState"] != "notAllowedByPolicy" {
		t.Fatalf("new mobile under a policy without SMS sign-in: %v", r.body)
	}
}

func TestTAPCreateShowsPassOnceAndReplaces(t *testing.T) {
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	srv := newRawServer(t, now)
	r := rawCall(t, srv, DefaultAdminToken, "POST", miriam+"/authentication/temporaryAccessPassMethods", `{"lifetimeInMinutes":120,"isUsableOnce":true}`)
	if r.status != 201 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	pass, _ := r.body["temporaryAccessPass"].(string)
	if len(pass) != 8 || r.body["lifetimeInMinutes"] != float64(120) || r.body["isUsableOnce"] != true || r.body["isUsable"] != true {
		t.Fatalf("create: %v", r.body)
	}
	list := rawCall(t, srv, DefaultAdminToken, "GET", miriam+"/authentication/temporaryAccessPassMethods", "")
	vals := list.body["value"].([]any)
	if len(vals) != 1 || vals[0].(map[string]any)["id"] != r.body["id"] || vals[0].(map[string]any)["temporaryAccessPass"] != nil {
		t.Fatalf("the new pass must replace the demo pass and never show again: %v", vals)
	}
	// Only a salted hash is stored.
	_ = srv.Store().View(func(tx store.Tx) error {
		return tx.Scan(bucketMethods, "", "", func(k string, v []byte) bool {
			if strings.Contains(string(v), pass) {
				t.Errorf("the clear-text pass is stored under %s", k)
			}
			return true
		})
	})
	// Policy: one-time only.
	_ = srv.Store().Update(func(tx store.Tx) error {
		return updatePolicy(tx, func(p *methodsPolicy) {
			c, _ := p.config(configTAP)
			c.IsUsableOnce = true
		})
	})
	if r = rawCall(t, srv, DefaultAdminToken, "POST", alex+"/authentication/temporaryAccessPassMethods", `{"isUsableOnce":false}`); r.code() != string(entra.CodeTAPOneTimeOnly) {
		t.Fatalf("one-time policy: %d %v", r.status, r.body)
	}
	if r = rawCall(t, srv, DefaultAdminToken, "POST", alex+"/authentication/temporaryAccessPassMethods", ``); r.status != 201 || r.body["isUsableOnce"] != true || r.body["lifetimeInMinutes"] != float64(60) {
		t.Fatalf("defaults from the policy: %d %v", r.status, r.body)
	}
	_ = srv.Store().Update(func(tx store.Tx) error {
		return updatePolicy(tx, func(p *methodsPolicy) {
			c, _ := p.config(configTAP)
			c.State = "disabled"
		})
	})
	if r = rawCall(t, srv, DefaultAdminToken, "POST", alex+"/authentication/temporaryAccessPassMethods", `{}`); r.code() != string(entra.CodeTAPDisabled) {
		t.Fatalf("disabled policy: %d %v", r.status, r.body)
	}
}

func TestDefaultMethodDeletion(t *testing.T) {
	srv := newRawServer(t, time.Now())
	tok := DefaultAdminToken
	// Diego's only method backs his default: no other method could take
	// over, so deleting it is allowed and clears the preference (the
	// reading of phoneauthenticationmethod-delete.md in rules.go).
	if r := rawCall(t, srv, tok, "DELETE", diego+"/authentication/phoneMethods/"+methods.MobilePhoneID, ""); r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	r := rawCall(t, srv, tok, "GET", "/beta/users/diego.siciliani@contoso.example/authentication/signInPreferences", "")
	if r.body["userPreferredMethodForSecondaryAuthentication"] != nil {
		t.Fatalf("preference not cleared: %v", r.body)
	}
	// Adele: change the default to sms, then the Authenticator can go.
	if r := rawCall(t, srv, tok, "PATCH", "/beta/users/adele.vance@contoso.example/authentication/signInPreferences", `{"userPreferredMethodForSecondaryAuthentication":"sms","isSystemPreferredAuthenticationMethodEnabled":true}`); r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	app := stableID("demo-method", "adele.vance@contoso.example/0")
	if r := rawCall(t, srv, tok, "DELETE", adele+"/authentication/microsoftAuthenticatorMethods/"+app, ""); r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	r = rawCall(t, srv, tok, "GET", "/beta/users/adele.vance@contoso.example/authentication/signInPreferences", "")
	if r.body["userPreferredMethodForSecondaryAuthentication"] != "sms" || r.body["isSystemPreferredAuthenticationMethodEnabled"] != true {
		t.Fatalf("%v", r.body)
	}
}

func TestResetPasswordAndOperation(t *testing.T) {
	srv := newRawServer(t, time.Now())
	path := adele + "/authentication/methods/" + methods.PasswordMethodID + "/resetPassword"
	r := rawCall(t, srv, DefaultAdminToken, "POST", path, "")
	pw, _ := r.body["newPassword"].(string)
	if r.status != 202 || len(pw) < 8 || checkPasswordPolicy(pw) != nil {
		t.Fatalf("generated: %d %v", r.status, r.body)
	}
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "http://localhost/v1.0/users/") || !strings.Contains(loc, "/authentication/operations/") {
		t.Fatalf("Location %q", loc)
	}
	op := rawCall(t, srv, DefaultAdminToken, "GET", strings.TrimPrefix(loc, "http://localhost"), "")
	if op.status != 200 || op.body["status"] != "succeeded" {
		t.Fatalf("operation: %d %v", op.status, op.body)
	}
	r = rawCall(t, srv, AuthAdminToken, "POST", path, `{"newPassword":"Correct-Horse-9"}`)
	if r.status != 202 || len(r.body) != 0 {
		t.Fatalf("given password: %d %v", r.status, r.body)
	}
	if r = rawCall(t, srv, GlobalReaderToken, "POST", path, ""); r.status != 403 {
		t.Fatalf("reader: %d", r.status)
	}
}

func TestRevokeSessionsAndMFAState(t *testing.T) {
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	srv := newRawServer(t, now)
	r := rawCall(t, srv, AuthAdminToken, "POST", alex+"/revokeSignInSessions", "")
	if r.status != 200 || r.body["value"] != true {
		t.Fatalf("%d %v", r.status, r.body)
	}
	u := rawCall(t, srv, DefaultAdminToken, "GET", alex+"?$select=signInSessionsValidFromDateTime", "")
	if u.body["signInSessionsValidFromDateTime"] != "2025-06-01T09:00:00Z" {
		t.Fatalf("%v", u.body)
	}
	if r = rawCall(t, srv, DefaultAdminToken, "PATCH", "/beta/users/alex.wilber@contoso.example/authentication/requirements", `{"perUserMfaState":"enforced"}`); r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if r = rawCall(t, srv, GlobalReaderToken, "GET", "/beta/users/alex.wilber@contoso.example/authentication/requirements", ""); r.body["perUserMfaState"] != "enforced" {
		t.Fatalf("%v", r.body)
	}
}

// The README's table of rule errors is the rule table.
func TestREADMEListsEveryRuleError(t *testing.T) {
	b, err := os.ReadFile("../docs/methods.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range RuleErrors() {
		row := fmt.Sprintf("| `%s` | %d |", r.Code, r.Status)
		if !strings.Contains(string(b), row) {
			t.Errorf("README lacks the row %s", row)
		}
	}
}

// BenchmarkPhoneAddRemove measures a phone write on the durable store: a
// POST phoneMethods and the DELETE that undoes it, each one bbolt
// transaction committed to disk before the response.
func BenchmarkPhoneAddRemove(b *testing.B) {
	st, err := store.OpenBolt(b.TempDir()+"/state.db", time.Second)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := NewServer(Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	h := srv.Handler()
	do := func(method, path, body string, want int) {
		req := httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+DefaultAdminToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		do("POST", alex+"/authentication/phoneMethods", `{"phoneNumber":"+1 4255550100","phoneType":"mobile"}`, 201)
		do("DELETE", alex+"/authentication/phoneMethods/"+methods.MobilePhoneID, "", 204)
	}
}
