package mock

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/mfactl/mfactl/methods/verify"
)

// The steps the portal's handlers share: find what the step works on (the
// signed-in user, a flow in progress), word the engine's answer, show a
// form again with its error, or go back to Security info. Each handler
// keeps its own logic; these keep the common moves in one place.

// page renders a page with 200 OK: its title, the error to show ("" for
// none) and its data.
func (p *portal) page(w http.ResponseWriter, sess *portalSession, name, title, errMsg string, data any) {
	p.render(w, http.StatusOK, name, sess, pageData{Title: title, Error: errMsg, Data: data})
}

// toInfo ends a flow on Security info with the flash message.
func (p *portal) toInfo(w http.ResponseWriter, r *http.Request, sess *portalSession, flash string) {
	p.setFlash(sess, flash)
	redirect(w, r, portalPrefix+"/security-info")
}

// outcomeMessage words the answer of an engine call for the page: the
// call's error, or the engine's verdict; "" when it succeeded.
func outcomeMessage(err error, verdict *verify.Error) string {
	switch {
	case err != nil:
		return portalError(err)
	case verdict != nil:
		return verdictSentence(verdict)
	}
	return ""
}

// startError is the error of a call that starts a challenge: the call's
// own, or the engine's verdict when no open challenge came back.
func startError(err error, out VerifyResponse) error {
	if err == nil && out.Verdict != nil && (out.Challenge == nil || !out.Challenge.State.Open()) {
		return out.Verdict
	}
	return err
}

// startMessage words a start that failed: the error, or fallback when
// nothing was started; "" when it started.
func startMessage(err error, started bool, fallback string) string {
	switch {
	case err != nil:
		return portalError(err)
	case !started:
		return fallback
	}
	return ""
}

// pendingCopy is a copy of one of the session's flows in progress (the
// field picks which), or nil when there is none.
func pendingCopy[T any](p *portal, sess *portalSession, field func(*portalSession) *T) *T {
	var out *T
	p.with(sess, func(s *portalSession) {
		if v := field(s); v != nil {
			c := *v
			out = &c
		}
	})
	return out
}

// pendingStep begins a step of an adding flow: the signed-in user and the
// flow in progress (pending reads it), or false after redirecting to sign
// in, or to Security info when no such flow is in progress.
func pendingStep[T any](p *portal, w http.ResponseWriter, r *http.Request, pending func(*portalSession) *T) (*portalSession, *portalUser, *T, bool) {
	sess, u, ok := p.signedInUser(w, r)
	if !ok {
		return nil, nil, nil, false
	}
	v := pending(sess)
	if v == nil {
		redirect(w, r, portalPrefix+"/security-info")
		return nil, nil, nil, false
	}
	return sess, u, v, true
}

// setSignedIn makes the session the user's ("" signs out), dropping the
// sign-in, app, phone and Authenticator flows in progress.
func (s *portalSession) setSignedIn(userID, upn, name string) {
	s.userID, s.upn, s.name = userID, upn, name
	// Every flow in progress belonged to the previous user: a code typed
	// after the switch must not complete it for them.
	s.signin, s.app, s.phone, s.email, s.authreg = nil, nil, nil, nil, nil
}

// signInStep begins a step of the sign-in: the sign-in in progress (with
// its challenge started when needChallenge), or false after redirecting
// to sign-in.
func (p *portal) signInStep(w http.ResponseWriter, r *http.Request, needChallenge bool) (*portalSession, *pendingSignIn, bool) {
	sess := p.ensureSession(w, r)
	ps := p.pendingSignIn(sess)
	if ps == nil || (needChallenge && ps.challengeID == "") {
		redirect(w, r, portalPrefix+"/signin")
		return nil, nil, false
	}
	return sess, ps, true
}

// signInUserStep is signInStep that also reads the user signing in.
func (p *portal) signInUserStep(w http.ResponseWriter, r *http.Request) (*portalSession, *pendingSignIn, *portalUser, bool) {
	sess, ps, ok := p.signInStep(w, r, false)
	if !ok {
		return nil, nil, nil, false
	}
	u, err := p.loadUser(ps.userID)
	if err != nil {
		redirect(w, r, portalPrefix+"/signin")
		return nil, nil, nil, false
	}
	return sess, ps, u, true
}

// switchSignIn starts the sign-in's option named key instead of the open
// challenge (canceled), or shows the other ways with missing when the
// user has no such option.
func (p *portal) switchSignIn(w http.ResponseWriter, r *http.Request, sess *portalSession, ps *pendingSignIn, u *portalUser, key, missing string) {
	opts := signInOptions(u)
	i := slices.IndexFunc(opts, func(o signInOption) bool { return o.Key == key })
	if i < 0 {
		p.renderOther(w, sess, u, missing)
		return
	}
	if ps.challengeID != "" {
		// A challenge that already ended cannot be canceled; that is fine.
		_ = p.s.portalCall(nil, "POST", "/_mock/verify/challenges/"+url.PathEscape(ps.challengeID)+"/cancel", nil, nil)
	}
	p.startSignIn(w, r, sess, u, opts[i])
}

// formPage shows a form of Security info to the signed-in user (or
// redirects to sign-in); data builds the form's data for the user.
func (p *portal) formPage(w http.ResponseWriter, r *http.Request, name, title string, data func(*portalUser) any) {
	sess, u, ok := p.signedInUser(w, r)
	if !ok {
		return
	}
	p.page(w, sess, name, title, "", data(u))
}
