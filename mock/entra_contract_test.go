package mock

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// noPreCheck marks a rule the CLI does not check before sending: Graph (or
// the mock) alone decides, and cmd phrases the hint of its answer.
const noPreCheck = ""

// TestEntraRulesMockAndPreCheckAgree walks entra's rule table and breaks
// each rule once through the mock, over HTTP, and once through the state
// check the CLI's pre-flight calls (the same entra function the mock
// calls), and expects the rule's code, and from the mock its status, from
// both. A rule the CLI does not pre-check says so (cli == noPreCheck,
// check == nil), explicitly; every rule of the table must have a row.
func TestEntraRulesMockAndPreCheckAgree(t *testing.T) {
	hwBody := func(serial, fields string) string {
		return `{"serialNumber":"` + serial + `","manufacturer":"Contoso","model":"OTP-C200","secretKey":"` + hwSecret + `","timeIntervalInSeconds":30` + fields + `}`
	}
	guest := "isaiah.langer_fabrikam.example%23EXT%23@contoso.example"
	setPolicy := func(t *testing.T, srv *Server, cfg string, f func(c *methodConfig)) {
		t.Helper()
		err := srv.Store().Update(func(tx store.Tx) error {
			return updatePolicy(tx, func(p *methodsPolicy) {
				c, _ := p.config(cfg)
				f(c)
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	call := func(token, method, path, body string) func(*testing.T, *Server) rawResult {
		return func(t *testing.T, srv *Server) rawResult { return rawCall(t, srv, token, method, path, body) }
	}
	past := hwNow.Add(-entra.TAPStartSkew - time.Second)
	alexAuthenticator := methods.Method{ID: "a1", Kind: methods.KindAuthenticator}
	adeleMobile := methods.Method{ID: methods.MobilePhoneID, Kind: methods.KindPhone, PhoneType: methods.PhoneMobile}

	tests := []struct {
		code entra.Code
		name string
		// mock breaks the rule over HTTP on a fresh seeded mock.
		mock func(*testing.T, *Server) rawResult
		// check is the entra state check with the facts of the same
		// request, as the CLI gathers them; nil when there is none.
		check func() entra.Code
		// cli names the CLI's pre-flight checks that call check, or
		// noPreCheck.
		cli string
	}{
		{entra.CodeInvalidPhoneNumber, "number without a space", call(DefaultAdminToken, "POST", alex+"/authentication/phoneMethods", `{"phoneNumber":"+14255550100","phoneType":"mobile"}`),
			nil, noPreCheck}, // a format, not state: cmd parses numbers with methods' phone parser
		{entra.CodePhoneTypeExists, "second mobile", call(DefaultAdminToken, "POST", adele+"/authentication/phoneMethods", `{"phoneNumber":"+1 4255550111","phoneType":"mobile"}`),
			func() entra.Code { return entra.CheckPhoneAdd(entra.Phones{Mobile: true}, methods.PhoneMobile) }, noPreCheck},
		{entra.CodeMobileRequired, "alternate without mobile", call(DefaultAdminToken, "POST", alex+"/authentication/phoneMethods", `{"phoneNumber":"+1 4255550111","phoneType":"alternateMobile"}`),
			func() entra.Code { return entra.CheckPhoneAdd(entra.Phones{}, methods.PhoneAlternateMobile) }, noPreCheck},
		{entra.CodeMobileRequired, "mobile before alternate", call(DefaultAdminToken, "DELETE", lee+"/authentication/phoneMethods/"+methods.MobilePhoneID, ""),
			func() entra.Code {
				return entra.CheckPhoneDelete(entra.Phones{Mobile: true, AlternateMobile: true}, methods.PhoneMobile)
			}, "internal/runbook (sim.blocked, Plan)"},
		{entra.CodePhoneTypeImmutable, "mobile to office", call(DefaultAdminToken, "PATCH", adele+"/authentication/phoneMethods/"+methods.MobilePhoneID, `{"phoneNumber":"+1 4255550111","phoneType":"office"}`),
			func() entra.Code { return entra.CheckPhoneUpdate(methods.PhoneMobile, methods.PhoneOffice) }, noPreCheck},
		{entra.CodeSMSSignInNotSupported, "SMS sign-in on office", call(DefaultAdminToken, "POST", "/v1.0/users/grady.archie@contoso.example/authentication/phoneMethods/"+methods.OfficePhoneID+"/enableSmsSignIn", ""),
			nil, noPreCheck},
		{entra.CodeSMSSignInNotAllowed, "SMS sign-in off in the policy", func(t *testing.T, srv *Server) rawResult {
			off := false
			setPolicy(t, srv, configSMS, func(c *methodConfig) { c.IsUsableForSignIn = &off })
			return rawCall(t, srv, DefaultAdminToken, "POST", diego+"/authentication/phoneMethods/"+methods.MobilePhoneID+"/enableSmsSignIn", "")
		}, nil, noPreCheck},
		{entra.CodePhoneNumberNotUnique, "SMS sign-in on a shared number", func(t *testing.T, srv *Server) rawResult {
			for _, r := range []rawResult{
				rawCall(t, srv, DefaultAdminToken, "POST", alex+"/authentication/phoneMethods", `{"phoneNumber":"+1 4255550122","phoneType":"mobile"}`),
				rawCall(t, srv, DefaultAdminToken, "PATCH", diego+"/authentication/phoneMethods/"+methods.MobilePhoneID, `{"phoneNumber":"+1 4255550122"}`),
			} {
				if r.status >= 300 {
					t.Fatalf("setup: %d %v", r.status, r.body)
				}
			}
			return rawCall(t, srv, DefaultAdminToken, "POST", diego+"/authentication/phoneMethods/"+methods.MobilePhoneID+"/enableSmsSignIn", "")
		}, nil, noPreCheck},
		{entra.CodeEmailExists, "second email", call(DefaultAdminToken, "POST", miriam+"/authentication/emailMethods", `{"emailAddress":"m@contoso.example"}`),
			nil, noPreCheck},
		{entra.CodeInvalidEmail, "display name in the address", call(DefaultAdminToken, "POST", alex+"/authentication/emailMethods", `{"emailAddress":"Alex <a@b.example>"}`),
			nil, noPreCheck},
		{entra.CodeTAPDisabled, "policy disabled", func(t *testing.T, srv *Server) rawResult {
			setPolicy(t, srv, configTAP, func(c *methodConfig) { c.State = "disabled" })
			return rawCall(t, srv, DefaultAdminToken, "POST", alex+"/authentication/temporaryAccessPassMethods", `{}`)
		}, func() entra.Code {
			return entra.CheckTAP(entra.TAPPolicy{MinLifetime: 60, MaxLifetime: 480}, entra.TAPRequest{LifetimeMinutes: 60}, hwNow)
		}, noPreCheck},
		{entra.CodeTAPLifetime, "481 minutes", call(DefaultAdminToken, "POST", alex+"/authentication/temporaryAccessPassMethods", `{"lifetimeInMinutes":481}`),
			func() entra.Code { return entra.CheckTAPLifetime(481, 60, 480) }, "cmd/tap.go (checkLifetime)"},
		{entra.CodeTAPOneTimeOnly, "reusable pass under a one-time policy", func(t *testing.T, srv *Server) rawResult {
			setPolicy(t, srv, configTAP, func(c *methodConfig) { c.IsUsableOnce = true })
			return rawCall(t, srv, DefaultAdminToken, "POST", alex+"/authentication/temporaryAccessPassMethods", `{"isUsableOnce":false}`)
		}, func() entra.Code {
			reusable := false
			return entra.CheckTAP(entra.TAPPolicy{Enabled: true, MinLifetime: 60, MaxLifetime: 480, UsableOnce: true}, entra.TAPRequest{LifetimeMinutes: 60, UsableOnce: &reusable}, hwNow)
		}, noPreCheck},
		{entra.CodeInvalidStart, "start beyond the skew", call(DefaultAdminToken, "POST", alex+"/authentication/temporaryAccessPassMethods", `{"startDateTime":"`+past.Format(time.RFC3339)+`"}`),
			func() entra.Code { return entra.CheckTAPStart(past, hwNow) }, "cmd/tap.go (tapCreateRun)"},
		{entra.CodeDefaultMethodInUse, "the default's method while others remain", call(DefaultAdminToken, "DELETE", adele+"/authentication/microsoftAuthenticatorMethods/"+stableID("demo-method", "adele.vance@contoso.example/0"), ""),
			func() entra.Code {
				_, code := entra.CheckDefaultDeletion(entra.DefaultDeletion{Preferred: methods.DefaultPush, Victim: alexAuthenticator, Rest: []methods.Method{adeleMobile}})
				return code
			}, "internal/runbook (sim.blocked)"},
		{entra.CodeMethodLimit, "a sixth OATH method", func(t *testing.T, srv *Server) rawResult {
			// Adele has Authenticator and a software OATH app: three
			// tokens more make five.
			for i := 0; i < 4; i++ {
				body := fmt.Sprintf(`{"serialNumber":"LIM-%d","manufacturer":"Contoso","model":"OTP-C200","secretKey":"%s","timeIntervalInSeconds":30}`, i, strings.Replace(hwSecret, "GEZ", fmt.Sprintf("GE%c", 'A'+i), 1))
				if r := rawCall(t, srv, DefaultAdminToken, "POST", inventory, body); r.status != 201 {
					t.Fatalf("setup: %d %v", r.status, r.body)
				}
			}
			for i := 0; i < 3; i++ {
				if r := rawCall(t, srv, DefaultAdminToken, "POST", hwMethods("adele.vance@contoso.example"), `{"device":{"id":"`+tokenIDOf(t, srv, fmt.Sprintf("LIM-%d", i))+`"}}`); r.status != 201 {
					t.Fatalf("setup: %d %v", r.status, r.body)
				}
			}
			return rawCall(t, srv, DefaultAdminToken, "POST", hwMethods("adele.vance@contoso.example"), `{"device":{"id":"`+tokenIDOf(t, srv, "LIM-3")+`"}}`)
		}, func() entra.Code {
			return entra.CheckOathLimit(entra.CountOathAndAppMethods([]methods.Method{
				{Kind: methods.KindAuthenticator}, {Kind: methods.KindSoftwareOath},
				{Kind: methods.KindHardwareOath}, {Kind: methods.KindHardwareOath}, {Kind: methods.KindHardwareOath},
				adeleMobile,
			}))
		}, "methods/seedfile (Result.CheckTenant: token import)"},
		{entra.CodePreferredNotRegistered, "push without Authenticator", call(DefaultAdminToken, "PATCH", "/beta/users/alex.wilber@contoso.example/authentication/signInPreferences", `{"userPreferredMethodForSecondaryAuthentication":"push"}`),
			nil, noPreCheck},
		{entra.CodeOwnPasswordReset, "own password", call(DefaultAdminToken, "POST", "/v1.0/users/mfa.admin@contoso.example/authentication/methods/"+methods.PasswordMethodID+"/resetPassword", ""),
			nil, noPreCheck},
		{entra.CodePasswordPolicy, "weak password", call(DefaultAdminToken, "POST", adele+"/authentication/methods/"+methods.PasswordMethodID+"/resetPassword", `{"newPassword":"password"}`),
			nil, noPreCheck},
		{entra.CodeInvalidSecretKey, "truncated secret", call(DefaultAdminToken, "POST", inventory, strings.Replace(hwBody("NEW-9", ""), hwSecret, "GEZDGNBVG", 1)),
			nil, noPreCheck}, // a format: methods/seedfile parses seeds with methods' OATH secret rules
		{entra.CodeSecretKeyImmutable, "new secret", call(DefaultAdminToken, "PATCH", inventory+"/"+demoTokenID("HWT-1002"), `{"secretKey":"`+hwSecret+`"}`),
			nil, noPreCheck},
		{entra.CodeSerialNumberExists, "duplicate serial", call(DefaultAdminToken, "POST", inventory, hwBody("hwt-1002", "")),
			nil, noPreCheck}, // token import asks the tenant's inventory, no rule of state
		{entra.CodeTokenAlreadyAssigned, "assign an assigned token", call(DefaultAdminToken, "POST", hwMethods("alex.wilber@contoso.example"), `{"device":{"id":"`+demoTokenID("HWT-1004")+`"}}`),
			func() entra.Code {
				return entra.CheckTokenAvailable(entra.Token{Status: methods.TokenAssigned, Assigned: true})
			}, "cmd/token.go (tokenAssignRun)"},
		{entra.CodeTokenAssigned, "delete an assigned token", call(DefaultAdminToken, "DELETE", inventory+"/"+demoTokenID("HWT-1001"), ""),
			func() entra.Code { return entra.CheckTokenChange(methods.TokenActivated) }, "cmd/token.go (tokenDeleteRun)"},
		{entra.CodeTokenGuestNotAllowed, "assign to a guest", call(DefaultAdminToken, "POST", hwMethods(guest), `{"device":{"id":"`+demoTokenID("HWT-1002")+`"}}`),
			func() entra.Code { return entra.CheckTokenHolder(true) }, "cmd/token.go (assign), cmd/token_activate.go, methods/seedfile (Result.CheckTenant)"},
		{entra.CodeTokenStatus, "activate an activated token", call(DefaultAdminToken, "POST", hwMethods("grady.archie@contoso.example")+"/"+demoTokenID("HWT-1001")+"/activate", `{"verificationCode":"000000"}`),
			func() entra.Code {
				return entra.CheckTokenActivate(entra.Token{Status: methods.TokenActivated, Assigned: true, ToUser: true})
			}, noPreCheck}, // token activate reads the code of Graph's answer
		{entra.CodeInvalidVerification, "wrong code", func(t *testing.T, srv *Server) rawResult {
			return rawCall(t, srv, DefaultAdminToken, "POST", hwMethods("lee.gu@contoso.example")+"/"+demoTokenID("HWT-1004")+"/activate", `{"verificationCode":"`+wrongCode(t, "HWT-1004", hwNow)+`"}`)
		}, nil, noPreCheck},
		{entra.CodeActivationRateLimited, "201st activation in 5 minutes", func(t *testing.T, srv *Server) rawResult {
			err := srv.Store().Update(func(tx store.Tx) error {
				var log activationLog
				for i := 0; i < entra.ActivationLimit; i++ {
					log.Times = append(log.Times, hwNow.Add(-4*time.Minute).Add(time.Duration(i)*time.Millisecond))
				}
				return store.PutJSON(tx, bucketMeta, metaActivations, &log)
			})
			if err != nil {
				t.Fatal(err)
			}
			return rawCall(t, srv, DefaultAdminToken, "POST", hwMethods("lee.gu@contoso.example")+"/"+demoTokenID("HWT-1004")+"/activate", `{"verificationCode":"`+demoCode(t, "HWT-1004", hwNow)+`"}`)
		}, func() entra.Code { return entra.CheckActivationRate(entra.ActivationLimit) }, noPreCheck}, // token activate --file paces itself instead
		{entra.CodeAuthorizationDenied, "reader writes", call(GlobalReaderToken, "POST", alex+"/authentication/emailMethods", `{"emailAddress":"a@contoso.example"}`),
			nil, noPreCheck}, // roles: cmd's permission table (internal/permissions), not a rule of state
	}

	covered := map[entra.Code]bool{}
	for _, tc := range tests {
		covered[tc.code] = true
		t.Run(string(tc.code)+"/"+tc.name, func(t *testing.T) {
			rule, ok := entra.Lookup(tc.code)
			if !ok {
				t.Fatalf("%s is not in entra's rule table", tc.code)
			}
			srv := newRawServer(t, hwNow)
			r := tc.mock(t, srv)
			if r.status != rule.Status || r.code() != string(tc.code) {
				t.Errorf("mock: %d %s, want %d %s (%v)", r.status, r.code(), rule.Status, tc.code, r.body)
			}
			switch {
			case tc.check == nil && tc.cli != noPreCheck:
				t.Errorf("the CLI pre-check %q has no check function", tc.cli)
			case tc.check != nil:
				if got := tc.check(); got != tc.code {
					t.Errorf("entra check (CLI: %s): %q, want %q", nonEmpty(tc.cli, "no pre-check"), got, tc.code)
				}
			}
		})
	}
	for _, r := range entra.Rules() {
		if !covered[r.Code] {
			t.Errorf("rule %s has no row: break it through the mock and say whether the CLI pre-checks it", r.Code)
		}
	}
}
