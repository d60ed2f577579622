package mock

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
	"github.com/mfactl/mfactl/mock/store"
)

// regEnv is a server on a settable clock and a client of its endpoints.
type regEnv struct {
	t     *testing.T
	s     *Server
	clock *fakeClock
	rc    rawClient
}

func newRegEnv(t *testing.T) regEnv {
	clock := &fakeClock{t: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	s := newServer(t, Options{Verify: cheapVerify(), Now: clock.now})
	return regEnv{t: t, s: s, clock: clock, rc: inProcessClient(t, s)}
}

// ready begins a registration, activates the app on "Pixel 9" and sends
// the test notification.
func (e regEnv) ready(user string) AuthenticatorRegistration {
	e.t.Helper()
	ctx := context.Background()
	reg, err := e.s.BeginAuthenticatorRegistration(ctx, user)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.s.ActivateAuthenticatorApp(ctx, methods.GroupActivationCode(reg.ActivationCode), reg.URL, "Pixel 9"); err != nil {
		e.t.Fatal(err)
	}
	if reg, err = e.s.SendAuthenticatorTestNotification(ctx, reg.ID); err != nil {
		e.t.Fatal(err)
	}
	if reg.State != RegistrationNotificationSent || reg.Number < 10 || reg.Number > 99 || reg.ChallengeID == "" {
		e.t.Fatalf("after the test notification: %+v", reg)
	}
	return reg
}

// device acts on the user's newest notification through the control
// endpoint the emulated phone uses.
func (e regEnv) device(user, action string, number int) rawResponse {
	e.t.Helper()
	body := ""
	if action == "approve" {
		body = fmt.Sprintf(`{"number":%d}`, number)
	}
	r := e.rc.do("POST", "/_mock/users/"+user+"/device/"+action, DefaultAdminToken, body)
	if r.status != 200 {
		e.t.Fatalf("device %s: %d %s", action, r.status, r.raw)
	}
	return r
}

// authenticators lists the user's Microsoft Authenticator methods through
// Graph.
func (e regEnv) authenticators(user string) []map[string]any {
	e.t.Helper()
	r := e.rc.do("GET", "/v1.0/users/"+user+"/authentication/microsoftAuthenticatorMethods", DefaultAdminToken, "")
	if r.status != 200 {
		e.t.Fatalf("list: %d %s", r.status, r.raw)
	}
	var out []map[string]any
	for _, v := range r.body["value"].([]any) {
		out = append(out, v.(map[string]any))
	}
	return out
}

func (e regEnv) addMethods(user string, ms ...methods.Method) {
	e.t.Helper()
	if err := e.s.store.Update(func(tx store.Tx) error {
		u, err := getUser(tx, user)
		if err != nil {
			return err
		}
		for _, m := range ms {
			id, err := newGUID()
			if err != nil {
				return err
			}
			m.ID = id
			if err := putMethod(tx, &methodRecord{UserID: u.ID, Method: m}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		e.t.Fatal(err)
	}
}

func graphCode(err error) string {
	var ge *graphError
	if errors.As(err, &ge) {
		return ge.code
	}
	return ""
}

func TestAuthenticatorRegistrationFlows(t *testing.T) {
	const alex = "alex.wilber@contoso.example"
	const adele = "adele.vance@contoso.example"
	ctx := context.Background()
	pushTTL := verify.DefaultConfig().PushTTL
	enrollTTL := verify.DefaultConfig().EnrollTTL
	cases := []struct {
		name string
		user string
		// run plays the flow and returns the registration id to read.
		run        func(t *testing.T, e regEnv) string
		wantState  string
		wantReason verify.Reason
		// wantAuthenticators is how many Authenticator methods the user
		// has at the end.
		wantAuthenticators int
	}{
		{"approved with the number shown", alex, func(t *testing.T, e regEnv) string {
			reg := e.ready(alex)
			r := e.device(alex, "approve", reg.Number)
			if m, _ := r.body["method"].(map[string]any); m["id"] != reg.MethodID {
				t.Errorf("approval answer's method = %v, want id %s", m, reg.MethodID)
			}
			return reg.ID
		}, RegistrationApproved, "", 1},
		{"denied on the phone", alex, func(t *testing.T, e regEnv) string {
			reg := e.ready(alex)
			e.device(alex, "deny", 0)
			return reg.ID
		}, RegistrationDenied, verify.ReasonDenied, 0},
		{"fraud reported on the phone", alex, func(t *testing.T, e regEnv) string {
			reg := e.ready(alex)
			e.device(alex, "report", 0)
			return reg.ID
		}, RegistrationDenied, verify.ReasonFraudReported, 0},
		{"wrong number typed", alex, func(t *testing.T, e regEnv) string {
			reg := e.ready(alex)
			r := e.device(alex, "approve", 10+(reg.Number-10+1)%90)
			if r.verdictReason() != string(verify.ReasonWrongNumber) {
				t.Errorf("verdict = %q", r.verdictReason())
			}
			return reg.ID
		}, RegistrationDenied, verify.ReasonWrongNumber, 0},
		{"notification not answered in time", alex, func(t *testing.T, e regEnv) string {
			reg := e.ready(alex)
			e.clock.advance(pushTTL)
			return reg.ID
		}, RegistrationExpired, verify.ReasonExpired, 0},
		{"app never scanned the code", alex, func(t *testing.T, e regEnv) string {
			reg, err := e.s.BeginAuthenticatorRegistration(ctx, alex)
			if err != nil {
				t.Fatal(err)
			}
			e.clock.advance(enrollTTL)
			got, err := e.s.ActivateAuthenticatorApp(ctx, reg.ActivationCode, reg.URL, "")
			if verify.ReasonOf(err) != verify.ReasonExpired || got.State != RegistrationExpired {
				t.Errorf("activation after expiry: %+v, %v", got, err)
			}
			// Its code activates nothing any more.
			if _, err := e.s.ActivateAuthenticatorApp(ctx, reg.ActivationCode, reg.URL, ""); graphCode(err) != codeActivationInvalid {
				t.Errorf("second activation: %v", err)
			}
			return reg.ID
		}, RegistrationExpired, verify.ReasonExpired, 0},
		{"activated but the notification never sent", alex, func(t *testing.T, e regEnv) string {
			reg, err := e.s.BeginAuthenticatorRegistration(ctx, alex)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.ActivateAuthenticatorApp(ctx, reg.ActivationCode, reg.URL, ""); err != nil {
				t.Fatal(err)
			}
			e.clock.advance(enrollTTL)
			if _, err := e.s.SendAuthenticatorTestNotification(ctx, reg.ID); verify.ReasonOf(err) != verify.ReasonExpired {
				t.Errorf("send after expiry: %v", err)
			}
			return reg.ID
		}, RegistrationExpired, verify.ReasonExpired, 0},
		{"wrong activation code or URL", alex, func(t *testing.T, e regEnv) string {
			reg, err := e.s.BeginAuthenticatorRegistration(ctx, alex)
			if err != nil {
				t.Fatal(err)
			}
			other := fmt.Sprintf("%09d", 0)
			if other == reg.ActivationCode {
				other = "000000001"
			}
			for _, try := range [][2]string{{other, reg.URL}, {reg.ActivationCode, reg.URL + "x"}, {"12345", reg.URL}, {"", ""}} {
				if _, err := e.s.ActivateAuthenticatorApp(ctx, try[0], try[1], ""); graphCode(err) != codeActivationInvalid {
					t.Errorf("activate(%q, %q) = %v, want %s", try[0], try[1], err, codeActivationInvalid)
				}
			}
			return reg.ID
		}, RegistrationWaitingForApp, "", 0},
		{"a second Authenticator by QR code", adele, func(t *testing.T, e regEnv) string {
			reg := e.ready(adele)
			e.device(adele, "approve", reg.Number)
			return reg.ID
		}, RegistrationApproved, "", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newRegEnv(t)
			before := len(e.authenticators(tc.user))
			id := tc.run(t, e)
			got, err := e.s.AuthenticatorRegistrationStatus(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != tc.wantState || got.Reason != tc.wantReason {
				t.Errorf("state %s (%s), want %s (%s)", got.State, got.Reason, tc.wantState, tc.wantReason)
			}
			if got.State != RegistrationWaitingForApp && (got.ActivationCode != "" || got.QRPayload != "") {
				t.Errorf("the activation code outlived the wait: %+v", got)
			}
			ams := e.authenticators(tc.user)
			if n := len(ams); n != tc.wantAuthenticators {
				t.Errorf("%d Authenticator methods (had %d), want %d", n, before, tc.wantAuthenticators)
			}
			if tc.wantState != RegistrationApproved {
				if got.MethodID != "" && e.hasMethod(tc.user, got.MethodID) {
					t.Errorf("registration %s ended %s but method %s exists", id, got.State, got.MethodID)
				}
				return
			}
			var m map[string]any
			for _, a := range ams {
				if a["id"] == got.MethodID {
					m = a
				}
			}
			want := map[string]any{"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", "displayName": "Pixel 9",
				"deviceTag": "SoftwareTokenActivated", "phoneAppVersion": AuthenticatorAppVersion, "createdDateTime": nil}
			for k, v := range want {
				if m[k] != v {
					t.Errorf("method %s = %v, want %v (method %v)", k, m[k], v, m)
				}
			}
			if got.Method["id"] != got.MethodID {
				t.Errorf("status method = %v", got.Method)
			}
			// The new Authenticator takes sign-in notifications.
			r := e.rc.do("POST", "/_mock/verify/challenges", DefaultAdminToken, fmt.Sprintf(`{"user":%q,"method":"push","methodId":%q}`, tc.user, got.MethodID))
			if r.status != 200 || r.challenge()["methodId"] != got.MethodID {
				t.Errorf("sign-in push to the new method: %d %s", r.status, r.raw)
			}
		})
	}
}

func (e regEnv) hasMethod(user, id string) bool {
	r := e.rc.do("GET", "/v1.0/users/"+user+"/authentication/methods/"+id, DefaultAdminToken, "")
	return r.status == 200
}

func TestAuthenticatorRegistrationRefusals(t *testing.T) {
	ctx := context.Background()
	const alex = "alex.wilber@contoso.example"
	t.Run("unknown user", func(t *testing.T) {
		e := newRegEnv(t)
		if _, err := e.s.BeginAuthenticatorRegistration(ctx, "nobody@contoso.example"); graphCode(err) != codeNotFound {
			t.Errorf("err = %v, want %s", err, codeNotFound)
		}
	})
	t.Run("unknown registration", func(t *testing.T) {
		e := newRegEnv(t)
		for _, f := range []func(context.Context, string) (AuthenticatorRegistration, error){e.s.SendAuthenticatorTestNotification, e.s.AuthenticatorRegistrationStatus} {
			if _, err := f(ctx, "00000000-0000-4000-8000-000000000000"); graphCode(err) != codeNotFound {
				t.Errorf("err = %v, want %s", err, codeNotFound)
			}
		}
	})
	t.Run("notification before the app", func(t *testing.T) {
		e := newRegEnv(t)
		reg, err := e.s.BeginAuthenticatorRegistration(ctx, alex)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.SendAuthenticatorTestNotification(ctx, reg.ID); graphCode(err) != codeRegistrationState {
			t.Errorf("err = %v, want %s", err, codeRegistrationState)
		}
	})
	t.Run("device name", func(t *testing.T) {
		e := newRegEnv(t)
		reg, err := e.s.BeginAuthenticatorRegistration(ctx, alex)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"two\nlines", strings.Repeat("x", maxDeviceName+1)} {
			if _, err := e.s.ActivateAuthenticatorApp(ctx, reg.ActivationCode, reg.URL, bad); graphCode(err) != codeBadBody {
				t.Errorf("device %q: %v", bad, err)
			}
		}
		got, err := e.s.ActivateAuthenticatorApp(ctx, reg.ActivationCode, reg.URL, "  ")
		if err != nil || got.DeviceName != DefaultAuthenticatorDevice {
			t.Errorf("default device: %+v, %v", got, err)
		}
	})
	t.Run("sending twice sends once", func(t *testing.T) {
		e := newRegEnv(t)
		reg := e.ready(alex)
		again, err := e.s.SendAuthenticatorTestNotification(ctx, reg.ID)
		if err != nil || again.ChallengeID != reg.ChallengeID || again.Number != reg.Number {
			t.Errorf("second send: %+v, %v", again, err)
		}
		r := e.rc.do("GET", "/_mock/users/"+alex+"/device/pending", DefaultAdminToken, "")
		if n := len(r.body["value"].([]any)); n != 1 {
			t.Errorf("%d pending notifications, want 1", n)
		}
	})
	t.Run("limit at the start", func(t *testing.T) {
		e := newRegEnv(t)
		e.addMethods(alex, methods.Method{Kind: methods.KindAuthenticator, DisplayName: "a"}, methods.Method{Kind: methods.KindAuthenticator, DisplayName: "b"},
			methods.Method{Kind: methods.KindSoftwareOath}, methods.Method{Kind: methods.KindSoftwareOath}, methods.Method{Kind: methods.KindAuthenticator, DisplayName: "c"})
		if _, err := e.s.BeginAuthenticatorRegistration(ctx, alex); graphCode(err) != string(entra.CodeMethodLimit) {
			t.Errorf("err = %v, want %s", err, entra.CodeMethodLimit)
		}
	})
	t.Run("limit reached before the approval", func(t *testing.T) {
		e := newRegEnv(t)
		e.addMethods(alex, methods.Method{Kind: methods.KindSoftwareOath}, methods.Method{Kind: methods.KindSoftwareOath},
			methods.Method{Kind: methods.KindSoftwareOath}, methods.Method{Kind: methods.KindSoftwareOath})
		reg := e.ready(alex)
		e.addMethods(alex, methods.Method{Kind: methods.KindSoftwareOath})
		r := e.rc.do("POST", "/_mock/users/"+alex+"/device/approve", DefaultAdminToken, fmt.Sprintf(`{"number":%d}`, reg.Number))
		if r.status != 400 || r.errorCode() != string(entra.CodeMethodLimit) {
			t.Errorf("approval over the limit: %d %s", r.status, r.raw)
		}
		got, err := e.s.AuthenticatorRegistrationStatus(ctx, reg.ID)
		if err != nil || got.State != RegistrationNotificationSent || e.hasMethod(alex, reg.MethodID) {
			t.Errorf("after a refused approval: %+v, %v", got, err)
		}
	})
	t.Run("blocked user", func(t *testing.T) {
		e := newRegEnv(t)
		e.rc.do("POST", "/_mock/users/"+alex+"/block", DefaultAdminToken, "")
		reg, err := e.s.BeginAuthenticatorRegistration(ctx, alex)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.ActivateAuthenticatorApp(ctx, reg.ActivationCode, reg.URL, ""); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.SendAuthenticatorTestNotification(ctx, reg.ID)
		if verify.ReasonOf(err) != verify.ReasonBlocked || got.State != RegistrationAppActivated {
			t.Errorf("send for a blocked user: %+v, %v", got, err)
		}
	})
	t.Run("canceled context", func(t *testing.T) {
		e := newRegEnv(t)
		c, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := e.s.BeginAuthenticatorRegistration(c, alex); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	})
}

// TestAuthenticatorRegistrationEndpoints plays the flow through the
// /_mock/authenticator/ control endpoints, the app scanning the QR
// payload, and checks the activation code stays out of the answers once
// used.
func TestAuthenticatorRegistrationEndpoints(t *testing.T) {
	forBothTransports(t, func(t *testing.T, e emu) {
		const user = "alex.wilber@contoso.example"
		r := e.call("POST", "/_mock/authenticator/registrations", map[string]string{"user": user})
		id, _ := r.body["id"].(string)
		payload, _ := r.body["qrPayload"].(string)
		act, err := methods.ParseAuthenticatorActivation(payload)
		if err != nil || act.Code != r.body["activationCode"] || act.URL != r.body["url"] {
			t.Fatalf("QR payload %q: %+v, %v (answer %s)", payload, act, err, r.raw)
		}
		r = e.call("POST", "/_mock/authenticator/activate", map[string]string{"code": act.Code, "url": act.URL, "deviceName": "iPhone 15"})
		if r.body["state"] != RegistrationAppActivated || strings.Contains(string(r.raw), act.Code) {
			t.Fatalf("activation: %s", r.raw)
		}
		r = e.call("POST", "/_mock/authenticator/registrations/"+id+"/notify", nil)
		n, _ := r.body["number"].(float64)
		e.call("POST", "/_mock/users/"+user+"/device/approve", map[string]int{"number": int(n)})
		r = e.call("GET", "/_mock/authenticator/registrations/"+id, nil)
		if r.body["state"] != RegistrationApproved || r.body["methodId"] == "" {
			t.Fatalf("status: %s", r.raw)
		}
		r = e.rc.do("POST", "/_mock/authenticator/activate", DefaultAdminToken, fmt.Sprintf(`{"code":%q,"url":%q}`, act.Code, act.URL))
		if r.status != 400 || r.errorCode() != codeActivationInvalid {
			t.Errorf("reused code: %d %s", r.status, r.raw)
		}
		r = e.rc.do("POST", "/_mock/authenticator/registrations", "", `{"user":"`+user+`"}`)
		if r.status != 401 {
			t.Errorf("without the admin token: %d", r.status)
		}
	})
}
