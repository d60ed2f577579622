package entra

import (
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
)

func TestRuleTable(t *testing.T) {
	seen := map[Code]bool{}
	for _, r := range Rules() {
		if seen[r.Code] || r.Status < 400 || r.Forbids == "" {
			t.Errorf("rule %+v duplicated or incomplete", r)
		}
		if !strings.HasSuffix(r.Doc, ".md") || !(strings.HasPrefix(r.Doc, "api-reference/") || strings.HasPrefix(r.Doc, "concepts/")) {
			t.Errorf("rule %s: docs page %q is not a page of microsoft-graph-docs-contrib", r.Code, r.Doc)
		}
		seen[r.Code] = true
		if got, ok := Lookup(r.Code); !ok || got != r || !Known(string(r.Code)) {
			t.Errorf("Lookup(%s) = %+v, %v", r.Code, got, ok)
		}
	}
	if Known("invalidValue") || Known("") {
		t.Error("a code outside the table is known")
	}
}

func TestChecks(t *testing.T) {
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	no := false
	yes := true
	mobile := methods.Method{ID: "m", Kind: methods.KindPhone, PhoneType: methods.PhoneMobile}
	open := TAPPolicy{Enabled: true, MinLifetime: 60, MaxLifetime: 480}
	tests := []struct {
		name string
		got  Code
		want Code
	}{
		{"add first mobile", CheckPhoneAdd(Phones{}, methods.PhoneMobile), ""},
		{"add second mobile", CheckPhoneAdd(PhonesOf([]methods.Method{mobile}), methods.PhoneMobile), CodePhoneTypeExists},
		{"add alternate without mobile", CheckPhoneAdd(Phones{Office: true}, methods.PhoneAlternateMobile), CodeMobileRequired},
		{"add alternate with mobile", CheckPhoneAdd(Phones{Mobile: true}, methods.PhoneAlternateMobile), ""},
		{"add office twice", CheckPhoneAdd(Phones{Office: true}, methods.PhoneOffice), CodePhoneTypeExists},
		{"update keeps type", CheckPhoneUpdate(methods.PhoneOffice, methods.PhoneOffice), ""},
		{"update changes type", CheckPhoneUpdate(methods.PhoneOffice, methods.PhoneMobile), CodePhoneTypeImmutable},
		{"delete mobile with alternate", CheckPhoneDelete(Phones{Mobile: true, AlternateMobile: true}, methods.PhoneMobile), CodeMobileRequired},
		{"delete alternate", CheckPhoneDelete(Phones{Mobile: true, AlternateMobile: true}, methods.PhoneAlternateMobile), ""},
		{"delete lone mobile", CheckPhoneDelete(Phones{Mobile: true}, methods.PhoneMobile), ""},
		{"limit 4", CheckOathLimit(4), ""},
		{"limit 5", CheckOathLimit(5), CodeMethodLimit},
		{"member holds a token", CheckTokenHolder(false), ""},
		{"guest holds a token", CheckTokenHolder(true), CodeTokenGuestNotAllowed},
		{"assign available", CheckTokenAssign(Token{Status: methods.TokenAvailable}, false, 4), ""},
		{"assign to guest first", CheckTokenAssign(Token{Status: methods.TokenAssigned, Assigned: true}, true, 5), CodeTokenGuestNotAllowed},
		{"assign assigned", CheckTokenAssign(Token{Status: methods.TokenAssigned, Assigned: true}, false, 0), CodeTokenAlreadyAssigned},
		{"assign available with a holder", CheckTokenAvailable(Token{Status: methods.TokenAvailable, Assigned: true}), CodeTokenAlreadyAssigned},
		{"assign over the limit", CheckTokenAssign(Token{Status: methods.TokenAvailable}, false, 5), CodeMethodLimit},
		{"delete available", CheckTokenChange(methods.TokenAvailable), ""},
		{"delete assigned", CheckTokenChange(methods.TokenAssigned), CodeTokenAssigned},
		{"delete failed", CheckTokenChange(methods.TokenFailedActivation), CodeTokenAssigned},
		{"activate assigned", CheckTokenActivate(Token{Status: methods.TokenAssigned, Assigned: true, ToUser: true}), ""},
		{"activate failed", CheckTokenActivate(Token{Status: methods.TokenFailedActivation, Assigned: true, ToUser: true}), ""},
		{"activate activated", CheckTokenActivate(Token{Status: methods.TokenActivated, Assigned: true, ToUser: true}), CodeTokenStatus},
		{"activate available", CheckTokenActivate(Token{Status: methods.TokenAvailable}), CodeTokenStatus},
		{"activate another's", CheckTokenActivate(Token{Status: methods.TokenAssigned, Assigned: true}), CodeTokenAlreadyAssigned},
		{"deactivate activated", CheckTokenDeactivate(methods.TokenActivated), ""},
		{"deactivate assigned", CheckTokenDeactivate(methods.TokenAssigned), ""},
		{"deactivate available", CheckTokenDeactivate(methods.TokenAvailable), CodeTokenStatus},
		{"activation 199", CheckActivationRate(ActivationLimit - 1), ""},
		{"activation 200", CheckActivationRate(ActivationLimit), CodeActivationRateLimited},
		{"tap ok", CheckTAP(open, TAPRequest{LifetimeMinutes: 60}, now), ""},
		{"tap disabled", CheckTAP(TAPPolicy{MinLifetime: 60, MaxLifetime: 480}, TAPRequest{LifetimeMinutes: 60}, now), CodeTAPDisabled},
		{"tap too long", CheckTAP(open, TAPRequest{LifetimeMinutes: 481}, now), CodeTAPLifetime},
		{"tap too short", CheckTAP(open, TAPRequest{LifetimeMinutes: 59}, now), CodeTAPLifetime},
		{"tap reusable under one-time", CheckTAP(TAPPolicy{Enabled: true, MinLifetime: 60, MaxLifetime: 480, UsableOnce: true}, TAPRequest{LifetimeMinutes: 60, UsableOnce: &no}, now), CodeTAPOneTimeOnly},
		{"tap once under one-time", CheckTAP(TAPPolicy{Enabled: true, MinLifetime: 60, MaxLifetime: 480, UsableOnce: true}, TAPRequest{LifetimeMinutes: 60, UsableOnce: &yes}, now), ""},
		{"tap start within the skew", CheckTAP(open, TAPRequest{LifetimeMinutes: 60, Start: at(-TAPStartSkew)}, now), ""},
		{"tap start beyond the skew", CheckTAP(open, TAPRequest{LifetimeMinutes: 60, Start: at(-TAPStartSkew - time.Second)}, now), CodeInvalidStart},
		{"tap start later", CheckTAPStart(now.Add(time.Hour), now), ""},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestDefaultDeletion(t *testing.T) {
	mobile := methods.Method{ID: "m", Kind: methods.KindPhone, PhoneType: methods.PhoneMobile}
	office := methods.Method{ID: "o", Kind: methods.KindPhone, PhoneType: methods.PhoneOffice}
	app := methods.Method{ID: "a", Kind: methods.KindAuthenticator}
	email := methods.Method{ID: "e", Kind: methods.KindEmail}
	tests := []struct {
		name  string
		d     DefaultDeletion
		clear bool
		code  Code
	}{
		{"no default", DefaultDeletion{Victim: app, Rest: []methods.Method{mobile}}, false, ""},
		{"not the default's method", DefaultDeletion{Preferred: methods.DefaultPush, Victim: mobile, Rest: []methods.Method{app}}, false, ""},
		{"the default's method while another could be default", DefaultDeletion{Preferred: methods.DefaultPush, Victim: app, Rest: []methods.Method{mobile}}, false, CodeDefaultMethodInUse},
		{"the default's last method, nothing else could be default", DefaultDeletion{Preferred: methods.DefaultPush, Victim: app, Rest: []methods.Method{email}}, true, ""},
		{"the default's last method, alone", DefaultDeletion{Preferred: methods.DefaultSMS, Victim: mobile}, true, ""},
		{"voice office with office kept elsewhere", DefaultDeletion{Preferred: methods.DefaultVoiceOffice, Victim: mobile, Rest: []methods.Method{office}}, false, ""},
	}
	for _, tc := range tests {
		clear, code := CheckDefaultDeletion(tc.d)
		if clear != tc.clear || code != tc.code {
			t.Errorf("%s: %v %q, want %v %q", tc.name, clear, code, tc.clear, tc.code)
		}
	}
	if n := CountOathAndAppMethods([]methods.Method{app, mobile, {Kind: methods.KindSoftwareOath}, {Kind: methods.KindHardwareOath}, email}); n != 3 {
		t.Errorf("counted %d OATH and app methods, want 3", n)
	}
}
