package mock_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	khttp "github.com/microsoft/kiota-http-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
)

// The hardware OATH endpoints are beta: no v1.0 SDK builder models them, so
// these tests send raw requests through the SDK's own request adapter (its
// middleware: gzip bodies, retries, error mapping), as graph/ does.

var hwClock = time.Date(2025, 6, 1, 9, 0, 10, 0, time.UTC)

// hwTargets gives each target its own server with a fixed clock.
func hwTargets(t *testing.T, token string) []sdkTarget {
	t.Helper()
	at := func() time.Time { return hwClock }
	return []sdkTarget{sdkTargetsWith(t, token, mock.Options{Now: at})[0], sdkTargetsWith(t, token, mock.Options{Now: at})[1]}
}

var odataErrors = abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

func betaRequest(a abs.RequestAdapter, method abs.HttpMethod, path, body string) *abs.RequestInformation {
	ri := abs.NewRequestInformation()
	ri.Method = method
	u, _ := url.Parse(strings.TrimSuffix(a.GetBaseUrl(), "/v1.0") + "/beta" + path)
	ri.SetUri(*u)
	ri.Headers.TryAdd("Accept", "application/json")
	if body != "" {
		ri.SetStreamContentAndContentType([]byte(body), "application/json")
	}
	return ri
}

// betaJSON sends a request and decodes a JSON answer (nil for 204).
func betaJSON(a abs.RequestAdapter, method abs.HttpMethod, path, body string) (map[string]any, error) {
	ri := betaRequest(a, method, path, body)
	res, err := a.SendPrimitive(context.Background(), ri, "[]byte", odataErrors)
	if err != nil {
		return nil, err
	}
	b, _ := res.([]byte)
	if len(b) == 0 {
		return nil, nil
	}
	var out map[string]any
	return out, json.Unmarshal(b, &out)
}

func hwCode(t *testing.T, secret string, interval int, at time.Time) string {
	t.Helper()
	k := methods.NewTOTPKey(methods.OATHSecret(secret))
	k.Period = interval
	c, err := k.Code(at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const (
	inv       = "/directory/authenticationMethodDevices/hardwareOathDevices"
	newSecret = "MZXW6YTBOIZDEMRSMZXW6YTBOIZDEMRS"
)

func TestSDKHardwareTokenLifecycle(t *testing.T) {
	for _, target := range hwTargets(t, mock.DefaultAdminToken) {
		t.Run(target.name, func(t *testing.T) {
			a := target.adapter
			list, err := betaJSON(a, abs.GET, inv+"?$filter=status%20eq%20'available'", "")
			if err != nil || len(list["value"].([]any)) != 2 {
				t.Fatalf("%v %v", list, err)
			}
			created, err := betaJSON(a, abs.POST, inv, `{"serialNumber":"SDK-1","manufacturer":"Contoso","model":"OTP-C200","secretKey":"`+newSecret+`","timeIntervalInSeconds":30,"assignTo":{"id":"alex.wilber@contoso.example"}}`)
			if err != nil || created["status"] != "assigned" || created["secretKey"] != nil {
				t.Fatalf("%v %v", created, err)
			}
			id := created["id"].(string)
			// The v1.0 list carries only v1.0 types
			// (authentication-list-methods.md): no hardware OATH method.
			ms, err := usersBuilder(a).ByUserId("alex.wilber@contoso.example").Authentication().Methods().Get(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms.GetValue() {
				if m.GetOdataType() != nil && *m.GetOdataType() == "#microsoft.graph.hardwareOathAuthenticationMethod" {
					t.Fatalf("v1.0 lists the beta-only hardware OATH method %s", *m.GetId())
				}
			}
			// The beta list has it, with its device.
			beta, err := betaJSON(a, abs.GET, "/users/alex.wilber@contoso.example/authentication/methods", "")
			if err != nil {
				t.Fatal(err)
			}
			var hw map[string]any
			for _, v := range beta["value"].([]any) {
				if m := v.(map[string]any); m["@odata.type"] == "#microsoft.graph.hardwareOathAuthenticationMethod" {
					hw = m
					if m["id"] != id {
						t.Fatalf("method id %v, token id %s", m["id"], id)
					}
				}
			}
			if hw == nil || hw["device"] == nil {
				t.Fatalf("no hardware method with its device: %v", hw)
			}
			user := "/users/alex.wilber@contoso.example/authentication/hardwareOathMethods/" + id
			if _, err := betaJSON(a, abs.POST, user+"/activate", `{"verificationCode":"`+hwCode(t, newSecret, 30, hwClock)+`","displayName":"SDK fob"}`); err != nil {
				t.Fatal(err)
			}
			got, err := betaJSON(a, abs.GET, inv+"/"+id, "")
			if err != nil || got["status"] != "activated" || got["displayName"] != "SDK fob" {
				t.Fatalf("%v %v", got, err)
			}
			if _, err := betaJSON(a, abs.POST, user+"/deactivate", ""); err != nil {
				t.Fatal(err)
			}
			if _, err := betaJSON(a, abs.DELETE, user, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := betaJSON(a, abs.PATCH, inv+"/"+id, `{"model":"OTP-C300"}`); err != nil {
				t.Fatal(err)
			}
			if _, err := betaJSON(a, abs.PUT, inv+"/"+id+"/assignTo/$ref", `{"@odata.id":"https://graph.microsoft.com/beta/users/diego.siciliani@contoso.example"}`); err != nil {
				t.Fatal(err)
			}
			got, _ = betaJSON(a, abs.GET, inv+"/"+id, "")
			if got["status"] != "assigned" || got["model"] != "OTP-C300" || got["assignedTo"].(map[string]any)["displayName"] != "Diego Siciliani" {
				t.Fatalf("%v", got)
			}
			if _, err := betaJSON(a, abs.DELETE, "/users/diego.siciliani@contoso.example/authentication/hardwareOathMethods/"+id, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := betaJSON(a, abs.DELETE, inv+"/"+id, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := betaJSON(a, abs.GET, inv+"/"+id, ""); !isStatus(err, 404) {
				t.Fatalf("deleted token: %v", err)
			}
			// Assign and activate by serial number in one call.
			if _, err := betaJSON(a, abs.POST, "/users/alex.wilber@contoso.example/authentication/hardwareOathMethods/assignAndActivateBySerialNumber",
				`{"verificationCode":"`+hwCode(t, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 30, hwClock)+`","serialNumber":"HWT-1002","displayName":"Alex"}`); err != nil {
				t.Fatal(err)
			}
			got, _ = betaJSON(a, abs.GET, inv+"?$filter=serialNumber%20eq%20'HWT-1002'", "")
			if d := got["value"].([]any)[0].(map[string]any); d["status"] != "activated" {
				t.Fatalf("%v", d)
			}
			// Assign (no activation), list and get the user's tokens, then
			// assign and activate by token id.
			h3, _ := betaJSON(a, abs.GET, inv+"?$filter=serialNumber%20eq%20'HWT-1003'", "")
			id3 := h3["value"].([]any)[0].(map[string]any)["id"].(string)
			diego := "/users/diego.siciliani@contoso.example/authentication/hardwareOathMethods"
			m, err := betaJSON(a, abs.POST, diego, `{"device":{"id":"`+id3+`"}}`)
			if err != nil || m["id"] != id3 || m["@odata.type"] != "#microsoft.graph.hardwareOathAuthenticationMethod" {
				t.Fatalf("%v %v", m, err)
			}
			list, err = betaJSON(a, abs.GET, diego, "")
			if err != nil || len(list["value"].([]any)) != 1 {
				t.Fatalf("%v %v", list, err)
			}
			one, err := betaJSON(a, abs.GET, diego+"/"+id3, "")
			if err != nil || one["device"].(map[string]any)["status"] != "assigned" || one["device"].(map[string]any)["secretKey"] != nil {
				t.Fatalf("%v %v", one, err)
			}
			if _, err := betaJSON(a, abs.DELETE, diego+"/"+id3, ""); err != nil {
				t.Fatal(err)
			}
			k := methods.OATHKey{Type: methods.OATHTOTP, Secret: "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U", Algorithm: methods.OATHSHA256, Digits: 6, Period: 60}
			c3, _ := k.Code(hwClock)
			if _, err := betaJSON(a, abs.POST, diego+"/assignAndActivate", `{"verificationCode":"`+c3+`","device":{"id":"`+id3+`"}}`); err != nil {
				t.Fatal(err)
			}
			if one, _ = betaJSON(a, abs.GET, diego+"/"+id3, ""); one["device"].(map[string]any)["status"] != "activated" {
				t.Fatalf("%v", one)
			}
		})
	}
}

func isStatus(err error, status int) bool {
	var oe *odataerrors.ODataError
	return errors.As(err, &oe) && oe.ResponseStatusCode == status
}

// Every hardware rule answers the SDK with an ODataError carrying the
// rule's status and code.
func TestSDKHardwareRuleErrorCodes(t *testing.T) {
	create := func(serial, secret, extra string) string {
		return `{"serialNumber":"` + serial + `","manufacturer":"Contoso","model":"OTP-C200","secretKey":"` + secret + `","timeIntervalInSeconds":30` + extra + `}`
	}
	lee := "/users/lee.gu@contoso.example/authentication/hardwareOathMethods/"
	type step struct {
		method abs.HttpMethod
		path   string
		body   string
	}
	tests := []struct {
		name   string
		token  string
		before []step
		call   step
		status int
		code   string
	}{
		{"secret", mock.DefaultAdminToken, nil, step{abs.POST, inv, create("E-1", "NOT-BASE32-1890", "")}, 400, string(entra.CodeInvalidSecretKey)},
		{"secret immutable", mock.DefaultAdminToken, nil, step{abs.PATCH, inv + "/" + tokenID(t, "HWT-1002"), `{"secretKey":"` + newSecret + `"}`}, 400, string(entra.CodeSecretKeyImmutable)},
		{"duplicate serial", mock.DefaultAdminToken, nil, step{abs.POST, inv, create("HWT-1001", newSecret, "")}, 409, string(entra.CodeSerialNumberExists)},
		{"already assigned", mock.DefaultAdminToken, nil, step{abs.POST, "/users/alex.wilber@contoso.example/authentication/hardwareOathMethods", `{"device":{"id":"` + tokenID(t, "HWT-1004") + `"}}`}, 400, string(entra.CodeTokenAlreadyAssigned)},
		{"delete assigned", mock.DefaultAdminToken, nil, step{abs.DELETE, inv + "/" + tokenID(t, "HWT-1004"), ""}, 400, string(entra.CodeTokenAssigned)},
		{"guest", mock.DefaultAdminToken, nil, step{abs.POST, inv, create("E-2", newSecret, `,"assignTo":{"id":"isaiah.langer_fabrikam.example#EXT#@contoso.example"}`)}, 400, string(entra.CodeTokenGuestNotAllowed)},
		{"activate activated", mock.DefaultAdminToken, nil, step{abs.POST, "/users/grady.archie@contoso.example/authentication/hardwareOathMethods/" + tokenID(t, "HWT-1001") + "/activate", `{"verificationCode":"000000"}`}, 400, string(entra.CodeTokenStatus)},
		{"wrong code", mock.DefaultAdminToken, nil, step{abs.POST, lee + tokenID(t, "HWT-1004") + "/activate", `{"verificationCode":"` + notCode(t, "KRUGS4ZANFZSAYJAOBZGK5DUPEQGQYLS") + `"}`}, 400, string(entra.CodeInvalidVerification)},
		{"five per user", mock.DefaultAdminToken, []step{
			{abs.POST, inv, create("L-1", "GEAAAAAAAAAAAAAA", `,"assignTo":{"id":"nestor.wilke@contoso.example"}`)},
			{abs.POST, inv, create("L-2", "GEBAAAAAAAAAAAAA", `,"assignTo":{"id":"nestor.wilke@contoso.example"}`)},
		}, step{abs.POST, inv, create("L-3", "GECAAAAAAAAAAAAA", `,"assignTo":{"id":"nestor.wilke@contoso.example"}`)}, 400, string(entra.CodeMethodLimit)},
		{"auth admin reads the inventory", mock.AuthAdminToken, nil, step{abs.GET, inv, ""}, 403, string(entra.CodeAuthorizationDenied)},
	}
	for _, tt := range tests {
		for _, target := range hwTargets(t, tt.token) {
			t.Run(tt.name+"/"+target.name, func(t *testing.T) {
				for _, s := range tt.before {
					if _, err := betaJSON(target.adapter, s.method, s.path, s.body); err != nil {
						t.Fatal(err)
					}
				}
				_, err := betaJSON(target.adapter, tt.call.method, tt.call.path, tt.call.body)
				assertODataError(t, err, tt.status, tt.code)
			})
		}
	}
}

func assertODataError(t *testing.T, err error, status int, code string) *odataerrors.ODataError {
	t.Helper()
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) {
		t.Fatalf("want an ODataError, got %T %v", err, err)
	}
	me := oe.GetErrorEscaped()
	if oe.ResponseStatusCode != status || me == nil || *me.GetCode() != code || me.GetMessage() == nil {
		t.Fatalf("status %d code %v, want %d %s", oe.ResponseStatusCode, me.GetCode(), status, code)
	}
	if strings.Contains(*me.GetMessage(), newSecret) {
		t.Fatalf("the error echoes the secret: %s", *me.GetMessage())
	}
	return oe
}

// The 201st activation attempt within 5 minutes is a 429 with Retry-After;
// the SDK's retry handler is switched off for it (it would wait a minute).
func TestSDKActivationRateLimit(t *testing.T) {
	target := hwTargets(t, mock.DefaultAdminToken)[1] // over TCP
	path := "/users/lee.gu@contoso.example/authentication/hardwareOathMethods/" + tokenID(t, "HWT-1004") + "/activate"
	wrong := `{"verificationCode":"` + notCode(t, "KRUGS4ZANFZSAYJAOBZGK5DUPEQGQYLS") + `"}`
	for i := 0; i < 200; i++ {
		if _, err := betaJSON(target.adapter, abs.POST, path, wrong); !isStatus(err, 400) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	ri := betaRequest(target.adapter, abs.POST, path, wrong)
	ri.AddRequestOptions([]abs.RequestOption{&khttp.RetryHandlerOptions{
		ShouldRetry: func(time.Duration, int, *http.Request, *http.Response) bool { return false },
	}})
	_, err := target.adapter.SendPrimitive(context.Background(), ri, "[]byte", odataErrors)
	oe := assertODataError(t, err, 429, string(entra.CodeActivationRateLimited))
	if oe.ResponseHeaders == nil || len(oe.ResponseHeaders.Get("Retry-After")) == 0 {
		t.Fatalf("no Retry-After: %v", oe.ResponseHeaders)
	}
}

// tokenID is the id of a demo token (stable across runs).
func tokenID(t *testing.T, serial string) string {
	t.Helper()
	a := sdkTargetsWith(t, mock.DefaultAdminToken, mock.Options{})[0].adapter
	got, err := betaJSON(a, abs.GET, inv+"?$filter=serialNumber%20eq%20'"+serial+"'", "")
	if err != nil || len(got["value"].([]any)) != 1 {
		t.Fatalf("%s: %v %v", serial, got, err)
	}
	return got["value"].([]any)[0].(map[string]any)["id"].(string)
}

// notCode is a 6-digit code the token does not show around hwClock.
func notCode(t *testing.T, secret string) string {
	t.Helper()
	near := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		near[hwCode(t, secret, 30, hwClock.Add(d))] = true
	}
	for _, c := range []string{"000000", "111111", "222222"} {
		if !near[c] {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}
