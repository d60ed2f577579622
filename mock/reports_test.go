package mock

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// The ground truth of the registration report: for every user, what
// /reports/authenticationMethods/userRegistrationDetails says must follow
// from what /users/{id}/authentication/methods lists. The expectations are
// computed here from the wire method lists with the report's rules written
// out independently of deriveRegistration.

// knownUser is what a test knows of a user beyond the wire: roles and
// preference are not exposed by the endpoints under test.
type knownUser struct {
	id, upn    string
	enabled    bool
	guest      bool
	admin      bool
	preference string
}

// testClient calls a server in-process as a given token.
type testClient struct {
	t     testing.TB
	srv   *Server
	token string
}

func (c testClient) call(method, path string, body []byte, headers ...string) (int, []byte) {
	c.t.Helper()
	req := httptest.NewRequest(method, InProcessRoot+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	c.srv.Handler().ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, b
}

func (c testClient) getJSON(path string, v any) {
	c.t.Helper()
	status, b := c.call("GET", path, nil)
	if status != 200 {
		c.t.Fatalf("GET %s: %d %s", path, status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
}

// listAll follows nextLinks from path and returns every item.
func (c testClient) listAll(path string) []map[string]any {
	c.t.Helper()
	var out []map[string]any
	for path != "" {
		var page struct {
			Value []map[string]any `json:"value"`
			Next  string           `json:"@odata.nextLink"`
		}
		c.getJSON(path, &page)
		out = append(out, page.Value...)
		path = strings.TrimPrefix(page.Next, InProcessRoot)
	}
	return out
}

// wireMethods fetches the method lists of users, 20 to a $batch.
func (c testClient) wireMethods(users []knownUser) map[string][]map[string]any {
	c.t.Helper()
	out := map[string][]map[string]any{}
	for start := 0; start < len(users); start += maxBatchRequests {
		var reqs []map[string]any
		for _, u := range users[start:min(start+maxBatchRequests, len(users))] {
			reqs = append(reqs, map[string]any{"id": u.id, "method": "GET", "url": "/users/" + u.id + "/authentication/methods"})
		}
		body, _ := json.Marshal(map[string]any{"requests": reqs})
		status, b := c.call("POST", "/beta/$batch", body) // beta lists hardware OATH too
		if status != 200 {
			c.t.Fatalf("batch: %d %s", status, b)
		}
		var res struct {
			Responses []struct {
				ID     string `json:"id"`
				Status int    `json:"status"`
				Body   struct {
					Value []map[string]any `json:"value"`
				} `json:"body"`
			} `json:"responses"`
		}
		if err := json.Unmarshal(b, &res); err != nil {
			c.t.Fatal(err)
		}
		for _, r := range res.Responses {
			if r.Status != 200 {
				c.t.Fatalf("methods of %s: %d", r.ID, r.Status)
			}
			out[r.ID] = r.Body.Value
		}
	}
	return out
}

// expected is the registration a user's wire methods imply.
type expected struct {
	methods                                          []string // sorted
	mfaRegistered, mfaCapable, passwordless          bool
	ssprRegistered, ssprEnabled, ssprCapable, hasPwd bool
	preferred, defaultMfa                            string
}

// policyState is which configurations are enabled.
type policyState map[string]bool

func allEnabled() policyState {
	p := policyState{}
	for _, ct := range configTypes {
		p[ct.id] = true
	}
	return p
}

// expectRegistration applies the report's rules to a wire method list.
func expectRegistration(t testing.TB, u knownUser, list []map[string]any, pol policyState) expected {
	t.Helper()
	set := map[string]bool{}
	var e expected
	for _, m := range list {
		switch m["@odata.type"] {
		case "#microsoft.graph.passwordAuthenticationMethod":
			e.hasPwd = true
		case "#microsoft.graph.phoneAuthenticationMethod":
			set[map[string]string{"mobile": "mobilePhone", "alternateMobile": "alternateMobilePhone", "office": "officePhone"}[m["phoneType"].(string)]] = true
		case "#microsoft.graph.emailAuthenticationMethod":
			set["email"] = true
		case "#microsoft.graph.fido2AuthenticationMethod":
			set["fido2"] = true
		case "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod":
			set["microsoftAuthenticatorPush"] = true
		case "#microsoft.graph.softwareOathAuthenticationMethod":
			set["softwareOneTimePasscode"] = true
		case "#microsoft.graph.hardwareOathAuthenticationMethod":
			if dev, _ := m["device"].(map[string]any); dev != nil && dev["status"] == "activated" {
				set["hardwareOneTimePasscode"] = true
			}
		case "#microsoft.graph.temporaryAccessPassAuthenticationMethod":
			if m["isUsable"] == true {
				set["temporaryAccessPass"] = true
			}
		case "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod":
			set["windowsHelloForBusiness"] = true
		case "#microsoft.graph.platformCredentialAuthenticationMethod":
			set["macOsSecureEnclaveKey"] = true
		default:
			t.Fatalf("%s: unexpected method %v", u.upn, m["@odata.type"])
		}
	}
	allowedBy := map[string][]string{
		"mobilePhone": {"Sms", "Voice"}, "alternateMobilePhone": {"Voice"}, "officePhone": {"Voice"},
		"fido2": {"Fido2"}, "microsoftAuthenticatorPush": {"MicrosoftAuthenticator"},
		"softwareOneTimePasscode": {"SoftwareOath"}, "hardwareOneTimePasscode": {"HardwareOath"},
		"windowsHelloForBusiness": nil, "macOsSecureEnclaveKey": nil,
	}
	allowed := func(v string) bool {
		ids := allowedBy[v]
		if ids == nil {
			return true
		}
		for _, id := range ids {
			if pol[id] {
				return true
			}
		}
		return false
	}
	sspr := 0
	for v := range set {
		e.methods = append(e.methods, v)
		if _, mfa := allowedBy[v]; mfa {
			e.mfaRegistered = true
			e.mfaCapable = e.mfaCapable || allowed(v)
		}
		if (v == "fido2" || v == "windowsHelloForBusiness" || v == "macOsSecureEnclaveKey") && allowed(v) {
			e.passwordless = true
		}
		if slices.Contains([]string{"mobilePhone", "officePhone", "email", "microsoftAuthenticatorPush", "softwareOneTimePasscode", "hardwareOneTimePasscode"}, v) {
			sspr++
		}
	}
	sort.Strings(e.methods)
	need := 1
	if u.admin {
		need = 2
	}
	e.ssprRegistered = sspr >= need
	e.ssprEnabled = !u.guest
	e.ssprCapable = e.ssprRegistered && e.ssprEnabled
	supports := map[string][]string{
		"push": {"microsoftAuthenticatorPush"}, "oath": {"softwareOneTimePasscode", "hardwareOneTimePasscode", "microsoftAuthenticatorPush"},
		"sms": {"mobilePhone"}, "voiceMobile": {"mobilePhone"}, "voiceAlternateMobile": {"alternateMobilePhone"}, "voiceOffice": {"officePhone"},
	}
	e.preferred = "none"
	for _, v := range supports[u.preference] {
		if set[v] {
			e.preferred = u.preference
		}
	}
	e.defaultMfa = map[string]string{"push": "microsoftAuthenticatorPush", "oath": "softwareOneTimePasscode", "sms": "mobilePhone",
		"voiceMobile": "mobilePhone", "voiceAlternateMobile": "alternateMobilePhone", "voiceOffice": "officePhone", "none": "none"}[e.preferred]
	return e
}

// checkAgreement compares the report with the method lists for users.
func checkAgreement(t *testing.T, c testClient, users []knownUser, pol policyState) {
	t.Helper()
	wire := c.wireMethods(users)
	report := map[string]map[string]any{}
	for _, d := range c.listAll("/beta/reports/authenticationMethods/userRegistrationDetails?$top=37") {
		id := d["id"].(string)
		if report[id] != nil {
			t.Errorf("%s listed twice", id)
		}
		report[id] = d
	}
	enabled := 0
	byMethod := map[string]float64{}
	var features [5]float64
	for _, u := range users {
		d := report[u.id]
		if !u.enabled {
			if d != nil {
				t.Errorf("%s is disabled but listed", u.upn)
			}
			if status, _ := c.call("GET", "/v1.0/reports/authenticationMethods/userRegistrationDetails/"+u.id, nil); status != 404 {
				t.Errorf("%s is disabled but its details are %d", u.upn, status)
			}
			continue
		}
		enabled++
		if d == nil {
			t.Errorf("%s is missing from the report", u.upn)
			continue
		}
		e := expectRegistration(t, u, wire[u.id], pol)
		var got []string
		for _, v := range d["methodsRegistered"].([]any) {
			got = append(got, v.(string))
		}
		gotSorted := slices.Clone(got)
		sort.Strings(gotSorted)
		if !slices.Equal(gotSorted, e.methods) {
			t.Errorf("%s: methodsRegistered %v, but the method list implies %v", u.upn, got, e.methods)
		}
		userType := "member"
		if u.guest {
			userType = "guest"
		}
		checks := []struct {
			prop string
			want any
		}{
			{"userPrincipalName", u.upn}, {"userType", userType}, {"isAdmin", u.admin},
			{"isMfaRegistered", e.mfaRegistered}, {"isMfaCapable", e.mfaCapable}, {"isPasswordlessCapable", e.passwordless},
			{"isSsprRegistered", e.ssprRegistered}, {"isSsprEnabled", e.ssprEnabled}, {"isSsprCapable", e.ssprCapable},
			{"userPreferredMethodForSecondaryAuthentication", strings.TrimSuffix(e.preferred, "none")}, {"defaultMfaMethod", e.defaultMfa},
		}
		for _, ck := range checks {
			if d[ck.prop] != ck.want {
				t.Errorf("%s: %s is %v, want %v (methods %v)", u.upn, ck.prop, d[ck.prop], ck.want, e.methods)
			}
		}
		if sp := d["systemPreferredAuthenticationMethods"].([]any); len(sp) > 1 || (len(sp) == 1 && !e.mfaCapable) {
			t.Errorf("%s: systemPreferredAuthenticationMethods %v", u.upn, sp)
		}
		var item map[string]any
		c.getJSON("/beta/reports/authenticationMethods/userRegistrationDetails/"+u.id, &item)
		delete(item, "@odata.context")
		if fmt.Sprint(item) != fmt.Sprint(d) {
			t.Errorf("%s: the item differs from the listing:\n%v\n%v", u.upn, item, d)
		}
		if e.hasPwd {
			byMethod["password"]++
		}
		for _, v := range e.methods {
			byMethod[v]++
		}
		for i, on := range []bool{e.ssprRegistered, e.ssprEnabled, e.ssprCapable, e.passwordless, e.mfaCapable} {
			if on {
				features[i]++
			}
		}
	}
	if len(report) != enabled {
		t.Errorf("the report lists %d users, want the %d enabled ones", len(report), enabled)
	}
	var sum struct {
		Counts []struct {
			Method string  `json:"authenticationMethod"`
			Count  float64 `json:"userCount"`
		} `json:"userRegistrationMethodCounts"`
	}
	c.getJSON("/v1.0/reports/authenticationMethods/usersRegisteredByMethod(includedUserTypes='all',includedUserRoles='all')", &sum)
	for _, cnt := range sum.Counts {
		if cnt.Count != byMethod[cnt.Method] {
			t.Errorf("usersRegisteredByMethod: %s %v, the method lists say %v", cnt.Method, cnt.Count, byMethod[cnt.Method])
		}
	}
	var feat struct {
		Total  float64 `json:"totalUserCount"`
		Counts []struct {
			Feature string  `json:"feature"`
			Count   float64 `json:"userCount"`
		} `json:"userRegistrationFeatureCounts"`
	}
	c.getJSON("/v1.0/reports/authenticationMethods/usersRegisteredByFeature(includedUserTypes='all',includedUserRoles='all')", &feat)
	if feat.Total != float64(enabled) {
		t.Errorf("usersRegisteredByFeature: total %v, want %d", feat.Total, enabled)
	}
	for i, cnt := range feat.Counts {
		if cnt.Feature != summaryFeatures[i] || cnt.Count != features[i] {
			t.Errorf("usersRegisteredByFeature: %s %v, the method lists say %s %v", cnt.Feature, cnt.Count, summaryFeatures[i], features[i])
		}
	}
}

func TestRegistrationAgreesWithMethodListsForDemoUsers(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	srv, err := NewServer(Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var users []knownUser
	for _, du := range demoUsers {
		upn := du.local + "@" + DemoDomain
		users = append(users, knownUser{id: stableID("demo-user", upn), upn: upn, enabled: du.local != "lynne.robbins",
			guest: du.userType == "Guest", admin: len(du.roles) > 0, preference: du.preferred})
	}
	c := testClient{t: t, srv: srv, token: DefaultAdminToken}
	checkAgreement(t, c, users, allEnabled())

	// The report follows policy changes and method changes at once.
	pol := allEnabled()
	for _, id := range []string{"Fido2", "MicrosoftAuthenticator", "Sms"} {
		if status, b := c.call("PATCH", "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/"+id, []byte(`{"@odata.type":"`+configODataType(id)+`","state":"disabled"}`)); status != 204 {
			t.Fatalf("disable %s: %d %s", id, status, b)
		}
		pol[id] = false
	}
	err = srv.store.Update(func(tx store.Tx) error {
		grady, err := getUser(tx, "grady.archie@"+DemoDomain)
		if err != nil {
			return err
		}
		ms, _ := userMethods(tx, grady.ID)
		for _, m := range ms {
			if m.Kind == methods.KindHardwareOath {
				tok, _, _ := getToken(tx, m.TokenID)
				tok.Status = methods.TokenFailedActivation
				if err := putToken(tx, tok); err != nil {
					return err
				}
			}
		}
		return deleteMethod(tx, stableID("demo-user", "adele.vance@"+DemoDomain), methods.MobilePhoneID)
	})
	if err != nil {
		t.Fatal(err)
	}
	checkAgreement(t, c, users, pol)
}

// synthTenant writes n generated users into st (demo tenant record, users,
// methods and tokens, through the same helpers the endpoints use) and
// returns what the test knows of them. Deterministic for a seed.
func synthTenant(t testing.TB, st store.Store, n int, seed uint64, now time.Time) []knownUser {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	roles := []string{RoleGlobalAdmin, RoleAuthAdmin, RoleUserAdmin, RoleReportsReader, RoleSecurityAdmin, "Exchange Administrator", RoleGlobalReader}
	prefs := []string{"", "push", "oath", "sms", "voiceMobile", "voiceAlternateMobile", "voiceOffice", "nonsense"}
	names := []string{"Avery", "blake", "Casey", "Drew", "emery", "Finley", "Harper", "Jordan", "kai", "Logan", "Morgan", "Quinn", "Riley", "Sage", "Taylor"}
	users := make([]knownUser, 0, n)
	err := st.Update(func(tx store.Tx) error {
		return store.PutJSON(tx, bucketMeta, metaTenant, tenantRecord{ID: DemoTenantID, Domain: DemoDomain, DisplayName: "synthetic", SeededAt: now, Seed: fmt.Sprint(seed)})
	})
	if err != nil {
		t.Fatal(err)
	}
	const chunk = 1000
	for start := 0; start < n; start += chunk {
		err := st.Update(func(tx store.Tx) error {
			for i := start; i < min(start+chunk, n); i++ {
				name := names[rng.IntN(len(names))] + " " + names[rng.IntN(len(names))]
				upn := fmt.Sprintf("user%06d@%s", i, DemoDomain)
				u := &userRecord{ID: stableID("synth-user", upn), UPN: upn, DisplayName: name, UserType: "Member",
					AccountEnabled: rng.IntN(10) != 0, Created: now.AddDate(0, 0, -rng.IntN(900)),
					PreferredMethod: prefs[rng.IntN(len(prefs))], SystemPreferredEnabled: rng.IntN(2) == 0}
				if rng.IntN(10) == 0 {
					u.UserType = "Guest"
				}
				if rng.IntN(7) == 0 {
					u.Roles = []string{roles[rng.IntN(len(roles))]}
				}
				if err := putUser(tx, u); err != nil {
					return err
				}
				users = append(users, knownUser{id: u.ID, upn: upn, enabled: u.AccountEnabled, guest: u.UserType == "Guest", admin: len(u.Roles) > 0, preference: u.PreferredMethod})
				add := func(m methods.Method) error {
					if m.ID == "" {
						m.ID = stableID("synth-method", fmt.Sprintf("%s/%d", upn, rng.Uint64()))
					}
					created := u.Created
					m.Created = &created
					return putMethod(tx, &methodRecord{Method: m, UserID: u.ID})
				}
				if rng.IntN(20) != 0 {
					if err := add(methods.Method{ID: methods.PasswordMethodID, Kind: methods.KindPassword}); err != nil {
						return err
					}
				}
				mobile := rng.IntN(2) == 0
				for _, pt := range methods.PhoneTypes {
					if (pt == methods.PhoneMobile && mobile) || (pt == methods.PhoneAlternateMobile && mobile && rng.IntN(4) == 0) || (pt == methods.PhoneOffice && rng.IntN(5) == 0) {
						if err := add(methods.Method{ID: methods.PhoneMethodID(pt), Kind: methods.KindPhone, PhoneType: pt, PhoneNumber: fmt.Sprintf("+1 425555%04d", i%10000)}); err != nil {
							return err
						}
					}
				}
				for kind, oneIn := range map[methods.Kind]int{methods.KindEmail: 5, methods.KindFido2: 6, methods.KindAuthenticator: 2, methods.KindSoftwareOath: 5, methods.KindWindowsHello: 10, methods.KindPlatformCredential: 20} {
					for range 1 + rng.IntN(2) {
						if rng.IntN(oneIn) != 0 {
							continue
						}
						m := methods.Method{Kind: kind, DisplayName: "device"}
						if kind == methods.KindEmail {
							m.ID, m.EmailAddress = methods.EmailMethodID, "backup@example.org"
						}
						if err := add(m); err != nil {
							return err
						}
					}
				}
				if rng.IntN(8) == 0 {
					start := now.Add(time.Duration(rng.IntN(600)-400) * time.Minute)
					once := rng.IntN(2) == 0
					m := methods.Method{Kind: methods.KindTemporaryAccess, StartDateTime: &start, LifetimeInMinutes: 60 + rng.IntN(240), IsUsableOnce: &once}
					if once && rng.IntN(3) == 0 {
						m.MethodUsabilityReason = "OneTimeUsed"
					}
					if err := add(m); err != nil {
						return err
					}
				}
				if rng.IntN(8) == 0 {
					status := []methods.HardwareTokenStatus{methods.TokenAssigned, methods.TokenActivated, methods.TokenFailedActivation}[rng.IntN(3)]
					tok := &tokenRecord{HardwareToken: methods.HardwareToken{ID: stableID("synth-token", upn), SerialNumber: fmt.Sprintf("SYN-%06d", i),
						Status: status, TimeIntervalInSeconds: 30, AssignedTo: &methods.Identity{ID: u.ID, DisplayName: u.DisplayName}}, Secret: "JBSWY3DPEHPK3PXP"}
					if err := putToken(tx, tok); err != nil {
						return err
					}
					created := u.Created
					if err := putMethod(tx, &methodRecord{Method: methods.Method{ID: stableID("synth-hw", upn), Kind: methods.KindHardwareOath, Created: &created}, UserID: u.ID, TokenID: tok.ID}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return users
}

func TestRegistrationAgreesWithMethodListsForSyntheticUsers(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	st := store.NewMemory()
	users := synthTenant(t, st, 400, 7, now)
	srv, err := NewServer(Options{Store: st, NoSeed: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	checkAgreement(t, testClient{t: t, srv: srv, token: DefaultAdminToken}, users, allEnabled())
}

func TestDeriveRegistrationCases(t *testing.T) {
	now := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	in := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	yes, no := true, false
	phone := func(pt methods.PhoneType) methodRecord {
		return methodRecord{Method: methods.Method{Kind: methods.KindPhone, PhoneType: pt, ID: methods.PhoneMethodID(pt)}}
	}
	kind := func(k methods.Kind) methodRecord { return methodRecord{Method: methods.Method{Kind: k}} }
	hw := func(s methods.HardwareTokenStatus) methodRecord {
		return methodRecord{Method: methods.Method{Kind: methods.KindHardwareOath, Token: &methods.HardwareToken{Status: s}}}
	}
	tap := func(start *time.Time, minutes int, once *bool, reason string) methodRecord {
		return methodRecord{Method: methods.Method{Kind: methods.KindTemporaryAccess, StartDateTime: start, LifetimeInMinutes: minutes, IsUsableOnce: once, MethodUsabilityReason: reason}}
	}
	disabled := func(ids ...string) *methodsPolicy {
		p := defaultPolicy()
		for _, id := range ids {
			c, _ := p.config(id)
			c.State = "disabled"
		}
		return p
	}
	tests := []struct {
		name     string
		user     userRecord
		ms       []methodRecord
		pol      *methodsPolicy
		methods  string
		flags    string // mfaReg mfaCap sspr passwordless as 0/1
		pref     string
		system   string
		beta     string
		userType string
	}{
		{"nothing", userRecord{PreferredMethod: "push"}, []methodRecord{kind(methods.KindPassword)}, nil, "", "0000", "none", "", "none", "member"},
		{"sms only", userRecord{PreferredMethod: "sms"}, []methodRecord{phone(methods.PhoneMobile)}, nil, "mobilePhone", "1110", "sms", "sms", "mobilePhone", "member"},
		{"voice when SMS is disabled", userRecord{PreferredMethod: "voiceMobile"}, []methodRecord{phone(methods.PhoneMobile)}, disabled("Sms"), "mobilePhone", "1110", "voiceMobile", "voiceMobile", "mobilePhone", "member"},
		{"phone with SMS and voice disabled", userRecord{}, []methodRecord{phone(methods.PhoneMobile)}, disabled("Sms", "Voice"), "mobilePhone", "1010", "none", "", "none", "member"},
		{"office phone", userRecord{PreferredMethod: "voiceOffice"}, []methodRecord{phone(methods.PhoneOffice)}, nil, "officePhone", "1110", "voiceOffice", "voiceOffice", "officePhone", "member"},
		{"admin needs two SSPR methods", userRecord{Roles: []string{RoleUserAdmin}}, []methodRecord{phone(methods.PhoneMobile)}, nil, "mobilePhone", "1100", "none", "sms", "none", "member"},
		{"admin with two", userRecord{Roles: []string{RoleUserAdmin}}, []methodRecord{phone(methods.PhoneMobile), kind(methods.KindEmail)}, nil, "mobilePhone email", "1110", "none", "sms", "none", "member"},
		{"email is not MFA", userRecord{}, []methodRecord{kind(methods.KindEmail)}, nil, "email", "0010", "none", "", "none", "member"},
		{"two authenticators count once", userRecord{PreferredMethod: "oath"}, []methodRecord{kind(methods.KindAuthenticator), kind(methods.KindAuthenticator)}, nil, "microsoftAuthenticatorPush", "1110", "oath", "push", "softwareOneTimePasscode", "member"},
		{"fido2 disabled by policy", userRecord{}, []methodRecord{kind(methods.KindFido2)}, disabled("Fido2"), "fido2", "1000", "none", "", "none", "member"},
		{"passwordless", userRecord{}, []methodRecord{kind(methods.KindWindowsHello), kind(methods.KindPlatformCredential)}, nil, "windowsHelloForBusiness macOsSecureEnclaveKey", "1101", "none", "", "none", "member"},
		{"activated token", userRecord{PreferredMethod: "oath"}, []methodRecord{hw(methods.TokenActivated)}, nil, "hardwareOneTimePasscode", "1110", "oath", "oath", "softwareOneTimePasscode", "member"},
		{"assigned token", userRecord{PreferredMethod: "oath"}, []methodRecord{hw(methods.TokenAssigned)}, nil, "", "0000", "none", "", "none", "member"},
		{"failed token", userRecord{}, []methodRecord{hw(methods.TokenFailedActivation)}, nil, "", "0000", "none", "", "none", "member"},
		{"usable TAP", userRecord{}, []methodRecord{tap(in(-time.Minute), 60, &yes, "")}, nil, "temporaryAccessPass", "0000", "none", "", "none", "member"},
		{"TAP disabled by policy", userRecord{}, []methodRecord{tap(in(-time.Minute), 60, &yes, "")}, disabled("TemporaryAccessPass"), "temporaryAccessPass", "0000", "none", "", "none", "member"},
		{"expired TAP", userRecord{}, []methodRecord{tap(in(-2*time.Hour), 60, &no, "")}, nil, "", "0000", "none", "", "none", "member"},
		{"future TAP", userRecord{}, []methodRecord{tap(in(time.Hour), 60, &no, "")}, nil, "", "0000", "none", "", "none", "member"},
		{"used TAP", userRecord{}, []methodRecord{tap(in(-time.Minute), 60, &yes, "OneTimeUsed")}, nil, "", "0000", "none", "", "none", "member"},
		{"guest", userRecord{UserType: "Guest", PreferredMethod: "push"}, []methodRecord{kind(methods.KindAuthenticator)}, nil, "microsoftAuthenticatorPush", "1110", "push", "push", "microsoftAuthenticatorPush", "guest"},
		{"stale preference", userRecord{PreferredMethod: "voiceAlternateMobile"}, []methodRecord{phone(methods.PhoneMobile)}, nil, "mobilePhone", "1110", "none", "sms", "none", "member"},
		{"unknown preference", userRecord{PreferredMethod: "carrier-pigeon"}, []methodRecord{kind(methods.KindSoftwareOath)}, nil, "softwareOneTimePasscode", "1110", "none", "oath", "none", "member"},
		{"order", userRecord{}, []methodRecord{kind(methods.KindWindowsHello), kind(methods.KindEmail), phone(methods.PhoneOffice), kind(methods.KindFido2), phone(methods.PhoneMobile)}, nil, "mobilePhone officePhone email fido2 windowsHelloForBusiness", "1111", "none", "sms", "none", "member"},
	}
	for _, tt := range tests {
		pol := tt.pol
		if pol == nil {
			pol = defaultPolicy()
		}
		d := deriveRegistration(&tt.user, tt.ms, pol, now)
		bit := func(b bool) string {
			if b {
				return "1"
			}
			return "0"
		}
		flags := bit(d.IsMfaRegistered) + bit(d.IsMfaCapable) + bit(d.IsSsprRegistered) + bit(d.IsPasswordlessCapable)
		got := fmt.Sprintf("%s|%s|%s|%s|%s|%s", strings.Join(d.MethodsRegistered, " "), flags, d.UserPreferred, strings.Join(d.SystemPreferred, " "), d.DefaultMfaMethod, d.UserType)
		want := fmt.Sprintf("%s|%s|%s|%s|%s|%s", tt.methods, tt.flags, tt.pref, tt.system, tt.beta, tt.userType)
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, want)
		}
		if d.SystemPreferred == nil || d.MethodsRegistered == nil || d.UserPreferred == "" || d.DefaultMfaMethod == "" {
			t.Errorf("%s: a list is null or a string empty", tt.name)
		}
	}
}

func TestTAPPolicyHelper(t *testing.T) {
	srv, err := NewServer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	read := func() tapConfig {
		var c tapConfig
		if err := srv.store.View(func(tx store.Tx) error {
			var err error
			c, err = tapPolicy(tx)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got := read(); got != (tapConfig{Enabled: true, DefaultLifetime: 60, MinLifetime: 60, MaxLifetime: 480, DefaultLength: 8}) {
		t.Errorf("defaults: %+v", got)
	}
	c := testClient{t: t, srv: srv, token: DefaultAdminToken}
	status, b := c.call("PATCH", "/beta/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/temporaryaccesspass",
		[]byte(`{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","state":"disabled","minimumLifetimeInMinutes":10,"defaultLifetimeInMinutes":30,"maximumLifetimeInMinutes":10080,"defaultLength":16,"isUsableOnce":true}`))
	if status != 204 {
		t.Fatalf("PATCH: %d %s", status, b)
	}
	if got := read(); got != (tapConfig{Enabled: false, DefaultLifetime: 30, MinLifetime: 10, MaxLifetime: 10080, DefaultLength: 16, UsableOnce: true}) {
		t.Errorf("after PATCH: %+v", got)
	}
	var policy map[string]any
	c.getJSON("/v1.0/policies/authenticationMethodsPolicy", &policy)
	if policy["lastModifiedDateTime"] == nil || policy["id"] != "authenticationMethodsPolicy" {
		t.Errorf("policy: %v", policy)
	}
}

func TestDisplayNameIndexIsRebuiltAndKeptInStep(t *testing.T) {
	st := store.NewMemory()
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	synthTenant(t, st, 50, 3, now)
	// A state written before the index existed.
	if err := st.Update(func(tx store.Tx) error { return tx.DropBucket(bucketDisplayName) }); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(Options{Store: st, NoSeed: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rename := func(upn, name string) {
		changeUser(t, st, upn, func(u *userRecord) { u.DisplayName = name })
	}
	rename("user000007@"+DemoDomain, "Aaron First")
	rename("user000008@"+DemoDomain, "zz Last")
	c := testClient{t: t, srv: srv, token: DefaultAdminToken}
	names := func(order string) []string {
		var out []string
		for _, u := range c.listAll("/v1.0/users?$select=displayName,userPrincipalName&$top=7&$orderby=" + order) {
			out = append(out, strings.ToLower(u["displayName"].(string)))
		}
		return out
	}
	asc, desc := names("displayName"), names("displayName%20desc")
	if len(asc) != 50 || !slices.IsSorted(asc) || asc[0] != "aaron first" {
		t.Errorf("ascending: %d names, first %q, sorted %v", len(asc), asc[0], slices.IsSorted(asc))
	}
	slices.Reverse(desc)
	if !slices.Equal(asc, desc) || desc[len(desc)-1] != "zz last" {
		t.Errorf("descending is not the reverse of ascending")
	}
	if err := st.View(func(tx store.Tx) error {
		if n, m := tx.Count(bucketDisplayName), tx.Count(bucketUsers); n != m {
			t.Errorf("index has %d entries for %d users", n, m)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// FuzzFunctionCall: parsing an OData function segment never panics, and a
// parsed call rendered back (values quoted, quotes doubled) parses to the
// same name and parameters.
func FuzzFunctionCall(f *testing.F) {
	for _, s := range []string{
		"usersRegisteredByMethod(includedUserTypes='all',includedUserRoles='all')",
		"usersRegisteredByFeature()", "usersRegisteredByFeature", "f(a='it''s', b = 'x')", "f(a='", "f(a=b)", "f(,)", "f(a='x',)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seg string) {
		name, args, err := parseFunctionCall(seg)
		if err != nil {
			var ge *graphError
			if !errors.As(err, &ge) || ge.status != 400 {
				t.Fatalf("parseFunctionCall(%q): %v, want a 400", seg, err)
			}
			return
		}
		keys := make([]string, 0, len(args))
		for k := range args {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "='" + strings.ReplaceAll(args[k], "'", "''") + "'"
		}
		again := name + "(" + strings.Join(parts, ",") + ")"
		name2, args2, err := parseFunctionCall(again)
		if strings.ContainsAny(name, "(") || strings.ContainsAny(strings.Join(keys, ""), "=,'() ") {
			return // a name or key the rendering cannot carry unambiguously
		}
		if err != nil || name2 != name || fmt.Sprint(args2) != fmt.Sprint(args) {
			t.Fatalf("%q parsed as %q %v, rendered %q, reparsed as %q %v (%v)", seg, name, args, again, name2, args2, err)
		}
	})
}
