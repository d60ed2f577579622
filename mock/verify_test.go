package mock

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
	"github.com/mfactl/mfactl/mock/store"
)

// cheapVerify is the default engine configuration with a cheap PBKDF2 cost:
// the algorithm is the same, only tests run faster.
func cheapVerify() *verify.Config {
	c := verify.DefaultConfig()
	c.Hash = verify.HashParams{Iterations: 10}
	return &c
}

// emu drives the verification endpoints of one server through one
// transport with the admin token.
type emu struct {
	t  *testing.T
	rc rawClient
	s  *Server
}

// forBothTransports runs fn against a fresh server in-process and over TCP.
func forBothTransports(t *testing.T, fn func(t *testing.T, e emu)) {
	for _, name := range []string{"in-process", "tcp"} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, Options{Verify: cheapVerify()})
			rc := inProcessClient(t, s)
			if name == "tcp" {
				rc = tcpClient(t, s)
			}
			fn(t, emu{t: t, rc: rc, s: s})
		})
	}
}

func (e emu) call(method, path string, body any) rawResponse {
	e.t.Helper()
	b := ""
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		b = string(raw)
	}
	r := e.rc.do(method, path, DefaultAdminToken, b)
	if r.status != 200 {
		e.t.Fatalf("%s %s: %d %s", method, path, r.status, r.raw)
	}
	return r
}

func (r rawResponse) challenge() map[string]any {
	c, _ := r.body["challenge"].(map[string]any)
	return c
}

func (r rawResponse) verdictReason() string {
	v, _ := r.body["verdict"].(map[string]any)
	s, _ := v["reason"].(string)
	return s
}

func (e emu) start(user, method string, extra map[string]any) map[string]any {
	e.t.Helper()
	body := map[string]any{"user": user, "method": method}
	for k, v := range extra {
		body[k] = v
	}
	r := e.call("POST", "/_mock/verify/challenges", body)
	if r.verdictReason() != "" {
		e.t.Fatalf("start %s for %s: verdict %s", method, user, r.raw)
	}
	return r.challenge()
}

// lastCode reads the newest code texted or read to user from the outbox.
func (e emu) lastCode(user string) string {
	e.t.Helper()
	r := e.call("GET", "/_mock/outbox?user="+user, nil)
	msgs := r.body["value"].([]any)
	if len(msgs) == 0 {
		e.t.Fatalf("outbox of %s is empty", user)
	}
	text := msgs[len(msgs)-1].(map[string]any)["text"].(string)
	digits := regexp.MustCompile(`[0-9](?: ?[0-9]){5}`).FindString(text)
	return strings.ReplaceAll(digits, " ", "")
}

func (e emu) currentCode(user, kind string) string {
	e.t.Helper()
	path := "/_mock/users/" + user + "/code"
	if kind != "" {
		path += "?kind=" + kind
	}
	return e.call("GET", path, nil).body["code"].(string)
}

// UPNs of the demo users the verification tests use.
const (
	vAdele   = "adele.vance@contoso.example"
	vAlex    = "alex.wilber@contoso.example"
	vGrady   = "grady.archie@contoso.example"
	vLee     = "lee.gu@contoso.example"
	vMegan   = "megan.bowen@contoso.example"
	vJohanna = "johanna.lorenz@contoso.example"
)

func TestVerifyOATHReplayAndState(t *testing.T) {
	forBothTransports(t, func(t *testing.T, e emu) {
		code := e.currentCode(vAdele, "")
		c := e.start(vAdele, "oath", nil)
		r := e.call("POST", "/_mock/verify/challenges/"+c["id"].(string)+"/code", map[string]string{"code": code})
		if r.verdictReason() != "" || r.challenge()["state"] != "verified" {
			t.Fatalf("right code: %s", r.raw)
		}
		if _, ok := r.challenge()["pendingKey"]; ok {
			t.Error("challenge view shows a key")
		}
		c = e.start(vAdele, "oath", nil)
		r = e.call("POST", "/_mock/verify/challenges/"+c["id"].(string)+"/code", map[string]string{"code": code})
		if r.verdictReason() != "replayed" {
			t.Fatalf("same code again: %s", r.raw)
		}
		// The state was persisted on the method record.
		err := e.s.store.View(func(tx store.Tx) error {
			u, err := getUser(tx, vAdele)
			if err != nil {
				return err
			}
			ms, err := userMethods(tx, u.ID)
			for _, m := range ms {
				if m.Kind == methods.KindSoftwareOath && (m.OathState == nil || m.OathState.Counter == 0) {
					t.Errorf("OATH state not persisted: %+v", m.OathState)
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestVerifyHardwareTokenAndNotActivated(t *testing.T) {
	forBothTransports(t, func(t *testing.T, e emu) {
		code := e.currentCode(vGrady, "hardwareOath")
		c := e.start(vGrady, "oath", map[string]any{"kind": "hardwareOath"})
		r := e.call("POST", "/_mock/verify/challenges/"+c["id"].(string)+"/code", map[string]string{"code": code})
		if r.challenge()["state"] != "verified" {
			t.Fatalf("hardware code: %s", r.raw)
		}
		// Lee's token is assigned but not activated: refused, nothing changes.
		r = e.rc.do("POST", "/_mock/verify/challenges", DefaultAdminToken, `{"user":"`+vLee+`","method":"oath"}`)
		if r.status != 409 || !strings.Contains(r.raw, "not activated") {
			t.Errorf("not activated token: %d %s", r.status, r.raw)
		}
	})
}

func TestVerifySMSWrongRightResendAndExpiry(t *testing.T) {
	forBothTransports(t, func(t *testing.T, e emu) {
		c := e.start(vAdele, "sms", nil)
		id := c["id"].(string)
		code := e.lastCode(vAdele)
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		r := e.call("POST", "/_mock/verify/challenges/"+id+"/code", map[string]string{"code": wrong})
		if r.verdictReason() != "wrongCode" || r.challenge()["attempts"] != 1.0 {
			t.Fatalf("wrong code: %s", r.raw)
		}
		// "Get a new code": the old one is superseded.
		r = e.call("POST", "/_mock/verify/challenges/"+id+"/resend", nil)
		newID := r.challenge()["id"].(string)
		r = e.call("POST", "/_mock/verify/challenges/"+id+"/code", map[string]string{"code": code})
		if r.verdictReason() != "superseded" {
			t.Errorf("old code after resend: %s", r.raw)
		}
		r = e.call("POST", "/_mock/verify/challenges/"+newID+"/code", map[string]string{"code": e.lastCode(vAdele)})
		if r.challenge()["state"] != "verified" {
			t.Fatalf("new code: %s", r.raw)
		}
		// Expiry at the emulated clock.
		c = e.start(vAdele, "sms", nil)
		e.call("POST", "/_mock/clock", map[string]string{"advance": "181s"})
		r = e.call("GET", "/_mock/verify/challenges/"+c["id"].(string), nil)
		if r.challenge()["state"] != "expired" || r.verdictReason() != "expired" {
			t.Errorf("after the TTL: %s", r.raw)
		}
	})
}

func TestVerifyPINCallFraudBlockAndUnblock(t *testing.T) {
	forBothTransports(t, func(t *testing.T, e emu) {
		r := e.call("PUT", "/_mock/users/"+vLee+"/pin", map[string]string{"pin": "1234"})
		if r.verdictReason() != "policy" {
			t.Errorf("sequential PIN: %s", r.raw)
		}
		e.call("PUT", "/_mock/users/"+vLee+"/pin", map[string]string{"pin": "20482048"})
		c := e.start(vLee, "voicePin", nil)
		r = e.call("POST", "/_mock/verify/challenges/"+c["id"].(string)+"/keys", map[string]string{"keys": "20482048#"})
		if r.challenge()["state"] != "verified" {
			t.Fatalf("PIN call: %s", r.raw)
		}
		c = e.start(vLee, "voice", map[string]any{"phoneType": "alternateMobile"})
		if c["phoneType"] != "alternateMobile" {
			t.Errorf("phone type: %v", c["phoneType"])
		}
		r = e.call("POST", "/_mock/verify/challenges/"+c["id"].(string)+"/keys", map[string]string{"keys": "0#"})
		if r.challenge()["state"] != "fraudReported" || r.verdictReason() != "" {
			t.Fatalf("fraud: %s", r.raw)
		}
		r = e.call("POST", "/_mock/verify/challenges", map[string]any{"user": vLee, "method": "voice"})
		if r.verdictReason() != "blocked" {
			t.Fatalf("blocked user: %s", r.raw)
		}
		st := e.call("POST", "/_mock/users/"+vLee+"/unblock", nil)
		if st.body["blocked"] != false || len(st.body["fraudReports"].([]any)) != 1 {
			t.Errorf("unblock: %s", st.raw)
		}
		e.start(vLee, "voice", nil)
	})
}

func TestVerifyPushNumberMatch(t *testing.T) {
	forBothTransports(t, func(t *testing.T, e emu) {
		c := e.start(vAdele, "push", nil)
		n := int(c["number"].(float64))
		p := e.call("GET", "/_mock/users/"+vAdele+"/device/pending", nil)
		pending := p.body["value"].([]any)
		if len(pending) != 1 || strings.Contains(p.raw, `"number"`) {
			t.Fatalf("pending: %s", p.raw)
		}
		r := e.call("POST", "/_mock/users/"+vAdele+"/device/approve", map[string]int{"number": n})
		if r.challenge()["state"] != "verified" {
			t.Fatalf("approve: %s", r.raw)
		}
		r = e.call("GET", "/_mock/verify/challenges/"+c["id"].(string), nil)
		if r.challenge()["state"] != "verified" || r.verdictReason() != "" {
			t.Errorf("poll: %s", r.raw)
		}
		e.start(vAdele, "push", nil)
		e.call("POST", "/_mock/users/"+vAdele+"/device/deny", nil)
		r = e.rc.do("POST", "/_mock/users/"+vAdele+"/device/deny", DefaultAdminToken, "")
		if r.status != 404 {
			t.Errorf("nothing pending: %d %s", r.status, r.raw)
		}
	})
}

func TestEnrollAppConfirmAndLimit(t *testing.T) {
	forBothTransports(t, func(t *testing.T, e emu) {
		r := e.call("POST", "/_mock/enroll/app", map[string]string{"user": vAlex})
		uri, secret := r.body["uri"].(string), r.body["secret"].(string)
		if !strings.HasPrefix(uri, "otpauth://totp/") || !strings.Contains(uri, secret) {
			t.Fatalf("enrolment: %s", r.raw)
		}
		key := methods.NewTOTPKey(methods.OATHSecret(secret))
		code, err := key.Code(e.s.now())
		if err != nil {
			t.Fatal(err)
		}
		r = e.call("POST", "/_mock/enroll/app/confirm", map[string]string{"user": vAlex, "code": code})
		m, _ := r.body["method"].(map[string]any)
		if r.challenge()["state"] != "verified" || m["@odata.type"] != methods.KindSoftwareOath.ODataType() {
			t.Fatalf("confirm: %s", r.raw)
		}
		if got := e.currentCode(vAlex, ""); got != code {
			t.Errorf("the new method's code %s, the app's %s", got, code)
		}
		// Four more: the fifth is the limit, the sixth is refused at start.
		for range 4 {
			r := e.call("POST", "/_mock/enroll/app", map[string]string{"user": vAlex})
			key := methods.NewTOTPKey(methods.OATHSecret(r.body["secret"].(string)))
			code, _ := key.Code(e.s.now())
			if r := e.call("POST", "/_mock/enroll/app/confirm", map[string]string{"user": vAlex, "code": code}); r.challenge()["state"] != "verified" {
				t.Fatalf("confirm: %s", r.raw)
			}
		}
		r = e.rc.do("POST", "/_mock/enroll/app", DefaultAdminToken, `{"user":"`+vAlex+`"}`)
		if r.status != 400 || r.errorCode() != string(entra.CodeMethodLimit) {
			t.Errorf("sixth app: %d %s", r.status, r.raw)
		}
	})
}

func TestEnrollmentExpiresAndNeverBecomesAMethod(t *testing.T) {
	s := newServer(t, Options{Verify: cheapVerify()})
	e := emu{t: t, rc: inProcessClient(t, s), s: s}
	r := e.call("POST", "/_mock/enroll/app", map[string]string{"user": vAlex})
	key := methods.NewTOTPKey(methods.OATHSecret(r.body["secret"].(string)))
	e.call("POST", "/_mock/clock", map[string]string{"advance": "11m"})
	code, _ := key.Code(s.now())
	r = e.call("POST", "/_mock/enroll/app/confirm", map[string]string{"user": vAlex, "code": code})
	if r.verdictReason() != "expired" || r.body["method"] != nil {
		t.Fatalf("late confirmation: %s", r.raw)
	}
	r = e.rc.do("GET", "/_mock/users/"+vAlex+"/code", DefaultAdminToken, "")
	if r.status != 404 {
		t.Errorf("an expired enrolment became a method: %s", r.raw)
	}
}

func TestEnrollPhoneTestsTheNumberFirst(t *testing.T) {
	forBothTransports(t, func(t *testing.T, e emu) {
		r := e.call("POST", "/_mock/enroll/phone", map[string]string{"user": vAlex, "phoneNumber": "+1 4255550177", "phoneType": "mobile"})
		id := r.challenge()["id"].(string)
		if r.challenge()["purpose"] != "registration" {
			t.Errorf("purpose: %s", r.raw)
		}
		// Not saved before the test passes.
		if rr := e.rc.do("POST", "/_mock/verify/challenges", DefaultAdminToken, `{"user":"`+vAlex+`","method":"sms"}`); rr.status != 404 {
			t.Errorf("phone saved before the test: %s", rr.raw)
		}
		r = e.call("POST", "/_mock/verify/challenges/"+id+"/code", map[string]string{"code": e.lastCode(vAlex)})
		m, _ := r.body["method"].(map[string]any)
		if r.challenge()["state"] != "verified" || m["phoneNumber"] != "+1 4255550177" || m["phoneType"] != "mobile" {
			t.Fatalf("phone test: %s", r.raw)
		}
		// An office phone tested by a call answered with # after the extension.
		r = e.call("POST", "/_mock/enroll/phone", map[string]string{"user": vAlex, "phoneNumber": "+1 4255550178x12", "phoneType": "office", "method": "voice"})
		r = e.call("POST", "/_mock/verify/challenges/"+r.challenge()["id"].(string)+"/keys", map[string]string{"keys": "##"})
		if m, _ := r.body["method"].(map[string]any); m["phoneNumber"] != "+1 4255550178x12" {
			t.Fatalf("office phone: %s", r.raw)
		}
		// Same rules as POST phoneMethods.
		for _, tc := range []struct{ body, code string }{
			{`{"user":"` + vJohanna + `","phoneNumber":"+1 4255550179","phoneType":"mobile"}`, string(entra.CodePhoneTypeExists)},
			{`{"user":"` + vAdele + `","phoneNumber":"+1 4255550179","phoneType":"alternateMobile","method":"sms"}`, ""},
			{`{"user":"` + vAlex + `","phoneNumber":"4255550179","phoneType":"alternateMobile"}`, string(entra.CodeInvalidPhoneNumber)},
			{`{"user":"` + vMegan + `","phoneNumber":"+1 4255550179","phoneType":"alternateMobile","method":"voice"}`, string(entra.CodeMobileRequired)},
		} {
			rr := e.rc.do("POST", "/_mock/enroll/phone", DefaultAdminToken, tc.body)
			if tc.code == "" {
				// SMS to an alternate phone is the engine's verdict.
				if rr.status != 200 || rr.verdictReason() != "notAllowed" {
					t.Errorf("%s: %d %s", tc.body, rr.status, rr.raw)
				}
				continue
			}
			if rr.status != 400 || rr.errorCode() != tc.code {
				t.Errorf("%s: %d %s, want %s", tc.body, rr.status, rr.raw, tc.code)
			}
		}
	})
}

func TestEnrollEmailVerifiesTheAddressFirst(t *testing.T) {
	forBothTransports(t, func(t *testing.T, e emu) {
		const addr = "alex.wilber@outlook.example"
		r := e.call("POST", "/_mock/enroll/email", map[string]string{"user": vAlex, "emailAddress": addr})
		c := r.challenge()
		if c["purpose"] != "registration" || c["method"] != "email" || c["emailAddress"] != addr || c["codeHash"] != nil {
			t.Fatalf("start: %s", r.raw)
		}
		// The code went to the outbox as an email to the address.
		box := e.call("GET", "/_mock/outbox?user="+vAlex, nil).body["value"].([]any)
		if m := box[len(box)-1].(map[string]any); m["channel"] != "email" || m["to"] != addr || m["challengeId"] != c["id"] {
			t.Fatalf("outbox: %v", m)
		}
		// Not saved before the code is entered.
		if rr := e.rc.do("GET", "/v1.0/users/"+vAlex+"/authentication/emailMethods", DefaultAdminToken, ""); rr.status != 200 || len(rr.body["value"].([]any)) != 0 {
			t.Fatalf("email saved before the code: %d %s", rr.status, rr.raw)
		}
		id := c["id"].(string)
		code := e.lastCode(vAlex)
		wrong := string('0'+(code[0]-'0'+1)%10) + code[1:]
		r = e.call("POST", "/_mock/verify/challenges/"+id+"/code", map[string]string{"code": wrong})
		if r.verdictReason() != "wrongCode" || r.body["method"] != nil {
			t.Fatalf("wrong code: %s", r.raw)
		}
		// "Resend code": the old code stops working, the new one adds the method.
		r = e.call("POST", "/_mock/verify/challenges/"+id+"/resend", nil)
		nid := r.challenge()["id"].(string)
		if nid == id || r.challenge()["emailAddress"] != addr {
			t.Fatalf("resend: %s", r.raw)
		}
		r = e.call("POST", "/_mock/verify/challenges/"+nid+"/code", map[string]string{"code": e.lastCode(vAlex)})
		m, _ := r.body["method"].(map[string]any)
		if r.challenge()["state"] != "verified" || m["emailAddress"] != addr {
			t.Fatalf("right code: %s", r.raw)
		}
		if rr := e.rc.do("GET", "/v1.0/users/"+vAlex+"/authentication/emailMethods", DefaultAdminToken, ""); len(rr.body["value"].([]any)) != 1 {
			t.Fatalf("email method after the code: %s", rr.raw)
		}
		// Email never signs in; a reset code goes to the registered address.
		if r := e.call("POST", "/_mock/verify/challenges", map[string]string{"user": vAlex, "method": "email"}); r.verdictReason() != "notAllowed" {
			t.Errorf("email sign-in: %s", r.raw)
		}
		if c := e.start(vAlex, "email", map[string]any{"purpose": "sspr"}); c["emailAddress"] != addr {
			t.Errorf("sspr email: %v", c)
		}
		if rr := e.rc.do("POST", "/_mock/verify/challenges", DefaultAdminToken, `{"user":"`+vAlex+`","method":"email","purpose":"registration"}`); rr.status != 400 {
			t.Errorf("email registration through /verify/challenges: %d %s", rr.status, rr.raw)
		}
		// The code expires on the emulated clock.
		r = e.call("POST", "/_mock/enroll/email", map[string]string{"user": vAdele, "emailAddress": "adele@outlook.example"})
		e.call("POST", "/_mock/clock", map[string]string{"advance": "181s"})
		r = e.call("POST", "/_mock/verify/challenges/"+r.challenge()["id"].(string)+"/code", map[string]string{"code": e.lastCode(vAdele)})
		if r.verdictReason() != "expired" || r.body["method"] != nil {
			t.Fatalf("expired code: %s", r.raw)
		}
		// Same rules as POST emailMethods, checked before a code is sent.
		for _, tc := range []struct{ body, code string }{
			{`{"user":"` + vJohanna + `","emailAddress":"j@outlook.example"}`, string(entra.CodeEmailExists)},
			{`{"user":"` + vAlex + `","emailAddress":"Alex <a@outlook.example>"}`, string(entra.CodeInvalidEmail)},
		} {
			rr := e.rc.do("POST", "/_mock/enroll/email", DefaultAdminToken, tc.body)
			if rr.status != 400 || rr.errorCode() != tc.code {
				t.Errorf("%s: %d %s, want %s", tc.body, rr.status, rr.raw, tc.code)
			}
		}
	})
}

func TestVerifySecurityQuestions(t *testing.T) {
	forBothTransports(t, func(t *testing.T, e emu) {
		qs := map[string]any{"questions": []map[string]string{
			{"question": "City of birth?", "answer": "Springfield"},
			{"question": "First pet?", "answer": "Rex the dog"},
			{"question": "Favourite teacher?", "answer": "Mrs Krabappel"},
		}}
		e.call("PUT", "/_mock/users/"+vAlex+"/questions", qs)
		r := e.call("PUT", "/_mock/users/"+vMegan+"/questions", qs)
		if r.verdictReason() != "notAllowed" {
			t.Errorf("admin questions: %s", r.raw)
		}
		c := e.start(vAlex, "securityQuestions", nil)
		answers := map[string]string{"City of birth?": "springfield ", "First pet?": "Rex the dog", "Favourite teacher?": "mrs krabappel"}
		var given []string
		for _, q := range c["questions"].([]any) {
			given = append(given, answers[q.(string)])
		}
		r = e.call("POST", "/_mock/verify/challenges/"+c["id"].(string)+"/answers", map[string]any{"answers": given})
		if r.challenge()["state"] != "verified" {
			t.Fatalf("answers: %s", r.raw)
		}
	})
}

func TestVerifyTAPOneTimeUse(t *testing.T) {
	forBothTransports(t, func(t *testing.T, e emu) {
		r := e.rc.do("POST", "/v1.0/users/"+vAlex+"/authentication/temporaryAccessPassMethods", DefaultAdminToken, `{"isUsableOnce":true}`)
		if r.status != 201 {
			t.Fatalf("create TAP: %s", r.raw)
		}
		pass := r.body["temporaryAccessPass"].(string)
		c := e.start(vAlex, "temporaryAccessPass", nil)
		r = e.call("POST", "/_mock/verify/challenges/"+c["id"].(string)+"/code", map[string]string{"code": pass})
		if r.challenge()["state"] != "verified" {
			t.Fatalf("TAP: %s", r.raw)
		}
		r = e.call("POST", "/_mock/verify/challenges", map[string]any{"user": vAlex, "method": "temporaryAccessPass"})
		if r.verdictReason() != "used" {
			t.Fatalf("used TAP: %s", r.raw)
		}
		g := e.rc.do("GET", "/v1.0/users/"+vAlex+"/authentication/temporaryAccessPassMethods", DefaultAdminToken, "")
		if !strings.Contains(g.raw, `"OneTimeUsed"`) {
			t.Errorf("Graph does not show the pass as used: %s", g.raw)
		}
	})
}

func TestRememberDeviceAndRevokeSessions(t *testing.T) {
	forBothTransports(t, func(t *testing.T, e emu) {
		c := e.start(vAdele, "oath", nil)
		e.call("POST", "/_mock/verify/challenges/"+c["id"].(string)+"/code", map[string]string{"code": e.currentCode(vAdele, "")})
		tok := e.call("POST", "/_mock/verify/challenges/"+c["id"].(string)+"/remember", nil)
		token := tok.body["token"].(string)
		exp, _ := time.Parse(time.RFC3339, tok.body["expiresAt"].(string))
		if d := exp.Sub(e.s.now()); d < 29*24*time.Hour || d > 30*24*time.Hour {
			t.Errorf("remembered for %s", d)
		}
		chk := e.call("POST", "/_mock/users/"+vAdele+"/devices/check", map[string]string{"token": token})
		if chk.body["remembered"] != true {
			t.Fatalf("check: %s", chk.raw)
		}
		if rr := e.rc.do("POST", "/v1.0/users/"+vAdele+"/revokeSignInSessions", DefaultAdminToken, ""); rr.status != 200 {
			t.Fatal(rr.raw)
		}
		chk = e.call("POST", "/_mock/users/"+vAdele+"/devices/check", map[string]string{"token": token})
		if chk.body["remembered"] != false || chk.verdictReason() != "revoked" {
			t.Errorf("after revocation: %s", chk.raw)
		}
	})
}

func TestVerifyLockoutAndUnblock(t *testing.T) {
	forBothTransports(t, func(t *testing.T, e emu) {
		for i := range 5 {
			c := e.start(vAdele, "oath", nil)
			r := e.call("POST", "/_mock/verify/challenges/"+c["id"].(string)+"/code", map[string]string{"code": "000000"})
			want := "wrongCode"
			if i == 4 {
				want = "locked"
			}
			if r.verdictReason() != want && !(r.verdictReason() == "" && e.currentCode(vAdele, "") == "000000") {
				t.Fatalf("attempt %d: %s", i+1, r.raw)
			}
		}
		st := e.call("GET", "/_mock/users/"+vAdele+"/verification", nil)
		if st.body["locked"] != true {
			t.Fatalf("status: %s", st.raw)
		}
		e.call("POST", "/_mock/users/"+vAdele+"/unblock", nil)
		e.start(vAdele, "sms", nil)
		att := e.call("GET", "/_mock/users/"+vAdele+"/attempts", nil)
		if n := len(att.body["value"].([]any)); n < 12 {
			t.Errorf("%d attempts logged", n)
		}
	})
}

func TestVerifyEndpointsNeedTheAdminTokenAndKnownIDs(t *testing.T) {
	s := newServer(t, Options{Verify: cheapVerify()})
	rc := inProcessClient(t, s)
	for _, tc := range []struct {
		method, path, token, body string
		status                    int
	}{
		{"GET", "/_mock/outbox", "", "", 401},
		{"GET", "/_mock/outbox", GlobalReaderToken, "", 403},
		{"GET", "/_mock/outbox?after=x", DefaultAdminToken, "", 400},
		{"GET", "/_mock/outbox?since=yesterday", DefaultAdminToken, "", 400},
		{"POST", "/_mock/verify/challenges", DefaultAdminToken, `{"user":"` + vAdele + `","method":"carrier pigeon"}`, 400},
		{"POST", "/_mock/verify/challenges", DefaultAdminToken, `{"user":"nobody@contoso.example","method":"sms"}`, 404},
		{"POST", "/_mock/verify/challenges", DefaultAdminToken, `{"user":"` + vAlex + `","method":"push"}`, 404},
		{"GET", "/_mock/verify/challenges/no-such-id", DefaultAdminToken, "", 404},
		{"POST", "/_mock/verify/challenges/no-such-id/code", DefaultAdminToken, `{"code":"123456"}`, 404},
		{"POST", "/_mock/enroll/app/confirm", DefaultAdminToken, `{"user":"` + vAlex + `","code":"123456"}`, 404},
		{"PUT", "/_mock/users/" + vAlex + "/pin", DefaultAdminToken, `{"pin":"2048","colour":1}`, 400},
	} {
		r := rc.do(tc.method, tc.path, tc.token, tc.body)
		if r.status != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, r.status, r.raw, tc.status)
		}
	}
}

func TestOutboxCursorAndUsers(t *testing.T) {
	s := newServer(t, Options{Verify: cheapVerify()})
	e := emu{t: t, rc: inProcessClient(t, s), s: s}
	e.start(vAdele, "sms", nil)
	e.start(vLee, "voiceOtp", nil)
	all := e.call("GET", "/_mock/outbox", nil)
	if n := len(all.body["value"].([]any)); n != 2 || all.body["cursor"] != 2.0 {
		t.Fatalf("outbox: %s", all.raw)
	}
	first := all.body["value"].([]any)[0].(map[string]any)
	if first["userPrincipalName"] != vAdele || first["channel"] != "sms" || first["to"] != "+1 4255550100" {
		t.Errorf("first message: %v", first)
	}
	after := e.call("GET", "/_mock/outbox?after=1", nil)
	if v := after.body["value"].([]any); len(v) != 1 || v[0].(map[string]any)["userPrincipalName"] != vLee {
		t.Errorf("after 1: %s", after.raw)
	}
	mine := e.call("GET", "/_mock/outbox?user="+vLee, nil)
	if len(mine.body["value"].([]any)) != 1 {
		t.Errorf("lee's: %s", mine.raw)
	}
	future := e.call("GET", "/_mock/outbox?since="+s.now().Add(time.Hour).UTC().Format(time.RFC3339), nil)
	if len(future.body["value"].([]any)) != 0 || future.body["cursor"] != 2.0 {
		t.Errorf("since the future: %s", future.raw)
	}
}

func TestAttemptLogIsTrimmed(t *testing.T) {
	st := store.NewMemory()
	err := st.Update(func(tx store.Tx) error {
		vs := verifyStore{tx}
		for i := range maxAttemptsKept + 5 {
			if err := vs.AppendAttempt(verify.Attempt{UserID: "u", Action: verify.ActionStart, ChallengeID: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		as, err := vs.Attempts("u")
		if len(as) != maxAttemptsKept || as[0].ChallengeID != "5" {
			t.Errorf("%d kept, first %s", len(as), as[0].ChallengeID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestParseVerifyConfig(t *testing.T) {
	base := verify.DefaultConfig()
	tests := []struct {
		in   string
		ok   bool
		test func(verify.Config) bool
	}{
		{`{}`, true, func(c verify.Config) bool { return c.CodeTTL == base.CodeTTL }},
		{`{"codeTtl":"5m","lockoutDenials":3,"rememberDeviceDays":90}`, true, func(c verify.Config) bool {
			return c.CodeTTL == 5*time.Minute && c.LockoutDenials == 3 && c.RememberDeviceDays == 90
		}},
		{`{"blockDuration":"30d","pin":{"minLength":6},"questions":{"toRegister":4,"toReset":4}}`, true, func(c verify.Config) bool {
			return c.BlockDuration == 30*24*time.Hour && c.PIN.MinLength == 6 && c.PIN.MaxLength == 8 && c.Questions.ToRegister == 4
		}},
		{`{"totpWindow":{"back":2,"forward":0}}`, true, func(c verify.Config) bool { return c.TOTPWindow.Back == 2 && c.TOTPWindow.Forward == 0 }},
		{`{"rememberDeviceDays":400}`, false, nil},
		{`{"codeTtl":"soon"}`, false, nil},
		{`{"codeLifetime":"5m"}`, false, nil},
		{`{"lockoutDenials":"3"}`, false, nil},
		{`{} {}`, false, nil},
		{`[]`, false, nil},
	}
	for _, tt := range tests {
		c, err := ParseVerifyConfig([]byte(tt.in), base)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err %v", tt.in, err)
			continue
		}
		if tt.ok && !tt.test(c) {
			t.Errorf("%s: got %+v", tt.in, c)
		}
	}
}

func FuzzParseVerifyConfig(f *testing.F) {
	for _, s := range []string{`{}`, `{"codeTtl":"5m"}`, `{"pin":{"minLength":2}}`, `{"questions":{"max":30}}`, `{"totpWindow":{"back":-1}}`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseVerifyConfig([]byte(in), verify.DefaultConfig())
		if err != nil {
			return
		}
		if verr := c.Validate(); verr != nil {
			t.Errorf("%q accepted an invalid config: %v", in, verr)
		}
	})
}
