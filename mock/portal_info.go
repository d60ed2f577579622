package mock

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"rsc.io/qr"

	"github.com/mfactl/mfactl/internal/emulatorapi"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
)

// "Security info": the signed-in user's methods and default, "Add sign-in
// method", "Change" the default, "Delete" with a confirmation. Every change
// is the Graph request a client would send for the user themself (self-
// service), or the engine's registration endpoint; the pages only ask.

// pendingApp is an authenticator app being added: what the QR code and
// "Can't scan the image?" show, until the first code confirms it.
type pendingApp struct {
	challengeID     string
	uri, secret     string
	account, issuer string
}

// pendingPhone is a phone being added, waiting for its test.
type pendingPhone struct {
	challengeID string
	number      string
	phoneType   methods.PhoneType
	method      verify.Method
}

// methodRow is one line of the Security info list.
type methodRow struct {
	ID, Label, Detail string
	Deletable         bool
}

type infoPage struct {
	Default      string
	CanChange    bool
	Methods      []methodRow
	HasQuestions bool
}

// signedIn returns the session's user, or redirects to sign-in.
func (p *portal) signedInUser(w http.ResponseWriter, r *http.Request) (*portalSession, *portalUser, bool) {
	sess := p.ensureSession(w, r)
	var id string
	p.with(sess, func(s *portalSession) { id = s.userID })
	if id == "" {
		redirect(w, r, portalPrefix+"/signin")
		return sess, nil, false
	}
	u, err := p.loadUser(id)
	if err != nil {
		p.with(sess, func(s *portalSession) { s.userID, s.upn, s.name = "", "", "" })
		redirect(w, r, portalPrefix+"/signin")
		return sess, nil, false
	}
	return sess, u, true
}

// defaultLabel names a default method as the portal does.
func defaultLabel(d methods.DefaultMethod, ms []methods.Method) string {
	phone := func(t methods.PhoneType) string {
		for _, m := range ms {
			if m.Kind == methods.KindPhone && m.PhoneType == t {
				return " " + m.PhoneNumber
			}
		}
		return ""
	}
	switch d {
	case methods.DefaultPush:
		return "Microsoft Authenticator - notification"
	case methods.DefaultOath:
		return "Authenticator app or hardware token - code"
	case methods.DefaultSMS:
		return "Phone - text" + phone(methods.PhoneMobile)
	case methods.DefaultVoiceMobile:
		return "Phone - call" + phone(methods.PhoneMobile)
	case methods.DefaultVoiceAlternateMobile:
		return "Alternate phone - call" + phone(methods.PhoneAlternateMobile)
	case methods.DefaultVoiceOffice:
		return "Office phone - call" + phone(methods.PhoneOffice)
	}
	return ""
}

// phoneLabel is the portal's name of a phone type.
func phoneLabel(t methods.PhoneType) string {
	switch t {
	case methods.PhoneAlternateMobile:
		return "Alternate phone"
	case methods.PhoneOffice:
		return "Office phone"
	}
	return "Phone"
}

// rowOf describes one method as the Security info list does.
func rowOf(m methods.Method) methodRow {
	row := methodRow{ID: m.ID, Deletable: slices.Contains(deletableKinds, m.Kind)}
	switch m.Kind {
	case methods.KindPhone:
		row.Label, row.Detail = phoneLabel(m.PhoneType), m.PhoneNumber
	case methods.KindAuthenticator:
		row.Label, row.Detail = "Microsoft Authenticator", m.DisplayName
	case methods.KindSoftwareOath:
		row.Label, row.Detail = "Authenticator app", "Time-based one-time password (TOTP)"
	case methods.KindHardwareOath:
		row.Label, row.Detail = "Hardware token", m.Describe()
	case methods.KindEmail:
		row.Label, row.Detail = "Email", m.EmailAddress
	case methods.KindPassword:
		row.Label = "Password"
	case methods.KindFido2:
		row.Label, row.Detail = "Security key", m.Describe()
	default:
		row.Label, row.Detail = m.Kind.Label(), m.Describe()
	}
	return row
}

func (p *portal) getInfo(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := p.signedInUser(w, r)
	if !ok {
		return
	}
	p.renderInfo(w, sess, u, "")
}

func (p *portal) renderInfo(w http.ResponseWriter, sess *portalSession, u *portalUser, errMsg string) {
	all := methodsOf(u.methods)
	methods.SortMethods(all)
	d := infoPage{HasQuestions: len(u.status.Questions) > 0}
	if def := methods.DefaultMethod(u.rec.PreferredMethod).Effective(all); def != "" {
		d.Default = defaultLabel(def, all)
	}
	for _, def := range methods.DefaultMethods {
		if def.DeliverableBy(all) {
			d.CanChange = true
		}
	}
	for _, m := range all {
		d.Methods = append(d.Methods, rowOf(m))
	}
	p.page(w, sess, "info", "Security info", errMsg, d)
}

// defaultChoice is one entry of "Change default method".
type defaultChoice struct {
	Value, Label string
	Current      bool
}

func (p *portal) defaultChoices(u *portalUser) []defaultChoice {
	all := methodsOf(u.methods)
	cur := methods.DefaultMethod(u.rec.PreferredMethod).Effective(all)
	var out []defaultChoice
	for _, d := range methods.DefaultMethods {
		if d.DeliverableBy(all) {
			out = append(out, defaultChoice{Value: string(d), Label: defaultLabel(d, all), Current: d == cur})
		}
	}
	return out
}

func (p *portal) getDefault(w http.ResponseWriter, r *http.Request) {
	p.formPage(w, r, "default", "Change default method", func(u *portalUser) any { return p.defaultChoices(u) })
}

// postDefault sets the default through Graph's signInPreferences.
func (p *portal) postDefault(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := p.signedInUser(w, r)
	if !ok {
		return
	}
	choice := r.PostFormValue("method")
	err := p.s.portalCall(u.principal(), "PATCH", "/beta/users/"+url.PathEscape(u.rec.ID)+"/authentication/signInPreferences",
		map[string]string{"userPreferredMethodForSecondaryAuthentication": choice}, nil)
	if err != nil {
		p.page(w, sess, "default", "Change default method", portalError(err), p.defaultChoices(u))
		return
	}
	p.toInfo(w, r, sess, "Default sign-in method updated.")
}

// addChoice is one entry of "Add a method".
type addChoice struct{ Value, Label string }

func (p *portal) addChoices(u *portalUser) []addChoice {
	has := func(t methods.PhoneType) bool {
		return slices.ContainsFunc(u.methods, func(m methodRecord) bool { return m.Kind == methods.KindPhone && m.PhoneType == t })
	}
	out := []addChoice{{"authenticator", "Authenticator app"}}
	for _, t := range methods.PhoneTypes {
		if !has(t) {
			out = append(out, addChoice{"phone-" + string(t), phoneLabel(t)})
		}
	}
	if !slices.ContainsFunc(u.methods, func(m methodRecord) bool { return m.Kind == methods.KindEmail }) {
		out = append(out, addChoice{"email", "Email"})
	}
	// Security questions serve password reset only, and not for admins
	// (the engine's rule, MS-SECQ).
	if !u.rec.isAdmin() && len(u.status.Questions) == 0 {
		out = append(out, addChoice{"questions", "Security questions"})
	}
	return out
}

func (p *portal) getAdd(w http.ResponseWriter, r *http.Request) {
	p.formPage(w, r, "add", "Add a method", func(u *portalUser) any { return p.addChoices(u) })
}

func (p *portal) postAdd(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := p.signedInUser(w, r)
	if !ok {
		return
	}
	switch v := r.PostFormValue("method"); {
	case v == "authenticator":
		redirect(w, r, portalPrefix+"/security-info/authenticator")
	case strings.HasPrefix(v, "phone-"):
		redirect(w, r, portalPrefix+"/security-info/phone?type="+url.QueryEscape(strings.TrimPrefix(v, "phone-")))
	case v == "email":
		redirect(w, r, portalPrefix+"/security-info/email")
	case v == "questions":
		redirect(w, r, portalPrefix+"/security-info/questions")
	default:
		p.page(w, sess, "add", "Add a method", "Choose a method.", p.addChoices(u))
	}
}

func (p *portal) getAuthenticator(w http.ResponseWriter, r *http.Request) {
	p.formPage(w, r, "authenticator", "Microsoft Authenticator", func(_ *portalUser) any { return nil })
}

// postAppStart starts another authenticator app (software OATH) through
// the engine's enrolment endpoint.
func (p *portal) postAppStart(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := p.signedInUser(w, r)
	if !ok {
		return
	}
	var en AppEnrollment
	err := p.s.portalCall(nil, "POST", "/_mock/enroll/app", map[string]string{"user": u.rec.ID}, &en)
	if err == nil && en.Verdict != nil {
		err = en.Verdict
	}
	if msg := startMessage(err, en.Challenge != nil, "The app could not be added."); msg != "" {
		p.renderInfo(w, sess, u, msg)
		return
	}
	p.with(sess, func(s *portalSession) {
		s.app = &pendingApp{challengeID: en.Challenge.ID, uri: en.URI, secret: en.Secret, account: en.Account, issuer: en.Issuer}
	})
	redirect(w, r, portalPrefix+"/security-info/app")
}

type appPage struct {
	Account, Key, Issuer string
}

func (p *portal) pendingApp(sess *portalSession) *pendingApp {
	return pendingCopy(p, sess, func(s *portalSession) *pendingApp { return s.app })
}

func (p *portal) getApp(w http.ResponseWriter, r *http.Request) {
	sess, _, a, ok := pendingStep(p, w, r, p.pendingApp)
	if !ok {
		return
	}
	p.page(w, sess, "app", "Scan the QR code", "", appPage{Account: a.account, Key: a.secret, Issuer: a.issuer})
}

// getAppQR is the QR code of the pending app: its URL names no secret,
// the session holds it.
func (p *portal) getAppQR(w http.ResponseWriter, r *http.Request) {
	sess, _, ok := p.signedInUser(w, r)
	if !ok {
		return
	}
	a := p.pendingApp(sess)
	if a == nil {
		http.NotFound(w, r)
		return
	}
	writeQR(w, a.uri)
}

// writeQR answers a QR code PNG (the library `enroll app --qr-png` uses).
func writeQR(w http.ResponseWriter, payload string) {
	code, err := qr.Encode(payload, qr.M)
	if err != nil {
		http.Error(w, "QR code: "+err.Error(), http.StatusInternalServerError)
		return
	}
	code.Scale = 6
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(code.PNG())
}

func (p *portal) getAppCode(w http.ResponseWriter, r *http.Request) {
	sess, _, _, ok := pendingStep(p, w, r, p.pendingApp)
	if !ok {
		return
	}
	p.page(w, sess, "appcode", "Enter code", "", nil)
}

// postAppCode confirms the app with its first code.
func (p *portal) postAppCode(w http.ResponseWriter, r *http.Request) {
	sess, u, a, ok := pendingStep(p, w, r, p.pendingApp)
	if !ok {
		return
	}
	var out VerifyResponse
	err := p.s.portalCall(nil, "POST", "/_mock/enroll/app/confirm",
		map[string]string{"user": u.rec.ID, "challengeId": a.challengeID, "code": strings.TrimSpace(r.PostFormValue("code"))}, &out)
	if msg := outcomeMessage(err, out.Verdict); msg != "" {
		p.page(w, sess, "appcode", "Enter code", msg, nil)
		return
	}
	p.with(sess, func(s *portalSession) { s.app = nil })
	p.toInfo(w, r, sess, "Authenticator app was successfully registered.")
}

// countryCodes are the choices of the phone page (the portal lists every
// country; these are enough to emulate it).
var countryCodes = []struct{ Code, Name string }{
	{"1", "United States (+1)"}, {"1", "Canada (+1)"}, {"44", "United Kingdom (+44)"}, {"353", "Ireland (+353)"},
	{"49", "Germany (+49)"}, {"33", "France (+33)"}, {"31", "Netherlands (+31)"}, {"34", "Spain (+34)"},
	{"39", "Italy (+39)"}, {"46", "Sweden (+46)"}, {"41", "Switzerland (+41)"}, {"61", "Australia (+61)"},
	{"64", "New Zealand (+64)"}, {"81", "Japan (+81)"}, {"91", "India (+91)"}, {"55", "Brazil (+55)"},
	{"52", "Mexico (+52)"}, {"27", "South Africa (+27)"},
}

type phonePage struct {
	Type      string
	Label     string
	CanText   bool
	Countries []struct{ Code, Name string }
	Country   string
	Number    string
	Extension string
	Method    string
}

func (p *portal) phoneForm(t methods.PhoneType) phonePage {
	d := phonePage{Type: string(t), Label: phoneLabel(t), CanText: t == methods.PhoneMobile, Countries: countryCodes, Country: "1", Method: "sms"}
	if !d.CanText {
		d.Method = "voice"
	}
	return d
}

func (p *portal) getPhone(w http.ResponseWriter, r *http.Request) {
	sess, _, ok := p.signedInUser(w, r)
	if !ok {
		return
	}
	t, err := methods.ParsePhoneType(r.URL.Query().Get("type"))
	if err != nil {
		t = methods.PhoneMobile
	}
	d := p.phoneForm(t)
	p.page(w, sess, "phone", d.Label, "", d)
}

var nonDigits = regexp.MustCompile(`[^0-9]`)

// postPhone starts the phone's test (text or call) through the engine's
// phone enrolment endpoint; the phone is saved once the test passes.
func (p *portal) postPhone(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := p.signedInUser(w, r)
	if !ok {
		return
	}
	t, err := methods.ParsePhoneType(r.PostFormValue("type"))
	if err != nil {
		t = methods.PhoneMobile
	}
	d := p.phoneForm(t)
	d.Country = nonDigits.ReplaceAllString(r.PostFormValue("country"), "")
	d.Number = strings.TrimSpace(r.PostFormValue("number"))
	d.Extension = strings.TrimSpace(r.PostFormValue("extension"))
	if m := r.PostFormValue("method"); m == "voice" || (m == "sms" && d.CanText) {
		d.Method = m
	}
	number := "+" + d.Country + " " + strings.TrimLeft(nonDigits.ReplaceAllString(d.Number, ""), "0")
	if ext := nonDigits.ReplaceAllString(d.Extension, ""); ext != "" {
		number += "x" + ext
	}
	var out VerifyResponse
	err = startError(p.s.portalCall(nil, "POST", "/_mock/enroll/phone",
		map[string]string{"user": u.rec.ID, "phoneNumber": number, "phoneType": string(t), "method": d.Method}, &out), out)
	if msg := startMessage(err, out.Challenge != nil, "The phone could not be added."); msg != "" {
		p.page(w, sess, "phone", d.Label, msg, d)
		return
	}
	p.with(sess, func(s *portalSession) {
		s.phone = &pendingPhone{challengeID: out.Challenge.ID, number: number, phoneType: t, method: out.Challenge.Method}
	})
	redirect(w, r, portalPrefix+"/security-info/phone/verify")
}

type phoneVerifyPage struct {
	Label  string
	Number string
	Method string
	Closed bool
}

func (p *portal) pendingPhone(sess *portalSession) *pendingPhone {
	return pendingCopy(p, sess, func(s *portalSession) *pendingPhone { return s.phone })
}

func (p *portal) getPhoneVerify(w http.ResponseWriter, r *http.Request) {
	sess, _, ph, ok := pendingStep(p, w, r, p.pendingPhone)
	if !ok {
		return
	}
	p.renderPhoneVerify(w, sess, ph, "")
}

func (p *portal) renderPhoneVerify(w http.ResponseWriter, sess *portalSession, ph *pendingPhone, errMsg string) {
	res, err := p.challenge(ph.challengeID)
	if err != nil || res.Challenge == nil {
		p.with(sess, func(s *portalSession) { s.phone = nil })
		p.setFlash(sess, "The phone test is gone; add the phone again.")
		p.page(w, sess, "phoneverify", phoneLabel(ph.phoneType), "", phoneVerifyPage{Label: phoneLabel(ph.phoneType), Number: ph.number, Closed: true})
		return
	}
	c := res.Challenge
	if errMsg == "" && res.Verdict != nil {
		errMsg = verdictSentence(res.Verdict)
	}
	d := phoneVerifyPage{Label: phoneLabel(ph.phoneType), Number: strings.Replace(ph.number, "x", " x", 1), Method: string(c.Method), Closed: !c.State.Open()}
	pd := pageData{Title: d.Label, Error: errMsg, Data: d}
	if c.State.Open() && c.Method == verify.MethodVoice {
		pd.Poll, pd.Version, pd.PollSubmit = portalPrefix+"/security-info/phone/state", string(c.State), "continue"
	}
	p.render(w, http.StatusOK, "phoneverify", sess, pd)
}

func (p *portal) getPhoneState(w http.ResponseWriter, r *http.Request) {
	sess := p.ensureSession(w, r)
	v := "none"
	if ph := p.pendingPhone(sess); ph != nil {
		if res, err := p.challenge(ph.challengeID); err == nil && res.Challenge != nil {
			v = string(res.Challenge.State)
		}
	}
	writeState(w, v)
}

// postPhoneVerify takes the texted or spoken code, the call's outcome
// ("finish"), or "get a new code" ("resend").
func (p *portal) postPhoneVerify(w http.ResponseWriter, r *http.Request) {
	sess, _, ph, ok := pendingStep(p, w, r, p.pendingPhone)
	if !ok {
		return
	}
	id := url.PathEscape(ph.challengeID)
	var out VerifyResponse
	var err error
	switch r.PostFormValue("action") {
	case "resend":
		err = p.s.portalCall(nil, "POST", "/_mock/verify/challenges/"+id+"/resend", nil, &out)
		if err == nil && out.Verdict == nil && out.Challenge != nil {
			p.with(sess, func(s *portalSession) {
				if s.phone != nil {
					s.phone.challengeID = out.Challenge.ID
				}
			})
			ph.challengeID = out.Challenge.ID
		}
		msg := outcomeMessage(err, out.Verdict)
		switch {
		case msg != "":
		case ph.method == verify.MethodSMS:
			p.setFlash(sess, "We sent a new code.")
		default:
			p.setFlash(sess, "We're calling again.")
		}
		p.renderPhoneVerify(w, sess, ph, msg)
		return
	case "finish":
		res, err := p.challenge(ph.challengeID)
		if err != nil || res.Challenge == nil || res.Challenge.State != verify.StateVerified {
			p.renderPhoneVerify(w, sess, ph, "")
			return
		}
	default:
		err = p.s.portalCall(nil, "POST", "/_mock/verify/challenges/"+id+"/code", map[string]string{"code": strings.TrimSpace(r.PostFormValue("code"))}, &out)
		if msg := outcomeMessage(err, out.Verdict); msg != "" {
			p.renderPhoneVerify(w, sess, ph, msg)
			return
		}
	}
	p.with(sess, func(s *portalSession) { s.phone = nil })
	what := "SMS verified."
	if ph.method != verify.MethodSMS {
		what = "Call answered."
	}
	p.toInfo(w, r, sess, what+" Your phone was registered successfully.")
}

type emailPage struct{ Address string }

// pendingEmail is an email address being added, waiting for its code.
type pendingEmail struct {
	challengeID string
	address     string
}

func (p *portal) getEmail(w http.ResponseWriter, r *http.Request) {
	p.formPage(w, r, "email", "Email", func(_ *portalUser) any { return emailPage{} })
}

// postEmail mails a code to the address through the verification engine
// (/_mock/enroll/email); the address is added only when the code comes
// back, as on the real security-info page ("We just sent a code to ...").
func (p *portal) postEmail(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := p.signedInUser(w, r)
	if !ok {
		return
	}
	addr := strings.TrimSpace(r.PostFormValue("email"))
	var out VerifyResponse
	err := p.s.portalCall(nil, "POST", "/_mock/enroll/email", emulatorapi.EnrollEmail{User: u.rec.ID, EmailAddress: addr}, &out)
	if err == nil && out.Verdict != nil {
		err = out.Verdict
	}
	if err == nil && out.Challenge == nil {
		err = errors.New("the code could not be sent")
	}
	if err != nil {
		p.page(w, sess, "email", "Email", portalError(err), emailPage{Address: addr})
		return
	}
	p.with(sess, func(s *portalSession) {
		s.email = &pendingEmail{challengeID: out.Challenge.ID, address: addr}
	})
	redirect(w, r, portalPrefix+"/security-info/email/verify")
}

func (p *portal) pendingEmail(sess *portalSession) *pendingEmail {
	return pendingCopy(p, sess, func(s *portalSession) *pendingEmail { return s.email })
}

func (p *portal) getEmailVerify(w http.ResponseWriter, r *http.Request) {
	sess, _, pe, ok := pendingStep(p, w, r, p.pendingEmail)
	if !ok {
		return
	}
	p.page(w, sess, "emailverify", "Email", "", emailPage{Address: pe.address})
}

// postEmailVerify takes the mailed code, or "Resend code".
func (p *portal) postEmailVerify(w http.ResponseWriter, r *http.Request) {
	sess, _, pe, ok := pendingStep(p, w, r, p.pendingEmail)
	if !ok {
		return
	}
	id := url.PathEscape(pe.challengeID)
	var out VerifyResponse
	var err error
	resend := r.PostFormValue("action") == "resend"
	if resend {
		err = p.s.portalCall(nil, "POST", "/_mock/verify/challenges/"+id+"/resend", nil, &out)
	} else {
		err = p.s.portalCall(nil, "POST", "/_mock/verify/challenges/"+id+"/code", map[string]string{"code": strings.TrimSpace(r.PostFormValue("code"))}, &out)
	}
	msg := outcomeMessage(err, out.Verdict)
	if resend && msg == "" && out.Challenge != nil {
		p.with(sess, func(s *portalSession) {
			if s.email != nil {
				s.email.challengeID = out.Challenge.ID
			}
		})
		p.setFlash(sess, "We sent a new code.")
	}
	if resend || msg != "" {
		p.page(w, sess, "emailverify", "Email", msg, emailPage{Address: pe.address})
		return
	}
	p.with(sess, func(s *portalSession) { s.email = nil })
	p.toInfo(w, r, sess, "Email was successfully registered.")
}

// securityQuestions are the predefined questions of Entra's SSPR
// registration (a selection; MS-SECQ lists them).
var securityQuestions = []string{
	"In what city did you meet your first spouse/partner?",
	"In what city did your parents meet?",
	"In what city does your nearest sibling live?",
	"In what city or town was your first job?",
	"In what year was your father born?",
	"What is the first name of your oldest cousin?",
	"What was the name of your first pet?",
	"What was your favorite food as a child?",
	"What was the first concert you attended?",
	"What was the make and model of your first car?",
}

type questionsPage struct {
	Slots     []int
	Questions []string
}

func (p *portal) questionsForm() questionsPage {
	n := p.s.VerifyConfig().Questions.ToRegister
	d := questionsPage{Questions: securityQuestions}
	for i := range n {
		d.Slots = append(d.Slots, i+1)
	}
	return d
}

func (p *portal) getQuestions(w http.ResponseWriter, r *http.Request) {
	p.formPage(w, r, "questions", "Security questions", func(_ *portalUser) any { return p.questionsForm() })
}

// postQuestions registers the questions through the engine's endpoint,
// which applies the policy (count, lengths, no repeats, no admins).
func (p *portal) postQuestions(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := p.signedInUser(w, r)
	if !ok {
		return
	}
	d := p.questionsForm()
	var body questionsBody
	for _, i := range d.Slots {
		n := strconv.Itoa(i)
		body.Questions = append(body.Questions, emulatorapi.QuestionAnswer{Question: r.PostFormValue("q" + n), Answer: r.PostFormValue("a" + n)})
	}
	var out VerifyResponse
	err := p.s.portalCall(nil, "PUT", "/_mock/users/"+url.PathEscape(u.rec.ID)+"/questions", body, &out)
	if msg := outcomeMessage(err, out.Verdict); msg != "" {
		p.page(w, sess, "questions", "Security questions", msg, d)
		return
	}
	p.toInfo(w, r, sess, "Security questions were successfully registered.")
}

type deletePage struct {
	ID, Label, Detail string
}

// deleteTarget finds what a Delete link names: a method id, or
// "questions".
func deleteTarget(u *portalUser, id string) (deletePage, *methodRecord, bool) {
	if id == "questions" && len(u.status.Questions) > 0 {
		return deletePage{ID: id, Label: "Security questions"}, nil, true
	}
	for i := range u.methods {
		m := &u.methods[i]
		if strings.EqualFold(m.ID, id) {
			row := rowOf(m.Method)
			if !row.Deletable {
				return deletePage{}, nil, false
			}
			return deletePage{ID: m.ID, Label: row.Label, Detail: row.Detail}, m, true
		}
	}
	return deletePage{}, nil, false
}

func (p *portal) getDelete(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := p.signedInUser(w, r)
	if !ok {
		return
	}
	d, _, found := deleteTarget(u, r.URL.Query().Get("id"))
	if !found {
		redirect(w, r, portalPrefix+"/security-info")
		return
	}
	p.page(w, sess, "delete", "Delete method", "", d)
}

// postDelete deletes through Graph (self-service), or the security
// questions through the engine.
func (p *portal) postDelete(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := p.signedInUser(w, r)
	if !ok {
		return
	}
	d, m, found := deleteTarget(u, r.PostFormValue("id"))
	if !found {
		redirect(w, r, portalPrefix+"/security-info")
		return
	}
	var err error
	if m == nil {
		var out VerifyResponse
		err = p.s.portalCall(nil, "DELETE", "/_mock/users/"+url.PathEscape(u.rec.ID)+"/questions", nil, &out)
		if err == nil && out.Verdict != nil {
			err = out.Verdict
		}
	} else {
		err = p.s.portalCall(u.principal(), "DELETE", "/v1.0/users/"+url.PathEscape(u.rec.ID)+"/authentication/"+m.Kind.CollectionSegment()+"/"+url.PathEscape(m.ID), nil, nil)
	}
	if err != nil {
		p.page(w, sess, "delete", "Delete method", portalError(err), d)
		return
	}
	p.toInfo(w, r, sess, d.Label+" deleted.")
}
