package mock

import "net/http"

// The Microsoft Authenticator registration pages of the portal and the
// phone panel's side of it.

func (p *portal) authenticatorRoutes(*http.ServeMux) {}

// authenticatorAction is a phone-panel action of the Authenticator app
// itself (adding an account); none without the registration backend.
func (p *portal) authenticatorAction(*http.Request, *portalUser) error {
	return errBadRequest(codeBadRequest, "Unknown phone action.")
}
