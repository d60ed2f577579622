package mock

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

const (
	inventory = "/beta/directory/authenticationMethodDevices/hardwareOathDevices"
	betaUsers = "/beta/users/"
	// hwNow is the fixed clock of these tests.
	hwSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // HWT-1002's demo secret
)

var hwNow = time.Date(2025, 6, 1, 9, 0, 10, 0, time.UTC)

func hwMethods(upn string) string { return betaUsers + upn + "/authentication/hardwareOathMethods" }

// demoCode is the code a demo token shows at a moment.
func demoCode(t *testing.T, serial string, at time.Time) string {
	t.Helper()
	for _, dt := range demoTokens {
		if dt.serial == serial {
			alg, _ := methods.ParseOATHAlgorithm(dt.hash)
			k := methods.OATHKey{Type: methods.OATHTOTP, Secret: methods.OATHSecret(dt.secret), Algorithm: alg, Digits: 6, Period: dt.interval}
			c, err := k.Code(at)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
	t.Fatalf("no demo token %s", serial)
	return ""
}

// wrongCode is a 6-digit code that is not the token's in the window.
func wrongCode(t *testing.T, serial string, at time.Time) string {
	t.Helper()
	interval := 30 * time.Second
	valid := map[string]bool{}
	for _, d := range []time.Duration{-interval, 0, interval} {
		valid[demoCode(t, serial, at.Add(d))] = true
	}
	for i := 0; ; i++ {
		c := fmt.Sprintf("%06d", i)
		if !valid[c] {
			return c
		}
	}
}

func demoTokenID(serial string) string { return stableID("demo-token", serial) }

func tokenStatus(t *testing.T, srv *Server, serial string) (methods.HardwareTokenStatus, *methods.Identity) {
	t.Helper()
	var tok *tokenRecord
	err := srv.Store().View(func(tx store.Tx) error {
		var found bool
		var err error
		tok, found, err = getTokenBySerial(tx, serial)
		if err == nil && !found {
			err = fmt.Errorf("no token %s", serial)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Status, tok.AssignedTo
}

// The secret is write-only: no answer ever carries it.
func assertNoSecret(t *testing.T, r rawResult, secrets ...string) {
	t.Helper()
	b := fmt.Sprint(r.body)
	for _, s := range secrets {
		if strings.Contains(strings.ToUpper(b), s) {
			t.Fatalf("response carries the secret: %s", b)
		}
	}
}

func TestInventoryListFilterAndGet(t *testing.T) {
	srv := newRawServer(t, hwNow)
	r := rawCall(t, srv, DefaultAdminToken, "GET", inventory, "")
	if r.status != 200 || len(r.body["value"].([]any)) != len(demoTokens) {
		t.Fatalf("%d %v", r.status, r.body)
	}
	for _, v := range r.body["value"].([]any) {
		tok := v.(map[string]any)
		if tok["secretKey"] != nil || tok["@odata.type"] != tokenODataType || tok["status"] == "" {
			t.Fatalf("%v", tok)
		}
	}
	for _, tt := range []struct {
		filter string
		want   []string
	}{
		{"status eq 'available'", []string{"HWT-1002", "HWT-1003"}},
		{"serialNumber eq 'hwt-1004'", []string{"HWT-1004"}},
		{"status eq 'activated' and serialNumber eq 'HWT-1001'", []string{"HWT-1001"}},
		{"serialNumber eq 'HWT-1001' and status eq 'assigned'", nil},
		{"serialNumber eq 'NOPE'", nil},
	} {
		r := rawCall(t, srv, GlobalReaderToken, "GET", inventory+"?$filter="+strings.ReplaceAll(tt.filter, " ", "%20"), "")
		var got []string
		for _, v := range r.body["value"].([]any) {
			got = append(got, v.(map[string]any)["serialNumber"].(string))
		}
		if strings.Join(sorted(got), ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: %v, want %v", tt.filter, got, tt.want)
		}
	}
	for _, bad := range []string{"status eq 'lost'", "model eq 'x'", "status ne 'available'", "startswith(serialNumber,'H')"} {
		r := rawCall(t, srv, DefaultAdminToken, "GET", inventory+"?$filter="+strings.ReplaceAll(bad, " ", "%20"), "")
		if r.status != 400 || r.code() != codeUnsupportedQuery {
			t.Errorf("%s: %d %s", bad, r.status, r.code())
		}
	}
	// Paging: two per page, absolute nextLinks, every token once.
	seen := map[string]bool{}
	next := inventory + "?$top=2"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		r := rawCall(t, srv, DefaultAdminToken, "GET", next, "")
		for _, v := range r.body["value"].([]any) {
			seen[v.(map[string]any)["serialNumber"].(string)] = true
		}
		next = ""
		if l, ok := r.body["@odata.nextLink"].(string); ok {
			if !strings.HasPrefix(l, "http://localhost/beta/") {
				t.Fatalf("nextLink %s", l)
			}
			next = strings.TrimPrefix(l, "http://localhost")
		}
	}
	if len(seen) != len(demoTokens) {
		t.Fatalf("paging saw %v", seen)
	}
	r = rawCall(t, srv, DefaultAdminToken, "GET", inventory+"/"+demoTokenID("HWT-1001"), "")
	if r.status != 200 || r.body["serialNumber"] != "HWT-1001" || r.body["assignedTo"].(map[string]any)["displayName"] != "Grady Archie" {
		t.Fatalf("%d %v", r.status, r.body)
	}
	assertNoSecret(t, r, "JBSWY3DPEHPK3PXP")
	if r := rawCall(t, srv, DefaultAdminToken, "GET", inventory+"/nope", ""); r.status != 404 || r.code() != codeNotFound {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if r := rawCall(t, srv, DefaultAdminToken, "GET", "/v1.0/directory/authenticationMethodDevices/hardwareOathDevices", ""); r.status != 400 {
		t.Fatalf("the inventory is beta only: %d", r.status)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestCreateTokenAssignsAndNeverReturnsTheSecret(t *testing.T) {
	srv := newRawServer(t, hwNow)
	secret := "MZXW6YTBOIZDEMRSMZXW6YTBOIZDEMRS"
	r := rawCall(t, srv, DefaultAdminToken, "POST", inventory, `{"displayName":"Alex's token","serialNumber":"NEW-1","manufacturer":"Contoso","model":"OTP-C200","secretKey":"mzxw 6ytb oizd emrs mzxw6ytboizdemrs","timeIntervalInSeconds":30,"hashFunction":"hmacsha256","assignTo":{"id":"alex.wilber@contoso.example"}}`)
	if r.status != 201 || r.body["status"] != "assigned" || r.body["secretKey"] != nil || r.body["hashFunction"] != "hmacsha256" {
		t.Fatalf("%d %v", r.status, r.body)
	}
	assertNoSecret(t, r, secret)
	id := r.body["id"].(string)
	if r.body["assignedTo"].(map[string]any)["displayName"] != "Alex Wilber" {
		t.Fatalf("%v", r.body)
	}
	// The user has the method, with the token's id, and its device.
	r = rawCall(t, srv, DefaultAdminToken, "GET", hwMethods("alex.wilber@contoso.example"), "")
	vals := r.body["value"].([]any)
	if len(vals) != 1 || vals[0].(map[string]any)["id"] != id || vals[0].(map[string]any)["device"].(map[string]any)["serialNumber"] != "NEW-1" {
		t.Fatalf("%v", r.body)
	}
	assertNoSecret(t, r, secret)
	// The stored secret is normalised: codes computed from it activate.
	k := methods.OATHKey{Type: methods.OATHTOTP, Secret: methods.OATHSecret(secret), Algorithm: methods.OATHSHA256, Digits: 6, Period: 30}
	code, _ := k.Code(hwNow)
	r = rawCall(t, srv, DefaultAdminToken, "POST", hwMethods("alex.wilber@contoso.example")+"/"+id+"/activate", `{"verificationCode":"`+code+`"}`)
	if r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if st, _ := tokenStatus(t, srv, "NEW-1"); st != methods.TokenActivated {
		t.Fatalf("status %s", st)
	}
	// Unassigned create: available.
	r = rawCall(t, srv, DefaultAdminToken, "POST", inventory, `{"serialNumber":"NEW-2","manufacturer":"Contoso","model":"OTP-C200","secretKey":"`+hwSecret+`","timeIntervalInSeconds":60}`)
	if r.status != 201 || r.body["status"] != "available" || r.body["assignedTo"] != nil || r.body["hashFunction"] != "hmacsha1" {
		t.Fatalf("%d %v", r.status, r.body)
	}
}

// Each hardware rule, broken once, answers with its status and code and
// changes nothing.
func TestHardwareRuleErrors(t *testing.T) {
	create := func(fields string) string {
		return `{"serialNumber":"NEW-9","manufacturer":"Contoso","model":"OTP-C200","secretKey":"` + hwSecret + `","timeIntervalInSeconds":30` + fields + `}`
	}
	grady, lee, nestor := "grady.archie@contoso.example", "lee.gu@contoso.example", "nestor.wilke@contoso.example"
	guest := "isaiah.langer_fabrikam.example%23EXT%23@contoso.example"
	code1002 := demoCode(t, "HWT-1002", hwNow)
	tests := []struct {
		name, token, method, path, body string
		status                          int
		code                            string
	}{
		{"bad secret alphabet", DefaultAdminToken, "POST", inventory, strings.Replace(create(""), hwSecret, "GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ", 1), 400, string(entra.CodeInvalidSecretKey)},
		{"truncated secret", DefaultAdminToken, "POST", inventory, strings.Replace(create(""), hwSecret, "GEZDGNBVG", 1), 400, string(entra.CodeInvalidSecretKey)},
		{"secret too long", DefaultAdminToken, "POST", inventory, strings.Replace(create(""), hwSecret, strings.Repeat("A", 136), 1), 400, string(entra.CodeInvalidSecretKey)},
		{"interval 45", DefaultAdminToken, "POST", inventory, strings.Replace(create(""), `:30`, `:45`, 1), 400, codeInvalidValue},
		{"hash md5", DefaultAdminToken, "POST", inventory, create(`,"hashFunction":"md5"`), 400, codeInvalidValue},
		{"missing model", DefaultAdminToken, "POST", inventory, strings.Replace(create(""), `"model":"OTP-C200",`, "", 1), 400, codeBadBody},
		{"status is read-only", DefaultAdminToken, "POST", inventory, create(`,"status":"activated"`), 400, codeBadBody},
		{"unknown property", DefaultAdminToken, "POST", inventory, create(`,"counter":3`), 400, codeBadBody},
		{"duplicate serial", DefaultAdminToken, "POST", inventory, strings.Replace(create(""), "NEW-9", "hwt-1002", 1), 409, string(entra.CodeSerialNumberExists)},
		{"create for a guest", DefaultAdminToken, "POST", inventory, create(`,"assignTo":{"id":"` + strings.ReplaceAll(guest, "%23", "#") + `"}`), 400, string(entra.CodeTokenGuestNotAllowed)},
		{"create for nobody", DefaultAdminToken, "POST", inventory, create(`,"assignTo":{"id":"nobody@contoso.example"}`), 404, codeNotFound},
		{"auth admin creates", AuthAdminToken, "POST", inventory, create(""), 403, string(entra.CodeAuthorizationDenied)},
		{"auth admin lists", AuthAdminToken, "GET", inventory, "", 403, string(entra.CodeAuthorizationDenied)},
		{"reader deletes", GlobalReaderToken, "DELETE", inventory + "/" + demoTokenID("HWT-1002"), "", 403, string(entra.CodeAuthorizationDenied)},
		{"update assigned", DefaultAdminToken, "PATCH", inventory + "/" + demoTokenID("HWT-1004"), `{"model":"X"}`, 400, string(entra.CodeTokenAssigned)},
		{"update secret", DefaultAdminToken, "PATCH", inventory + "/" + demoTokenID("HWT-1002"), `{"secretKey":"` + hwSecret + `"}`, 400, string(entra.CodeSecretKeyImmutable)},
		{"delete assigned", DefaultAdminToken, "DELETE", inventory + "/" + demoTokenID("HWT-1001"), "", 400, string(entra.CodeTokenAssigned)},
		{"assign assigned", DefaultAdminToken, "POST", hwMethods("alex.wilber@contoso.example"), `{"device":{"id":"` + demoTokenID("HWT-1004") + `"}}`, 400, string(entra.CodeTokenAlreadyAssigned)},
		{"assign to a guest", DefaultAdminToken, "POST", hwMethods(guest), `{"device":{"id":"` + demoTokenID("HWT-1002") + `"}}`, 400, string(entra.CodeTokenGuestNotAllowed)},
		{"ref assign assigned", DefaultAdminToken, "PUT", inventory + "/" + demoTokenID("HWT-1005") + "/assignTo/$ref", `{"@odata.id":"https://graph.microsoft.com/beta/users/alex.wilber@contoso.example"}`, 400, string(entra.CodeTokenAlreadyAssigned)},
		{"activate activated", DefaultAdminToken, "POST", hwMethods(grady) + "/" + demoTokenID("HWT-1001") + "/activate", `{"verificationCode":"` + demoCode(t, "HWT-1001", hwNow) + `"}`, 400, string(entra.CodeTokenStatus)},
		{"activate unassigned by serial for a guest", DefaultAdminToken, "POST", hwMethods(guest) + "/assignAndActivateBySerialNumber", `{"verificationCode":"` + code1002 + `","serialNumber":"HWT-1002"}`, 400, string(entra.CodeTokenGuestNotAllowed)},
		{"activate someone else's", DefaultAdminToken, "POST", hwMethods(nestor) + "/assignAndActivateBySerialNumber", `{"verificationCode":"` + demoCode(t, "HWT-1004", hwNow) + `","serialNumber":"HWT-1004"}`, 400, string(entra.CodeTokenAlreadyAssigned)},
		{"malformed code", DefaultAdminToken, "POST", hwMethods(lee) + "/" + demoTokenID("HWT-1004") + "/activate", `{"verificationCode":"12a456"}`, 400, codeInvalidValue},
		{"no code", DefaultAdminToken, "POST", hwMethods(lee) + "/" + demoTokenID("HWT-1004") + "/activate", `{}`, 400, codeBadBody},
		{"deactivate unknown", DefaultAdminToken, "POST", hwMethods(lee) + "/nope/deactivate", "", 404, codeNotFound},
		{"unassign the default", DefaultAdminToken, "DELETE", hwMethods(grady) + "/" + demoTokenID("HWT-1001"), "", 400, string(entra.CodeDefaultMethodInUse)},
		{"auth admin activates for an admin", AuthAdminToken, "POST", hwMethods(lee) + "/" + demoTokenID("HWT-1004") + "/activate", `{"verificationCode":"` + demoCode(t, "HWT-1004", hwNow) + `"}`, 403, string(entra.CodeAuthorizationDenied)},
		{"reader assigns", GlobalReaderToken, "POST", hwMethods("alex.wilber@contoso.example"), `{"device":{"id":"` + demoTokenID("HWT-1002") + `"}}`, 403, string(entra.CodeAuthorizationDenied)},
		{"hardware methods are beta", DefaultAdminToken, "POST", "/v1.0/users/alex.wilber@contoso.example/authentication/hardwareOathMethods", `{"device":{"id":"x"}}`, 405, codeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newRawServer(t, hwNow)
			before := snapshot(t, srv)
			got := rawCall(t, srv, tt.token, tt.method, tt.path, tt.body)
			if got.status != tt.status || got.code() != tt.code {
				t.Fatalf("%d %s, want %d %s: %v", got.status, got.code(), tt.status, tt.code, got.body)
			}
			assertNoSecret(t, got, hwSecret, "GEZDGNBVGY3TQOJ1")
			if after := snapshot(t, srv); !bytes.Equal(before, after) {
				t.Errorf("a refused request changed the state")
			}
		})
	}
}

func TestFiveOathMethodsPerUser(t *testing.T) {
	srv := newRawServer(t, hwNow)
	// Adele has Authenticator and a software OATH app: three tokens more
	// make five; the sixth is refused, on both assignment paths.
	for i := 0; i < 4; i++ {
		body := fmt.Sprintf(`{"serialNumber":"LIM-%d","manufacturer":"Contoso","model":"OTP-C200","secretKey":"%s","timeIntervalInSeconds":30}`, i, strings.Replace(hwSecret, "GEZ", fmt.Sprintf("GE%c", 'A'+i), 1))
		if r := rawCall(t, srv, DefaultAdminToken, "POST", inventory, body); r.status != 201 {
			t.Fatalf("%d %v", r.status, r.body)
		}
	}
	for i := 0; i < 3; i++ {
		r := rawCall(t, srv, DefaultAdminToken, "PUT", inventory+"/"+tokenIDOf(t, srv, fmt.Sprintf("LIM-%d", i))+"/assignTo/$ref", `{"@odata.id":"https://graph.microsoft.com/beta/users/adele.vance@contoso.example"}`)
		if r.status != 204 {
			t.Fatalf("%d %v", r.status, r.body)
		}
	}
	r := rawCall(t, srv, DefaultAdminToken, "POST", hwMethods("adele.vance@contoso.example"), `{"device":{"id":"`+tokenIDOf(t, srv, "LIM-3")+`"}}`)
	if r.status != 400 || r.code() != string(entra.CodeMethodLimit) {
		t.Fatalf("%d %v", r.status, r.body)
	}
	r = rawCall(t, srv, DefaultAdminToken, "POST", inventory, `{"serialNumber":"LIM-9","manufacturer":"Contoso","model":"OTP-C200","secretKey":"`+hwSecret+`","timeIntervalInSeconds":30,"assignTo":{"id":"adele.vance@contoso.example"}}`)
	if r.status != 400 || r.code() != string(entra.CodeMethodLimit) {
		t.Fatalf("%d %v", r.status, r.body)
	}
}

func tokenIDOf(t *testing.T, srv *Server, serial string) string {
	t.Helper()
	var id string
	err := srv.Store().View(func(tx store.Tx) error {
		tok, found, err := getTokenBySerial(tx, serial)
		if found {
			id = tok.ID
		}
		return err
	})
	if err != nil || id == "" {
		t.Fatalf("no token %s: %v", serial, err)
	}
	return id
}

// The lifecycle: assign, a wrong code (failedActivation, committed), the
// right code, replay refused after deactivation, unassign, delete.
func TestTokenLifecycle(t *testing.T) {
	now := hwNow
	srv, err := NewServer(Options{Store: store.NewMemory(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	alex := hwMethods("alex.wilber@contoso.example")
	id := demoTokenID("HWT-1002")
	r := rawCall(t, srv, AuthAdminToken, "POST", alex, `{"device":{"id":"`+id+`"}}`)
	if r.status != 201 || r.body["id"] != id || r.body["@odata.type"] != "#microsoft.graph.hardwareOathAuthenticationMethod" || r.body["createdDateTime"] != "2025-06-01T09:00:10Z" {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if st, who := tokenStatus(t, srv, "HWT-1002"); st != methods.TokenAssigned || who.DisplayName != "Alex Wilber" {
		t.Fatalf("%s %v", st, who)
	}
	r = rawCall(t, srv, AuthAdminToken, "POST", alex+"/"+id+"/activate", `{"verificationCode":"`+wrongCode(t, "HWT-1002", now)+`"}`)
	if r.status != 400 || r.code() != string(entra.CodeInvalidVerification) {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if st, _ := tokenStatus(t, srv, "HWT-1002"); st != methods.TokenFailedActivation {
		t.Fatalf("a wrong code leaves %s", st)
	}
	code := demoCode(t, "HWT-1002", now)
	r = rawCall(t, srv, AuthAdminToken, "POST", alex+"/"+id+"/activate", `{"verificationCode":"`+code[:3]+" "+code[3:]+`","displayName":"Alex's fob"}`)
	if r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	r = rawCall(t, srv, DefaultAdminToken, "GET", inventory+"/"+id, "")
	if r.body["status"] != "activated" || r.body["displayName"] != "Alex's fob" || r.body["lastUsedDateTime"] != "2025-06-01T09:00:10Z" {
		t.Fatalf("%v", r.body)
	}
	if r := rawCall(t, srv, AuthAdminToken, "GET", alex+"/"+id, ""); r.body["displayName"] != "Alex's fob" || r.body["device"].(map[string]any)["status"] != "activated" {
		t.Fatalf("%v", r.body)
	}
	// Deactivate: still assigned. The used code is refused (replay).
	if r := rawCall(t, srv, AuthAdminToken, "POST", alex+"/"+id+"/deactivate", ""); r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if st, who := tokenStatus(t, srv, "HWT-1002"); st != methods.TokenAssigned || who == nil {
		t.Fatalf("%s %v", st, who)
	}
	r = rawCall(t, srv, AuthAdminToken, "POST", alex+"/"+id+"/activate", `{"verificationCode":"`+code+`"}`)
	if r.status != 400 || r.code() != string(entra.CodeInvalidVerification) || !strings.Contains(r.body["error"].(map[string]any)["message"].(string), "already used") {
		t.Fatalf("replay: %d %v", r.status, r.body)
	}
	now = now.Add(30 * time.Second)
	if r := rawCall(t, srv, AuthAdminToken, "POST", alex+"/"+id+"/activate", `{"verificationCode":"`+demoCode(t, "HWT-1002", now)+`"}`); r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	// Unassign returns the token to available; then it can be deleted.
	if r := rawCall(t, srv, AuthAdminToken, "DELETE", alex+"/"+id, ""); r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if st, who := tokenStatus(t, srv, "HWT-1002"); st != methods.TokenAvailable || who != nil {
		t.Fatalf("%s %v", st, who)
	}
	if r := rawCall(t, srv, AuthAdminToken, "GET", alex, ""); len(r.body["value"].([]any)) != 0 {
		t.Fatalf("%v", r.body)
	}
	if r := rawCall(t, srv, DefaultAdminToken, "PATCH", inventory+"/"+id, `{"displayName":"spare","timeIntervalInSeconds":60}`); r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if r := rawCall(t, srv, DefaultAdminToken, "DELETE", inventory+"/"+id, ""); r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if r := rawCall(t, srv, DefaultAdminToken, "GET", inventory+"?$filter=serialNumber%20eq%20'HWT-1002'", ""); len(r.body["value"].([]any)) != 0 {
		t.Fatalf("deleted token still listed: %v", r.body)
	}
	// The serial is free again.
	if r := rawCall(t, srv, DefaultAdminToken, "POST", inventory, `{"serialNumber":"HWT-1002","manufacturer":"Contoso","model":"OTP-C200","secretKey":"`+hwSecret+`","timeIntervalInSeconds":30}`); r.status != 201 {
		t.Fatalf("%d %v", r.status, r.body)
	}
}

// assignAndActivate(BySerialNumber): a wrong code leaves the token assigned
// and failedActivation, and the same call with the right code then works.
func TestAssignAndActivate(t *testing.T) {
	srv := newRawServer(t, hwNow)
	alex := hwMethods("alex.wilber@contoso.example")
	r := rawCall(t, srv, AuthAdminToken, "POST", alex+"/assignAndActivateBySerialNumber", `{"verificationCode":"`+wrongCode(t, "HWT-1003", hwNow)+`","serialNumber":"hwt-1003","displayName":"Alex"}`)
	if r.status != 400 || r.code() != string(entra.CodeInvalidVerification) {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if st, who := tokenStatus(t, srv, "HWT-1003"); st != methods.TokenFailedActivation || who == nil || who.DisplayName != "Alex Wilber" {
		t.Fatalf("%s %v", st, who)
	}
	r = rawCall(t, srv, AuthAdminToken, "POST", alex+"/assignAndActivateBySerialNumber", `{"verificationCode":"`+demoCode(t, "HWT-1003", hwNow)+`","serialNumber":"HWT-1003"}`)
	if r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if st, _ := tokenStatus(t, srv, "HWT-1003"); st != methods.TokenActivated {
		t.Fatalf("%s", st)
	}
	r = rawCall(t, srv, AuthAdminToken, "POST", alex+"/assignAndActivate", `{"verificationCode":"`+demoCode(t, "HWT-1002", hwNow)+`","device":{"id":"`+demoTokenID("HWT-1002")+`"}}`)
	if r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	if r := rawCall(t, srv, AuthAdminToken, "GET", alex, ""); len(r.body["value"].([]any)) != 2 {
		t.Fatalf("%v", r.body)
	}
	if r := rawCall(t, srv, AuthAdminToken, "POST", alex+"/assignAndActivateBySerialNumber", `{"verificationCode":"123456","serialNumber":"NOPE"}`); r.status != 404 {
		t.Fatalf("%d %v", r.status, r.body)
	}
}

// The tenant's 200 activations per 5 minutes: the 201st attempt in the
// window is refused with Retry-After, and nothing changes.
func TestActivationRateLimit(t *testing.T) {
	srv := newRawServer(t, hwNow)
	err := srv.Store().Update(func(tx store.Tx) error {
		var log activationLog
		for i := 0; i < activationLimit; i++ {
			log.Times = append(log.Times, hwNow.Add(-4*time.Minute).Add(time.Duration(i)*time.Millisecond))
		}
		return store.PutJSON(tx, bucketMeta, metaActivations, &log)
	})
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, srv)
	lee := hwMethods("lee.gu@contoso.example")
	r := rawCall(t, srv, DefaultAdminToken, "POST", lee+"/"+demoTokenID("HWT-1004")+"/activate", `{"verificationCode":"`+demoCode(t, "HWT-1004", hwNow)+`"}`)
	if r.status != 429 || r.code() != string(entra.CodeActivationRateLimited) || r.header.Get("Retry-After") != "60" {
		t.Fatalf("%d %v %v", r.status, r.header, r.body)
	}
	if !bytes.Equal(before, snapshot(t, srv)) {
		t.Fatal("a refused activation changed the state")
	}
	// A minute later the oldest attempts have left the window.
	later := hwNow.Add(61 * time.Second)
	srv.opts.Now = func() time.Time { return later }
	r = rawCall(t, srv, DefaultAdminToken, "POST", lee+"/"+demoTokenID("HWT-1004")+"/activate", `{"verificationCode":"`+demoCode(t, "HWT-1004", later)+`"}`)
	if r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
}

// A token whose clock runs ahead is refused until two consecutive codes
// resynchronise it through the emulator's endpoint.
func TestResyncDriftedToken(t *testing.T) {
	srv := newRawServer(t, hwNow)
	drifted := hwNow.Add(5 * time.Minute) // the fob runs 10 steps ahead
	lee := hwMethods("lee.gu@contoso.example")
	activate := lee + "/" + demoTokenID("HWT-1004") + "/activate"
	if r := rawCall(t, srv, DefaultAdminToken, "POST", activate, `{"verificationCode":"`+demoCode(t, "HWT-1004", drifted)+`"}`); r.code() != string(entra.CodeInvalidVerification) {
		t.Fatalf("a code 10 steps ahead was accepted: %d %v", r.status, r.body)
	}
	c1, c2 := demoCode(t, "HWT-1004", drifted), demoCode(t, "HWT-1004", drifted.Add(30*time.Second))
	r := rawCall(t, srv, DefaultAdminToken, "POST", "/_mock/tokens/HWT-1004/resync", `{"codes":["`+c1+`","`+c2+`"]}`)
	if r.status != 200 || r.body["driftSteps"] != float64(11) || r.body["driftSeconds"] != float64(330) || r.body["status"] != "failedActivation" {
		t.Fatalf("%d %v", r.status, r.body)
	}
	// The resync used both codes; the token's next code activates it.
	next := demoCode(t, "HWT-1004", drifted.Add(60*time.Second))
	if r := rawCall(t, srv, DefaultAdminToken, "POST", activate, `{"verificationCode":"`+next+`"}`); r.status != 204 {
		t.Fatalf("%d %v", r.status, r.body)
	}
	for _, tt := range []struct {
		token, body string
		status      int
		code        string
	}{
		{DefaultAdminToken, `{"codes":["` + c1 + `","` + c2 + `"]}`, 400, CodeResyncReplayed},
		{DefaultAdminToken, `{"codes":["` + c2 + `","` + c1 + `"]}`, 400, CodeResyncFailed},
		{DefaultAdminToken, `{"codes":["` + c1 + `"]}`, 400, codeBadBody},
		{DefaultAdminToken, `{"codes":["abc","123"]}`, 400, codeInvalidValue},
		{AuthAdminToken, `{"codes":["` + c1 + `","` + c2 + `"]}`, 403, codeDenied},
		{"", `{"codes":["` + c1 + `","` + c2 + `"]}`, 401, codeInvalidToken},
	} {
		r := rawCall(t, srv, tt.token, "POST", "/_mock/tokens/HWT-1004/resync", tt.body)
		if r.status != tt.status || r.code() != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.body, r.status, r.code(), tt.status, tt.code)
		}
	}
	if r := rawCall(t, srv, DefaultAdminToken, "POST", "/_mock/tokens/NOPE/resync", `{"codes":["123456","654321"]}`); r.status != 404 {
		t.Fatalf("%d", r.status)
	}
}

func TestParseTokenFilter(t *testing.T) {
	tests := []struct {
		in     string
		want   tokenFilter
		wantOK bool
	}{
		{"", tokenFilter{}, true},
		{"status eq 'failedActivation'", tokenFilter{status: methods.TokenFailedActivation}, true},
		{"serialNumber eq 'O''Brien-1'", tokenFilter{serial: "O'Brien-1"}, true},
		{"serialNumber eq 'a and b'", tokenFilter{serial: "a and b"}, true},
		{"Status EQ 'available' AND serialNumber eq 'X'", tokenFilter{status: methods.TokenAvailable, serial: "X"}, true},
		{"status eq 'available' and status eq 'assigned'", tokenFilter{}, false},
		{"status eq available", tokenFilter{}, false},
		{"serialNumber eq 'a'b'", tokenFilter{}, false},
		{"serialNumber eq ''", tokenFilter{}, false},
		{"status eq 'x' or status eq 'y'", tokenFilter{}, false},
	}
	for _, tt := range tests {
		got, err := parseTokenFilter(tt.in)
		if (err == nil) != tt.wantOK || got != tt.want {
			t.Errorf("%q: %+v %v", tt.in, got, err)
		}
	}
}

func FuzzParseTokenFilter(f *testing.F) {
	for _, s := range []string{"status eq 'available'", "serialNumber eq 'O''B' and status eq 'activated'", "a and b and", "'", "eq eq eq"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTokenFilter(s)
		if err != nil {
			return
		}
		if got.status != "" {
			if _, perr := methods.ParseTokenStatus(string(got.status)); perr != nil {
				t.Fatalf("%q gave status %q", s, got.status)
			}
		}
		if strings.TrimSpace(s) != "" && got == (tokenFilter{}) {
			t.Fatalf("%q parsed to no condition", s)
		}
	})
}
