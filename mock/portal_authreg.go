package mock

import (
	"errors"
	"net/http"

	"github.com/mfactl/mfactl/methods/verify"
)

// The portal's "Microsoft Authenticator" flow (seeds 002 and 004): "Start
// by getting the app", "Set up your account" with the QR code and, under
// "Can't scan image?", the code and URL; "Next" once the app took them;
// "Let's try it out": a test notification approved with the number shown.
// The registration is the mock's (BeginAuthenticatorRegistration and its
// siblings in authenticator.go); the phone panel is the app: it takes the
// code and URL ("Add work or school account") and approves the
// notification like any other.

// pendingAuthenticator is the Microsoft Authenticator registration the
// session is adding.
type pendingAuthenticator struct {
	id string
}

func (p *portal) authenticatorRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /portal/security-info/authenticator/start", p.postAuthenticatorStart)
	m.HandleFunc("GET /portal/security-info/authenticator/qr", p.getAuthenticatorQR)
	m.HandleFunc("GET /portal/security-info/authenticator/qr.png", p.getAuthenticatorQRImage)
	m.HandleFunc("POST /portal/security-info/authenticator/next", p.postAuthenticatorNext)
	m.HandleFunc("GET /portal/security-info/authenticator/try", p.getAuthenticatorTry)
	m.HandleFunc("GET /portal/security-info/authenticator/state", p.getAuthenticatorState)
	m.HandleFunc("POST /portal/security-info/authenticator/finish", p.postAuthenticatorFinish)
}

// portalMessage words an error of the registration functions: the
// engine's verdict, or the endpoint's refusal.
func portalMessage(err error) string {
	var ve *verify.Error
	if errors.As(err, &ve) {
		return verdictSentence(ve)
	}
	return portalError(err)
}

func (p *portal) pendingAuthenticator(sess *portalSession) *pendingAuthenticator {
	return pendingCopy(p, sess, func(s *portalSession) *pendingAuthenticator { return s.authreg })
}

// authenticatorStep begins a step of the flow: the registration in
// progress (pendingStep) and its status.
func (p *portal) authenticatorStep(w http.ResponseWriter, r *http.Request) (*portalSession, string, AuthenticatorRegistration, error, bool) {
	sess, _, a, ok := pendingStep(p, w, r, p.pendingAuthenticator)
	if !ok {
		return nil, "", AuthenticatorRegistration{}, nil, false
	}
	reg, err := p.s.AuthenticatorRegistrationStatus(r.Context(), a.id)
	return sess, a.id, reg, err, true
}

// renderAuthenticatorStart shows "Start by getting the app" with errMsg.
func (p *portal) renderAuthenticatorStart(w http.ResponseWriter, sess *portalSession, errMsg string) {
	p.page(w, sess, "authenticator", "Microsoft Authenticator", errMsg, nil)
}

// postAuthenticatorStart is "Next" on "Start by getting the app".
func (p *portal) postAuthenticatorStart(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := p.signedInUser(w, r)
	if !ok {
		return
	}
	reg, err := p.s.BeginAuthenticatorRegistration(r.Context(), u.rec.ID)
	if err != nil {
		p.renderAuthenticatorStart(w, sess, portalMessage(err))
		return
	}
	p.with(sess, func(s *portalSession) { s.authreg = &pendingAuthenticator{id: reg.ID} })
	redirect(w, r, portalPrefix+"/security-info/authenticator/qr")
}

type authenticatorQRPage struct {
	Code, URL string
}

func (p *portal) getAuthenticatorQR(w http.ResponseWriter, r *http.Request) {
	p.renderAuthenticatorQR(w, r, "")
}

func (p *portal) renderAuthenticatorQR(w http.ResponseWriter, r *http.Request, errMsg string) {
	sess, _, reg, err, ok := p.authenticatorStep(w, r)
	if !ok {
		return
	}
	if err != nil {
		p.renderAuthenticatorStart(w, sess, portalMessage(err))
		return
	}
	if reg.State == RegistrationExpired {
		p.with(sess, func(s *portalSession) { s.authreg = nil })
		p.renderAuthenticatorStart(w, sess, "The QR code expired. Choose Next to get a new one.")
		return
	}
	p.render(w, http.StatusOK, "authenticatorqr", sess, pageData{Title: "Set up your account", Error: errMsg,
		Data: authenticatorQRPage{Code: reg.ActivationCode, URL: reg.URL}})
}

// getAuthenticatorQRImage is the QR code of the pending registration; its
// URL names no secret.
func (p *portal) getAuthenticatorQRImage(w http.ResponseWriter, r *http.Request) {
	sess, _, ok := p.signedInUser(w, r)
	if !ok {
		return
	}
	a := p.pendingAuthenticator(sess)
	if a == nil {
		http.NotFound(w, r)
		return
	}
	reg, err := p.s.AuthenticatorRegistrationStatus(r.Context(), a.id)
	if err != nil || reg.QRPayload == "" {
		http.NotFound(w, r)
		return
	}
	writeQR(w, reg.QRPayload)
}

// postAuthenticatorNext is "Next" after scanning: the test notification.
func (p *portal) postAuthenticatorNext(w http.ResponseWriter, r *http.Request) {
	_, id, reg, err, ok := p.authenticatorStep(w, r)
	if !ok {
		return
	}
	if err == nil && reg.State == RegistrationWaitingForApp {
		p.renderAuthenticatorQR(w, r, "We couldn't find your app yet. Scan the QR code with Microsoft Authenticator (or enter the code and URL), then choose Next.")
		return
	}
	if _, err := p.s.SendAuthenticatorTestNotification(r.Context(), id); err != nil {
		p.renderAuthenticatorQR(w, r, portalMessage(err))
		return
	}
	redirect(w, r, portalPrefix+"/security-info/authenticator/try")
}

type authenticatorTryPage struct {
	Number int
	Closed bool
}

func (p *portal) getAuthenticatorTry(w http.ResponseWriter, r *http.Request) {
	p.renderAuthenticatorTry(w, r, "")
}

func (p *portal) renderAuthenticatorTry(w http.ResponseWriter, r *http.Request, errMsg string) {
	sess, _, reg, err, ok := p.authenticatorStep(w, r)
	if !ok {
		return
	}
	if err != nil {
		errMsg = portalMessage(err)
	}
	d := authenticatorTryPage{Number: reg.Number, Closed: reg.State != RegistrationNotificationSent}
	if errMsg == "" && (reg.State == RegistrationDenied || reg.State == RegistrationExpired) {
		errMsg = "Notification denied or timed out: the app was not added. Start again from Add sign-in method."
		if reg.Verdict != nil {
			errMsg = verdictSentence(reg.Verdict)
		}
	}
	pd := pageData{Title: "Let's try it out", Error: errMsg, Data: d}
	if reg.State == RegistrationNotificationSent {
		pd.Poll, pd.Version, pd.PollSubmit = portalPrefix+"/security-info/authenticator/state", reg.State, "continue"
	}
	p.render(w, http.StatusOK, "authenticatortry", sess, pd)
}

func (p *portal) getAuthenticatorState(w http.ResponseWriter, r *http.Request) {
	sess := p.ensureSession(w, r)
	v := "none"
	if a := p.pendingAuthenticator(sess); a != nil {
		if reg, err := p.s.AuthenticatorRegistrationStatus(r.Context(), a.id); err == nil {
			v = reg.State
		}
	}
	writeState(w, v)
}

// postAuthenticatorFinish is the "Let's try it out" page once the phone
// answered: approved lists the new method.
func (p *portal) postAuthenticatorFinish(w http.ResponseWriter, r *http.Request) {
	sess, _, reg, err, ok := p.authenticatorStep(w, r)
	if !ok {
		return
	}
	if err != nil || reg.State != RegistrationApproved {
		p.renderAuthenticatorTry(w, r, "")
		return
	}
	p.with(sess, func(s *portalSession) { s.authreg = nil })
	p.toInfo(w, r, sess, "Notification approved. Microsoft Authenticator was successfully registered.")
}

// authenticatorAction is the phone panel's Authenticator adding an
// account from the code and URL ("Add work or school account", "Or enter
// code manually").
func (p *portal) authenticatorAction(r *http.Request, _ *portalUser) error {
	if r.PostFormValue("action") != "activate" {
		return errBadRequest(codeBadRequest, "Unknown phone action.")
	}
	_, err := p.s.ActivateAuthenticatorApp(r.Context(), r.PostFormValue("code"), r.PostFormValue("url"), r.PostFormValue("device"))
	if err != nil {
		return errors.New(portalMessage(err))
	}
	return nil
}
