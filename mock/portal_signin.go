package mock

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mfactl/mfactl/internal/emulatorapi"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
	"github.com/mfactl/mfactl/mock/store"
)

// The portal's sign-in: pick an account (the emulator asks no password),
// then the MFA prompt of the user's default method, "Sign in another way"
// ("I can't use my Microsoft Authenticator app right now") and "Don't ask
// again for N days" (the engine's remembered devices).

// pendingSignIn is a sign-in waiting for its second factor.
type pendingSignIn struct {
	userID, upn, name string
	challengeID       string
	option            string
}

// signInOption is one way of proving who you are, as "Verify your
// identity" lists them.
type signInOption struct {
	Key     string
	Label   string
	Default bool
	start   emulatorapi.StartChallenge
}

// portalUser is a user and what the portal shows of them.
type portalUser struct {
	rec     *userRecord
	methods []methodRecord
	status  verify.Status
}

func (u *portalUser) principal() *Principal {
	return &Principal{Name: u.rec.DisplayName, UPN: u.rec.UPN}
}

// loadUser reads a user and their methods in one read transaction, then
// the engine's status through its endpoint.
func (p *portal) loadUser(ref string) (*portalUser, error) {
	var pu portalUser
	err := p.s.store.View(func(tx store.Tx) error {
		u, err := getUser(tx, ref)
		if err != nil {
			return err
		}
		pu.rec = u
		pu.methods, err = userMethods(tx, u.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	var st VerificationStatus
	if err := p.s.portalCall(nil, "GET", "/_mock/users/"+url.PathEscape(pu.rec.ID)+"/verification", nil, &st); err != nil {
		return nil, err
	}
	pu.status = st.Status
	return &pu, nil
}

// signInOptions lists the ways the user can verify, the one that delivers
// the effective default first (methods.DefaultMethod, the rule behind
// every default mfactl shows).
func signInOptions(u *portalUser) []signInOption {
	all := methodsOf(u.methods)
	usable := methods.UsableMethods(all)
	def := methods.DefaultMethod(u.rec.PreferredMethod).Effective(all)
	if def == "" {
		def = methods.StrongestDeliverable(all)
	}
	has := func(k methods.Kind) bool {
		return slices.ContainsFunc(usable, func(m methods.Method) bool { return m.Kind == k })
	}
	var out []signInOption
	add := func(key, label string, delivers methods.DefaultMethod, start emulatorapi.StartChallenge) {
		out = append(out, signInOption{Key: key, Label: label, Default: delivers != "" && delivers == def, start: start})
	}
	if has(methods.KindAuthenticator) {
		add("push", "Approve a request on my Microsoft Authenticator app", methods.DefaultPush, emulatorapi.StartChallenge{Method: string(verify.MethodPush)})
	}
	if has(methods.KindSoftwareOath) {
		add("app", "Use a verification code", methods.DefaultOath, emulatorapi.StartChallenge{Method: string(verify.MethodOATH), Kind: string(methods.KindSoftwareOath)})
	}
	if has(methods.KindHardwareOath) {
		d := methods.DefaultOath
		if has(methods.KindSoftwareOath) {
			d = ""
		}
		add("hardware", "Use a verification code from my hardware token", d, emulatorapi.StartChallenge{Method: string(verify.MethodOATH), Kind: string(methods.KindHardwareOath)})
	}
	phones := make([]methods.Method, 0, 3)
	for _, m := range usable {
		if m.Kind == methods.KindPhone {
			phones = append(phones, m)
		}
	}
	methods.SortMethods(phones)
	for _, ph := range phones {
		if ph.PhoneType == methods.PhoneMobile {
			add("sms", "Text "+maskPhoneNumber(ph.PhoneNumber), methods.DefaultSMS, emulatorapi.StartChallenge{Method: string(verify.MethodSMS), PhoneType: string(ph.PhoneType)})
		}
	}
	voice := map[methods.PhoneType]methods.DefaultMethod{methods.PhoneMobile: methods.DefaultVoiceMobile,
		methods.PhoneAlternateMobile: methods.DefaultVoiceAlternateMobile, methods.PhoneOffice: methods.DefaultVoiceOffice}
	call := verify.MethodVoice
	if u.status.PINRegistered {
		call = verify.MethodVoicePIN // the PIN mode of seeds 000 and 004
	}
	for _, ph := range phones {
		add("call-"+string(ph.PhoneType), "Call "+maskPhoneNumber(ph.PhoneNumber), voice[ph.PhoneType],
			emulatorapi.StartChallenge{Method: string(call), PhoneType: string(ph.PhoneType)})
	}
	if i := slices.IndexFunc(out, func(o signInOption) bool { return o.Default }); i > 0 {
		d := out[i]
		out = append([]signInOption{d}, slices.Delete(out, i, i+1)...)
	}
	return out
}

// signInPage is the data of the sign-in pages.
type signInPage struct {
	Users []userChoice
	Typed string
}

type userChoice struct{ UPN, Name string }

// maxAccounts bounds the "Pick an account" list; other users are typed.
const maxAccounts = 60

func (p *portal) getSignIn(w http.ResponseWriter, r *http.Request) {
	sess := p.ensureSession(w, r)
	var users []userChoice
	err := p.s.store.View(func(tx store.Tx) error {
		return store.ScanJSON(tx, bucketUsers, "", "", func(_ string, u userRecord) (bool, error) {
			users = append(users, userChoice{UPN: u.UPN, Name: u.DisplayName})
			return len(users) < maxAccounts, nil
		})
	})
	if err != nil {
		p.render(w, http.StatusInternalServerError, "signin", sess, pageData{Title: "Sign in", Error: portalError(err)})
		return
	}
	slices.SortFunc(users, func(a, b userChoice) int { return strings.Compare(a.Name, b.Name) })
	p.render(w, http.StatusOK, "signin", sess, pageData{Title: "Sign in", Data: signInPage{Users: users}})
}

// postSignIn takes the account and starts the second factor, unless this
// browser is remembered for the user.
func (p *portal) postSignIn(w http.ResponseWriter, r *http.Request) {
	sess := p.ensureSession(w, r)
	ref := strings.TrimSpace(r.PostFormValue("user"))
	fail := func(msg string) {
		p.render(w, http.StatusOK, "signin", sess, pageData{Title: "Sign in", Error: msg, Data: signInPage{Typed: ref}})
	}
	if ref == "" {
		fail("Enter a valid email address, phone number, or Skype name.")
		return
	}
	u, err := p.loadUser(ref)
	if err != nil {
		fail("This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin.")
		return
	}
	if !u.rec.AccountEnabled {
		// Entra refuses a disabled account before any second factor
		// (AADSTS50057), as the emulated Entra ID's sign-ins do.
		fail("Your account has been locked. Contact your support person to unlock it, then try again.")
		return
	}
	if c, err := r.Cookie(deviceCookiePrefix + u.rec.ID); err == nil && c.Value != "" {
		var dc DeviceCheck
		err := p.s.portalCall(nil, "POST", "/_mock/users/"+url.PathEscape(u.rec.ID)+"/devices/check", map[string]string{"token": c.Value}, &dc)
		if err == nil && dc.Remembered {
			p.signedIn(sess, u.rec)
			p.toInfo(w, r, sess, "Signed in without a second factor: this browser is remembered (\"Don't ask again\").")
			return
		}
	}
	opts := signInOptions(u)
	if len(opts) == 0 {
		// Nothing to verify with: Entra would ask the user to register
		// ("More information required"); the emulator lets them in to do so.
		p.signedIn(sess, u.rec)
		p.toInfo(w, r, sess, "More information required: add a sign-in method to keep your account secure.")
		return
	}
	p.startSignIn(w, r, sess, u, opts[0])
}

func (p *portal) signedIn(sess *portalSession, u *userRecord) {
	p.with(sess, func(s *portalSession) { s.setSignedIn(u.ID, u.UPN, u.DisplayName) })
}

// startSignIn starts the challenge of one option and shows its prompt.
func (p *portal) startSignIn(w http.ResponseWriter, r *http.Request, sess *portalSession, u *portalUser, o signInOption) {
	body := o.start
	body.User, body.Purpose = u.rec.ID, string(verify.PurposeSignIn)
	var out VerifyResponse
	err := startError(p.s.portalCall(nil, "POST", "/_mock/verify/challenges", body, &out), out)
	if msg := startMessage(err, out.Challenge != nil, "The sign-in could not start."); msg != "" {
		p.with(sess, func(s *portalSession) {
			s.signin = &pendingSignIn{userID: u.rec.ID, upn: u.rec.UPN, name: u.rec.DisplayName, option: o.Key}
		})
		p.renderOther(w, sess, u, msg)
		return
	}
	p.with(sess, func(s *portalSession) {
		s.userID, s.upn, s.name = "", "", ""
		s.signin = &pendingSignIn{userID: u.rec.ID, upn: u.rec.UPN, name: u.rec.DisplayName, challengeID: out.Challenge.ID, option: o.Key}
	})
	redirect(w, r, portalPrefix+"/signin/verify")
}

// verifyPage is the data of the MFA prompt.
type verifyPage struct {
	UPN          string
	Method       string
	Number       int
	Phone        string
	RememberDays int
	Closed       bool
}

func (p *portal) pendingSignIn(sess *portalSession) *pendingSignIn {
	return pendingCopy(p, sess, func(s *portalSession) *pendingSignIn { return s.signin })
}

// challenge reads a challenge through the engine's poll endpoint.
func (p *portal) challenge(id string) (VerifyResponse, error) {
	var out VerifyResponse
	err := p.s.portalCall(nil, "GET", "/_mock/verify/challenges/"+url.PathEscape(id), nil, &out)
	return out, err
}

func (p *portal) getVerify(w http.ResponseWriter, r *http.Request) {
	sess, ps, ok := p.signInStep(w, r, true)
	if !ok {
		return
	}
	p.renderVerify(w, sess, ps, "")
}

func (p *portal) renderVerify(w http.ResponseWriter, sess *portalSession, ps *pendingSignIn, errMsg string) {
	res, err := p.challenge(ps.challengeID)
	if err != nil || res.Challenge == nil {
		p.render(w, http.StatusOK, "signin", sess, pageData{Title: "Sign in", Error: "The sign-in request is gone; sign in again."})
		return
	}
	c := res.Challenge
	d := verifyPage{UPN: ps.upn, Method: string(c.Method), Number: c.Number, Phone: maskPhoneNumber(c.PhoneNumber), Closed: !c.State.Open()}
	if cfg := p.s.VerifyConfig(); cfg.RememberDevice {
		d.RememberDays = cfg.RememberDeviceDays
	}
	if errMsg == "" && res.Verdict != nil {
		errMsg = verdictSentence(res.Verdict)
	}
	pd := pageData{Title: "Verify your identity", Error: errMsg, Data: d}
	if c.State.Open() && (c.Method == verify.MethodPush || c.Method == verify.MethodVoice || c.Method == verify.MethodVoicePIN) {
		pd.Poll, pd.Version, pd.PollSubmit = portalPrefix+"/signin/state", string(c.State), "continue"
	}
	p.render(w, http.StatusOK, "verify", sess, pd)
}

// verdictSentence words an engine verdict for the page.
func verdictSentence(v *verify.Error) string {
	switch v.Reason {
	case verify.ReasonWrongCode:
		return "You've entered an incorrect code. Please try again."
	case verify.ReasonDenied:
		return "Request denied: the sign-in request was denied on the phone."
	case verify.ReasonExpired:
		return "The request timed out. Send another request or sign in another way."
	case verify.ReasonWrongNumber:
		return "The number entered in the app didn't match. Send another request."
	}
	s := v.Message
	if v.Hint != "" {
		s += "; " + v.Hint
	}
	return capitalise(s) + "."
}

// getSignInState is what the prompt polls: the challenge state, nothing
// secret.
func (p *portal) getSignInState(w http.ResponseWriter, r *http.Request) {
	sess := p.ensureSession(w, r)
	v := "none"
	if ps := p.pendingSignIn(sess); ps != nil && ps.challengeID != "" {
		if res, err := p.challenge(ps.challengeID); err == nil && res.Challenge != nil {
			v = string(res.Challenge.State)
		}
	}
	writeState(w, v)
}

func writeState(w http.ResponseWriter, v string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"v": v})
}

// postVerify submits the code typed on the prompt.
func (p *portal) postVerify(w http.ResponseWriter, r *http.Request) {
	sess, ps, ok := p.signInStep(w, r, true)
	if !ok {
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	var out VerifyResponse
	err := p.s.portalCall(nil, "POST", "/_mock/verify/challenges/"+url.PathEscape(ps.challengeID)+"/code", map[string]string{"code": code}, &out)
	if msg := outcomeMessage(err, out.Verdict); msg != "" {
		p.renderVerify(w, sess, ps, msg)
		return
	}
	p.finishSignIn(w, r, sess, ps)
}

// postFinish is the prompt's form once the phone answered (push, call):
// the challenge's outcome decides.
func (p *portal) postFinish(w http.ResponseWriter, r *http.Request) {
	sess, ps, ok := p.signInStep(w, r, true)
	if !ok {
		return
	}
	res, err := p.challenge(ps.challengeID)
	if err != nil || res.Challenge == nil {
		redirect(w, r, portalPrefix+"/signin")
		return
	}
	if res.Challenge.State != verify.StateVerified {
		p.renderVerify(w, sess, ps, "")
		return
	}
	p.finishSignIn(w, r, sess, ps)
}

// finishSignIn signs the user in after a verified challenge and, when
// asked, remembers this browser through the engine.
func (p *portal) finishSignIn(w http.ResponseWriter, r *http.Request, sess *portalSession, ps *pendingSignIn) {
	if r.PostFormValue("remember") != "" {
		var tok RememberedDeviceToken
		err := p.s.portalCall(nil, "POST", "/_mock/verify/challenges/"+url.PathEscape(ps.challengeID)+"/remember", nil, &tok)
		if err == nil && tok.Verdict == nil && tok.Token != "" {
			http.SetCookie(w, &http.Cookie{Name: deviceCookiePrefix + ps.userID, Value: tok.Token, Path: portalPrefix + "/",
				Expires: tok.ExpiresAt, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		}
	}
	p.with(sess, func(s *portalSession) { s.setSignedIn(ps.userID, ps.upn, ps.name) })
	redirect(w, r, portalPrefix+"/security-info")
}

// otherPage lists the other ways to verify.
type otherPage struct {
	UPN     string
	Options []signInOption
}

func (p *portal) getOther(w http.ResponseWriter, r *http.Request) {
	sess, _, u, ok := p.signInUserStep(w, r)
	if !ok {
		return
	}
	p.renderOther(w, sess, u, "")
}

func (p *portal) renderOther(w http.ResponseWriter, sess *portalSession, u *portalUser, errMsg string) {
	p.render(w, http.StatusOK, "other", sess, pageData{Title: "Verify your identity", Error: errMsg,
		Data: otherPage{UPN: u.rec.UPN, Options: signInOptions(u)}})
}

// postOther starts the chosen way, canceling the open challenge.
func (p *portal) postOther(w http.ResponseWriter, r *http.Request) {
	sess, ps, u, ok := p.signInUserStep(w, r)
	if !ok {
		return
	}
	p.switchSignIn(w, r, sess, ps, u, r.PostFormValue("option"), "Choose one of the ways below.")
}

// postResend is "Send another request" / "get a new code" at sign-in.
func (p *portal) postResend(w http.ResponseWriter, r *http.Request) {
	sess, ps, u, ok := p.signInUserStep(w, r)
	if !ok {
		return
	}
	p.switchSignIn(w, r, sess, ps, u, ps.option, "")
}

func (p *portal) postSignOut(w http.ResponseWriter, r *http.Request) {
	sess := p.ensureSession(w, r)
	p.with(sess, func(s *portalSession) { s.setSignedIn("", "", "") })
	redirect(w, r, portalPrefix+"/signin")
}

// atoiOr parses a form number.
func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return def
	}
	return n
}
