package mock

import (
	"net/http"
	"strings"
)

// The emulator's hardware token endpoint under /_mock/ (not Graph): tests,
// the verification engine and `mfactl token check` resynchronise a drifted
// token with it. It needs the admin token.
//
// Until the shared /_mock/ router lands, dispatchTokenControl serves this
// one endpoint; tokenControlRoutes is what moves there.

func (s *Server) tokenControlRoutes(rt *router) {
	rt.add("POST", "/tokens/{serial}/resync", s.resyncToken)
}

func (s *Server) dispatchTokenControl(r *request, segs []string) (*response, error) {
	p, ok := s.tokens.lookup(r.http.Header.Get("Authorization"))
	switch {
	case !ok:
		return nil, newError(http.StatusUnauthorized, codeInvalidToken, "Access token is empty or not valid: the emulator's /_mock/ endpoints need the admin token.")
	case !p.has(RolePrivilegedAuthAdmin):
		return nil, newError(http.StatusForbidden, codeDenied, "Insufficient privileges to complete the operation: /_mock/ endpoints need the admin token.")
	}
	r.caller = p
	if err := r.readBody(); err != nil {
		return nil, err
	}
	rt := &router{}
	s.tokenControlRoutes(rt)
	h, params, pathExists, _ := rt.match(r.http.Method, "", segs)
	if h == nil {
		if pathExists {
			return nil, newError(http.StatusMethodNotAllowed, codeBadRequest, "%s is not allowed on /_mock/%s.", r.http.Method, strings.Join(segs, "/"))
		}
		return nil, errNotFound("The emulator has no endpoint /_mock/%s.", strings.Join(segs, "/"))
	}
	r.params = params
	return h(r)
}
